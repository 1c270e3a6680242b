//! Photos of a case: checked by content, stored upright and small, shown to those in scope,
//! and to the reporter only when public; refused photos leave nothing behind.

use crate::common::{TestApp, error_code, fetch, photo_png, upload_photo};
use crate::pages::{csrf_of, logged_in};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use shanzhi_app::AppConfig;

const GRID: &str = "450802001001001";

async fn new_case(app: &TestApp, token: &str) -> i64 {
    let (s, case) = app
        .post(
            "/api/v1/cases",
            token,
            json!({"category": "0403", "title": "井盖破损", "description": "4栋门口井盖破损，夜间有人踩空", "node_code": GRID}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{case}");
    case["id"].as_i64().expect("id")
}

async fn image_of(c: &reqwest::Client, url: &str, token: Option<&str>) -> (StatusCode, Vec<u8>) {
    let mut req = c.get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.expect("request");
    let status = r.status();
    if status == StatusCode::OK {
        assert_eq!(r.headers()[CONTENT_TYPE], "image/jpeg");
    }
    (status, r.bytes().await.expect("body").to_vec())
}

#[tokio::test]
async fn staff_add_photos_and_only_staff_in_scope_see_them() {
    let app = TestApp::demo().await;
    let worker = app.token("wg0101").await;
    let id = new_case(&app, &worker).await;

    let (s, rows) = upload_photo(&app, &worker, id, photo_png(3000, 2000), true).await;
    assert_eq!(s, StatusCode::CREATED, "{rows}");
    assert_eq!(rows.as_array().map(Vec::len), Some(1));
    assert_eq!(
        (rows[0]["width"].as_i64(), rows[0]["height"].as_i64()),
        (Some(2048), Some(1365))
    );
    let photo_id = rows[0]["id"].as_i64().unwrap();

    let url = format!("{}/api/v1/cases/{id}/photos/{photo_id}", app.base);
    let (s, bytes) = image_of(&app.client, &url, Some(&worker)).await;
    assert_eq!(s, StatusCode::OK);
    let stored = image::load_from_memory(&bytes).expect("a JPEG");
    assert_eq!((stored.width(), stored.height()), (2048, 1365));
    let (s, bytes) = image_of(&app.client, &format!("{url}?thumb=true"), Some(&worker)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(image::load_from_memory(&bytes).expect("thumb").width(), 320);

    let (_, detail) = app.get(&format!("/api/v1/cases/{id}"), &worker).await;
    let timeline = detail["timeline"].as_array().expect("timeline");
    assert!(
        timeline
            .iter()
            .any(|e| e["action"] == "photo" && e["note"] == "上传照片 1 张"),
        "{detail}"
    );

    // Another grid's worker does not see the case, its photos or a way to add one.
    let other = app.token("wg0201").await;
    let (s, _) = app.get(&format!("/api/v1/cases/{id}/photos"), &other).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = image_of(&app.client, &url, Some(&other)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = upload_photo(&app, &other, id, photo_png(10, 10), true).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Not a picture, whatever the declared type: refused, nothing stored.
    let (s, body) = upload_photo(&app, &worker, id, "不是图片".as_bytes().to_vec(), true).await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_photo")
    );
    let (_, list) = app
        .get(&format!("/api/v1/cases/{id}/photos"), &worker)
        .await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn photos_over_the_configured_limit_are_refused_with_413_and_leave_nothing() {
    let config = AppConfig {
        photo_max_bytes: 1024 * 1024,
        ..Default::default()
    };
    let app = TestApp::demo_with(config, Default::default()).await;
    let worker = app.token("wg0101").await;
    let id = new_case(&app, &worker).await;
    let big = vec![0x89; 1024 * 1024 + 1];
    let (s, body) = upload_photo(&app, &worker, id, big.clone(), true).await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    assert_eq!(body["error"]["message"], "照片不能超过 1 MB");
    let (_, list) = app
        .get(&format!("/api/v1/cases/{id}/photos"), &worker)
        .await;
    assert_eq!(list, json!([]));

    // The same on the resident's page: the form comes back saying why, and no case is filed.
    let c = crate::pages::browser_client();
    let (_, html) = fetch(&app, &c, &format!("/r/{GRID}")).await;
    let form = Form::new()
        .text("_csrf", csrf_of(&html))
        .text("category", "0403")
        .text("description", "井盖丢失很危险")
        .part("photos", Part::bytes(big).file_name("big.jpg"));
    let r = c
        .post(format!("{}/r/{GRID}", app.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("照片不能超过 1 MB") && html.contains("井盖丢失很危险"),
        "{html}"
    );
    let centre = app.token("zhzx").await;
    let (_, found) = app.get("/api/v1/cases?q=井盖丢失", &centre).await;
    assert_eq!(found["items"], json!([]), "nothing half-written");
}

/// Sends the resident's report form with the given photos; returns the response.
/// The resident report form of the grid, filled in with a 路灯 report saying `description`.
async fn report_form(app: &TestApp, c: &reqwest::Client, description: &str) -> Form {
    let (_, html) = fetch(app, c, &format!("/r/{GRID}")).await;
    Form::new()
        .text("_csrf", csrf_of(&html))
        .text("category", "0402")
        .text("description", description.to_owned())
}

async fn resident_report(
    app: &TestApp,
    c: &reqwest::Client,
    description: &str,
    photos: Vec<(Vec<u8>, &'static str)>,
) -> reqwest::Response {
    let mut form = report_form(app, c, description).await;
    for (bytes, name) in photos {
        form = form.part("photos", Part::bytes(bytes).file_name(name));
    }
    c.post(format!("{}/r/{GRID}", app.base))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_resident_reports_with_a_photo_and_sees_only_the_public_ones() {
    let app = TestApp::demo().await;
    let c = crate::pages::browser_client();
    let r = resident_report(
        &app,
        &c,
        "路灯杆倾斜快倒了",
        vec![(photo_png(640, 480), "灯杆.png")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let tracking = crate::pages_public::tracking_of(&r);
    let (_, html) = fetch(&app, &c, &format!("/t/{tracking}")).await;
    let at = html
        .find(&format!("/t/{tracking}/photos/"))
        .expect("photo on the tracking page");
    let photo_path: String = html[at..].split('"').next().unwrap().to_owned();
    let (s, bytes) = image_of(&c, &format!("{}{photo_path}", app.base), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(image::load_from_memory(&bytes).expect("JPEG").width(), 640);

    // Staff see it on the case, and the command centre (which holds street-light matters) adds
    // an internal one the resident never sees.
    let worker = app.token("zhzx").await;
    let (_, found) = app.get("/api/v1/cases?q=灯杆倾斜", &worker).await;
    let id = found["items"][0]["id"].as_i64().expect("the case");
    let (_, list) = app
        .get(&format!("/api/v1/cases/{id}/photos"), &worker)
        .await;
    assert_eq!(
        (list[0]["stage"].as_str(), list[0]["public"].as_bool()),
        (Some("reported"), Some(true))
    );
    let (s, rows) = upload_photo(&app, &worker, id, photo_png(100, 100), false).await;
    assert_eq!(s, StatusCode::CREATED);
    let internal: Value = rows[1]["id"].clone();
    let (_, html) = fetch(&app, &c, &format!("/t/{tracking}")).await;
    assert_eq!(
        html.matches(&format!("/t/{tracking}/photos/")).count() / 2,
        1
    );
    let url = format!("{}/t/{tracking}/photos/{internal}", app.base);
    assert_eq!(image_of(&c, &url, None).await.0, StatusCode::NOT_FOUND);

    // A GIF or a text file is refused by content, and no case is filed.
    let gif = b"GIF89a\x01\0\x01\0\0\0\0;".to_vec();
    let r = resident_report(&app, &c, "路灯不亮三天了", vec![(gif, "x.jpg")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("不支持这种图片格式"));
    let r = resident_report(
        &app,
        &c,
        "路灯不亮三天了",
        vec![(photo_png(20, 20), "a.png"), (b"hello".to_vec(), "b.jpg")],
    )
    .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("第 2 张照片：文件不是图片")
    );
    let (_, found) = app.get("/api/v1/cases?q=不亮三天", &worker).await;
    assert_eq!(found["items"], json!([]));
}

#[tokio::test]
async fn a_grid_worker_reports_on_the_page_by_position_with_photos() {
    let app = TestApp::demo().await;
    let token = app.token("wg0101").await;
    let (lon, lat) = crate::api_cases::point_in_own_grid(&app, &token).await;
    let (c, _) = logged_in(&app, "wg0101").await;
    let (s, html) = fetch(&app, &c, "/cases/new").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("使用当前位置") && html.contains(GRID),
        "own grid offered"
    );
    assert!(
        !html.contains("450802001002001"),
        "another grid is not offered"
    );
    let send = |lon: f64, lat: f64| {
        let form = Form::new()
            .text("_csrf", csrf_of(&html))
            .text("category", "0201")
            .text("description", "5栋楼道电动车充电，飞线拉到三楼")
            .text("lon", lon.to_string())
            .text("lat", lat.to_string())
            .part(
                "photos",
                Part::bytes(photo_png(800, 600)).file_name("现场.png"),
            )
            .part(
                "photos",
                Part::bytes(photo_png(600, 800)).file_name("现场2.png"),
            );
        c.post(format!("{}/cases/new", app.base))
            .multipart(form)
            .send()
    };
    let r = send(lon, lat).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()[LOCATION].to_str().unwrap().to_owned();
    let id: i64 = to
        .trim_start_matches("/cases/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (_, case) = app.get(&format!("/api/v1/cases/{id}"), &token).await;
    assert!(
        case["case"]["node_code"]
            .as_str()
            .unwrap()
            .starts_with(GRID),
        "{case}"
    );
    assert_eq!(case["case"]["title"], "5栋楼道电动车充电，飞线拉到三楼");
    let (_, page) = fetch(&app, &c, &to).await;
    assert_eq!(
        page.matches(&format!("/cases/{id}/photos/")).count(),
        4,
        "two thumbnails, linked"
    );

    // Far outside the district: the form comes back and says so.
    let r = send(100.0, 30.0).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("该位置不在任何网格内") && html.contains("飞线拉到三楼"),
        "{html}"
    );
}

#[tokio::test]
async fn a_residents_phone_is_stored_sealed_shown_masked_and_revealed_only_on_record() {
    let app = TestApp::demo().await;
    let c = crate::pages::browser_client();
    let (_, html) = fetch(&app, &c, &format!("/r/{GRID}")).await;
    let send = |phone: &'static str| {
        let form = Form::new()
            .text("_csrf", csrf_of(&html))
            .text("category", "03")
            .text("description", "垃圾桶旁污水横流")
            .text("phone", phone);
        c.post(format!("{}/r/{GRID}", app.base))
            .multipart(form)
            .send()
    };
    let r = send("12345").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("电话号码无效"));
    let r = send("+86 138-7751-2345").await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let worker = app.token("wg0101").await;
    let (_, found) = app.get("/api/v1/cases?q=污水横流", &worker).await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1), "{found}");
    let case = &found["items"][0];
    assert_eq!(case["reporter_phone_masked"], "138****2345");
    assert!(!found.to_string().contains("13877512345"));
    let id = case["id"].as_i64().unwrap();

    // The sealed value holds no readable number.
    let mut conn = app.state().store().conn().await.unwrap();
    let (sealed,): (Vec<u8>,) = shanzhi_store::Exec::one(
        &mut conn,
        shanzhi_store::Sql::new("SELECT reporter_phone_sealed FROM cases WHERE id = ?").bind(id),
    )
    .await
    .unwrap();
    assert!(!sealed.windows(11).any(|w| w == b"13877512345"));

    // Revealing is for staff with standing, and leaves a record.
    let (s, body) = app
        .post(
            &format!("/api/v1/cases/{id}/reporter-phone"),
            &worker,
            json!({}),
        )
        .await;
    assert_eq!(
        (s, body["phone"].as_str()),
        (StatusCode::OK, Some("13877512345"))
    );
    let other = app.token("wg0201").await;
    let (s, _) = app
        .post(
            &format!("/api/v1/cases/{id}/reporter-phone"),
            &other,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let rows = shanzhi_store::audit::list(
        &mut conn,
        &shanzhi_store::audit::AuditFilter {
            action: Some("case.reveal_reporter_phone"),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].target, format!("case:{id}"));
    assert!(
        !rows[0].detail.contains("13877512345"),
        "the trail holds no number"
    );

    // On the case page: masked, with a button that shows the number on its own page.
    let (staff, _) = logged_in(&app, "wg0101").await;
    let (_, page) = fetch(&app, &staff, &format!("/cases/{id}")).await;
    assert!(page.contains("138****2345") && !page.contains("13877512345"));
    let r = staff
        .post(format!("{}/cases/{id}/reporter-phone", app.base))
        .form(&[("_csrf", csrf_of(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("13877512345"));
}

#[tokio::test]
async fn photos_are_shown_before_and_after_the_work() {
    let app = TestApp::demo().await;
    let worker = app.token("wg0101").await;
    let leader = app.token("wgz01").await;
    let (_, case) = app
        .post(
            "/api/v1/cases",
            &worker,
            json!({"category": "03", "title": "绿化带垃圾", "description": "3栋绿化带堆满垃圾", "node_code": GRID}),
        )
        .await;
    let id = case["id"].as_i64().unwrap();
    let tracking = case["tracking_code"].as_str().unwrap().to_owned();
    let (s, _) = upload_photo(&app, &worker, id, photo_png(640, 480), true).await;
    assert!(s.is_success());
    for (token, body) in [
        (&leader, json!({"action": "accept"})),
        (&leader, json!({"action": "dispatch", "to": "grid"})),
        (&worker, json!({"action": "start"})),
    ] {
        crate::common::step(&app, token, id, body).await;
    }
    let (s, _) = upload_photo(&app, &worker, id, photo_png(600, 400), true).await;
    assert!(s.is_success());
    crate::common::step(
        &app,
        &worker,
        id,
        json!({"action": "handle", "result": "已清运"}),
    )
    .await;
    let (s, _) = upload_photo(&app, &worker, id, photo_png(500, 400), true).await;
    assert!(s.is_success());

    let c = crate::pages::browser_client();
    let (_, page) = fetch(&app, &c, &format!("/t/{tracking}")).await;
    let headings: Vec<&str> = page
        .split("<h2 class=\"phase\">")
        .skip(1)
        .filter_map(|s| s.split('<').next())
        .collect();
    assert_eq!(headings, ["处置前（现场）", "处置中", "处置后"], "{page}");
    let (staff, _) = logged_in(&app, "sq01").await;
    let (_, page) = fetch(&app, &staff, &format!("/cases/{id}")).await;
    assert!(
        page.contains("<h3 class=\"phase\">处置前（现场）</h3>")
            && page.contains("<h3 class=\"phase\">处置后</h3>"),
        "{page}"
    );
}

#[tokio::test]
async fn a_resident_reports_with_a_photo_alone_and_nothing_alone_is_refused() {
    let app = TestApp::demo().await;
    let c = crate::pages::browser_client();
    let r = resident_report(&app, &c, "", vec![(photo_png(640, 480), "路灯.png")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "a photo says it all");
    let staff = app.token("zhzx").await;
    let (_, found) = app
        .get("/api/v1/cases?q=居民拍照反映&category=0402", &staff)
        .await;
    let case = &found["items"][0];
    assert_eq!(
        case["description"], "居民拍照反映，没有写文字（现场照片 1 张）",
        "{found}"
    );
    let id = case["id"].as_i64().unwrap();
    let (_, photos) = app.get(&format!("/api/v1/cases/{id}/photos"), &staff).await;
    assert_eq!(photos.as_array().map(Vec::len), Some(1));
    let r = resident_report(&app, &c, "  ", Vec::new()).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("或拍一张现场照片"));
}

/// One second of AMR-NB as a phone records it: the file magic, then 50 frames of 12.2 kbit/s.
fn amr_second() -> Vec<u8> {
    let mut v = b"#!AMR\n".to_vec();
    for i in 0..50u8 {
        v.push(0x3C);
        v.extend((0..31u8).map(|j| i.wrapping_mul(31).wrapping_add(j)));
    }
    v
}

#[tokio::test]
async fn a_resident_reports_by_voice_alone_and_only_staff_of_the_case_hear_it() {
    let app = TestApp::demo().await;
    let c = crate::pages::browser_client();
    let send = |voice: Vec<u8>, name: &'static str, description: &'static str| {
        let (app, c) = (&app, &c);
        async move {
            let form = report_form(app, c, description)
                .await
                .part("voice", Part::bytes(voice).file_name(name));
            c.post(format!("{}/r/{GRID}", app.base))
                .multipart(form)
                .send()
                .await
                .unwrap()
        }
    };
    // Named like audio but not audio: refused by its content, and what was typed comes back.
    let r = send(photo_png(64, 64), "录音.m4a", "路灯不亮").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    assert!(page.contains("不是可以接收的语音文件"), "{page}");
    assert!(page.contains(">路灯不亮</textarea>"), "typed text kept");
    let mut long = amr_second();
    long.resize(shanzhi_domain::case::voice::MAX_BYTES + 1, 0x3C);
    let r = send(long, "录音.amr", "").await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text().await.unwrap().contains("语音文件太大"));

    let amr = amr_second();
    let r = send(amr.clone(), "录音.amr", "").await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "a voice note says it all"
    );
    let tracking = crate::pages_public::tracking_of(&r);
    // The voice identifies its speaker: it is not on the public tracking page.
    let (_, public) = fetch(&app, &c, &format!("/t/{tracking}")).await;
    assert!(!public.contains("/voices/") && !public.contains("<audio"));

    let officer = app.token("sq01").await;
    let case = crate::pages_public::listed_report(&app, &officer, &tracking).await;
    assert_eq!(
        case["description"],
        "居民语音反映，没有写文字，请听语音留言"
    );
    let id = case["id"].as_i64().unwrap();
    let (staff, _) = logged_in(&app, "sq01").await;
    let (_, page) = fetch(&app, &staff, &format!("/cases/{id}")).await;
    let at = page
        .find(&format!("/cases/{id}/voices/"))
        .expect("a voice link");
    let path: String = page[at..].split('"').next().unwrap().to_owned();
    assert!(page.contains("AMR 格式"), "AMR is offered as a download");
    let got = staff
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.headers()[CONTENT_TYPE], "audio/amr");
    assert!(
        got.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(
        got.bytes().await.unwrap().as_ref(),
        amr.as_slice(),
        "kept as sent"
    );
    // A grid worker of the next grid does not see the case, so not its voice either.
    let (other, _) = logged_in(&app, "wg0102").await;
    let r = other
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
