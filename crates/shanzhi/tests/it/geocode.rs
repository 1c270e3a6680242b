//! Address → grid (地址定位): the gazetteer built from the demo's registers places an address
//! written as people write it, through the API and through Open311 with only an address; a
//! building registered through one request is found by the next within seconds.

use crate::common::{TestApp, eventually};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shanzhi_app::open311::DEMO_KEY;

/// A registered person's building: (building, address, node).
async fn some_building(app: &TestApp, token: &str) -> (String, String, String) {
    let (_, people) = app
        .get("/api/v1/residents?node=450802001001&limit=1", token)
        .await;
    let p = &people[0];
    let s = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
    (s("building"), s("address"), s("node_code"))
}

#[tokio::test]
async fn an_address_written_as_people_write_it_finds_its_grid_and_an_unknown_one_is_still_taken() {
    let app = TestApp::demo_with_registers().await;
    let centre = app.token("zhzx").await;
    let (building, address, node) = some_building(&app, &centre).await;
    let geocode = |q: String| {
        let (app, centre) = (&app, centre.clone());
        async move {
            let url = format!("/api/v1/geocode?q={}", urlencode(&q));
            app.get(&url, &centre).await
        }
    };
    // The register's address, with the city in front, full-width digits and a landmark.
    let wide: String = address
        .chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect();
    let (s, a) = geocode(format!("广西贵港市{wide}对面")).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert!(
        node.starts_with(a["code"].as_str().unwrap_or("?"))
            && a["code"].as_str().map(str::len) >= Some(15),
        "{address} → {a}"
    );
    assert_eq!(a["near"], true);
    assert!(a["confidence"].as_f64() >= Some(0.7), "{a}");
    assert!(a["parts"].to_string().contains('号'), "{a}");
    // The building's name with 号楼 for 栋 and its community: that block.
    let block = building.replace('栋', "号楼");
    let (_, a) = geocode(format!("东湖社区{block}")).await;
    assert!(
        a["code"]
            .as_str()
            .is_some_and(|c| c.starts_with("450802001001")),
        "{block} → {a}"
    );
    let (s, e) = geocode(String::new()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    // Volunteers file no cases and ask nothing.
    let (s, _) = app
        .get("/api/v1/geocode?q=中山路", &app.token("zy01").await)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // An Open311 client with only an address: placed in the grid.
    let r = reqwest::Client::new()
        .post(format!("{}/open311/v2/requests.json", app.base))
        .form(&[
            ("api_key", DEMO_KEY),
            ("service_code", "03"),
            ("address_string", &format!("贵港市{address}附近")),
            ("description", "垃圾桶满溢两天"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let body: Value = r.json().await.unwrap();
    let id = body[0]["service_request_id"].as_str().unwrap().to_owned();
    let (_, case) = app.get(&format!("/api/v1/cases/{id}"), &centre).await;
    assert!(
        node.starts_with(case["case"]["node_code"].as_str().unwrap_or("?")),
        "{case}"
    );
}

#[tokio::test]
async fn a_building_registered_in_one_request_is_found_by_the_next() {
    let app = TestApp::demo().await;
    let wg = app.token("wg0101").await;
    let q = "/api/v1/geocode?q=%E7%BF%A0%E7%AB%B9%E5%9B%AD3%E6%A0%8B"; // 翠竹园3栋
    let (_, before) = app.get(q, &app.token("zhzx").await).await;
    assert_eq!(before["code"], "", "{before}");
    let (s, h) = app
        .post(
            "/api/v1/households",
            &wg,
            json!({"grid": "450802001001001", "building": "翠竹园3栋", "address": "港北区翠竹路9号",
                   "unit": "1", "floor": 2, "room": "201",
                   "members": [{"name": "梁海燕", "id_number": "450802199001010026", "relation": "户主",
                                "status": "户籍"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{h}");
    let centre = app.token("zhzx").await;
    eventually("the new building found", || async {
        let (_, a) = app.get(q, &centre).await;
        a["code"] == "450802001001001" && a["target"]["kind"] == "building"
    })
    .await;
}

/// Percent-encodes a query value.
pub(crate) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn road_ranges_from_a_gbk_sheet_place_house_numbers_and_a_bad_row_imports_nothing() {
    let app = TestApp::demo().await;
    let centre = app.token("zhzx").await;
    let put = |text: String| {
        let (app, centre) = (&app, centre.clone());
        async move {
            let (gbk, _, _) = encoding_rs::GBK.encode(&text);
            let r = reqwest::Client::new()
                .put(format!("{}/api/v1/geocode/roads?node=450802", app.base))
                .bearer_auth(&centre)
                .header("content-type", "text/csv")
                .body(gbk.to_vec())
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let sheet = "港北区门牌段（2026年11月）,,,,\r\n\
                 道路名称,起始门牌,终止门牌,单双号,网格编码\r\n\
                 中山路,1,99,单号,450802001001002\r\n\
                 中山路,2,98,双号,450802001001001\r\n";
    // Two bad rows: both said, with their numbers, and nothing kept.
    let bad =
        format!("{sheet}建设路,50,10,,450802001001001\r\n建设路,1,9,全部,450899999999999\r\n");
    let (s, e) = put(bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let rows: Vec<i64> = e["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["row"].as_i64())
        .collect();
    assert_eq!(rows, [5, 6], "{e}");
    let q = "/api/v1/geocode?q=%E4%B8%AD%E5%B1%B1%E8%B7%AF37%E5%8F%B7"; // 中山路37号
    let (_, before) = app.get(q, &centre).await;
    assert_eq!(before["code"], "", "{before}");

    let (s, done) = put(sheet.to_owned()).await;
    assert_eq!((s, &done["ranges"]), (StatusCode::OK, &json!(2)), "{done}");
    eventually("the ranges in use", || async {
        let (_, odd) = app.get(q, &centre).await;
        odd["code"] == "450802001001002" && odd["confidence"].as_f64() >= Some(0.7)
    })
    .await;
    let (_, even) = app
        .get(
            "/api/v1/geocode?q=%E4%B8%AD%E5%B1%B1%E8%B7%AF38%E5%8F%B7",
            &centre,
        )
        .await;
    assert_eq!(even["code"], "450802001001001", "{even}");
}
