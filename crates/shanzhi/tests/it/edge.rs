//! The edge: text with control characters is refused before anything is written, on public
//! and staff routes, API and pages alike; every refusal — ours or the framework's — comes in
//! the one shape; numbers out of range are refused with the range.

use crate::common::{TestApp, error_code};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// How many rows `table` holds.
async fn count(app: &TestApp, table: &str) -> i64 {
    let mut conn = app.state().store().conn().await.expect("conn");
    let (n,): (i64,) = shanzhi_store::Exec::one(
        &mut conn,
        shanzhi_store::Sql::new(format!("SELECT COUNT(*) FROM {table}")),
    )
    .await
    .expect("count");
    n
}

#[tokio::test]
async fn control_characters_are_refused_at_the_edge_and_nothing_is_written() {
    let app = TestApp::demo().await;
    let worker = app.token("wg0101").await;
    let (opinions, cases) = (count(&app, "opinions").await, count(&app, "cases").await);
    let c = &app.client;
    let base = &app.base;
    let nul = "楼道\u{0}积水";
    let answers = [
        c.post(format!("{base}/api/v1/public/opinions"))
            .json(&json!({"community": "450802001001", "content": nul})),
        c.post(format!("{base}/api/v1/cases"))
            .bearer_auth(&worker)
            .json(&json!({"category": "03", "title": nul, "description": "x", "node_code": "450802001001001"})),
        c.post(format!("{base}/api/v1/places")).bearer_auth(&worker).json(
            &json!({"grid": "450802001001001", "name": "便利店\u{1b}", "kind": "nine_small"}),
        ),
        c.get(format!("{base}/api/v1/residents?q=%00")).bearer_auth(&worker),
        c.post(format!("{base}/open311/v2/requests.json")).form(&[
            ("api_key", "sz311-demo-450802-gangbei"),
            ("service_code", "03"),
            ("description", nul),
        ]),
    ];
    for req in answers {
        let r = req.send().await.expect("request");
        let status = r.status();
        let url = r.url().to_string();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
        if url.contains("/api/") {
            assert_eq!(error_code(&body), "control_character", "{url}");
            assert!(
                body["error"]["message"].as_str().unwrap().contains("U+00"),
                "{body}"
            );
        }
    }
    // The resident's report page: a Chinese message, not an error of the database.
    let r = c
        .post(format!("{base}/r/450802001001001"))
        .form(&[("category", "03"), ("description", nul)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("控制字符") && html.contains("description"),
        "{html}"
    );
    assert_eq!(count(&app, "opinions").await, opinions, "nothing written");
    assert_eq!(count(&app, "cases").await, cases, "nothing written");
    // Newlines and tabs are text people type.
    let (s, body) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/public/opinions",
            None,
            Some(json!({"community": "450802001001", "content": "一楼\n二楼\t都积水"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn every_refusal_comes_in_the_one_shape() {
    let app = TestApp::demo().await;
    let (worker, centre) = (app.token("wg0101").await, app.token("zhzx").await);
    let c = &app.client;
    let base = &app.base;
    let shape = |status: StatusCode, body: &Value, what: &str| {
        assert!(
            body["error"]["code"].is_string() && body["error"]["message"].is_string(),
            "{what}: {status} {body}"
        );
    };
    // Malformed JSON, a wrong type, a missing field, no JSON content type: all the JSON shape.
    for (what, req) in [
        (
            "malformed",
            c.post(format!("{base}/api/v1/households"))
                .bearer_auth(&worker)
                .header("content-type", "application/json")
                .body("{\"grid\": "),
        ),
        (
            "wrong type",
            c.post(format!("{base}/api/v1/households"))
                .bearer_auth(&worker)
                .json(&json!({"grid": 5})),
        ),
        (
            "number out of range",
            c.put(format!("{base}/api/v1/residents/1"))
                .bearer_auth(&worker)
                .json(&json!({"floor": 2147483648_i64})),
        ),
        (
            "not JSON",
            c.post(format!("{base}/api/v1/households"))
                .bearer_auth(&worker)
                .header("content-type", "text/plain")
                .body("x"),
        ),
    ] {
        let r = req.send().await.unwrap();
        let status = r.status();
        assert!(status.is_client_error(), "{what}: {status}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{what}"
        );
        shape(status, &r.json().await.unwrap(), what);
    }
    // A file over the import's limit.
    let big = vec![b'a'; 33 * 1024 * 1024];
    let r = c
        .post(format!("{base}/api/v1/hotline/import?format=csv"))
        .bearer_auth(&centre)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    shape(r.status(), &r.json().await.unwrap(), "too large");
    // A method a route does not take.
    let r = c
        .delete(format!("{base}/api/v1/categories"))
        .bearer_auth(&worker)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    shape(r.status(), &r.json().await.unwrap(), "method");
}

#[tokio::test]
async fn numbers_out_of_range_are_refused_with_the_range() {
    let app = TestApp::demo().await;
    let worker = app.token("wg0101").await;
    let (s, body) = app
        .post(
            "/api/v1/households",
            &worker,
            json!({"grid": "450802001001001", "building": "金港花园3栋", "floor": -99999, "room": "201",
                   "members": [{"name": "黄秀兰", "id_number": "450802195003120023", "relation": "户主", "status": "户籍"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.to_string().contains("楼层 -99999 不在 -5 到 200 之间"),
        "{body}"
    );
    for limit in ["0", "201", "2147483648"] {
        let (s, body) = app
            .get(&format!("/api/v1/residents?limit={limit}"), &worker)
            .await;
        assert_eq!(
            (s, error_code(&body)),
            (StatusCode::BAD_REQUEST, "invalid_limit"),
            "{limit}: {body}"
        );
    }
    let (s, body) = app
        .get("/api/v1/summons/responses?days=1000", &worker)
        .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_days")
    );
}
