//! Register sheets as communities keep them: a title row above the headers, their own column
//! names (现住址, 性别, 身份证号码), a totals row, GBK CSV with CRLF line ends from Chinese Excel,
//! .xls from WPS and .ods from LibreOffice, full-width digits in ID numbers.

use crate::common::TestApp;
use crate::registers::{import, synthetic_id};
use reqwest::StatusCode;
use serde_json::Value;

const GRID: &str = "450802001001001";
const HEADERS: &str = "序号,网格编码,楼栋,房号,户编号,姓名,性别,身份证号码,联系电话,与户主关系,现住址,居住状态,备注,迁入日期";

/// 男 or 女, as [`synthetic_id`]'s sequence digit says.
fn sex_of(i: usize) -> &'static str {
    if i % 2 == 1 { "男" } else { "女" }
}

/// A grid's register as Excel on Windows saves it for a Chinese user: GBK, CRLF, a title row
/// and a blank row above the headers, a totals row below. Person 2's 性别 is `second_sex`.
fn gbk_register(second_sex: &str) -> Vec<u8> {
    let lines = [
        "东湖社区第一网格居民信息册（2026年12月）,,,,,,,,,,,,".to_owned(),
        ",,,,,,,,,,,,".to_owned(),
        HEADERS.to_owned(),
        format!(
            "1,{GRID},东湖小区5栋,301,DH301,韦丽萍,{},{},138 7751 6688,户主,东湖小区5栋2单元301室,户籍,,2019/3/8",
            sex_of(101),
            synthetic_id(101)
        ),
        format!(
            "2,{GRID},东湖小区5栋,301,DH301,覃志强,{second_sex},{},,配偶,东湖小区5栋2单元301室,户籍,",
            synthetic_id(102)
        ),
        "合计,,,,,2人,,,,,,,".to_owned(),
        "填表人：李海燕,,,,,,,,,,,,".to_owned(),
    ];
    let text = lines.join("\r\n") + "\r\n";
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    bytes.into_owned()
}

fn notices(report: &Value) -> String {
    report["notices"].to_string()
}

#[tokio::test]
async fn a_grid_register_in_gbk_with_crlf_a_title_and_totals_goes_in_with_right_row_numbers() {
    let app = TestApp::demo().await;
    let sq = app.token("sq01").await;
    // 性别 contradicting the ID number, in the fifth line of the file: reported on row 5.
    let wrong = if sex_of(102) == "男" { "女" } else { "男" };
    let (s, b) = import(&app, &sq, "residents", "居民.csv", gbk_register(wrong), "").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let report = &b["error"]["details"];
    let listed = report["problems"]["listed"].as_array().expect("listed");
    assert_eq!(listed.len(), 1, "{report}");
    assert_eq!(listed[0]["row"], 5, "{report}");
    assert_eq!(listed[0]["field"], "性别");
    assert_eq!(report["header_row"], 3, "{report}");
    let said = notices(report);
    assert!(said.contains("GBK"), "{said}");
    assert!(said.contains("表头在第 3 行"), "{said}");
    assert!(said.contains("第 6 行是合计"), "{said}");
    assert!(said.contains("第 7 行"), "the signature line too: {said}");

    let (s, b) = import(
        &app,
        &sq,
        "residents",
        "居民.csv",
        gbk_register(sex_of(102)),
        "",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["rows"].as_i64(), b["written"].as_i64()),
        (Some(2), Some(2))
    );
    // 现住址 is the address; the spaced phone is read as a phone.
    let (_, found) = app
        .get(&format!("/api/v1/residents?q={}", synthetic_id(101)), &sq)
        .await;
    assert_eq!(found[0]["address"], "东湖小区5栋2单元301室", "{found}");
    assert_eq!(found[0]["phone_masked"], "138****6688", "{found}");

    // Exported, the date is a date cell.
    use calamine::Reader;
    let resp = app
        .client
        .get(format!(
            "{}/api/v1/registers/export/residents?node={GRID}",
            app.base
        ))
        .bearer_auth(&sq)
        .send()
        .await
        .expect("export");
    let bytes = resp.bytes().await.expect("bytes").to_vec();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx");
    let range = book.worksheet_range_at(0).expect("sheet").expect("range");
    let rows: Vec<&[calamine::Data]> = range.rows().collect();
    let at = |h: &str| {
        rows[0]
            .iter()
            .position(|c| c.to_string().starts_with(h))
            .expect(h)
    };
    let (name, moved_in) = (at("姓名"), at("迁入日期"));
    let row = rows.iter().find(|r| r[name] == "韦丽萍").expect("exported");
    match &row[moved_in] {
        calamine::Data::DateTime(d) => assert_eq!(d.as_f64(), 43532.0, "2019-03-08"),
        other => panic!("迁入日期 is {other:?}"),
    }
}

