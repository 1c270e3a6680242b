//! Case search: Chinese text found by any two characters, combined with filters, within scope.

use crate::common::{TestApp, error_code, exec_sql, fetch};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn ids(app: &TestApp, token: &str, query: &str) -> Vec<i64> {
    let (s, page) = app
        .get(&format!("/api/v1/cases?limit=500&{query}"), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{query}: {page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

fn q(text: &str) -> String {
    format!("q={}", url_escape(text))
}

pub(crate) fn url_escape(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test]
async fn two_characters_find_a_case_in_scope_with_filters() {
    let app = TestApp::demo().await;
    let worker = app.token("wg0101").await;
    let report = |title: &str, desc: &str, category: &str| json!({"category": category, "title": title, "description": desc, "node_code": "450802001001001", "address": "东湖小区3栋"});
    let (_, leak) = app
        .post(
            "/api/v1/cases",
            &worker,
            report("卫生间漏水", "楼上卫生间漏水渗到楼下天花板", "0101"),
        )
        .await;
    let (_, lamp) = app
        .post(
            "/api/v1/cases",
            &worker,
            report("路灯不亮", "小区门口路灯连续三晚不亮", "0402"),
        )
        .await;
    let (leak, lamp): (Value, Value) = (leak, lamp);
    let (leak, lamp) = (leak["id"].as_i64().unwrap(), lamp["id"].as_i64().unwrap());

    let found = ids(&app, &worker, &q("漏水")).await;
    assert!(found.contains(&leak) && !found.contains(&lamp), "{found:?}");
    assert!(
        ids(&app, &worker, &q("天花板")).await.contains(&leak),
        "three characters"
    );
    assert!(
        ids(&app, &worker, &q("3栋")).await.contains(&lamp),
        "the address is searched too"
    );
    assert!(
        ids(&app, &worker, &q("路灯 三晚")).await == vec![lamp],
        "all words must match"
    );
    assert!(!ids(&app, &worker, &q("漏水 路灯")).await.contains(&leak));

    let in_disputes = ids(&app, &worker, &format!("{}&category=01", q("漏水"))).await;
    assert!(in_disputes.contains(&leak));
    assert!(
        ids(&app, &worker, &format!("{}&category=04", q("漏水")))
            .await
            .is_empty()
    );
    assert!(
        ids(&app, &worker, &format!("{}&source=hotline", q("漏水")))
            .await
            .iter()
            .all(|i| *i != leak)
    );
    assert!(
        ids(
            &app,
            &worker,
            &format!("{}&from=2020-01-01&to=2020-12-31", q("漏水"))
        )
        .await
        .is_empty()
    );

    exec_sql(
        &app,
        shanzhi_store::Sql::new("UPDATE cases SET accept_due = 1 WHERE id = ?").bind(lamp),
    )
    .await;
    let overdue = ids(&app, &worker, "overdue=true").await;
    assert!(
        overdue.contains(&lamp) && !overdue.contains(&leak),
        "{overdue:?}"
    );

    let other = app.token("wg0201").await;
    assert!(
        !ids(&app, &other, &q("漏水")).await.contains(&leak),
        "another grid sees nothing of it"
    );
    let (s, e) = app.get("/api/v1/cases?node=450802002", &worker).await;
    assert_eq!((s, error_code(&e)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, e) = app
        .get(&format!("/api/v1/cases?{}", q("水")), &worker)
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "query_too_short")
    );
    let (s, e) = app.get("/api/v1/cases?source=pigeon", &worker).await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_source")
    );
}

#[tokio::test]
async fn the_demo_cases_are_searchable_and_the_list_page_searches() {
    let app = TestApp::demo().await;
    let centre = app.token("zhzx").await;
    let found = ids(&app, &centre, &q("漏水")).await;
    assert!(!found.is_empty(), "demo stories mention 漏水");

    let (browser, _) = crate::pages::logged_in(&app, "zhzx").await;
    let (_, html) = fetch(
        &app,
        &browser,
        &format!("/cases?{}&overdue=true", q("漏水")),
    )
    .await;
    assert!(
        html.contains("id=\"case-search\"") && html.contains("value=\"漏水\""),
        "{html}"
    );
    let (_, html) = fetch(&app, &browser, &format!("/cases?{}", q("水"))).await;
    assert!(
        html.contains("请输入至少两个汉字"),
        "a short query is explained on the page"
    );
}
