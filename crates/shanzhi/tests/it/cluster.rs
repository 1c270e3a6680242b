//! Two server processes on one PostgreSQL database behind the real nginx (round robin), as a
//! city runs them: started together on an empty database; then a boundary redrawn, the
//! calendar and a category edited, the live feed followed, logins throttled and an import
//! polled, each through alternate processes; and one process restarted under load without
//! losing anything it acknowledged.

use crate::common::{FreshDb, PASSWORD, Served, backend, eventually};
use crate::proxy::Nginx;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An API call to `base`.
async fn call(
    base: &str,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("request");
    let s = r.status();
    let text = r.text().await.unwrap_or_default();
    (
        s,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn square(x: f64, y: f64, w: f64, h: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]]})
}

fn feature(code: &str, name: &str, geometry: Value) -> Value {
    json!({"type": "Feature", "properties": {"code": code, "name": name}, "geometry": geometry})
}

/// Where `base` locates the point (109.05, 23.05).
async fn located(base: &str, token: &str) -> String {
    let (s, body) = call(
        base,
        Method::GET,
        "/api/v1/locate?lon=109.05&lat=23.05",
        token,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["node"]["code"].as_str().expect("code").to_owned()
}

#[tokio::test]
async fn two_processes_behind_nginx_know_the_same_things() {
    if backend() != "postgres" {
        return; // SQLite runs one process by design
    }
    let db = FreshDb::new().await;
    let keys = shanzhi_store::vault::Vault::generate();
    let env = [("SHANZHI_KEYS", keys.as_str())];
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Started together on an empty database: both come up, one administrator, one key check.
    let proxied = ["--trusted-proxy", "127.0.0.1"];
    let a = Served::spawn(&db.url, dir_a.path(), &env, &proxied);
    let mut b = Served::spawn(&db.url, dir_b.path(), &env, &proxied);
    a.ready().await;
    b.ready().await;
    let nginx = Nginx::over(
        &[
            &format!("127.0.0.1:{}", a.port()),
            &format!("127.0.0.1:{}", b.port()),
        ],
        "/",
    )
    .await;
    let front = nginx.base();
    let admin = a.token("admin").await;

    // A small district through the front: two grids side by side, the point in the first.
    let tree = json!({"type": "FeatureCollection", "features": [
        feature("450802", "港北区", square(109.0, 23.0, 0.2, 0.1)),
        feature("450802001", "贵城街道", square(109.0, 23.0, 0.2, 0.1)),
        feature("450802001001", "东湖社区", square(109.0, 23.0, 0.2, 0.1)),
        feature("450802001001001", "第一网格", square(109.0, 23.0, 0.1, 0.1)),
        feature("450802001001002", "第二网格", square(109.1, 23.0, 0.1, 0.1)),
    ]});
    let (s, body) = call(
        &front,
        Method::POST,
        "/api/v1/regions/import",
        &admin,
        Some(tree),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    for server in [&a.base, &b.base] {
        let base = server.clone();
        let admin = admin.clone();
        eventually("both locate the new grids", || {
            let (base, admin) = (base.clone(), admin.clone());
            async move {
                reqwest::Client::new()
                    .get(format!("{base}/api/v1/locate?lon=109.05&lat=23.05"))
                    .bearer_auth(&admin)
                    .send()
                    .await
                    .map(|r| r.status() == StatusCode::OK)
                    .unwrap_or(false)
            }
        })
        .await;
    }
    assert_eq!(located(&a.base, &admin).await, "450802001001001");
    assert_eq!(located(&b.base, &admin).await, "450802001001001");

    // Redrawn through A: B follows.
    for (code, geometry) in [
        ("450802001001001", square(109.0, 23.0, 0.04, 0.1)),
        ("450802001001002", square(109.04, 23.0, 0.16, 0.1)),
    ] {
        let (s, body) = call(
            &a.base,
            Method::PATCH,
            &format!("/api/v1/regions/{code}"),
            &admin,
            Some(json!({ "boundary": geometry })),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    assert_eq!(located(&a.base, &admin).await, "450802001001002");
    let (b_base, token) = (b.base.clone(), admin.clone());
    eventually("B locates by the redrawn boundary", || {
        let (base, token) = (b_base.clone(), token.clone());
        async move { located(&base, &token).await == "450802001001002" }
    })
    .await;

    // A grid worker, made through the front.
    let (s, body) = call(
        &front,
        Method::POST,
        "/api/v1/accounts",
        &admin,
        Some(
            json!({"username": "wg01", "display_name": "覃鹏琳", "role": "grid_worker",
                    "node_code": "450802001001001", "password": PASSWORD}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let worker = b.token("wg01").await;

    // Holidays set through A count on B at once: a working-day matter filed on B waits them out.
    let today = shanzhi_domain::case::Day::of(shanzhi_app::Clock::system().now_ms());
    for d in 0..21 {
        let day = today.plus(d).to_string();
        let (s, body) = call(
            &a.base,
            Method::PUT,
            &format!("/api/v1/calendar/{day}"),
            &admin,
            Some(json!({"kind": "holiday", "name": "测试假期"})),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    }
    let report = json!({"category": "0501", "title": "独居老人需要上门", "description": "测试时限",
                        "node_code": "450802001001001"});
    let far = shanzhi_app::Clock::system().now_ms() + 20 * 86_400_000;
    let (b_base, w) = (b.base.clone(), worker.clone());
    eventually("B's deadlines skip A's holidays", || {
        let (base, w, report) = (b_base.clone(), w.clone(), report.clone());
        async move {
            let (s, case) = call(&base, Method::POST, "/api/v1/cases", &w, Some(report)).await;
            s == StatusCode::CREATED && case["accept_due"].as_i64().unwrap_or(0) > far
        }
    })
    .await;

    // A category changed through A is used by B within a second, though B had just read the
    // list (which it keeps for ten seconds): the change feed tells it.
    let (b_base, w) = (b.base.clone(), worker.clone());
    let skips_check = move || {
        let (base, w) = (b_base.clone(), w.clone());
        async move {
            let (_, list) = call(&base, Method::GET, "/api/v1/categories", &w, None).await;
            list.as_array()
                .and_then(|l| l.iter().find(|c| c["code"] == "03"))
                .is_some_and(|c| c["onsite_check"] == false)
        }
    };
    assert!(!skips_check().await);
    let (s, body) = call(
        &a.base,
        Method::PATCH,
        "/api/v1/categories/03",
        &admin,
        Some(json!({"onsite_check": false})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let changed = tokio::time::Instant::now();
    eventually("B uses A's category change", skips_check).await;
    assert!(
        changed.elapsed() < Duration::from_secs(3),
        "through the change feed, not the list's expiry: {:?}",
        changed.elapsed()
    );

    // Each process keeps who holds a token in memory (every request asks): a token ended
    // through A is refused by B, which had just accepted it, through the change feed.
    let spare = b.token("wg01").await;
    let (s, body) = call(&b.base, Method::GET, "/api/v1/me", &spare, None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = call(&a.base, Method::DELETE, "/api/v1/auth/token", &spare, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let ended = tokio::time::Instant::now();
    let b_base = b.base.clone();
    eventually("B refuses the token ended through A", || {
        let (base, t) = (b_base.clone(), spare.clone());
        async move {
            call(&base, Method::GET, "/api/v1/me", &t, None).await.0 == StatusCode::UNAUTHORIZED
        }
    })
    .await;
    assert!(
        ended.elapsed() < Duration::from_secs(3),
        "through the change feed, not the memo's age: {:?}",
        ended.elapsed()
    );

    // A case filed through A reaches a live feed held open on B.
    let mut feed = reqwest::Client::new()
        .get(format!("{}/api/v1/events", b.base))
        .bearer_auth(&worker)
        .send()
        .await
        .expect("feed");
    assert_eq!(feed.status(), StatusCode::OK);
    let (s, case) = call(
        &a.base,
        Method::POST,
        "/api/v1/cases",
        &worker,
        Some(
            json!({"category": "03", "title": "东门垃圾满溢", "description": "垃圾桶满溢",
                    "node_code": "450802001001001"}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{case}");
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains("东门垃圾满溢") && tokio::time::Instant::now() < deadline {
        if let Ok(Ok(Some(chunk))) =
            tokio::time::timeout(Duration::from_millis(500), feed.chunk()).await
        {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    assert!(seen.contains("东门垃圾满溢"), "B's feed: {seen}");
    drop(feed);

    // Failed logins count wherever they land: the guesser waits on both.
    let login = |base: String| async move {
        reqwest::Client::new()
            .post(format!("{base}/api/v1/auth/token"))
            .json(&json!({"username": "wg01", "password": "wrong-password-1"}))
            .send()
            .await
            .expect("login")
            .status()
    };
    for base in [&a.base, &b.base, &a.base] {
        assert_eq!(login(base.clone()).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        login(b.base.clone()).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the fourth failure, on the other process"
    );

    // An import started on A is followed on B.
    let sheet = format!(
        "网格编码,楼栋,单元,楼层,房号,户编号,姓名,公民身份号码,联系电话,与户主关系,居住状态\r\n\
         450802001001001,金港花园9栋,1,2,201,H1,黄秀兰,{},,户主,户籍\r\n",
        crate::registers::synthetic_id(1)
    );
    let r = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/registers/import/residents?name=居民.csv",
            a.base
        ))
        .bearer_auth(&worker)
        .body(sheet.as_bytes().to_vec())
        .send()
        .await
        .expect("import");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let job: Value = r.json().await.expect("job");
    let id = job["id"].as_str().expect("id").to_owned();
    let (b_base, w) = (b.base.clone(), worker.clone());
    eventually("B reports A's import done", || {
        let (base, w, id) = (b_base.clone(), w.clone(), id.clone());
        async move {
            let (s, st) = call(
                &base,
                Method::GET,
                &format!("/api/v1/registers/imports/{id}"),
                &w,
                None,
            )
            .await;
            s == StatusCode::OK && st["done"] == true && st["report"]["written"] == 1
        }
    })
    .await;

    // B restarts under load through the front: every report acknowledged is there.
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let mut load = Vec::new();
    for c in 0..8 {
        let (front, w, acknowledged) = (front.clone(), worker.clone(), acknowledged.clone());
        load.push(tokio::spawn(async move {
            for i in 0..40 {
                let (s, case) = call(
                    &front,
                    Method::POST,
                    "/api/v1/cases",
                    &w,
                    Some(json!({"category": "03", "title": format!("压力{c}-{i}"),
                                "description": "重启中的上报", "node_code": "450802001001001"})),
                )
                .await;
                if s == StatusCode::CREATED {
                    acknowledged
                        .lock()
                        .unwrap()
                        .push(case["id"].as_i64().expect("id"));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    b.restart();
    b.ready().await;
    for l in load {
        l.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 100,
        "the front kept answering: {}",
        acknowledged.len()
    );
    for id in &acknowledged {
        let (s, _) = call(
            &front,
            Method::GET,
            &format!("/api/v1/cases/{id}"),
            &worker,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "acknowledged case {id} is there");
    }
}
