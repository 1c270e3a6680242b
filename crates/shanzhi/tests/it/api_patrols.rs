//! Patrols over the API: a walk with a messy track (out of order, resent, impossible jumps,
//! far outside, vague, before the start), notes, a finding reported as a case, the end, and
//! 一日双巡 coverage — including a patrol never ended.

use crate::api_cases::point_in_own_grid;
use crate::common::{TestApp, error_code, exec_sql};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shanzhi_store::Sql;

const GRID: &str = "450802001001001";
const MIN: i64 = 60_000;

fn today(app: &TestApp) -> String {
    app.today().to_string()
}

/// Moves a patrol's start (and its day) `minutes` into the past.
async fn backdate(app: &TestApp, id: i64, minutes: i64) {
    let started = app.now_ms() - minutes * MIN;
    let day = shanzhi_domain::case::Day::of(started).to_string();
    exec_sql(
        app,
        Sql::new("UPDATE patrols SET started_at = ?, day = ? WHERE id = ?")
            .bind(started)
            .bind(day)
            .bind(id),
    )
    .await;
}

#[tokio::test]
async fn a_patrol_keeps_a_clean_track_from_a_messy_phone_and_files_its_finding() {
    let app = TestApp::demo().await;
    let worker = app.token("wg0101").await;
    let (lon, lat) = point_in_own_grid(&app, &worker).await;

    // Only grid staff patrol, one patrol at a time.
    for who in ["sq01", "zy01"] {
        let (s, e) = app
            .post("/api/v1/patrols", &app.token(who).await, json!({}))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}: {e}");
    }
    let (s, e) = app
        .post(
            "/api/v1/patrols",
            &worker,
            json!({"grid": "450802001001002"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another grid: {e}");
    let (s, p) = app.post("/api/v1/patrols", &worker, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(p["node_code"], GRID);
    let id = p["id"].as_i64().unwrap();
    let (s, e) = app.post("/api/v1/patrols", &worker, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    backdate(&app, id, 60).await;

    // Ten fixes, 30 s apart, walking north 50 m at a time (6 km/h), sent newest first.
    let start = app.now_ms() - 50 * MIN;
    let walk: Vec<Value> = (0..10)
        .rev()
        .map(|i| json!({"t": start + i * 30_000, "lon": lon, "lat": lat + i as f64 * 0.00045, "acc": 8.0}))
        .collect();
    let url = format!("/api/v1/patrols/{id}/fixes");
    let (s, sum) = app.post(&url, &worker, json!(walk)).await;
    assert_eq!(s, StatusCode::OK, "{sum}");
    assert_eq!(
        (sum["new"].as_i64(), sum["kept"].as_i64()),
        (Some(10), Some(10))
    );
    let metres = sum["metres"].as_f64().unwrap();
    assert!((metres - 450.0).abs() < 5.0, "nine steps of 50 m: {metres}");

    // The same batch again (the phone never heard back): nothing new, nothing changes.
    let (_, again) = app.post(&url, &worker, json!(walk)).await;
    assert_eq!(
        (again["new"].as_i64(), again["kept"].as_i64()),
        (Some(0), Some(10))
    );
    assert_eq!(again["metres"].as_f64(), Some(metres));

    // Bad fixes: a cell-tower jump, a fix far outside the grid, a vague one, one from
    // before the start; each left out with its reason, the walk untouched.
    let bad = json!([
        {"t": start + 4 * 30_000 + 5_000, "lon": lon + 0.002, "lat": lat + 4.0 * 0.00045, "acc": 10.0},
        {"t": start + 40 * MIN, "lon": lon + 0.03, "lat": lat, "acc": 10.0},
        {"t": start + 11 * 30_000, "lon": lon, "lat": lat, "acc": 800.0},
        {"t": start - 30 * MIN, "lon": lon, "lat": lat, "acc": 5.0},
    ]);
    let (_, sum) = app.post(&url, &worker, bad).await;
    assert_eq!(
        (sum["kept"].as_i64(), sum["dropped"].as_i64()),
        (Some(10), Some(4)),
        "{sum}"
    );
    assert_eq!(sum["metres"].as_f64(), Some(metres));
    let too_many: Vec<Value> = (0..2_001)
        .map(|i| json!({"t": start + i, "lon": lon, "lat": lat}))
        .collect();
    let (s, e) = app.post(&url, &worker, json!(too_many)).await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "batch_too_large")
    );

    // Only the walker adds to a patrol; outside the grid's community it does not exist.
    let (s, _) = app.post(&url, &app.token("wgz01").await, json!(walk)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .get(&format!("/api/v1/patrols/{id}"), &app.token("wg0201").await)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, d) = app
        .get(&format!("/api/v1/patrols/{id}"), &app.token("sq01").await)
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["track"].as_array().unwrap().len(), 10);
    let reasons: Vec<&str> = d["dropped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(reasons[0].contains("不在巡查起止时间内"), "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.contains("公里/小时")),
        "{reasons:?}"
    );
    assert!(reasons.iter().any(|r| r.contains("精度")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("网格外")), "{reasons:?}");

    // A note, and a finding reported as a case in one step.
    let notes = format!("/api/v1/patrols/{id}/notes");
    let (s, n) = app
        .post(&notes, &worker, json!({"text": "3栋门禁已修复"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{n}");
    let (s, e) = app.post(&notes, &worker, json!({"text": "  "})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    let (_, f) = app
        .post(
            &notes,
            &worker,
            json!({"text": "5栋楼道堆放纸箱，堵塞消防通道", "finding": true, "lon": lon, "lat": lat + 0.0002}),
        )
        .await;
    assert_eq!(f["finding"], true);
    let report = format!("{notes}/{}/case", f["id"]);
    let (s, case) = app
        .post(&report, &worker, json!({"category": "0201"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{case}");
    assert!(
        case["node_code"].as_str().unwrap().starts_with(GRID),
        "{case}"
    );
    assert_eq!(case["source"], "grid_patrol");
    let (s, e) = app
        .post(&report, &worker, json!({"category": "0201"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let (_, d) = app.get(&format!("/api/v1/patrols/{id}"), &worker).await;
    assert_eq!(d["notes"][1]["case_id"], case["id"]);

    // The end, once; afterwards nothing more is added.
    let (s, ended) = app
        .post(
            &format!("/api/v1/patrols/{id}/end"),
            &worker,
            json!({"summary": "巡查 3、5 栋，发现问题 1 件已上报"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{ended}");
    assert_eq!(ended["fixes_kept"], 10);
    assert!(ended["ended_at"].as_i64().is_some());
    let (s, _) = app
        .post(&format!("/api/v1/patrols/{id}/end"), &worker, json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app.post(&notes, &worker, json!({"text": "晚了"})).await;
    assert_eq!(s, StatusCode::CONFLICT);

    // The patrol's day (Beijing; an hour ago may be yesterday): one patrol counted of two,
    // missed only once the day is over.
    let day = ended["day"].as_str().unwrap().to_owned();
    let (s, cov) = app
        .get(
            &format!("/api/v1/patrol-coverage?node=450802001001&from={day}&to={day}"),
            &app.token("sq01").await,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{cov}");
    let mine = cov
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["grid"] == GRID)
        .unwrap();
    assert_eq!(
        (mine["counted"].as_i64(), mine["needed"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(mine["missed"], day != today(&app), "{mine}");
}

#[tokio::test]
async fn a_patrol_never_ended_does_not_count_and_the_day_shows_missed() {
    let app = TestApp::demo().await;
    let worker = app.token("wg0102").await;
    let (_, p) = app.post("/api/v1/patrols", &worker, json!({})).await;
    let id = p["id"].as_i64().unwrap();
    let grid = p["node_code"].as_str().unwrap().to_owned();
    backdate(&app, id, 26 * 60).await;

    let (s, e) = app
        .post(&format!("/api/v1/patrols/{id}/end"), &worker, json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(
        error_code(&e) == "conflict" && e["error"]["message"].as_str().unwrap().contains("12 小时")
    );
    // Starting a new one is allowed: the old one stays unended.
    let (s, _) = app.post("/api/v1/patrols", &worker, json!({})).await;
    assert_eq!(s, StatusCode::CREATED);

    let yesterday = shanzhi_domain::case::Day::of(app.now_ms() - 26 * 60 * MIN).to_string();
    let (_, cov) = app
        .get(
            &format!("/api/v1/patrol-coverage?node={grid}&from={yesterday}&to={yesterday}"),
            &worker,
        )
        .await;
    let day = &cov[0];
    assert_eq!(
        (day["started"].as_i64(), day["counted"].as_i64()),
        (Some(1), Some(0)),
        "{cov}"
    );
    assert_eq!(day["missed"], true);

    // Periods that cannot be answered.
    let tomorrow = app.today().plus(1);
    for (q, code) in [
        (format!("to={tomorrow}"), "future_period"),
        (
            format!("from={}&to={yesterday}", today(&app)),
            "invalid_period",
        ),
        ("from=2026-13-01".to_owned(), "invalid_day"),
        (
            "from=2025-01-01&to=2025-12-31".to_owned(),
            "period_too_long",
        ),
    ] {
        let (s, e) = app
            .get(&format!("/api/v1/patrol-coverage?node={grid}&{q}"), &worker)
            .await;
        assert_eq!((s, error_code(&e)), (StatusCode::BAD_REQUEST, code), "{q}");
    }
}
