//! Participation over the API: 双报到, verified service that earns points, the 爱心超市's
//! ledger (idempotent, never negative, stock in the same transaction, reversible, provably
//! reconciled — also under racing redemptions), and wishes from a resident to a member.

use crate::common::{TestApp, error_code, exec_sql};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shanzhi_domain::case::Day;

const COMMUNITY: &str = "450802001001";
const GRID: &str = "450802001001001";

/// POST a redemption with an idempotency key.
async fn redeem(app: &TestApp, token: &str, body: Value, key: Option<&str>) -> (StatusCode, Value) {
    redeem_at(&app.client, &app.base, token, body, key).await
}

async fn redeem_at(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    body: Value,
    key: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = client
        .post(format!("{base}/api/v1/shop/redemptions"))
        .bearer_auth(token)
        .json(&body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    (status, resp.json().await.expect("json"))
}

async fn wish_act(app: &TestApp, id: i64, token: String, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/wishes/{id}/actions"), &token, body)
        .await
}

fn registration(name: &str, phone: &str) -> Value {
    json!({"community": COMMUNITY, "kind": "party_member", "name": name, "phone": phone,
           "employer": "港北区财政局", "skills": ["legal", "elderly"],
           "commitment": "每月参加一次社区法律咨询"})
}

/// A volunteer login registers itself and the officer confirms it; returns the member id.
async fn registered(app: &TestApp, officer: &str, volunteer: &str, phone: &str) -> i64 {
    let token = app.token(volunteer).await;
    let (s, m) = app
        .post("/api/v1/members", &token, registration(volunteer, phone))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(m["standing"], "pending");
    let id = m["id"].as_i64().unwrap();
    let (s, m) = app
        .post(
            &format!("/api/v1/members/{id}/decision"),
            officer,
            json!({"confirm": true}),
        )
        .await;
    assert_eq!(
        (s, m["standing"].as_str()),
        (StatusCode::OK, Some("confirmed"))
    );
    id
}

/// Declares `minutes` of service for `member` and verifies it; returns the points credited.
async fn earn(app: &TestApp, officer: &str, member: i64, minutes: i64) -> i64 {
    let (s, d) = app
        .post(
            "/api/v1/services",
            officer,
            json!({"member_id": member, "category": "civility", "activity": "文明创建：楼道清理",
                   "served_on": app.today().to_string(), "minutes": minutes}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let (s, v) = app
        .post(
            &format!("/api/v1/services/{}/verification", d["id"]),
            officer,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["points"].as_i64().unwrap()
}

async fn balance(app: &TestApp, token: &str, member: i64) -> i64 {
    let (s, st) = app
        .get(&format!("/api/v1/points/statement?member={member}"), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{st}");
    st["balance"].as_i64().unwrap()
}

async fn assert_books_exact(app: &TestApp, officer: &str) -> Value {
    let (s, r) = app
        .get(
            &format!("/api/v1/points/reconciliation?community={COMMUNITY}"),
            officer,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    for list in [
        "balance_mismatches",
        "stock_mismatches",
        "unbalanced_postings",
        "negative_accounts",
    ] {
        assert_eq!(r[list], json!([]), "{list}: {r}");
    }
    assert_eq!(r["total"], 0, "{r}");
    assert!(r["accounts"].as_i64().unwrap() >= 3, "{r}");
    r
}

async fn add_item(app: &TestApp, officer: &str, name: &str, price: i64, stock: i64) -> i64 {
    let (s, item) = app
        .post(
            "/api/v1/shop/items",
            officer,
            json!({"community": COMMUNITY, "name": name, "price": price, "stock": stock}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{item}");
    item["id"].as_i64().unwrap()
}

#[tokio::test]
async fn verified_service_buys_goods_and_the_books_stay_exact() {
    let app = TestApp::demo().await;
    let officer = app.token("sq01").await;
    let volunteer = app.token("zy01").await;

    // 双报到: a party member needs an employer to report back to; one registration each.
    let mut no_employer = registration("黄立新", "13877512345");
    no_employer["employer"] = json!("");
    let (s, e) = app.post("/api/v1/members", &volunteer, no_employer).await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_field")
    );
    let (s, m) = app
        .post(
            "/api/v1/members",
            &volunteer,
            registration("黄立新", "13877512345"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(m["phone_masked"], "138****2345");
    let member = m["id"].as_i64().unwrap();
    let (s, _) = app
        .post(
            "/api/v1/members",
            &volunteer,
            registration("黄立新", "13877512345"),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let today = app.today().to_string();
    let service =
        json!({"category": "legal", "activity": "法律咨询", "served_on": today, "minutes": 120});
    let (s, _) = app
        .post("/api/v1/services", &volunteer, service.clone())
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "not yet confirmed");
    let (s, _) = app
        .post(
            &format!("/api/v1/members/{member}/decision"),
            &volunteer,
            json!({"confirm": true}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "members do not confirm themselves"
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/members/{member}/decision"),
            &officer,
            json!({"confirm": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    // 申报 → 汇总 → 核实: 120 minutes earn 20 points, once.
    let mut short = service.clone();
    short["minutes"] = json!(20);
    let (s, e) = app.post("/api/v1/services", &volunteer, short).await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_minutes")
    );
    let (s, d) = app.post("/api/v1/services", &volunteer, service).await;
    assert_eq!(
        (s, d["stage"].as_str()),
        (StatusCode::CREATED, Some("declared")),
        "{d}"
    );
    let (_, queue) = app
        .get(
            &format!("/api/v1/services?node={COMMUNITY}&stage=declared"),
            &officer,
        )
        .await;
    assert!(
        queue.as_array().unwrap().iter().any(|q| q["id"] == d["id"]),
        "{queue}"
    );
    let verify = format!("/api/v1/services/{}/verification", d["id"]);
    let (s, _) = app
        .post(&verify, &volunteer, json!({"approve": true}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app.post(&verify, &officer, json!({"approve": true})).await;
    assert_eq!((s, v["points"].as_i64()), (StatusCode::OK, Some(20)), "{v}");
    let (s, _) = app.post(&verify, &officer, json!({"approve": true})).await;
    assert_eq!(s, StatusCode::CONFLICT, "verified twice");
    assert_eq!(balance(&app, &volunteer, member).await, 20);

    // The 爱心超市: a redemption takes points and stock together.
    let oil = add_item(&app, &officer, "花生油 1L", 15, 2).await;
    let (s, e) = redeem(
        &app,
        &volunteer,
        json!({"item_id": oil, "quantity": 1}),
        None,
    )
    .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "idempotency_key_required")
    );
    let (s, r) = redeem(
        &app,
        &volunteer,
        json!({"item_id": oil, "quantity": 1}),
        Some("k-1"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(
        (r["balance"].as_i64(), r["item"]["stock"].as_i64()),
        (Some(5), Some(1))
    );
    let (s, again) = redeem(
        &app,
        &volunteer,
        json!({"item_id": oil, "quantity": 1}),
        Some("k-1"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "the same key posts once: {again}");
    assert_eq!(
        (again["posting_id"].clone(), again["replayed"].as_bool()),
        (r["posting_id"].clone(), Some(true))
    );
    let (s, _) = redeem(
        &app,
        &volunteer,
        json!({"item_id": oil, "quantity": 2}),
        Some("k-1"),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "a key reused for another request");
    let (s, e) = redeem(
        &app,
        &volunteer,
        json!({"item_id": oil, "quantity": 1}),
        Some("k-2"),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("积分不足"),
        "{e}"
    );
    let (s, e) = redeem(
        &app,
        &volunteer,
        json!({"item_id": oil, "quantity": 0}),
        Some("k-3"),
    )
    .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_quantity")
    );
    assert_eq!(balance(&app, &volunteer, member).await, 5);

    // 冲正: a new posting of the opposite lines, stock back; once only, staff only.
    let reversal = format!("/api/v1/points/postings/{}/reversal", r["posting_id"]);
    let (s, _) = app
        .post(&reversal, &volunteer, json!({"reason": "误操作"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, rev) = app
        .post(&reversal, &officer, json!({"reason": "物品有破损，退回"}))
        .await;
    assert_eq!(
        (s, rev["kind"].as_str()),
        (StatusCode::CREATED, Some("reversal")),
        "{rev}"
    );
    let (s, _) = app
        .post(&reversal, &officer, json!({"reason": "再来一次"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(balance(&app, &volunteer, member).await, 20);
    let (_, items) = app
        .get(
            &format!("/api/v1/shop/items?community={COMMUNITY}"),
            &officer,
        )
        .await;
    assert_eq!(items[0]["stock"], 2, "{items}");
    let (_, st) = app.get("/api/v1/points/statement", &volunteer).await;
    let kinds: Vec<&str> = st["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["reversal", "redemption", "service"], "{st}");

    // Writing off more than the shelf holds is refused; the ledger cannot be edited.
    let (s, _) = app
        .post(
            &format!("/api/v1/shop/items/{oil}/stock"),
            &officer,
            json!({"delta": -3, "reason": "损耗"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_books_exact(&app, &officer).await;
    let mut conn = app.state().store().conn().await.unwrap();
    for sql in [
        "UPDATE point_entries SET amount = 1000",
        "DELETE FROM point_postings",
        "DELETE FROM stock_moves",
    ] {
        let r = shanzhi_store::Exec::exec(&mut conn, shanzhi_store::Sql::new(sql)).await;
        assert!(r.is_err(), "{sql} must be refused");
    }
}

#[tokio::test]
async fn racing_redemptions_never_oversell_or_overdraw() {
    let app = TestApp::demo().await;
    let officer = app.token("sq01").await;
    // Eight members registered at the counter, 20 points each: they can afford sixteen
    // items between them, and the shelf holds five.
    let mut members = Vec::new();
    for i in 0..8 {
        let mut r = registration(&format!("志愿者{i}"), &format!("1397751{i:04}"));
        r["kind"] = json!("volunteer");
        let (s, m) = app.post("/api/v1/members", &officer, r).await;
        assert_eq!(
            (s, m["standing"].as_str()),
            (StatusCode::CREATED, Some("confirmed")),
            "{m}"
        );
        let id = m["id"].as_i64().unwrap();
        assert_eq!(earn(&app, &officer, id, 120).await, 20);
        members.push(id);
    }
    let rice = add_item(&app, &officer, "大米 5kg", 10, 5).await;
    let mut racers = Vec::new();
    for (n, m) in members.iter().enumerate() {
        for attempt in 0..4 {
            // Each member's first key is also sent twice more, at the same time.
            let keys = if attempt == 0 { 3 } else { 1 };
            for _ in 0..keys {
                let (client, base) = (app.client.clone(), app.base.clone());
                let (officer, m) = (officer.clone(), *m);
                let key = format!("race-{n}-{attempt}");
                racers.push(tokio::spawn(async move {
                    let body = json!({"member_id": m, "item_id": rice, "quantity": 1});
                    let (s, r) = redeem_at(&client, &base, &officer, body, Some(&key)).await;
                    (s, r, key)
                }));
            }
        }
    }
    let mut posted = std::collections::BTreeSet::new();
    for r in racers {
        let (s, body, key) = r.await.unwrap();
        match s {
            StatusCode::CREATED => assert!(posted.insert(key), "a key posted twice"),
            StatusCode::OK => assert_eq!(body["replayed"], true),
            StatusCode::CONFLICT => {
                let m = body["error"]["message"].as_str().unwrap();
                assert!(m.contains("库存不足") || m.contains("积分不足"), "{m}");
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(posted.len(), 5, "exactly the stock was sold: {posted:?}");
    let (_, items) = app
        .get(
            &format!("/api/v1/shop/items?community={COMMUNITY}"),
            &officer,
        )
        .await;
    assert_eq!(items[0]["stock"], 0, "{items}");
    let mut total = 0;
    for m in &members {
        let b = balance(&app, &officer, *m).await;
        assert!(b >= 0);
        total += b;
    }
    assert_eq!(total, 8 * 20 - 5 * 10);
    assert_books_exact(&app, &officer).await;
}

#[tokio::test]
async fn a_wish_goes_from_a_resident_to_a_member_who_is_paid_on_confirmation() {
    let app = TestApp::demo().await;
    let officer = app.token("sq01").await;
    let first = registered(&app, &officer, "zy01", "13877500001").await;
    registered(&app, &officer, "zy02", "13877500002").await;
    let (zy01, zy02) = (app.token("zy01").await, app.token("zy02").await);

    // 群众点单: no login; a bad phone is refused.
    let wish = json!({"node": GRID, "category": "elderly", "title": "帮忙更换厨房灯泡",
                      "detail": "独居老人，够不着", "name": "李阿姨", "phone": "13977580011"});
    let mut bad = wish.clone();
    bad["phone"] = json!("12345");
    let (s, e) = app
        .call(Method::POST, "/api/v1/public/wishes", None, Some(bad))
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_phone")
    );
    let (s, posted) = app
        .call(
            Method::POST,
            "/api/v1/public/wishes",
            None,
            Some(wish.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{posted}");
    let (id, code) = (
        posted["id"].as_i64().unwrap(),
        posted["tracking_code"].as_str().unwrap().to_owned(),
    );
    let act = |token: &str, body: Value| wish_act(&app, id, token.to_owned(), body);

    // 社区派单: only the community; a deadline in the future, a sane reward.
    let (s, _) = act(&zy01, json!({"action": "claim"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "not published yet");
    let later = Day::of(app.now_ms() + 5 * 86_400_000).to_string();
    let (s, _) = act(
        &zy01,
        json!({"action": "publish", "points": 30, "deadline": later}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = act(
        &officer,
        json!({"action": "publish", "points": 30, "deadline": "2020-01-01"}),
    )
    .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_deadline")
    );
    let (s, e) = act(
        &officer,
        json!({"action": "publish", "points": 999, "deadline": later}),
    )
    .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_points")
    );
    let (s, w) = act(
        &officer,
        json!({"action": "publish", "points": 30, "deadline": later}),
    )
    .await;
    assert_eq!(
        (s, w["stage"].as_str()),
        (StatusCode::OK, Some("published")),
        "{w}"
    );
    // The resident is told by text, with the wish's page (the outbox sends it).
    let told = app.texted("13977580011", "已发布").await;
    assert!(told.contains(&format!("/wt/{code}")), "{told}");

    // 党员接单: one claimant only.
    let (s, w) = act(&zy01, json!({"action": "claim"})).await;
    assert_eq!(
        (s, w["stage"].as_str()),
        (StatusCode::OK, Some("claimed")),
        "{w}"
    );
    let (s, e) = act(&zy02, json!({"action": "claim"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("已被其他人认领"),
        "{e}"
    );
    let (s, _) = act(&zy02, json!({"action": "complete", "note": "换好了"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, w) = act(
        &zy01,
        json!({"action": "complete", "note": "已更换为 LED 灯泡"}),
    )
    .await;
    assert_eq!(
        (s, w["stage"].as_str()),
        (StatusCode::OK, Some("done")),
        "{w}"
    );
    app.texted("13977580011", "请点此确认").await;

    // The resident confirms with the tracking code: the reward is credited, once.
    let public = format!("/api/v1/public/wishes/{code}");
    let (s, t) = app.call(Method::GET, &public, None, None).await;
    assert_eq!(
        (s, t["claimant"].as_str()),
        (StatusCode::OK, Some("zy01")),
        "{t}"
    );
    assert_eq!(t["wish"]["phone_masked"], "139****0011");
    let confirm = format!("{public}/actions");
    let (s, t) = app
        .call(
            Method::POST,
            &confirm,
            None,
            Some(json!({"action": "confirm"})),
        )
        .await;
    assert_eq!(
        (s, t["stage"].as_str()),
        (StatusCode::OK, Some("confirmed")),
        "{t}"
    );
    let (s, _) = app
        .call(
            Method::POST,
            &confirm,
            None,
            Some(json!({"action": "confirm"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app
        .call(
            Method::POST,
            &confirm,
            None,
            Some(json!({"action": "publish", "points": 1, "deadline": later})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a resident does not publish");
    assert_eq!(balance(&app, &officer, first).await, 30);
    let events: Vec<String> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(events, ["提交心愿", "派单", "接单", "完成", "确认圆梦"]);

    // A claim that lapses opens the wish to others; the first member can no longer finish.
    let (_, second) = app
        .post("/api/v1/wishes", &app.token("wg0101").await, wish)
        .await;
    let id2 = second["id"].as_i64().unwrap();
    let at = |token: &str, body: Value| wish_act(&app, id2, token.to_owned(), body);
    at(
        &officer,
        json!({"action": "publish", "points": 10, "deadline": later}),
    )
    .await;
    let (s, _) = at(&zy01, json!({"action": "claim"})).await;
    assert_eq!(s, StatusCode::OK);
    exec_sql(
        &app,
        shanzhi_store::Sql::new("UPDATE wishes SET claim_expires_at = ? WHERE id = ?")
            .bind(app.now_ms() - 1)
            .bind(id2),
    )
    .await;
    let (_, open) = app
        .get(
            &format!("/api/v1/wishes?node={COMMUNITY}&stage=published"),
            &officer,
        )
        .await;
    assert!(
        open.as_array()
            .unwrap()
            .iter()
            .any(|w| w["wish"]["id"] == id2),
        "{open}"
    );
    let (s, _) = at(&zy01, json!({"action": "complete", "note": "做完了"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, w) = at(&zy02, json!({"action": "claim"})).await;
    assert_eq!(
        (s, w["claimant"].as_str()),
        (StatusCode::OK, Some("zy02")),
        "{w}"
    );

    // Outside the community, wishes do not exist.
    let other = app.token("wg0201").await;
    let (s, _) = app.get(&format!("/api/v1/wishes/{id}"), &other).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_books_exact(&app, &officer).await;
}

#[tokio::test]
async fn the_demo_books_reconcile_and_its_wishes_stand_in_every_state() {
    let app = TestApp::demo().await;
    shanzhi_app::seed::demo_participation(app.state().store(), app.state().vault(), app.now_ms())
        .await
        .expect("demo participation");
    let officer = app.token("sq01").await;
    let r = assert_books_exact(&app, &officer).await;
    assert!(r["items"].as_i64().unwrap() >= 6, "{r}");
    let (_, wishes) = app
        .get(&format!("/api/v1/wishes?node={COMMUNITY}"), &officer)
        .await;
    let stages: std::collections::BTreeSet<&str> = wishes
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages.len(), 6, "{stages:?}");
    // The community's volunteer login is a confirmed member with points to spend.
    let volunteer = app.token("zy01").await;
    let (s, me) = app.get("/api/v1/members/me", &volunteer).await;
    assert_eq!(
        (s, me["standing"].as_str()),
        (StatusCode::OK, Some("confirmed")),
        "{me}"
    );
    // The demo's service lies in the last five months: early in January, last year's report
    // holds it.
    let year: i32 = app.today().to_string()[..4].parse().unwrap();
    let mut lines = Vec::new();
    for y in [year - 1, year] {
        let (_, report) = app
            .get(
                &format!("/api/v1/members/report?node={COMMUNITY}&year={y}"),
                &officer,
            )
            .await;
        lines.extend(report.as_array().unwrap().iter().cloned());
    }
    assert!(
        lines.iter().any(|l| l["met_minimum"] == false),
        "someone has not served: {lines:?}"
    );
    assert!(lines.iter().any(|l| l["met_minimum"] == true), "{lines:?}");
    let (_, queue) = app
        .get(
            &format!("/api/v1/services?node={COMMUNITY}&stage=declared"),
            &officer,
        )
        .await;
    assert!(
        !queue.as_array().unwrap().is_empty(),
        "declarations wait for verification"
    );
    // Topics at every stage, a survey with answers that fit it, letters in the box.
    let (_, topics) = app
        .call(
            Method::GET,
            &format!("/api/v1/public/topics?node={COMMUNITY}"),
            None,
            None,
        )
        .await;
    let stages: std::collections::BTreeSet<&str> = topics
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages.len(), 5, "{stages:?}");
    let (_, surveys) = app
        .get(&format!("/api/v1/surveys?node={COMMUNITY}"), &officer)
        .await;
    let survey = surveys[0]["survey"]["id"].as_i64().unwrap();
    let (s, r) = app
        .get(&format!("/api/v1/surveys/{survey}/results"), &officer)
        .await;
    assert_eq!(
        (s, r["responses"].as_u64()),
        (StatusCode::OK, Some(60)),
        "{r}"
    );
    let (_, letters) = app
        .get(&format!("/api/v1/opinions?node={COMMUNITY}"), &officer)
        .await;
    assert_eq!(letters.as_array().unwrap().len(), 3);
}
