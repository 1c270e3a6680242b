//! The case loop over the JSON API (issue #3 groundwork): report, accept, dispatch, handle,
//! verify, close, follow up; scope, stale versions, tiers and the grid duty list.

use crate::common::{TestApp, act, error_code, version};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shanzhi_app::dashboard::Dashboard;
use shanzhi_domain::case::{Stage, Tier};
use shanzhi_web::api::cases::{CaseDetail, CaseOut};

/// The middle of 东湖社区第一网格's first micro-grid: inside grid 450802001001001.
pub(crate) async fn point_in_own_grid(app: &TestApp, token: &str) -> (f64, f64) {
    let (_, node) = app.get("/api/v1/regions/450802001001001001", token).await;
    assert_eq!(node["node"]["has_boundary"], true);
    centre_of("450802001001001")
}

/// The mean of a demo node's boundary corners (the demo's grids are convex, so it lies inside).
pub(crate) fn centre_of(code: &str) -> (f64, f64) {
    let demo = shanzhi_app::demo::district().tree;
    let f = demo["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["code"] == code)
        .unwrap();
    let ring = f["geometry"]["coordinates"][0].as_array().unwrap();
    let n = ring.len() as f64 - 1.0;
    let (sx, sy) = ring[..ring.len() - 1].iter().fold((0.0, 0.0), |(x, y), p| {
        (x + p[0].as_f64().unwrap(), y + p[1].as_f64().unwrap())
    });
    (sx / n, sy / n)
}

#[tokio::test]
async fn a_grid_matter_goes_round_the_loop() {
    let app = TestApp::demo().await;
    let worker = app.token("wg0101").await;
    let leader = app.token("wgz01").await;
    let officer = app.token("sq01").await;
    let (lon, lat) = point_in_own_grid(&app, &worker).await;
    let figures = |d: &Dashboard| {
        let c = &d.cases.counts;
        [c.received, c.handled_on_time, c.closed]
    };
    let dashboard = "/api/v1/dashboard?node=450802001001001";
    let before = figures(&app.get_as(dashboard, &officer).await);
    let case: CaseOut = app
        .post_as(
            "/api/v1/cases",
            &worker,
            json!({"category": "0201", "title": "3栋楼道堆放杂物", "description": "3栋2单元楼道堆放纸箱，堵塞消防通道", "lon": lon, "lat": lat}),
            StatusCode::CREATED,
        )
        .await;
    let case = case.case;
    assert_eq!((case.stage, case.tier), (Stage::Reported, Tier::Grid));
    assert_eq!(case.holder_code, "450802001001001");
    assert!(case.node_code.starts_with("450802001001001"));
    assert_eq!(case.tracking_code.len(), 8);
    let id = case.id;

    let steps: [(&str, Value, Stage); 7] = [
        (&leader, json!({"action": "accept"}), Stage::Accepted),
        (
            &leader,
            json!({"action": "dispatch", "to": "grid"}),
            Stage::Dispatched,
        ),
        (&worker, json!({"action": "start"}), Stage::InProgress),
        (
            &worker,
            json!({"action": "handle", "result": "已劝导住户清理，通道恢复畅通"}),
            Stage::Handled,
        ),
        (&officer, json!({"action": "verify_pass"}), Stage::Verified),
        (&officer, json!({"action": "close"}), Stage::Closed),
        (
            &officer,
            json!({"action": "follow_up", "note": "电话回访，居民满意"}),
            Stage::FollowedUp,
        ),
    ];
    for (token, mut body, stage) in steps {
        body["version"] = json!(version(&app, token, id).await);
        let out: CaseOut = app
            .post_as(
                &format!("/api/v1/cases/{id}/actions"),
                token,
                body,
                StatusCode::OK,
            )
            .await;
        assert_eq!(out.case.stage, stage);
    }
    let detail: CaseDetail = app.get_as(&format!("/api/v1/cases/{id}"), &officer).await;
    let timeline = &detail.timeline;
    let actions: Vec<&str> = timeline.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "report",
            "accept",
            "dispatch",
            "start",
            "handle",
            "verify_pass",
            "close",
            "follow_up"
        ]
    );
    assert!(timeline[4].note.contains("通道恢复畅通"));
    assert!(timeline[4].actor.contains("网格员"));
    assert!(!timeline[3].public, "starting work is internal");

    // The dashboard counts it: reported, handled on time, closed.
    let after = figures(&app.get_as(dashboard, &officer).await);
    assert_eq!(after, [before[0] + 1, before[1] + 1, before[2] + 1]);
}

