//! Open311 GeoReport v2 on the wire: what a third-party client library sends and expects —
//! form-encoded POSTs with an api_key, JSON and XML answers, errors as `[{code, description}]`.

use crate::api_cases::point_in_own_grid;
use crate::common::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shanzhi_app::open311::DEMO_KEY;

async fn get(app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = app
        .client
        .get(format!("{}/open311/v2/{path}", app.base))
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn get_json(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let (s, body) = get(app, path).await;
    (
        s,
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("{path}: {body}")),
    )
}

async fn post(app: &TestApp, format: &str, form: &[(&str, String)]) -> (StatusCode, String) {
    let r = app
        .client
        .post(format!("{}/open311/v2/requests.{format}", app.base))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

fn assert_error(body: &Value, code: u16) {
    let e = &body
        .as_array()
        .unwrap_or_else(|| panic!("error list: {body}"))[0];
    assert_eq!(e["code"], code, "{body}");
    assert!(
        e["description"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn discovery_and_services_in_json_and_xml() {
    let app = TestApp::demo().await;
    let (s, d) = get_json(&app, "discovery.json").await;
    assert_eq!(s, StatusCode::OK);
    let ep = &d["endpoints"][0];
    assert_eq!(ep["specification"], "http://wiki.open311.org/GeoReport_v2");
    assert!(ep["url"].as_str().unwrap().ends_with("/open311/v2"));
    assert_eq!(ep["formats"], json!(["text/xml", "application/json"]));
    let (_, xml) = get(&app, "discovery.xml").await;
    assert!(
        xml.contains("<discovery><changeset>")
            && xml.contains("<formats><format>text/xml</format>"),
        "{xml}"
    );

    let (s, services) = get_json(&app, "services.json?jurisdiction_id=gangbei").await;
    assert_eq!(s, StatusCode::OK);
    let codes: Vec<&str> = services
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service_code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"0201") && codes.contains(&"0403"),
        "{codes:?}"
    );
    assert!(
        !codes
            .iter()
            .any(|c| c.starts_with("01") || c.starts_with("06")),
        "no disputes or police matters: {codes:?}"
    );
    let hazard = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service_code"] == "0201")
        .unwrap();
    assert_eq!(
        (
            hazard["group"].as_str(),
            hazard["metadata"].as_bool(),
            hazard["type"].as_str()
        ),
        (Some("安全隐患"), Some(false), Some("realtime"))
    );
    let (_, xml) = get(&app, "services.xml").await;
    assert!(
        xml.starts_with("<?xml") && xml.contains("<services><service><service_code>"),
        "{xml}"
    );

    let (s, def) = get_json(&app, "services/0201.json").await;
    assert_eq!(
        (s, def),
        (
            StatusCode::OK,
            json!({"service_code": "0201", "attributes": []})
        )
    );
    let (s, e) = get_json(&app, "services/0101.json").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_error(&e, 404);
    let (s, xml) = get(&app, "services/9999.xml").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(
        xml.contains("<errors><error><code>404</code><description>"),
        "{xml}"
    );
    let (s, _) = get(&app, "services.csv").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_client_posts_a_request_and_follows_it() {
    let app = TestApp::demo().await;
    let worker = app.token("wg0101").await;
    let (lon, lat) = point_in_own_grid(&app, &worker).await;
    let form = |key: &str| {
        vec![
            ("api_key", key.to_owned()),
            ("jurisdiction_id", "gangbei".to_owned()),
            ("service_code", "0201".to_owned()),
            ("lat", lat.to_string()),
            ("long", lon.to_string()),
            ("description", "3栋楼道堆满纸箱，堵住了消防通道".to_owned()),
            ("first_name", "明".to_owned()),
            ("last_name", "黄".to_owned()),
            ("media_url", "https://example.org/photo.jpg".to_owned()),
            ("attribute[floor]", "2楼".to_owned()),
        ]
    };
    let (s, body) = post(&app, "json", &form("wrong-key")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_error(&serde_json::from_str(&body).unwrap(), 403);
    let (s, body) = post(&app, "xml", &form("")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(body.contains("<errors><error><code>403</code>"), "{body}");

    let (s, body) = post(&app, "json", &form(DEMO_KEY)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    let id = created[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        created[0]["service_notice"]
            .as_str()
            .unwrap()
            .contains("查询码")
    );
    assert_eq!(created[0]["account_id"], Value::Null);

    let (s, one) = get_json(&app, &format!("requests/{id}.json")).await;
    assert_eq!(s, StatusCode::OK, "{one}");
    let r = &one[0];
    assert_eq!(
        (
            r["status"].as_str(),
            r["service_code"].as_str(),
            r["service_name"].as_str()
        ),
        (Some("open"), Some("0201"), Some("消防通道堵塞"))
    );
    assert!(
        r["description"].as_str().unwrap().contains("floor：2楼")
            && r["description"].as_str().unwrap().contains("photo.jpg")
    );
    assert!(
        (r["lat"].as_f64().unwrap() - lat).abs() < 1e-9
            && (r["long"].as_f64().unwrap() - lon).abs() < 1e-9
    );
    assert!(
        r["requested_datetime"]
            .as_str()
            .unwrap()
            .ends_with("+08:00"),
        "{r}"
    );
    assert!(!r["agency_responsible"].as_str().unwrap().is_empty());

    // The grid worker sees it in the loop like any report, from the Open311 source.
    let (_, case) = app.get(&format!("/api/v1/cases/{id}"), &worker).await;
    assert_eq!(
        (
            case["case"]["source"].as_str(),
            case["case"]["reporter_name"].as_str()
        ),
        (Some("open311"), Some("黄明"))
    );
    assert_eq!(case["case"]["node_code"].as_str().unwrap().len(), 18);
    let token = case["case"]["tracking_code"].as_str().unwrap();
    let (s, t) = get_json(&app, &format!("tokens/{token}.json")).await;
    assert_eq!(
        (s, t[0]["service_request_id"].as_str()),
        (StatusCode::OK, Some(id.as_str()))
    );

    let (_, xml) = get(&app, &format!("requests/{id}.xml")).await;
    assert!(xml.contains(&format!("<service_requests><request><service_request_id>{id}</service_request_id><status>open</status>")), "{xml}");
    let (s, e) = get_json(&app, "requests/999999.json").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_error(&e, 404);
}

#[tokio::test]
async fn requests_are_placed_by_address_and_bad_ones_are_refused_in_the_error_format() {
    let app = TestApp::demo().await;
    fn base(extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        let mut f = vec![
            ("api_key", DEMO_KEY.to_owned()),
            ("service_code", "03".to_owned()),
        ];
        f.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        f
    }
    let (s, body) = post(
        &app,
        "json",
        &base(&[
            ("address_string", "港北区东湖社区5栋门口"),
            ("description", "垃圾桶满溢"),
        ]),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let id = serde_json::from_str::<Value>(&body).unwrap()[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let centre = app.token("zhzx").await;
    let (_, case) = app.get(&format!("/api/v1/cases/{id}"), &centre).await;
    assert_eq!(
        case["case"]["node_code"], "450802001001",
        "placed in 东湖社区 by its name"
    );

    // An address nothing knows is still taken: it waits in 待定位 under a token, and once
    // the command centre places it the token names the client's case.
    let (s, body) = post(
        &app,
        "json",
        &base(&[
            ("address_string", "贵港市港北区人民路3号"),
            ("description", "路灯不亮"),
        ]),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let answer = &serde_json::from_str::<Value>(&body).unwrap()[0];
    assert!(answer["service_request_id"].is_null(), "{answer}");
    let token = answer["token"].as_str().expect("a token").to_owned();
    let (s, t) = get_json(&app, &format!("tokens/{token}.json")).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert!(t[0]["service_request_id"].is_null(), "{t}");
    let (_, waiting) = app.get("/api/v1/hotline/pending", &centre).await;
    let pending = waiting
        .as_array()
        .and_then(|w| w.iter().find(|p| p["order_no"] == token.as_str()))
        .unwrap_or_else(|| panic!("in 待定位: {waiting}"));
    assert_eq!(pending["address"], "贵港市港北区人民路3号");
    let (s, placed) = app
        .post(
            &format!("/api/v1/hotline/pending/{}/place", pending["id"]),
            &centre,
            json!({"node": "450802001001001"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{placed}");
    let (_, t) = get_json(&app, &format!("tokens/{token}.json")).await;
    let id = t[0]["service_request_id"]
        .as_str()
        .expect("placed")
        .to_owned();
    let (_, case) = app.get(&format!("/api/v1/cases/{id}"), &centre).await;
    assert_eq!(
        (&case["case"]["source"], &case["case"]["node_code"]),
        (&json!("open311"), &json!("450802001001001")),
        "{case}"
    );

    for (extra, status) in [
        (vec![("lat", "0"), ("long", "0")], 400),
        (vec![("lat", "abc"), ("long", "109.6")], 400),
        (vec![], 400),
    ] {
        let (s, body) = post(&app, "json", &base(&extra)).await;
        assert_eq!(s.as_u16(), status, "{extra:?}: {body}");
        assert_error(&serde_json::from_str(&body).unwrap(), status);
    }
    let mut wrong = base(&[("address_string", "东湖社区")]);
    wrong[1].1 = "0101".into();
    let (s, _) = post(&app, "json", &wrong).await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "a dispute is not a public service"
    );
}

#[tokio::test]
async fn request_lists_filter_by_status_service_dates_and_ids() {
    let app = TestApp::demo().await;
    let (s, all) = get_json(&app, "requests.json").await;
    assert_eq!(s, StatusCode::OK);
    let all = all.as_array().unwrap();
    assert!(
        !all.is_empty(),
        "the demo's public cases of the last 90 days"
    );
    assert!(
        all.iter()
            .all(|r| !r["service_code"].as_str().unwrap().starts_with("01")),
        "no disputes"
    );
    let (_, closed) = get_json(&app, "requests.json?status=closed").await;
    let closed = closed.as_array().unwrap();
    assert!(!closed.is_empty() && closed.iter().all(|r| r["status"] == "closed"));
    let (_, open) = get_json(&app, "requests.json?status=open&service_code=03,0201").await;
    assert!(
        open.as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "open"
                && ["03", "0201"].contains(&r["service_code"].as_str().unwrap()))
    );
    let (_, none) = get_json(
        &app,
        "requests.json?start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00Z",
    )
    .await;
    assert_eq!(none, json!([]));
    let ids = format!(
        "{},{}",
        all[0]["service_request_id"].as_str().unwrap(),
        all[1]["service_request_id"].as_str().unwrap()
    );
    let (_, two) = get_json(&app, &format!("requests.json?service_request_id={ids}")).await;
    assert_eq!(two.as_array().unwrap().len(), 2);
    let (s, e) = get_json(&app, "requests.json?status=pending").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&e, 400);
    let (s, e) = get_json(&app, "requests.json?start_date=yesterday").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&e, 400);
}

#[tokio::test]
async fn administrators_issue_and_revoke_client_keys() {
    let app = TestApp::demo().await;
    // Client keys are the security administrator's (三员分立), not the system administrator's.
    let (admin, officer) = (app.token("aq01").await, app.token("sq01").await);
    let (s, _) = app
        .post(
            "/api/v1/open311/clients",
            &app.token("admin").await,
            json!({"name": "随手拍"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post(
            "/api/v1/open311/clients",
            &officer,
            json!({"name": "随手拍"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, issued) = app
        .post(
            "/api/v1/open311/clients",
            &admin,
            json!({"name": "港北随手拍 App"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{issued}");
    let key = issued["api_key"].as_str().unwrap().to_owned();
    let form = |key: &str| {
        vec![
            ("api_key", key.to_owned()),
            ("service_code", "03".to_owned()),
            ("address_string", "东湖社区".to_owned()),
        ]
    };
    let (s, body) = post(&app, "json", &form(&key)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (_, list) = app.get("/api/v1/open311/clients", &admin).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "港北随手拍 App")
    );
    assert!(
        !list.to_string().contains(&key),
        "keys are never shown again"
    );
    let id = issued["id"].as_i64().unwrap();
    let (s, _) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/open311/clients/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = post(&app, "json", &form(&key)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a revoked key is refused");
}
