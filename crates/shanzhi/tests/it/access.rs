//! Access by role and purpose, route by route: every route of the OpenAPI document and every
//! page route has an entry in the access table, and every demo role gets the answer the policy
//! gives it; then the district's own rules, written out by hand (a volunteer never sees a
//! register, departments see people by duty, sensitive tags are listed only where they are
//! someone's duty, 三员分立), with the audit trail of what was asked.

use crate::common::{TestApp, error_code};
use crate::pages::logged_in;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shanzhi_app::policy;
use shanzhi_domain::auth::Role;
use shanzhi_store::residents::PersonRow;
use shanzhi_web::access::{Guard, ROUTES, guard_of};
use std::collections::BTreeSet;
use std::path::Path;

/// One demo account of every role.
const ACCOUNTS: [(Role, &str); 9] = [
    (Role::Admin, "admin"),
    (Role::SecurityAdmin, "aq01"),
    (Role::AuditAdmin, "sj01"),
    (Role::CommandCentre, "zhzx"),
    (Role::CommunityOfficer, "sq01"),
    (Role::GridLeader, "wgz01"),
    (Role::GridWorker, "wg0101"),
    (Role::DepartmentHandler, "cg01"),
    (Role::Volunteer, "zy01"),
];

/// A value for a path parameter that names nothing, so an admitted request finds nothing and
/// changes nothing.
fn placeholder(name: &str) -> &'static str {
    match name {
        "username" => "nobody-here",
        "day" => "2031-01-01",
        "register" => "residents",
        "field" => "id_number",
        "code" | "community" | "node" => "450802999999",
        "tag" => "no_such_tag",
        "job" => "no-such-job",
        "tracking" => "NOSUCHCODE",
        "file" => "discovery.json",
        "name" => "none.css",
        _ => "987654321",
    }
}

