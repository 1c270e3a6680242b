//! The monthly assessment over the API: residents rate their grid worker once a month per
//! phone, the community enters peer and organisation evaluations, and the scores, places and
//! 红旗网格员 come out the same on every recompute.

use crate::common::{TestApp, error_code};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const GRID: &str = "450802001001001";

fn this_month(app: &TestApp) -> String {
    app.today().to_string()[..7].to_owned()
}

fn mine(a: &Value, id: i64) -> Value {
    a["workers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["account_id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("worker {id} in {a}"))
}

#[tokio::test]
async fn ratings_and_evaluations_make_a_reproducible_ranked_score() {
    let app = TestApp::demo().await;
    let worker = app.token("wg0101").await;
    let (_, me) = app.get("/api/v1/me", &worker).await;
    let id = me["id"].as_i64().unwrap();
    let officer = app.token("sq01").await;
    let month = this_month(&app);

    // Residents rate from the grid's public page with a code texted to their phone: once
    // per phone per month.
    let url = format!("/api/v1/public/grids/{GRID}/ratings");
    let codes = format!("/api/v1/public/grids/{GRID}/ratings/codes");
    let rating = |phone: &str, code: &str, stars: i64| json!({"worker": id, "phone": phone, "code": code, "stars": stars, "comment": "很负责"});
    let code_for = |phone: &'static str| {
        let (app, codes) = (&app, codes.clone());
        async move {
            let (s, b) = app
                .call(Method::POST, &codes, None, Some(json!({"phone": phone})))
                .await;
            assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
            app.code_sent_to(&phone.replace(' ', ""))
        }
    };
    let (s, e) = app
        .call(
            Method::POST,
            &url,
            None,
            Some(rating("13877510001", "000000", 5)),
        )
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_code"),
        "no rating without the phone's code"
    );
    let code = code_for("13877510001").await;
    let (s, b) = app
        .call(
            Method::POST,
            &url,
            None,
            Some(rating("13877510001", &code, 5)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let code = code_for("138 7751 0001").await;
    let (s, e) = app
        .call(
            Method::POST,
            &url,
            None,
            Some(rating("138 7751 0001", &code, 1)),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "the same phone again: {e}");
    let code = code_for("13977580002").await;
    let (s, _) = app
        .call(
            Method::POST,
            &codes,
            None,
            Some(json!({"phone": "13977580002"})),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::TOO_MANY_REQUESTS,
        "one code a minute per phone"
    );
    let (s, _) = app
        .call(
            Method::POST,
            &url,
            None,
            Some(rating("13977580002", &code, 3)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    for (body, status, code) in [
        (
            rating("13977580003", "000000", 6),
            StatusCode::BAD_REQUEST,
            "invalid_stars",
        ),
        (
            rating("12345", "000000", 4),
            StatusCode::BAD_REQUEST,
            "invalid_phone",
        ),
    ] {
        let (s, e) = app.call(Method::POST, &url, None, Some(body)).await;
        assert_eq!((s, error_code(&e)), (status, code));
    }
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/public/grids/450802001002001/ratings",
            None,
            Some(rating("13977580004", "000000", 4)),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "not a worker of that grid");

    // The community enters peer and organisation evaluations; workers cannot.
    let eval = format!("/api/v1/assessment/workers/{id}");
    for (kind, score) in [("peer", 90.0), ("org", 95.0)] {
        let (s, b) = app
            .call(
                Method::PUT,
                &eval,
                Some(&officer),
                Some(json!({"month": month, "kind": kind, "score": score})),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    }
    let (s, e) = app
        .call(
            Method::PUT,
            &eval,
            Some(&officer),
            Some(json!({"month": month, "kind": "org", "score": 120})),
        )
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_score")
    );
    let (s, _) = app
        .call(
            Method::PUT,
            &eval,
            Some(&worker),
            Some(json!({"month": month, "kind": "peer", "score": 100})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .call(
            Method::PUT,
            &eval,
            Some(&officer),
            Some(json!({"month": "2999-01", "kind": "peer", "score": 80})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a future month");

    let (s, a) = app
        .get(
            &format!("/api/v1/assessment?node=450802001001&month={month}"),
            &officer,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let w = mine(&a, id);
    assert_eq!(w["evaluations"]["mass_stars"], 4.0);
    assert_eq!(w["evaluations"]["mass_count"], 2);
    assert_eq!(
        (
            w["evaluations"]["peer"].as_f64(),
            w["evaluations"]["org"].as_f64()
        ),
        (Some(90.0), Some(95.0))
    );
    let parts = w["score"]["parts"].as_array().unwrap();
    let mass = parts.iter().find(|p| p["name"] == "群众评价").unwrap();
    assert_eq!(mass["score"], 75.0);
    // The total is the weighted mean of the parts that have data.
    let (sum, weight) = parts
        .iter()
        .filter_map(|p| {
            Some((
                p["score"].as_f64()? * p["weight"].as_f64()?,
                p["weight"].as_f64()?,
            ))
        })
        .fold((0.0, 0.0), |(a, b), (s, w)| (a + s, b + w));
    let total = w["score"]["total"].as_f64().unwrap();
    assert!(
        (total - (sum / weight * 10.0).round() / 10.0).abs() < 1e-9,
        "{w}"
    );

    // Places follow the totals; the 红旗网格员 is first and above the bar; recompute agrees.
    let workers = a["workers"].as_array().unwrap();
    assert!(workers.len() >= 8, "every grid worker of the community");
    for pair in workers.windows(2) {
        assert!(pair[0]["score"]["total"].as_f64() >= pair[1]["score"]["total"].as_f64());
    }
    for w in workers {
        if w["red_flag"] == true {
            assert_eq!(w["community_place"], 1);
            assert!(w["score"]["total"].as_f64().unwrap() >= 80.0);
        }
    }
    let (_, again) = app
        .get(
            &format!("/api/v1/assessment?node=450802001001&month={month}"),
            &officer,
        )
        .await;
    assert_eq!(a, again);

    // Out of scope: another community's officer does not find the worker.
    let (s, _) = app
        .get(
            &format!("/api/v1/assessment?node=450802001001&month={month}"),
            &app.token("wg0201").await,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_district_sets_its_weights_and_the_scores_follow() {
    let app = TestApp::demo().await;
    let centre = app.token("zhzx").await;
    // Yesterday's month always has a finished day, so every worker has patrol coverage (zero
    // without patrols) to score.
    let month = app.today().plus(-1).to_string()[..7].to_owned();
    let url = "/api/v1/assessment/weights?node=450802";
    let (s, w) = app.get(url, &centre).await;
    assert_eq!(
        (s, w["patrol"].as_f64()),
        (StatusCode::OK, Some(20.0)),
        "{w}"
    );

    // Only patrols count: every worker's total is their patrol part, wherever it has data.
    let patrol_only = json!({"found": 0, "on_time": 0, "patrol": 100, "visits": 0, "satisfaction": 0,
        "mass": 0, "peer": 0, "org": 0, "found_target": 4});
    let put = |token: &str, url: &str, body: Value| {
        let (app, token, url) = (&app, token.to_owned(), url.to_owned());
        async move { app.call(Method::PUT, &url, Some(&token), Some(body)).await }
    };
    let mut bad = patrol_only.clone();
    bad["org"] = json!(130);
    let (s, b) = put(&centre, url, bad).await;
    assert_eq!(
        (s, error_code(&b)),
        (StatusCode::BAD_REQUEST, "invalid_weights")
    );
    let (s, b) = put(
        &centre,
        "/api/v1/assessment/weights?node=450802001",
        patrol_only.clone(),
    )
    .await;
    assert_eq!(
        (s, error_code(&b)),
        (StatusCode::BAD_REQUEST, "not_a_district")
    );
    let (s, _) = put(&app.token("sq01").await, url, patrol_only.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = put(&centre, url, patrol_only).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");

    let (s, w) = app.get(url, &centre).await;
    assert_eq!(
        (s, w["patrol"].as_f64(), w["org"].as_f64()),
        (StatusCode::OK, Some(100.0), Some(0.0))
    );
    let (s, a) = app
        .get(
            &format!("/api/v1/assessment?node=450802001&month={month}"),
            &centre,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let workers = a["workers"].as_array().unwrap();
    assert!(!workers.is_empty());
    let mut checked = 0;
    for w in workers {
        let parts = w["score"]["parts"].as_array().unwrap();
        let patrol = parts.iter().find(|p| p["name"] == "巡查覆盖").unwrap();
        assert_eq!(patrol["weight"].as_f64(), Some(100.0), "{w}");
        if let Some(p) = patrol["score"].as_f64() {
            let total = w["score"]["total"].as_f64().unwrap();
            assert!((total - p).abs() < 1e-6, "{total} vs {p}: {w}");
            checked += 1;
        }
    }
    assert!(checked > 0, "some worker has patrol days this month: {a}");
}
