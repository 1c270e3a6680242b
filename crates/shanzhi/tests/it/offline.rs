//! 外勤 without a signal, at the HTTP level: what the phone keeps (masked), and queued work sent
//! late — each key applied once, field times counted within their window, a step on a case
//! that moved on refused with how the case stands.

use crate::common::{TestApp, fetch, photo_png, step, version};
use crate::pages::logged_in;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use shanzhi_store::{Exec, Sql};

pub(crate) const GRID: &str = "450802001001001";
const HOUR: i64 = 3_600_000;

/// The app's pack for a signed-in browser: the pack and the form token.
async fn pack(app: &TestApp, c: &reqwest::Client) -> (Value, String) {
    let r = c
        .get(format!("{}/app/pack", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let csrf = body["csrf"].as_str().unwrap().to_owned();
    (body, csrf)
}

/// Sends one queued item as the app does.
async fn send(
    app: &TestApp,
    c: &reqwest::Client,
    csrf: &str,
    (key, made_at): (&str, i64),
    item: Value,
    photo: Option<Vec<u8>>,
) -> (StatusCode, Value) {
    let mut form = Form::new()
        .text("_csrf", csrf.to_owned())
        .text("key", key.to_owned())
        .text("made_at", made_at.to_string())
        .text("item", item.to_string());
    if let Some(bytes) = photo {
        form = form.part("photos", Part::bytes(bytes).file_name("p.png"));
    }
    let r = c
        .post(format!("{}/app/send", app.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn one_i64(app: &TestApp, sql: Sql) -> i64 {
    let mut conn = app.state().store().conn().await.unwrap();
    let (n,): (i64,) = conn.one(sql).await.unwrap();
    n
}

/// A household of the worker's grid whose 独居老人 莫桂英 is due a visit.
pub(crate) async fn due_household(app: &TestApp, worker: &str) -> i64 {
    let (s, h) = app
        .post(
            "/api/v1/households",
            worker,
            json!({"grid": GRID, "building": "金港花园5栋", "address": "港北区金港大道170号",
                   "unit": "2", "floor": 3, "room": "302",
                   "members": [{"name": "莫桂英", "id_number": "450802194402110025", "relation": "户主",
                                "status": "户籍", "tags": "独居老人(重点)"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{h}");
    h["id"].as_i64().unwrap()
}

/// A case of the worker's grid, accepted and dispatched to the grid by the community.
pub(crate) async fn dispatched_case(
    app: &TestApp,
    worker: &str,
    officer: &str,
    title: &str,
) -> i64 {
    let (s, case) = app
        .post(
            "/api/v1/cases",
            worker,
            json!({"category": "03", "title": title, "description": "楼道里堆满纸箱，挡住了消防通道", "node_code": GRID}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{case}");
    let id = case["id"].as_i64().unwrap();
    step(app, officer, id, json!({"action": "accept"})).await;
    step(
        app,
        officer,
        id,
        json!({"action": "dispatch", "to": "grid"}),
    )
    .await;
    id
}

#[tokio::test]
async fn queued_work_is_applied_once_and_counts_from_when_it_was_made() {
    let app = TestApp::demo().await;
    let (wg, sq) = (app.token("wg0101").await, app.token("sq01").await);
    let household = due_household(&app, &wg).await;
    let case = dispatched_case(&app, &wg, &sq, "金港花园井盖松动").await;

    // What the phone keeps: the case with the steps it may take, the resident masked.
    let (c, _) = logged_in(&app, "wg0101").await;
    let (body, csrf) = pack(&app, &c).await;
    let text = body.to_string();
    assert!(!text.contains("莫桂英"), "names leave masked: {text}");
    let p = &body["pack"];
    let kept = p["cases"].as_array().unwrap();
    let mine = kept.iter().find(|k| k["id"] == case).expect("the case");
    assert_eq!(mine["actions"], json!(["start"]));
    let due = p["visits"].as_array().unwrap();
    assert!(
        due.iter()
            .any(|v| v["household_id"] == household && v["name"] == "莫*英"),
        "{due:?}"
    );
    assert_eq!(p["grid"]["code"], GRID);
    assert!(!p["grid"]["rings"][0].as_array().unwrap().is_empty());

    // Three hours pass; what was done an hour after the dispatch arrives now.
    let dispatched = app.now_ms();
    app.state().clock().advance(3 * HOUR);
    let made = dispatched + HOUR;
    let start =
        json!({"kind": "step", "case_id": case, "version": mine["version"], "action": "start"});
    for replay in [false, true] {
        let (s, out) = send(
            &app,
            &c,
            &csrf,
            ("k-start-0000000000001", made),
            start.clone(),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{out}");
        assert_eq!(out["replayed"], replay);
        assert_eq!(out["receipt"]["counted_at"], made);
        assert_eq!(out["receipt"]["target_id"], case);
    }
    let starts = one_i64(
        &app,
        Sql::new(
            "SELECT COUNT(*) FROM case_events WHERE case_id = ? AND action = 'start' AND at = ?",
        )
        .bind(case)
        .bind(made),
    )
    .await;
    assert_eq!(starts, 1, "one start, at the field time");

    // A visit made two hours ago, sent twice: one visit, on the day it was made.
    let visit = json!({"kind": "visit", "household_id": household, "purpose": "关爱走访", "notes": "身体还好，药已按时吃"});
    let made_visit = app.now_ms() - 2 * HOUR;
    for _ in 0..2 {
        let (s, out) = send(
            &app,
            &c,
            &csrf,
            ("k-visit-0000000000001", made_visit),
            visit.clone(),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{out}");
    }
    let (_, visits) = app
        .get(&format!("/api/v1/visits?household={household}"), &wg)
        .await;
    let visits = visits.as_array().unwrap();
    assert_eq!(visits.len(), 1, "{visits:?}");
    let day = shanzhi_domain::case::Day::of(made_visit).to_string();
    assert_eq!(visits[0]["day"], day.as_str());

    // A report with a photo made half an hour ago: its deadlines run from then.
    let made_report = app.now_ms() - HOUR / 2;
    let report = json!({"kind": "report", "category": "0403", "title": "路灯不亮",
                        "description": "5栋旁路灯整晚不亮", "node_code": GRID});
    let (s, out) = send(
        &app,
        &c,
        &csrf,
        ("k-report-000000000001", made_report),
        report.clone(),
        Some(photo_png(800, 600)),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{out}");
    let filed = out["receipt"]["target_id"].as_i64().unwrap();
    let (s, again) = send(
        &app,
        &c,
        &csrf,
        ("k-report-000000000001", made_report),
        report,
        Some(photo_png(800, 600)),
    )
    .await;
    assert_eq!(
        (s, again["receipt"]["target_id"].as_i64()),
        (StatusCode::OK, Some(filed))
    );
    let reported_at = one_i64(
        &app,
        Sql::new("SELECT created_at FROM cases WHERE id = ?").bind(filed),
    )
    .await;
    assert_eq!(reported_at, made_report);
    let photos = one_i64(
        &app,
        Sql::new("SELECT COUNT(*) FROM case_photos WHERE case_id = ?").bind(filed),
    )
    .await;
    assert_eq!(photos, 1);
    let receipts = one_i64(
        &app,
        Sql::new("SELECT COUNT(*) FROM field_receipts WHERE arrived_at > made_at"),
    )
    .await;
    assert_eq!(receipts, 3, "each item once, with both its times");

    // A phone clock far ahead, or a week-old item: recorded, but counted from arrival.
    let ahead = app.now_ms() + 3 * HOUR;
    let (s, out) = send(&app, &c, &csrf, ("k-ahead-0000000000001", ahead), json!({"kind": "report", "category": "0403", "title": "井盖", "description": "井盖缺失", "node_code": GRID}), None).await;
    assert_eq!(s, StatusCode::OK, "{out}");
    assert_eq!(out["receipt"]["set_aside"], "future");
    assert_eq!(out["receipt"]["made_at"], ahead);
    assert!(out["receipt"]["counted_at"].as_i64().unwrap() < ahead);
    assert!(
        out["said"].as_str().unwrap().contains("按送达时间记"),
        "{out}"
    );

    // Bad items are refused plainly.
    let (s, out) = send(&app, &c, &csrf, ("short", made), start.clone(), None).await;
    assert_eq!(
        (s, out["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_key"))
    );
    let (s, out) = send(
        &app,
        &c,
        &csrf,
        ("k-odd-00000000000001", made),
        json!({"kind": "dance"}),
        None,
    )
    .await;
    assert_eq!(
        (s, out["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_item"))
    );
}

#[tokio::test]
async fn a_step_on_a_case_that_moved_on_is_refused_with_how_it_stands() {
    let app = TestApp::demo().await;
    let (wg, sq) = (app.token("wg0101").await, app.token("sq01").await);
    let case = dispatched_case(&app, &wg, &sq, "楼道堆放杂物").await;
    let (c, _) = logged_in(&app, "wg0101").await;
    let (body, csrf) = pack(&app, &c).await;
    let seen = body["pack"]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == case)
        .map(|k| k["version"].clone())
        .unwrap();

    // Meanwhile the worker started it from another phone and handled it.
    step(&app, &wg, case, json!({"action": "start"})).await;
    step(
        &app,
        &wg,
        case,
        json!({"action": "handle", "result": "已清理"}),
    )
    .await;
    let now = version(&app, &wg, case).await;
    let item = json!({"kind": "step", "case_id": case, "version": seen, "action": "start"});
    let (s, out) = send(
        &app,
        &c,
        &csrf,
        ("k-late-000000000000001", app.now_ms() - 60_000),
        item,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{out}");
    let said = out["error"]["message"].as_str().unwrap();
    assert!(
        said.contains("已变为「办结」") && said.contains("无需再处理"),
        "{said}"
    );
    assert_eq!(
        version(&app, &wg, case).await,
        now,
        "nothing applied on top"
    );
    let receipts = one_i64(&app, Sql::new("SELECT COUNT(*) FROM field_receipts")).await;
    assert_eq!(receipts, 0);
}

#[tokio::test]
async fn the_app_is_installable_from_its_own_origin() {
    let app = TestApp::demo().await;
    let (c, _) = logged_in(&app, "wg0101").await;
    let (_, html) = fetch(&app, &c, "/app").await;
    assert!(html.contains("rel=\"manifest\""), "{html}");
    let manifest: Value = c
        .get(format!("{}/manifest.webmanifest", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(manifest["name"], "善治外勤");
    assert_eq!(manifest["display"], "standalone");
    for icon in manifest["icons"].as_array().unwrap() {
        let src = format!("{}/{}", app.base, icon["src"].as_str().unwrap());
        let bytes = c.get(&src).send().await.unwrap().bytes().await.unwrap();
        let img = image::load_from_memory(&bytes).expect("a PNG icon");
        assert_eq!(
            format!("{}x{}", img.width(), img.height()),
            icon["sizes"].as_str().unwrap()
        );
    }
    let (_, sw) = fetch(&app, &c, "/sw.js").await;
    assert!(
        sw.contains("\"/app\"") && !sw.contains("__PRECACHE__"),
        "{sw}"
    );
    assert!(
        !sw.contains("http://") && !sw.contains("https://"),
        "nothing from elsewhere"
    );

    // Logging out asks the browser to forget what the app kept.
    let todo = c
        .get(format!("{}/todo", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::pages::csrf_of(&todo);
    let r = c
        .post(format!("{}/logout", app.base))
        .form(&[("_csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["clear-site-data"], "\"cache\", \"storage\"");
    // The copy is not handed to a signed-out browser.
    let r = c
        .get(format!("{}/app/pack", app.base))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
}
