//! Smart intake: category and department suggestions learned from the district's own closed
//! cases (a person's 改类 is what is learned), shown on the forms and used by the resident
//! page and the 12345 import; the same problem reported through three sources found across
//! categories and merged, every reporter still told.

use crate::api_cases::point_in_own_grid;
use crate::api_hotline::import;
use crate::common::{TestApp, carry_to_closed, step};
use crate::geocode::urlencode;
use crate::pages::{browser_client, logged_in};
use crate::pages_public::{submit, tracking_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A page's HTML, fetched with a logged-in client.
async fn page(c: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let r = c.get(format!("{}{path}", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

/// A 12345 export imported as CSV; the import's answer.
async fn import_csv(app: &TestApp, token: &str, csv: String) -> Value {
    let (s, report) = import(app, token, "text/csv", csv.into_bytes()).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    report
}

async fn suggest(app: &TestApp, token: &str, text: &str) -> Value {
    let (s, v) = app
        .get(&format!("/api/v1/classify?text={}", urlencode(text)), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

fn first(v: &Value) -> &str {
    v["categories"][0]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn suggestions_learn_from_closed_cases_and_a_persons_recategorising_wins() {
    let app = TestApp::demo().await;
    let (admin, centre) = (app.token("admin").await, app.token("zhzx").await);
    let (worker, officer) = (app.token("wg0101").await, app.token("sq01").await);
    let (lon, lat) = point_in_own_grid(&app, &worker).await;
    let asked = "阳台上搭了鸽子笼，鸽子粪便满天飞";

    // Before: nothing the district closed speaks of pigeons.
    let (s, base) = app
        .post("/api/v1/classifier/retrain", &admin, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{base}");
    let before = suggest(&app, &worker, asked).await;
    assert_ne!(first(&before), "03", "{before}");

    // Four pigeon reports filed and closed as 环境卫生, and one filed as 物业纠纷 that the
    // community re-categorised to 环境卫生 before closing it: five cases learned as 03.
    let mut ids = Vec::new();
    for (category, text) in [
        ("03", "楼顶有人养鸽子，鸽子粪便弄脏晾晒的衣服"),
        ("03", "鸽子笼搭在楼道窗外，羽毛和粪便到处都是"),
        ("03", "邻居在天台养了几十只鸽子，气味很大"),
        ("03", "鸽子粪便堆积，楼下车棚脏得不能停车"),
        ("0102", "楼上邻居养鸽子，粪便掉到我家阳台"),
    ] {
        let body = json!({"category": category, "title": text, "description": text, "lon": lon, "lat": lat});
        let (s, c) = app.post("/api/v1/cases", &worker, body).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        ids.push(c["id"].as_i64().unwrap());
    }
    let last = *ids.last().unwrap();
    let version = crate::common::version(&app, &officer, last).await;
    let (s, out) = app
        .post(
            &format!("/api/v1/cases/{last}/category"),
            &officer,
            json!({"category": "03", "reason": "实为环境卫生问题", "version": version}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{out}");
    for id in &ids {
        carry_to_closed(&app, &officer, &worker, *id).await;
    }

    // Only an administrator retrains; the run counts every closed case, ours among them.
    let (s, _) = app
        .post("/api/v1/classifier/retrain", &centre, json!({}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, run) = app
        .post("/api/v1/classifier/retrain", &admin, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{run}");
    assert_eq!(
        run["cases"].as_i64().unwrap() - base["cases"].as_i64().unwrap(),
        5,
        "{base} → {run}"
    );
    let (_, latest) = app.get("/api/v1/classifier", &centre).await;
    assert_eq!(latest["id"], run["id"]);
    let (_, audit) = app
        .get(
            "/api/v1/audit?action=classifier.retrain",
            &app.token("sj01").await,
        )
        .await;
    assert!(audit.to_string().contains("classifier.retrain"), "{audit}");

    let after = suggest(&app, &worker, asked).await;
    assert_eq!(first(&after), "03", "{after}");
    assert!(
        after["words"].to_string().contains("鸽"),
        "the words that weighed most: {after}"
    );
    let guesses = after["categories"].as_array().unwrap();
    assert_eq!(guesses.len(), 3);
    let likely: Vec<f64> = guesses
        .iter()
        .map(|g| g["likelihood"].as_f64().unwrap())
        .collect();
    assert!(
        likely[0] > likely[1] && likely[1] >= likely[2],
        "{likely:?}"
    );
    assert!(after["departments"][0]["likelihood"].as_f64() > Some(0.0));
    assert_eq!(after["learned_from"], run["cases"]);

    // A volunteer suggests nothing; an empty text is a clear 400.
    let (s, _) = app
        .get("/api/v1/classify?text=abc", &app.token("zy01").await)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = app.get("/api/v1/classify?text=%20", &worker).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_text"))
    );
}

#[tokio::test]
async fn the_forms_suggest_and_a_resident_who_does_not_know_the_category_is_still_filed() {
    let app = TestApp::demo_with_registers().await;
    let worker = app.token("wg0101").await;
    // The staff form's look-up, with the session of a logged-in worker: categories and where
    // the typed address lands.
    let (c, _) = logged_in(&app, "wg0101").await;
    let r = c
        .get(format!(
            "{}/cases/new/suggest?text={}&address={}",
            app.base,
            urlencode("巷子里的路灯坏了，晚上一片漆黑"),
            urlencode("东湖社区")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(first(&v), "0402", "{v}");
    assert!(
        v["place"]["code"]
            .as_str()
            .is_some_and(|c| c.starts_with("450802001001")),
        "{v}"
    );
    let html = page(&c, &app, "/cases/new").await;
    assert!(html.contains("id=\"suggest\"") && html.contains("/assets/suggest-"));

    // The resident page's own look-up: categories only.
    let r = app
        .client
        .get(format!(
            "{}/api/v1/public/classify?text={}",
            app.base,
            urlencode("井盖丢了，晚上有人差点掉下去")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v[0]["code"], "0403", "{v}");
    assert!(v.to_string().find("departments").is_none());

    // 不清楚: the report is filed under the likeliest category.
    let resident = browser_client();
    let filed = submit(
        &app,
        &resident,
        &[
            ("category", "auto"),
            ("description", "楼下的路灯坏了一个星期，晚上黑漆漆的"),
        ],
    )
    .await;
    assert_eq!(filed.status(), StatusCode::SEE_OTHER);
    let code = tracking_of(&filed);
    let (_, list) = app
        .get(
            "/api/v1/cases?source=resident_qr&limit=50",
            &app.token("zhzx").await,
        )
        .await;
    let case = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["tracking_code"] == code.as_str())
        .cloned()
        .expect("the resident's case");
    assert_eq!(case["category_code"], "0402", "{case}");
    // Nothing written: asked to write (or send a photo), nothing filed.
    let refused = submit(
        &app,
        &resident,
        &[("category", "auto"), ("description", "")],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("请写几句发生了什么"));

    // An opinion in the box: 转为事件 comes with the likeliest category chosen.
    let r = app
        .client
        .post(format!("{}/api/v1/public/opinions", app.base))
        .json(&json!({"community": "450802001001", "content": "北门那边的路灯坏了一个多月，晚上黑漆漆的"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let (desk, _) = logged_in(&app, "sq01").await;
    let html = page(&desk, &app, "/participation?node=450802001001").await;
    assert!(
        html.contains("<option value=\"0402\" selected>") && html.contains("系统按内容建议"),
        "the opinion's category is suggested"
    );

    // A staff report placed by its typed address alone, and one it cannot place.
    let officer = app.token("sq01").await;
    let (_, people) = app
        .get("/api/v1/residents?node=450802001001&limit=1", &officer)
        .await;
    let address = people[0]["address"].as_str().unwrap().to_owned();
    let node = people[0]["node_code"].as_str().unwrap().to_owned();
    let (s, c) = app
        .post(
            "/api/v1/cases",
            &officer,
            json!({"category": "03", "title": "门口垃圾", "description": "门口垃圾没人清", "address": address}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let placed = c["node_code"].as_str().unwrap();
    assert!(
        placed.len() >= 15 && node.starts_with(placed),
        "{address} → {c}"
    );
    let (s, e) = app
        .post(
            "/api/v1/cases",
            &worker,
            json!({"category": "03", "title": "垃圾", "description": "垃圾没人清", "address": "火星基地1号"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("address_unplaced")),
        "{e}"
    );
}

#[tokio::test]
async fn a_hotline_export_without_categories_is_filed_when_sure_and_waits_for_a_person_when_not() {
    let app = TestApp::demo().await;
    let centre = app.token("zhzx").await;
    let csv = "工单编号,诉求内容,网格编码,来电人\r\n\
               NC-1,巷道路灯连续一周不亮，晚上出行不便，路灯坏了没人修,450802001001001,黄先生\r\n\
               NC-2,有点事想问问,450802001001001,李女士\r\n";
    let report = import_csv(&app, &centre, csv.to_owned()).await;
    assert_eq!(report["imported"], 1, "{report}");
    assert_eq!(report["categorised"][0]["order_no"], "NC-1", "{report}");
    assert_eq!(report["categorised"][0]["category"], "0402", "{report}");
    assert!(report["categorised"][0]["likelihood"].as_f64() >= Some(0.6));
    assert_eq!(report["pending"], json!(["NC-2"]), "{report}");

    // The unsure one waits with its suggestion; the person's category is the one filed.
    let (_, pending) = app.get("/api/v1/hotline/pending", &centre).await;
    let waiting = pending
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["order_no"] == "NC-2")
        .cloned()
        .unwrap();
    assert!(
        waiting["category_likelihood"].as_f64() < Some(0.6),
        "{waiting}"
    );
    let (s, placed) = app
        .post(
            &format!("/api/v1/hotline/pending/{}/place", waiting["id"]),
            &centre,
            json!({"node": "450802001001001", "category": "0702"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{placed}");
    let (_, case) = app
        .get(&format!("/api/v1/cases/{}", placed["case_id"]), &centre)
        .await;
    assert_eq!(case["case"]["category_code"], "0702");

    // 我的待办 counts what waits, and the queue offers the address's grids in one click.
    let (c, _) = logged_in(&app, "zhzx").await;
    let csv = "工单编号,诉求内容,地址\r\nNC-3,有点事想问问,东湖社区\r\n";
    import_csv(&app, &centre, csv.to_owned()).await;
    let todo = page(&c, &app, "/todo").await;
    assert!(todo.contains("id=\"todo-unplaced\""), "{todo}");
    let queue = page(&c, &app, "/cases/import").await;
    assert!(
        queue.contains("系统按内容判断可能是："),
        "the three likeliest shown"
    );
    assert!(
        queue.contains("name=\"node\" value=\"450802001001"),
        "one-click choices"
    );
}

#[tokio::test]
async fn one_problem_reported_three_ways_is_found_across_categories_and_merged() {
    let app = TestApp::demo().await;
    let (worker, officer) = (app.token("wg0101").await, app.token("sq01").await);
    let centre = app.token("zhzx").await;
    let (lon, lat) = point_in_own_grid(&app, &worker).await;
    // A resident (下水道堵塞, with a phone), a 12345 caller (环境卫生) and a patrol (市政设施).
    let resident = browser_client();
    let (lon_s, lat_s) = (lon.to_string(), (lat + 0.0003).to_string());
    let filed = submit(
        &app,
        &resident,
        &[
            ("category", "0401"),
            ("description", "3栋楼下下水道堵塞，污水漫到路面"),
            ("phone", "13877510077"),
            ("lon", &lon_s),
            ("lat", &lat_s),
        ],
    )
    .await;
    assert_eq!(filed.status(), StatusCode::SEE_OTHER);
    let (s, patrol) = app
        .post(
            "/api/v1/cases",
            &worker,
            json!({"category": "04", "title": "3栋污水漫溢", "description": "巡查发现3栋楼下污水漫溢，下水道堵塞", "lon": lon, "lat": lat}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{patrol}");
    let csv = format!(
        "工单编号,事项类别,诉求内容,经度,纬度,来电人\r\nDUP-1,环境卫生,来电人反映3栋楼下下水道堵了，污水漫出来很臭,{lon},{},张先生\r\n",
        lat - 0.0003
    );
    let report = import_csv(&app, &centre, csv).await;
    let hotline = report["case_ids"][0].as_i64().unwrap();
    let (_, dups) = app
        .get(&format!("/api/v1/cases/{hotline}/duplicates"), &officer)
        .await;
    let dups = dups.as_array().unwrap();
    let sources: Vec<&str> = dups.iter().filter_map(|d| d["source"].as_str()).collect();
    assert!(
        sources.contains(&"resident_qr") && sources.contains(&"grid_patrol"),
        "{dups:?}"
    );
    assert!(dups.iter().any(|d| d["id"] == patrol["id"]));
    for d in dups {
        let why = d["why"].as_str().unwrap();
        assert!(why.contains("文字相似") && why.contains("相距"), "{why}");
    }
    // Both merged into the 12345 case (the command centre holds the district's matters):
    // one problem, three reports.
    for d in dups {
        let id = d["id"].as_i64().unwrap();
        step(
            &app,
            &centre,
            id,
            json!({"action": "merge", "into": hotline, "reason": "同一处下水道"}),
        )
        .await;
    }
    let (c, _) = logged_in(&app, "sq01").await;
    let html = page(&c, &app, &format!("/cases/{hotline}")).await;
    assert!(html.contains("同一问题共 3 次反映"), "{html}");
    // The resident is told of the surviving case's steps, under their own tracking code.
    carry_to_closed(&app, &officer, &worker, hotline).await;
    let done = app.texted("13877510077", "已办结").await;
    assert!(done.contains(&tracking_of(&filed)), "{done}");
}

#[tokio::test]
async fn the_dispatch_desk_comes_with_the_department_that_handled_such_cases() {
    let app = TestApp::demo().await;
    let (worker, centre) = (app.token("wg0101").await, app.token("zhzx").await);
    let (lon, lat) = point_in_own_grid(&app, &worker).await;
    let (s, c) = app
        .post(
            "/api/v1/cases",
            &worker,
            json!({"category": "0402", "title": "路灯不亮", "description": "巷道路灯连续一周不亮，晚上出行不便", "lon": lon, "lat": lat}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    step(&app, &centre, id, json!({"action": "accept"})).await;
    let (desk, _) = logged_in(&app, "zhzx").await;
    let html = page(&desk, &app, &format!("/cases/{id}")).await;
    assert!(html.contains("id=\"suggested-department\""), "{html}");
    let chosen = html
        .split(" selected>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_default();
    assert!(chosen.contains("城市管理"), "preselected: {chosen}");

    // A description longer than the suggestions read still opens at the dispatch desk.
    let long = "巷道路灯不亮，".repeat(500);
    let (s, c) = app
        .post(
            "/api/v1/cases",
            &worker,
            json!({"category": "0402", "title": "路灯不亮", "description": long, "lon": lon, "lat": lat}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    step(&app, &centre, id, json!({"action": "accept"})).await;
    let html = page(&desk, &app, &format!("/cases/{id}")).await;
    assert!(html.contains("id=\"suggested-department\""));
}
