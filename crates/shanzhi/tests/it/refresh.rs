//! A register sent again as a refresh (更新导入): the preview names what is new, changed field
//! by field, moved and missing, and writes nothing; the import writes exactly that in one
//! transaction, with every change on the audit trail; on the page the preview is confirmed
//! without sending the file again.

use crate::common::{TestApp, fetch as text};
use crate::pages::{csrf_of, logged_in};
use crate::registers::{import, synthetic_id};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

const GRID: &str = "450802001001001";
const HEADERS: &str =
    "网格编码,楼栋,单元,房号,户编号,姓名,公民身份号码,联系电话,与户主关系,居住状态,重点人群标签";

/// One line of a residents sheet.
fn line(room: &str, household: &str, name: &str, id: usize, phone: &str, relation: &str) -> String {
    let tags = if name == "黄秀兰" && phone.starts_with("139") {
        "独居老人(重点)"
    } else {
        ""
    };
    format!(
        "{GRID},金港花园3栋,1,{room},{household},{name},{},{phone},{relation},户籍,{tags}\n",
        synthetic_id(id)
    )
}

/// The register as first sent: households R1 (three people), R2 (one), R3 (one).
pub(crate) fn first_sheet() -> Vec<u8> {
    [
        HEADERS.to_owned() + "\n",
        line("201", "R1", "黄秀兰", 301, "13877512345", "户主"),
        line("201", "R1", "覃建国", 302, "", "配偶"),
        line("201", "R1", "覃小明", 303, "", "子女"),
        line("102", "R2", "韦丽萍", 304, "13900001111", "户主"),
        line("105", "R3", "蒙志强", 305, "", "户主"),
    ]
    .concat()
    .into_bytes()
}

/// A month later: 黄秀兰 has a new phone and a tag, 覃小明 lives with R2, R2 moved to room
/// 302, a newborn joins R2, and R3 is not in the sheet.
pub(crate) fn refreshed_sheet() -> Vec<u8> {
    [
        HEADERS.to_owned() + "\n",
        line("201", "R1", "黄秀兰", 301, "13999998888", "户主"),
        line("201", "R1", "覃建国", 302, "", "配偶"),
        line("302", "R2", "覃小明", 303, "", "其他亲属"),
        line("302", "R2", "韦丽萍", 304, "139****1111", "户主"),
        line("302", "R2", "韦宝宝", 306, "", "子女"),
    ]
    .concat()
    .into_bytes()
}

