//! Notifications: the live feed (server-sent events) within scope, and signed webhooks retried
//! until delivered, with their delivery log.

use crate::common::TestApp;
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Reads an SSE stream until `needle` shows up or `wait` passes; returns what was read.
async fn read_until(resp: &mut reqwest::Response, needle: &str, wait: Duration) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + wait;
    while !seen.contains(needle) {
        match tokio::time::timeout_at(deadline, resp.chunk()).await {
            Ok(Ok(Some(bytes))) => seen.push_str(&String::from_utf8_lossy(&bytes)),
            _ => break,
        }
    }
    seen
}

async fn feed(app: &TestApp, token: &str) -> reqwest::Response {
    let r = app
        .client
        .get(format!("{}/api/v1/events", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    r
}

#[tokio::test]
async fn the_live_feed_shows_changes_within_scope_only() {
    let app = TestApp::demo().await;
    let (mine, other) = (app.token("wg0101").await, app.token("wg0201").await);
    let mut my_feed = feed(&app, &mine).await;
    let mut other_feed = feed(&app, &other).await;
    let (s, _) = app
        .post("/api/v1/cases", &mine, json!({"category": "03", "title": "实时推送测试", "description": "垃圾满溢", "node_code": "450802001001001"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let got = read_until(&mut my_feed, "实时推送测试", Duration::from_secs(5)).await;
    assert!(
        got.contains("event: case") && got.contains("\"action\":\"report\""),
        "{got}"
    );
    let leaked = read_until(&mut other_feed, "实时推送测试", Duration::from_millis(500)).await;
    assert!(
        !leaked.contains("实时推送测试"),
        "another grid's worker sees nothing: {leaked}"
    );
    let r = app
        .client
        .get(format!("{}/api/v1/events", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

type Received = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A receiver that answers 500 to its first request and 204 afterwards.
async fn receiver() -> (String, Received) {
    let got: Received = Arc::default();
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let sink = sink.clone();
            async move {
                let mut all = sink.lock().unwrap();
                all.push((headers, body));
                if all.len() == 1 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

#[tokio::test]
async fn webhooks_are_signed_retried_and_logged() {
    let config = shanzhi_app::AppConfig {
        webhook_retry_base_ms: 200,
        ..Default::default()
    };
    let app = TestApp::demo_with(config, Default::default()).await;
    // Webhooks carry a signing key: the security administrator (安全管理员) keeps them.
    let (security, centre) = (app.token("aq01").await, app.token("zhzx").await);
    let (url, got) = receiver().await;

    let (s, _) = app
        .post("/api/v1/webhooks", &centre, json!({"url": url}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the command centre keeps no keys");
    let (s, e) = app
        .post("/api/v1/webhooks", &security, json!({"url": "ftp://x"}))
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_url"))
    );
    let (s, hook) = app
        .post(
            "/api/v1/webhooks",
            &security,
            json!({"url": url, "node_code": "450802001"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_owned();
    let id = hook["id"].as_i64().unwrap();

    let worker = app.token("wg0101").await;
    let (_, case) = app
        .post("/api/v1/cases", &worker, json!({"category": "03", "title": "推送给第三方", "description": "垃圾满溢", "node_code": "450802001001001"}))
        .await;
    // Another street's case is not this webhook's business.
    let (s, _) = app
        .post("/api/v1/cases", &app.token("wg0501").await, json!({"category": "03", "title": "别的街道", "description": "x", "node_code": "450802002001001"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while got.lock().unwrap().len() < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "one failure, one retry that got through");
    let (headers, body) = &got[1];
    assert_eq!(&got[0].1, body, "the retry sends the same body");
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        (event["case_id"].as_i64(), event["action"].as_str()),
        (case["id"].as_i64(), Some("report"))
    );
    let ts = headers["x-shanzhi-timestamp"].to_str().unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{ts}.{body}").as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        headers["x-shanzhi-signature"].to_str().unwrap(),
        format!("sha256={expected}")
    );

    let (_, log) = app
        .get(&format!("/api/v1/webhooks/{id}/deliveries"), &security)
        .await;
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(
        (
            log[0]["status"].as_str(),
            log[0]["attempts"].as_i64(),
            log[0]["last_status"].as_i64()
        ),
        (Some("delivered"), Some(2), Some(204))
    );

    let (s, _) = app
        .get(
            &format!("/api/v1/webhooks/{id}/deliveries"),
            &app.token("jd02").await,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "a street's command centre does not read deliveries"
    );
    let (s, _) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/webhooks/{id}"),
            Some(&security),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, hooks) = app.get("/api/v1/webhooks", &security).await;
    assert_eq!(hooks[0]["active"], false);
}
