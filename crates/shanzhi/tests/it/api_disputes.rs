//! Dispute mediation over the API: parties and mediators, sittings, the outcome once, follow-up
//! after it, and the success rate by area.

use crate::common::{TestApp, act, error_code, version};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A case of `category` in 东湖社区第一网格, being handled by its grid worker.
async fn handled_by_grid(app: &TestApp, category: &str, title: &str) -> i64 {
    let (worker, leader) = (app.token("wg0101").await, app.token("wgz01").await);
    let (s, case) = app
        .post("/api/v1/cases", &worker, json!({"category": category, "title": title, "description": title, "node_code": "450802001001001"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{case}");
    let id = case["id"].as_i64().unwrap();
    for (token, mut body) in [
        (&leader, json!({"action": "accept"})),
        (&leader, json!({"action": "dispatch", "to": "grid"})),
        (&worker, json!({"action": "start"})),
    ] {
        body["version"] = json!(version(app, token, id).await);
        let (s, out) = act(app, token, id, body).await;
        assert_eq!(s, StatusCode::OK, "{out}");
    }
    id
}

fn facts() -> Value {
    json!({
        "amount_yuan": 800.5,
        "parties": [
            {"name": "张建国", "side": "applicant", "note": "3栋402住户"},
            {"name": "李桂芳", "side": "respondent", "note": "3栋502住户"}
        ],
        "mediators": [
            {"kind": "grid_worker", "name": "韦小燕"},
            {"kind": "peoples_mediator", "name": "黄德明"},
            {"kind": "community_police", "name": "覃警官"}
        ]
    })
}

#[tokio::test]
async fn a_neighbour_dispute_is_mediated_settled_and_followed_up() {
    let app = TestApp::demo().await;
    let id = handled_by_grid(&app, "0101", "楼上漏水纠纷").await;
    let worker = app.token("wg0101").await;
    let url = |tail: &str| format!("/api/v1/cases/{id}/dispute{tail}");

    let (s, e) = app
        .post(
            &url("/sessions"),
            &worker,
            json!({"place": "调解室", "notes": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "facts first: {e}");
    let mut bad = facts();
    bad["parties"][1]["side"] = json!("enemy");
    let (s, e) = app
        .call(Method::PUT, &url(""), Some(&worker), Some(bad))
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_side")
    );
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("第 2 位当事人")
    );
    let (s, d) = app
        .call(Method::PUT, &url(""), Some(&worker), Some(facts()))
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(
        d["dispute"]["dispute_type"], "邻里纠纷",
        "the category names the type"
    );
    assert_eq!(d["dispute"]["amount_cents"], 80050);
    assert_eq!(d["mediators"].as_array().unwrap().len(), 3);

    let (s, e) = app
        .post(
            &url("/outcome"),
            &worker,
            json!({"result": "settled", "agreement": "李桂芳承担维修费 800 元"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "no outcome without a sitting: {e}");
    let (s, e) = app
        .post(
            &url("/sessions"),
            &worker,
            json!({"place": "社区调解室", "notes": "  "}),
        )
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_field")
    );
    let (s, e) = app
        .post(
            &url("/sessions"),
            &worker,
            json!({"place": "社区调解室", "notes": "x", "held_at": 4_000_000_000_000i64}),
        )
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_time")
    );
    let (s, d) = app
        .post(
            &url("/sessions"),
            &worker,
            json!({"place": "社区调解室", "notes": "双方到场，查明漏水点在502卫生间防水层"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let (s, e) = app
        .post(
            &url("/followups"),
            &worker,
            json!({"note": "x", "stable": true}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "follow-up comes after the outcome: {e}"
    );
    let (s, e) = app
        .post(
            &url("/outcome"),
            &worker,
            json!({"result": "settled", "agreement": ""}),
        )
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "reason_required")
    );
    let (s, d) = app
        .post(
            &url("/outcome"),
            &worker,
            json!({"result": "settled", "agreement": "李桂芳承担维修费 800 元，十日内修复防水层"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["dispute"]["outcome"], "settled");
    let (s, _) = app
        .post(
            &url("/outcome"),
            &worker,
            json!({"result": "referred", "referral": "court", "reason": "反悔"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "the outcome is recorded once");

    // Handled and closed, the dispute is still followed up.
    let v = version(&app, &worker, id).await;
    act(
        &app,
        &worker,
        id,
        json!({"action": "handle", "result": "调解成功，已签协议", "version": v}),
    )
    .await;
    let (s, d) = app
        .post(
            &url("/followups"),
            &worker,
            json!({"note": "一周后回访，防水已修复，双方和睦", "stable": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["followups"][0]["stable"], true);

    let (_, t) = app.get(&format!("/api/v1/cases/{id}"), &worker).await;
    let actions: Vec<&str> = t["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "dispute",
        "mediation",
        "mediation_outcome",
        "dispute_follow_up",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    let (_, e) = app
        .get(
            &format!("/api/v1/cases/{id}/dispute"),
            &app.token("wg0201").await,
        )
        .await;
    assert_eq!(error_code(&e), "not_found", "another grid does not see it");
}

#[tokio::test]
async fn only_disputes_are_mediated_and_the_success_rate_counts_outcomes_by_area() {
    let app = TestApp::demo().await;
    let hazard = handled_by_grid(&app, "0201", "楼道堆物").await;
    let worker = app.token("wg0101").await;
    let (s, e) = app
        .call(
            Method::PUT,
            &format!("/api/v1/cases/{hazard}/dispute"),
            Some(&worker),
            Some(facts()),
        )
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "not_a_dispute")
    );

    let officer = app.token("sq01").await;
    let (_, before) = app
        .get("/api/v1/disputes/success-rate?node=450802001001", &officer)
        .await;
    let count = |v: &Value, key: &str| v[0][key].as_i64().unwrap();
    let (settled0, referred0) = (count(&before, "settled"), count(&before, "referred"));

    for (title, outcome) in [
        (
            "噪音纠纷",
            json!({"result": "settled", "agreement": "晚十点后不再拖动家具"}),
        ),
        (
            "漏水纠纷",
            json!({"result": "referred", "referral": "justice_office", "reason": "赔偿金额分歧大"}),
        ),
    ] {
        let id = handled_by_grid(&app, "0101", title).await;
        let url = format!("/api/v1/cases/{id}/dispute");
        app.call(Method::PUT, &url, Some(&worker), Some(facts()))
            .await;
        app.post(
            &format!("{url}/sessions"),
            &worker,
            json!({"place": "当事人家中", "notes": "面对面调解"}),
        )
        .await;
        let (s, d) = app.post(&format!("{url}/outcome"), &worker, outcome).await;
        assert_eq!(s, StatusCode::OK, "{d}");
    }
    let (s, rates) = app
        .get("/api/v1/disputes/success-rate?node=450802001001", &officer)
        .await;
    assert_eq!(s, StatusCode::OK, "{rates}");
    assert_eq!(rates[0]["node_code"], "450802001001");
    assert_eq!(
        (count(&rates, "settled"), count(&rates, "referred")),
        (settled0 + 1, referred0 + 1)
    );
    let grid = rates
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["node_code"] == "450802001001001")
        .unwrap();
    assert!(
        grid["settled"].as_i64().unwrap() >= 1 && grid["success_rate"].as_f64().is_some(),
        "{grid}"
    );

    let (s, e) = app
        .get(
            "/api/v1/disputes/success-rate?node=450802001001&from=2026-13-01",
            &officer,
        )
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_day")
    );
    let (s, _) = app
        .get("/api/v1/disputes/success-rate?node=450802002", &officer)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another street is out of scope");
}

#[tokio::test]
async fn the_demo_district_has_mediated_disputes() {
    let app = TestApp::demo().await;
    let centre = app.token("zhzx").await;
    let from = shanzhi_domain::case::Day::of(app.now_ms() - 90 * 86_400_000).to_string();
    let (s, rates) = app
        .get(
            &format!("/api/v1/disputes/success-rate?from={from}"),
            &centre,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{rates}");
    assert_eq!(rates[0]["node_code"], "450802");
    assert!(rates[0]["settled"].as_i64().unwrap() > 0, "{rates}");
    assert!(
        rates.as_array().unwrap().len() > 1,
        "broken down by street: {rates}"
    );
}