/// `path` with every `{param}` filled in.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let close = open + rest[open..].find('}').expect("closing brace");
        out.push_str(&rest[..open]);
        out.push_str(placeholder(&rest[open + 1..close]));
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Every `.route("path", method(..)…)` the web crate declares (pages, Open311, operations),
/// read from its source: a page route added without an entry fails below.
fn declared_routes() -> BTreeSet<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(std::fs::read_to_string(&p).expect("read"));
            }
        }
    }
    let mut texts = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/src"),
        &mut texts,
    );
    let mut found = BTreeSet::new();
    for text in &texts {
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(rest.len(), |(i, _)| i);
            let call = &rest[..end];
            let Some(path) = call.split('"').nth(1) else {
                continue;
            };
            for method in ["get", "post", "put", "delete", "patch"] {
                let named = call.match_indices(&format!("{method}(")).any(|(i, _)| {
                    !call[..i]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_')
                });
                if named {
                    found.insert((method.to_uppercase(), path.to_owned()));
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn every_route_has_an_entry_and_answers_each_role_as_the_policy_says() {
    let app = TestApp::demo().await;

    // Complete by construction: the OpenAPI document, the declared routes and the table agree.
    let (_, doc) = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "delete", "patch"] {
            if item.get(method).is_some() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    assert!(documented.len() > 100, "{}", documented.len());
    let declared = declared_routes();
    assert!(declared.len() > 100, "{}", declared.len());
    let served: BTreeSet<(String, String)> = documented.union(&declared).cloned().collect();
    let unguarded: Vec<_> = served
        .iter()
        .filter(|(m, p)| guard_of(&m.parse().expect("method"), p).is_none())
        .collect();
    assert!(unguarded.is_empty(), "routes with no entry: {unguarded:?}");
    let tabled: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    let stale: Vec<_> = tabled.difference(&served).collect();
    assert!(
        stale.is_empty(),
        "entries for routes nobody serves: {stale:?}"
    );

    // Nobody is let in without an account.
    let anonymous = crate::pages::browser_client();
    let mut wrong = Vec::new();
    for r in ROUTES {
        let url = format!("{}{}", app.base, concrete(r.path));
        let method: Method = r.method.parse().expect("method");
        let resp = anonymous
            .request(method, &url)
            .send()
            .await
            .expect("request");
        let s = resp.status();
        let api = r.path.starts_with("/api/");
        let ok = match (r.guard, api) {
            (Guard::Open, _) => s != StatusCode::UNAUTHORIZED && s != StatusCode::FORBIDDEN,
            (_, true) => s == StatusCode::UNAUTHORIZED,
            (_, false) => {
                s == StatusCode::SEE_OTHER
                    && resp
                        .headers()
                        .get("location")
                        .and_then(|l| l.to_str().ok())
                        .is_some_and(|l| l.starts_with("/login"))
            }
        };
        if !ok {
            wrong.push(format!("anonymous {} {}: {s}", r.method, r.path));
        }
    }

    // Every role, every guarded route: refused exactly where the policy refuses.
    let mut asked = 0;
    for (role, username) in ACCOUNTS {
        let token = app.token(username).await;
        let (pages, _) = logged_in(&app, username).await;
        for r in ROUTES {
            if matches!(r.guard, Guard::Open)
                || matches!(
                    (r.method, r.path),
                    ("DELETE", "/api/v1/auth/token") | ("POST", "/logout")
                )
            {
                continue;
            }
            let url = format!("{}{}", app.base, concrete(r.path));
            let method: Method = r.method.parse().expect("method");
            let api = r.path.starts_with("/api/");
            let req = if api {
                app_client().request(method, &url).bearer_auth(&token)
            } else {
                pages.request(method, &url)
            };
            let resp = req.send().await.expect("request");
            let status = resp.status();
            // A live feed that lets the caller in never ends: its status is the answer.
            let stream = resp
                .headers()
                .get("content-type")
                .is_some_and(|c| c.as_bytes().starts_with(b"text/event-stream"));
            let body = if stream {
                String::new()
            } else {
                resp.text().await.unwrap_or_default()
            };
            let refusal = r
                .guard
                .resource()
                .map(|(res, verb)| policy::refusal(role, res, verb).to_string());
            let refused = status == StatusCode::FORBIDDEN
                && if api {
                    serde_json::from_str::<Value>(&body)
                        .is_ok_and(|b| error_code(&b) == "not_permitted")
                } else {
                    refusal.as_ref().is_some_and(|m| body.contains(m))
                };
            asked += 1;
            let admitted = r.guard.admits(role);
            if admitted == refused {
                wrong.push(format!(
                    "{username} ({}) {} {}: {status}{}",
                    role.label(),
                    r.method,
                    r.path,
                    if admitted { ", refused" } else { ", let in" }
                ));
            }
        }
    }
    assert!(asked > 2000, "only {asked} asked");
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// A client that keeps no cookies, for the API.
fn app_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The tags a person carries, as the register holds them (what no district account sees whole).
async fn tags_in_register(app: &TestApp, id: i64) -> Vec<String> {
    let mut conn = app.state().store().conn().await.expect("conn");
    shanzhi_store::residents::tags_of(&mut conn, &[id])
        .await
        .expect("tags")
        .into_iter()
        .map(|t| t.tag)
        .collect()
}

/// The tags of a person that `viewer` is shown.
async fn tags_of(app: &TestApp, viewer: &str, id: i64) -> Vec<String> {
    let (s, d) = app.get(&format!("/api/v1/residents/{id}"), viewer).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    d["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|t| t["tag"].as_str().map(str::to_owned))
        .collect()
}

/// The audit records of `action` made by the account `username`.
async fn trail_of(app: &TestApp, action: &str, username: &str) -> Vec<Value> {
    let auditor = app.token("sj01").await;
    let (_, account): (StatusCode, Value) = app.get("/api/v1/me", &app.token(username).await).await;
    let (s, rows) = app
        .get(
            &format!("/api/v1/audit?action={action}&actor={}", account["id"]),
            &auditor,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{rows}");
    rows.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_volunteer_sees_only_participation_and_departments_see_people_by_duty() {
    let app = TestApp::demo_with_registers().await;
    let volunteer = app.token("zy01").await;
    let (_, page) = app
        .get("/api/v1/cases?limit=1", &app.token("sq01").await)
        .await;
    let case = page["items"][0]["id"].as_i64().expect("a case");
    for path in [
        "/api/v1/residents?tag=严重精神障碍".to_owned(),
        "/api/v1/residents".into(),
        "/api/v1/places".into(),
        "/api/v1/staff?node=450802001001".into(),
        "/api/v1/patrols".into(),
        "/api/v1/visits/due".into(),
        format!("/api/v1/cases/{case}"),
        "/api/v1/dashboard?node=450802001001".into(),
        "/api/v1/assessment?node=450802001001".into(),
        "/api/v1/registers/export/places?node=450802001001".into(),
        "/api/v1/events".into(),
    ] {
        let (s, body) = app.get(&path, &volunteer).await;
        assert_eq!(
            (s, error_code(&body)),
            (StatusCode::FORBIDDEN, "not_permitted"),
            "{path}"
        );
        assert!(!body.to_string().contains("450802"), "{path}: {body}");
    }
    let (s, _) = app
        .post(
            &format!("/api/v1/cases/{case}/reporter-phone"),
            &volunteer,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "no reporter's phone");
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/cases/{case}/photos"),
            Some(&volunteer),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "no photos on cases");
    let (s, body) = app
        .post(
            "/api/v1/members",
            &volunteer,
            json!({"community": "450802001001", "kind": "volunteer", "name": "黄立新",
                   "phone": "13877512345", "commitment": "每月参加一次社区志愿服务"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "it registers (双报到): {body}");
    let (s, me) = app.get("/api/v1/members/me", &volunteer).await;
    assert_eq!(
        (s, &me["name"]),
        (StatusCode::OK, &json!("黄立新")),
        "its own record"
    );

    // 民政 (district) lists the people its tags name, and nobody else.
    let keeper = app.token("zhzx").await;
    let civil = app.token("mz01").await;
    let listed: Vec<PersonRow> = app.get_as("/api/v1/residents?limit=30", &civil).await;
    assert!(!listed.is_empty(), "民政 has people to look after");
    let duty = [
        "elderly_alone",
        "empty_nest",
        "disabled",
        "low_income",
        "left_behind_child",
    ];
    for p in &listed {
        let carried = tags_in_register(&app, p.id).await;
        assert!(
            carried.iter().any(|t| duty.contains(&t.as_str())),
            "{} carries none of 民政's tags: {carried:?}",
            p.name
        );
    }
    let elderly: Vec<PersonRow> = app
        .get_as("/api/v1/residents?tag=独居老人&limit=5", &civil)
        .await;
    assert!(!elderly.is_empty());
    let (s, body) = app.get("/api/v1/residents?tag=严重精神障碍", &civil).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(
        !body.to_string().contains("450802"),
        "nothing leaks: {body}"
    );
    let refused = trail_of(&app, "access.refused", "mz01").await;
    assert!(
        refused.iter().any(|r| r["target"] == "tag:mental_illness"),
        "the refused ask is on the record: {refused:?}"
    );

    // 派出所 (one street): the people under its duty in its street, none elsewhere.
    let police = app.token("pcs01").await;
    let watched: Vec<PersonRow> = app
        .get_as("/api/v1/residents?tag=严重精神障碍&limit=200", &police)
        .await;
    assert!(!watched.is_empty());
    assert!(watched.iter().all(|p| p.node_code.starts_with("450802001")));
    let (s, _) = app
        .get("/api/v1/residents?tag=严重精神障碍&node=450802002", &police)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a forged node is out of reach");
    // A person without a 派出所 tag is not there for the police.
    let ordinary: Vec<PersonRow> = app
        .get_as("/api/v1/residents?node=450802001001001&limit=50", &keeper)
        .await;
    let mut tried = 0;
    for p in &ordinary {
        if tags_in_register(&app, p.id).await.is_empty() {
            let (s, _) = app
                .get(&format!("/api/v1/residents/{}", p.id), &police)
                .await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{}", p.name);
            tried += 1;
        }
    }
    assert!(tried > 0, "the grid has people without tags");
    // 城管 has no people to look after at all.
    let city = app.token("cg01").await;
    let none: Vec<PersonRow> = app.get_as("/api/v1/residents", &city).await;
    assert!(none.is_empty(), "{none:?}");

    // The police's opening of a person is on the record with whom it was.
    let opened = watched[0].id;
    let (s, _) = app
        .get(&format!("/api/v1/residents/{opened}"), &police)
        .await;
    assert_eq!(s, StatusCode::OK);
    let reads = trail_of(&app, "register.person_read", "pcs01").await;
    assert!(
        reads
            .iter()
            .any(|r| r["target"] == format!("person:{opened}")),
        "{reads:?}"
    );
    let lists = trail_of(&app, "register.person_list", "pcs01").await;
    assert!(!lists.is_empty(), "listing people is recorded too");
}

#[tokio::test]
async fn sensitive_tags_are_counted_for_the_command_centre_but_listed_only_by_duty() {
    let app = TestApp::demo_with_registers().await;
    let worker = app.token("wg0101").await;
    let centre = app.token("zhzx").await;
    // 社区矫正 is sensitive: the grid lists its people, the command centre counts them.
    let own: Vec<PersonRow> = app
        .get_as(
            "/api/v1/residents?tag=社区矫正&node=450802001001001",
            &worker,
        )
        .await;
    assert!(!own.is_empty(), "the grid keeps someone under 社区矫正");
    let (s, body) = app.get("/api/v1/residents?tag=社区矫正", &centre).await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::FORBIDDEN, "not_permitted"),
        "the command centre does not list them by person"
    );
    let (s, d) = app
        .get(&format!("/api/v1/residents/{}", own[0].id), &centre)
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let shown: Vec<&str> = d["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|t| t["tag"].as_str())
        .collect();
    assert!(
        !shown.contains(&"community_correction"),
        "the tag is not shown on the person: {shown:?}"
    );
    assert!(
        tags_of(&app, &worker, own[0].id)
            .await
            .contains(&"community_correction".to_owned()),
        "the grid worker sees it"
    );
    // …but counted: the grid's register counts every tag.
    let (_, facts) = app.get("/api/v1/registers/450802001001001", &centre).await;
    assert_eq!(
        facts["residents"]["by_tag"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t[0] == "社区矫正"))
            .map(|t| t[1].as_i64()),
        Some(Some(own.len() as i64)),
        "{facts}"
    );
}

#[tokio::test]
async fn the_three_administrators_are_kept_apart_and_roles_change_at_the_next_request() {
    let app = TestApp::demo().await;
    let (admin, security, auditor) = (
        app.token("admin").await,
        app.token("aq01").await,
        app.token("sj01").await,
    );
    for (token, path, status) in [
        (&admin, "/api/v1/cases", StatusCode::FORBIDDEN),
        (&admin, "/api/v1/residents", StatusCode::FORBIDDEN),
        (&admin, "/api/v1/audit", StatusCode::FORBIDDEN),
        (&admin, "/api/v1/accounts", StatusCode::OK),
        (&security, "/api/v1/cases", StatusCode::FORBIDDEN),
        (&security, "/api/v1/policy/duties", StatusCode::OK),
        (&security, "/api/v1/audit", StatusCode::FORBIDDEN),
        (&auditor, "/api/v1/audit", StatusCode::OK),
        (&auditor, "/api/v1/accounts", StatusCode::FORBIDDEN),
        (&auditor, "/api/v1/regions", StatusCode::FORBIDDEN),
    ] {
        let (s, body) = app.get(path, token).await;
        assert_eq!(s, status, "{path}: {body}");
    }
    // The system administrator cannot make administrators, nor change roles.
    let (s, _) = app
        .post(
            "/api/v1/accounts",
            &admin,
            json!({"username": "aq02", "display_name": "x", "role": "security_admin", "password": "Shanzhi2026x"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let set_role = |token: &str, username: &str, role: &str| {
        let (token, username, role) = (token.to_owned(), username.to_owned(), role.to_owned());
        let app = &app;
        async move {
            app.call(
                Method::PUT,
                &format!("/api/v1/accounts/{username}/role"),
                Some(&token),
                Some(json!({ "role": role })),
            )
            .await
        }
    };
    assert_eq!(
        set_role(&admin, "zy01", "community_officer").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        set_role(&security, "zy01", "admin").await.0,
        StatusCode::FORBIDDEN,
        "administrators are made on the server only"
    );
    assert_eq!(
        set_role(&security, "zy01", "grid_worker").await.0,
        StatusCode::BAD_REQUEST,
        "a grid worker is bound to a grid, not a community"
    );

    // The volunteer's own token: refused, then — once the role is changed — let in.
    let volunteer = app.token("zy01").await;
    let (s, _) = app.get("/api/v1/cases?limit=1", &volunteer).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, changed) = set_role(&security, "zy01", "community_officer").await;
    assert_eq!(s, StatusCode::OK, "{changed}");
    let (s, _) = app.get("/api/v1/cases?limit=1", &volunteer).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the next request is asked of the new role"
    );
    let changes = trail_of(&app, "account.role", "aq01").await;
    assert_eq!(changes.len(), 1, "{changes:?}");

    // Tag duties are the security administrator's to change, on the record.
    let civil = app.token("mz01").await;
    let (s, _) = app
        .call(
            Method::PUT,
            "/api/v1/policy/duties/mental_illness",
            Some(&admin),
            Some(json!({"sensitive": true, "departments": ["民政"]})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, body) = app
        .get("/api/v1/residents?tag=mental_illness", &civil)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let (s, d) = app
        .call(
            Method::PUT,
            "/api/v1/policy/duties/mental_illness",
            Some(&security),
            Some(json!({"sensitive": true, "departments": ["卫健", "派出所", " 民政 ", "民政"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["departments"], json!(["卫健", "派出所", "民政"]));
    let (s, body) = app
        .get("/api/v1/residents?tag=mental_illness", &civil)
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, _) = app
        .call(
            Method::PUT,
            "/api/v1/policy/duties/no_such_tag",
            Some(&security),
            Some(json!({"sensitive": true})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(trail_of(&app, "policy.duty", "aq01").await.len(), 1);
}

#[tokio::test]
async fn the_policy_is_published_and_pages_follow_it() {
    let app = TestApp::demo().await;
    let table: shanzhi_web::api::PolicyOut =
        app.get_as("/api/v1/policy", &app.token("zy01").await).await;
    assert_eq!(table.mine, Role::Volunteer);
    assert_eq!(table.roles.len(), Role::ALL.len());
    let volunteer = table
        .roles
        .iter()
        .find(|r| r.role == Role::Volunteer)
        .expect("volunteer");
    assert!(
        volunteer
            .grants
            .iter()
            .all(|g| g.resource == policy::Resource::Participation)
    );

    // The login page says what each demo account may do.
    let (_, login) = crate::common::fetch(&app, &crate::pages::browser_client(), "/login").await;
    for who in ["aq01", "sj01", "mz01", "pcs01", "zy01"] {
        assert!(login.contains(who), "{who} listed");
    }
    assert!(
        login.contains("可以：群众参与记录：列看改（本人的）"),
        "{login}"
    );

    // Each role lands on its own first page; a page outside the role says so plainly.
    for (username, home) in [
        ("zy01", "/me"),
        ("sj01", "/admin/audit"),
        ("aq01", "/admin/policy"),
        ("cg01", "/todo"),
        ("mz01", "/todo"),
    ] {
        let (c, _) = logged_in(&app, username).await;
        let r = c.get(format!("{}/", app.base)).send().await.expect("home");
        assert_eq!(r.headers()["location"], home, "{username}");
    }
    let (c, _) = logged_in(&app, "zy01").await;
    let (s, html) = crate::common::fetch(&app, &c, "/registers").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(html.contains("志愿者不能查看列表网格基础信息"), "{html}");
    let (c, _) = logged_in(&app, "mz01").await;
    let (s, html) = crate::common::fetch(&app, &c, "/people?tag=elderly_alone").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("职责人员") && html.contains("独居老人"),
        "{html}"
    );
    let (s, html) = crate::common::fetch(&app, &c, "/people?tag=mental_illness").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("不能按“严重精神障碍”查看人员名单"), "{html}");
}
