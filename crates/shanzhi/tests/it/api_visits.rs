//! Visits over the API: a tagged resident is due at once, a visit moves the due day by the
//! tag's frequency, a register change made during the visit is recorded with it, bad visits
//! are refused, and scope holds.

use crate::common::{TestApp, error_code};
use reqwest::{Method, StatusCode};
use serde_json::json;

const GRID: &str = "450802001001001";

#[tokio::test]
async fn a_visit_resets_the_due_day_and_records_the_changes_made_during_it() {
    let app = TestApp::demo().await;
    let wg = app.token("wg0101").await;
    let (s, h) = app
        .post(
            "/api/v1/households",
            &wg,
            json!({"grid": GRID, "building": "金港花园5栋", "address": "港北区金港大道170号",
                   "unit": "2", "floor": 3, "room": "302",
                   "members": [{"name": "莫桂英", "id_number": "450802194402110025", "relation": "户主",
                                "status": "户籍", "tags": "独居老人(重点)"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{h}");
    let household = h["id"].as_i64().unwrap();
    let (_, found) = app.get("/api/v1/residents?q=莫桂英", &wg).await;
    let person = found[0]["id"].as_i64().unwrap();

    // Never visited: due today, listed for the grid and the community.
    let today = app.today();
    for (who, node) in [(&wg, GRID), (&app.token("sq01").await, "450802001001")] {
        let (s, due) = app
            .get(&format!("/api/v1/visits/due?node={node}"), who)
            .await;
        assert_eq!(s, StatusCode::OK, "{due}");
        let mine = due
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["person_id"] == person);
        let mine = mine.unwrap_or_else(|| panic!("{node}: {due}"));
        assert_eq!(mine["tag_name"], "独居老人");
        assert!(mine["next_visit"].is_null());
    }

    // Bad visits: no target, both targets, unknown purpose, the future, too long ago, nothing said.
    let bad = [
        (
            json!({"purpose": "关爱走访", "notes": "x"}),
            "target_required",
        ),
        (
            json!({"household_id": household, "place_id": 1, "purpose": "关爱走访", "notes": "x"}),
            "target_required",
        ),
        (
            json!({"household_id": household, "purpose": "串门", "notes": "x"}),
            "invalid_purpose",
        ),
        (
            json!({"household_id": household, "purpose": "关爱走访", "notes": "x", "day": today.plus(1).to_string()}),
            "future_day",
        ),
        (
            json!({"household_id": household, "purpose": "关爱走访", "notes": "x", "day": today.plus(-45).to_string()}),
            "too_old",
        ),
        (
            json!({"household_id": household, "purpose": "关爱走访"}),
            "notes_required",
        ),
    ];
    for (body, code) in bad {
        let (s, e) = app.post("/api/v1/visits", &wg, body.clone()).await;
        assert_eq!(
            (s, error_code(&e)),
            (StatusCode::BAD_REQUEST, code),
            "{body}"
        );
    }
    // Outside the worker's grid the household does not exist; volunteers keep no visits.
    let (s, _) = app
        .post(
            "/api/v1/visits",
            &app.token("wg0201").await,
            json!({"household_id": household, "purpose": "关爱走访", "notes": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A visit three days ago: next due four days from now (weekly), no longer listed.
    let (s, v) = app
        .post(
            "/api/v1/visits",
            &wg,
            json!({"household_id": household, "purpose": "关爱走访", "day": today.plus(-3).to_string(),
                   "notes": "老人身体状况良好，已提醒冬季用电安全", "findings": "楼道声控灯不亮"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["purpose"], "care");
    let (_, detail) = app.get(&format!("/api/v1/residents/{person}"), &wg).await;
    assert_eq!(detail["tags"][0]["next_visit"], today.plus(4).to_string());
    let (_, due) = app
        .get(&format!("/api/v1/visits/due?node={GRID}"), &wg)
        .await;
    assert!(
        due.as_array()
            .unwrap()
            .iter()
            .all(|d| d["person_id"] != person),
        "{due}"
    );

    // A back-dated entry of an older visit never pulls the due day earlier.
    let (s, _) = app
        .post("/api/v1/visits", &wg, json!({"household_id": household, "purpose": "信息核实", "day": today.plus(-10).to_string(), "notes": "补录"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, detail) = app.get(&format!("/api/v1/residents/{person}"), &wg).await;
    assert_eq!(detail["tags"][0]["next_visit"], today.plus(4).to_string());

    // The phone learnt during the visit is recorded against it (信息核实).
    let visit = v["id"].as_i64().unwrap();
    let edit = json!({"name": "莫桂英", "phone": "13977580011", "relation": "户主", "status": "户籍",
                      "tags": "独居老人(重点)", "updated_at": detail["person"]["updated_at"], "visit_id": visit});
    let (s, b) = app
        .call(
            Method::PUT,
            &format!("/api/v1/residents/{person}"),
            Some(&wg),
            Some(edit),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (_, vd) = app.get(&format!("/api/v1/visits/{visit}"), &wg).await;
    let changes = vd["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "only the phone changed: {vd}");
    assert_eq!(changes[0]["field"], "联系电话");
    assert_eq!(
        changes[0]["after_value"], "139****0011",
        "masked, never the number"
    );
    let (_, listed) = app
        .get(&format!("/api/v1/visits?household={household}"), &wg)
        .await;
    assert_eq!(listed.as_array().map(Vec::len), Some(2));

    // Another keeper's visit cannot be claimed for an edit.
    let (_, detail) = app.get(&format!("/api/v1/residents/{person}"), &wg).await;
    let edit = json!({"name": "莫桂英", "phone": "139****0011", "relation": "户主", "status": "户籍",
                      "tags": "独居老人(重点)", "updated_at": detail["person"]["updated_at"], "visit_id": visit});
    let (s, e) = app
        .call(
            Method::PUT,
            &format!("/api/v1/residents/{person}"),
            Some(&app.token("wgz01").await),
            Some(edit),
        )
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_visit"),
        "{e}"
    );
}
