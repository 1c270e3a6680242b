//! 12345 hotline import: CSV, xlsx and JSON; every bad row reported, nothing half-written;
//! importing the same orders twice adds nothing.

use crate::api_cases::point_in_own_grid;
use crate::common::{TestApp, error_code};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shanzhi_domain::case::beijing_minutes;

pub(crate) async fn import(
    app: &TestApp,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let r = app
        .client
        .post(format!("{}/api/v1/hotline/import", app.base))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

async fn hotline_cases(app: &TestApp, token: &str) -> Vec<Value> {
    let (_, page) = app
        .get("/api/v1/cases?source=hotline&limit=500", token)
        .await;
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_csv_export_is_imported_once() {
    let app = TestApp::demo().await;
    let centre = app.token("zhzx").await;
    let (lon, lat) = point_in_own_grid(&app, &centre).await;
    let before = hotline_cases(&app, &centre).await.len();
    let csv = format!(
        "\u{feff}工单编号,事项类别,标题,诉求内容,网格编码,经度,纬度,地址,来电人\n\
         GX20261120001,0402,路灯不亮,东湖路口路灯连续三晚不亮,450802001001001,,,东湖路口,黄先生\n\
         GX20261120002,环境卫生,,小区门口垃圾满溢两天未清运,,{lon},{lat},,\n\
         GX20261120003,0201,\"楼道堆物, 堵塞通道\",3栋楼道堆放纸箱,450802001001,,,,\n"
    );
    let (s, report) = import(&app, &centre, "text/csv", csv.clone().into_bytes()).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(report["imported"], 3);
    let cases = hotline_cases(&app, &centre).await;
    assert_eq!(cases.len(), before + 3);
    let lamp = cases
        .iter()
        .find(|c| c["hotline_order"] == "GX20261120001")
        .unwrap();
    assert_eq!(
        (
            lamp["reporter_name"].as_str(),
            lamp["category_code"].as_str()
        ),
        (Some("黄先生"), Some("0402"))
    );
    let trash = cases
        .iter()
        .find(|c| c["hotline_order"] == "GX20261120002")
        .unwrap();
    assert!(
        trash["node_code"]
            .as_str()
            .unwrap()
            .starts_with("450802001001001"),
        "placed by its coordinates"
    );
    assert_eq!(
        trash["title"], "小区门口垃圾满溢两天未清运",
        "title from the content"
    );

    let (s, again) = import(&app, &centre, "text/csv", csv.into_bytes()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again["imported"], 0);
    assert_eq!(again["already_imported"].as_array().unwrap().len(), 3);
    assert_eq!(
        hotline_cases(&app, &centre).await.len(),
        before + 3,
        "nothing twice"
    );
}

#[tokio::test]
async fn every_bad_row_is_reported_and_nothing_is_written() {
    let app = TestApp::demo().await;
    let centre = app.token("zhzx").await;
    let before = hotline_cases(&app, &centre).await.len();
    let csv = "工单编号,事项类别,诉求内容,网格编码\n\
               OK-1,0402,路灯不亮,450802001001001\n\
               BAD-2,0402,,450802001001001\n\
               BAD-3,不存在的类别,内容,450802001001001\n\
               BAD-4,0402,内容,450802999999999\n\
               OK-1,0402,重复的编号,450802001001001\n";
    let (s, e) = import(&app, &centre, "text/csv", csv.as_bytes().to_vec()).await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_rows")
    );
    let rows: Vec<i64> = e["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["row"].as_i64().unwrap())
        .collect();
    assert_eq!(rows, [3, 4, 5, 6], "every bad row, in order: {e}");
    let csv = "工单编号,事项类别,诉求内容,网格编码\n\
               OK-1,0402,路灯不亮,450802001001001\n\
               BAD-3,不存在的类别,内容,450802001001001\n\
               BAD-4,0402,内容,450802999999999\n";
    let (s, e) = import(&app, &centre, "text/csv", csv.as_bytes().to_vec()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let details = e["error"]["details"].as_array().unwrap();
    assert_eq!(
        details
            .iter()
            .map(|d| d["row"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [3, 4]
    );
    assert!(
        details[0]["message"]
            .as_str()
            .unwrap()
            .contains("未知事项类别")
    );
    assert!(
        details[1]["message"]
            .as_str()
            .unwrap()
            .contains("450802999999999")
    );
    assert_eq!(
        hotline_cases(&app, &centre).await.len(),
        before,
        "the good row was not written either"
    );

    let (s, e) = import(&app, &centre, "text/csv", b"title,content\nx,y\n".to_vec()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("表头缺少必填列")
    );
    let (s, e) = import(&app, &centre, "application/octet-stream", b"x".to_vec()).await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "unknown_format")
    );
    let (s, e) = import(
        &app,
        &centre,
        "application/json",
        b"{\"not\": \"a list\"}".to_vec(),
    )
    .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "unreadable_file")
    );
    let worker = app.token("wg0101").await;
    let (s, _) = import(&app, &worker, "text/csv", b"a\n".to_vec()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn xlsx_and_json_exports_are_imported() {
    let app = TestApp::demo().await;
    let centre = app.token("zhzx").await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["工单编号", "事项类别", "诉求内容", "网格编码"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    // Order numbers typed as numbers in Excel.
    sheet.write_number(1, 0, 2026112200017.0).unwrap();
    sheet.write_string(1, 1, "0403").unwrap();
    sheet
        .write_string(1, 2, "井盖缺失，夜间有行人绊倒")
        .unwrap();
    sheet.write_string(1, 3, "450802001001001").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let (s, report) = import(
        &app,
        &centre,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{report}");
    let id = report["case_ids"][0].as_i64().unwrap();
    let (_, case) = app.get(&format!("/api/v1/cases/{id}"), &centre).await;
    assert_eq!(case["case"]["hotline_order"], "2026112200017");

    let orders = json!([{"order_no": "J-1", "category": "03", "description": "垃圾满溢", "node_code": "450802001001001", "caller": "李女士"}]);
    let (s, report) = import(
        &app,
        &centre,
        "application/json",
        serde_json::to_vec(&orders).unwrap(),
    )
    .await;
    assert_eq!((s, report["imported"].as_i64()), (StatusCode::OK, Some(1)));
}

#[tokio::test]
async fn a_city_platform_export_with_its_own_headers_and_amap_coordinates_goes_in() {
    use shanzhi_domain::geo::Crs;
    let app = TestApp::demo().await;
    let centre = app.token("zhzx").await;
    let (lon, lat) = point_in_own_grid(&app, &centre).await;
    // As AMap gives it: GCJ-02, some hundreds of metres off the GPS position.
    let (glon, glat) = Crs::Gcj02.from_wgs84(lon, lat);
    // Called in three hours ago; the platform gives six hours, less than the category's.
    let minute = 60_000;
    let called = (app.now_ms() - 180 * minute) / minute * minute;
    let due = called + 360 * minute;
    let (called_text, due_text) = (beijing_minutes(called), beijing_minutes(due));
    let csv = format!(
        "工单编号,来电时间,诉求人,联系电话,诉求内容,诉求地址,诉求类型,承办单位,办理时限,紧急程度,经度,纬度\n\
         GK202612010001,{called_text},覃女士,138 7751 0099,东湖路小区门口垃圾满溢两天未清运,东湖路小区门口,环境卫生,港北区城管局,{due_text},特别紧急,{glon},{glat}\n"
    );
    let post = |query: &'static str, body: String| {
        let app = &app;
        let centre = &centre;
        async move {
            let r = app
                .client
                .post(format!("{}/api/v1/hotline/import{query}", app.base))
                .bearer_auth(centre)
                .header("content-type", "text/csv")
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let bad = csv.replace("138 7751 0099", "12345");
    let (s, b) = post("?crs=gcj02", bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b.to_string().contains("联系电话"), "{b}");
    for (what, from, to, says) in [
        (
            "a call time in words",
            called_text.as_str(),
            "昨天上午",
            "来电时间「昨天上午」",
        ),
        (
            "a deadline before the call",
            due_text.as_str(),
            called_text.as_str(),
            "办理时限须晚于来电时间",
        ),
        (
            "an unknown grade",
            "特别紧急",
            "马上办",
            "紧急程度「马上办」",
        ),
    ] {
        let (s, b) = post("?crs=gcj02", csv.replacen(from, to, 1)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {b}");
        assert!(b.to_string().contains(says), "{what}: {b}");
    }
    let future = csv.replace(&called_text, &beijing_minutes(app.now_ms() + 60 * minute));
    let (s, b) = post("?crs=gcj02", future).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b.to_string().contains("来电时间晚于现在"), "{b}");

    let (s, b) = post("?crs=gcj02", csv).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["imported"], 1, "{b}");
    let id = b["case_ids"][0].as_i64().expect("id");
    let (_, detail) = app.get(&format!("/api/v1/cases/{id}"), &centre).await;
    let case = &detail["case"];
    assert!(
        case["node_code"]
            .as_str()
            .is_some_and(|c| c.starts_with("450802001001001")),
        "placed by the converted position: {case}"
    );
    let stored = (
        case["lon"].as_f64().unwrap_or(0.0),
        case["lat"].as_f64().unwrap_or(0.0),
    );
    assert!(
        (stored.0 - lon).abs() < 1e-5 && (stored.1 - lat).abs() < 1e-5,
        "kept as WGS-84: {stored:?} against {:?}",
        (lon, lat)
    );
    assert_eq!(case["reporter_name"], "覃女士");
    assert_eq!(case["address"], "东湖路小区门口");
    // Reported when called, due when the platform says (stricter than the category), graded.
    assert_eq!(case["created_at"], called, "{case}");
    assert_eq!(case["handle_due"], due, "{case}");
    assert!(
        case["accept_due"].as_i64().is_some_and(|a| a <= due),
        "{case}"
    );
    assert_eq!(case["urgency"], "critical");
    let (browser, _) = crate::pages::logged_in(&app, "zhzx").await;
    let (_, page) = crate::common::fetch(&app, &browser, &format!("/cases/{id}")).await;
    assert!(
        page.contains("特急") && page.contains("12345热线（工单 GK202612010001）"),
        "{page}"
    );
    // The caller's phone is kept, sealed, for the 回访 call.
    let (s, phone) = app
        .post(
            &format!("/api/v1/cases/{id}/reporter-phone"),
            &centre,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{phone}");
    assert_eq!(phone["phone"], "13877510099");
}

#[tokio::test]
async fn a_gbk_export_with_a_title_row_and_crlf_is_read_with_right_row_numbers() {
    let app = TestApp::demo().await;
    let centre = app.token("zhzx").await;
    let text = "港北区12345热线工单导出（2026年12月1日—2026年12月5日）,,,,\r\n\
                工单编号,诉求类型,诉求内容,网格编码,诉求人\r\n\
                GK202612050001,0402,东湖路口路灯不亮,450802001001001,黄先生\r\n\
                GK202612050002,0402,,450802001001001,李女士\r\n\
                合计,2件,,,\r\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let (s, b) = import(&app, &centre, "text/csv", gbk.to_vec()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let rows: Vec<i64> = b["error"]["details"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|e| e["row"].as_i64())
        .collect();
    assert_eq!(rows, [4], "the empty content, on the fourth line: {b}");
    let fixed = text.replace(
        ",,450802001001001,李女士",
        ",小区垃圾满溢,450802001001001,李女士",
    );
    let (gbk, _, _) = encoding_rs::GBK.encode(&fixed);
    let (s, b) = import(&app, &centre, "text/csv", gbk.to_vec()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["imported"], 2, "the totals row is not an order: {b}");
}

/// Orders with only an address: one naming a community goes there; one naming nothing the
/// platform knows waits in 待定位 — never refused — until the command centre gives it a grid,
/// on the page, and its case is filed dated from the call. Sending the file again adds nothing.
#[tokio::test]
async fn an_order_with_only_an_address_is_placed_by_its_community_or_waits_for_a_place() {
    let app = TestApp::demo().await;
    let centre = app.token("zhzx").await;
    let minute = 60_000;
    let called = (app.now_ms() - 45 * minute) / minute * minute;
    let csv = format!(
        "工单编号,来电时间,诉求人,联系电话,诉求内容,诉求地址,诉求类型\n\
         GK202612020001,{when},韦先生,13877510011,小区门口垃圾两天未清运,港北区东湖社区东湖小区北门,环境卫生\n\
         GK202612020002,{when},莫女士,13877510022,人行道井盖缺失有人绊倒,贵港市港北区中山路88号对面,市政设施\n",
        when = beijing_minutes(called)
    );
    let (s, b) = import(&app, &centre, "text/csv", csv.clone().into_bytes()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["imported"], 1, "{b}");
    assert_eq!(b["pending"], json!(["GK202612020002"]), "{b}");
    let id = b["case_ids"][0].as_i64().expect("id");
    let (_, detail) = app.get(&format!("/api/v1/cases/{id}"), &centre).await;
    assert!(
        detail["case"]["node_code"]
            .as_str()
            .is_some_and(|c| c.starts_with("450802001001")),
        "东湖社区 named in the address: {detail}"
    );

    // Again: both known, nothing added.
    let (s, b) = import(&app, &centre, "text/csv", csv.into_bytes()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (
            b["imported"].as_u64(),
            b["pending"].as_array().map(Vec::len)
        ),
        (Some(0), Some(0))
    );
    assert_eq!(
        b["already_imported"].as_array().map(Vec::len),
        Some(2),
        "{b}"
    );

    let (s, waiting) = app.get("/api/v1/hotline/pending", &centre).await;
    assert_eq!(s, StatusCode::OK, "{waiting}");
    let waiting = waiting.as_array().expect("list").clone();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0]["phone_masked"], "138****0022");
    assert_eq!(waiting[0]["address"], "贵港市港北区中山路88号对面");
    // A community officer does not keep the hotline queue.
    let (s, _) = app
        .get("/api/v1/hotline/pending", &app.token("sq01").await)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // On the page: listed under 待定位, placed by choosing a grid.
    let (browser, _) = crate::pages::logged_in(&app, "zhzx").await;
    let (_, page) = crate::common::fetch(&app, &browser, "/cases/import").await;
    assert!(
        page.contains("待定位（1 件）") && page.contains("中山路88号对面"),
        "{page}"
    );
    let pending_id = waiting[0]["id"].as_i64().expect("id");
    let place = |node: &'static str| {
        let (browser, page) = (&browser, &page);
        browser
            .post(format!("{}/cases/import/pending/{pending_id}", app.base))
            .form(&[
                ("_csrf", crate::pages::csrf_of(page)),
                ("node", node.to_owned()),
            ])
            .send()
    };
    let r = place("450899999999999 不存在").await.expect("place");
    let to = r.headers()["location"].to_str().expect("to").to_owned();
    let (_, said) = crate::common::fetch(&app, &browser, &to).await;
    assert!(
        said.contains("不存在") && said.contains("待定位（1 件）"),
        "{said}"
    );
    let r = place("450802001001001 东湖社区第一网格")
        .await
        .expect("place");
    let to = r.headers()["location"].to_str().expect("to").to_owned();
    let (_, said) = crate::common::fetch(&app, &browser, &to).await;
    assert!(said.contains("已定位并立案"), "{said}");
    assert!(!said.contains("待定位（"), "the queue is empty: {said}");

    let cases = hotline_cases(&app, &centre).await;
    let placed = cases
        .iter()
        .find(|c| c["hotline_order"] == "GK202612020002")
        .expect("filed");
    assert_eq!(placed["node_code"], "450802001001001");
    assert_eq!(
        placed["created_at"], called,
        "dated from the call: {placed}"
    );
    assert_eq!(placed["address"], "贵港市港北区中山路88号对面");
    // Placed once.
    let (s, _) = app
        .post(
            &format!("/api/v1/hotline/pending/{pending_id}/place"),
            &centre,
            json!({"node": "450802001001001"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// A platform's export with headers no alias knows: the page offers the mapping step with the
/// file's own headers, and the file goes in as mapped; the API takes the same mapping.
#[tokio::test]
async fn headers_no_alias_knows_are_mapped_on_the_page_and_in_the_api() {
    use reqwest::multipart::{Form, Part};
    let app = TestApp::demo().await;
    let csv = "单号,类别,群众诉求,所在网格\n\
               WX20261203001,环境卫生,小区门口垃圾满溢,450802001001001\n";
    let (browser, _) = crate::pages::logged_in(&app, "zhzx").await;
    let (_, page) = crate::common::fetch(&app, &browser, "/cases/import").await;
    let send = |fields: Vec<(&'static str, &'static str)>, csrf: String| {
        let mut form = Form::new().text("_csrf", csrf);
        for (k, v) in fields {
            form = form.text(k, v);
        }
        let form = form.part(
            "file",
            Part::bytes(csv.as_bytes().to_vec()).file_name("工单.csv"),
        );
        browser
            .post(format!("{}/cases/import", app.base))
            .multipart(form)
            .send()
    };
    let first = send(vec![], crate::pages::csrf_of(&page))
        .await
        .expect("upload")
        .text()
        .await
        .expect("page");
    assert!(
        first.contains("列对应") && first.contains("<option>单号</option>"),
        "{first}"
    );
    assert!(
        first.contains("<select name=\"map_category\" aria-label=\"事项类别\"><option value=\"\">（无）</option><option>单号</option><option selected>类别</option>"),
        "the guess is shown: {first}"
    );
    let mapped = vec![
        ("map_order_no", "单号"),
        ("map_description", "群众诉求"),
        ("map_node_code", "所在网格"),
    ];
    let done = send(mapped, crate::pages::csrf_of(&first))
        .await
        .expect("upload")
        .text()
        .await
        .expect("page");
    assert!(done.contains("已导入 1 件工单"), "{done}");

    let centre = app.token("zhzx").await;
    let r = app
        .client
        .post(format!(
            "{}/api/v1/hotline/import?mapping=order_no:单号,description:群众诉求,node_code:所在网格",
            app.base
        ))
        .bearer_auth(&centre)
        .header("content-type", "text/csv")
        .body(csv.replace("WX20261203001", "WX20261203002"))
        .send()
        .await
        .expect("api");
    assert_eq!(r.status(), StatusCode::OK);
    let b: Value = r.json().await.expect("json");
    assert_eq!(b["imported"], 1, "{b}");
}
