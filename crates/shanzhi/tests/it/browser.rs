//! The login → region browser → grid detail journey in headless Chromium (WebDriver), on a
//! phone-width and a desktop window. Screenshots go to `artifacts/screenshots/`.

use crate::common::{PASSWORD, TestApp, backend};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// chromedriver on a free port, killed on drop.
pub(crate) struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    // Owned by the guard at once, so it is killed and reaped on every path.
    let driver = Driver {
        child: Command::new(&bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {bin} ({e}); run scripts/test, which installs chromium-driver")
            }),
        url: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

pub(crate) async fn browser(d: &Driver, width: u32, height: u32) -> Client {
    // Two TLS backends are linked (via reqwest and fantoccini); rustls needs one chosen.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut caps = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                // A microphone that plays a tone, allowed without asking (the voice note).
                "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                format!("--window-size={width},{height}"),
            ]
        }
    });
    if width < 500 {
        // Desktop windows have a minimum width; a phone is emulated instead.
        caps["goog:chromeOptions"]["mobileEmulation"] = json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "touch": true}});
    }
    let caps = caps.as_object().cloned().unwrap_or_default();
    ClientBuilder::rustls()
        .expect("tls")
        .capabilities(caps)
        .connect(&d.url)
        .await
        .expect("webdriver session")
}

pub(crate) async fn shot(c: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{}-{name}.png", backend())), png).unwrap();
}

/// Logs in on the login page and waits for the staff frame of the account's first section
/// (which section depends on the role).
pub(crate) async fn login(c: &Client, app: &TestApp, username: &str) {
    c.goto(&format!("{}/login", app.base)).await.unwrap();
    c.wait()
        .for_element(Locator::Css("input[name=username]"))
        .await
        .unwrap()
        .send_keys(username)
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("header.top .who"))
        .await
        .unwrap();
}

/// A Chrome DevTools command sent through chromedriver (`goog/cdp/execute`): how a test gives
/// the page a position, as a phone's GPS would.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params}).to_string();
        (http::Method::POST, Some(body))
    }
}

/// Lets pages on `origin` read the position, and puts the phone at (lon, lat).
pub(crate) async fn place_phone(c: &Client, origin: &str, lon: f64, lat: f64) {
    let grant = Cdp {
        cmd: "Browser.grantPermissions",
        params: json!({"origin": origin, "permissions": ["geolocation"]}),
    };
    c.issue_cmd(grant).await.unwrap();
    let at = Cdp {
        cmd: "Emulation.setGeolocationOverride",
        params: json!({"latitude": lat, "longitude": lon, "accuracy": 8}),
    };
    c.issue_cmd(at).await.unwrap();
}

/// Types into the field `css` selects.
pub(crate) async fn fill(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .send_keys(value)
        .await
        .unwrap();
}

async fn text(c: &Client, id: &str) -> String {
    c.find(Locator::Id(id)).await.unwrap().text().await.unwrap()
}

/// Clicks a link on the SVG map by its target code (SVG anchors are not plain links).
async fn click_map(c: &Client, code: &str) {
    c.execute(&format!("document.querySelector('svg.map a[href=\"/regions/{code}\"] path').dispatchEvent(new MouseEvent('click', {{bubbles: true}}))"), vec![])
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath(&format!(
            "//code[@id='node-code' and text()='{code}']"
        )))
        .await
        .unwrap();
}

