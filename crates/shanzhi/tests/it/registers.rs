//! The four registers over the API: households and residents with sealed, masked personal data,
//! scope, audited reveals, sheet imports that write all or nothing, exports, places, staff.

use crate::common::{TestApp, error_code};
use reqwest::StatusCode;
use serde_json::{Value, json};

const GRID: &str = "450802001001001";
const OTHER_GRID: &str = "450802001002001";
/// Valid synthetic ID numbers (check digits computed).
const ID_HEAD: &str = "450802195203140023";
const ID_SPOUSE: &str = "450802195007080019";
const ID_CHILD: &str = "45080219800212002X";
const PHONE: &str = "13877512345";

fn household(grid: &str, room: &str, members: Value) -> Value {
    json!({"grid": grid, "building": "金港花园3栋", "address": "港北区金港大道168号",
           "unit": "1", "floor": 2, "room": room, "members": members})
}

fn member(name: &str, id: &str, relation: &str, tags: &str) -> Value {
    json!({"name": name, "id_number": id, "relation": relation, "status": "户籍", "tags": tags})
}

/// Uploads a register sheet through the API and waits for the outcome.
pub async fn import(
    app: &TestApp,
    token: &str,
    register: &str,
    name: &str,
    body: Vec<u8>,
    extra: &str,
) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(format!(
            "{}/api/v1/registers/import/{register}?wait=true&name={name}{extra}",
            app.base
        ))
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .expect("import");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_household_is_registered_found_by_id_and_phone_masked_and_revealed_only_on_record() {
    let app = TestApp::demo().await;
    let wg = app.token("wg0101").await;
    let mut head = member("黄秀兰", ID_HEAD, "户主", "独居老人(重点)");
    head["phone"] = json!("138 7751 2345");
    let (s, b) = app
        .post(
            "/api/v1/households",
            &wg,
            household(
                GRID,
                "201",
                json!([head, member("覃建国", ID_SPOUSE, "配偶", "")]),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let household_id = b["id"].as_i64().expect("id");

    // Found by exact ID number and by phone through the blind index, by name prefix; masked.
    for q in [ID_HEAD, PHONE, "黄秀"] {
        let (s, list) = app.get(&format!("/api/v1/residents?q={q}"), &wg).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        let list = list.as_array().expect("list");
        assert_eq!(list.len(), 1, "{q}: {list:?}");
        assert_eq!(list[0]["name"], "黄秀兰");
        assert_eq!(list[0]["id_masked"], "4508**********0023");
        assert_eq!(list[0]["phone_masked"], "138****2345");
        assert_eq!(list[0]["birth_date"], "1952-03-14");
        assert_eq!(list[0]["sex"], "female");
    }
    let (_, by_tag) = app.get("/api/v1/residents?tag=独居老人", &wg).await;
    assert_eq!(by_tag.as_array().map(Vec::len), Some(1));
    let person_id = by_tag[0]["id"].as_i64().expect("person");

    // Another grid's worker finds nothing and cannot open the person.
    let other = app.token("wg0201").await;
    let (_, none) = app
        .get(&format!("/api/v1/residents?q={ID_HEAD}"), &other)
        .await;
    assert_eq!(none, json!([]));
    let (s, _) = app
        .get(&format!("/api/v1/residents/{person_id}"), &other)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .post(
            &format!("/api/v1/residents/{person_id}/reveal"),
            &other,
            json!({"field": "id_number"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, b) = app
        .get(&format!("/api/v1/residents?node={GRID}"), &other)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");

    // The same person cannot be in a second household; a household needs one head.
    let (s, b) = app
        .post(
            "/api/v1/households",
            &wg,
            household(GRID, "301", json!([member("黄秀兰", ID_HEAD, "户主", "")])),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("已登记在金港花园3栋 201"),
        "{b}"
    );
    let (s, b) = app
        .post(
            "/api/v1/households",
            &wg,
            household(GRID, "302", json!([member("韦小明", ID_CHILD, "子女", "")])),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("没有户主"),
        "{b}"
    );
    // Bad ID and phone are named field by field.
    let mut bad = member("韦小明", "450802198002120021", "户主", "");
    bad["phone"] = json!("12345");
    let (s, b) = app
        .post(
            "/api/v1/households",
            &wg,
            household(GRID, "303", json!([bad])),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = b["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d["field"].as_str())
        .collect();
    assert_eq!(fields, ["公民身份号码", "联系电话"]);
    // A house outside the worker's grid is refused.
    let (s, b) = app
        .post(
            "/api/v1/households",
            &wg,
            household(
                OTHER_GRID,
                "101",
                json!([member("韦小明", ID_CHILD, "户主", "")]),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("不是您管辖范围内的网格"),
        "{b}"
    );

    // Reveal: recorded before it is shown; departments and volunteers may not.
    let (s, b) = app
        .post(
            &format!("/api/v1/residents/{person_id}/reveal"),
            &wg,
            json!({"field": "id_number"}),
        )
        .await;
    assert_eq!((s, b["value"].as_str()), (StatusCode::OK, Some(ID_HEAD)));
    let (_, b) = app
        .post(
            &format!("/api/v1/residents/{person_id}/reveal"),
            &wg,
            json!({"field": "phone"}),
        )
        .await;
    assert_eq!(b["value"], PHONE);
    let volunteer = app.token("zy01").await;
    let (s, _) = app
        .post(
            &format!("/api/v1/residents/{person_id}/reveal"),
            &volunteer,
            json!({"field": "id_number"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let auditor = app.token("sj01").await;
    let (s, trail) = app
        .get(
            &format!("/api/v1/audit?target=person:{person_id}&action=register.reveal"),
            &auditor,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let actions: Vec<&str> = trail
        .as_array()
        .expect("trail")
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        ["register.reveal_phone", "register.reveal_id_number"]
    );
    assert!(
        !trail.to_string().contains(ID_HEAD),
        "the trail holds masked values only"
    );
    let (s, _) = app.get("/api/v1/audit", &wg).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // An edit keeps before and after in the trail; a stale edit is refused.
    let (_, detail) = app
        .get(&format!("/api/v1/residents/{person_id}"), &wg)
        .await;
    assert_eq!(detail["household"].as_array().map(Vec::len), Some(2));
    assert_eq!(detail["tags"][0]["name"], "独居老人");
    let updated_at = detail["person"]["updated_at"].as_i64().expect("updated_at");
    let edit = json!({"name": "黄秀兰", "phone": "138****2345", "relation": "户主", "status": "户籍",
                      "tags": "独居老人(关注)；残疾人", "updated_at": updated_at});
    let (s, b) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/residents/{person_id}"),
            Some(&wg),
            Some(edit.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (s, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/residents/{person_id}"),
            Some(&wg),
            Some(edit),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, detail) = app
        .get(&format!("/api/v1/residents/{person_id}"), &wg)
        .await;
    assert_eq!(
        detail["person"]["phone_masked"], "138****2345",
        "a masked phone keeps the number"
    );
    assert_eq!(detail["tags"].as_array().map(Vec::len), Some(2));
    let (_, trail) = app
        .get(
            &format!("/api/v1/audit?target=person:{person_id}&action=register.person_update"),
            &auditor,
        )
        .await;
    let d: Value =
        serde_json::from_str(trail[0]["detail"].as_str().expect("detail")).expect("json");
    assert_eq!(d["before"]["tags"], json!(["elderly_alone:close"]));
    assert_eq!(
        d["after"]["tags"],
        json!(["elderly_alone:watch", "disabled:normal"])
    );

    // Moving (to another grid of the community, by its officer) keeps the old address; the
    // first grid's worker no longer sees the household.
    let sq = app.token("sq01").await;
    let to =
        json!({"grid": "450802001001002", "building": "金港花园5栋", "unit": "2", "room": "501"});
    let (s, b) = app
        .post(
            &format!("/api/v1/households/{household_id}/move"),
            &wg,
            to.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, b) = app
        .post(&format!("/api/v1/households/{household_id}/move"), &sq, to)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (_, detail) = app
        .get(&format!("/api/v1/residents/{person_id}"), &sq)
        .await;
    assert_eq!(detail["moves"][0]["from_address"], "金港花园3栋 1 201");
    assert_eq!(detail["person"]["building"], "金港花园5栋");
    let (s, _) = app
        .get(&format!("/api/v1/residents/{person_id}"), &wg)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_database_dump_holds_no_plaintext_id_or_phone_number() {
    let app = TestApp::demo().await;
    let wg = app.token("wg0101").await;
    let mut head = member("黄秀兰", ID_HEAD, "户主", "");
    head["phone"] = json!(PHONE);
    let (s, b) = app
        .post(
            "/api/v1/households",
            &wg,
            household(GRID, "201", json!([head])),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (_, list) = app
        .get(&format!("/api/v1/residents?q={ID_HEAD}"), &wg)
        .await;
    let id = list[0]["id"].as_i64().expect("id");
    app.post(
        &format!("/api/v1/residents/{id}/reveal"),
        &wg,
        json!({"field": "id_number"}),
    )
    .await;

    let dump = dump(&app).await;
    assert!(dump.len() > 10_000, "the dump has the demo data");
    let holds = |text: &str| dump.windows(text.len()).any(|w| w == text.as_bytes());
    assert!(
        holds("黄秀兰"),
        "the dump holds the register's plain fields"
    );
    for secret in [ID_HEAD, PHONE, "1952031400"] {
        assert!(!holds(secret), "{secret} found in the database dump");
    }
}

/// Every byte the database holds: the SQLite file and its WAL, or every PostgreSQL table's rows as text.
async fn dump(app: &TestApp) -> Vec<u8> {
    if crate::common::backend() == "sqlite" {
        let mut conn = app.state().store().conn().await.expect("conn");
        shanzhi_store::Exec::exec(
            &mut conn,
            shanzhi_store::Sql::new("PRAGMA wal_checkpoint(TRUNCATE)"),
        )
        .await
        .ok();
        let mut bytes = std::fs::read(app.db_url()).expect("db file");
        bytes.extend(std::fs::read(format!("{}-wal", app.db_url())).unwrap_or_default());
        bytes
    } else {
        let mut conn = app.state().store().conn().await.expect("conn");
        let tables: Vec<(String,)> = shanzhi_store::Exec::all(
            &mut conn,
            shanzhi_store::Sql::new("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'"),
        )
        .await
        .expect("tables");
        let mut out = Vec::new();
        for (t,) in tables {
            let rows: Vec<(String,)> = shanzhi_store::Exec::all(
                &mut conn,
                shanzhi_store::Sql::new(format!("SELECT CAST(t AS TEXT) FROM \"{t}\" t")),
            )
            .await
            .expect("rows");
            for (r,) in rows {
                out.extend(r.into_bytes());
            }
        }
        out
    }
}

const HEADER: &str = "网格编码,楼栋,地址,单元,楼层,房号,户编号,姓名,公民身份号码,联系电话,与户主关系,居住状态,迁入日期,迁出日期,重点人群标签,备注";

fn csv(rows: &[&str]) -> Vec<u8> {
    let mut s = String::from("\u{feff}");
    s.push_str(HEADER);
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s.into_bytes()
}

#[tokio::test]
async fn a_sheet_with_mistakes_is_refused_row_by_row_and_the_fixed_sheet_is_written_whole() {
    let app = TestApp::demo().await;
    let sq = app.token("sq01").await;
    let good_head = format!(
        "{GRID},金港花园3栋,金港大道168号,1,2,201,H1,黄秀兰,{ID_HEAD},{PHONE},户主,户籍,,,独居老人(重点),"
    );
    let good_spouse =
        format!("{GRID},金港花园3栋,金港大道168号,1,2,201,H1,覃建国,{ID_SPOUSE},,配偶,户籍,,,,");
    let bad = csv(&[
        &good_head,
        &good_spouse,
        ",,,,,,,,,,,,,,,",
        &format!("{GRID},金港花园3栋,,1,3,301,H2,韦小明,450802198002120021,12345,户主,户籍,,,,"),
        &format!(
            "{OTHER_GRID},金港花园3栋,,1,3,302,H3,李海燕,{},,户主,流动,,,独居,",
            synthetic_id(7)
        ),
        &format!("{GRID},金港花园3栋,,1,3,303,H1,黄大伟,{ID_CHILD},,子女,户籍,,,,"),
        &format!("{GRID},金港花园3栋,,1,3,304,H4,黄秀兰,{ID_HEAD},,户主,户籍,,,,"),
    ]);
    let (s, b) = import(&app, &sq, "residents", "居民.csv", bad, "").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(error_code(&b), "invalid_rows");
    let report = &b["error"]["details"];
    let listed: Vec<(i64, String)> = report["problems"]["listed"]
        .as_array()
        .expect("listed")
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap_or(0),
                e["field"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expect = |row: i64, field: &str| {
        assert!(
            listed.contains(&(row, field.to_owned())),
            "row {row} {field}: {listed:?}"
        )
    };
    expect(5, "公民身份号码");
    expect(5, "联系电话");
    expect(6, "网格编码");
    expect(6, "迁入日期");
    expect(6, "重点人群标签");
    expect(7, "户编号"); // H1 lives at 201, not 303
    expect(8, "公民身份号码"); // the same ID as row 2
    assert!(
        report.to_string().contains("与第 2 行的身份证号相同"),
        "{report}"
    );
    assert_eq!(report["rows"], 6, "the blank row is skipped");
    assert_eq!(report["committed"], false);
    let (_, none) = app.get("/api/v1/residents", &sq).await;
    assert_eq!(none, json!([]), "nothing of a refused file is written");

    // Fixed, and with a column mapping for headers the guess does not know.
    let fixed = format!(
        "网格编码,楼栋,单元,房号,户号,名字,证件,电话,关系,人口类型,标签\n\
         {GRID},金港花园3栋,1,201,H1,黄秀兰,{ID_HEAD},{PHONE},户主,户籍,独居老人(重点)\n\
         {GRID},金港花园3栋,1,201,H1,覃建国,{ID_SPOUSE},,配偶,户籍,\n\
         {GRID},金港花园3栋,1,303,H2,黄大伟,{ID_CHILD},,户主,流动人口,"
    );
    let (s, b) = import(
        &app,
        &sq,
        "residents",
        "fixed.csv",
        fixed.clone().into_bytes(),
        "",
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(b.to_string().contains("缺少必填列“姓名”"), "{b}");
    let mapping = "&mapping=name:名字,id_number:证件";
    let (s, b) = import(
        &app,
        &sq,
        "residents",
        "fixed.csv",
        fixed.clone().into_bytes(),
        mapping,
    )
    .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a floating resident needs an arrival date"
    );
    assert!(b.to_string().contains("流动人口须填写来本地日期"), "{b}");
    let fixed = format!(
        "网格编码,楼栋,单元,房号,户号,名字,证件,电话,关系,人口类型,标签,来本地日期\n\
         {GRID},金港花园3栋,1,201,H1,黄秀兰,{ID_HEAD},{PHONE},户主,户籍,独居老人(重点),\n\
         {GRID},金港花园3栋,1,201,H1,覃建国,{ID_SPOUSE},,配偶,户籍,,\n\
         {GRID},金港花园3栋,1,303,H2,黄大伟,{ID_CHILD},,户主,流动人口,,2024-05-01"
    );
    let (s, b) = import(
        &app,
        &sq,
        "residents",
        "fixed.csv",
        fixed.clone().into_bytes(),
        mapping,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (
            b["written"].as_i64(),
            b["households"].as_i64(),
            b["committed"].as_bool()
        ),
        (Some(3), Some(2), Some(true))
    );

    // The same file again: every person is already registered, nothing is written twice.
    let (s, b) = import(
        &app,
        &sq,
        "residents",
        "fixed.csv",
        fixed.into_bytes(),
        mapping,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["error"]["details"]["problems"]["total"], 3);
    let (_, all) = app
        .get(&format!("/api/v1/residents?node={GRID}"), &sq)
        .await;
    assert_eq!(all.as_array().map(Vec::len), Some(3));
    let (_, summary) = app.get(&format!("/api/v1/registers/{GRID}"), &sq).await;
    assert_eq!(summary["residents"]["households"], 2, "{summary}");
    assert_eq!(summary["residents"]["by_tag"], json!([["独居老人", 1]]));

    // Export: full numbers for the community officer, masked for a grid worker; both audited.
    let full = export_rows(&app, &sq).await;
    let masked = export_rows(&app, &app.token("wg0101").await).await;
    assert_eq!(full.len(), 4, "header and three persons");
    assert_eq!(full[0][9], "公民身份号码*");
    assert_eq!(full[1][8], "女", "性别, from the ID number");
    assert_eq!(full[1][9], ID_HEAD);
    assert_eq!(full[1][10], PHONE);
    assert_eq!(full[1][15], "独居老人(重点)");
    assert_eq!(masked[1][9], "4508**********0023");
    let auditor = app.token("sj01").await;
    let (_, trail) = app
        .get("/api/v1/audit?action=register.export", &auditor)
        .await;
    let actions: Vec<&str> = trail
        .as_array()
        .expect("trail")
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "register.export_residents_masked",
            "register.export_residents_full"
        ]
    );
}

async fn export_rows(app: &TestApp, token: &str) -> Vec<Vec<String>> {
    use calamine::Reader;
    let resp = app
        .client
        .get(format!(
            "{}/api/v1/registers/export/residents?node={GRID}",
            app.base
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("export");
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.expect("bytes");
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    let range = book.worksheet_range_at(0).expect("sheet").expect("range");
    range
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect()
}

#[tokio::test]
async fn an_xlsx_with_merged_cells_formulas_and_blank_rows_imports_as_people_mean_it() {
    use rust_xlsxwriter::{Format, Formula, Workbook};
    let app = TestApp::demo().await;
    let wg = app.token("wg0101").await;
    // The template downloads and its headers import as they are.
    let resp = app
        .client
        .get(format!("{}/api/v1/registers/templates/residents", app.base))
        .bearer_auth(&wg)
        .send()
        .await
        .expect("template");
    assert_eq!(resp.status(), StatusCode::OK);
    let template = resp.bytes().await.expect("bytes").to_vec();
    let (s, b) = import(
        &app,
        &wg,
        "residents",
        "template.xlsx",
        template,
        "&check_only=true",
    )
    .await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the template's example rows are valid: {b}"
    );
    assert_eq!(
        (b["rows"].as_i64(), b["committed"].as_bool()),
        (Some(2), Some(false))
    );

    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in HEADER.split(',').enumerate() {
        sheet.write_string(0, c as u16, h).expect("header");
    }
    let rows = [
        [
            GRID,
            "金港花园3栋",
            "",
            "1",
            "2",
            "201",
            "H1",
            "黄秀兰",
            ID_HEAD,
            PHONE,
            "户主",
            "户籍",
            "",
            "",
            "",
            "",
        ],
        [
            "",
            "",
            "",
            "1",
            "2",
            "201",
            "H1",
            "覃建国",
            ID_SPOUSE,
            "",
            "配偶",
            "户籍",
            "",
            "",
            "",
            "",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                sheet
                    .write_string(r as u32 + 1, c as u16, *v)
                    .expect("cell");
            }
        }
    }
    // Grid and building merged down over the household, as registers are drawn.
    let fmt = Format::new();
    sheet
        .merge_range(1, 0, 2, 0, GRID, &fmt)
        .expect("merge grid");
    sheet
        .merge_range(1, 1, 2, 1, "金港花园3栋", &fmt)
        .expect("merge building");
    // A row left blank, then a row whose name is a formula with its saved value.
    sheet
        .write_formula(4, 7, Formula::new("=\"黄\"&\"大伟\"").set_result("黄大伟"))
        .expect("formula");
    for (c, v) in [
        (0u16, GRID),
        (1, "金港花园3栋"),
        (3, "1"),
        (5, "303"),
        (6, "H2"),
        (8, ID_CHILD),
        (10, "户主"),
        (11, "户籍"),
    ] {
        sheet.write_string(4, c, v).expect("cell");
    }
    let bytes = book.save_to_buffer().expect("xlsx");
    let (s, b) = import(&app, &wg, "residents", "居民.xlsx", bytes, "").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["rows"].as_i64(), b["written"].as_i64()),
        (Some(3), Some(3))
    );
    let (_, found) = app.get("/api/v1/residents?q=黄大伟", &wg).await;
    assert_eq!(found[0]["room"], "303");
    let (_, spouse) = app
        .get(&format!("/api/v1/residents?q={ID_SPOUSE}"), &wg)
        .await;
    assert_eq!(
        spouse[0]["node_code"], GRID,
        "the merged grid code reached the second row"
    );

    // An ID number typed as a number has lost digits: refused with the reason.
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in HEADER.split(',').enumerate() {
        sheet.write_string(0, c as u16, h).expect("header");
    }
    for (c, v) in [
        (0u16, GRID),
        (1, "金港花园3栋"),
        (5, "401"),
        (6, "H9"),
        (7, "莫志强"),
        (10, "户主"),
        (11, "户籍"),
    ] {
        sheet.write_string(1, c, v).expect("cell");
    }
    sheet
        .write_number(1, 8, 450802199001010000.0)
        .expect("number");
    let (s, b) = import(
        &app,
        &wg,
        "residents",
        "n.xlsx",
        book.save_to_buffer().expect("xlsx"),
        "",
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(b.to_string().contains("存成了数字"), "{b}");

    // Not a spreadsheet at all.
    let (s, b) = import(
        &app,
        &wg,
        "residents",
        "x.xlsx",
        b"PK\x03\x04garbage".to_vec(),
        "",
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
}

#[tokio::test]
async fn imports_run_as_jobs_whose_progress_the_owner_follows() {
    let uploads = tempfile::tempdir().expect("dir");
    let upload_dir = uploads.path().join("uploads");
    let config = shanzhi_app::AppConfig {
        upload_dir: upload_dir.clone(),
        ..Default::default()
    };
    let app = TestApp::demo_with(config, Default::default()).await;
    let wg = app.token("wg0101").await;
    let rows: Vec<String> = (0..300)
        .map(|i| {
            format!(
                "{GRID},金港花园9栋,,1,,{i},H{i},居民{i},{},,户主,户籍,,,,",
                synthetic_id(i)
            )
        })
        .collect();
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let resp = app
        .client
        .post(format!(
            "{}/api/v1/registers/import/residents?name=big.csv",
            app.base
        ))
        .bearer_auth(&wg)
        .body(csv(&refs))
        .send()
        .await
        .expect("import");
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let job: Value = resp.json().await.expect("job");
    let id = job["id"].as_str().expect("job id").to_owned();
    let other = app.token("wg0102").await;
    let (s, _) = app
        .get(&format!("/api/v1/registers/imports/{id}"), &other)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "only the owner follows a job");
    let status = loop {
        let (s, st) = app
            .get(&format!("/api/v1/registers/imports/{id}"), &wg)
            .await;
        assert_eq!(s, StatusCode::OK);
        if st["done"] == true {
            break st;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(status["percent"], 100);
    assert_eq!(status["report"]["written"], 300, "{status}");
    // The sheet (full ID numbers) waited in an owner-only directory and is gone now.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&upload_dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
    let left: Vec<_> = std::fs::read_dir(&upload_dir).unwrap().collect();
    assert!(
        left.is_empty(),
        "uploads removed after the import: {left:?}"
    );
}

/// A valid ID number for person `i` (born 1960 + i % 50, sequence from i).
pub fn synthetic_id(i: usize) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let first = format!(
        "450802{}{:02}{:02}{:03}",
        1960 + i % 50,
        1 + i % 12,
        1 + i % 28,
        i % 1000
    );
    let sum: u32 = first
        .bytes()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{first}{check}")
}

/// The names of the indexes on the tables a residents import writes.
async fn register_indexes(app: &TestApp) -> Vec<String> {
    let sql = match app.state().store().backend() {
        shanzhi_store::Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'index' \
             AND tbl_name IN ('persons', 'households', 'houses', 'person_tags') ORDER BY name"
        }
        shanzhi_store::Backend::Postgres => {
            "SELECT indexname FROM pg_indexes \
             WHERE tablename IN ('persons', 'households', 'houses', 'person_tags') ORDER BY indexname"
        }
    };
    let mut conn = app.state().store().conn().await.expect("conn");
    let rows: Vec<(String,)> = shanzhi_store::Exec::all(&mut conn, shanzhi_store::Sql::new(sql))
        .await
        .expect("indexes");
    rows.into_iter().map(|(n,)| n).collect()
}

#[tokio::test]
async fn a_large_sheet_is_bulk_loaded_and_every_index_comes_back() {
    let app = TestApp::demo().await;
    let wg = app.token("wg0101").await;
    let before = register_indexes(&app).await;
    assert!(before.iter().any(|n| n == "persons_id_index"), "{before:?}");
    // 20,000 rows: large enough that SQLite drops the indexes and builds them again at the end.
    let rows: Vec<String> = (0..20_000)
        .map(|i| {
            let (id, relation) = (
                synthetic_id(500 + i),
                if i % 2 == 0 { "户主" } else { "配偶" },
            );
            let phone = if i % 3 == 0 {
                format!("139{i:08}")
            } else {
                String::new()
            };
            let tag = if i % 10 == 0 { "独居老人" } else { "" };
            format!(
                "{GRID},批量{}栋,,1,,{},B{},批量居民{i},{id},{phone},{relation},户籍,,,{tag},",
                i / 2000,
                i / 2,
                i / 2
            )
        })
        .collect();
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let (s, b) = import(&app, &wg, "residents", "large.csv", csv(&refs), "").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["written"].as_i64(), b["households"].as_i64()),
        (Some(20_000), Some(10_000))
    );
    assert_eq!(register_indexes(&app).await, before);

    // The rebuilt indexes answer: exact ID, phone, name prefix, tag.
    let id = synthetic_id(500 + 12_345);
    let (_, found) = app.get(&format!("/api/v1/residents?q={id}"), &wg).await;
    assert_eq!(found[0]["name"], "批量居民12345", "{found}");
    let (_, found) = app.get("/api/v1/residents?q=13900012345", &wg).await;
    assert_eq!(found[0]["name"], "批量居民12345", "{found}");
    let (_, found) = app.get("/api/v1/residents?q=批量居民1999", &wg).await;
    assert_eq!(found[0]["name"], "批量居民1999", "{found}");
    let (_, tagged) = app.get("/api/v1/residents?tag=独居老人", &wg).await;
    assert!(tagged.as_array().is_some_and(|t| !t.is_empty()), "{tagged}");

    // Those people are registered now: the same rows again are refused whole.
    let (s, b) = import(&app, &wg, "residents", "again.csv", csv(&refs[..10]), "").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
}

#[tokio::test]
async fn places_land_in_their_grid_and_are_inspected_and_counted() {
    let app = TestApp::demo().await;
    let wg = app.token("wg0101").await;
    let (lon, lat) = crate::api_cases::point_in_own_grid(&app, &wg).await;
    let place = json!({"name": "金港小食店", "kind": "九小场所", "address": "金港大道170号", "lon": lon, "lat": lat,
                       "contact": "李海燕", "contact_phone": "13907751234", "risk": "中"});
    let (s, b) = app.post("/api/v1/places", &wg, place.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["id"].as_i64().expect("id");
    let (s, _) = app.post("/api/v1/places", &wg, place).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // A typed grid that the position contradicts.
    let (s, b) = app
        .post(
            "/api/v1/places",
            &wg,
            json!({"grid": "450802001001002", "name": "错格小店", "kind": "商户", "address": "x",
                                             "lon": lon, "lat": lat, "risk": "低"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("位置不在网格 450802001001002 内"),
        "{b}"
    );
    let (s, b) = app
        .post(
            &format!("/api/v1/places/{id}/inspections"),
            &wg,
            json!({"result": "限期整改", "hazards": "灭火器过期"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (_, detail) = app.get(&format!("/api/v1/places/{id}"), &wg).await;
    assert_eq!(detail["place"]["contact_phone_masked"], "139****1234");
    assert_eq!(detail["inspections"][0]["hazards"], "灭火器过期");

    // A places sheet: every row checked, written whole.
    let sheet = format!(
        "场所名称,场所类型,地址,网格编码,风险等级\n金港幼儿园,幼儿园,金港大道1号,{GRID},高\n金港诊所,诊所,金港大道2号,{GRID},中\n错行,游乐场,金港大道3号,{GRID},极高"
    );
    let (s, b) = import(&app, &wg, "places", "p.csv", sheet.clone().into_bytes(), "").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let rows: Vec<i64> = b["error"]["details"]["problems"]["listed"]
        .as_array()
        .expect("listed")
        .iter()
        .filter_map(|e| e["row"].as_i64())
        .collect();
    assert_eq!(rows, [4, 4]);
    let fixed = sheet.replace("\n错行,游乐场,金港大道3号,450802001001001,极高", "");
    let (s, b) = import(&app, &wg, "places", "p.csv", fixed.into_bytes(), "").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, summary) = app.get(&format!("/api/v1/registers/{GRID}"), &wg).await;
    assert_eq!(
        summary["places"].as_array().map(Vec::len),
        Some(3),
        "{summary}"
    );

    // Staff: one person serving two grids; grid facts with before/after in the trail.
    let sq = app.token("sq01").await;
    let (s, b) = app
        .post("/api/v1/staff", &sq, json!({"name": "覃丽华", "role": "专职网格员", "phone": "13977501234", "party_member": true,
                                            "grids": [GRID, "450802001001002"], "username": "wg0101"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let staff = b["id"].as_i64().expect("staff");
    let (s, _) = app
        .post(
            &format!("/api/v1/staff/{staff}/trainings"),
            &sq,
            json!({"day": "2026-10-12", "topic": "矛盾纠纷调解", "hours": 4.0}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, list) = app.get("/api/v1/staff?node=450802001001002", &sq).await;
    assert_eq!(list[0]["training_hours"], 4.0);
    assert_eq!(list[0]["phone_masked"], "139****1234");
    let (s, _) = app.call(reqwest::Method::PUT, &format!("/api/v1/registers/{GRID}/facts"), Some(&sq),
        Some(json!({"area_km2": 0.42, "party_branch": "金港花园网格党支部", "party_secretary": "黄建华", "party_members": 23, "note": ""}))).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, summary) = app.get(&format!("/api/v1/registers/{GRID}"), &wg).await;
    assert_eq!(summary["facts"]["party_members"], 23);
    assert_eq!(summary["staff"], json!([["full_time", 1]]));
    // Volunteers do not keep registers.
    let (s, _) = app
        .post(
            "/api/v1/places",
            &app.token("zy01").await,
            json!({"grid": GRID, "name": "n", "kind": "商户", "address": "a", "risk": "低"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_demo_registers_hold_a_district_with_valid_sealed_numbers_in_every_grid() {
    let app = TestApp::demo_with_registers().await;
    let centre = app.token("zhzx").await;
    let (s, district) = app.get("/api/v1/registers/450802", &centre).await;
    assert_eq!(s, StatusCode::OK, "{district}");
    let households = district["residents"]["households"]
        .as_i64()
        .expect("households");
    assert!((4_900..=5_100).contains(&households), "{households}");
    let residents: i64 = district["residents"]["by_status"]
        .as_array()
        .expect("by status")
        .iter()
        .filter_map(|s| s[1].as_i64())
        .sum();
    assert!((10_000..=14_000).contains(&residents), "{residents}");
    assert!(
        district["residents"]["by_tag"]
            .to_string()
            .contains("独居老人")
    );
    assert!(district["staff"].to_string().contains("full_time"));

    // A grid worker sees their own grid's residents only, and can reveal one on record.
    let wg = app.token("wg0101").await;
    let (_, mine) = app.get("/api/v1/residents?limit=200", &wg).await;
    let mine = mine.as_array().expect("list");
    assert!(mine.len() > 50, "{}", mine.len());
    assert!(mine.iter().all(|p| p["node_code"] == GRID));
    let first = &mine[0];
    let (s, b) = app
        .post(
            &format!("/api/v1/residents/{}/reveal", first["id"]),
            &wg,
            json!({"field": "id_number"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let full = b["value"].as_str().expect("id");
    assert!(
        full.starts_with("450802")
            && full.ends_with(&first["id_masked"].as_str().expect("masked")[14..])
    );
    let (_, found) = app.get(&format!("/api/v1/residents?q={full}"), &wg).await;
    assert_eq!(
        found[0]["id"], first["id"],
        "the blind index finds the demo's sealed numbers"
    );
    // Household numbers repeat across grids; a household holds only its own members.
    for p in mine.iter().take(40) {
        let (_, d) = app
            .get(&format!("/api/v1/residents/{}", p["id"]), &wg)
            .await;
        let members = d["household"].as_array().expect("household");
        let heads = members.iter().filter(|m| m["relation"] == "head").count();
        assert_eq!(heads, 1, "{d}");
        assert!(
            members
                .iter()
                .all(|m| m["household_id"] == p["household_id"] && m["node_code"] == GRID)
        );
    }
}

#[tokio::test]
async fn keys_rotate_reseals_every_number_and_searches_keep_working() {
    use shanzhi_store::vault::Vault;
    let dir = tempfile::tempdir().expect("dir");
    let key_file = dir.path().join("keys.txt");
    let text = Vault::generate();
    std::fs::write(&key_file, &text).expect("key file");
    let config = shanzhi_app::AppConfig {
        vault: std::sync::Arc::new(Vault::parse(&text).expect("keys")),
        ..Default::default()
    };
    let app = TestApp::demo_with(config, Default::default()).await;
    let wg = app.token("wg0101").await;
    let mut head = member("黄秀兰", ID_HEAD, "户主", "");
    head["phone"] = json!(PHONE);
    let (s, _) = app
        .post(
            "/api/v1/households",
            &wg,
            household(
                GRID,
                "201",
                json!([head, member("覃建国", ID_SPOUSE, "配偶", "")]),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    let key = key_file.to_str().expect("path");
    let (ok, out) = crate::cli::shanzhi_beside(
        &["--key-file", key, "keys", "rotate"],
        app.db_url(),
        "",
        &[],
    )
    .await;
    assert!(
        ok && out.contains("添加密钥 2") && out.contains("其中 3 个改用密钥 2 重新加密"),
        "{out}"
    );
    let rotated =
        Vault::parse(&std::fs::read_to_string(&key_file).expect("read")).expect("rotated keys");
    assert_eq!(rotated.current_key(), 2);
    let mut conn = app.state().store().conn().await.expect("conn");
    let rows: Vec<(Vec<u8>,)> = shanzhi_store::Exec::all(
        &mut conn,
        shanzhi_store::Sql::new("SELECT id_sealed FROM persons ORDER BY id"),
    )
    .await
    .expect("rows");
    assert_eq!(rows.len(), 2);
    for (sealed,) in &rows {
        assert!(!rotated.is_stale(sealed), "sealed under the new key");
    }
    assert_eq!(
        rotated
            .open(shanzhi_store::vault::Field::IdNumber, &rows[0].0)
            .expect("open"),
        ID_HEAD
    );
    // A second run has nothing left to do; the blind index did not change.
    let (ok, out) = crate::cli::shanzhi_beside(
        &["--key-file", key, "keys", "reseal"],
        app.db_url(),
        "",
        &[],
    )
    .await;
    assert!(ok && out.contains("其中 0 个"), "{out}");
    let (_, found) = app.get(&format!("/api/v1/residents?q={PHONE}"), &wg).await;
    assert_eq!(found[0]["name"], "黄秀兰");
}

#[tokio::test]
async fn the_command_line_imports_a_sheet_as_an_account_or_lists_every_bad_row() {
    let text = shanzhi_store::vault::Vault::generate();
    let app = TestApp::demo_with_keys(&text).await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("居民.csv");
    let rows: Vec<String> = (0..50)
        .map(|i| {
            format!(
                "{GRID},金港花园9栋,,1,,{i},H{i},居民{i},{},,户主,户籍,,,,",
                synthetic_id(100 + i)
            )
        })
        .collect();
    let mut refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let bad = format!("{GRID},金港花园9栋,,1,,99,H99,错行,123,,户主,户籍,,,,");
    refs.push(&bad);
    std::fs::write(&file, csv(&refs)).expect("write");
    let path = file.to_str().expect("path");
    let env = [("SHANZHI_KEYS", text.as_str())];
    let (ok, out) = crate::cli::shanzhi_beside(
        &["import", "residents", "--file", path, "--as", "wg0101"],
        app.db_url(),
        "",
        &env,
    )
    .await;
    assert!(
        !ok && out.contains("第 52 行 公民身份号码") && out.contains("未写入任何数据"),
        "{out}"
    );
    refs.pop();
    std::fs::write(&file, csv(&refs)).expect("write");
    let (ok, out) = crate::cli::shanzhi_beside(
        &["import", "residents", "--file", path, "--as", "wg0201"],
        app.db_url(),
        "",
        &env,
    )
    .await;
    assert!(
        !ok && out.contains("不是您管辖范围内的网格"),
        "another grid's worker cannot import here: {out}"
    );
    let (ok, out) = crate::cli::shanzhi_beside(
        &["import", "residents", "--file", path, "--as", "wg0101"],
        app.db_url(),
        "",
        &env,
    )
    .await;
    assert!(ok && out.contains("写入 50 条（50 户）"), "{out}");
    assert!(
        file.exists(),
        "the command line leaves the caller's file in place"
    );
    let auditor = app.token("sj01").await;
    let (_, trail) = app
        .get("/api/v1/audit?action=register.import_residents", &auditor)
        .await;
    assert!(trail[0]["actor_id"].as_i64().is_some(), "{trail}");
}

#[tokio::test]
async fn a_job_whose_process_stopped_is_reported_as_interrupted() {
    let app = TestApp::demo().await;
    let wg = app.token("wg0101").await;
    let (_, me) = app.get("/api/v1/me", &wg).await;
    let owner = me["id"].as_i64().expect("id");
    // A job another process started and then died in the middle of: its heartbeat stopped.
    let status = json!({"id": "deadbeef", "register": "residents", "file": "居民.csv",
        "phase": "writing", "percent": 70, "rows": 1200, "seconds": 3, "done": false,
        "report": null, "error": null});
    let long_ago = app.now_ms() - 60_000;
    crate::common::exec_sql(
        &app,
        shanzhi_store::Sql::new(
            "INSERT INTO jobs (id, owner, status, done, started_at, heartbeat) VALUES (?, ?, ?, FALSE, ?, ?)",
        )
        .bind("deadbeef")
        .bind(owner)
        .bind(status.to_string())
        .bind(long_ago)
        .bind(long_ago),
    )
    .await;
    let (s, job) = app.get("/api/v1/registers/imports/deadbeef", &wg).await;
    assert_eq!(s, StatusCode::OK, "{job}");
    assert_eq!(job["done"], true);
    assert!(job["error"].as_str().unwrap().contains("导入中断"), "{job}");
    let (s, _) = app
        .get(
            "/api/v1/registers/imports/deadbeef",
            &app.token("wg0102").await,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "only the owner");
}
