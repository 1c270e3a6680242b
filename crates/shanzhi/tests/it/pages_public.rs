//! The resident pages over HTTP: report by QR page without an account, follow the case with the
//! tracking code, rate it once it is closed.

use crate::common::{TestApp, step};
use crate::pages::{browser_client, csrf_of};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::json;
use shanzhi_app::AppConfig;
use shanzhi_web::WebConfig;

const GRID: &str = "450802001001002";

/// Fills in and sends the grid's report form as a resident.
pub async fn submit(
    app: &TestApp,
    c: &reqwest::Client,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = c
        .get(format!("{}/r/{GRID}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let mut form = vec![("_csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    c.post(format!("{}/r/{GRID}", app.base))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The tracking code a filed report's answer sends the resident to (`/t/{code}?notice=…`).
pub fn tracking_of(resp: &reqwest::Response) -> String {
    let to = resp.headers()[LOCATION].to_str().unwrap();
    to.trim_start_matches("/t/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

/// A resident's report as the API lists it to `token`, found by its tracking code.
pub async fn listed_report(app: &TestApp, token: &str, tracking: &str) -> serde_json::Value {
    let (_, list) = app.get("/api/v1/cases?source=resident_qr", token).await;
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|x| x["tracking_code"] == tracking)
        .cloned()
        .unwrap_or_else(|| panic!("{tracking} is not listed: {list}"))
}

#[tokio::test]
async fn a_resident_reports_by_qr_follows_and_rates() {
    let app = TestApp::demo().await;
    let c = browser_client();
    let page = c
        .get(format!("{}/r/{GRID}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("东湖社区第二网格") && html.contains("消防通道堵塞"));
    assert!(html.len() < 100_000, "light enough for a weak network");

    let resp = submit(
        &app,
        &c,
        &[
            ("category", "03"),
            ("description", "小区东门垃圾桶满溢，两天没人清运"),
            ("name", "王阿姨"),
        ],
    )
    .await;
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        resp.text().await.ok().and_then(|t| t
            .split("alert error")
            .nth(1)
            .map(|x| x.chars().take(120).collect::<String>()))
    );
    let to = resp.headers()[LOCATION].to_str().unwrap().to_owned();
    let tracking = tracking_of(&resp);
    let html = c
        .get(format!("{}{to}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("已提交") && html.contains("小区东门垃圾桶满溢") && html.contains("已收到"),
        "the stage in plain words: {html}"
    );

    // Staff carry it round the loop; an internal step (verify_fail) stays off the public page.
    let (_, list) = app.get("/api/v1/cases", &app.token("sq01").await).await;
    let case = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["tracking_code"] == tracking.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (case["source"].as_str(), case["tier"].as_str()),
        (Some("resident_qr"), Some("grid"))
    );
    let id = case["id"].as_i64().unwrap();
    let officer = app.token("sq01").await;
    let worker = app.token("wg0102").await;
    step(&app, &officer, id, json!({"action": "accept"})).await;
    step(
        &app,
        &officer,
        id,
        json!({"action": "dispatch", "to": "grid"}),
    )
    .await;
    step(&app, &worker, id, json!({"action": "start"})).await;
    step(
        &app,
        &worker,
        id,
        json!({"action": "handle", "result": "已联系环卫清运"}),
    )
    .await;
    step(
        &app,
        &officer,
        id,
        json!({"action": "verify_fail", "reason": "现场仍有散落垃圾"}),
    )
    .await;
    step(
        &app,
        &worker,
        id,
        json!({"action": "handle", "result": "已清运并冲洗地面"}),
    )
    .await;
    step(&app, &officer, id, json!({"action": "verify_pass"})).await;
    step(&app, &officer, id, json!({"action": "close"})).await;

    let html = c
        .get(format!("{}/t/{tracking}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("已清运并冲洗地面") && html.contains("已办好，请您评价"));
    assert!(!html.contains("结案") && !html.contains("核查通过") && !html.contains("分流交办"));
    assert!(
        !html.contains("现场仍有散落垃圾"),
        "internal steps stay internal"
    );
    assert!(html.contains("请评价办理结果"));
    let csrf = csrf_of(&html);
    let version = html
        .split("name=\"version\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let rated = c
        .post(format!("{}/t/{tracking}/rate", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("version", version.as_str()),
            ("satisfaction", "satisfied"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(rated.status(), StatusCode::SEE_OTHER);
    let html = c
        .get(format!(
            "{}{}",
            app.base,
            rated.headers()[LOCATION].to_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("感谢您的评价") && html.contains("评价"));
    assert!(!html.contains("请评价办理结果"), "rated once");
    let again = c
        .post(format!("{}/t/{tracking}/rate", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("version", version.as_str()),
            ("satisfaction", "dissatisfied"),
        ])
        .send()
        .await
        .unwrap();
    let html = c
        .get(format!(
            "{}{}",
            app.base,
            again.headers()[LOCATION].to_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("不能执行「评价」"),
        "a second rating is refused"
    );
    let (_, d) = app.get(&format!("/api/v1/cases/{id}"), &officer).await;
    assert_eq!(
        (
            d["case"]["stage"].as_str(),
            d["case"]["satisfaction"].as_str()
        ),
        (Some("rated"), Some("satisfied"))
    );
}

#[tokio::test]
async fn public_pages_refuse_bad_input_and_floods() {
    let config = WebConfig {
        public_reports_per_hour: 2,
        ..Default::default()
    };
    let app = TestApp::demo_with(AppConfig::default(), config).await;
    let c = browser_client();
    assert_eq!(
        c.get(format!("{}/r/450802999001001", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.get(format!("{}/t/NOSUCHCODE", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let forged = c
        .post(format!("{}/r/{GRID}", app.base))
        .form(&[("category", "03"), ("description", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let empty = submit(&app, &c, &[("category", "03"), ("description", "   ")]).await;
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
    assert!(
        empty
            .text()
            .await
            .unwrap()
            .contains("请写几句发生了什么，或拍一张现场照片")
    );
    let ok = submit(&app, &c, &[("category", "03"), ("description", "路灯不亮")]).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let flood = submit(&app, &c, &[("category", "03"), ("description", "再来一条")]).await;
    assert_eq!(
        flood.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "two reports an hour from one address in this test"
    );
}

#[tokio::test]
async fn staff_print_qr_posters_for_their_grids() {
    let app = TestApp::demo().await;
    let (c, _) = crate::pages::logged_in(&app, "wg0102").await;
    let poster = c
        .get(format!("{}/regions/{GRID}/poster", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(poster.status(), StatusCode::OK);
    let html = poster.text().await.unwrap();
    assert!(
        html.contains("扫码反映问题")
            && html.contains("<svg")
            && html.contains(&format!("/r/{GRID}"))
    );
    assert!(
        html.contains("查询办理进度：") && html.contains(&format!("{}/t（", app.base)),
        "the poster says where to follow a report"
    );
    assert!(
        html.contains("网格员"),
        "the grid's own workers are named on the poster"
    );
    let png = c
        .get(format!("{}/regions/{GRID}/qr.png", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    let bytes = png.bytes().await.unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let svg = c
        .get(format!("{}/regions/{GRID}/qr.svg", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert_eq!(
        c.get(format!("{}/regions/450802001001001/poster", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND,
        "not their grid"
    );
    let anonymous = browser_client()
        .get(format!("{}/regions/{GRID}/qr.png", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        anonymous.status(),
        StatusCode::SEE_OTHER,
        "posters are printed by staff"
    );
}

/// Follows a redirect and returns the page it leads to.
async fn landing(app: &TestApp, c: &reqwest::Client, r: reqwest::Response) -> String {
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()[LOCATION].to_str().unwrap().to_owned();
    let to = if to.starts_with('/') {
        format!("{}{to}", app.base)
    } else {
        to
    };
    c.get(to).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn a_resident_rates_the_grid_worker_once_a_month_and_the_community_scores_them() {
    let app = TestApp::demo().await;
    let resident = browser_client();
    let html = resident
        .get(format!("{}/r/{GRID}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("/r/{GRID}/rate")),
        "the QR page links to the rating"
    );
    let page = resident
        .get(format!("{}/r/{GRID}/rate", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page);
    let worker = page
        .split("<option value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a worker to rate")
        .to_owned();
    // First a code to the phone, then the rating with it.
    let rate = || async {
        let sent = resident
            .post(format!("{}/r/{GRID}/rate/code", app.base))
            .form(&[("_csrf", csrf.as_str()), ("phone", "13877519876")])
            .send()
            .await
            .unwrap();
        let page = landing(&app, &resident, sent).await;
        assert!(
            page.contains("验证码已发送") && page.contains("value=\"13877519876\""),
            "{page}"
        );
        let code = app.code_sent_to("13877519876");
        let form = [
            ("_csrf", csrf.as_str()),
            ("worker", worker.as_str()),
            ("stars", "4"),
            ("phone", "13877519876"),
            ("code", code.as_str()),
            ("comment", "上门很及时"),
        ];
        let r = resident
            .post(format!("{}/r/{GRID}/rate", app.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        landing(&app, &resident, r).await
    };
    let after = rate().await;
    assert!(after.contains("感谢您的评价"), "{after}");
    app.state().clock().advance(61_000);
    let again = rate().await;
    assert!(again.contains("本月已经评价过"), "{again}");

    // The community officer sees the rating in the month's assessment and adds evaluations.
    let (officer, _) = crate::pages::logged_in(&app, "sq01").await;
    let month = app.today().to_string()[..7].to_owned();
    let url = format!("{}/assessment?node=450802001001&month={month}", app.base);
    let html = officer
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("4.0 星 / 1 人"), "{html}");
    let csrf = csrf_of(&html);
    let r = officer
        .post(format!("{}/assessment/workers/{worker}", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("month", &month),
            ("node", "450802001001"),
            ("peer", "88"),
            ("org", "abc"),
        ])
        .send()
        .await
        .unwrap();
    let html = landing(&app, &officer, r).await;
    assert!(html.contains("评分应为 0 到 100 的数字"), "{html}");
    let r = officer
        .post(format!("{}/assessment/workers/{worker}", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("month", &month),
            ("node", "450802001001"),
            ("peer", "88"),
            ("org", "93"),
        ])
        .send()
        .await
        .unwrap();
    let html = landing(&app, &officer, r).await;
    assert!(
        html.contains("已保存评价") && html.contains("value=\"93\""),
        "{html}"
    );
}

#[tokio::test]
async fn the_command_centre_sets_the_weights_on_the_assessment_page() {
    let app = TestApp::demo().await;
    let (centre, _) = crate::pages::logged_in(&app, "zhzx").await;
    let month = app.today().to_string()[..7].to_owned();
    let url = format!("{}/assessment?node=450802001&month={month}", app.base);
    let html = centre.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("考评权重（450802）") && html.contains("name=\"patrol\""),
        "{html}"
    );
    assert!(html.contains("红旗单位"), "{html}");
    let csrf = csrf_of(&html);
    let form = |patrol: &'static str| {
        let mut f = vec![
            ("_csrf", csrf.clone()),
            ("month", month.clone()),
            ("node", "450802001".to_owned()),
            ("patrol", patrol.to_owned()),
            ("found_target", "5".to_owned()),
        ];
        for k in [
            "found",
            "on_time",
            "visits",
            "satisfaction",
            "mass",
            "peer",
            "org",
        ] {
            f.push((k, "10".to_owned()));
        }
        f
    };
    let r = centre
        .post(format!("{}/assessment/weights", app.base))
        .form(&form("很多"))
        .send()
        .await
        .unwrap();
    let html = landing(&app, &centre, r).await;
    assert!(html.contains("每项权重都应填写 0 到 100 的数字"), "{html}");
    let r = centre
        .post(format!("{}/assessment/weights", app.base))
        .form(&form("40"))
        .send()
        .await
        .unwrap();
    let html = landing(&app, &centre, r).await;
    assert!(
        html.contains("已保存考评权重") && html.contains("巡查覆盖（40）"),
        "{html}"
    );

    // A community officer sees the weights but cannot change them.
    let (officer, _) = crate::pages::logged_in(&app, "sq01").await;
    let html = officer
        .get(format!(
            "{}/assessment?node=450802001001&month={month}",
            app.base
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("巡查覆盖：40") && !html.contains("name=\"patrol\""),
        "{html}"
    );
}

/// A local HTTP receiver standing for the SMS gateway: keeps every JSON body it is sent (with
/// the `biz_id` it answered) and answers as Aliyun's API does, refusing the first request with
/// a 503 (the outbox retries).
pub(crate) struct Gateway {
    /// Where texts are posted.
    pub(crate) url: String,
    got: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
}

impl Gateway {
    pub(crate) async fn start() -> Gateway {
        use axum::routing::post;
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::<serde_json::Value>::new()));
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (kept, counted) = (got.clone(), calls.clone());
        let router = axum::Router::new().route(
            "/sms",
            post(
                move |headers: axum::http::HeaderMap,
                      axum::Json(body): axum::Json<serde_json::Value>| {
                    let (kept, counted) = (kept.clone(), counted.clone());
                    async move {
                        assert_eq!(headers["authorization"], "Bearer gw-key");
                        let n = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        if n == 0 {
                            return (
                                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                                axum::Json(json!({})),
                            );
                        }
                        let mut body = body;
                        // Kept with the id the gateway answered, for status reports.
                        body["biz_id"] = json!(format!("biz-{n}"));
                        kept.lock().unwrap().push(body);
                        (
                            axum::http::StatusCode::OK,
                            axum::Json(json!({"Code": "OK", "BizId": format!("biz-{n}")})),
                        )
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/sms", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Gateway { url, got }
    }

    /// Waits for a message whose content contains `part` and returns it.
    /// How many texts went to `phone`.
    pub(crate) fn sent_to(&self, phone: &str) -> usize {
        let got = self.got.lock().unwrap();
        got.iter().filter(|m| m["phone"] == phone).count()
    }

    pub(crate) async fn wait_for(&self, part: &str) -> serde_json::Value {
        for _ in 0..200 {
            let found = self
                .got
                .lock()
                .unwrap()
                .iter()
                .find(|m| m["content"].as_str().is_some_and(|c| c.contains(part)))
                .cloned();
            if let Some(m) = found {
                return m;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no text with {part}: {:?}", self.got.lock().unwrap());
    }
}

#[tokio::test]
async fn a_resident_is_told_by_text_at_every_step_through_the_gateway() {
    let gateway = Gateway::start().await;
    let sender = shanzhi_app::sms::HttpGateway::new(
        &gateway.url,
        Some("gw-key".into()),
        Some("港北善治".into()),
        "closed=SMS_0042,code=SMS_0001",
    )
    .unwrap();
    let config = AppConfig {
        sms: shanzhi_app::sms::Sms(std::sync::Arc::new(sender)),
        public_url: Some("https://sz.gangbei.gov.cn".into()),
        webhook_retry_base_ms: 20,
        ..Default::default()
    };
    let app = TestApp::demo_with(config, WebConfig::default()).await;
    let c = browser_client();
    let resp = submit(
        &app,
        &c,
        &[
            ("category", "03"),
            ("description", "3栋门口垃圾两天没人清运"),
            ("phone", "139 7758 1234"),
        ],
    )
    .await;
    let tracking = tracking_of(&resp);
    let filed = gateway.wait_for("已登记").await;
    assert_eq!(filed["phone"], "13977581234");
    assert_eq!(filed["sign_name"], "港北善治");
    let link = format!("https://sz.gangbei.gov.cn/t/{tracking}");
    assert!(
        filed["content"]
            .as_str()
            .unwrap()
            .starts_with("【港北善治】")
            && filed["content"].as_str().unwrap().contains(&link),
        "{filed}"
    );
    assert!(filed["template_code"].is_null(), "no template: free text");

    let officer = app.token("sq01").await;
    let id = listed_report(&app, &officer, &tracking).await["id"]
        .as_i64()
        .unwrap();
    step(&app, &officer, id, json!({"action": "accept"})).await;
    gateway.wait_for("已受理").await;
    let worker = app.token("wg0102").await;
    for (token, body) in [
        (&officer, json!({"action": "dispatch", "to": "grid"})),
        (&worker, json!({"action": "start"})),
        (&worker, json!({"action": "handle", "result": "已清运"})),
        (&officer, json!({"action": "verify_pass"})),
        (&officer, json!({"action": "close"})),
    ] {
        step(&app, token, id, body).await;
    }
    let closed = gateway.wait_for("请点此评价").await;
    assert_eq!(closed["template_code"], "SMS_0042");
    assert_eq!(closed["template_param"]["code"], tracking.as_str());
    assert_eq!(
        closed["template_param"]["link"],
        format!("{link}#rate").as_str()
    );

    // The resident is not satisfied: the case reopens, and says so.
    crate::satisfaction::rate_on_page(
        &app,
        &c,
        &tracking,
        shanzhi_domain::case::Satisfaction::Dissatisfied,
    )
    .await;
    gateway.wait_for("重新办理").await;

    // The delivery log: every text, the first after one refusal, none left waiting. The
    // gateway has the last text before the outbox records its answer, so wait for that.
    let texts = format!("/api/v1/cases/{id}/texts");
    let delivered = || async {
        let (_, log) = app.get(&texts, &officer).await;
        log.as_array()
            .is_some_and(|l| l.iter().all(|t| t["status"] == "delivered"))
    };
    crate::common::eventually("every text delivered", delivered).await;
    let (_, log) = app.get(&texts, &officer).await;
    let log = log.as_array().unwrap().clone();
    let kinds: Vec<&str> = log.iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["filed", "accepted", "closed", "reopened"]);
    assert!(log.iter().all(|t| t["status"] == "delivered"), "{log:?}");
    assert_eq!(log[0]["attempts"], 2, "refused once, sent on the retry");
    assert_eq!(log[0]["phone_masked"], "139****1234");
    assert!(log.iter().all(|t| {
        t["gateway_ref"]
            .as_str()
            .is_some_and(|r| r.starts_with("biz-"))
    }));
    let staff = crate::pages::logged_in(&app, "sq01").await.0;
    let page = staff
        .get(format!("{}/cases/{id}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("短信通知") && page.contains("办结评价邀请") && page.contains("139****1234"),
        "{page}"
    );

    // A refusal quotes its reason.
    let resp = submit(
        &app,
        &c,
        &[
            ("category", "03"),
            ("description", "楼上邻居晚上太吵"),
            ("phone", "13977581234"),
        ],
    )
    .await;
    let second = resp.headers()[LOCATION].to_str().unwrap().to_owned();
    let (_, list) = app.get("/api/v1/cases?source=resident_qr", &officer).await;
    let id = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| second.contains(x["tracking_code"].as_str().unwrap()))
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    step(
        &app,
        &officer,
        id,
        json!({"action": "reject", "reason": "属邻里纠纷，已转调解"}),
    )
    .await;
    gateway
        .wait_for("不予受理，原因：属邻里纠纷，已转调解")
        .await;
}

#[tokio::test]
async fn a_resident_finds_reports_by_code_as_typed_or_by_phone() {
    let app = TestApp::demo().await;
    let c = browser_client();
    let resp = submit(
        &app,
        &c,
        &[
            ("category", "03"),
            ("description", "6栋后面的化粪池冒水"),
            ("phone", "13977581234"),
        ],
    )
    .await;
    let tracking = tracking_of(&resp);
    assert_eq!(tracking.len(), 8, "short enough to read out");
    let get = |path: String| {
        let c = &c;
        async move { c.get(path).send().await.unwrap() }
    };
    let report_page = get(format!("{}/r/{GRID}", app.base))
        .await
        .text()
        .await
        .unwrap();
    assert!(report_page.contains("id=\"track-box\"") && report_page.contains("action=\"/t\""));

    // Typed in groups and small letters, it still finds the case.
    let typed = format!("{} {}", &tracking[..4], &tracking[4..]).to_lowercase();
    let r = get(format!("{}/t?code={}", app.base, typed.replace(' ', "+"))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], format!("/t/{tracking}").as_str());
    let html = get(format!("{}/t?code=ZZZZ2222", app.base))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("查询码不存在") && html.contains("value=\"ZZZZ2222\""),
        "{html}"
    );

    // Lost the code: the phone and a texted code list every report made with it.
    let html = get(format!("{}/t", app.base)).await.text().await.unwrap();
    let sent = crate::pages::post_form(
        &c,
        &app,
        "/t/code",
        &[
            ("_csrf", csrf_of(&html).as_str()),
            ("phone", "139-7758-1234"),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        sent.contains("验证码已发送") && sent.contains("/t/mine"),
        "{sent}"
    );
    let wrong = crate::pages::post_form(
        &c,
        &app,
        "/t/mine",
        &[
            ("_csrf", csrf_of(&sent).as_str()),
            ("phone", "139-7758-1234"),
            ("code", "000000"),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        wrong.contains("验证码不对") && wrong.contains("value=\"139-7758-1234\""),
        "{wrong}"
    );
    let code = app.code_sent_to("13977581234");
    let found = crate::pages::post_form(
        &c,
        &app,
        "/t/mine",
        &[
            ("_csrf", csrf_of(&wrong).as_str()),
            ("phone", "139-7758-1234"),
            ("code", code.as_str()),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        found.contains(&format!("href=\"/t/{tracking}\"")) && found.contains("化粪池冒水"),
        "{found}"
    );
}

#[tokio::test]
async fn a_resident_adds_themselves_to_an_open_report_instead_of_a_duplicate() {
    let app = TestApp::demo().await;
    let c = browser_client();
    submit(
        &app,
        &c,
        &[
            ("category", "03"),
            ("description", "垃圾站满溢，王家门口臭得很"),
            ("address", "5栋东侧垃圾站"),
        ],
    )
    .await;
    // A neighbour's quarrel is reported too, and never shown to other residents.
    submit(
        &app,
        &c,
        &[("category", "0101"), ("description", "楼上李家天天吵架")],
    )
    .await;
    let (_, page) = crate::common::fetch(&app, &c, &format!("/r/{GRID}")).await;
    let nearby = page
        .split("id=\"nearby\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .unwrap_or_else(|| panic!("{page}"));
    assert!(nearby.contains("环境卫生 · 5栋东侧垃圾站"), "{nearby}");
    assert!(
        !nearby.contains("王家") && !nearby.contains("李家") && !nearby.contains("邻里纠纷"),
        "what a report says, and disputes, stay private: {nearby}"
    );
    let case = nearby
        .split("name=\"case\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let support = |phone: &'static str| {
        let (c, app, case) = (&c, &app, case.clone());
        async move {
            let (_, page) = crate::common::fetch(app, c, &format!("/r/{GRID}")).await;
            crate::pages::post_form(
                c,
                app,
                &format!("/r/{GRID}/support"),
                &[
                    ("_csrf", csrf_of(&page).as_str()),
                    ("case", case.as_str()),
                    ("phone", phone),
                ],
            )
            .await
            .text()
            .await
            .unwrap()
        }
    };
    assert!(
        support("13977581234")
            .await
            .contains("已有 1 位居民表示也遇到了")
    );
    assert!(
        support("139 7758 1234").await.contains("已经表示过"),
        "one mark per phone"
    );
    assert!(support("").await.contains("已有 2 位居民表示也遇到了"));
    let (staff, _) = crate::pages::logged_in(&app, "sq01").await;
    let (_, desk) = crate::common::fetch(&app, &staff, &format!("/cases/{case}")).await;
    assert!(desk.contains("另有 2 位居民表示也遇到了这个问题"), "{desk}");
    // A closed or foreign case cannot be joined.
    let (_, page) = crate::common::fetch(&app, &c, &format!("/r/{GRID}")).await;
    let refused = crate::pages::post_form(
        &c,
        &app,
        &format!("/r/{GRID}/support"),
        &[("_csrf", csrf_of(&page).as_str()), ("case", "999999999")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(refused.contains("已经办结或不在本网格"), "{refused}");
}

#[tokio::test]
async fn a_resident_places_the_report_on_the_map_of_the_grid_and_its_neighbours() {
    let app = TestApp::demo().await;
    let c = browser_client();
    let (_, page) = crate::common::fetch(&app, &c, &format!("/r/{GRID}")).await;
    // The community's grids are drawn, this one highlighted, from the stored boundaries.
    let demo = shanzhi_app::demo::district().tree;
    let siblings = demo["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["parent_code"] == "450802001001")
        .count();
    let map = page
        .split("class=\"map pick\"")
        .nth(1)
        .and_then(|s| s.split("</svg>").next())
        .unwrap_or_else(|| panic!("no map: {page}"));
    assert_eq!(map.matches("<path class=\"area").count(), siblings, "{map}");
    assert_eq!(map.matches("area own").count(), 1);
    // A pin in the neighbouring grid files the report there, at the pin.
    let (lon, lat) = crate::api_cases::centre_of("450802001001001");
    let (lon_s, lat_s) = (format!("{lon:.6}"), format!("{lat:.6}"));
    let filed = |fields: Vec<(&'static str, String)>| {
        let (c, app) = (&c, &app);
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            submit(app, c, &fields).await
        }
    };
    let r = filed(vec![
        ("category", "03".into()),
        ("description", "1号楼门口垃圾桶满溢".into()),
        ("lon", lon_s.clone()),
        ("lat", lat_s.clone()),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let tracking = r.headers()[LOCATION].to_str().unwrap()[3..]
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let case = filed_at(&app, "1号楼门口垃圾桶满溢", "450802001001001", (lon, lat)).await;
    assert_eq!(case["tracking_code"], tracking.as_str(), "{case}");
    // The grid's own open reports show on its map as numbered dots, as in the list above it.
    let (own_lon, own_lat) = crate::api_cases::centre_of(GRID);
    filed(vec![
        ("category", "03".into()),
        ("description", "2号楼垃圾站污水外溢".into()),
        ("lon", format!("{own_lon:.6}")),
        ("lat", format!("{own_lat:.6}")),
    ])
    .await;
    let (_, page) = crate::common::fetch(&app, &c, &format!("/r/{GRID}")).await;
    let map = page.split("class=\"map pick\"").nth(1).unwrap_or_default();
    assert_eq!(map.matches("class=\"mark nearby\"").count(), 1, "{map}");
    assert!(map.contains("<text dy=\"4\">1</text>"), "{map}");
    // A pin outside the community is refused with what to do, and nothing typed is lost.
    let (far_lon, far_lat) = crate::api_cases::centre_of("450802001002001");
    let r = filed(vec![
        ("category", "03".into()),
        ("description", "垃圾没人清运".into()),
        ("address", "3栋东侧".into()),
        ("name", "王阿姨".into()),
        ("phone", "13977581234".into()),
        ("lon", format!("{far_lon:.6}")),
        ("lat", format!("{far_lat:.6}")),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    assert!(page.contains("不在地图上的网格里"), "{page}");
    for kept in [
        "垃圾没人清运",
        "value=\"3栋东侧\"",
        "value=\"王阿姨\"",
        "value=\"13977581234\"",
        "class=\"pin\" transform",
    ] {
        assert!(page.contains(kept), "{kept} kept: {page}");
    }
    let r = filed(vec![
        ("category", "03".into()),
        ("description", "垃圾没人清运".into()),
        ("lon", "东经109".into()),
        ("lat", lat_s),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("地图上的位置有误"));
}

/// The case a resident filed with `description`, checked to lie in `grid` (in a micro-grid of
/// it, held by the grid) at the position picked.
pub async fn filed_at(
    app: &TestApp,
    description: &str,
    grid: &str,
    (lon, lat): (f64, f64),
) -> serde_json::Value {
    let officer = app.token("sq01").await;
    let query = crate::api_search::url_escape(description);
    let (_, found) = app.get(&format!("/api/v1/cases?q={query}"), &officer).await;
    let case = found["items"][0].clone();
    assert!(
        case["node_code"]
            .as_str()
            .is_some_and(|c| c.starts_with(grid)),
        "{found}"
    );
    assert_eq!(case["holder_code"], grid, "{found}");
    assert!((case["lon"].as_f64().unwrap() - lon).abs() < 1e-6, "{case}");
    assert!((case["lat"].as_f64().unwrap() - lat).abs() < 1e-6, "{case}");
    case
}

#[tokio::test]
async fn with_a_base_map_configured_the_map_lies_on_its_tiles() {
    let template = "https://t0.tianditu.gov.cn/vec_c/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=c&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=demo-key";
    let web = WebConfig {
        basemap: Some(shanzhi_web::basemap::Basemap::parse(template).unwrap()),
        ..Default::default()
    };
    let app = TestApp::demo_with(AppConfig::default(), web).await;
    let c = browser_client();
    let r = c
        .get(format!("{}/r/{GRID}", app.base))
        .send()
        .await
        .unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("img-src 'self' data: blob: https://t0.tianditu.gov.cn"),
        "{csp}"
    );
    let page = r.text().await.unwrap();
    let map = page
        .split("class=\"map pick tiled\"")
        .nth(1)
        .unwrap_or_else(|| panic!("{page}"));
    // The grid's centre lies on one of the tiles: in the lon/lat tile matrix at level z a tile
    // is 180/2^(z-1) degrees square, counted from 180° W and 90° N.
    let z: i32 = map
        .split("TILEMATRIX=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    let span = 180.0 / f64::from(1 << (z - 1));
    let (lon, lat) = crate::api_cases::centre_of(GRID);
    let (col, row) = (((lon + 180.0) / span) as i64, ((90.0 - lat) / span) as i64);
    let tile = format!("TILEMATRIX={z}&amp;TILEROW={row}&amp;TILECOL={col}&amp;tk=demo-key");
    assert!(map.contains(&tile), "{tile} in {map}");
    // Without one, the map is the boundaries alone.
    let plain = TestApp::demo().await;
    let (_, page) = crate::common::fetch(&plain, &c, &format!("/r/{GRID}")).await;
    assert!(!page.contains("<image"));
}

#[tokio::test]
async fn the_opinion_box_and_a_topic_proposal_come_back_as_typed_when_refused() {
    let app = TestApp::demo().await;
    let c = browser_client();
    let refused = |path: &'static str, fields: Vec<(&'static str, &'static str)>| {
        let (c, app) = (&c, &app);
        async move {
            let (_, page) = crate::common::fetch(app, c, path).await;
            let mut form = vec![("_csrf", csrf_of(&page))];
            form.extend(fields.into_iter().map(|(k, v)| (k, v.to_owned())));
            let r = crate::pages::post_form(
                c,
                app,
                path,
                &form
                    .iter()
                    .map(|(k, v)| (*k, v.as_str()))
                    .collect::<Vec<_>>(),
            )
            .await;
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
            r.text().await.unwrap()
        }
    };
    let page = refused(
        "/o/450802001001",
        vec![
            ("content", "北门晚上没有路灯，老人出行不便"),
            ("name", "韦大爷"),
            ("phone", "1397758"),
        ],
    )
    .await;
    for kept in [
        "电话号码无效",
        ">北门晚上没有路灯，老人出行不便</textarea>",
        "value=\"韦大爷\"",
        "value=\"1397758\"",
    ] {
        assert!(page.contains(kept), "opinion: {kept} in {page}");
    }
    let page = refused(
        "/p/450802001001",
        vec![
            ("title", "8 栋老楼漏雨维修"),
            ("detail", "顶楼三户漏雨，想商量维修资金怎么出"),
            ("scale", "major"),
            ("hours", "24"),
            ("name", "黄阿姨"),
            ("phone", "1397758"),
        ],
    )
    .await;
    for kept in [
        "电话号码无效",
        "value=\"8 栋老楼漏雨维修\"",
        ">顶楼三户漏雨，想商量维修资金怎么出</textarea>",
        "<option value=\"major\" selected>",
        "value=\"黄阿姨\"",
        "value=\"1397758\"",
    ] {
        assert!(page.contains(kept), "topic: {kept} in {page}");
    }
}

#[tokio::test]
async fn residents_see_the_numbers_their_grid_staff_agreed_to_show_and_no_other() {
    let app = TestApp::demo().await;
    let officer = app.token("sq01").await;
    let grid = "450802001001002";
    let staff = |name: &str, phone: &str, public: bool| {
        json!({"name": name, "role": "兼职网格员", "phone": phone, "phone_public": public,
               "grids": [grid]})
    };
    let (s, body) = app
        .post(
            "/api/v1/staff",
            &officer,
            staff("覃海燕", "139 0775 1111", true),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, _) = app
        .post(
            "/api/v1/staff",
            &officer,
            staff("莫志军", "13907752222", false),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // Agreeing to show a number needs a number.
    let (s, body) = app
        .post("/api/v1/staff", &officer, staff("黄秋菊", "", true))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.to_string().contains("请先填写联系电话"), "{body}");

    let c = browser_client();
    let resp = submit(
        &app,
        &c,
        &[("category", "03"), ("description", "楼道灯坏了一个星期")],
    )
    .await;
    let tracking = tracking_of(&resp);
    let community = &grid[..12];
    for page in [
        format!("/r/{grid}"),
        format!("/t/{tracking}"),
        format!("/w/{grid}"),
        format!("/o/{community}"),
        format!("/p/{grid}"),
    ] {
        let (s, html) = crate::common::fetch(&app, &c, &page).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        if !page.starts_with("/o/") {
            assert!(
                html.contains(r#"href="tel:13907751111">13907751111</a>"#),
                "{page}: {html}"
            );
        }
        assert!(
            !html.contains("13907752222"),
            "{page}: not agreed, not shown"
        );
    }
    let (poster, _) = crate::pages::logged_in(&app, "sq01").await;
    let html = poster
        .get(format!("{}/regions/{grid}/poster", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("tel:13907751111") && !html.contains("13907752222"));
    // The register says whose number is public.
    let (_, list) = app
        .get(&format!("/api/v1/staff?node={grid}"), &officer)
        .await;
    let shown: Vec<(&str, bool)> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| ["覃海燕", "莫志军"].contains(&s["name"].as_str().unwrap_or("")))
        .map(|s| (s["name"].as_str().unwrap(), s["public_phone"].is_string()))
        .collect();
    assert_eq!(shown, [("覃海燕", true), ("莫志军", false)], "{list}");
}

/// The hidden fields of the form `id` on a page, as (name, value), entities decoded.
fn hidden_fields(html: &str, id: &str) -> Vec<(String, String)> {
    let form = html
        .split(&format!("id=\"{id}\""))
        .nth(1)
        .and_then(|f| f.split("</form>").next())
        .expect("the form");
    form.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|part| {
            let (name, rest) = part.split_once('"').unwrap();
            let value = rest.split("value=\"").nth(1).unwrap().split('"').next();
            let value = value.unwrap().replace("&#34;", "\"").replace("&amp;", "&");
            (name.to_owned(), value)
        })
        .collect()
}

#[tokio::test]
async fn a_form_left_open_too_long_comes_back_with_everything_typed_to_send_again() {
    let app = TestApp::demo().await;
    let community = &GRID[..12];
    let path = format!("{}/o/{community}", app.base);
    let (_, page) = crate::common::fetch(&app, &browser_client(), &format!("/o/{community}")).await;
    let old_token = csrf_of(&page);
    let typed = [
        ("_csrf", old_token.as_str()),
        ("content", "小区北门的路灯坏了三天，晚上老人出门看不见"),
        ("name", "李阿姨"),
        ("phone", "13977580000"),
    ];
    // The phone kept the page, but the browser was closed meanwhile: its cookie is gone.
    let phone = browser_client();
    let r = phone
        .post(&path)
        .header("sec-fetch-site", "same-origin")
        .form(&typed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let html = r.text().await.unwrap();
    assert!(html.contains("您填写的内容都还在"), "{html}");
    let again = hidden_fields(&html, "resend");
    let value = |k: &str| again.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(value("content"), Some(typed[1].1));
    assert_eq!(
        (value("name"), value("phone")),
        (Some("李阿姨"), Some("13977580000"))
    );
    assert_ne!(value("_csrf"), Some(old_token.as_str()), "a fresh token");
    let sent = phone
        .post(&path)
        .header("sec-fetch-site", "same-origin")
        .form(&again)
        .send()
        .await
        .unwrap();
    assert_eq!(
        sent.status(),
        StatusCode::SEE_OTHER,
        "one more press sends it"
    );
    assert!(
        sent.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/ot/")
    );

    // From another site the form is only refused: nothing it carried is shown back.
    let r = browser_client()
        .post(&path)
        .header("sec-fetch-site", "cross-site")
        .form(&typed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!r.text().await.unwrap().contains("李阿姨"));

    // A report with a photo: the text comes back; the page says the photo must be chosen again.
    let form = reqwest::multipart::Form::new()
        .text("_csrf", old_token.clone())
        .text("category", "03")
        .text("description", "垃圾桶满了没人清")
        .part(
            "photos",
            reqwest::multipart::Part::bytes(crate::common::photo_png(64, 64)).file_name("a.png"),
        );
    let r = browser_client()
        .post(format!("{}/r/{GRID}", app.base))
        .header("sec-fetch-site", "same-origin")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"files-dropped\""), "{html}");
    let again = hidden_fields(&html, "resend");
    assert!(again.contains(&("description".into(), "垃圾桶满了没人清".into())));
}
