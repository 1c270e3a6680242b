//! The register pages: a grid worker fills a household in on the forms, finds it, reveals a
//! number on record; a community officer imports a sheet with mistakes through the page,
//! follows its progress, fixes it and imports it; another grid's worker sees nothing.

use crate::common::{TestApp, fetch as text};
use crate::pages::{csrf_of, logged_in};
use crate::registers::synthetic_id;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use reqwest::multipart::{Form, Part};

const GRID: &str = "450802001001001";

async fn follow(app: &TestApp, client: &reqwest::Client, r: reqwest::Response) -> String {
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    let to = r.headers()[LOCATION].to_str().expect("location").to_owned();
    let (s, html) = text(app, client, &to).await;
    assert_eq!(s, StatusCode::OK, "{to}");
    html
}

#[tokio::test]
async fn a_grid_worker_registers_a_household_on_the_forms_and_reveals_a_number_on_record() {
    let app = TestApp::demo().await;
    let (wg, _) = logged_in(&app, "wg0101").await;
    let (s, html) = text(&app, &wg, &format!("/registers/{GRID}/households/new")).await;
    assert_eq!(s, StatusCode::OK);
    let csrf = csrf_of(&html);
    let id = synthetic_id(11);
    let mut fields = vec![
        ("_csrf", csrf.clone()),
        ("grid", GRID.to_owned()),
        ("building", "金港花园3栋".to_owned()),
        ("unit", "1".to_owned()),
        ("room", "201".to_owned()),
        ("name", "黄秀兰".to_owned()),
        ("id_number", format!("{}0", &id[..17])),
        ("phone", "13877512345".to_owned()),
        ("relation", "户主".to_owned()),
        ("status", "户籍".to_owned()),
        ("tags", "独居老人(重点)".to_owned()),
    ];
    // A wrong check digit comes back to the form with the reason.
    let wrong_check = !id.ends_with('0');
    let r = wg
        .post(format!("{}/registers/{GRID}/households", app.base))
        .form(&fields)
        .send()
        .await
        .expect("post");
    let html = follow(&app, &wg, r).await;
    if wrong_check {
        assert!(html.contains("校验位不正确"), "{html}");
    }
    fields[6].1 = id.clone();
    let r = wg
        .post(format!("{}/registers/{GRID}/households", app.base))
        .form(&fields)
        .send()
        .await
        .expect("post");
    let html = follow(&app, &wg, r).await;
    assert!(
        html.contains("已登记新户") && html.contains("黄秀兰") && html.contains("138****2345"),
        "{html}"
    );
    assert!(!html.contains(&id), "the page shows the ID masked");
    assert!(html.contains("独居老人（关注等级：重点）"), "{html}");

    // Add a member from the person page, then find both in the list.
    let csrf = csrf_of(&html);
    let person = html
        .split("action=\"/residents/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("person id")
        .to_owned();
    let r = wg
        .post(format!("{}/residents/{person}/members", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "覃建国"),
            ("id_number", &synthetic_id(12)),
            ("relation", "配偶"),
            ("status", "户籍"),
        ])
        .send()
        .await
        .expect("member");
    let html = follow(&app, &wg, r).await;
    assert!(html.contains("已添加 覃建国"), "{html}");

    // Due a visit at once (独居老人, never visited); a visit from the person page, then the
    // phone learnt during it, recorded against the visit.
    let (_, due) = text(&app, &wg, &format!("/visits/due?node={GRID}")).await;
    assert!(due.contains("黄秀兰") && due.contains("从未走访"), "{due}");
    let r = wg
        .post(format!("{}/residents/{person}/visits", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("purpose", "关爱走访"),
            ("day", ""),
            ("notes", "老人身体状况良好，已提醒冬季用电安全"),
            ("findings", ""),
        ])
        .send()
        .await
        .expect("visit");
    let html = follow(&app, &wg, r).await;
    assert!(
        html.contains("已记录走访") && html.contains("正在走访核实"),
        "{html}"
    );
    let field = |name: &str| {
        html.split(&format!("name=\"{name}\" value=\""))
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("{name}"))
            .to_owned()
    };
    let (updated_at, visit) = (field("updated_at"), field("visit_id"));
    let r = wg
        .post(format!("{}/residents/{person}", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("updated_at", &updated_at),
            ("visit_id", &visit),
            ("name", "黄秀兰"),
            ("phone", "13977580011"),
            ("relation", "户主"),
            ("status", "户籍"),
            ("tags", "独居老人(重点)"),
        ])
        .send()
        .await
        .expect("edit");
    let html = follow(&app, &wg, r).await;
    assert!(
        html.contains("核实更新 联系电话：138****2345 → 139****0011"),
        "{html}"
    );
    let (_, due) = text(&app, &wg, &format!("/visits/due?node={GRID}")).await;
    assert!(!due.contains("黄秀兰"), "visited this week: {due}");
    let (_, list) = text(
        &app,
        &wg,
        &format!("/registers/{GRID}?tab=residents&q=%E8%A6%83"),
    )
    .await;
    assert!(
        list.contains("覃建国") && !list.contains("黄秀兰"),
        "name prefix 覃"
    );
    let (_, list) = text(
        &app,
        &wg,
        &format!("/registers/{GRID}?tab=residents&tag=elderly_alone"),
    )
    .await;
    assert!(list.contains("黄秀兰") && !list.contains("覃建国"));
    let (_, facts) = text(&app, &wg, &format!("/registers/{GRID}")).await;
    assert!(
        facts.contains("<dd id=\"households\">1</dd>")
            && facts.contains("户籍 2 人")
            && facts.contains("独居老人 1"),
        "{facts}"
    );

    // Reveal: shown once on its own page, recorded.
    let r = wg
        .post(format!("{}/residents/{person}/reveal/id_number", app.base))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .expect("reveal");
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("html");
    assert!(html.contains(&id) && html.contains("已记录在审计日志"));
    let (auditor, _) = logged_in(&app, "sj01").await;
    let (_, trail) = text(&app, &auditor, "/admin/audit?action=register.reveal").await;
    assert!(
        trail.contains(&format!("person:{person}")) && !trail.contains(&id),
        "{trail}"
    );
    let (s, _) = text(&app, &wg, "/admin/audit").await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Another grid's worker: the person and the grid's register do not exist for them.
    let (other, _) = logged_in(&app, "wg0201").await;
    let (s, _) = text(&app, &other, &format!("/residents/{person}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = text(&app, &other, &format!("/registers/{GRID}?tab=residents")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_sheet_is_checked_on_the_page_fixed_and_imported_with_progress() {
    let app = TestApp::demo().await;
    let (sq, _) = logged_in(&app, "sq01").await;
    let (_, html) = text(&app, &sq, &format!("/registers/{GRID}?tab=residents")).await;
    assert!(html.contains("下载空白模板") && html.contains("上传并检查"));
    let csrf = csrf_of(&html);
    let r = sq
        .get(format!("{}/registers/{GRID}/template/residents", app.base))
        .send()
        .await
        .expect("template");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .contains("spreadsheetml")
    );

    // The officer's sheet calls the ID column 身份号, which no guess knows.
    let sheet = |id: &str| {
        format!(
            "姓名,身份号,网格编码,楼栋,房号,户编号,与户主关系,居住状态\n黄秀兰,{},{GRID},3栋,201,H1,户主,户籍\n覃建国,{id},{GRID},3栋,201,H1,配偶,户籍\n",
            synthetic_id(21)
        )
    };
    let send = |body: String, extra: Vec<(&'static str, String)>| {
        let mut form = Form::new()
            .text("_csrf", csrf.clone())
            .text("register", "residents");
        for (k, v) in extra {
            form = form.text(k, v);
        }
        let form = form.part("file", Part::bytes(body.into_bytes()).file_name("居民.csv"));
        sq.post(format!("{}/registers/{GRID}/import", app.base))
            .multipart(form)
            .send()
    };
    let r = send(sheet("450802199001010000"), vec![])
        .await
        .expect("upload");
    let report = finished(&app, &sq, r).await;
    assert!(report.contains("缺少必填列“公民身份号码”"), "{report}");
    assert!(
        report.contains("<select name=\"map_name\" aria-label=\"姓名\"><option value=\"\">（无）</option><option selected>姓名</option>"),
        "the mapping step shows what was found: {report}"
    );
    let mapped = || vec![("map_id_number", "身份号".to_owned())];
    let r = send(sheet("450802199001010000"), mapped())
        .await
        .expect("upload");
    let report = finished(&app, &sq, r).await;
    assert!(
        report.contains("发现 1 处错误") && report.contains("<td>3</td><td>公民身份号码</td>"),
        "{report}"
    );
    assert!(
        report.contains("<option selected>身份号</option>"),
        "the chosen mapping is kept: {report}"
    );
    let mut check_only = mapped();
    check_only.push(("check_only", "1".into()));
    let r = send(sheet(&synthetic_id(22)), check_only)
        .await
        .expect("upload");
    let report = finished(&app, &sq, r).await;
    assert!(
        report.contains("检查通过：2 行全部无误，尚未写入"),
        "{report}"
    );
    let r = send(sheet(&synthetic_id(22)), mapped())
        .await
        .expect("upload");
    let report = finished(&app, &sq, r).await;
    assert!(report.contains("已导入 2 条（1 户）"), "{report}");
    let (_, list) = text(&app, &sq, &format!("/registers/{GRID}?tab=residents")).await;
    assert!(list.contains("黄秀兰") && list.contains("覃建国"));
}

/// Follows an import's progress page until the report is there.
pub async fn finished(app: &TestApp, client: &reqwest::Client, r: reqwest::Response) -> String {
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()[LOCATION].to_str().expect("location").to_owned();
    assert!(to.starts_with("/registers/imports/"), "{to}");
    for _ in 0..200 {
        let (s, html) = text(app, client, &to).await;
        assert_eq!(s, StatusCode::OK);
        if !html.contains("http-equiv=\"refresh\"") {
            return html;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("import did not finish");
}
