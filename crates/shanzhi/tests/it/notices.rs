//! 网格公告与预警 over the API and the pages: a community's warning covers its grids, makes one
//! 叫应 call for every household the register says has someone vulnerable, the grid workers
//! record their calls within their own grid, and the counts per grid equal a recount of the
//! calls; the warning shows on the grid's public page and on the workers' 待办.

use crate::common::{TestApp, error_code, exec_sql, fetch};
use crate::pages::logged_in;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shanzhi_domain::case::beijing_minutes;

const COMMUNITY: &str = "450802001001";
const G1: &str = "450802001001001";
const G2: &str = "450802001001002";
const HOUR: i64 = 3_600_000;

/// Registers a one-person household through the API.
async fn household(app: &TestApp, token: &str, grid: &str, room: &str, who: (&str, &str, &str)) {
    household_with(app, token, grid, room, who, "13977510000").await;
}

/// Registers a one-person household with the phone `phone` (none when empty); returns the
/// person's id.
async fn household_with(
    app: &TestApp,
    token: &str,
    grid: &str,
    room: &str,
    who: (&str, &str, &str),
    phone: &str,
) -> i64 {
    let (name, id_number, tags) = who;
    let (s, h) = app
        .post(
            "/api/v1/households",
            token,
            json!({"grid": grid, "building": "金港花园5栋", "address": "港北区金港大道170号",
                   "unit": "1", "floor": 3, "room": room,
                   "members": [{"name": name, "id_number": id_number, "relation": "户主",
                                "status": "户籍", "phone": phone, "tags": tags}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{h}");
    let (_, people) = app
        .get(&format!("/api/v1/residents?household={}", h["id"]), token)
        .await;
    people[0]["id"].as_i64().expect("the person registered")
}

/// A warning's progress as `reader` sees it, checked grid by grid against a recount of the
/// calls the `workers` list.
async fn recounted(app: &TestApp, id: i64, reader: &str, workers: &[&str]) -> Value {
    let (_, progress) = app
        .get(&format!("/api/v1/notices/{id}/progress"), reader)
        .await;
    let mut all = Vec::new();
    for w in workers {
        all.extend(calls(app, w, id).await);
    }
    for g in progress["grids"].as_array().unwrap() {
        let of = |outcome: Option<&str>| {
            all.iter()
                .filter(|c| c["node_code"] == g["node_code"])
                .filter(|c| outcome.is_none_or(|o| c["outcome"] == o))
                .count() as i64
        };
        assert_eq!(g["total"], of(None), "{g}");
        for outcome in ["reached", "moved", "unreached"] {
            assert_eq!(g[outcome], of(Some(outcome)), "{outcome}: {g}");
        }
    }
    progress
}

/// The 叫应 heading of a 待办 page.
fn calls_section(todo: &str) -> &str {
    todo.split("id=\"todo-calls\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("叫应 on the 待办")
}

/// The calls of a warning as `token` sees them.
async fn calls(app: &TestApp, token: &str, id: i64) -> Vec<Value> {
    let (s, list) = app.get(&format!("/api/v1/notices/{id}/calls"), token).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    list.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_warning_has_every_vulnerable_household_called_and_each_grid_counts_its_calls() {
    let app = TestApp::demo().await;
    let (wg1, wg2, sq) = (
        app.token("wg0101").await,
        app.token("wg0102").await,
        app.token("sq01").await,
    );
    household(
        &app,
        &wg1,
        G1,
        "301",
        ("莫桂英", "450802194402110025", "独居老人"),
    )
    .await;
    household(
        &app,
        &wg1,
        G1,
        "302",
        ("韦国强", "450802195003150032", "残疾人"),
    )
    .await;
    household(
        &app,
        &wg1,
        G1,
        "303",
        ("黄志明", "450802198806060018", "退役军人"),
    )
    .await;
    household(&app, &wg1, G1, "304", ("陆小燕", "450802199001010026", "")).await;
    household(
        &app,
        &wg2,
        G2,
        "101",
        ("覃秀兰", "45080219481212004X", "空巢老人"),
    )
    .await;

    let now = app.now_ms();
    let at = |offset: i64| beijing_minutes(now + offset);
    // A warning needs its colour and its deadline; everything missing is said at once.
    let (s, e) = app
        .post(
            "/api/v1/notices",
            &sq,
            json!({"node": COMMUNITY, "level": "预警", "title": "暴雨橙色预警",
                   "body": "预计今天下午有大暴雨。", "ends": at(24 * HOUR)}),
        )
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_notice")
    );
    let said = e["error"]["message"].as_str().unwrap();
    assert!(
        said.contains("预警要选颜色") && said.contains("叫应时限"),
        "{said}"
    );

    let (s, made) = app
        .post(
            "/api/v1/notices",
            &sq,
            json!({"node": COMMUNITY, "level": "预警", "color": "橙色", "title": "暴雨橙色预警",
                   "body": "预计今天下午到夜间有大暴雨，低洼地带和危旧房屋住户请及时转移。",
                   "ends": at(24 * HOUR), "respond_by": at(3 * HOUR)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    let id = made["notice"]["id"].as_i64().unwrap();
    // Three households have someone vulnerable (独居、残疾、空巢); a veteran alone is not one.
    assert_eq!(made["calls"], 3, "{made}");
    let (_, tree) = app
        .get(&format!("/api/v1/regions/{COMMUNITY}/children"), &sq)
        .await;
    let grids = tree
        .as_array()
        .map(|c| c.iter().filter(|n| n["level"] == "grid").count());
    assert_eq!(made["grids"].as_u64().map(|g| g as usize), grids, "{tree}");

    // Each worker sees the households of their own grid only, and records only those.
    let mine = calls(&app, &wg1, id).await;
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|c| c["node_code"] == G1));
    assert_eq!(mine[0]["phone_masked"], "139****0000");
    let theirs = calls(&app, &wg2, id).await;
    assert_eq!(theirs.len(), 1);
    let (s, _) = app
        .post(
            &format!("/api/v1/notice-calls/{}", mine[0]["id"]),
            &wg2,
            json!({"outcome": "reached"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "another grid's household is out of reach"
    );
    let record = |who: &str, call: &Value, body: Value| {
        let path = format!("/api/v1/notice-calls/{}", call["id"]);
        let (app, who) = (&app, who.to_owned());
        async move { app.post(&path, &who, body).await }
    };
    let (s, _) = record(&wg1, &mine[0], json!({"outcome": "已叫应"})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, e) = record(&wg1, &mine[1], json!({"outcome": "unreached"})).await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "note_required")
    );
    let (s, _) = record(
        &wg1,
        &mine[1],
        json!({"outcome": "unreached", "note": "电话打了三次没人接，上门敲门无人"}),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = record(&wg2, &theirs[0], json!({"outcome": "moved"})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // The counts per grid are a recount of the calls.
    let progress = recounted(&app, id, &sq, &[&wg1, &wg2]).await;

    // The district's command centre sees the same counts, and one grid alone when it asks.
    let centre = app.token("zhzx").await;
    let (_, theirs) = app
        .get(&format!("/api/v1/notices/{id}/progress"), &centre)
        .await;
    assert_eq!(theirs["grids"], progress["grids"]);
    let (_, one) = app
        .get(&format!("/api/v1/notices/{id}/progress?node={G1}"), &centre)
        .await;
    assert_eq!(one["grids"].as_array().map(Vec::len), Some(1), "{one}");
    assert_eq!(one["grids"][0]["reached"], 1);
    let (s, _) = app
        .get(
            &format!("/api/v1/notices/{id}/progress?node=450802001002"),
            &centre,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "outside the warning's area");
    // The wall screen of the district names the warning with its count.
    let (board, _) = logged_in(&app, "zhzx").await;
    let (_, wall) = fetch(&app, &board, "/dashboard?node=450802").await;
    let line = wall
        .split("id=\"board-calls\"")
        .nth(1)
        .and_then(|l| l.split("</p>").next())
        .expect("预警叫应 on the wall screen");
    assert!(
        line.contains("暴雨橙色预警") && line.contains("2/3"),
        "{line}"
    );
    let link = line
        .split("href=\"")
        .nth(1)
        .and_then(|h| h.split('"').next())
        .unwrap();
    let (s, _) = fetch(&app, &board, &link.replace("&amp;", "&")).await;
    assert_eq!(s, StatusCode::OK, "{link}");

    // The warning is on the grid's public page, and on the worker's 待办 with what is open.
    let c = crate::pages::browser_client();
    let (_, public) = fetch(&app, &c, &format!("/r/{G2}")).await;
    assert!(
        public.contains("橙色预警") && public.contains("暴雨橙色预警"),
        "{public}"
    );
    let (worker, _) = logged_in(&app, "wg0101").await;
    let (_, todo) = fetch(&app, &worker, "/todo").await;
    let section = calls_section(&todo);
    assert!(
        section.contains("data-count=\"1\""),
        "one household still open: {section}"
    );
    assert!(!section.contains("light red"), "before the deadline");

    // Past the deadline the community sees the grid late, and the list of who is missing.
    exec_sql(
        &app,
        shanzhi_store::Sql::new("UPDATE notices SET respond_by = ? WHERE id = ?")
            .bind(now - 1)
            .bind(id),
    )
    .await;
    let (officer, _) = logged_in(&app, "sq01").await;
    let (_, page) = fetch(&app, &officer, &format!("/notices/{id}")).await;
    let late_row = page
        .split(&format!("data-grid=\"{G1}\""))
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .expect("the grid's row");
    assert!(
        late_row.contains("1/2") && late_row.contains("逾期"),
        "{late_row}"
    );
    assert!(page.contains("id=\"call-map\""), "the grids on a map");
    let (_, todo) = fetch(&app, &officer, "/todo").await;
    let section = calls_section(&todo);
    assert!(section.contains("light red"), "{section}");
    let (_, list) = fetch(&app, &officer, &format!("/notices/{id}/calls")).await;
    assert!(
        list.contains("电话打了三次没人接"),
        "the community reads what was tried"
    );

    // The worker dials from the list: the household's phone in full, the opening audited;
    // another grid's worker cannot.
    let (_, list) = fetch(&app, &worker, &format!("/notices/{id}/calls")).await;
    let dial = format!("/notice-calls/{}/phones", mine[1]["id"]);
    assert!(list.contains(&dial), "a dial button on an open call");
    let form = [("_csrf", crate::pages::csrf_of(&list))];
    let r = worker
        .post(format!("{}{dial}", app.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("href=\"tel:13977510000\""), "{page}");
    let (other, _) = logged_in(&app, "wg0102").await;
    let (_, theirs) = fetch(&app, &other, &format!("/notices/{id}/calls")).await;
    let r = other
        .post(format!("{}{dial}", app.base))
        .form(&[("_csrf", crate::pages::csrf_of(&theirs))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (_, trail) = app
        .get(
            "/api/v1/audit?action=notice.call_phones",
            &app.token("sj01").await,
        )
        .await;
    assert_eq!(trail.as_array().map(Vec::len), Some(1), "{trail}");

    // Reached on a second try: the grid's counts move with the call.
    let (s, _) = record(
        &wg1,
        &mine[1],
        json!({"outcome": "reached", "note": "晚上回电，已知晓"}),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let progress = recounted(&app, id, &sq, &[&wg1, &wg2]).await;
    let g1 = progress["grids"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["node_code"] == G1))
        .unwrap();
    assert_eq!((&g1["reached"], &g1["unreached"]), (&json!(2), &json!(0)));
}

#[tokio::test]
async fn a_notice_reaches_only_its_area_and_only_staff_who_keep_it() {
    let app = TestApp::demo().await;
    let sq = app.token("sq01").await;
    let ends = beijing_minutes(app.now_ms() + 48 * HOUR);
    let (s, made) = app
        .post(
            "/api/v1/notices",
            &sq,
            json!({"node": G1, "level": "重要", "title": "明日停水",
                   "body": "明天8时至18时金港花园停水检修，请提前储水。", "ends": ends}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    assert_eq!(
        (made["grids"].as_i64(), made["calls"].as_i64()),
        (Some(1), Some(0))
    );
    let c = crate::pages::browser_client();
    let (_, here) = fetch(&app, &c, &format!("/r/{G1}")).await;
    assert!(here.contains("明日停水"));
    let (_, next_door) = fetch(&app, &c, &format!("/r/{G2}")).await;
    assert!(
        !next_door.contains("明日停水"),
        "another grid's notice is not shown"
    );
    // A grid worker reads notices but does not publish; a volunteer neither.
    let wg = app.token("wg0101").await;
    let (s, _) = app
        .post(
            "/api/v1/notices",
            &wg,
            json!({"node": G1, "level": "一般", "title": "x", "body": "x", "ends": ends}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, list) = app.get("/api/v1/notices", &wg).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list[0]["title"], "明日停水");
    let (s, _) = app.get("/api/v1/notices", &app.token("zy01").await).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Out of the caller's area: not found.
    let (s, _) = app
        .post(
            "/api/v1/notices",
            &sq,
            json!({"node": "450802001002", "level": "一般", "title": "x", "body": "x", "ends": ends}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// A point inside grid `code`: the middle of its boundary's first ring.
async fn inside(app: &TestApp, token: &str, code: &str) -> (f64, f64) {
    let (_, doc) = app
        .get(&format!("/api/v1/regions/export?root={code}"), token)
        .await;
    let feature = doc["features"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["properties"]["code"] == code))
        .unwrap_or_else(|| panic!("{code} exported: {doc}"));
    let geometry = &feature["geometry"];
    let ring = match geometry["type"].as_str() {
        Some("MultiPolygon") => &geometry["coordinates"][0][0],
        _ => &geometry["coordinates"][0],
    };
    let points: Vec<(f64, f64)> = ring
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    let n = (points.len() - 1) as f64;
    let sum = points[..points.len() - 1]
        .iter()
        .fold((0.0, 0.0), |(x, y), p| (x + p.0, y + p.1));
    (sum.0 / n, sum.1 / n)
}

/// An instant as CAP writes it, in Beijing time.
fn cap_time(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap()
        .to_offset(time::macros::offset!(+8));
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// A CAP 1.2 message as a county's meteorological office sends it at `now`, valid six hours,
/// its area a small square around (lon, lat).
fn cap_message(now: i64, identifier: &str, kind: &str, around: (f64, f64), extra: &str) -> String {
    let (sent, expires) = (cap_time(now), cap_time(now + 6 * HOUR));
    let (lon, lat) = around;
    let d = 0.0005;
    let ring = [
        (lat + d, lon - d),
        (lat + d, lon + d),
        (lat - d, lon + d),
        (lat - d, lon - d),
        (lat + d, lon - d),
    ]
    .iter()
    .map(|(a, o)| format!("{a:.6},{o:.6}"))
    .collect::<Vec<_>>()
    .join(" ");
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier><sender>港北区气象台</sender>
  <sent>{sent}</sent><status>Actual</status><msgType>{kind}</msgType>
  <scope>Public</scope>{extra}
  <info><language>zh-CN</language><category>Met</category><event>暴雨</event>
    <urgency>Immediate</urgency><severity>Extreme</severity><certainty>Likely</certainty>
    <effective>{sent}</effective><expires>{expires}</expires>
    <headline>港北区气象台发布暴雨红色预警信号</headline>
    <description>过去3小时港北区部分地区降雨量已达100毫米以上，且降雨将持续。</description>
    <instruction>低洼地带、危旧房屋住户请立即转移。</instruction>
    <area><areaDesc>金港花园一带</areaDesc><polygon>{ring}</polygon></area>
  </info>
</alert>"#
    )
}

#[tokio::test]
async fn a_cap_warning_covers_the_grids_under_its_area_once_and_is_lifted_by_its_cancel() {
    let app = TestApp::demo().await;
    let (wg1, sq) = (app.token("wg0101").await, app.token("sq01").await);
    household(
        &app,
        &wg1,
        G1,
        "301",
        ("莫桂英", "450802194402110025", "独居老人"),
    )
    .await;
    let at = inside(&app, &sq, G1).await;
    let now = app.now_ms();
    let message = cap_message(now, "GX-GB-20261118-001", "Alert", at, "");
    let post = |xml: String| {
        let app = &app;
        let sq = sq.clone();
        async move {
            let resp = reqwest::Client::new()
                .post(format!("{}/api/v1/notices/cap", app.base))
                .bearer_auth(&sq)
                .header("content-type", "application/xml")
                .body(xml)
                .send()
                .await
                .unwrap();
            let status = resp.status();
            (status, resp.json::<Value>().await.unwrap())
        }
    };
    let (s, made) = post(message.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    assert_eq!(
        (made["grids"].as_i64(), made["calls"].as_i64()),
        (Some(1), Some(1))
    );
    let notice = &made["notice"];
    assert_eq!(
        (notice["level"].as_str(), notice["color"].as_str()),
        (Some("warning"), Some("red"))
    );
    // A red warning is to be called within the hour.
    let respond = notice["respond_by"].as_i64().unwrap();
    let within = respond - notice["starts_at"].as_i64().unwrap();
    assert!((HOUR..HOUR + 60_000).contains(&within), "{within} ms");
    let id = notice["id"].as_i64().unwrap();
    let (_, progress) = app
        .get(&format!("/api/v1/notices/{id}/progress"), &sq)
        .await;
    let grids: Vec<&str> = progress["grids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["node_code"].as_str().unwrap())
        .collect();
    assert_eq!(grids, [G1], "only the grid under the area");
    // The same message again is the same warning.
    let (s, again) = post(message).await;
    assert_eq!(
        (s, &again["notice"]["id"]),
        (StatusCode::OK, &Value::from(id))
    );
    // Not CAP, or an area outside the caller's grids: said plainly.
    let (s, e) = post("<kml></kml>".into()).await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_cap")
    );
    let (s, e) = post(cap_message(
        now,
        "GX-GB-20261118-002",
        "Alert",
        (100.0, 30.0),
        "",
    ))
    .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "outside_area")
    );
    // The office lifts it: it leaves the grid's page.
    let c = crate::pages::browser_client();
    let (_, page) = fetch(&app, &c, &format!("/r/{G1}")).await;
    assert!(page.contains("暴雨红色预警信号"));
    let lift = cap_message(
        now,
        "GX-GB-20261118-003",
        "Cancel",
        at,
        &format!(
            "<references>港北区气象台,GX-GB-20261118-001,{}</references>",
            cap_time(now)
        ),
    );
    let (s, ended) = post(lift).await;
    assert_eq!(s, StatusCode::OK, "{ended}");
    assert!(ended["notice"]["ends_at"].as_i64() <= Some(app.now_ms()));
    let (_, page) = fetch(&app, &c, &format!("/r/{G1}")).await;
    assert!(!page.contains("暴雨红色预警信号"));
}

#[tokio::test]
async fn a_resident_opts_in_by_code_gets_the_notice_by_text_and_reads_and_leaves_by_its_link() {
    let app = TestApp::demo().await;
    let phone = "13977586655";
    let c = crate::pages::browser_client();
    let page = format!("/r/{G1}/notices");
    let (_, html) = fetch(&app, &c, &page).await;
    let post = |fields: Vec<(&'static str, String)>| {
        let (app, c, page) = (&app, &c, page.clone());
        async move {
            let r = c
                .post(format!("{}{page}", app.base))
                .form(&fields)
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let csrf = crate::pages::csrf_of(&html);
    let (s, html) = post(vec![("_csrf", csrf.clone()), ("phone", phone.into())]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("name=\"otp\"") && html.contains(phone),
        "{html}"
    );
    let (_, html) = post(vec![
        ("_csrf", csrf.clone()),
        ("phone", phone.into()),
        ("otp", "000000".into()),
    ])
    .await;
    assert!(html.contains("验证码不对"), "{html}");
    let code = app.code_sent_to(phone);
    let (_, html) = post(vec![
        ("_csrf", csrf),
        ("phone", phone.into()),
        ("otp", code),
    ])
    .await;
    assert!(html.contains("已订阅"), "{html}");

    let sq = app.token("sq01").await;
    let ends = beijing_minutes(app.now_ms() + 24 * HOUR);
    let (s, made) = app
        .post(
            "/api/v1/notices",
            &sq,
            json!({"node": COMMUNITY, "level": "重要", "title": "周二停水检修",
                   "body": "周二8:00—18:00东湖社区停水，请提前储水。", "ends": ends}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    assert_eq!(made["texts"], 1, "one resident opted in: {made}");
    let text = app.texted(phone, "周二停水检修").await;
    assert!(text.contains("网格公告 重要：周二停水检修。"), "{text}");
    let link = text
        .split("/n/")
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .expect("a link of its own")
        .to_owned();
    let id = made["notice"]["id"].as_i64().unwrap();
    let texts_of = || async {
        let (_, p) = app
            .get(&format!("/api/v1/notices/{id}/progress"), &sq)
            .await;
        p["texts"][0].clone()
    };
    crate::common::eventually("the text sent", || async { texts_of().await["sent"] == 1 }).await;
    assert_eq!(texts_of().await["read"], 0);
    let (s, opened) = fetch(&app, &c, &format!("/n/{link}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(opened.contains("周二8:00—18:00东湖社区停水"));
    let row = texts_of().await;
    assert_eq!(
        (&row["node_code"], &row["read"]),
        (&Value::from(G1), &Value::from(1))
    );
    // Leaving from the link: the next notice sends nothing to that phone.
    let (_, opened) = fetch(&app, &c, &format!("/n/{link}")).await;
    let r = c
        .post(format!("{}/n/{link}/stop", app.base))
        .form(&[("_csrf", crate::pages::csrf_of(&opened))])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("已退订"));
    let (_, again) = app
        .post(
            "/api/v1/notices",
            &sq,
            json!({"node": COMMUNITY, "level": "一般", "title": "疫苗接种",
                   "body": "周六上午社区卫生站接种流感疫苗。", "ends": ends}),
        )
        .await;
    assert_eq!(again["texts"], 0, "{again}");
    let (s, _) = fetch(&app, &c, "/n/NOSUCHCODE").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn texts_go_to_those_who_agreed_the_gateway_reports_delivery_and_a_reply_td_stops_them() {
    let gateway = crate::pages_public::Gateway::start().await;
    let sender =
        shanzhi_app::sms::HttpGateway::new(&gateway.url, Some("gw-key".into()), None, "").unwrap();
    let app = TestApp::demo_with(
        shanzhi_app::AppConfig {
            sms: shanzhi_app::sms::Sms(std::sync::Arc::new(sender)),
            webhook_retry_base_ms: 20,
            ..Default::default()
        },
        shanzhi_web::WebConfig {
            sms_callback_key: Some("cb-key-2026".into()),
            ..Default::default()
        },
    )
    .await;
    let (wg1, sq) = (app.token("wg0101").await, app.token("sq01").await);
    let agreed = ("13977520001", "450802194402110025");
    let declined = ("13977520002", "450802195003150032");
    let a = household_with(
        &app,
        &wg1,
        G1,
        "301",
        ("莫桂英", agreed.1, "独居老人"),
        agreed.0,
    )
    .await;
    household_with(
        &app,
        &wg1,
        G1,
        "302",
        ("韦国强", declined.1, ""),
        declined.0,
    )
    .await;
    let none = household_with(
        &app,
        &wg1,
        G1,
        "303",
        ("黄志明", "450802198806060018", ""),
        "",
    )
    .await;
    let consent = |person: i64, agree: bool| {
        let (app, wg1) = (&app, wg1.clone());
        async move {
            let r = reqwest::Client::new()
                .put(format!(
                    "{}/api/v1/residents/{person}/notice-consent",
                    app.base
                ))
                .bearer_auth(&wg1)
                .json(&json!({"consent": agree}))
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (s, _) = consent(a, true).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, e) = consent(none, true).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "no phone to text: {e}");
    // The consent is on the register and its audit trail.
    let (_, person) = app.get(&format!("/api/v1/residents/{a}"), &wg1).await;
    assert!(person["person"]["notice_consent_at"].is_i64(), "{person}");
    let auditor = app.token("sj01").await;
    let (_, trail) = app
        .get("/api/v1/audit?action=register.notice_consent", &auditor)
        .await;
    assert_eq!(trail.as_array().map(Vec::len), Some(1), "{trail}");
    // The person's page offers 撤回 to those who keep the register, and only shows it to others.
    for (user, offers) in [("wg0101", true), ("zhzx", false)] {
        let (c, _) = crate::pages::logged_in(&app, user).await;
        let (s, html) = crate::common::fetch(&app, &c, &format!("/residents/{a}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("本人已同意接收"), "{user}");
        assert_eq!(
            html.contains("notice-consent\" class=\"inline\""),
            offers,
            "{user}"
        );
    }

    let ends = beijing_minutes(app.now_ms() + 24 * HOUR);
    let notice = |title: &'static str| {
        let (app, sq, ends) = (&app, sq.clone(), ends.clone());
        async move {
            let (s, made) = app
                .post(
                    "/api/v1/notices",
                    &sq,
                    json!({"node": COMMUNITY, "level": "重要", "title": title,
                           "body": "请留意。", "ends": ends}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{made}");
            made
        }
    };
    let made = notice("周二停水检修").await;
    assert_eq!(made["texts"], 1, "only the one who agreed: {made}");
    let id = made["notice"]["id"].as_i64().unwrap();
    let text = gateway.wait_for("周二停水检修").await;
    assert_eq!(text["phone"], agreed.0);
    assert!(
        text["content"].as_str().unwrap().contains("回复TD退订"),
        "{text}"
    );
    assert_eq!(gateway.sent_to(declined.0), 0);
    let texts = || async {
        let (_, p) = app
            .get(&format!("/api/v1/notices/{id}/progress"), &sq)
            .await;
        p["texts"][0].clone()
    };
    crate::common::eventually("the gateway took it", || async {
        texts().await["sent"] == 1
    })
    .await;
    assert_eq!(texts().await["delivered"], 0, "no report yet");

    // The gateway's status report: only with the callback key; then the text is delivered.
    let callback = |path: &'static str, key: &'static str, body: Value| {
        let app = &app;
        async move {
            let r = reqwest::Client::new()
                .post(format!("{}/api/v1/sms/{path}", app.base))
                .bearer_auth(key)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap_or_default())
        }
    };
    let report = json!([{"phone_number": agreed.0, "success": true, "err_code": "DELIVERED",
                         "biz_id": text["biz_id"], "report_time": "2026-11-18 10:01:02"}]);
    let (s, _) = callback("receipts", "wrong-key", report.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(texts().await["delivered"], 0);
    let (s, answer) = callback("receipts", "cb-key-2026", report).await;
    assert_eq!(
        (s, &answer["code"], &answer["applied"]),
        (StatusCode::OK, &json!(0), &json!(1))
    );
    let row = texts().await;
    assert_eq!((&row["delivered"], &row["failed"]), (&json!(1), &json!(0)));
    // A second report for the same text changes nothing.
    let (_, again) = callback(
        "receipts",
        "cb-key-2026",
        json!({"reports": [{"msgid": text["biz_id"], "stat": "UNDELIV"}]}),
    )
    .await;
    assert_eq!(again["applied"], 0);

    // A chatty reply is left for people to read; TD stops the texts, on the register too.
    let (_, chat) = callback(
        "replies",
        "cb-key-2026",
        json!({"phone_number": agreed.0, "content": "收到，谢谢网格员"}),
    )
    .await;
    assert_eq!(chat["applied"], 0);
    let (s, stop) = callback(
        "replies",
        "cb-key-2026",
        json!([{"phone_number": agreed.0, "content": "TD", "sign_name": "善治"}]),
    )
    .await;
    assert_eq!((s, &stop["applied"]), (StatusCode::OK, &json!(1)));
    let (_, person) = app.get(&format!("/api/v1/residents/{a}"), &wg1).await;
    assert!(person["person"]["notice_consent_at"].is_null(), "{person}");
    let (_, trail) = app
        .get("/api/v1/audit?action=notice.unsubscribe", &auditor)
        .await;
    assert_eq!(trail.as_array().map(Vec::len), Some(1), "{trail}");
    let made = notice("疫苗接种").await;
    assert_eq!(made["texts"], 0, "{made}");
}

#[tokio::test]
async fn a_notice_carries_attachments_that_residents_download_while_it_is_shown() {
    use reqwest::multipart::{Form, Part};
    let app = TestApp::demo().await;
    let sq = app.token("sq01").await;
    let ends = beijing_minutes(app.now_ms() + 24 * HOUR);
    let (_, made) = app
        .post(
            "/api/v1/notices",
            &sq,
            json!({"node": COMMUNITY, "level": "一般", "title": "流感疫苗免费接种",
                   "body": "周六上午社区卫生站接种，请带登记表。", "ends": ends}),
        )
        .await;
    let id = made["notice"]["id"].as_i64().unwrap();
    let (officer, _) = logged_in(&app, "sq01").await;
    let upload = |name: &'static str, bytes: &'static [u8]| {
        let (app, officer) = (&app, officer.clone());
        async move {
            let (_, page) = fetch(app, &officer, &format!("/notices/{id}")).await;
            let form = Form::new()
                .text("_csrf", crate::pages::csrf_of(&page))
                .part("file", Part::bytes(bytes).file_name(name));
            let r = officer
                .post(format!("{}/notices/{id}/files", app.base))
                .multipart(form)
                .send()
                .await
                .unwrap();
            let to = r.headers()["location"].to_str().unwrap().to_owned();
            fetch(app, &officer, &to).await.1
        }
    };
    let pdf: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let said = upload("接种登记表.pdf", pdf).await;
    assert!(said.contains("已添加附件"), "{said}");
    let said = upload("登记表.pdf", b"MZ\x90\x00 not a pdf").await;
    assert!(
        said.contains("不是 PDF、图片、Word、Excel 或 WPS 文件"),
        "{said}"
    );

    // On the grid's public page, and downloaded as sent with its Chinese name.
    let c = crate::pages::browser_client();
    let (_, page) = fetch(&app, &c, &format!("/r/{G1}")).await;
    let link = page
        .split("href=\"/notice-files/")
        .nth(1)
        .and_then(|l| l.split('"').next())
        .expect("the attachment on the grid's page")
        .to_owned();
    assert!(page.contains("附件：接种登记表.pdf"));
    let r = c
        .get(format!("{}/notice-files/{link}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("filename*=UTF-8''%E6%8E%A5"),
        "{disposition}"
    );
    assert_eq!(&r.bytes().await.unwrap()[..], pdf);
    // Once the notice ends, so does the attachment.
    exec_sql(
        &app,
        shanzhi_store::Sql::new("UPDATE notices SET ends_at = ? WHERE id = ?")
            .bind(app.now_ms() - 1)
            .bind(id),
    )
    .await;
    let (s, _) = fetch(&app, &c, &format!("/notice-files/{link}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
