//! The test harness: a real server on port 0 over a real database — a fresh SQLite file, or a
//! fresh PostgreSQL database (UTF-8) when `SHANZHI_TEST_BACKEND=postgres` — driven over HTTP.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use shanzhi::server::{self, Launch, Running};
use shanzhi_app::boot::Demo;
use shanzhi_app::sms::{LoggedSender, Sms};
use shanzhi_app::{AppConfig, Clock};
use shanzhi_domain::case::Day;
use shanzhi_store::StoreOptions;
use shanzhi_web::{WebConfig, WebState};
use sqlx::Connection;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Password of the harness's admin and of every demo account.
pub const PASSWORD: &str = "Shanzhi2026";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Which backend the suite runs on.
pub fn backend() -> String {
    std::env::var("SHANZHI_TEST_BACKEND").unwrap_or_else(|_| "sqlite".into())
}

fn pg_admin_url() -> String {
    std::env::var("SHANZHI_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn pg_url_for(db: &str) -> String {
    let admin = pg_admin_url();
    let base = admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(b, _)| b)
        .to_owned();
    format!("{base}/{db}")
}

/// A fresh, empty database of the backend under test; a PostgreSQL one is dropped on drop.
pub struct FreshDb {
    /// How to open it.
    pub opts: StoreOptions,
    /// Its URL or file path, as the command line takes it.
    pub url: String,
    _dir: tempfile::TempDir,
    pg_db: Option<String>,
}

impl FreshDb {
    /// Creates one.
    pub async fn new() -> FreshDb {
        let dir = tempfile::tempdir().expect("temp dir");
        if backend() == "postgres" {
            let name = format!(
                "sz_t{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst),
                rand::random::<u32>()
            );
            let mut admin = sqlx::PgConnection::connect(&pg_admin_url())
                .await
                .expect("PostgreSQL reachable");
            // UTF-8 encoding and ctype, whatever the server's default: Chinese text must match.
            let sql = format!(
                "CREATE DATABASE {name} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
            );
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut admin)
                .await
                .expect("create test database");
            let url = pg_url_for(&name);
            FreshDb {
                opts: StoreOptions::Postgres(url.clone()),
                url,
                _dir: dir,
                pg_db: Some(name),
            }
        } else {
            let path = dir.path().join("shanzhi.db");
            let url = path.to_string_lossy().into_owned();
            FreshDb {
                opts: StoreOptions::Sqlite(path),
                url,
                _dir: dir,
                pg_db: None,
            }
        }
    }
}

impl Drop for FreshDb {
    fn drop(&mut self) {
        let Some(db) = self.pg_db.take() else { return };
        // Drop cannot await, and the test's runtime may be shutting down: use a thread.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&pg_admin_url()).await {
                    let sql = format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)");
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut admin)
                        .await;
                }
            });
        })
        .join();
    }
}

/// The instant the suite's clock starts at: `SHANZHI_TEST_NOW` (`2026-11-18T10:00:00+08:00`,
/// or `now` for the wall clock), else a fixed Wednesday in mid-November. The suite must pass
/// whatever the day; CI runs it at the fixed date and at the real one.
pub fn test_now() -> i64 {
    const DEFAULT: &str = "2026-11-18T10:00:00+08:00";
    let text = std::env::var("SHANZHI_TEST_NOW").unwrap_or_else(|_| DEFAULT.into());
    if text == "now" {
        return Clock::system().now_ms();
    }
    let t = time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("SHANZHI_TEST_NOW={text}: {e}"));
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The clock a test server runs on: from [`test_now`], at the wall clock's pace.
pub fn test_clock() -> Clock {
    Clock::starting_at(test_now())
}

/// A running server with its own database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// A client without cookies (API calls).
    pub client: reqwest::Client,
    running: Option<Running>,
    /// The texts the server "sent" (one-time codes).
    pub sms: std::sync::Arc<LoggedSender>,
    // Declared last: dropped after the server is stopped.
    _db: FreshDb,
}

impl TestApp {
    /// An empty deployment with only the `admin` account.
    pub async fn empty() -> TestApp {
        Self::start(Demo::Off, AppConfig::default(), WebConfig::default()).await
    }

    /// The demo district.
    pub async fn demo() -> TestApp {
        Self::start(Demo::District, AppConfig::default(), WebConfig::default()).await
    }

    /// The demo district sealed with the keys `keys` (for tests that run the command line on
    /// its database: the command line must be given the same keys, or it refuses to start).
    pub async fn demo_with_keys(keys: &str) -> TestApp {
        let app = AppConfig {
            vault: std::sync::Arc::new(shanzhi_store::vault::Vault::parse(keys).expect("keys")),
            ..Default::default()
        };
        Self::start(Demo::District, app, WebConfig::default()).await
    }

    /// The demo district with its four registers (12,000 residents, places, staff).
    pub async fn demo_with_registers() -> TestApp {
        Self::start(Demo::Registers, AppConfig::default(), WebConfig::default()).await
    }