async fn resident(app: &TestApp, token: &str, id: usize) -> Value {
    let (s, found) = app
        .get(&format!("/api/v1/residents?q={}", synthetic_id(id)), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{found}");
    found[0].clone()
}

/// The listed change of `who`'s `field`: (kind, before, after).
fn change(changes: &Value, who: &str, field: &str) -> (String, String, String) {
    for c in changes["listed"].as_array().expect("listed") {
        if !c["who"].as_str().unwrap_or_default().starts_with(who) {
            continue;
        }
        for f in c["fields"].as_array().expect("fields") {
            if f["field"] == field {
                let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
                return (s(&c["kind"]), s(&f["before"]), s(&f["after"]));
            }
        }
    }
    panic!("no change of {who}'s {field}: {changes}");
}

#[tokio::test]
async fn a_refresh_previews_every_change_then_writes_it_all_with_the_audit_trail() {
    let app = TestApp::demo().await;
    let sq = app.token("sq01").await;
    let (s, b) = import(&app, &sq, "residents", "居民.csv", first_sheet(), "").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let before_r1 = resident(&app, &sq, 301).await;

    // Sent again without saying it is a refresh: refused, and told how.
    let (s, b) = import(&app, &sq, "residents", "居民.csv", refreshed_sheet(), "").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b.to_string().contains("更新导入"), "{b}");

    // The preview: counted and listed field by field, nothing written.
    let (s, b) = import(
        &app,
        &sq,
        "residents",
        "居民.csv",
        refreshed_sheet(),
        "&update=true&missing=true&check_only=true",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["committed"], false, "{b}");
    let c = &b["changes"];
    assert_eq!(
        (
            &c["new"],
            &c["changed"],
            &c["moved"],
            &c["unchanged"],
            &c["missing"]
        ),
        (
            &Value::from(1),
            &Value::from(1),
            &Value::from(2),
            &Value::from(2),
            &Value::from(1)
        ),
        "one new, 黄秀兰 changed, 覃小明 and household R2 moved, 覃建国 and 韦丽萍 as they were \
         (her masked phone keeps the one on record) … {c}"
    );
    assert_eq!(
        change(c, "黄秀兰", "联系电话"),
        ("changed".into(), "138****2345".into(), "139****8888".into())
    );
    assert_eq!(
        change(c, "黄秀兰", "重点人群标签"),
        ("changed".into(), String::new(), "独居老人(重点)".into())
    );
    let (kind, _, after) = change(c, "覃小明", "所在户");
    assert_eq!(kind, "moved");
    assert!(
        after.contains("户编号 R2") && after.contains("302"),
        "{after}"
    );
    assert_eq!(
        change(c, "覃小明", "与户主关系"),
        ("moved".into(), "子女".into(), "其他亲属".into())
    );
    let (kind, before, after) = change(c, "户编号 R2", "住址");
    assert_eq!(kind, "moved");
    assert!(
        before.contains("102") && after.contains("302"),
        "{before} → {after}"
    );
    let (kind, _, _) = change(c, "蒙志强", "所在户");
    assert_eq!(kind, "missing");
    assert_eq!(
        resident(&app, &sq, 301).await,
        before_r1,
        "the preview writes nothing"
    );

    // Written: exactly what the preview said.
    let (s, b) = import(
        &app,
        &sq,
        "residents",
        "居民.csv",
        refreshed_sheet(),
        "&update=true",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["committed"], true, "{b}");
    assert_eq!(b["written"], 4, "one added, one changed, two moved: {b}");
    let r1 = resident(&app, &sq, 301).await;
    assert_eq!(r1["phone_masked"], "139****8888", "{r1}");
    let wei = resident(&app, &sq, 304).await;
    assert_eq!(wei["phone_masked"], "139****1111", "kept: {wei}");
    assert_eq!(wei["room"], "302", "{wei}");
    let child = resident(&app, &sq, 303).await;
    assert_eq!(child["household_id"], wei["household_id"], "{child}");
    assert_eq!(child["relation"], "relative", "{child}");
    let baby = resident(&app, &sq, 306).await;
    assert_eq!(baby["household_id"], wei["household_id"], "{baby}");
    assert_eq!(
        resident(&app, &sq, 305).await["name"],
        "蒙志强",
        "missing from the sheet is listed, never removed"
    );
    let (_, tags) = app
        .get(&format!("/api/v1/residents/{}", r1["id"]), &sq)
        .await;
    assert!(tags.to_string().contains("独居老人"), "{tags}");

    // The audit trail has each person's change with before and after (masked).
    let auditor = app.token("sj01").await;
    let (_, trail) = app
        .get(
            &format!(
                "/api/v1/audit?action=register.person_update&target=person:{}",
                r1["id"]
            ),
            &auditor,
        )
        .await;
    let trail = trail.to_string();
    assert!(
        trail.contains("138****2345")
            && trail.contains("139****8888")
            && !trail.contains("13999998888"),
        "{trail}"
    );
    let (_, summary) = app
        .get("/api/v1/audit?action=register.refresh_residents", &auditor)
        .await;
    let detail: Value =
        serde_json::from_str(summary[0]["detail"].as_str().unwrap_or_default()).expect("detail");
    assert_eq!(
        (&detail["new"], &detail["changed"], &detail["moved"]),
        (&Value::from(1), &Value::from(1), &Value::from(2)),
        "{summary}"
    );

    // The same sheet again changes nothing.
    let (s, b) = import(
        &app,
        &sq,
        "residents",
        "居民.csv",
        refreshed_sheet(),
        "&update=true&check_only=true",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["changes"]["unchanged"], 5, "{b}");
    assert_eq!(b["changes"]["listed"], Value::Array(vec![]), "{b}");
}

