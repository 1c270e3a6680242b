//! Deadlines over the API: the working-day calendar, extension and suspension approved by the
//! level above, the clock standing still while suspended.

use crate::common::{TestApp, act, error_code, exec_sql, version};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shanzhi_store::Sql;

const HOUR: i64 = 3_600_000;

/// A fire-lane case in 东湖社区第一网格, being handled by its grid worker.
async fn case_in_progress(app: &TestApp) -> i64 {
    let (worker, leader) = (app.token("wg0101").await, app.token("wgz01").await);
    let (s, case) = app
        .post("/api/v1/cases", &worker, json!({"category": "0201", "title": "消防通道堵塞", "description": "5栋门前电动车堵塞消防通道", "node_code": "450802001001001"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{case}");
    let id = case["id"].as_i64().unwrap();
    for (token, body) in [
        (&leader, json!({"action": "accept"})),
        (&leader, json!({"action": "dispatch", "to": "grid"})),
        (&worker, json!({"action": "start"})),
    ] {
        let mut body = body;
        body["version"] = json!(version(app, token, id).await);
        let (s, out) = act(app, token, id, body).await;
        assert_eq!(s, StatusCode::OK, "{out}");
    }
    id
}

async fn case_of(app: &TestApp, token: &str, id: i64) -> Value {
    app.get(&format!("/api/v1/cases/{id}"), token).await.1["case"].clone()
}

#[tokio::test]
async fn an_extension_is_asked_by_the_handler_and_granted_by_the_level_above() {
    let app = TestApp::demo().await;
    let id = case_in_progress(&app).await;
    let (worker, officer) = (app.token("wg0101").await, app.token("sq01").await);
    let before = case_of(&app, &worker, id).await["handle_due"]
        .as_i64()
        .unwrap();
    let url = format!("/api/v1/cases/{id}/requests");

    let (s, e) = app
        .post(
            &url,
            &worker,
            json!({"kind": "extend", "reason": "等待物业配合"}),
        )
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "hours_required")
    );
    let (s, e) = app
        .post(
            &url,
            &worker,
            json!({"kind": "extend", "hours": 241, "reason": "x"}),
        )
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_hours")
    );
    let (s, e) = app
        .post(
            &url,
            &officer,
            json!({"kind": "extend", "hours": 24, "reason": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only the handler asks: {e}");

    let (s, r) = app
        .post(
            &url,
            &worker,
            json!({"kind": "extend", "hours": 24, "reason": "等待物业配合"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["approved"], Value::Null);
    let (s, e) = app
        .post(
            &url,
            &worker,
            json!({"kind": "suspend", "reason": "再来一个"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "one pending request at a time: {e}"
    );

    let decision = format!("/api/v1/cases/{id}/requests/decision");
    let (s, _) = app.post(&decision, &worker, json!({"approve": true})).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "the handler does not approve its own request"
    );
    let (s, e) = app
        .post(&decision, &officer, json!({"approve": false}))
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "reason_required")
    );
    let (s, c) = app
        .post(
            &decision,
            &officer,
            json!({"approve": true, "note": "同意"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    // 0201 runs on the natural clock: exactly 24 hours more.
    assert_eq!(c["handle_due"].as_i64().unwrap(), before + 24 * HOUR);
    assert_eq!(c["extensions"], 1);
    let (s, _) = app
        .post(&decision, &officer, json!({"approve": true}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing left to decide");

    // A second extension, refused; a third request is still possible (two granted at most).
    app.post(
        &url,
        &worker,
        json!({"kind": "extend", "hours": 8, "reason": "雨天"}),
    )
    .await;
    let (s, c) = app
        .post(
            &decision,
            &officer,
            json!({"approve": false, "note": "请加快处置"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        c["handle_due"].as_i64().unwrap(),
        before + 24 * HOUR,
        "refused: unchanged"
    );
    let (_, list) = app.get(&url, &officer).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        (list[0]["approved"].as_bool(), list[1]["approved"].as_bool()),
        (Some(true), Some(false))
    );
    let (_, d) = app.get(&format!("/api/v1/cases/{id}"), &officer).await;
    let notes: Vec<&str> = d["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["note"].as_str())
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("申请延期 24 小时")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("不同意延期申请：请加快处置")),
        "{notes:?}"
    );
}

#[tokio::test]
async fn a_suspended_case_is_not_escalated_and_resumes_with_its_time_left() {
    let app = TestApp::demo().await;
    let id = case_in_progress(&app).await;
    let (worker, officer) = (app.token("wg0101").await, app.token("sq01").await);
    let url = format!("/api/v1/cases/{id}/requests");
    let (s, _) = app
        .post(
            &url,
            &worker,
            json!({"kind": "suspend", "reason": "住户外出，联系不上"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, c) = app
        .post(
            &format!("/api/v1/cases/{id}/requests/decision"),
            &officer,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert!(c["suspended_at"].as_i64().is_some());

    // The clock was stopped 10 hours ago with 5 hours left; since then the deadline "passed".
    let now = app.now_ms();
    exec_sql(
        &app,
        Sql::new("UPDATE cases SET suspended_at = ?, handle_due = ? WHERE id = ?")
            .bind(now - 10 * HOUR)
            .bind(now - 5 * HOUR)
            .bind(id),
    )
    .await;
    shanzhi_app::cases::escalate_overdue(app.state())
        .await
        .unwrap();
    let c = case_of(&app, &officer, id).await;
    assert_eq!(
        (c["tier"].as_str(), c["stage"].as_str()),
        (Some("grid"), Some("in_progress")),
        "a stopped clock is never overdue"
    );

    let (s, e) = app
        .post(
            &format!("/api/v1/cases/{id}/resume"),
            &app.token("wg0201").await,
            json!({}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "another grid's worker does not see it: {e}"
    );
    let (s, c) = app
        .post(&format!("/api/v1/cases/{id}/resume"), &worker, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["suspended_at"], Value::Null);
    let due = c["handle_due"].as_i64().unwrap();
    let left = due - app.now_ms();
    assert!(
        (5 * HOUR - 60_000..=5 * HOUR).contains(&left),
        "5 hours left again, got {left} ms"
    );
    let (s, _) = app
        .post(&format!("/api/v1/cases/{id}/resume"), &worker, json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "not suspended any more");
}

#[tokio::test]
async fn handling_a_suspended_case_restarts_its_clock() {
    let app = TestApp::demo().await;
    let id = case_in_progress(&app).await;
    let (worker, officer) = (app.token("wg0101").await, app.token("sq01").await);
    app.post(
        &format!("/api/v1/cases/{id}/requests"),
        &worker,
        json!({"kind": "suspend", "reason": "等待鉴定"}),
    )
    .await;
    app.post(
        &format!("/api/v1/cases/{id}/requests/decision"),
        &officer,
        json!({"approve": true}),
    )
    .await;
    let v = version(&app, &worker, id).await;
    let (s, c) = act(
        &app,
        &worker,
        id,
        json!({"action": "handle", "result": "已清理", "version": v}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(
        (c["stage"].as_str(), &c["suspended_at"]),
        (Some("handled"), &Value::Null)
    );
}

#[tokio::test]
async fn the_calendar_is_kept_by_the_command_centre_and_deadlines_count_working_days() {
    let app = TestApp::demo().await;
    let (admin, worker) = (app.token("admin").await, app.token("wg0101").await);
    let (s, days) = app.get("/api/v1/calendar?year=2026", &worker).await;
    assert_eq!(s, StatusCode::OK);
    let days = days.as_array().unwrap();
    assert!(
        days.iter()
            .any(|d| d["day"] == "2026-10-01" && d["kind"] == "holiday"),
        "China's holidays ship"
    );
    assert!(
        days.iter()
            .any(|d| d["day"] == "2026-10-10" && d["kind"] == "workday"),
        "and the 调休 Saturdays"
    );

    let put = |token: &str, day: &str, body: Value| {
        let (app, token, day) = (&app, token.to_owned(), day.to_owned());
        async move {
            app.call(
                Method::PUT,
                &format!("/api/v1/calendar/{day}"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let (s, _) = put(
        &worker,
        "2026-12-01",
        json!({"kind": "holiday", "name": "x"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The calendar runs every street's deadlines: a street's command centre does not keep it.
    let (s, e) = put(
        &app.token("jd01").await,
        "2026-12-25",
        json!({"kind": "holiday", "name": "x"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, _) = put(
        &app.token("zhzx").await,
        "2031-12-25",
        json!({"kind": "holiday", "name": "测试"}),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "the district's does");
    let (s, e) = put(
        &admin,
        "2026-02-30",
        json!({"kind": "holiday", "name": "x"}),
    )
    .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_day")
    );

    // The next three weeks all become holidays: a working-day matter (养老服务, 24 h to accept)
    // cannot fall due before they are over, a hazard (消防通道, natural clock) still can.
    for d in 0..21 {
        let day = shanzhi_domain::case::Day::of(app.now_ms() + d * 24 * HOUR).to_string();
        let (s, e) = put(&admin, &day, json!({"kind": "holiday", "name": "测试假期"})).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    }
    let report = |category: &str| json!({"category": category, "title": "测试", "description": "测试时限", "node_code": "450802001001001"});
    let (_, care) = app.post("/api/v1/cases", &worker, report("0501")).await;
    assert!(
        care["accept_due"].as_i64().unwrap() > app.now_ms() + 20 * 24 * HOUR,
        "{care}"
    );
    assert_eq!(care["clock"], "working");
    let (_, hazard) = app.post("/api/v1/cases", &worker, report("0201")).await;
    assert!(
        hazard["accept_due"].as_i64().unwrap() < app.now_ms() + 5 * HOUR,
        "{hazard}"
    );

    let today = app.today().to_string();
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/calendar/{today}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/calendar/{today}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