#[tokio::test]
async fn command_centre_browses_from_district_to_grid_on_desktop_and_phone() {
    let app = TestApp::demo().await;
    let d = driver().await;

    let c = browser(&d, 1280, 900).await;
    c.goto(&format!("{}/login", app.base)).await.unwrap();
    shot(&c, "01-login-desktop").await;
    login(&c, &app, "zhzx").await;
    c.goto(&format!("{}/regions", app.base)).await.unwrap();
    assert_eq!(text(&c, "node-code").await, "450802");
    shot(&c, "02-district-desktop").await;
    click_map(&c, "450802001").await;
    assert!(text(&c, "node-name").await.starts_with("贵城街道"));
    c.find(Locator::LinkText("东湖社区"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Css("svg.map")).await.unwrap();
    assert!(text(&c, "node-name").await.starts_with("东湖社区"));
    shot(&c, "03-community-desktop").await;
    click_map(&c, "450802001001003").await;
    let name = text(&c, "node-name").await;
    assert!(
        name.starts_with("东湖社区第三网格") && name.contains("综合网格"),
        "{name}"
    );
    let staff = c
        .find(Locator::Css("ul.staff"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(staff.contains("网格员"), "{staff}");
    shot(&c, "04-grid-desktop").await;
    c.goto(&format!("{}/cases?stage=in_progress", app.base))
        .await
        .unwrap();
    let rows = c.find_all(Locator::Css("#cases tbody tr")).await.unwrap();
    assert!(!rows.is_empty(), "the demo has cases in progress");
    shot(&c, "07-cases-desktop").await;
    rows[0]
        .find(Locator::Css("a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("timeline")).await.unwrap();
    shot(&c, "08-case-desktop").await;
    c.goto(&format!("{}/regions/450802001001001/poster", app.base))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#poster svg"))
        .await
        .unwrap();
    shot(&c, "11-poster-desktop").await;
    c.close().await.unwrap();

    let phone = browser(&d, 375, 812).await;
    login(&phone, &app, "wg0101").await;
    phone.goto(&format!("{}/regions", app.base)).await.unwrap();
    assert_eq!(text(&phone, "node-code").await, "450802001001001");
    fits(&phone, 375).await;
    shot(&phone, "05-grid-phone").await;
    phone
        .goto(&format!("{}/regions/450802001001002", app.base))
        .await
        .unwrap();
    let body = phone
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("未找到"),
        "another grid is simply not there: {body}"
    );
    shot(&phone, "06-other-grid-phone").await;
    phone.close().await.unwrap();

    // A resident scans the grid's QR code on a phone, reports, and lands on the tracking page.
    let resident = browser(&d, 375, 812).await;
    resident
        .goto(&format!("{}/r/450802001001002", app.base))
        .await
        .unwrap();
    resident
        .wait()
        .for_element(Locator::Css("textarea[name=description]"))
        .await
        .unwrap()
        .send_keys("小区东门路灯不亮一周了")
        .await
        .unwrap();
    resident
        .find(Locator::Css("select[name=category]"))
        .await
        .unwrap()
        .select_by_value("0402")
        .await
        .unwrap();
    // A photo from the phone's gallery goes with the report.
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("路灯.png");
    std::fs::write(&photo, crate::common::photo_png(1200, 900)).unwrap();
    resident
        .find(Locator::Css("input[name=photos]"))
        .await
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    shot(&resident, "09-resident-report-phone").await;
    resident
        .find(Locator::Css("#report button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let tracking = resident
        .wait()
        .for_element(Locator::Id("tracking"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(tracking.len(), 8);
    assert_eq!(
        resident
            .find(Locator::Id("stage"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "已收到"
    );
    // The thumbnail loads on its own after the page: wait for it (up to 10 s).
    let mut loaded = serde_json::Value::Null;
    for _ in 0..50 {
        loaded = resident
            .execute(
                "const i = document.querySelector('#photos img'); \
                 return i && i.complete ? i.naturalWidth : 0;",
                vec![],
            )
            .await
            .unwrap();
        if loaded.as_u64() != Some(0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        loaded.as_u64(),
        Some(320),
        "the photo's thumbnail shows on the tracking page"
    );
    shot(&resident, "10-resident-tracking-phone").await;
    resident.close().await.unwrap();
}

#[tokio::test]
async fn a_grid_worker_mediates_on_a_phone_and_sees_new_reports_live() {
    let app = TestApp::demo().await;
    let token = app.token("wg0101").await;
    let leader = app.token("wgz01").await;
    let (_, case) = app
        .post("/api/v1/cases", &token, json!({"category": "0101", "title": "楼上漏水纠纷", "description": "楼上卫生间漏水渗到楼下", "node_code": "450802001001001"}))
        .await;
    let id = case["id"].as_i64().unwrap();
    for (t, body) in [
        (&leader, json!({"action": "accept"})),
        (&leader, json!({"action": "dispatch", "to": "grid"})),
        (&token, json!({"action": "start"})),
    ] {
        let mut body = body;
        body["version"] = json!(crate::common::version(&app, t, id).await);
        crate::common::act(&app, t, id, body).await;
    }
    let d = driver().await;
    let c = browser(&d, 375, 812).await;
    login(&c, &app, "wg0101").await;
    c.goto(&format!("{}/cases/{id}", app.base)).await.unwrap();
    fill(&c, "#mediation input[name=applicants]", "张建国").await;
    fill(&c, "#mediation input[name=respondents]", "李桂芳").await;
    fill(&c, "#mediation input[name=name1]", "韦小燕").await;
    c.find(Locator::Css("#mediation form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#mediation textarea[name=notes]"))
        .await
        .unwrap();
    assert!(text(&c, "mediation").await.contains("张建国"));
    shot(&c, "case-mediation-375").await;

    // The live banner shows a report filed elsewhere in the worker's grid, without a reload.
    c.goto(&format!("{}/cases", app.base)).await.unwrap();
    c.wait()
        .for_element(Locator::Id("case-search"))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    app.post("/api/v1/cases", &token, json!({"category": "03", "title": "实时横幅测试", "description": "垃圾满溢", "node_code": "450802001001001"}))
        .await;
    c.wait()
        .for_element(Locator::XPath("//p[@id='live' and not(@hidden)]/a"))
        .await
        .unwrap();
    assert!(text(&c, "live").await.contains("实时横幅测试"));
    // On the phone the list keeps the deadline lights (the report time is what gives way).
    let shown = c
        .execute(
            "return [...document.querySelectorAll('#cases tbody tr td:nth-child(3) .light')]\
             .filter(e => e.offsetWidth > 0).length;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        shown.as_u64().unwrap_or(0) > 0,
        "deadline lights visible at 375 px"
    );
    shot(&c, "cases-live-375").await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_grid_worker_reports_from_the_phone_with_its_position_and_a_photo() {
    let app = TestApp::demo().await;
    let token = app.token("wg0101").await;
    let (lon, lat) = crate::api_cases::point_in_own_grid(&app, &token).await;
    let d = driver().await;
    let c = browser(&d, 375, 812).await;
    login(&c, &app, "wg0101").await;
    place_phone(&c, &app.base, lon, lat).await;
    c.goto(&format!("{}/cases/new", app.base)).await.unwrap();
    c.wait()
        .for_element(Locator::Id("here"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath(
            "//p[@id='here-status' and starts-with(text(), '已定位')]",
        ))
        .await
        .unwrap();
    let filled = c
        .execute("return document.getElementById('lon').value;", vec![])
        .await
        .unwrap();
    let filled: f64 = filled.as_str().unwrap().parse().unwrap();
    assert!((filled - lon).abs() < 1e-5, "{filled} vs {lon}");
    // The map's pin follows the position it was given.
    let pin = c
        .execute(
            "return document.querySelector('svg.pick .pin').getAttribute('visibility');",
            vec![],
        )
        .await
        .unwrap();
    assert!(pin.is_null(), "the pin shows at the phone's position");
    c.find(Locator::Css("select[name=category]"))
        .await
        .unwrap()
        .select_by_value("0201")
        .await
        .unwrap();
    fill(
        &c,
        "textarea[name=description]",
        "7栋地下车库消防通道停放私家车",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("车库.png");
    std::fs::write(&photo, crate::common::photo_png(1600, 1200)).unwrap();
    fill(&c, "input[name=photos]", photo.to_str().unwrap()).await;
    shot(&c, "case-new-375").await;
    fits(&c, 375).await;
    c.find(Locator::Css("#case-new button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("case-photos"))
        .await
        .unwrap();
    assert_eq!(
        text(&c, "case-title").await.split_whitespace().next(),
        Some("7栋地下车库消防通道停放私家车")
    );
    shot(&c, "case-reported-375").await;
    c.close().await.unwrap();
}

/// Waits until the element `id` shows text containing `part` (the recorder updates it).
pub(crate) async fn wait_text(c: &Client, id: &str, part: &str) {
    let found = c
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::XPath(&format!(
            "//*[@id='{id}' and contains(., '{part}')]"
        )))
        .await;
    if let Err(e) = found {
        let now = c.find(Locator::Id(id)).await.ok();
        let shown = match now {
            Some(el) => el.text().await.unwrap_or_default(),
            None => c.source().await.unwrap_or_default(),
        };
        panic!("#{id} never showed {part} ({e}); it shows: {shown}");
    }
}

pub(crate) async fn network(c: &Client, offline: bool) {
    let enable = Cdp {
        cmd: "Network.enable",
        params: json!({}),
    };
    c.issue_cmd(enable).await.unwrap();
    let cmd = Cdp {
        cmd: "Network.emulateNetworkConditions",
        params: json!({"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}),
    };
    c.issue_cmd(cmd).await.unwrap();
}

#[tokio::test]
async fn a_grid_worker_walks_a_patrol_through_a_dropped_signal_and_reports_a_finding() {
    let app = TestApp::demo_on_wall_clock().await;
    let token = app.token("wg0101").await;
    let (lon, lat) = crate::api_cases::point_in_own_grid(&app, &token).await;
    let d = driver().await;
    let c = browser(&d, 375, 812).await;
    login(&c, &app, "wg0101").await;
    place_phone(&c, &app.base, lon, lat).await;
    c.goto(&format!("{}/patrol", app.base)).await.unwrap();
    c.find(Locator::Css("#patrol-start button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "gps-status", "已上传 1 个").await;

    // The signal drops: the next position waits on the phone, then goes up when it is back.
    network(&c, true).await;
    // Five metres in three seconds: a walking pace.
    tokio::time::sleep(Duration::from_secs(3)).await;
    place_phone(&c, &app.base, lon, lat + 0.00005).await;
    wait_text(&c, "gps-status", "已在手机上暂存 1 个").await;
    shot(&c, "patrol-offline-375").await;
    network(&c, false).await;
    wait_text(&c, "gps-status", "已上传 2 个").await;
    wait_text(&c, "patrol-points", "2").await;

    // A finding, noted where the worker stands, then reported as a case in one step.
    fill(
        &c,
        "#note-form textarea[name=text]",
        "5栋楼道堆放纸箱，堵塞消防通道",
    )
    .await;
    c.find(Locator::Css("#note-form input[name=finding]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#note-form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let report = c
        .wait()
        .for_element(Locator::Css(".report-finding select"))
        .await
        .unwrap();
    report.select_by_value("0201").await.unwrap();
    c.find(Locator::Css(".report-finding button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "notes", "已上报为事件").await;
    fits(&c, 375).await;
    shot(&c, "patrol-recording-375").await;

    fill(
        &c,
        "#end-form textarea",
        "巡查 3、5 栋，发现问题 1 件已上报",
    )
    .await;
    c.find(Locator::Css("#end-form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The walk took minutes of the test's clock, not 20: the page says it will not count for
    // the day, keeps the summary, and ends the patrol when confirmed.
    wait_text(&c, "end-warning", "不计入一日双巡").await;
    fits(&c, 375).await;
    shot(&c, "patrol-end-confirm-375").await;
    c.find(Locator::Css("#end-confirm button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "patrol-summary", "发现问题 1 件").await;
    assert!(c.find(Locator::Css("svg.track path.route")).await.is_ok());
    assert!(
        c.find(Locator::Id("recorder")).await.is_err(),
        "ended: no recorder"
    );
    shot(&c, "patrol-ended-375").await;

    // The community sees the grid's day: one patrol of the two.
    c.delete_all_cookies().await.unwrap();
    login(&c, &app, "sq01").await;
    c.goto(&format!("{}/patrols", app.base)).await.unwrap();
    let today = c
        .find(Locator::Css(
            "#coverage tr[data-grid='450802001001001'] td:nth-last-child(2)",
        ))
        .await
        .unwrap();
    assert_eq!(
        today.attr("class").await.unwrap().as_deref(),
        Some("open"),
        "today is not over: not missed yet"
    );
    assert_eq!(
        today.text().await.unwrap(),
        "0/2",
        "a one-minute walk does not count"
    );
    shot(&c, "patrol-coverage-375").await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn the_command_centre_reads_the_dashboard_on_a_wall_screen_and_a_phone() {
    let app = TestApp::demo_with_history().await;
    let centre = app.token("zhzx").await;
    let d = driver().await;
    let c = browser(&d, 1920, 1080).await;
    login(&c, &app, "zhzx").await;
    c.goto(&format!("{}/dashboard", app.base)).await.unwrap();
    c.wait().for_element(Locator::Id("tiles")).await.unwrap();
    let (_, api) = app.get("/api/v1/dashboard?node=450802", &centre).await;
    let received = api["cases"]["received"].as_i64().unwrap().to_string();
    assert!(text(&c, "t-received").await.contains(&received));
    assert!(
        c.find(Locator::Css("svg.chart polyline.received"))
            .await
            .is_ok()
    );
    // The whole board fits the wall screen: nothing scrolls sideways, and the figures, map,
    // trend, overdue list and live feed are all in view without scrolling.
    fits(&c, 1920).await;
    // The wall refreshes itself every five minutes (by script, never while someone uses it).
    let refresh = c
        .execute(
            "return document.querySelector('[data-refresh]').getAttribute('data-refresh');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(refresh, json!("300"));
    shot(&c, "dashboard-1920").await;
    let below = c
        .execute(
            "const h = window.innerHeight; return ['.tiles', '.board-map', '.board-trend', '.board-overdue', '.board-feed']\
             .filter(s => document.querySelector(s).getBoundingClientRect().bottom > h + 1);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(below, json!([]), "in view on the wall screen");
    assert!(text(&c, "legend").await.contains("颜色越深"));
    // The overdue list, longest overdue first, and the feed's last events on load.
    let late: Vec<i64> = text(&c, "overdue")
        .await
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("超期 ")?;
            let (n, unit) = rest.split_once(' ')?;
            let n: i64 = n.parse().ok()?;
            let per = match unit.chars().next()? {
                '天' => 1440,
                '小' => 60,
                _ => 1,
            };
            Some(n * per)
        })
        .collect();
    assert!(late.len() >= 3, "the demo has overdue cases: {late:?}");
    assert!(
        late.windows(2).all(|w| w[0] >= w[1]),
        "oldest first: {late:?}"
    );
    assert!(
        !c.find_all(Locator::Css("#feed li a"))
            .await
            .unwrap()
            .is_empty(),
        "the feed shows the last events before anything happens"
    );

    // A report comes in while the board is open: it appears in the live feed.
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.post("/api/v1/cases", &app.token("wg0101").await, json!({"category": "03", "title": "大屏实时动态测试", "description": "垃圾满溢", "node_code": "450802001001001"}))
        .await;
    wait_text(&c, "feed", "大屏实时动态测试").await;

    // Drill down on the map: the street, with its own figures; recolour by overdue share.
    c.execute("document.querySelector('svg.map a[href^=\"/dashboard?node=450802001&\"] path').dispatchEvent(new MouseEvent('click', {bubbles: true}))", vec![])
        .await
        .unwrap();
    wait_text(&c, "board-name", "贵城街道").await;
    let (_, street) = app.get("/api/v1/dashboard?node=450802001", &centre).await;
    let open = street["open_now"].as_i64().unwrap().to_string();
    assert!(text(&c, "t-open").await.contains(&open));
    c.find(Locator::Id("recolor"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "recolor", "在办事件").await;

    // Last month's assessment of the street's grid workers, from the demo's history.
    c.goto(&format!("{}/assessment?node=450802001", app.base))
        .await
        .unwrap();
    let rows = c
        .find_all(Locator::Css("#ranking tbody tr[data-account]"))
        .await
        .unwrap();
    assert!(
        rows.len() >= 20,
        "every grid worker of the street: {}",
        rows.len()
    );
    let units = c.find_all(Locator::Css("#units tbody tr")).await.unwrap();
    assert!(
        units.len() >= 3,
        "the street's communities: {}",
        units.len()
    );
    c.find(Locator::Css("#weights form input[name=patrol]"))
        .await
        .expect("the command centre edits the weights");
    shot(&c, "assessment-1920").await;
    c.close().await.unwrap();

    let c = browser(&d, 375, 812).await;
    login(&c, &app, "sq01").await;
    c.goto(&format!("{}/dashboard", app.base)).await.unwrap();
    wait_text(&c, "board-name", "东湖社区").await;
    fits(&c, 375).await;
    shot(&c, "dashboard-375").await;
    c.close().await.unwrap();
}

/// Clicks the submit button of the form `css` selects and waits for the next page (a new
/// document, not the one still unloading) to show `id`.
/// Whether the checkbox or radio button `css` is checked.
async fn checked(c: &Client, css: &str) -> bool {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .prop("checked")
        .await
        .unwrap()
        .as_deref()
        == Some("true")
}

async fn submit(c: &Client, css: &str, id: &str) {
    c.execute("window.__szOld = true;", vec![]).await.unwrap();
    c.find(Locator::Css(&format!("{css} button[type=submit]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for _ in 0..200 {
        let fresh = c
            .execute(
                "return window.__szOld === undefined && document.readyState === 'complete';",
                vec![],
            )
            .await
            .unwrap();
        if fresh.as_bool() == Some(true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if let Err(e) = c.wait().for_element(Locator::Id(id)).await {
        let url = c
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        panic!("#{id} not on {url}: {e}");
    }
}

/// Asserts the page does not scroll sideways in a window `width` pixels wide.
async fn fits(c: &Client, width: u64) {
    let scroll = c
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await
        .unwrap();
    assert!(
        scroll.as_u64().unwrap() <= width,
        "no sideways scrolling: {scroll}"
    );
}

#[tokio::test]
async fn a_wish_goes_from_a_residents_phone_to_a_member_who_spends_the_points() {
    let app = TestApp::demo().await;
    let officer = app.token("sq01").await;
    let d = driver().await;
    let phone = browser(&d, 375, 812).await;

    // 群众点单: the resident scans the poster's wish code and posts without an account.
    phone
        .goto(&format!("{}/w/450802001001001", app.base))
        .await
        .unwrap();
    phone
        .find(Locator::Css("select[name=category]"))
        .await
        .unwrap()
        .select_by_value("elderly")
        .await
        .unwrap();
    fill(&phone, "input[name=title]", "帮忙更换厨房灯泡").await;
    fill(&phone, "input[name=name]", "李阿姨").await;
    fill(&phone, "input[name=phone]", "13977580011").await;
    shot(&phone, "wish-new-375").await;
    fits(&phone, 375).await;
    submit(&phone, "#wish", "tracking").await;
    let code = text(&phone, "tracking").await;
    assert_eq!(text(&phone, "stage").await, "待审核");
    let (_, w) = app
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/public/wishes/{code}"),
            None,
            None,
        )
        .await;
    let id = w["wish"]["id"].as_i64().unwrap();

    // 社区派单 at the community's desk.
    let desk = browser(&d, 1280, 900).await;
    login(&desk, &app, "sq01").await;
    desk.goto(&format!("{}/participation", app.base))
        .await
        .unwrap();
    submit(
        &desk,
        &format!("form[action='/participation/wishes/{id}']:first-of-type"),
        "wishes",
    )
    .await;
    assert!(text(&desk, "wishes").await.contains("待认领"));
    shot(&desk, "participation-desk").await;
    // A co-building unit signs up at the desk and lists a resource.
    fill(&desk, "#add-unit input[name=name]", "贵港市人民医院党委").await;
    fill(&desk, "#add-unit input[name=contact]", "陈医生").await;
    fill(&desk, "#add-unit input[name=phone]", "13877519999").await;
    fill(
        &desk,
        "#add-unit input[name=commitment]",
        "每月一次上门义诊",
    )
    .await;
    submit(&desk, "#add-unit", "notice").await;
    let unit = desk
        .find(Locator::Css("section[id^=unit-] form"))
        .await
        .unwrap();
    unit.find(Locator::Css("input[name=title]"))
        .await
        .unwrap()
        .send_keys("每月义诊 1 次")
        .await
        .unwrap();
    unit.find(Locator::Css("button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    desk.wait()
        .for_element(Locator::XPath(
            "//section[starts-with(@id, 'unit-')]//li[contains(., '每月义诊')]",
        ))
        .await
        .unwrap();
    assert!(
        text(&desk, "wishes")
            .await
            .contains("可对接：贵港市人民医院党委：每月义诊 1 次"),
        "the open wish is matched to the unit's resource of its category"
    );

    // 党员接单: the community's volunteer registers (双报到) and is confirmed, then claims
    // and completes the wish on the phone.
    let member = browser(&d, 375, 812).await;
    login(&member, &app, "zy01").await;
    member.goto(&format!("{}/me", app.base)).await.unwrap();
    fill(&member, "#register input[name=name]", "黄立新").await;
    fill(&member, "#register input[name=phone]", "13877512345").await;
    fill(&member, "#register input[name=employer]", "港北区财政局").await;
    fill(
        &member,
        "#register input[name=commitment]",
        "每月参加一次社区志愿服务",
    )
    .await;
    submit(&member, "#register", "pending-notice").await;
    let (_, pending) = app
        .get(
            "/api/v1/members?node=450802001001&standing=pending",
            &officer,
        )
        .await;
    let mid = pending[0]["id"].as_i64().unwrap();
    desk.goto(&format!("{}/participation", app.base))
        .await
        .unwrap();
    submit(
        &desk,
        &format!("form[action='/participation/members/{mid}']:first-of-type"),
        "pending",
    )
    .await;
    member.goto(&format!("{}/me", app.base)).await.unwrap();
    submit(
        &member,
        &format!("#open-wishes form[action='/me/wishes/{id}']"),
        "balance",
    )
    .await;
    fill(
        &member,
        &format!("#mine-{id} input[name=note]"),
        "已上门更换为 LED 灯泡",
    )
    .await;
    shot(&member, "member-claimed-375").await;
    submit(&member, &format!("#mine-{id} form[enctype]"), "balance").await;

    // The resident confirms on the tracking page: the reward is credited.
    phone
        .goto(&format!("{}/wt/{code}", app.base))
        .await
        .unwrap();
    assert_eq!(text(&phone, "stage").await, "待确认");
    submit(&phone, "#confirm", "stage").await;
    assert_eq!(text(&phone, "stage").await, "已圆梦");
    shot(&phone, "wish-confirmed-375").await;

    // The member spends the points in the 爱心超市.
    let (s, _) = app
        .post(
            "/api/v1/shop/items",
            &officer,
            json!({"community": "450802001001", "name": "毛巾", "price": 15, "stock": 3}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED);
    member.goto(&format!("{}/me", app.base)).await.unwrap();
    assert!(
        text(&member, "balance").await.contains("20"),
        "the wish paid its 20 points"
    );
    submit(&member, "#shop form", "balance").await;
    assert!(text(&member, "balance").await.contains('5'));
    shot(&member, "member-redeemed-375").await;
    fits(&member, 375).await;
    for c in [phone, desk, member] {
        c.close().await.unwrap();
    }
}

#[tokio::test]
async fn a_resident_answers_a_survey_on_the_phone_and_the_community_sees_it_live() {
    let app = TestApp::demo().await;
    let officer = app.token("sq01").await;
    let closes = shanzhi_domain::case::Day::of(app.now_ms() + 7 * 86_400_000).to_string();
    let (s, sv) = app
        .post(
            "/api/v1/surveys",
            &officer,
            json!({"node": "450802001001", "title": "加装电梯意见征集", "mode": "phone", "closes": closes,
                   "questions": [
                     {"kind": "single", "title": "您支持本栋加装电梯吗？", "options": ["支持", "不支持"], "required": true},
                     {"kind": "multiple", "title": "您关心哪些问题？", "options": ["费用分摊", "采光", "噪音"]},
                     {"kind": "rating", "title": "对目前出行便利程度打分", "required": true}]}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{sv}");
    let id = sv["survey"]["id"].as_i64().unwrap();
    let d = driver().await;
    let phone = browser(&d, 375, 812).await;
    phone.goto(&format!("{}/s/{id}", app.base)).await.unwrap();
    let choose = async |picks: &[&str]| {
        for css in picks {
            phone
                .find(Locator::Css(css))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
    };
    let first = [
        "#q0 input[value='0']",
        "#q1 input[name=q1_0]",
        "#q1 input[name=q1_2]",
        "#q2 input[value='4']",
    ];
    choose(&first).await;
    fill(&phone, "#answer input[name=phone]", "13977581234").await;
    submit(&phone, "#answer", "notice").await;
    let code_of = |text: String| text.split("验证码 ").nth(1).unwrap()[..6].to_owned();
    let code = code_of(app.sms.last_to("13977581234").expect("code sent"));
    // The code came back on the same page, the answers as chosen, the phone not in the address.
    for css in first {
        assert!(checked(&phone, css).await, "{css} kept");
    }
    assert!(
        !phone
            .current_url()
            .await
            .unwrap()
            .as_str()
            .contains("1397758")
    );
    fill(&phone, "#answer input[name=code]", "000000").await;
    submit(&phone, "#answer", "error").await;
    assert!(text(&phone, "error").await.contains("您填写的答案都还在"));
    for css in first {
        assert!(checked(&phone, css).await, "{css} kept after a wrong code");
    }
    // The wrong code is kept as typed: clear it first.
    phone
        .find(Locator::Css("#answer input[name=code]"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    fill(&phone, "#answer input[name=code]", &code).await;
    shot(&phone, "survey-answer-375").await;
    fits(&phone, 375).await;
    submit(&phone, "#answer", "notice").await;
    assert!(text(&phone, "notice").await.contains("感谢"));
    assert!(
        phone.find(Locator::Id("answer")).await.is_err(),
        "answered: the thanks, not the empty form again"
    );
    // The same phone cannot answer twice, even with a fresh code.
    phone.goto(&format!("{}/s/{id}", app.base)).await.unwrap();
    choose(&["#q0 input[value='1']", "#q2 input[value='2']"]).await;
    fill(&phone, "#answer input[name=phone]", "13977581234").await;
    submit(&phone, "#answer", "notice").await;
    let again = code_of(app.sms.last_to("13977581234").expect("code sent"));
    fill(&phone, "#answer input[name=code]", &again).await;
    submit(&phone, "#answer", "error").await;
    assert!(text(&phone, "error").await.contains("已经答过"));

    let desk = browser(&d, 1280, 900).await;
    login(&desk, &app, "sq01").await;
    desk.goto(&format!("{}/surveys/{id}", app.base))
        .await
        .unwrap();
    assert_eq!(text(&desk, "responses").await, "1");
    let bars = desk
        .execute(
            "return document.querySelectorAll('svg.bars rect').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        bars.as_u64(),
        Some(2 + 3 + 5),
        "one bar per option and star"
    );
    shot(&desk, "survey-results").await;
    for c in [phone, desk] {
        c.close().await.unwrap();
    }
}

#[tokio::test]
async fn a_resident_proposes_a_topic_on_the_phone_and_the_community_carries_it_to_done() {
    let app = TestApp::demo().await;
    let d = driver().await;
    let phone = browser(&d, 375, 812).await;
    phone
        .goto(&format!("{}/p/450802001001", app.base))
        .await
        .unwrap();
    fill(&phone, "#propose input[name=title]", "小区北门加装路灯").await;
    fill(
        &phone,
        "#propose textarea[name=detail]",
        "北门晚上很黑，老人出行不便",
    )
    .await;
    fill(&phone, "#propose input[name=name]", "韦大爷").await;
    fill(&phone, "#propose input[name=phone]", "13977580031").await;
    shot(&phone, "topic-propose-375").await;
    fits(&phone, 375).await;
    submit(&phone, "#propose", "notice").await;
    let url = phone.current_url().await.unwrap();
    let id: i64 = url.path().trim_start_matches("/pt/").parse().unwrap();
    assert_eq!(text(&phone, "stage").await, "待受理");

    let desk = browser(&d, 1280, 900).await;
    login(&desk, &app, "sq01").await;
    desk.goto(&format!("{}/topics/{id}", app.base))
        .await
        .unwrap();
    submit(&desk, "#accept", "notice").await;
    assert_eq!(text(&desk, "stage").await, "协商中");
    fill(&desk, "#meeting input[name=place]", "北门口").await;
    fill(
        &desk,
        "#meeting textarea[name=participants]",
        "黄春萍 居委会\n韦大爷 居民\n李经理 物业",
    )
    .await;
    submit(&desk, "#meeting", "notice").await;
    fill(
        &desk,
        "#resolve textarea[name=text]",
        "物业出资在北门加装两盏路灯",
    )
    .await;
    fill(
        &desk,
        "#resolve textarea[name=suggestions]",
        "采纳|北门加装两盏太阳能路灯|港城物业",
    )
    .await;
    submit(&desk, "#resolve", "notice").await;
    assert_eq!(text(&desk, "stage").await, "落实中");
    let form = desk
        .find(Locator::Css("form[id^=progress-]"))
        .await
        .unwrap();
    let fid = form.attr("id").await.unwrap().unwrap();
    fill(
        &desk,
        &format!("#{fid} input[name=evidence]"),
        "两盏路灯已安装并通电",
    )
    .await;
    submit(&desk, &format!("#{fid}"), "notice").await;
    assert_eq!(text(&desk, "stage").await, "已办结");
    shot(&desk, "topic-done").await;

    phone.goto(&format!("{}/pt/{id}", app.base)).await.unwrap();
    assert_eq!(text(&phone, "stage").await, "已办结");
    assert!(
        text(&phone, "timeline").await.contains("短信通知"),
        "the proposer was texted"
    );
    shot(&phone, "topic-done-375").await;
    for c in [phone, desk] {
        c.close().await.unwrap();
    }
}

#[tokio::test]
async fn the_security_administrator_sets_a_duty_and_the_department_finds_its_people_on_a_phone() {
    let app = TestApp::demo_with_registers().await;
    let d = driver().await;

    // The login page says what each demo account may do.
    let phone = browser(&d, 375, 812).await;
    phone.goto(&format!("{}/login", app.base)).await.unwrap();
    shot(&phone, "login-375").await;
    fits(&phone, 375).await;

    // 安全管理员: 严重精神障碍 becomes 民政's duty too.
    login(&phone, &app, "aq01").await;
    assert!(
        phone
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/admin/policy")
    );
    let duty = "#duty-mental_illness form";
    phone
        .find(Locator::Css(&format!("{duty} input[name=departments]")))
        .await
        .unwrap()
        .send_keys("、民政")
        .await
        .unwrap();
    shot(&phone, "policy-375").await;
    fits(&phone, 375).await;
    submit(&phone, duty, "duties").await;
    assert!(
        phone
            .source()
            .await
            .unwrap()
            .contains("已保存“严重精神障碍”的职责"),
        "the change is confirmed"
    );
    phone.close().await.unwrap();

    // 民政 finds the people its duty covers, now including the new tag.
    let civil = browser(&d, 375, 812).await;
    login(&civil, &app, "mz01").await;
    civil.goto(&format!("{}/people", app.base)).await.unwrap();
    civil
        .find(Locator::Css("#people-search select[name=tag]"))
        .await
        .unwrap()
        .select_by_value("mental_illness")
        .await
        .unwrap();
    submit(&civil, "#people-search", "people").await;
    let rows = civil
        .find_all(Locator::Css("#people tbody tr td a"))
        .await
        .unwrap();
    assert!(!rows.is_empty(), "民政 now lists 严重精神障碍");
    shot(&civil, "people-375").await;
    fits(&civil, 375).await;
    civil.close().await.unwrap();
}

/// On a phone, a community officer finds the staff register's sheet tools (template, export,
/// import) and opens a 12345 order graded 特急 with its call time as the report time.
#[tokio::test]
async fn a_community_officer_keeps_the_staff_sheet_and_reads_an_urgent_order_on_a_phone() {
    let app = TestApp::demo().await;
    let centre = app.token("zhzx").await;
    let minute = 60_000;
    let called = (app.now_ms() - 90 * minute) / minute * minute;
    let csv = format!(
        "工单编号,来电时间,诉求人,联系电话,诉求内容,诉求类型,紧急程度,网格编码\n\
         GK202612060001,{},黄先生,13877510001,东湖小区5栋楼道堆放杂物堵住消防通道,环境卫生,特急,450802001001001\n",
        shanzhi_domain::case::beijing_minutes(called)
    );
    let r = app
        .client
        .post(format!("{}/api/v1/hotline/import", app.base))
        .bearer_auth(&centre)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let report: serde_json::Value = r.json().await.unwrap();
    let id = report["case_ids"][0].as_i64().expect("imported");

    let d = driver().await;
    let phone = browser(&d, 375, 812).await;
    login(&phone, &app, "sq01").await;
    phone
        .goto(&format!("{}/registers/450802001001?tab=staff", app.base))
        .await
        .unwrap();
    let sheet = phone
        .find(Locator::Css("#import input[name=register]"))
        .await
        .unwrap();
    assert_eq!(sheet.attr("value").await.unwrap().as_deref(), Some("staff"));
    let page = phone.source().await.unwrap();
    assert!(page.contains("/export/staff") && page.contains("/template/staff"));
    shot(&phone, "staff-register-375").await;
    fits(&phone, 375).await;

    phone
        .goto(&format!("{}/cases/{id}", app.base))
        .await
        .unwrap();
    assert_eq!(text(&phone, "case-urgency").await, "特急");
    let page = phone.source().await.unwrap();
    assert!(page.contains(&shanzhi_domain::case::beijing_minutes(called)));
    shot(&phone, "urgent-order-375").await;
    fits(&phone, 375).await;
    phone.close().await.unwrap();
}

/// On a phone, a community officer sends the month's residents sheet as a refresh, reads what
/// it changes (field by field, on a 375-px screen) and confirms it without choosing the file
/// again.
#[tokio::test]
async fn a_community_officer_refreshes_the_residents_register_from_a_phone() {
    let app = TestApp::demo().await;
    let sq = app.token("sq01").await;
    let (s, b) = crate::registers::import(
        &app,
        &sq,
        "residents",
        "居民.csv",
        crate::refresh::first_sheet(),
        "",
    )
    .await;
    assert!(s.is_success(), "{b}");
    let file = std::env::temp_dir().join(format!("refresh-{}.csv", std::process::id()));
    std::fs::write(&file, crate::refresh::refreshed_sheet()).unwrap();

    let d = driver().await;
    let phone = browser(&d, 375, 812).await;
    login(&phone, &app, "sq01").await;
    phone
        .goto(&format!(
            "{}/registers/450802001001001?tab=residents",
            app.base
        ))
        .await
        .unwrap();
    phone
        .find(Locator::Css("#import input[type=file]"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    phone
        .find(Locator::Css("#import input[name=update]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(&phone, "#import", "changes-summary").await;
    let summary = text(&phone, "changes-summary").await;
    assert!(
        summary.contains("修改 1") && summary.contains("迁移 2"),
        "{summary}"
    );
    let page = phone.source().await.unwrap();
    assert!(page.contains("139****8888") && page.contains("尚未写入"));
    shot(&phone, "refresh-preview-375").await;
    fits(&phone, 375).await;
    submit(&phone, "#confirm", "import-result").await;
    for _ in 0..100 {
        if text(&phone, "import-result").await.contains("已导入") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        phone.refresh().await.unwrap();
    }
    let done = text(&phone, "import-result").await;
    assert!(done.contains("已导入 4 条"), "{done}");
    shot(&phone, "refresh-done-375").await;
    phone.close().await.unwrap();
    let _ = std::fs::remove_file(&file);
}

/// The command centre opens a community's boundaries page on a phone: the coverage check, the
/// map, the export links and the import form fit a 375-px screen.
#[tokio::test]
async fn the_command_centre_reads_a_communitys_boundaries_on_a_phone() {
    let app = TestApp::demo().await;
    let d = driver().await;
    let phone = browser(&d, 375, 812).await;
    login(&phone, &app, "zhzx").await;
    phone
        .goto(&format!("{}/regions/450802001001/boundaries", app.base))
        .await
        .unwrap();
    phone
        .wait()
        .for_element(Locator::Id("boundary-import"))
        .await
        .unwrap();
    let page = phone.source().await.unwrap();
    assert!(page.contains("覆盖检查") && page.contains("export-geojson"));
    shot(&phone, "boundaries-375").await;
    fits(&phone, 375).await;
    phone.close().await.unwrap();
}

#[tokio::test]
async fn a_grid_worker_starts_the_day_on_the_todo_list_on_a_phone() {
    let app = TestApp::demo().await;
    let (worker, leader) = (app.token("wg0101").await, app.token("wgz01").await);
    let (_, case) = app
        .post("/api/v1/cases", &worker, json!({"category": "03", "title": "楼道堆放杂物", "description": "3栋楼道堆放杂物", "node_code": "450802001001001"}))
        .await;
    let id = case["id"].as_i64().unwrap();
    crate::common::step(&app, &leader, id, json!({"action": "accept"})).await;
    crate::common::step(
        &app,
        &leader,
        id,
        json!({"action": "dispatch", "to": "grid"}),
    )
    .await;
    let d = driver().await;
    let c = browser(&d, 375, 812).await;
    login(&c, &app, "wg0101").await;
    let url = c.current_url().await.unwrap();
    assert!(url.path().ends_with("/todo"), "lands on 我的待办: {url}");
    let waiting = text(&c, "todo-dispatched").await;
    assert!(
        waiting.contains("待签收") && waiting.contains("楼道堆放杂物"),
        "{waiting}"
    );
    let light = c
        .find(Locator::Css("#todo-dispatched .light"))
        .await
        .unwrap();
    assert!(
        light.is_displayed().await.unwrap(),
        "deadline lights on the phone"
    );
    assert!(text(&c, "todo-patrol").await.contains("今日巡查"));
    fits(&c, 375).await;
    shot(&c, "todo-phone").await;
    c.find(Locator::LinkText("楼道堆放杂物"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("input[name=action][value=start]"))
        .await
        .unwrap();
    c.close().await.unwrap();
}

/// A photo of `width`×`height` that does not compress (noise), so it is as large as a phone's.
fn noisy_png(width: u32, height: u32) -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let img = image::RgbImage::from_fn(width, height, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let [r, g, b, _] = seed.to_le_bytes();
        image::Rgb([r, g, b])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Opens the grid's report page and fills in a 环境卫生 report saying `what`.
async fn resident_report(c: &Client, app: &TestApp, what: &str) {
    c.goto(&format!("{}/r/450802001001002", app.base))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("select[name=category]"))
        .await
        .unwrap()
        .select_by_value("03")
        .await
        .unwrap();
    fill(c, "textarea[name=description]", what).await;
}

#[tokio::test]
async fn a_resident_who_cannot_type_records_a_voice_note_and_the_officer_hears_it() {
    let app = TestApp::demo().await;
    let officer = app.token("sq01").await;
    let worker = json!({"name": "覃海燕", "role": "专职网格员", "phone": "13907751111",
                        "phone_public": true, "grids": ["450802001001002"]});
    let (s, body) = app.post("/api/v1/staff", &officer, worker).await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{body}");
    let d = driver().await;
    let c = browser(&d, 375, 812).await;
    resident_report(&c, &app, "").await;
    // The number to call is on the page too, for those who would rather talk to someone.
    let call = c
        .find(Locator::Css(".contacts a.tel"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(call, "tel:13907751111");
    let record = c.wait().for_element(Locator::Id("record")).await.unwrap();
    record.click().await.unwrap();
    wait_text(&c, "record-state", "正在录音").await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    record.click().await.unwrap();
    wait_text(&c, "record-state", "已录好").await;
    shot(&c, "voice-recorded-375").await;
    c.find(Locator::Css("#report button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("tracking")).await.unwrap();
    let tracking = text(&c, "tracking").await;
    // The code can be copied in one press, to keep it in a chat or a note.
    let copy = c.find(Locator::Css("button[data-copy]")).await.unwrap();
    assert!(copy.is_displayed().await.unwrap());
    copy.click().await.unwrap();
    wait_text_css(&c, "button[data-copy]", "已复制").await;
    c.close().await.unwrap();

    // The case says in words that it is a voice note, and the officer can play it.
    let case = crate::pages_public::listed_report(&app, &officer, &tracking).await;
    let id = case["id"].as_i64().unwrap();
    let staff = crate::pages::logged_in(&app, "sq01").await.0;
    let (_, page) = crate::common::fetch(&app, &staff, &format!("/cases/{id}")).await;
    assert!(page.contains("居民语音反映"), "{page}");
    let src = page
        .split("<source src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("an audio player")
        .to_owned();
    assert!(
        page.contains("type=\"audio/webm\""),
        "Chromium records WebM"
    );
    let audio = staff
        .get(format!("{}{src}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(audio.headers()["content-type"], "audio/webm");
    let bytes = audio.bytes().await.unwrap();
    assert!(bytes.len() > 2_000, "{} bytes for 2.5 s", bytes.len());
    assert_eq!(&bytes[..4], &[0x1A, 0x45, 0xDF, 0xA3]);
}

#[tokio::test]
async fn a_report_kept_open_past_its_form_token_goes_through_with_its_photo_on_a_second_press() {
    let app = TestApp::demo().await;
    let d = driver().await;
    let c = browser(&d, 375, 812).await;
    resident_report(&c, &app, "小区东门的垃圾桶倒了").await;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("垃圾桶.png");
    std::fs::write(&photo, noisy_png(200, 200)).unwrap();
    fill(&c, "input[name=photos]", photo.to_str().unwrap()).await;
    // The browser was closed and the tab restored: the form's cookie is gone.
    c.delete_cookie("sz_csrf").await.unwrap();
    c.find(Locator::Css("#report button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "form-fix", "请再点一次提交").await;
    shot(&c, "stale-token-375").await;
    let kept: i64 = c
        .execute(
            "return document.querySelector('input[name=photos]').files.length",
            vec![],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    assert_eq!(kept, 1, "the photo is still chosen");
    c.find(Locator::Css("#report button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("tracking")).await.unwrap();
    let tracking = text(&c, "tracking").await;
    c.close().await.unwrap();
    let officer = app.token("sq01").await;
    let case = crate::pages_public::listed_report(&app, &officer, &tracking).await;
    let (_, photos) = app
        .get(&format!("/api/v1/cases/{}/photos", case["id"]), &officer)
        .await;
    assert_eq!(
        photos.as_array().map(Vec::len),
        Some(1),
        "sent with its photo"
    );
}

#[tokio::test]
async fn in_the_elders_mode_the_report_asks_one_thing_per_screen() {
    let app = TestApp::demo().await;
    let d = driver().await;
    let c = browser(&d, 375, 812).await;
    c.goto(&format!(
        "{}/mode?elder=1&back=/r/450802001001002",
        app.base
    ))
    .await
    .unwrap();
    wait_text_css(&c, ".steps-where", "第 1 步").await;
    let shown = |css: &'static str| {
        let c = &c;
        async move {
            c.find(Locator::Css(css))
                .await
                .unwrap()
                .is_displayed()
                .await
                .unwrap()
        }
    };
    assert!(shown("select[name=category]").await);
    assert!(
        !shown("textarea[name=description]").await,
        "one thing at a time"
    );
    assert!(!shown("#report button[type=submit]").await);
    let next = c.find(Locator::Css("[data-next]")).await.unwrap();
    // Nothing chosen yet: the step says so and stays.
    next.click().await.unwrap();
    assert!(text_of(&c, ".steps-where").await.contains("第 1 步"));
    c.find(Locator::Css("select[name=category]"))
        .await
        .unwrap()
        .select_by_value("03")
        .await
        .unwrap();
    next.click().await.unwrap();
    wait_text_css(&c, ".steps-where", "第 2 步").await;
    fill(
        &c,
        "textarea[name=description]",
        "楼下的垃圾桶满了三天没人清",
    )
    .await;
    shot(&c, "elder-steps-375").await;
    let total: usize = text_of(&c, ".steps-where")
        .await
        .split("共 ")
        .nth(1)
        .and_then(|t| t.trim_end_matches(" 步").parse().ok())
        .expect("the number of steps");
    assert!(total >= 6, "{total} steps");
    for _ in 2..total {
        next.click().await.unwrap();
    }
    wait_text_css(&c, ".steps-where", &format!("第 {total} 步")).await;
    assert!(!next.is_displayed().await.unwrap());
    c.find(Locator::Css("#report button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("tracking")).await.unwrap();
    c.close().await.unwrap();
}

/// The text of the first element `css` selects.
async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_resident_sees_a_photo_upload_progress_on_a_slow_phone_network() {
    let app = TestApp::demo().await;
    let d = driver().await;
    let c = browser(&d, 375, 812).await;
    resident_report(&c, &app, "垃圾站旁边的污水漫到路上").await;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("污水.png");
    let png = noisy_png(700, 700);
    assert!(png.len() > 1_000_000, "{}", png.len());
    std::fs::write(&photo, png).unwrap();
    fill(&c, "input[name=photos]", photo.to_str().unwrap()).await;
    // About 2 Mbit/s up, as a phone at the edge of a cell gets.
    c.issue_cmd(Cdp {
        cmd: "Network.enable",
        params: json!({}),
    })
    .await
    .unwrap();
    c.issue_cmd(Cdp {
        cmd: "Network.emulateNetworkConditions",
        params: json!({"offline": false, "latency": 50, "downloadThroughput": -1, "uploadThroughput": 250_000}),
    })
    .await
    .unwrap();
    c.find(Locator::Css("#report button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text_css(&c, ".upload-progress", "正在上传").await;
    shot(&c, "upload-progress-375").await;
    c.wait().for_element(Locator::Id("tracking")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/t/"));
    c.close().await.unwrap();
}

/// Waits until the first element `css` selects shows text containing `part`.
async fn wait_text_css(c: &Client, css: &str, part: &str) {
    for _ in 0..100 {
        if let Ok(e) = c.find(Locator::Css(css)).await
            && e.text().await.is_ok_and(|t| t.contains(part))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css} never showed {part}");
}

#[tokio::test]
async fn a_grids_poster_prints_on_one_a4_page_with_every_public_entry() {
    let app = TestApp::demo().await;
    let d = driver().await;
    let c = browser(&d, 375, 812).await;
    login(&c, &app, "sq01").await;
    c.goto(&format!("{}/regions/450802001001001/poster", app.base))
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("poster")).await.unwrap();
    let entries = text(&c, "entries").await;
    for entry in ["微心愿", "社情民意箱", "议事协商"] {
        assert!(entries.contains(entry), "{entry}: {entries}");
    }
    assert!(text(&c, "track").await.contains("/t"));
    fits(&c, 375).await;
    shot(&c, "poster-375").await;
    let printed = c
        .issue_cmd(Cdp {
            cmd: "Page.printToPDF",
            params: json!({"paperWidth": 8.27, "paperHeight": 11.69, "preferCSSPageSize": true, "printBackground": true}),
        })
        .await
        .unwrap();
    let pdf = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        printed["data"].as_str().unwrap(),
    )
    .unwrap();
    let pages = String::from_utf8_lossy(&pdf).matches("/Type /Page").count()
        - String::from_utf8_lossy(&pdf)
            .matches("/Type /Pages")
            .count();
    assert_eq!(pages, 1, "the poster fits one A4 sheet");
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_resident_points_at_the_map_on_a_phone_and_the_report_lands_there() {
    let app = TestApp::demo().await;
    let d = driver().await;
    let c = browser(&d, 375, 812).await;
    c.goto(&format!("{}/r/450802001001002", app.base))
        .await
        .unwrap();
    // A tap on the neighbouring grid puts the pin there and fills the position.
    c.wait()
        .for_element(Locator::Css("svg.pick path[data-code='450802001001001']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "here-status", "已在地图上标出位置").await;
    let picked = c
        .execute(
            "return [document.getElementById('lon').value, document.getElementById('lat').value, \
             document.querySelector('svg.pick .pin').getAttribute('visibility')];",
            vec![],
        )
        .await
        .unwrap();
    let picked = picked.as_array().unwrap();
    let lon: f64 = picked[0].as_str().unwrap().parse().unwrap();
    let lat: f64 = picked[1].as_str().unwrap().parse().unwrap();
    assert!(picked[2].is_null(), "the pin shows: {picked:?}");
    c.find(Locator::Css("select[name=category]"))
        .await
        .unwrap()
        .select_by_value("03")
        .await
        .unwrap();
    fill(&c, "textarea[name=description]", "1号楼门前垃圾桶满溢").await;
    shot(&c, "report-map-375").await;
    c.execute(
        "document.querySelector('svg.pick').scrollIntoView();",
        vec![],
    )
    .await
    .unwrap();
    shot(&c, "report-map-pin-375").await;
    fits(&c, 375).await;
    c.find(Locator::Css("#report button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("p.alert.ok"))
        .await
        .unwrap();
    c.close().await.unwrap();
    crate::pages_public::filed_at(&app, "1号楼门前垃圾桶满溢", "450802001001001", (lon, lat)).await;
}

/// The smallest text and the smallest target on the page as the browser lays it out: the
/// font size of visible text (tags and lights apart, map labels left out), of tags, and the
/// narrower side of every control, button, link in the page's body and check or radio row
/// (the row is the target), each with where it is.
async fn smallest(c: &Client) -> (f64, String, f64, f64, String) {
    let found = c
        .execute(
            r#"
const shown = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
const size = e => parseFloat(getComputedStyle(e).fontSize);
let text = 1e9, textAt = '', tag = 1e9, target = 1e9, targetAt = '';
const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walk.nextNode()) {
  const e = walk.currentNode.parentElement;
  if (!walk.currentNode.textContent.trim() || !shown(e) || e.closest('svg, script, .tag, .light')) continue;
  if (size(e) < text) { text = size(e); textAt = e.outerHTML.slice(0, 160); }
}
document.querySelectorAll('.tag, .light').forEach(e => { if (shown(e)) tag = Math.min(tag, size(e)); });
const targets = 'main a, button, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea, label:has(> input[type=checkbox]), label:has(> input[type=radio])';
document.querySelectorAll(targets).forEach(e => {
  if (!shown(e) || e.closest('svg')) return;
  const r = e.getBoundingClientRect(), side = Math.min(r.width, r.height);
  if (side < target) { target = side; targetAt = e.outerHTML.slice(0, 160); }
});
return [text, textAt, tag, target, targetAt];
"#,
            vec![],
        )
        .await
        .unwrap();
    let v = found.as_array().unwrap();
    let num = |i: usize| v[i].as_f64().unwrap();
    let text = |i: usize| v[i].as_str().unwrap().to_owned();
    (num(0), text(1), num(2), num(3), text(4))
}

#[tokio::test]
async fn resident_pages_meet_the_size_rules_and_the_elders_mode_is_larger_still() {
    let app = TestApp::demo().await;
    // A report to follow, filed through the page.
    let form = crate::pages::browser_client();
    let filed = crate::pages_public::submit(
        &app,
        &form,
        &[("category", "03"), ("description", "楼下垃圾桶满溢")],
    )
    .await;
    let track = filed.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let pages = [
        "/r/450802001001002".to_owned(),
        track,
        "/t".to_owned(),
        "/r/450802001001002/rate".to_owned(),
        "/w/450802001001002".to_owned(),
        "/o/450802001001".to_owned(),
        "/p/450802001001".to_owned(),
    ];
    let d = driver().await;
    let c = browser(&d, 375, 812).await;
    // (mode, smallest text, smallest tag, smallest target), in CSS pixels.
    for (elder, min_text, min_tag, min_target) in
        [(false, 16.0, 14.0, 44.0), (true, 18.0, 18.0, 60.0)]
    {
        for path in &pages {
            c.goto(&format!("{}{path}", app.base)).await.unwrap();
            let on = c
                .execute(
                    "return document.documentElement.classList.contains('elder');",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(on.as_bool(), Some(elder), "{path}");
            let (text, text_at, tag, target, target_at) = smallest(&c).await;
            assert!(text >= min_text, "{path}: text {text}px at {text_at}");
            assert!(tag >= min_tag, "{path}: tag {tag}px");
            assert!(
                target >= min_target,
                "{path}: target {target}px at {target_at}"
            );
            fits(&c, 375).await;
        }
        if !elder {
            // One switch, remembered on the device for every resident page after it.
            c.goto(&format!("{}{}", app.base, pages[0])).await.unwrap();
            c.find(Locator::Id("mode-switch"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            c.wait()
                .for_element(Locator::Css("html.elder #report"))
                .await
                .unwrap();
            shot(&c, "report-elder-375").await;
        }
    }
    c.goto(&format!("{}{}", app.base, pages[1])).await.unwrap();
    shot(&c, "track-elder-375").await;
    // And back.
    c.find(Locator::Id("mode-switch"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("html:not(.elder) #tracking"))
        .await
        .unwrap();
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_resident_fixes_a_refused_report_without_choosing_the_photo_again() {
    let app = TestApp::demo().await;
    let d = driver().await;
    let c = browser(&d, 375, 812).await;
    resident_report(&c, &app, "5栋门口污水外溢").await;
    fill(&c, "input[name=address]", "5栋东门").await;
    fill(&c, "input[name=phone]", "1397758").await;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("污水.png");
    std::fs::write(&photo, crate::common::photo_png(800, 600)).unwrap();
    fill(&c, "input[name=photos]", photo.to_str().unwrap()).await;
    c.find(Locator::Css("#report button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The server's message shows above the form, and everything chosen is still there.
    wait_text(&c, "form-fix", "手机").await;
    let kept = c
        .execute(
            "const f = document.getElementById('report'); \
             return [f.photos.files.length, f.description.value, f.address.value, f.phone.value];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(kept, json!([1, "5栋门口污水外溢", "5栋东门", "1397758"]));
    shot(&c, "report-fix-375").await;
    let phone = c.find(Locator::Css("input[name=phone]")).await.unwrap();
    phone.clear().await.unwrap();
    phone.send_keys("13977581234").await.unwrap();
    c.find(Locator::Css("#report button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("photos")).await.unwrap();
    let photos = c
        .execute(
            "return document.querySelectorAll('#photos img').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(photos, json!(1), "the photo went with the fixed report");
    c.close().await.unwrap();
}

/// The serious and critical WCAG 2.1 A/AA faults axe-core finds on the page open in `c`, as
/// "rule (impact) × nodes: where".
async fn axe_faults(c: &Client) -> Vec<String> {
    static AXE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let axe = AXE.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/tools-npm/node_modules/axe-core/axe.min.js"
        );
        std::fs::read_to_string(path).expect("axe-core installed by scripts/test-env")
    });
    c.execute(axe, vec![]).await.unwrap();
    let found = c
        .execute_async(
            r#"
const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
  .then(r => done(r.violations
    .filter(v => v.impact === 'critical' || v.impact === 'serious')
    .map(v => `${v.id} (${v.impact}) × ${v.nodes.length}: ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`)))
  .catch(e => done([String(e)]));
"#,
            vec![],
        )
        .await
        .unwrap();
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn resident_and_staff_pages_pass_axe_in_both_modes_on_phone_and_desktop() {
    let app = TestApp::demo().await;
    let form = crate::pages::browser_client();
    let filed = crate::pages_public::submit(
        &app,
        &form,
        &[("category", "03"), ("description", "楼下垃圾桶满溢")],
    )
    .await;
    let track = filed.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    // A warning over the community, with a household to call, so its pages are checked too.
    let (wg, sq) = (app.token("wg0102").await, app.token("sq01").await);
    let (s, h) = app
        .post(
            "/api/v1/households",
            &wg,
            json!({"grid": "450802001001002", "building": "金港花园5栋", "address": "港北区金港大道170号",
                   "unit": "1", "floor": 1, "room": "101",
                   "members": [{"name": "覃秀兰", "id_number": "45080219481212004X", "relation": "户主",
                                "status": "户籍", "phone": "13977510000", "tags": "空巢老人"}]}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{h}");
    let later = |h: i64| shanzhi_domain::case::beijing_minutes(app.now_ms() + h * 3_600_000);
    let (s, made) = app
        .post(
            "/api/v1/notices",
            &sq,
            json!({"node": "450802001001", "level": "预警", "color": "黄色", "title": "大风黄色预警",
                   "body": "今天夜间有8级阵风，请收好阳台花盆。", "ends": later(12), "respond_by": later(2)}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{made}");
    let warning = made["notice"]["id"].as_i64().unwrap();
    let resident = [
        "/r/450802001001002".to_owned(),
        track,
        "/t".to_owned(),
        "/r/450802001001002/rate".to_owned(),
        "/w/450802001001002".to_owned(),
        "/o/450802001001".to_owned(),
        "/p/450802001001".to_owned(),
    ];
    let staff = [
        "/todo".to_owned(),
        "/cases".to_owned(),
        "/cases/new".to_owned(),
        "/regions/450802001001".to_owned(),
        "/dashboard".to_owned(),
        "/patrol".to_owned(),
        "/notices".to_owned(),
        format!("/notices/{warning}"),
        format!("/notices/{warning}/calls"),
    ];
    let d = driver().await;
    let mut faults = Vec::new();
    for (width, height) in [(375, 812), (1366, 900)] {
        let c = browser(&d, width, height).await;
        for elder in [false, true] {
            if elder {
                c.goto(&format!("{}/mode?elder=1&back=/t", app.base))
                    .await
                    .unwrap();
            }
            for path in &resident {
                c.goto(&format!("{}{path}", app.base)).await.unwrap();
                for f in axe_faults(&c).await {
                    faults.push(format!(
                        "{width}px {} {path}: {f}",
                        if elder { "长辈版" } else { "标准版" }
                    ));
                }
            }
        }
        login(&c, &app, "sq01").await;
        for path in &staff {
            c.goto(&format!("{}{path}", app.base)).await.unwrap();
            for f in axe_faults(&c).await {
                faults.push(format!("{width}px staff {path}: {f}"));
            }
            if let Some(page) = path.strip_prefix("/notices/") {
                let name = if page.ends_with("/calls") {
                    "calls"
                } else {
                    "progress"
                };
                shot(&c, &format!("notice-{name}-{width}")).await;
            }
            if path.ends_with("/calls") {
                // The household's phone to dial, shown on a tap.
                c.find(Locator::Css("form[action$='/phones'] button"))
                    .await
                    .unwrap()
                    .click()
                    .await
                    .unwrap();
                wait_text_css(&c, "#dial", "拨打").await;
                for f in axe_faults(&c).await {
                    faults.push(format!("{width}px staff dial: {f}"));
                }
                shot(&c, &format!("notice-dial-{width}")).await;
            }
        }
        c.close().await.unwrap();
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

#[tokio::test]
async fn a_worker_picks_the_suggested_category_while_typing_a_report() {
    let app = TestApp::demo().await;
    let d = driver().await;
    let c = browser(&d, 375, 812).await;
    login(&c, &app, "wg0101").await;
    c.goto(&format!("{}/cases/new", app.base)).await.unwrap();
    fill(
        &c,
        "textarea[name=description]",
        "路口的井盖丢了一个，留下一个大洞，晚上很危险",
    )
    .await;
    let chip = c
        .wait()
        .for_element(Locator::Css("#suggest button.chip"))
        .await
        .unwrap();
    let said = chip.text().await.unwrap();
    assert!(said.starts_with("井盖缺失"), "{said}");
    chip.click().await.unwrap();
    let chosen = c
        .execute(
            "return document.querySelector('select[name=category]').value;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(chosen.as_str(), Some("0403"));
    let why = text(&c, "suggest").await;
    assert!(why.contains("依据") && why.contains("建议承办"), "{why}");
    c.execute(
        "document.getElementById('suggest').scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .unwrap();
    shot(&c, "case-new-chips-375").await;
    fill(&c, "#address", "东湖社区").await;
    c.execute(
        "document.getElementById('address').dispatchEvent(new Event('change'));",
        vec![],
    )
    .await
    .unwrap();
    c.wait()
        .for_element(Locator::XPath(
            "//p[@id='address-status' and string-length(text()) > 0]",
        ))
        .await
        .unwrap();
    fits(&c, 375).await;
    shot(&c, "case-new-suggest-375").await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn the_command_centre_sees_one_problem_reported_twice_and_the_orders_waiting_on_a_phone() {
    let app = TestApp::demo().await;
    let (worker, centre) = (app.token("wg0101").await, app.token("zhzx").await);
    let (lon, lat) = crate::api_cases::point_in_own_grid(&app, &worker).await;
    let mut ids = Vec::new();
    for (category, text, dlat) in [
        ("0401", "3栋楼下下水道堵塞，污水漫到路面", 0.0003),
        ("04", "巡查发现3栋楼下污水漫溢，下水道堵塞", 0.0),
    ] {
        let body = json!({"category": category, "title": text, "description": text, "lon": lon, "lat": lat + dlat});
        let (_, c) = app.post("/api/v1/cases", &worker, body).await;
        ids.push(c["id"].as_i64().unwrap());
    }
    let csv = "工单编号,诉求内容,地址\r\nW-1,有点事想问问,东湖社区\r\n";
    let (s, _) = crate::api_hotline::import(&app, &centre, "text/csv", csv.into()).await;
    assert_eq!(s, reqwest::StatusCode::OK);
    let d = driver().await;
    let c = browser(&d, 375, 812).await;
    login(&c, &app, "zhzx").await;
    c.goto(&format!("{}/cases/{}", app.base, ids[1]))
        .await
        .unwrap();
    let section = c
        .wait()
        .for_element(Locator::Id("duplicates"))
        .await
        .unwrap();
    let said = section.text().await.unwrap();
    assert!(said.contains("文字相似"), "{said}");
    c.execute(
        "document.getElementById('duplicates').scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .unwrap();
    fits(&c, 375).await;
    shot(&c, "case-duplicates-375").await;
    c.goto(&format!("{}/cases/import#pending", app.base))
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("pending")).await.unwrap();
    fits(&c, 375).await;
    shot(&c, "pending-queue-375").await;
    c.close().await.unwrap();
}