#[tokio::test]
async fn xls_and_ods_sheets_with_title_rows_and_full_width_digits_are_read_as_people_mean_them() {
    let app = TestApp::demo().await;
    let sq = app.token("sq01").await;
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for file in ["grid_register.ods", "grid_register.xls"] {
        let bytes = std::fs::read(fixtures.join(file)).expect("fixture");
        let (s, b) = import(&app, &sq, "residents", file, bytes, "&check_only=true").await;
        assert_eq!(s, StatusCode::OK, "{file}: {b}");
        assert_eq!(b["rows"], 3, "{file}: {b}");
        assert_eq!(b["header_row"], 3, "{file}: {b}");
        assert!(notices(&b).contains("第 7 行是合计"), "{file}: {b}");
    }
    // Written from the .xls (WPS's format): the full-width ID is found by its plain digits.
    let bytes = std::fs::read(fixtures.join("grid_register.xls")).expect("fixture");
    let (s, b) = import(&app, &sq, "residents", "grid_register.xls", bytes, "").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, found) = app.get("/api/v1/residents?q=45080219800212002X", &sq).await;
    assert_eq!(found[0]["name"], "黄小燕", "{found}");
}

#[tokio::test]
async fn the_header_row_can_be_chosen_when_the_guess_is_wrong() {
    let app = TestApp::demo().await;
    let sq = app.token("sq01").await;
    // The template's own header names sit in a note row above the real header; only the
    // user knows the header is row 3.
    let text = format!(
        "填写说明：网格编码 楼栋 房号 户编号 姓名 身份证号码 与户主关系 居住状态 均为必填\n\
         说明,网格编码,楼栋,房号,户编号,姓名,公民身份号码,与户主关系,居住状态\n\
         序号,网格,楼,房,户,名字,证件,关系,人口类型\n\
         1,{GRID},东湖小区6栋,101,DH601,黎国华,{},户主,户籍\n",
        synthetic_id(103)
    );
    let mapping = "&mapping=grid:网格,building:楼,room:房,household:户,name:名字,id_number:证件,relation:关系,status:人口类型";
    let (s, b) = import(
        &app,
        &sq,
        "residents",
        "r.csv",
        text.clone().into_bytes(),
        mapping,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["details"]["header_row"], 2, "{b}");
    let (s, b) = import(
        &app,
        &sq,
        "residents",
        "r.csv",
        text.into_bytes(),
        &format!("{mapping}&header_row=3"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["written"], 1, "{b}");
    let (s, b) = import(
        &app,
        &sq,
        "residents",
        "r.csv",
        b"a,b\n".to_vec(),
        "&header_row=9",
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b.to_string().contains("第 9 行"), "{b}");
}

/// The places export of `node` as `token` sees it: the file and its cells.
async fn places_export(
    app: &TestApp,
    token: &str,
    node: &str,
) -> (Vec<u8>, Vec<Vec<calamine::Data>>) {
    register_export(app, token, "places", node).await
}

/// `register`'s export of `node` as `token` sees it: the file and its cells.
pub(crate) async fn register_export(
    app: &TestApp,
    token: &str,
    register: &str,
    node: &str,
) -> (Vec<u8>, Vec<Vec<calamine::Data>>) {
    use calamine::Reader;
    let resp = app
        .client
        .get(format!(
            "{}/api/v1/registers/export/{register}?node={node}",
            app.base
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("export");
    let status = resp.status();
    let bytes = resp.bytes().await.expect("bytes").to_vec();
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.clone())).expect("xlsx");
    let range = book.worksheet_range_at(0).expect("sheet").expect("range");
    (
        bytes,
        range.rows().map(<[calamine::Data]>::to_vec).collect(),
    )
}

#[tokio::test]
async fn the_places_export_has_numeric_positions_and_imports_again_cleanly() {
    use calamine::Data;
    let app = TestApp::demo_with_registers().await;
    let sq = app.token("sq01").await;
    let (bytes, rows) = places_export(&app, &sq, "450802001001").await;
    let head: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    let at = |h: &str| head.iter().position(|x| x.starts_with(h)).expect(h);
    let (lon, lat, phone) = (at("经度"), at("纬度"), at("联系电话"));
    assert!(rows.len() > 1, "the demo community has places");
    for row in &rows[1..] {
        for c in [lon, lat] {
            assert!(
                matches!(row[c], Data::Float(v) if v.is_finite()) || row[c] == Data::Empty,
                "{row:?}"
            );
        }
        let p = row[phone].to_string();
        assert!(
            p.is_empty() || !p.contains('*'),
            "full for the community officer: {p}"
        );
    }
    // A grid worker's copy of the grid masks the phones.
    let (_, masked) = places_export(&app, &app.token("wg0101").await, GRID).await;
    assert!(masked.len() > 1, "the grid has places");
    assert!(
        masked[1][phone].to_string().contains('*'),
        "{:?}",
        masked[1]
    );
    // The officer's export is a valid places sheet: sent back as a refresh, every place is
    // found on record, unchanged (positions, phones and all).
    let (s, b) = import(
        &app,
        &sq,
        "places",
        "places.xlsx",
        bytes,
        "&update=true&check_only=true",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["rows"].as_u64(), Some(rows.len() as u64 - 1), "{b}");
    assert_eq!(
        b["changes"]["unchanged"].as_u64(),
        Some(rows.len() as u64 - 1),
        "{b}"
    );
}

/// The staff register as a community keeps it — a title row, its own headers (人员姓名, 岗位,
/// 政治面貌, 负责网格), two grids in one cell — goes in with every bad row reported, and comes
/// out with full phones for the community officer; the export is a valid staff sheet, whose
/// people are refused a second time as already registered.
#[tokio::test]
async fn the_staff_register_goes_in_and_out_as_a_sheet() {
    let app = TestApp::demo().await;
    let sq = app.token("sq01").await;
    let good = format!(
        "东湖社区网格力量名册,,,,,,\n\
         人员姓名,岗位,手机号码,政治面貌,是否公开电话,负责网格,工作职责\n\
         黄美玲,专职网格员,13977512001,中共党员,是,{GRID}、450802001001002,巡查走访\n\
         蒙志坚,楼栋长,139 7751 2002,群众,,{GRID},楼栋信息采集\n"
    );
    let bad = format!("{good}某人,保安,12345,也许,看情况,450899999999999,\n");
    let (s, b) = import(&app, &sq, "staff", "staff.csv", bad.into_bytes(), "").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let report = &b["error"]["details"];
    assert_eq!(report["header_row"], 2, "{report}");
    let listed = report["problems"]["listed"].as_array().expect("listed");
    let fields: Vec<&str> = listed.iter().filter_map(|e| e["field"].as_str()).collect();
    assert!(listed.iter().all(|e| e["row"] == 5), "{report}");
    for f in ["角色", "联系电话", "党员", "公开电话", "服务网格"] {
        assert!(fields.contains(&f), "{f}: {report}");
    }
    let (_, before) = app.get("/api/v1/staff?node=450802001001", &sq).await;
    let count = before.as_array().map_or(0, Vec::len);

    let (s, b) = import(&app, &sq, "staff", "staff.csv", good.into_bytes(), "").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["written"], 2, "{b}");
    let (_, after) = app.get("/api/v1/staff?node=450802001001", &sq).await;
    let after = after.as_array().expect("staff").clone();
    assert_eq!(after.len(), count + 2);
    let huang = after
        .iter()
        .find(|s| s["name"] == "黄美玲")
        .expect("imported");
    assert_eq!(huang["role"], "full_time");
    assert_eq!(huang["party_member"], true);
    assert_eq!(huang["grids"], format!("{GRID},450802001001002"));
    assert_eq!(huang["public_phone"], "13977512001", "she agreed");
    let meng = after
        .iter()
        .find(|s| s["name"] == "蒙志坚")
        .expect("imported");
    assert!(meng["public_phone"].is_null(), "a blank is no");

    let (bytes, rows) = register_export(&app, &sq, "staff", "450802001001").await;
    let head: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    let at = |h: &str| head.iter().position(|x| x.starts_with(h)).expect(h);
    let row = rows
        .iter()
        .find(|r| r[at("姓名")] == "黄美玲")
        .expect("exported");
    assert_eq!(row[at("联系电话")].to_string(), "13977512001");
    assert_eq!(row[at("党员")].to_string(), "是");
    assert_eq!(row[at("公开电话")].to_string(), "是");
    assert_eq!(
        row[at("服务网格")].to_string(),
        format!("{GRID}、450802001001002")
    );
    let (s, b) = import(&app, &sq, "staff", "staff.xlsx", bytes.clone(), "").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let problems = &b["error"]["details"]["problems"];
    assert_eq!(problems["total"], after.len(), "{problems}");
    assert!(problems.to_string().contains("已登记在册"), "{problems}");
    // As a refresh, the export is the register as it is.
    let (s, b) = import(
        &app,
        &sq,
        "staff",
        "staff.xlsx",
        bytes,
        "&update=true&check_only=true",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["changes"]["unchanged"], after.len(), "{b}");
    // Edited: 黄美玲 now serves one grid, with other duties; 蒙志坚 has left the sheet.
    let edited = format!(
        "姓名,角色,联系电话,党员,公开电话,服务网格,职责\n黄美玲,专职网格员,139****2001,是,是,{GRID},矛盾调解\n"
    );
    let (s, b) = import(
        &app,
        &sq,
        "staff",
        "staff.csv",
        edited.into_bytes(),
        "&update=true&missing=true",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let changes = &b["changes"];
    assert_eq!(changes["changed"], 1, "{changes}");
    assert_eq!(
        changes["missing"],
        after.len() - 1,
        "listed, kept: {changes}"
    );
    let said = changes["listed"][0]["fields"].to_string();
    assert!(
        said.contains("矛盾调解") && said.contains("服务网格"),
        "{said}"
    );
    assert!(
        !said.contains("联系电话"),
        "a masked phone keeps the number: {said}"
    );
    let (_, now) = app.get("/api/v1/staff?node=450802001001", &sq).await;
    let now = now.as_array().expect("staff").clone();
    assert_eq!(now.len(), after.len(), "nobody removed");
    let huang = now.iter().find(|s| s["name"] == "黄美玲").expect("kept");
    assert_eq!(
        (&huang["grids"], &huang["duties"], &huang["phone_masked"]),
        (
            &Value::from(GRID),
            &Value::from("矛盾调解"),
            &Value::from("139****2001")
        ),
        "{huang}"
    );
    assert_eq!(
        huang["public_phone"], "13977512001",
        "kept public with the kept number"
    );

    // A grid worker keeps no staff register: no export, no template, no import.
    let wg = app.token("wg0101").await;
    let (s, _) = app
        .get("/api/v1/registers/export/staff?node=450802001001001", &wg)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = import(&app, &wg, "staff", "staff.csv", b"x".to_vec(), "").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let template = app
        .client
        .get(format!("{}/api/v1/registers/templates/staff", app.base))
        .bearer_auth(&sq)
        .send()
        .await
        .expect("template");
    assert_eq!(template.status(), StatusCode::OK);
}

/// A grid's own register as grid workers keep it: no grid, building, room or household
/// columns — only 与户主关系 and 现住址 — with 人员类别 for the residence status.
fn own_register() -> String {
    let row = |n: usize, name: &str, id: usize, relation: &str, home: &str| {
        format!(
            "{n},{name},{},{},,{relation},{home},非农业,户籍,\n",
            sex_of(id),
            synthetic_id(id)
        )
    };
    [
        "东湖社区第一网格居民信息册,,,,,,,,,\n".to_owned(),
        "序号,姓名,性别,身份证号码,联系电话,与户主关系,现住址,户籍性质,人员类别,备注\n".to_owned(),
        row(
            1,
            "韦丽萍",
            201,
            "户主",
            "贵港市港北区东湖小区5栋2单元301室",
        ),
        row(2, "覃志强", 202, "配偶", "东湖小区5栋2单元301室"),
        row(3, "覃小雨", 203, "子女", "东湖小区５栋２单元３０１室"),
        row(4, "黄德明", 204, "户主", "东湖小区5栋2单元302室"),
        // A second family in the same flat: a new household at its own head.
        row(5, "梁振华", 205, "户主", "东湖小区5栋2单元302室"),
        row(6, "蒙桂英", 206, "户主", "大岭村六组23号"),
    ]
    .concat()
}

#[tokio::test]
async fn a_grids_own_register_goes_in_as_it_is_households_told_apart_by_relation_and_address() {
    let text = shanzhi_store::vault::Vault::generate();
    let app = TestApp::demo_with_keys(&text).await;
    let wg = app.token("wg0101").await;
    let sheet = own_register().into_bytes();

    // Without a grid to put it in, the sheet says what is missing.
    let (s, b) = import(&app, &wg, "residents", "居民.csv", sheet.clone(), "").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b.to_string().contains("网格编码"), "{b}");

    // The preview: four households, the buildings read from the address.
    let (s, b) = import(
        &app,
        &wg,
        "residents",
        "居民.csv",
        sheet.clone(),
        &format!("&grid={GRID}&check_only=true"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["rows"].as_u64(), b["households"].as_u64()),
        (Some(6), Some(4)),
        "{b}"
    );
    let said = notices(&b);
    assert!(
        said.contains("分为 4 户") && said.contains("现住址"),
        "{said}"
    );
    assert!(
        said.contains("户编号 东湖小区5栋-2-301（第 3 行起）：韦丽萍 等 3 人")
            && said.contains("户编号 东湖小区5栋-2-302#2（第 7 行起）：梁振华"),
        "the grouping shown household by household: {said}"
    );

    // Imported on the command line with --grid.
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("第一网格居民信息册.csv");
    std::fs::write(&file, &sheet).expect("write");
    let (ok, out) = crate::cli::shanzhi_beside(
        &[
            "import",
            "residents",
            "--file",
            file.to_str().expect("path"),
            "--as",
            "wg0101",
            "--grid",
            GRID,
        ],
        app.db_url(),
        "",
        &[("SHANZHI_KEYS", text.as_str())],
    )
    .await;
    assert!(ok && out.contains("写入 6 条（4 户）"), "{out}");
    let person = |id: usize| {
        let (app, wg) = (&app, &wg);
        async move {
            let (_, found) = app
                .get(&format!("/api/v1/residents?q={}", synthetic_id(id)), wg)
                .await;
            found[0].clone()
        }
    };
    let (head, child) = (person(201).await, person(203).await);
    assert_eq!(
        (
            &head["building"],
            &head["unit"],
            &head["room"],
            &head["node_code"]
        ),
        (
            &Value::from("东湖小区5栋"),
            &Value::from("2"),
            &Value::from("301"),
            &Value::from(GRID)
        ),
        "{head}"
    );
    assert_eq!(child["household_id"], head["household_id"], "{child}");
    let (first, second) = (person(204).await, person(205).await);
    assert_eq!(first["house_id"], second["house_id"], "one flat");
    assert_ne!(
        first["household_id"], second["household_id"],
        "two families"
    );
    let village = person(206).await;
    assert_eq!(
        (&village["building"], &village["room"]),
        (&Value::from("大岭村六组"), &Value::from("23号")),
        "{village}"
    );
}
