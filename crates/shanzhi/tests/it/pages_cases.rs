//! Staff case pages over HTTP: lists by stage with deadline lights, the case page with the
//! viewer's actions as forms.

use crate::common::TestApp;
use crate::pages::csrf_of;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::json;

async fn login(app: &TestApp, username: &str) -> reqwest::Client {
    crate::pages::logged_in(app, username).await.0
}

async fn page(app: &TestApp, c: &reqwest::Client, path: &str) -> String {
    c.get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn act(app: &TestApp, c: &reqwest::Client, id: i64, fields: &[(&str, &str)]) -> String {
    let html = page(app, c, &format!("/cases/{id}")).await;
    let version = html
        .split("name=\"version\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let mut form = vec![("version", version.as_str())];
    form.extend_from_slice(fields);
    submit(app, c, id, "act", &form).await
}

#[tokio::test]
async fn officers_and_workers_carry_a_case_through_the_pages() {
    let app = TestApp::demo().await;
    let worker_token = app.token("wg0101").await;
    let (s, case) = app
        .post("/api/v1/cases", &worker_token, json!({"category": "0102", "title": "物业电梯停运", "description": "5栋电梯停运三天，物业未维修", "node_code": "450802001001001"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let id = case["id"].as_i64().unwrap();

    let officer = login(&app, "sq01").await;
    let list = page(&app, &officer, "/cases?stage=reported").await;
    assert!(
        list.contains("物业电梯停运")
            && list.contains("物业纠纷")
            && list.contains("class=\"light green\""),
        "{list}"
    );
    let detail = page(&app, &officer, &format!("/cases/{id}")).await;
    assert!(
        detail.contains("受理")
            && detail.contains("不予受理")
            && !detail.contains("value=\"handle\"")
    );

    let forged = officer
        .post(format!("{}/cases/{id}/act", app.base))
        .form(&[("action", "accept"), ("version", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.status(),
        StatusCode::FORBIDDEN,
        "no CSRF token, no action"
    );

    let after = act(&app, &officer, id, &[("action", "accept")]).await;
    assert!(after.contains("已办理，当前状态：受理") && after.contains("分流交办"));
    let after = act(
        &app,
        &officer,
        id,
        &[("action", "dispatch"), ("to", "grid")],
    )
    .await;
    assert!(after.contains("分流交办") && after.contains("东湖社区第一网格"));
    let refused = act(
        &app,
        &officer,
        id,
        &[("action", "reject"), ("text", "重复反映")],
    )
    .await;
    assert!(
        refused.contains("当前状态为「分流交办」"),
        "a refused step says why"
    );

    let worker = login(&app, "wg0101").await;
    let mine = page(&app, &worker, "/cases?stage=dispatched").await;
    assert!(mine.contains("物业电梯停运"));
    act(&app, &worker, id, &[("action", "start")]).await;
    let done = act(
        &app,
        &worker,
        id,
        &[
            ("action", "handle"),
            ("text", "已协调物业更换电梯主板，恢复运行"),
        ],
    )
    .await;
    assert!(done.contains("办结") && done.contains("恢复运行"));
    assert!(
        !done.contains("value=\"verify_pass\""),
        "the worker does not verify its own work"
    );
    let verified = act(&app, &officer, id, &[("action", "verify_pass")]).await;
    assert!(verified.contains("核查通过"));

    let other = login(&app, "wg0102").await;
    let r = other
        .get(format!("{}/cases/{id}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_street_blows_the_whistle_from_the_case_page_and_the_department_reports_in() {
    let app = TestApp::demo().await;
    let worker_token = app.token("wg0101").await;
    let (_, case) = app
        .post("/api/v1/cases", &worker_token, json!({"category": "0106", "title": "夜市占道", "description": "夜市摊点占道经营", "node_code": "450802001001001"}))
        .await;
    let id = case["id"].as_i64().unwrap();
    let street = login(&app, "jd01").await;
    let html = page(&app, &street, &format!("/cases/{id}")).await;
    assert!(html.contains("吹哨") && html.contains("贵城派出所"));
    let dept = html
        .split("贵城派出所")
        .next()
        .unwrap()
        .rsplit("name=\"d_")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let csrf = csrf_of(&html);
    let r = street
        .post(format!("{}/cases/{id}/summon", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            (format!("d_{dept}").as_str(), "1"),
            ("reason", "夜市占道，需民警到场疏导"),
            ("place", "东湖夜市入口"),
            ("meet_at", "2026-12-31T20:00"),
            ("hours", "3"),
        ])
        .send()
        .await
        .unwrap();
    let after = page(&app, &street, r.headers()[LOCATION].to_str().unwrap()).await;
    assert!(
        after.contains("已吹哨召集 1 个部门")
            && after.contains("待报到")
            && after.contains(
                "事由：夜市占道，需民警到场疏导；地点：东湖夜市入口；碰头：2026-12-31 20:00"
            ),
        "{after}"
    );

    let police = login(&app, "pcs01").await;
    let html = page(&app, &police, &format!("/cases/{id}")).await;
    assert!(html.contains("本部门承担的工作"));
    let csrf = csrf_of(&html);
    let r = police
        .post(format!("{}/cases/{id}/report-in", app.base))
        .form(&[("_csrf", csrf.as_str()), ("part", "派民警到场疏导")])
        .send()
        .await
        .unwrap();
    let after = page(&app, &police, r.headers()[LOCATION].to_str().unwrap()).await;
    assert!(after.contains("已报到") && after.contains("派民警到场疏导"));
}

/// A case of `category` in 东湖社区第一网格, accepted and dispatched by the grid leader and
/// taken up by the grid worker, all through the pages; returns its id, the worker's browser and
/// the page the worker then sees.
async fn taken_up_on_pages(
    app: &TestApp,
    category: &str,
    title: &str,
) -> (i64, reqwest::Client, String) {
    let token = app.token("wg0101").await;
    let (_, case) = app
        .post("/api/v1/cases", &token, json!({"category": category, "title": title, "description": title, "node_code": "450802001001001"}))
        .await;
    let id = case["id"].as_i64().unwrap();
    let (leader, worker) = (login(app, "wgz01").await, login(app, "wg0101").await);
    act(app, &leader, id, &[("action", "accept")]).await;
    act(app, &leader, id, &[("action", "dispatch"), ("to", "grid")]).await;
    let html = act(app, &worker, id, &[("action", "start")]).await;
    (id, worker, html)
}

/// Submits a form on the case page to `/cases/{id}/{path}` and returns the page it leads to.
async fn submit(
    app: &TestApp,
    c: &reqwest::Client,
    id: i64,
    path: &str,
    fields: &[(&str, &str)],
) -> String {
    let csrf = csrf_of(&page(app, c, &format!("/cases/{id}")).await);
    let mut form = vec![("_csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let r = c
        .post(format!("{}/cases/{id}/{path}", app.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    page(app, c, r.headers()[LOCATION].to_str().unwrap()).await
}

#[tokio::test]
async fn a_suspension_is_asked_approved_and_lifted_on_the_case_page() {
    let app = TestApp::demo().await;
    let (id, worker, html) = taken_up_on_pages(&app, "0201", "楼道堆物").await;
    let officer = login(&app, "sq01").await;
    assert!(html.contains("id=\"deadline-requests\"") && html.contains("自然时"));

    let html = submit(
        &app,
        &worker,
        id,
        "request",
        &[("kind", "extend"), ("hours", "abc"), ("reason", "等配件")],
    )
    .await;
    assert!(
        html.contains("请填写延期小时数"),
        "a bad number is explained"
    );
    let html = submit(
        &app,
        &worker,
        id,
        "request",
        &[("kind", "suspend"), ("hours", ""), ("reason", "住户外出")],
    )
    .await;
    assert!(
        html.contains("已提交挂起申请") && html.contains("待审批"),
        "{html}"
    );
    assert!(
        !html.contains("action=\"/cases/{id}/decide\""),
        "the handler does not decide"
    );

    let html = page(&app, &officer, &format!("/cases/{id}")).await;
    assert!(html.contains(&format!("action=\"/cases/{id}/decide\"")));
    let html = submit(
        &app,
        &officer,
        id,
        "decide",
        &[("approve", "1"), ("note", "")],
    )
    .await;
    assert!(
        html.contains("已同意申请")
            && html.contains("id=\"suspended\"")
            && html.contains("class=\"light grey\""),
        "{html}"
    );

    let html = submit(&app, &worker, id, "resume", &[]).await;
    assert!(
        html.contains("已恢复计时") && !html.contains("id=\"suspended\""),
        "{html}"
    );
}

#[tokio::test]
async fn a_dispute_is_mediated_on_the_case_page() {
    let app = TestApp::demo().await;
    let (id, worker, html) = taken_up_on_pages(&app, "0101", "噪音纠纷").await;
    assert!(html.contains("id=\"mediation\"") && html.contains("登记纠纷信息"));

    let html = submit(
        &app,
        &worker,
        id,
        "dispute",
        &[
            ("applicants", "张建国"),
            ("respondents", "李桂芳，李明"),
            ("amount", "一百"),
            ("kind1", "grid_worker"),
            ("name1", "韦小燕"),
        ],
    )
    .await;
    assert!(
        html.contains("涉及金额请填写数字"),
        "a bad amount is explained"
    );
    let html = submit(
        &app,
        &worker,
        id,
        "dispute",
        &[
            ("applicants", "张建国"),
            ("respondents", "李桂芳，李明"),
            ("amount", "300"),
            ("dispute_type", ""),
            ("kind1", "grid_worker"),
            ("name1", "韦小燕"),
            ("kind2", "peoples_mediator"),
            ("name2", ""),
        ],
    )
    .await;
    assert!(
        html.contains("已登记纠纷信息")
            && html.contains("涉及金额 300.00 元")
            && html.contains("李明"),
        "{html}"
    );
    let html = submit(
        &app,
        &worker,
        id,
        "dispute/session",
        &[
            ("place", "社区调解室"),
            ("notes", "双方同意晚十点后保持安静"),
        ],
    )
    .await;
    assert!(html.contains("已记录本次调解") && html.contains("社区调解室"));
    let html = submit(
        &app,
        &worker,
        id,
        "dispute/outcome",
        &[
            ("result", "settled"),
            ("text", "签订邻里公约"),
            ("referral", ""),
        ],
    )
    .await;
    assert!(
        html.contains("id=\"mediation-outcome\"") && html.contains("调解成功：签订邻里公约"),
        "{html}"
    );
    let html = submit(
        &app,
        &worker,
        id,
        "dispute/follow-up",
        &[("note", "回访无反复"), ("stable", "1")],
    )
    .await;
    assert!(html.contains("已记录稳控回访") && html.contains("回访无反复"));
}

/// The count under a heading of 我的待办 (0 when the heading is not shown).
fn todo_count(html: &str, heading: &str) -> i64 {
    html.split(&format!("id=\"todo-{heading}\""))
        .nth(1)
        .and_then(|s| s.split("data-count=\"").nth(1))
        .and_then(|s| s.split('"').next())
        .map_or(0, |n| n.parse().unwrap())
}

/// The part of 我的待办 under one heading.
fn todo_part<'a>(html: &'a str, heading: &str) -> &'a str {
    html.split(&format!("id=\"todo-{heading}\""))
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .unwrap_or("")
}

#[tokio::test]
async fn the_todo_page_lists_what_waits_on_each_caller_and_nothing_else() {
    use crate::common::step;
    let app = TestApp::demo().await;
    let (worker, leader, street, city) = (
        app.token("wg0101").await,
        app.token("wgz01").await,
        app.token("jd01").await,
        app.token("zhzx").await,
    );
    let pages = [
        login(&app, "wg0101").await,
        login(&app, "sq01").await,
        login(&app, "cg01").await,
    ];
    let [worker_page, officer_page, department_page] = &pages;
    let before = [
        page(&app, worker_page, "/todo").await,
        page(&app, officer_page, "/todo").await,
        page(&app, department_page, "/todo").await,
    ];
    let file = |title: &'static str, category: &'static str| {
        let (app, worker) = (&app, &worker);
        async move {
            let (s, case) = app
                .post("/api/v1/cases", worker, json!({"category": category, "title": title, "description": title, "node_code": "450802001001001"}))
                .await;
            assert_eq!(s, StatusCode::CREATED, "{case}");
            case["id"].as_i64().unwrap()
        }
    };
    // Two matters for the grid, one the command centre hands to 城管.
    let drain = file("待办测试：下水道堵塞", "03").await;
    let rubbish = file("待办测试：垃圾堆放", "03").await;
    let stall = file("待办测试：井盖缺失", "0403").await;
    for id in [drain, rubbish] {
        step(&app, &leader, id, json!({"action": "accept"})).await;
        step(
            &app,
            &leader,
            id,
            json!({"action": "dispatch", "to": "grid"}),
        )
        .await;
    }
    let (_, me) = app.get("/api/v1/me", &app.token("cg01").await).await;
    let cg = me["department_id"].as_i64().unwrap();
    step(&app, &city, stall, json!({"action": "accept"})).await;
    step(
        &app,
        &city,
        stall,
        json!({"action": "dispatch", "to": "department", "department_id": cg}),
    )
    .await;

    let html = page(&app, worker_page, "/todo").await;
    assert_eq!(
        todo_count(&html, "dispatched"),
        todo_count(&before[0], "dispatched") + 2,
        "{html}"
    );
    let waiting = todo_part(&html, "dispatched");
    assert!(
        waiting.contains("下水道堵塞")
            && waiting.contains("垃圾堆放")
            && waiting.contains("class=\"light"),
        "{waiting}"
    );
    assert!(
        !html.contains("待办测试：井盖缺失"),
        "a case held by a department is not the grid worker's to take"
    );
    let html = page(&app, department_page, "/todo").await;
    assert_eq!(
        todo_count(&html, "dispatched"),
        todo_count(&before[2], "dispatched") + 1
    );
    assert!(todo_part(&html, "dispatched").contains("井盖缺失"));

    // Started and handled, the drain moves from the worker's list to the community's 待核查.
    step(&app, &worker, drain, json!({"action": "start"})).await;
    let html = page(&app, worker_page, "/todo").await;
    assert!(todo_part(&html, "in_progress").contains("下水道堵塞"));
    assert!(!todo_part(&html, "dispatched").contains("下水道堵塞"));
    step(
        &app,
        &worker,
        drain,
        json!({"action": "handle", "result": "已疏通"}),
    )
    .await;
    let html = page(&app, worker_page, "/todo").await;
    assert!(
        !html.contains("下水道堵塞"),
        "handled: nothing left for the worker"
    );
    let html = page(&app, officer_page, "/todo").await;
    assert_eq!(
        todo_count(&html, "handled"),
        todo_count(&before[1], "handled") + 1
    );
    assert!(todo_part(&html, "handled").contains("下水道堵塞"));

    // Summoned by the street, the department finds the summons on its list.
    let summoned = file("待办测试：夜市噪音", "0106").await;
    let (s, body) = app
        .post(
            &format!("/api/v1/cases/{summoned}/summons"),
            &street,
            json!({"department_ids": [cg], "reason": "夜市噪音扰民，需执法"}),
        )
        .await;
    assert!(s.is_success(), "{body}");
    let html = page(&app, department_page, "/todo").await;
    let summons = todo_part(&html, "summons");
    assert!(
        summons.contains("夜市噪音") && summons.contains("事由：夜市噪音扰民，需执法"),
        "{html}"
    );

    // Logging in lands on the list.
    let c = crate::pages::browser_client();
    let (_, login_page) = crate::common::fetch(&app, &c, "/login").await;
    let r = crate::pages::post_form(
        &c,
        &app,
        "/login",
        &[
            ("_csrf", csrf_of(&login_page).as_str()),
            ("username", "wg0101"),
            ("password", crate::common::PASSWORD),
        ],
    )
    .await;
    assert_eq!(
        r.headers()[LOCATION],
        "/",
        "no page asked for: the start page"
    );
    let home = c.get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(home.headers()[LOCATION], "/todo");
}

#[tokio::test]
async fn a_grid_worker_resolves_a_finding_from_its_page() {
    let app = TestApp::demo().await;
    let token = app.token("wg0101").await;
    let (_, case) = app
        .post("/api/v1/cases", &token, json!({"category": "0201", "title": "消防通道停放电动车", "description": "2栋消防通道停放电动车", "node_code": "450802001001001"}))
        .await;
    let id = case["id"].as_i64().unwrap();
    let worker = login(&app, "wg0101").await;
    let html = page(&app, &worker, &format!("/cases/{id}")).await;
    assert!(
        html.contains("value=\"resolve\"") && html.contains("就地处置"),
        "the finder may deal with it on the spot: {html}"
    );
    let after = act(
        &app,
        &worker,
        id,
        &[("action", "resolve"), ("text", "已联系车主挪走电动车")],
    )
    .await;
    assert!(
        after.contains("已办理，当前状态：办结") && after.contains("已联系车主挪走电动车"),
        "{after}"
    );
    let officer = login(&app, "sq01").await;
    let todo = page(&app, &officer, "/todo").await;
    assert!(todo_part(&todo, "handled").contains("消防通道停放电动车"));
}

#[tokio::test]
async fn a_case_is_recategorised_on_its_page_and_one_held_above_says_where_it_went() {
    let app = TestApp::demo().await;
    let token = app.token("wg0101").await;
    let (_, case) = app
        .post("/api/v1/cases", &token, json!({"category": "0102", "title": "楼道消防门被锁", "description": "5栋消防门被物业上锁", "node_code": "450802001001001"}))
        .await;
    let id = case["id"].as_i64().unwrap();
    let officer = login(&app, "sq01").await;
    let html = page(&app, &officer, &format!("/cases/{id}")).await;
    assert!(html.contains("id=\"recategorise\"") && html.contains("消防通道堵塞"));
    let version = html
        .split("name=\"version\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let after = submit(
        &app,
        &officer,
        id,
        "category",
        &[
            ("version", version.as_str()),
            ("category", "0201"),
            ("reason", "实为消防通道堵塞"),
        ],
    )
    .await;
    assert!(
        after.contains("已改类，现由网格办理，当前状态：上报") && after.contains("改类"),
        "{after}"
    );

    // A street lamp in her own community is the district's: her page says so, read-only.
    let (_, lamp) = app
        .post("/api/v1/cases", &token, json!({"category": "0402", "title": "路灯不亮", "description": "东湖路3号路灯不亮", "node_code": "450802001001001"}))
        .await;
    let html = page(&app, &officer, &format!("/cases/{}", lamp["id"])).await;
    let note = html
        .split("id=\"routed\">")
        .nth(1)
        .and_then(|s| s.split("</small>").next())
        .unwrap_or_else(|| panic!("{html}"));
    assert!(note.contains("路灯损坏") && note.contains("办理"), "{note}");
    assert!(!html.contains("id=\"actions\""), "nothing for her to do");
}

#[tokio::test]
async fn the_case_list_tabs_count_what_each_tab_lists() {
    let app = TestApp::demo().await;
    let token = app.token("wg0101").await;
    let c = login(&app, "wg0101").await;
    let tab = |html: &str, label: &str| -> i64 {
        let marker = format!("{label} <span class=\"count\">");
        html.split(&marker)
            .nth(1)
            .and_then(|s| s.split('<').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no count on {label}"))
    };
    let before = tab(&page(&app, &c, "/cases?category=03").await, "待受理");
    let (s, _) = app
        .post(
            "/api/v1/cases",
            &token,
            json!({"category": "03", "title": "垃圾桶满溢", "description": "3栋旁垃圾桶满溢",
                   "node_code": "450802001001001"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // Each tab counts what it lists (the other filters kept), recounted through the API.
    let html = page(&app, &c, "/cases?category=03&stage=closed").await;
    assert_eq!(tab(&html, "待受理"), before + 1);
    for (stage, label) in [
        ("", "全部"),
        ("reported", "待受理"),
        ("accepted", "待交办"),
        ("closed", "待评价"),
    ] {
        let (_, listed) = app
            .get(
                &format!("/api/v1/cases?limit=500&category=03&stage={stage}"),
                &token,
            )
            .await;
        assert!(listed["next_cursor"].is_null(), "one page holds them");
        let n = listed["items"].as_array().unwrap().len() as i64;
        assert_eq!(tab(&html, label), n, "{label}");
    }
}