#[tokio::test]
async fn wrong_steps_are_refused_with_clear_errors_and_nothing_changes() {
    let app = TestApp::demo().await;
    let worker = app.token("wg0101").await;
    let leader = app.token("wgz01").await;
    let neighbour = app.token("wg0102").await;
    let (s, case) = app
        .post("/api/v1/cases", &worker, json!({"category": "03", "title": "垃圾未清运", "description": "小区门口垃圾两天未清运", "node_code": "450802001001001"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{case}");
    let id = case["id"].as_i64().unwrap();

    let (s, body) = act(&app, &worker, id, json!({"action": "accept", "version": 1})).await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::FORBIDDEN, "forbidden"),
        "a grid worker does not accept"
    );
    let (s, body) = act(
        &app,
        &leader,
        id,
        json!({"action": "handle", "version": 1, "result": "x"}),
    )
    .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::CONFLICT, "conflict"),
        "{body}"
    );
    assert!(body["error"]["message"].as_str().unwrap().contains("上报"));
    let (s, body) = act(&app, &leader, id, json!({"action": "reject", "version": 1})).await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::BAD_REQUEST, "reason_required")
    );
    let (s, _) = app.get(&format!("/api/v1/cases/{id}"), &neighbour).await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "another grid's worker does not see it"
    );
    let (s, _) = act(
        &app,
        &neighbour,
        id,
        json!({"action": "accept", "version": 1}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, body) = act(&app, &leader, id, json!({"action": "fly", "version": 1})).await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::BAD_REQUEST, "unknown_action")
    );
    assert_eq!(
        version(&app, &leader, id).await,
        1,
        "refused steps change nothing"
    );

    // Two people act on the same version at once: exactly one wins.
    let (a, b) = tokio::join!(
        act(&app, &leader, id, json!({"action": "accept", "version": 1})),
        act(
            &app,
            &leader,
            id,
            json!({"action": "reject", "version": 1, "reason": "不属实"})
        ),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{a:?} {b:?}"
    );
    assert_eq!(version(&app, &leader, id).await, 2);
    let (_, detail) = app.get(&format!("/api/v1/cases/{id}"), &leader).await;
    assert_eq!(
        detail["timeline"].as_array().unwrap().len(),
        2,
        "one report, one winning step"
    );

    let (s, body) = app.post("/api/v1/cases", &worker, json!({"category": "9999", "title": "x", "description": "y", "node_code": "450802001001001"})).await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::BAD_REQUEST, "unknown_category")
    );
    let (s, body) = app
        .post(
            "/api/v1/cases",
            &worker,
            json!({"category": "03", "title": "x", "description": "y"}),
        )
        .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::BAD_REQUEST, "location_required")
    );
    let (s, _) = app.post("/api/v1/cases", &worker, json!({"category": "03", "title": "x", "description": "y", "node_code": "450802001001002"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "cannot report into another grid");
}

#[tokio::test]
async fn matters_off_the_grid_duty_list_go_to_the_command_centre_and_departments() {
    let app = TestApp::demo().await;
    let worker = app.token("wg0101").await;
    let cc = app.token("zhzx").await;
    let dept = app.token("cg01").await;
    let (_, me) = app.get("/api/v1/me", &dept).await;
    let dept_id = me["department_id"].as_i64().unwrap();
    let (s, case) = app
        .post("/api/v1/cases", &worker, json!({"category": "0403", "title": "井盖缺失", "description": "东湖路口井盖缺失，有行人跌落风险", "node_code": "450802001001001", "address": "东湖路与仙衣路交叉口"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{case}");
    assert_eq!(
        (case["tier"].as_str(), case["holder_code"].as_str()),
        (Some("district"), Some("450802"))
    );
    let id = case["id"].as_i64().unwrap();
    let (s, _) = act(&app, &cc, id, json!({"action": "accept", "version": 1})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = act(
        &app,
        &cc,
        id,
        json!({"action": "dispatch", "to": "grid", "version": 2}),
    )
    .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_target")
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("网格职责清单")
    );
    let (s, body) = act(
        &app,
        &cc,
        id,
        json!({"action": "dispatch", "to": "department", "version": 2}),
    )
    .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::BAD_REQUEST, "department_required")
    );
    let (s, out) = act(
        &app,
        &cc,
        id,
        json!({"action": "dispatch", "to": "department", "department_id": dept_id, "version": 2}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{out}");
    assert_eq!(out["department_id"], dept_id);
    // The timeline, which the reporter reads too, names the department it went to.
    let (_, departments) = app.get("/api/v1/departments", &cc).await;
    let name = departments
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == dept_id)
        .and_then(|d| d["name"].as_str())
        .expect("the department is listed")
        .to_owned();
    let (_, detail) = app.get(&format!("/api/v1/cases/{id}"), &cc).await;
    let dispatched = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "dispatch")
        .expect("a dispatch on the timeline");
    assert_eq!(dispatched["note"], format!("交办至{name}"));

    let (_, list) = app.get("/api/v1/cases?limit=500", &dept).await;
    let items = list["items"].as_array().unwrap();
    assert!(
        items.iter().any(|c| c["id"] == id),
        "a department sees what is dispatched to it"
    );
    assert!(
        items.iter().all(|c| c["department_id"] == dept_id),
        "and nothing else"
    );
    let (s, _) = act(&app, &dept, id, json!({"action": "start", "version": 3})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, out) = act(
        &app,
        &dept,
        id,
        json!({"action": "handle", "result": "已补装井盖", "version": 4}),
    )
    .await;
    assert_eq!(
        (s, out["stage"].as_str()),
        (StatusCode::OK, Some("handled"))
    );
    let (s, body) = act(
        &app,
        &dept,
        id,
        json!({"action": "verify_pass", "version": 5}),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "the handler does not verify its own work: {body}"
    );
    let (s, _) = act(
        &app,
        &cc,
        id,
        json!({"action": "verify_pass", "version": 5}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    // A grid worker escalates a matter it cannot settle: it goes up one tier, to the community.
    let (_, small) = app
        .post("/api/v1/cases", &worker, json!({"category": "0101", "title": "邻里噪音", "description": "楼上夜间噪音扰民", "node_code": "450802001001001"}))
        .await;
    let sid = small["id"].as_i64().unwrap();
    let (s, up) = act(
        &app,
        &worker,
        sid,
        json!({"action": "escalate", "reason": "双方各执一词，需社区调解", "version": 1}),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "a grid worker is not the holder of a reported case: {up}"
    );
    let leader = app.token("wgz01").await;
    let (s, up) = act(
        &app,
        &leader,
        sid,
        json!({"action": "escalate", "reason": "双方各执一词，需社区调解", "version": 1}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{up}");
    assert_eq!(
        (
            up["tier"].as_str(),
            up["holder_code"].as_str(),
            up["stage"].as_str()
        ),
        (Some("community"), Some("450802001001"), Some("accepted"))
    );
}

#[tokio::test]
async fn the_demo_has_cases_in_every_stage_some_overdue() {
    let app = TestApp::demo().await;
    let centre = app.token("zhzx").await;
    let (_, page) = app.get("/api/v1/cases?limit=500", &centre).await;
    let items = page["items"].as_array().unwrap();
    assert!(items.len() >= 300, "{}", items.len());
    let stages: std::collections::BTreeSet<&str> =
        items.iter().map(|c| c["stage"].as_str().unwrap()).collect();
    for s in [
        "reported",
        "accepted",
        "dispatched",
        "in_progress",
        "handled",
        "verified",
        "closed",
        "rated",
        "followed_up",
        "rejected",
    ] {
        assert!(stages.contains(s), "no demo case is {s}: {stages:?}");
    }
    let now = app.now_ms();
    let overdue = items
        .iter()
        .filter(|c| {
            ["accepted", "dispatched", "in_progress"].contains(&c["stage"].as_str().unwrap())
        })
        .filter(|c| c["handle_due"].as_i64().unwrap() < now)
        .count();
    assert!(overdue > 0, "some demo cases are overdue");
    assert!(
        items.iter().any(|c| c["tier"] == "department"),
        "some went to departments"
    );
    let (_, detail) = app
        .get(&format!("/api/v1/cases/{}", items[0]["id"]), &centre)
        .await;
    assert!(!detail["timeline"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_scheduler_escalates_overdue_cases_once_with_a_fresh_clock() {
    let app = TestApp::demo().await;
    let worker = app.token("wg0101").await;
    let (_, case) = app
        .post("/api/v1/cases", &worker, json!({"category": "03", "title": "垃圾未清运", "description": "垃圾桶满溢", "node_code": "450802001001001"}))
        .await;
    let id = case["id"].as_i64().unwrap();
    // The deadline passes: deadlines are data, so moving them is all "time passing" takes.
    let mut conn = app.state().store().conn().await.unwrap();
    shanzhi_store::Exec::exec(
        &mut conn,
        shanzhi_store::Sql::new("UPDATE cases SET accept_due = 1, handle_due = 2 WHERE id = ?")
            .bind(id),
    )
    .await
    .unwrap();
    drop(conn);

    let escalated = shanzhi_app::cases::escalate_overdue(app.state())
        .await
        .unwrap();
    assert!(escalated >= 1);
    let centre = app.token("zhzx").await;
    let (_, d) = app.get(&format!("/api/v1/cases/{id}"), &centre).await;
    assert_eq!(
        (d["case"]["tier"].as_str(), d["case"]["stage"].as_str()),
        (Some("community"), Some("accepted"))
    );
    assert!(
        d["case"]["handle_due"].as_i64().unwrap() > 1_700_000_000_000,
        "a fresh clock at the new level"
    );
    let last = d["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["action"].as_str(), last["actor"].as_str()),
        (Some("escalate"), Some("系统"))
    );
    assert!(last["note"].as_str().unwrap().contains("超过办理时限"));

    shanzhi_app::cases::escalate_overdue(app.state())
        .await
        .unwrap();
    let (_, again) = app.get(&format!("/api/v1/cases/{id}"), &centre).await;
    assert_eq!(
        again["case"]["tier"], "community",
        "not escalated again before its new deadline"
    );
    let (_, list) = app.get("/api/v1/cases?limit=500", &centre).await;
    let now = app.now_ms();
    let still_overdue = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            ["accepted", "dispatched", "in_progress"].contains(&c["stage"].as_str().unwrap())
        })
        .filter(|c| c["tier"] != "district" && c["handle_due"].as_i64().unwrap() < now)
        .count();
    assert_eq!(
        still_overdue, 0,
        "every overdue case below the district went up"
    );
}

#[tokio::test]
async fn the_command_centre_urges_and_supervises_and_it_is_counted() {
    let app = TestApp::demo().await;
    let worker = app.token("wg0101").await;
    let cc = app.token("zhzx").await;
    let (_, case) = app
        .post("/api/v1/cases", &worker, json!({"category": "03", "title": "垃圾未清运", "description": "垃圾桶满溢", "node_code": "450802001001001"}))
        .await;
    let id = case["id"].as_i64().unwrap();
    let (s, body) = act(
        &app,
        &worker,
        id,
        json!({"action": "urge", "note": "快点", "version": 1}),
    )
    .await;
    assert_eq!((s, error_code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
    let (s, out) = act(
        &app,
        &cc,
        id,
        json!({"action": "urge", "note": "请今日内受理", "version": 1}),
    )
    .await;
    assert_eq!(
        (s, out["stage"].as_str()),
        (StatusCode::OK, Some("reported")),
        "{out}"
    );
    let (s, _) = act(
        &app,
        &cc,
        id,
        json!({"action": "supervise", "note": "挂牌督办", "version": 2}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = act(&app, &cc, id, json!({"action": "urge", "version": 3})).await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::BAD_REQUEST, "reason_required")
    );
    let (_, d) = app.get(&format!("/api/v1/cases/{id}"), &cc).await;
    assert_eq!(
        (d["urged"].as_u64(), d["supervised"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        d["timeline"].as_array().unwrap().last().unwrap()["public"],
        false
    );
}

#[tokio::test]
async fn near_reports_of_the_same_kind_are_flagged_and_merged_reporters_follow_the_survivor() {
    let app = TestApp::demo().await;
    let worker = app.token("wg0101").await;
    let leader = app.token("wgz01").await;
    let (lon, lat) = point_in_own_grid(&app, &worker).await;
    let report = |dlat: f64, title: &'static str| json!({"category": "0201", "title": title, "description": "楼道堆放杂物", "lon": lon, "lat": lat + dlat});
    let (_, first) = app
        .post("/api/v1/cases", &worker, report(0.0, "3栋楼道杂物"))
        .await;
    let (_, second) = app
        .post("/api/v1/cases", &worker, report(0.0005, "3栋楼道又堆满了"))
        .await;
    let (_, far) = app
        .post("/api/v1/cases", &worker, report(0.004, "远处楼道杂物"))
        .await;
    let (first, second) = (
        first["id"].as_i64().unwrap(),
        second["id"].as_i64().unwrap(),
    );
    let (s, dups) = app
        .get(&format!("/api/v1/cases/{second}/duplicates"), &leader)
        .await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<i64> = dups
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&first), "{ids:?}");
    assert!(
        !ids.contains(&far["id"].as_i64().unwrap()),
        "about 440 m away is not the same place"
    );

    let (s, merged) = act(
        &app,
        &leader,
        second,
        json!({"action": "merge", "into": first, "reason": "同一处楼道", "version": 1}),
    )
    .await;
    assert_eq!(
        (s, merged["stage"].as_str(), merged["merged_into"].as_i64()),
        (StatusCode::OK, Some("merged"), Some(first)),
        "{merged}"
    );
    let (s, body) = act(
        &app,
        &leader,
        first,
        json!({"action": "merge", "into": first, "reason": "自己", "version": 1}),
    )
    .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_merge")
    );

    let tracking = merged["tracking_code"].as_str().unwrap();
    let (_, survivor) = app.get(&format!("/api/v1/cases/{first}"), &leader).await;
    let html = app
        .client
        .get(format!("{}/t/{tracking}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("已合并办理")
            && html.contains(survivor["case"]["tracking_code"].as_str().unwrap())
    );
}

#[tokio::test]
async fn a_street_blows_the_whistle_and_departments_report_in() {
    let app = TestApp::demo().await;
    let worker = app.token("wg0101").await;
    let street = app.token("jd01").await;
    let police = app.token("pcs01").await;
    let city_mgmt = app.token("cg01").await;
    let (_, me) = app.get("/api/v1/me", &police).await;
    let police_dept = me["department_id"].as_i64().unwrap();
    let (_, me) = app.get("/api/v1/me", &city_mgmt).await;
    let mgmt_dept = me["department_id"].as_i64().unwrap();
    let (_, case) = app
        .post("/api/v1/cases", &worker, json!({"category": "0106", "title": "夜市占道", "description": "夜市摊点占道经营，与居民冲突", "node_code": "450802001001001"}))
        .await;
    let id = case["id"].as_i64().unwrap();
    let (s, _) = app.get(&format!("/api/v1/cases/{id}"), &police).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "not summoned yet");
    let (s, body) = app
        .post(
            &format!("/api/v1/cases/{id}/summons"),
            &worker,
            json!({"department_ids": [police_dept], "reason": "占道冲突"}),
        )
        .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::FORBIDDEN, "forbidden"),
        "grid workers do not blow the whistle"
    );
    // A whistle says why, and where and when to meet in words people write.
    for (body, code) in [
        (
            json!({"department_ids": [police_dept], "reason": " "}),
            "reason_required",
        ),
        (
            json!({"department_ids": [police_dept], "reason": "占道冲突", "meet_at": "明天下午"}),
            "invalid_meet_at",
        ),
        (
            json!({"department_ids": [police_dept], "reason": "占道冲突", "meet_at": "2020-01-01 09:00"}),
            "invalid_meet_at",
        ),
    ] {
        let (s, e) = app
            .post(&format!("/api/v1/cases/{id}/summons"), &street, body)
            .await;
        assert_eq!((s, error_code(&e)), (StatusCode::BAD_REQUEST, code));
    }
    let meet = shanzhi_domain::case::beijing_minutes(app.now_ms() + 3 * 3_600_000);
    let (s, rows) = app
        .post(
            &format!("/api/v1/cases/{id}/summons"),
            &street,
            json!({"department_ids": [police_dept, mgmt_dept], "hours": 2,
                   "reason": "夜市占道与居民冲突，需执法和治安到场", "place": "东湖夜市入口", "meet_at": meet}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{rows}");
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert_eq!(rows[0]["reason"], "夜市占道与居民冲突，需执法和治安到场");
    assert_eq!(rows[0]["place"], "东湖夜市入口");
    assert_eq!(
        shanzhi_domain::case::beijing_minutes(rows[0]["meet_at"].as_i64().unwrap()),
        meet
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/cases/{id}/summons"),
            &street,
            json!({"department_ids": [police_dept], "reason": "再次召集"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "summoned once");

    let (s, d) = app.get(&format!("/api/v1/cases/{id}"), &police).await;
    assert_eq!(s, StatusCode::OK, "a summoned department sees the case");
    // … and finds it in its list, first page, without knowing the number.
    for token in [&police, &city_mgmt] {
        let (_, list) = app.get("/api/v1/cases?limit=20", token).await;
        assert!(
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["id"] == id),
            "a summons is in the department's list: {list}"
        );
    }
    assert!(
        d["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "summon")
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/cases/{id}/summons/report-in"),
            &police,
            json!({"part": "派民警到场维持秩序"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .post(
            &format!("/api/v1/cases/{id}/summons/report-in"),
            &police,
            json!({"part": "again"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, rows) = app
        .get(&format!("/api/v1/cases/{id}/summons"), &street)
        .await;
    let reported: Vec<bool> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reported_at"].is_i64())
        .collect();
    assert_eq!(reported, [true, false]);

    let cc = app.token("zhzx").await;
    let (s, stats) = app.get("/api/v1/summons/responses?days=7", &cc).await;
    assert_eq!(s, StatusCode::OK);
    let police_row = stats
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["department_id"] == police_dept)
        .unwrap();
    assert_eq!(
        (
            police_row["summoned"].as_i64(),
            police_row["reported"].as_i64(),
            police_row["late"].as_i64()
        ),
        (Some(1), Some(1), Some(0))
    );
    assert!(police_row["avg_minutes"].as_f64().unwrap() < 5.0);
    let volunteer = app.token("zy01").await;
    let (s, _) = app.get("/api/v1/summons/responses", &volunteer).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a volunteer has no figures");
}

#[tokio::test]
async fn concurrent_reports_commit_together_and_a_bad_one_fails_alone() {
    let app = TestApp::demo().await;
    let worker = app.token("wg0101").await;
    let mut reports = tokio::task::JoinSet::new();
    for i in 0..120 {
        let category = if i % 10 == 0 { "9999" } else { "03" };
        let body = json!({"category": category, "title": format!("并发上报{i}"), "description": "并发上报测试", "node_code": "450802001001001"});
        let request = app
            .client
            .post(format!("{}/api/v1/cases", app.base))
            .bearer_auth(&worker)
            .json(&body);
        reports.spawn(async move { request.send().await.map(|r| r.status()) });
    }
    let statuses: Vec<StatusCode> = reports
        .join_all()
        .await
        .into_iter()
        .map(|r| r.expect("request"))
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        108
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::BAD_REQUEST)
            .count(),
        12
    );
    let (_, after) = app
        .get(
            "/api/v1/cases?limit=500&q=%E5%B9%B6%E5%8F%91%E4%B8%8A%E6%8A%A5",
            &worker,
        )
        .await;
    assert_eq!(
        after["items"].as_array().unwrap().len(),
        108,
        "exactly the good ones were written"
    );
}

#[tokio::test]
async fn a_grid_worker_resolves_their_own_finding_on_the_spot_and_the_community_checks_it() {
    let app = TestApp::demo().await;
    let (worker, other, officer) = (
        app.token("wg0101").await,
        app.token("wg0102").await,
        app.token("sq01").await,
    );
    let grid = "450802001001001";
    let centre = app.token("zhzx").await;
    let handled = || {
        let (app, centre) = (&app, &centre);
        async move {
            let today = app.today();
            let (_, d) = app
                .get(
                    &format!("/api/v1/dashboard?node={grid}&from={today}&to={today}"),
                    centre,
                )
                .await;
            d["cases"]["handled"].as_i64().unwrap()
        }
    };
    let file = |token: &str, category: &str, title: &str| {
        let body =
            json!({"category": category, "title": title, "description": title, "node_code": grid});
        let token = token.to_owned();
        let app = &app;
        async move {
            let (s, case) = app.post("/api/v1/cases", &token, body).await;
            assert_eq!(s, StatusCode::CREATED, "{case}");
            case["id"].as_i64().unwrap()
        }
    };
    // The version as the finder sees it (another grid's worker sees nothing).
    let resolve = |token: &str, id: i64| {
        let token = token.to_owned();
        let (app, worker) = (&app, &worker);
        async move {
            let body = json!({"action": "resolve", "result": "已当场清理", "version": version(app, worker, id).await});
            act(app, &token, id, body).await
        }
    };
    let before = handled().await;

    let found = file(&worker, "03", "楼道口垃圾堆放").await;
    let (s, body) = resolve(&other, found).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another grid's worker: {body}");
    let (s, out) = resolve(&worker, found).await;
    assert_eq!(s, StatusCode::OK, "{out}");
    assert_eq!(out["stage"], "handled");
    assert_eq!(out["tier"], "grid");
    assert_eq!(out["holder_code"], grid);
    assert_eq!(
        handled().await,
        before + 1,
        "counted as handled in the grid"
    );
    // The community checks it as it checks any grid's work.
    crate::common::step(&app, &officer, found, json!({"action": "verify_pass"})).await;
    let detail: CaseDetail = app
        .get_as(&format!("/api/v1/cases/{found}"), &officer)
        .await;
    let actions: Vec<&str> = detail.timeline.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["report", "resolve", "verify_pass"]);

    // Not on the grid duty list: refused with why; nothing moved.
    let manhole = file(&worker, "0403", "井盖缺失").await;
    let (s, body) = resolve(&worker, manhole).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("网格职责清单"),
        "{body}"
    );
    // Reported by someone else: the worker waits for it to be dispatched.
    let theirs = file(&officer, "03", "绿化带垃圾").await;
    let (s, body) = resolve(&worker, theirs).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");

    // The administrator sets a category to skip 核查 (the command centre may not; an unknown
    // code is 404): such a matter waits only to be closed, and still counts as handled.
    let change = json!({"onsite_check": false});
    let patch = |token: String, code: &'static str| {
        let (app, change) = (&app, change.clone());
        async move {
            app.call(
                reqwest::Method::PATCH,
                &format!("/api/v1/categories/{code}"),
                Some(&token),
                Some(change),
            )
            .await
        }
    };
    let (s, _) = patch(app.token("zhzx").await, "03").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = patch(app.token("admin").await, "99").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, row) = patch(app.token("admin").await, "03").await;
    assert_eq!(
        (s, row["onsite_check"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{row}"
    );
    let (_, list) = app.get("/api/v1/categories", &worker).await;
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "03")
        .unwrap();
    assert_eq!(
        listed["onsite_check"], false,
        "every reader sees it at once"
    );
    let (_, trail) = app
        .get(
            "/api/v1/audit?action=category.change&target=category:03",
            &app.token("sj01").await,
        )
        .await;
    let detail: Value = serde_json::from_str(trail[0]["detail"].as_str().unwrap_or_default())
        .expect("the change is audited");
    assert_eq!(
        detail["onsite_check"],
        json!({"before": true, "after": false})
    );
    let quick = file(&worker, "03", "单元门口杂物").await;
    let (s, out) = resolve(&worker, quick).await;
    assert_eq!(
        (s, out["stage"].as_str()),
        (StatusCode::OK, Some("verified"))
    );
    assert_eq!(handled().await, before + 2);
    crate::common::step(&app, &officer, quick, json!({"action": "close"})).await;
}

#[tokio::test]
async fn the_accepting_level_recategorises_and_routing_and_deadlines_follow() {
    let app = TestApp::demo().await;
    let (worker, leader, officer, centre) = (
        app.token("wg0101").await,
        app.token("wgz01").await,
        app.token("sq01").await,
        app.token("zhzx").await,
    );
    let received = |code: &'static str| {
        let (app, centre) = (&app, &centre);
        async move {
            let today = app.today();
            let (_, d) = app
                .get(
                    &format!("/api/v1/dashboard?node=450802001001&from={today}&to={today}"),
                    centre,
                )
                .await;
            d["categories"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["code"] == code)
                .map_or(0, |c| c["figures"]["received"].as_i64().unwrap())
        }
    };
    let (disputes, hazards) = (received("01").await, received("02").await);
    let (_, case) = app
        .post("/api/v1/cases", &worker, json!({"category": "0102", "title": "消防通道被堵", "description": "3栋消防通道被杂物堵塞", "node_code": "450802001001001"}))
        .await;
    let id = case["id"].as_i64().unwrap();
    assert_eq!(case["tier"], "community", "物业纠纷 goes to the community");
    let change = |token: &str, category: &str, reason: &str| {
        let (app, officer, token) = (&app, &officer, token.to_owned());
        let (category, reason) = (category.to_owned(), reason.to_owned());
        async move {
            let v = version(app, officer, id).await;
            app.post(
                &format!("/api/v1/cases/{id}/category"),
                &token,
                json!({"category": category, "reason": reason, "version": v}),
            )
            .await
        }
    };
    for (token, category, reason, status, code) in [
        (
            &officer,
            "0201",
            " ",
            StatusCode::BAD_REQUEST,
            "reason_required",
        ),
        (
            &officer,
            "02",
            "实为消防隐患",
            StatusCode::BAD_REQUEST,
            "unknown_category",
        ),
        (
            &officer,
            "0102",
            "实为消防隐患",
            StatusCode::BAD_REQUEST,
            "same_category",
        ),
        (
            &worker,
            "0201",
            "实为消防隐患",
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
    ] {
        let (s, body) = change(token, category, reason).await;
        assert_eq!(
            (s, error_code(&body)),
            (status, code),
            "{category} {reason}"
        );
    }
    let (s, moved) = change(&officer, "0201", "实为消防通道堵塞，属网格安全隐患").await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(moved["category_code"], "0201");
    assert_eq!(moved["stage"], "reported");
    assert_eq!(moved["tier"], "grid");
    assert_eq!(moved["holder_code"], "450802001001001");
    // 消防通道堵塞 is accepted within 4 hours, on the natural clock, from the report time.
    let created = moved["created_at"].as_i64().unwrap();
    assert_eq!(
        moved["accept_due"].as_i64().unwrap(),
        created + 4 * 3_600_000
    );
    assert_eq!(moved["clock"], "natural");
    assert_eq!(
        (received("01").await, received("02").await),
        (disputes, hazards + 1),
        "the figures follow the category"
    );
    let detail: CaseDetail = app.get_as(&format!("/api/v1/cases/{id}"), &officer).await;
    let last = detail.timeline.last().unwrap();
    assert_eq!(last.action, "recategorise");
    assert!(last.note.contains("物业纠纷 → 消防通道堵塞") && last.note.contains("网格安全隐患"));
    // The grid now takes it up; once dispatched, the category stays.
    crate::common::step(&app, &leader, id, json!({"action": "accept"})).await;
    crate::common::step(
        &app,
        &leader,
        id,
        json!({"action": "dispatch", "to": "grid"}),
    )
    .await;
    let (s, body) = change(&leader, "0101", "实为邻里纠纷").await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::CONFLICT, "conflict"),
        "{body}"
    );
}