    /// The demo district with its registers and months of history.
    pub async fn demo_with_history() -> TestApp {
        Self::start(Demo::History, AppConfig::default(), WebConfig::default()).await
    }

    /// The demo district on the wall clock's time: for tests where a browser stamps times
    /// itself (a phone's GPS fixes carry the phone's clock).
    pub async fn demo_on_wall_clock() -> TestApp {
        let app = AppConfig {
            clock: Clock::starting_at(Clock::system().now_ms()),
            ..Default::default()
        };
        Self::start(Demo::District, app, WebConfig::default()).await
    }

    /// The demo district with the given settings (the clock, when left as the wall clock,
    /// becomes the suite's [`test_clock`]).
    pub async fn demo_with(app: AppConfig, web: WebConfig) -> TestApp {
        Self::start(Demo::District, app, web).await
    }

    /// A server started as `shanzhi serve` starts one, on a fresh database, with `demo`
    /// seeded. The scheduler runs hourly: tests drive escalation themselves.
    pub async fn start(demo: Demo, app: AppConfig, web: WebConfig) -> TestApp {
        Self::on(FreshDb::new().await, demo, app, web).await
    }

    /// A server on `db` (whose `opts` may reach it another way, through a relay).
    pub async fn on(db: FreshDb, demo: Demo, mut app: AppConfig, web: WebConfig) -> TestApp {
        // Texts go to the log the tests read, unless the test set a gateway of its own.
        let sms = std::sync::Arc::new(LoggedSender::default());
        if app.sms.0.logs_only() {
            app.sms = Sms(sms.clone());
        }
        if app.clock.is_system() {
            app.clock = test_clock();
        }
        let running = server::launch(Launch {
            store: db.opts.clone(),
            app,
            web,
            demo,
            admin_password: Some(PASSWORD.into()),
            bind: "127.0.0.1:0".parse().expect("addr"),
            escalation_every: Duration::from_secs(3600),
        })
        .await
        .expect("server");
        TestApp {
            base: format!("http://{}", running.addr),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            running: Some(running),
            sms,
            _db: db,
        }
    }

    /// The one-time code the logged sender last "texted" to `phone` (as normalized).
    pub fn code_sent_to(&self, phone: &str) -> String {
        // The latest code: texts about reports go to the same phone in between.
        let text = self
            .sms
            .all_to(phone)
            .into_iter()
            .rev()
            .find(|t| t.contains("验证码 "))
            .expect("a code was sent");
        text.split("验证码 ").nth(1).expect("code in text")[..6].to_owned()
    }

