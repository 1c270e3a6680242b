//! The web pages over HTTP: CSRF, cookies, scope, the management forms.

use crate::common::{PASSWORD, TestApp};
use reqwest::StatusCode;
use reqwest::header::{LOCATION, SET_COOKIE};

/// A browser-like client: keeps cookies, does not follow redirects.
pub fn browser_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Pulls the CSRF token out of a page.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"_csrf\" value=\"")
        .expect("form with csrf")
        + "name=\"_csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_owned()
}

/// Posts a form as the browser would.
pub(crate) async fn post_form(
    c: &reqwest::Client,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    c.post(format!("{}{path}", app.base))
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// A browser-like client logged in as `username`, and the CSRF token its forms carry.
pub async fn logged_in(app: &TestApp, username: &str) -> (reqwest::Client, String) {
    let c = browser_client();
    let html = c
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let resp = post_form(
        &c,
        app,
        "/login",
        &[
            ("_csrf", csrf.as_str()),
            ("username", username),
            ("password", PASSWORD),
            ("next", "/regions"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "login {username}");
    // Signed in, forms carry the session's token, not the one the login form had.
    let html = c
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let fresh = csrf_of(&html);
    assert_ne!(fresh, csrf, "the token is renewed at login");
    (c, fresh)
}

#[tokio::test]
async fn login_needs_the_csrf_token_and_sets_strict_cookies() {
    let app = TestApp::demo().await;
    let c = browser_client();
    let resp = c
        .get(format!("{}/login?next=//evil.example/x", app.base))
        .send()
        .await
        .unwrap();
    let set = resp
        .headers()
        .get(SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        set.contains("sz_csrf=") && set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("演示账号") && html.contains("wg0101"),
        "demo logins shown in demo mode"
    );
    assert!(
        html.contains(r#"name="next" value="/""#),
        "an off-site next is replaced by the account's home"
    );
    let csrf = csrf_of(&html);

    let no_token = post_form(
        &c,
        &app,
        "/login",
        &[("username", "wg0101"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    let wrong = post_form(
        &c,
        &app,
        "/login",
        &[
            ("_csrf", "x".repeat(43).as_str()),
            ("username", "wg0101"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let bad_pw = post_form(
        &c,
        &app,
        "/login",
        &[
            ("_csrf", csrf.as_str()),
            ("username", "wg0101"),
            ("password", "nope-nope-1"),
        ],
    )
    .await;
    assert_eq!(bad_pw.status(), StatusCode::UNAUTHORIZED);
    assert!(bad_pw.text().await.unwrap().contains("用户名或密码错误"));
    let ok = post_form(
        &c,
        &app,
        "/login",
        &[
            ("_csrf", csrf.as_str()),
            ("username", "wg0101"),
            ("password", PASSWORD),
            ("next", "//evil.example"),
        ],
    )
    .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(ok.headers()[LOCATION], "/");
    let cookies: Vec<&str> = ok
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        cookies.iter().any(|c| c.starts_with("sz_csrf=;")),
        "the pre-login token is dropped: {cookies:?}"
    );
    let session = cookies
        .iter()
        .find(|c| c.starts_with("sz_session="))
        .expect("session cookie");
    assert!(
        session.contains("sz_session=")
            && session.contains("HttpOnly")
            && session.contains("SameSite=Lax"),
        "{session}"
    );

    let plain = TestApp::empty().await;
    let html = browser_client()
        .get(format!("{}/login", plain.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("演示账号"),
        "no demo logins outside demo mode"
    );
}

#[tokio::test]
async fn pages_keep_to_the_viewers_scope() {
    let app = TestApp::demo().await;
    let anonymous = browser_client()
        .get(format!("{}/regions/450802", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers()[LOCATION], "/login?next=/regions/450802");

    let (c, _) = logged_in(&app, "wg0101").await;
    let home = c.get(format!("{}/regions", app.base)).send().await.unwrap();
    assert_eq!(home.headers()[LOCATION], "/regions/450802001001001");
    let own = c
        .get(format!("{}/regions/450802001001001", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    let html = own.text().await.unwrap();
    assert!(html.contains("东湖社区第一网格") && html.contains("<svg") && html.contains("1栋片区"));
    assert!(
        !html.contains("新建微网格"),
        "grid workers get no management forms"
    );
    let other = c
        .get(format!("{}/regions/450802001001002", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    assert!(!other.text().await.unwrap().contains("东湖社区第二网格"));
}

#[tokio::test]
async fn officers_add_rename_and_retire_grids_through_forms() {
    let app = TestApp::demo().await;
    let (c, _) = logged_in(&app, "sq01").await;
    let page = c
        .get(format!("{}/regions/450802001001", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("新建网格"));
    let csrf = csrf_of(&page);
    let forged = post_form(
        &c,
        &app,
        "/regions/450802001001/children",
        &[("suffix", "030"), ("name", "伪造网格")],
    )
    .await;
    assert_eq!(
        forged.status(),
        StatusCode::FORBIDDEN,
        "no CSRF token, no write"
    );
    let made = post_form(
        &c,
        &app,
        "/regions/450802001001/children",
        &[
            ("_csrf", csrf.as_str()),
            ("suffix", "030"),
            ("name", "东湖社区第三十网格"),
            ("class", "comprehensive"),
            ("feature", "庭院协商"),
        ],
    )
    .await;
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    let to = made.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(to.starts_with("/regions/450802001001030"), "{to}");
    let html = c
        .get(format!("{}{to}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("东湖社区第三十网格") && html.contains("庭院协商") && html.contains("已新建")
    );

    let bad = post_form(
        &c,
        &app,
        "/regions/450802001001/children",
        &[
            ("_csrf", csrf.as_str()),
            ("suffix", "030"),
            ("name", "重复"),
        ],
    )
    .await;
    let back = bad.headers()[LOCATION].to_str().unwrap().to_owned();
    let html = c
        .get(format!("{}{back}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("已存在"), "the error says what is wrong");

    let renamed = post_form(
        &c,
        &app,
        "/regions/450802001001030/rename",
        &[("_csrf", csrf.as_str()), ("name", "东湖社区幸福网格")],
    )
    .await;
    assert_eq!(renamed.status(), StatusCode::SEE_OTHER);
    let retired = post_form(
        &c,
        &app,
        "/regions/450802001001030/retire",
        &[("_csrf", csrf.as_str()), ("reason", "试点结束")],
    )
    .await;
    assert!(
        retired.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/regions/450802001001?notice=")
    );
    let html = c
        .get(format!("{}/regions/450802001001030", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("已撤销")
            && html.contains("试点结束")
            && html.contains("东湖社区第三十网格 → 东湖社区幸福网格")
    );
}

#[tokio::test]
async fn answers_carry_security_headers_and_forms_are_bound_to_the_session() {
    let web = shanzhi_web::WebConfig {
        secure_cookies: true,
        metrics_token: Some("scrape-secret-2026".into()),
        ..Default::default()
    };
    let app = TestApp::demo_with(Default::default(), web).await;
    for path in [
        "/login",
        "/r/450802001001001",
        "/api/v1/openapi.json",
        "/nowhere",
    ] {
        let r = reqwest::get(format!("{}{path}", app.base)).await.unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert!(h.contains_key("strict-transport-security"), "{path}");
    }

    // /metrics: only with the scraper's token.
    let metrics = format!("{}/metrics", app.base);
    let r = reqwest::get(&metrics).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .client
        .get(&metrics)
        .bearer_auth("scrape-secret-2026")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // A token planted in the CSRF cookie is worth nothing once signed in: forms carry the
    // session's own token.
    let app = TestApp::demo().await;
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie_of = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix(&format!("{name}=")))
            .and_then(|c| c.split(';').next())
            .map(str::to_owned)
            .expect("cookie")
    };
    let form = plain
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap();
    let pre = cookie_of(&form, "sz_csrf");
    let token = csrf_of(&form.text().await.unwrap());
    let signed = plain
        .post(format!("{}/login", app.base))
        .header("cookie", format!("sz_csrf={pre}"))
        .form(&[
            ("_csrf", token.as_str()),
            ("username", "sq01"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    let session = cookie_of(&signed, "sz_session");
    let planted = "p".repeat(43);
    let logout = |csrf_cookie: String, field: String| {
        let (plain, base, session) = (plain.clone(), app.base.clone(), session.clone());
        async move {
            plain
                .post(format!("{base}/logout"))
                .header(
                    "cookie",
                    format!("sz_session={session}; sz_csrf={csrf_cookie}"),
                )
                .form(&[("_csrf", field.as_str())])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        logout(planted.clone(), planted.clone()).await,
        StatusCode::FORBIDDEN,
        "a planted token"
    );
    assert_eq!(
        logout(pre.clone(), token.clone()).await,
        StatusCode::FORBIDDEN,
        "the token from before the login"
    );
    let page = plain
        .get(format!("{}/login", app.base))
        .header("cookie", format!("sz_session={session}"))
        .send()
        .await
        .unwrap();
    let own = csrf_of(&page.text().await.unwrap());
    assert_eq!(
        logout(planted, own).await,
        StatusCode::SEE_OTHER,
        "the session's own token"
    );
}

#[tokio::test]
async fn a_link_typed_wrong_gets_a_page_in_chinese_and_text_goes_out_compressed() {
    let app = TestApp::demo().await;
    let (c, _) = logged_in(&app, "wg0101").await;
    for (path, status, says) in [
        (
            "/cases?overdue=yes&limit=x",
            StatusCode::BAD_REQUEST,
            "网址里的查询条件看不懂",
        ),
        ("/patrols/abc", StatusCode::NOT_FOUND, "未找到"),
    ] {
        let r = c.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(r.status(), status, "{path}");
        let html = r.text().await.unwrap();
        assert!(html.contains(says), "{path}: {html}");
        assert!(
            !html.contains("Failed") && !html.contains("Invalid") && !html.contains("parse"),
            "{path}: no parser's English: {html}"
        );
    }

    let icon = c
        .get(format!("{}/favicon.ico", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");

    // A browser asks for gzip: pages, styles and scripts come compressed; without asking, plain.
    let plain = c.get(format!("{}/patrol", app.base)).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.bytes().await.unwrap();
    let packed = c
        .get(format!("{}/patrol", app.base))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(packed.headers()["content-encoding"], "gzip");
    let packed = packed.bytes().await.unwrap();
    assert_eq!(&packed[..2], &[0x1f, 0x8b], "a gzip stream");
    assert!(
        packed.len() < plain.len(),
        "{} → {}",
        plain.len(),
        packed.len()
    );
    // The grid worker's start button names the grid, not its code.
    let page = String::from_utf8_lossy(&plain);
    assert!(page.contains("开始巡查东湖社区第一网格"), "{page}");
    assert!(!page.contains("开始巡查 450802"));

    // A finding on patrol can be filed under every category a case can have: each without
    // subcategories, 环境卫生 among them.
    let started = post_form(&c, &app, "/patrol", &[("_csrf", &csrf_of(&page))]).await;
    let to = started.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(to.starts_with("/patrols/"), "{to}");
    // A finding with its photo and the phone's position becomes a case in one submit.
    let worker = app.token("wg0101").await;
    let (lon, lat) = crate::api_cases::point_in_own_grid(&app, &worker).await;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf_of(&page))
        .text("text", "3 栋门口垃圾满溢")
        .text("finding", "1")
        .text("category", "03")
        .text("lon", lon.to_string())
        .text("lat", lat.to_string())
        .part(
            "photos",
            reqwest::multipart::Part::bytes(crate::common::photo_png(800, 600))
                .file_name("垃圾.png"),
        );
    let noted = c
        .post(format!("{}{to}/notes", app.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(noted.status().is_redirection(), "{}", noted.status());
    let (_, patrol) = crate::common::fetch(&app, &c, &to).await;
    let case_id: i64 = patrol
        .split("已上报为事件 #")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("{patrol}"));
    let (_, case) = app.get(&format!("/api/v1/cases/{case_id}"), &worker).await;
    assert_eq!(case["case"]["source"], "grid_patrol");
    assert_eq!(case["case"]["category_code"], "03");
    assert!((case["case"]["lon"].as_f64().unwrap() - lon).abs() < 1e-6);
    let (_, photos) = app
        .get(&format!("/api/v1/cases/{case_id}/photos"), &worker)
        .await;
    assert_eq!(photos.as_array().map(Vec::len), Some(1), "{photos}");
    let (_, categories) = app
        .get("/api/v1/categories", &app.token("wg0101").await)
        .await;
    let categories = categories.as_array().unwrap();
    let leaves: Vec<(&str, &str)> = categories
        .iter()
        .filter(|c| !categories.iter().any(|o| o["parent_code"] == c["code"]))
        .map(|c| (c["code"].as_str().unwrap(), c["name"].as_str().unwrap()))
        .collect();
    assert!(leaves.contains(&("03", "环境卫生")), "{leaves:?}");
    for (code, name) in leaves {
        assert!(
            patrol.contains(&format!("<option value=\"{code}\">{name}</option>")),
            "{code} {name} on the patrol page"
        );
    }

    // Ending at once, with no track: said first, with the summary kept; ended on confirming.
    let end = format!("{to}/end");
    let csrf = csrf_of(&patrol);
    let asked = post_form(
        &c,
        &app,
        &end,
        &[("_csrf", &csrf), ("summary", "巡查 3 栋")],
    )
    .await;
    assert_eq!(asked.status(), StatusCode::OK);
    let asked = asked.text().await.unwrap();
    assert!(
        asked.contains("只有 0 分钟，不足 20 分钟，不计入一日双巡")
            && asked.contains("没有记录到定位点")
            && asked.contains(">巡查 3 栋</textarea>"),
        "{asked}"
    );
    let id = to.trim_start_matches("/patrols/");
    let worker = app.token("wg0101").await;
    let (_, running) = app.get(&format!("/api/v1/patrols/{id}"), &worker).await;
    assert!(
        running["patrol"]["ended_at"].is_null(),
        "not ended yet: {running}"
    );
    let confirmed = post_form(
        &c,
        &app,
        &end,
        &[
            ("_csrf", &csrf_of(&asked)),
            ("summary", "巡查 3 栋"),
            ("confirmed", "1"),
        ],
    )
    .await;
    assert!(confirmed.status().is_redirection());
    let (_, ended) = app.get(&format!("/api/v1/patrols/{id}"), &worker).await;
    assert!(!ended["patrol"]["ended_at"].is_null(), "{ended}");
    assert_eq!(ended["patrol"]["summary"], "巡查 3 栋");
}

#[tokio::test]
async fn staff_pages_start_with_a_skip_link_to_the_content() {
    let app = TestApp::demo().await;
    let (c, _) = logged_in(&app, "sq01").await;
    for path in ["/todo", "/cases", "/regions/450802001001"] {
        let (_, html) = crate::common::fetch(&app, &c, path).await;
        let skip = html
            .find("<a class=\"skip\" href=\"#main\">跳到正文</a>")
            .unwrap_or_else(|| panic!("{path}: no skip link"));
        assert!(
            skip < html.find("<nav").unwrap_or(usize::MAX),
            "{path}: the skip link comes before the navigation"
        );
        assert!(html.contains("<main id=\"main\""), "{path}");
        assert!(
            !html.contains("id=\"mode-switch\""),
            "{path}: 长辈版 is for residents"
        );
    }
}

#[tokio::test]
async fn the_elders_mode_switch_is_remembered_and_goes_back_only_to_this_site() {
    let app = TestApp::demo().await;
    let c = browser_client();
    let switch = |query: &'static str| {
        let (c, app) = (&c, &app);
        async move {
            let r = c
                .get(format!("{}/mode?{query}", app.base))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_redirection(), "{query}");
            r.headers()[LOCATION].to_str().unwrap().to_owned()
        }
    };
    assert_eq!(
        switch("elder=1&back=%2Ft%3Fcode%3DK7QM").await,
        "/t?code=K7QM"
    );
    let (_, page) = crate::common::fetch(&app, &c, "/t").await;
    assert!(page.contains("<html lang=\"zh-CN\" data-base=\"\" class=\"elder\">"));
    assert!(page.contains("切换到标准版"));
    for elsewhere in [
        "elder=0&back=%2F%2Fevil.example",
        "elder=0&back=https%3A%2F%2Fevil.example",
        "elder=0&back=%2F%5Cevil.example",
    ] {
        assert_eq!(switch(elsewhere).await, "/", "{elsewhere}");
    }
    let (_, page) = crate::common::fetch(&app, &c, "/t").await;
    assert!(!page.contains("class=\"elder\"") && page.contains("长辈版（大字）"));
}
