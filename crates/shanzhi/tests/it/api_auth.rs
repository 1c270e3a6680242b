//! Accounts, logins, tokens, throttling, and the operational endpoints.

use crate::common::{PASSWORD, TestApp, error_code};
use reqwest::{Method, StatusCode};
use serde_json::json;
use shanzhi_app::AppConfig;
use shanzhi_domain::auth::LoginRule;
use shanzhi_web::WebConfig;
use std::time::Duration;

async fn login(app: &TestApp, username: &str, password: &str) -> (StatusCode, serde_json::Value) {
    app.call(
        Method::POST,
        "/api/v1/auth/token",
        None,
        Some(json!({"username": username, "password": password})),
    )
    .await
}

/// Logs in as `username` from the client at `from` (behind the trusted local proxy).
async fn login_from(
    app: &TestApp,
    from: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    app.client
        .post(format!("{}/api/v1/auth/token", app.base))
        .header("x-forwarded-for", from)
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn failed_logins_hold_up_the_guesser_not_the_owner() {
    let app_config = AppConfig {
        login_rule: LoginRule {
            window: Duration::from_secs(600),
            free: 3,
            per_pair: 5,
            per_address: 8,
        },
        ..Default::default()
    };
    // The test client is a proxy the server trusts: X-Forwarded-For says who is behind it.
    let web = WebConfig {
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..Default::default()
    };
    let app = TestApp::demo_with(app_config, web).await;
    let guesser = "203.0.113.66";
    for _ in 0..3 {
        let r = login_from(&app, guesser, "wg0101", "wrong-password-1").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = login_from(&app, guesser, "wg0101", PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the guesser waits, even with the right password"
    );
    assert!(r.headers().get("retry-after").is_some());
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(error_code(&body), "rate_limited");
    // The owner, from the office, signs in at once.
    let r = login_from(&app, "198.51.100.20", "wg0101", PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "the owner is not locked out"
    );

    // An address spraying passwords over many accounts is stopped for every account.
    let sprayer = "203.0.113.99";
    for i in 0..8 {
        let r = login_from(
            &app,
            sprayer,
            &format!("wg01{:02}", i + 2),
            "wrong-password-1",
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = login_from(&app, sprayer, "wg0201", PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the address is locked"
    );
}

#[tokio::test]
async fn public_limits_count_each_resident_behind_the_proxy() {
    let web = WebConfig {
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        public_reports_per_hour: 2,
        ..Default::default()
    };
    let app = TestApp::demo_with(AppConfig::default(), web).await;
    let send = |from: &'static str| {
        let app = &app;
        async move {
            app.client
                .post(format!("{}/api/v1/public/opinions", app.base))
                .header("x-forwarded-for", from)
                .json(&json!({"community": "450802001001", "content": "楼道灯坏了"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(send("203.0.113.1").await, StatusCode::CREATED);
    assert_eq!(send("203.0.113.1").await, StatusCode::CREATED);
    assert_eq!(send("203.0.113.1").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        send("203.0.113.2").await,
        StatusCode::CREATED,
        "a neighbour behind the same proxy is not held to the first one's limit"
    );

    // Without trusting the proxy, everyone is the proxy's one address.
    let plain = TestApp::demo_with(
        AppConfig::default(),
        WebConfig {
            public_reports_per_hour: 2,
            ..Default::default()
        },
    )
    .await;
    let mut statuses = Vec::new();
    for from in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        let s = plain
            .client
            .post(format!("{}/api/v1/public/opinions", plain.base))
            .header("x-forwarded-for", from)
            .json(&json!({"community": "450802001001", "content": "楼道灯坏了"}))
            .send()
            .await
            .unwrap()
            .status();
        statuses.push(s);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::TOO_MANY_REQUESTS
        ],
        "an untrusted X-Forwarded-For is ignored"
    );
}

#[tokio::test]
async fn tokens_identify_the_caller_and_can_be_revoked() {
    let app = TestApp::demo().await;
    let (s, body) = app.call(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let (s, _) = app.get("/api/v1/me", "sz_forged").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let t = app.token("cg01").await;
    let (s, me) = app.get("/api/v1/me", &t).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["role"], "department_handler");
    assert!(me["department_id"].as_i64().is_some());
    assert_eq!(me["node_code"], "450802");
    let (s, _) = app
        .call(Method::DELETE, "/api/v1/auth/token", Some(&t), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get("/api/v1/me", &t).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn admins_create_accounts_only_with_valid_bindings() {
    let app = TestApp::demo().await;
    let admin = app.token("admin").await;
    let new = |username: &str, role: &str, node: Option<&str>, password: &str| json!({"username": username, "display_name": "黄丽华", "role": role, "node_code": node, "password": password});
    let cases = [
        (
            new("hlh", "grid_worker", Some("450802001001"), "Shanzhi2026"),
            StatusCode::BAD_REQUEST,
            "invalid_binding",
        ),
        (
            new("hlh", "grid_worker", Some("450802001001001"), "short1"),
            StatusCode::BAD_REQUEST,
            "weak_password",
        ),
        (
            new(
                "Bad Name!",
                "grid_worker",
                Some("450802001001001"),
                "Shanzhi2026",
            ),
            StatusCode::BAD_REQUEST,
            "invalid_username",
        ),
        (
            new("hlh", "department_handler", Some("450802"), "Shanzhi2026"),
            StatusCode::BAD_REQUEST,
            "invalid_binding",
        ),
        (
            new("hlh", "grid_worker", Some("450802999001001"), "Shanzhi2026"),
            StatusCode::BAD_REQUEST,
            "unknown_node",
        ),
        (
            new(
                "wg0101",
                "grid_worker",
                Some("450802001001001"),
                "Shanzhi2026",
            ),
            StatusCode::CONFLICT,
            "conflict",
        ),
    ];
    for (req, status, code) in cases {
        let (s, body) = app.post("/api/v1/accounts", &admin, req.clone()).await;
        assert_eq!((s, error_code(&body)), (status, code), "{req}: {body}");
    }
    let (s, body) = app
        .post(
            "/api/v1/accounts",
            &admin,
            new(
                "hlh",
                "grid_worker",
                Some("450802001001002"),
                "Huang2026lihua",
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["place"], "东湖社区第二网格（网格）");
    let (s, body) = login(&app, "HLH", "Huang2026lihua").await;
    assert_eq!(
        s,
        StatusCode::CREATED,
        "usernames are case-insensitive: {body}"
    );
    let user_token = body["token"].as_str().unwrap().to_owned();

    let officer = app.token("sq01").await;
    let (s, _) = app
        .post(
            "/api/v1/accounts",
            &officer,
            new("x1x", "grid_worker", Some("450802001001002"), "Shanzhi2026"),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.get("/api/v1/accounts", &officer).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // A password change by the admin ends the account's tokens.
    let (s, _) = app
        .call(
            Method::PUT,
            "/api/v1/accounts/hlh/password",
            Some(&admin),
            Some(json!({"password": "Newpass2026x"})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get("/api/v1/me", &user_token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = login(&app, "hlh", "Newpass2026x").await;
    assert_eq!(s, StatusCode::CREATED);
    // Someone else's password is out of reach for a non-admin: 404, not 403.
    let (s, _) = app
        .call(
            Method::PUT,
            "/api/v1/accounts/hlh/password",
            Some(&officer),
            Some(json!({"password": "Hacked2026xx"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, page) = app.get("/api/v1/accounts?limit=20", &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page["items"].as_array().unwrap().len(), 20);
    assert!(page["next_cursor"].is_string());
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_and_secrets_only_as_hashes() {
    let app = TestApp::demo().await;
    let token = app.token("wg0101").await;
    let mut conn = app.state().store().conn().await.unwrap();
    let account = shanzhi_store::accounts::by_username(&mut conn, "wg0101")
        .await
        .unwrap()
        .unwrap();
    assert!(
        account.password_hash.starts_with("$argon2id$v=19$"),
        "{}",
        account.password_hash
    );
    let raw: Vec<(String,)> = shanzhi_store::Exec::all(
        &mut conn,
        shanzhi_store::Sql::new("SELECT token_hash FROM api_tokens"),
    )
    .await
    .unwrap();
    assert!(
        raw.iter().all(|(h,)| h != &token && h.len() == 64),
        "tokens are stored hashed"
    );
}

#[tokio::test]
async fn openapi_metrics_and_health_are_served() {
    let app = TestApp::demo().await;
    let (s, doc) = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/regions",
        "/api/v1/regions/{code}",
        "/api/v1/regions/{code}/children",
        "/api/v1/regions/{code}/retire",
        "/api/v1/regions/{code}/coverage",
        "/api/v1/regions/import",
        "/api/v1/regions/export",
        "/api/v1/locate",
        "/api/v1/accounts",
        "/api/v1/departments",
    ] {
        assert!(paths.contains_key(p), "{p} documented");
    }
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} has responses"
            );
            // Every $ref must point at a schema that exists.
            for r in op
                .to_string()
                .split("\"$ref\":\"#/components/schemas/")
                .skip(1)
            {
                let name = r.split('"').next().unwrap();
                assert!(
                    doc["components"]["schemas"][name].is_object(),
                    "{method} {path}: missing schema {name}"
                );
            }
        }
    }
    let t = app.token("zhzx").await;
    app.get("/api/v1/regions/450802001", &t).await;
    let (s, body) = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(
        (s, body),
        (StatusCode::OK, serde_json::Value::String("ok".into()))
    );
    let metrics = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            r#"http_requests_total{method="GET",route="/api/v1/regions/{code}",status="200"}"#
        ),
        "{metrics}"
    );
    assert!(metrics.contains("http_request_duration_seconds_bucket"));
    assert!(metrics.contains("db_pool_connections"));
    assert!(metrics.contains("locate_index_boundaries"));
}

#[tokio::test]
async fn expired_sessions_and_tokens_are_purged() {
    let app = TestApp::demo().await;
    let old = app.token("wg0101").await;
    let live = app.token("wg0102").await;
    let mut conn = app.state().store().conn().await.unwrap();
    let expire =
        shanzhi_store::Sql::new("UPDATE api_tokens SET expires_at = 1 WHERE token_hash = ?")
            .bind(shanzhi_app::auth::hash_secret(&old));
    shanzhi_store::Exec::exec(&mut conn, expire).await.unwrap();
    assert_eq!(
        shanzhi_app::accounts::purge_expired(app.state())
            .await
            .unwrap(),
        1
    );
    let (s, _) = app.get("/api/v1/me", &live).await;
    assert_eq!(s, StatusCode::OK, "live tokens stay");
}

#[tokio::test]
async fn the_openapi_document_validates_and_a_generated_client_imports() {
    let app = TestApp::demo().await;
    let (s, doc) = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(
                ids.insert(id.to_owned()),
                "{method} {path}: operationId {id} twice"
            );
        }
    }
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tools-venv/bin");
    assert!(
        venv.join("openapi-python-client").exists(),
        "scripts/test-env installs the OpenAPI tools into target/tools-venv"
    );
    let dir = tempfile::tempdir().expect("dir");
    let spec = dir.path().join("openapi.json");
    std::fs::write(&spec, doc.to_string()).expect("write");
    let run = |cmd: &mut std::process::Command| {
        let out = cmd.current_dir(dir.path()).output().expect("run");
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(std::process::Command::new(venv.join("openapi-spec-validator")).arg(&spec));
    std::fs::write(
        dir.path().join("config.yaml"),
        "project_name_override: shanzhi-client\npackage_name_override: shanzhi_client\n",
    )
    .expect("config");
    run(
        std::process::Command::new(venv.join("openapi-python-client"))
            .args([
                "generate",
                "--path",
                "openapi.json",
                "--config",
                "config.yaml",
            ])
            .args(["--output-path", "shanzhi_client", "--meta", "none"]),
    );
    // Every generated module imports: the models and endpoints are valid Python.
    run(std::process::Command::new(venv.join("python")).args([
        "-c",
        "import importlib, pkgutil, shanzhi_client as c\n\
         mods = [m.name for m in pkgutil.walk_packages(c.__path__, 'shanzhi_client.')]\n\
         [importlib.import_module(m) for m in mods]\n\
         assert len(mods) > 100, mods\n",
    ]));
}