    /// Waits (up to ten seconds) for the outbox to have texted `phone` a message containing
    /// `part`, and returns it.
    pub async fn texted(&self, phone: &str, part: &str) -> String {
        for _ in 0..200 {
            if let Some(t) = self
                .sms
                .all_to(phone)
                .into_iter()
                .find(|t| t.contains(part))
            {
                return t;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!(
            "no text to {phone} with {part}: {:?}",
            self.sms.all_to(phone)
        );
    }

    /// Now, by the server's clock.
    pub fn now_ms(&self) -> i64 {
        self.state().now_ms()
    }

    /// Today in Beijing, by the server's clock.
    pub fn today(&self) -> Day {
        self.state().clock().today()
    }

    /// The database's URL or file path, as the command line takes it.
    pub fn db_url(&self) -> &str {
        &self._db.url
    }

    /// The server's state (to reach the store directly in a few checks).
    pub fn state(&self) -> &WebState {
        &self.running.as_ref().expect("running").state
    }

    /// Logs in through the API and returns a bearer token.
    pub async fn token(&self, username: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/token",
                None,
                Some(serde_json::json!({"username": username, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "login {username}: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// One JSON API call; returns status and parsed body (Null when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, json)
    }

    /// GET with a token, the answer read as the API's own type (a renamed field breaks the
    /// build, not the assertion); panics on any status but 200.
    pub async fn get_as<T: serde::de::DeserializeOwned>(&self, path: &str, token: &str) -> T {
        let (s, body) = self.get(path, token).await;
        assert_eq!(s, StatusCode::OK, "GET {path}: {body}");
        serde_json::from_value(body).unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// POST JSON with a token, the answer read as the API's own type; panics unless the status
    /// is `expect`.
    pub async fn post_as<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: &str,
        body: Value,
        expect: StatusCode,
    ) -> T {
        let (s, out) = self.post(path, token, body).await;
        assert_eq!(s, expect, "POST {path}: {out}");
        serde_json::from_value(out).unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// GET with a token.
    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    /// PATCH JSON with a token.
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    /// POST JSON with a token.
    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }
}

/// GETs a page with a browser-like client: status and HTML.
pub async fn fetch(app: &TestApp, client: &reqwest::Client, path: &str) -> (StatusCode, String) {
    let r = client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .expect("request");
    (r.status(), r.text().await.expect("body"))
}

/// Posts a transition to a case.
pub async fn act(app: &TestApp, token: &str, id: i64, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/cases/{id}/actions"), token, body)
        .await
}

/// The case's current version, as `token` sees it.
pub async fn version(app: &TestApp, token: &str, id: i64) -> i64 {
    let (_, d) = app.get(&format!("/api/v1/cases/{id}"), token).await;
    d["case"]["version"].as_i64().expect("version")
}

/// Moves a case one step as `token` on its current version; panics unless it moved.
pub async fn step(app: &TestApp, token: &str, id: i64, body: Value) {
    let mut body = body;
    body["version"] = version(app, token, id).await.into();
    let (s, out) = act(app, token, id, body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{body}: {out}");
}

/// Carries a grid case from 上报 to 结案: the community officer accepts, dispatches, verifies
/// and closes; the grid worker starts and handles.
pub async fn carry_to_closed(app: &TestApp, officer: &str, worker: &str, id: i64) {
    for (token, body) in [
        (officer, serde_json::json!({"action": "accept"})),
        (
            officer,
            serde_json::json!({"action": "dispatch", "to": "grid"}),
        ),
        (worker, serde_json::json!({"action": "start"})),
        (
            worker,
            serde_json::json!({"action": "handle", "result": "已处理完毕"}),
        ),
        (officer, serde_json::json!({"action": "verify_pass"})),
        (officer, serde_json::json!({"action": "close"})),
    ] {
        step(app, token, id, body).await;
    }
}

/// Waits until `check` holds, up to ten seconds.
pub async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: not within ten seconds");
}

/// Runs one statement directly on the test database (to make time pass: deadlines are data).
pub async fn exec_sql(app: &TestApp, sql: shanzhi_store::Sql) {
    let mut conn = app.state().store().conn().await.expect("conn");
    shanzhi_store::Exec::exec(&mut conn, sql)
        .await
        .expect("sql");
}

/// Asserts the one error shape and returns its code.
pub fn error_code(body: &Value) -> &str {
    let e = &body["error"];
    assert!(
        e["message"].as_str().is_some_and(|m| !m.is_empty()),
        "error shape: {body}"
    );
    e["code"]
        .as_str()
        .unwrap_or_else(|| panic!("error shape: {body}"))
}

/// A PNG photo of `width`×`height` (a colour gradient, so it is a real picture to encode).
pub fn photo_png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode PNG");
    out.into_inner()
}

/// Uploads raw bytes as a case photo through the API.
pub async fn upload_photo(
    app: &TestApp,
    token: &str,
    id: i64,
    bytes: Vec<u8>,
    public: bool,
) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(format!(
            "{}/api/v1/cases/{id}/photos?public={public}",
            app.base
        ))
        .bearer_auth(token)
        .header("content-type", "image/png")
        .body(bytes)
        .send()
        .await
        .expect("request");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A real `shanzhi serve` process on `db`, killed (SIGKILL) on drop: for what only separate
/// processes show — a kill mid-write, several processes on one database.
pub struct Served {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    port: u16,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// Starts the binary on `db` with its data in `data_dir` (the keys from `env`, when it
    /// names `SHANZHI_KEYS`); `extra` are more `serve` arguments. Does not wait for it.
    pub fn spawn(
        db: &str,
        data_dir: &std::path::Path,
        env: &[(&str, &str)],
        extra: &[&str],
    ) -> Served {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        let mut args: Vec<String> = vec![
            "--database-url".into(),
            db.into(),
            "--data-dir".into(),
            data_dir.display().to_string(),
            "serve".into(),
            "--bind".into(),
            format!("127.0.0.1:{port}"),
        ];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .chain([("SHANZHI_ADMIN_PASSWORD".to_owned(), PASSWORD.to_owned())])
            .collect();
        let child = Self::launch(&args, &env);
        Served {
            child,
            base: format!("http://127.0.0.1:{port}"),
            port,
            args,
            env,
        }
    }

    fn launch(args: &[String], env: &[(String, String)]) -> std::process::Child {
        std::process::Command::new(env!("CARGO_BIN_EXE_shanzhi"))
            .args(args)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("serve")
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Waits until it answers `/healthz` with `ok`; panics after a minute.
    pub async fn ready(&self) {
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(r) = client.get(format!("{}/healthz", self.base)).send().await
                && r.status() == StatusCode::OK
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{} did not start", self.base);
    }

    /// Kills it (SIGKILL) and waits until it is gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again, on the same port and database.
    pub fn restart(&mut self) {
        self.kill();
        self.child = Self::launch(&self.args, &self.env);
    }

    /// An API token for `username`.
    pub async fn token(&self, username: &str) -> String {
        let body: Value = reqwest::Client::new()
            .post(format!("{}/api/v1/auth/token", self.base))
            .json(&serde_json::json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("json");
        body["token"].as_str().expect("token").to_owned()
    }
}