#[tokio::test]
async fn on_the_page_a_refresh_is_previewed_and_confirmed_without_sending_the_file_again() {
    let app = TestApp::demo().await;
    let sq_token = app.token("sq01").await;
    let (s, b) = import(&app, &sq_token, "residents", "居民.csv", first_sheet(), "").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (sq, _) = logged_in(&app, "sq01").await;
    let (_, html) = text(&app, &sq, &format!("/registers/{GRID}?tab=residents")).await;
    assert!(html.contains("更新导入"), "{html}");
    let csrf = csrf_of(&html);
    let form = Form::new()
        .text("_csrf", csrf.clone())
        .text("register", "residents")
        .text("update", "1")
        .part("file", Part::bytes(refreshed_sheet()).file_name("居民.csv"));
    let r = sq
        .post(format!("{}/registers/{GRID}/import", app.base))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let preview = crate::pages_registers::finished(&app, &sq, r).await;
    assert!(
        preview.contains("新增 1 · 修改 1 · 迁移 2 · 未变 2") && preview.contains("确认写入"),
        "{preview}"
    );
    assert!(preview.contains("139****8888"), "{preview}");
    assert_eq!(
        resident(&app, &sq_token, 301).await["phone_masked"],
        "138****2345"
    );
    let confirm = preview
        .split("action=\"")
        .find_map(|s| s.split('"').next().filter(|a| a.ends_with("/confirm")))
        .expect("confirm form")
        .to_owned();
    let post_confirm = || {
        sq.post(format!("{}{confirm}", app.base))
            .form(&[("_csrf", csrf_of(&preview)), ("node", GRID.to_owned())])
            .send()
    };
    let r = post_confirm().await.expect("confirm");
    let done = crate::pages_registers::finished(&app, &sq, r).await;
    assert!(done.contains("已导入 4 条"), "{done}");
    assert_eq!(
        resident(&app, &sq_token, 301).await["phone_masked"],
        "139****8888"
    );

    // Confirmed once only; someone else's job does not exist for them.
    let r = post_confirm().await.expect("again");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let again = r.headers()[LOCATION].to_str().expect("location").to_owned();
    let (_, html) = text(&app, &sq, &again).await;
    assert!(html.contains("已经写入"), "{html}");
    let (other, _) = logged_in(&app, "wg0101").await;
    let (_, html) = text(&app, &other, &format!("/registers/{GRID}?tab=residents")).await;
    let r = other
        .post(format!("{}{confirm}", app.base))
        .form(&[("_csrf", csrf_of(&html)), ("node", GRID.to_owned())])
        .send()
        .await
        .expect("other");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// A cell as a CSV field.
fn field(c: &calamine::Data) -> String {
    match c {
        calamine::Data::Float(v) => format!("{v}"),
        other => other.to_string().replace(',', "，"),
    }
}

#[tokio::test]
async fn the_places_export_edited_and_sent_back_updates_the_places_it_changes() {
    let app = TestApp::demo_with_registers().await;
    let sq = app.token("sq01").await;
    let (_, rows) = crate::sheets::register_export(&app, &sq, "places", GRID).await;
    assert!(rows.len() > 3, "the grid has places: {rows:?}");
    let head: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    let at = |h: &str| head.iter().position(|x| x.starts_with(h)).expect(h);
    let (name, risk, phone) = (at("场所名称"), at("风险等级"), at("联系电话"));
    let mut lines = vec![head.join(",")];
    let mut first: Vec<String> = rows[1].iter().map(field).collect();
    let new_risk = if first[risk] == "高" { "低" } else { "高" };
    first[risk] = new_risk.into();
    first[phone] = "13912345678".into();
    lines.push(first.join(","));
    // The rest as exported, but the last left out; and one place new.
    for r in &rows[2..rows.len() - 1] {
        lines.push(r.iter().map(field).collect::<Vec<_>>().join(","));
    }
    let mut fresh = vec![String::new(); head.len()];
    fresh[at("网格编码")] = GRID.into();
    fresh[name] = "金港花园新开麻辣烫".into();
    fresh[at("场所类型")] = "九小场所".into();
    fresh[at("地址")] = "港北区金港大道170号".into();
    fresh[risk] = "中".into();
    lines.push(fresh.join(","));
    let sheet = (lines.join("\n") + "\n").into_bytes();
    let unchanged = rows.len() as u64 - 3;

    let (s, b) = import(&app, &sq, "places", "places.csv", sheet.clone(), "").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b.to_string().contains("更新导入"), "{b}");

    let (s, b) = import(
        &app,
        &sq,
        "places",
        "places.csv",
        sheet.clone(),
        "&update=true&missing=true&check_only=true",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let c = &b["changes"];
    assert_eq!(
        (&c["new"], &c["changed"], &c["unchanged"], &c["missing"]),
        (
            &Value::from(1),
            &Value::from(1),
            &Value::from(unchanged),
            &Value::from(1)
        ),
        "{c}"
    );
    let place = rows[1][name].to_string();
    let (kind, _, after) = change(c, &place, "风险等级");
    assert_eq!((kind.as_str(), after.as_str()), ("changed", new_risk));
    let (_, _, after) = change(c, &place, "联系电话");
    assert_eq!(after, "139****5678");
    let left_out = rows[rows.len() - 1][name].to_string();
    assert_eq!(change(c, &left_out, "地址").0, "missing");

    let (s, b) = import(&app, &sq, "places", "places.csv", sheet, "&update=true").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["written"], 2, "{b}");
    let (_, list) = app
        .get(&format!("/api/v1/places?node={GRID}&q={place}"), &sq)
        .await;
    assert_eq!(list[0]["contact_phone_masked"], "139****5678", "{list}");
    let (_, list) = app
        .get(&format!("/api/v1/places?node={GRID}&q={left_out}"), &sq)
        .await;
    assert_eq!(
        list[0]["name"].as_str(),
        Some(left_out.as_str()),
        "kept: {list}"
    );
    let (_, list) = app
        .get(&format!("/api/v1/places?node={GRID}&q=麻辣烫"), &sq)
        .await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
}
