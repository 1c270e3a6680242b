//! Settings pages: the working-day calendar and Open311 client keys.

use crate::common::{TestApp, fetch as text};
use crate::pages::{csrf_of, logged_in};
use reqwest::StatusCode;
use reqwest::header::LOCATION;

#[tokio::test]
async fn the_command_centre_keeps_the_calendar_on_its_page() {
    let app = TestApp::demo().await;
    let (officer, _) = logged_in(&app, "sq01").await;
    let (s, html) = text(&app, &officer, "/admin/calendar?year=2026").await;
    assert_eq!(
        s,
        StatusCode::OK,
        "a community reads the calendar its deadlines run on"
    );
    assert!(
        html.contains("2026-10-01") && !html.contains("/admin/calendar/set"),
        "but gets no form to change it: {html}"
    );
    let r = officer
        .post(format!("{}/admin/calendar/set", app.base))
        .form(&[
            ("_csrf", csrf_of(&html).as_str()),
            ("day", "2026-12-30"),
            ("kind", "holiday"),
            ("name", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "nor may it post one");

    let (centre, _) = logged_in(&app, "zhzx").await;
    let (s, html) = text(&app, &centre, "/admin/calendar?year=2026").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("2026-10-01")
            && html.contains("调休上班")
            && !html.contains("Open311 客户端"),
        "{html}"
    );
    let csrf = csrf_of(&html);
    let r = centre
        .post(format!("{}/admin/calendar/set", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("day", "2026-12-31"),
            ("kind", "holiday"),
            ("name", "测试假日"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = text(&app, &centre, r.headers()[LOCATION].to_str().unwrap()).await;
    assert!(
        html.contains("已设置 2026-12-31") && html.contains("测试假日"),
        "{html}"
    );
    let r = centre
        .post(format!("{}/admin/calendar/set", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("day", "2026-02-30"),
            ("kind", "holiday"),
            ("name", "x"),
        ])
        .send()
        .await
        .unwrap();
    let (_, html) = text(&app, &centre, r.headers()[LOCATION].to_str().unwrap()).await;
    assert!(html.contains("日期 2026-02-30 无效"), "{html}");
}

#[tokio::test]
async fn an_admin_issues_an_open311_key_shown_once() {
    let app = TestApp::demo().await;
    let (centre, _) = logged_in(&app, "zhzx").await;
    let (s, _) = text(&app, &centre, "/admin/open311").await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "keys are for the security administrator only"
    );
    let (system, _) = logged_in(&app, "admin").await;
    let (s, _) = text(&app, &system, "/admin/open311").await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "三员分立: not the system administrator's"
    );

    let (admin, _) = logged_in(&app, "aq01").await;
    let (s, html) = text(&app, &admin, "/admin/open311").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("演示客户端"), "{html}");
    let csrf = csrf_of(&html);
    let r = admin
        .post(format!("{}/admin/open311", app.base))
        .form(&[("_csrf", csrf.as_str()), ("name", "港北随手拍")])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"issued-key\""), "{html}");
    let key = html
        .split("<code>")
        .nth(1)
        .unwrap()
        .split("</code>")
        .next()
        .unwrap()
        .to_owned();
    assert!(key.starts_with("sz311-"));
    let (_, again) = text(&app, &admin, "/admin/open311").await;
    assert!(
        again.contains("港北随手拍") && !again.contains(&key),
        "shown once"
    );

    let r = app
        .client
        .post(format!("{}/open311/v2/requests.json", app.base))
        .form(&[
            ("api_key", key.as_str()),
            ("service_code", "03"),
            ("address_string", "东湖社区"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_command_centre_uploads_a_hotline_export_on_its_page() {
    let app = TestApp::demo().await;
    let (centre, _) = logged_in(&app, "zhzx").await;
    let (s, html) = text(&app, &centre, "/cases/import").await;
    assert_eq!(s, StatusCode::OK);
    let csrf = csrf_of(&html);
    let send = |csv: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("_csrf", csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("12345.csv"),
            );
        centre
            .post(format!("{}/cases/import", app.base))
            .multipart(form)
            .send()
    };
    let html = send("工单编号,事项类别,诉求内容,网格编码\nP-1,0402,路灯不亮,450802001001001\nP-2,0402,,450802001001001\n")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"bad-rows\"")
            && html.contains("<td>3</td>")
            && html.contains("诉求内容为空"),
        "{html}"
    );
    let html = send("工单编号,事项类别,诉求内容,网格编码\nP-1,0402,路灯不亮,450802001001001\n")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"import-result\"") && html.contains("已导入 1 件工单"),
        "{html}"
    );
    let (worker, _) = logged_in(&app, "wg0101").await;
    let (s, _) = text(&app, &worker, "/cases/import").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
