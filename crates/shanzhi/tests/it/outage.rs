//! A database outage under load (PostgreSQL, reached through a relay the test can cut, so the
//! shared server stays up for the other tests): every route answers 503 with Retry-After
//! instead of hanging, `/healthz` names the database, and the server recovers by itself.

use crate::common::{FreshDb, TestApp, backend};
use reqwest::StatusCode;
use shanzhi_store::StoreOptions;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// A TCP relay to PostgreSQL that can be cut (every connection dropped, new ones closed at
/// once, as a stopped server does) and restored.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Relay {
    async fn start(to: &str) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let (up, links) = (
            Arc::new(AtomicBool::new(true)),
            Arc::new(Mutex::new(Vec::new())),
        );
        let (to, up2, links2) = (to.to_owned(), up.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: the client sees the connection close
                }
                let to = to.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&to).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                links2.lock().unwrap().push(link.abort_handle());
            }
        });
        Relay { port, up, links }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for l in self.links.lock().unwrap().drain(..) {
            l.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_database_outage_answers_503_and_the_server_recovers() {
    if backend() != "postgres" {
        return; // an embedded database has no outage of its own
    }
    let mut db = FreshDb::new().await;
    let relay = Relay::start("127.0.0.1:5432").await;
    let StoreOptions::Postgres(url) = &db.opts else {
        unreachable!("postgres backend")
    };
    let relayed = url.replacen("127.0.0.1:5432", &format!("127.0.0.1:{}", relay.port), 1);
    db.opts = StoreOptions::Postgres(relayed);
    let app = TestApp::on(
        db,
        shanzhi_app::boot::Demo::District,
        Default::default(),
        Default::default(),
    )
    .await;
    let token = app.token("zhzx").await;
    // Nothing may hang: a client that gives up after 10 s turns a hang into a failure.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let get = {
        let (client, base, token) = (client.clone(), app.base.clone(), token.clone());
        move |path: &'static str| {
            let (client, base, token) = (client.clone(), base.clone(), token.clone());
            async move {
                client
                    .get(format!("{base}{path}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("an answer, not a hang")
            }
        }
    };
    assert_eq!(get("/api/v1/cases?limit=5").await.status(), StatusCode::OK);

    // Load from eight clients throughout.
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut load = Vec::new();
    for _ in 0..8 {
        let (stop, seen, get) = (stop.clone(), seen.clone(), get.clone());
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let r = get("/api/v1/cases?limit=5").await;
                seen.lock().unwrap().push(r.status());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    relay.cut();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for path in ["/api/v1/cases?limit=5", "/api/v1/regions", "/healthz"] {
        let r = get(path).await;
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(r.headers().contains_key("retry-after"), "{path}");
        let body = r.text().await.unwrap();
        assert!(body.contains("数据库"), "{path}: {body}");
        if path == "/healthz" {
            assert!(body.contains("PostgreSQL"), "{body}");
        }
    }
    let report = client
        .post(format!("{}/api/v1/public/opinions", app.base))
        .json(&serde_json::json!({"community": "450802001001", "content": "楼道灯坏了"}))
        .send()
        .await
        .expect("an answer, not a hang");
    assert_eq!(
        report.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "writes too"
    );
    let page = client
        .get(format!("{}/login", app.base))
        .send()
        .await
        .expect("the login page still answers");
    assert_eq!(
        page.status(),
        StatusCode::OK,
        "pages without data still answer"
    );

    relay.restore();
    let mut recovered = false;
    for _ in 0..100 {
        if get("/api/v1/cases?limit=5").await.status() == StatusCode::OK
            && get("/healthz").await.status() == StatusCode::OK
        {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "the server recovers by itself");
    stop.store(true, Ordering::SeqCst);
    for l in load {
        l.await.unwrap();
    }
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::SERVICE_UNAVAILABLE),
        "only answers or 503s under the outage: {:?}",
        seen.iter()
            .filter(|s| **s != StatusCode::OK)
            .collect::<Vec<_>>()
    );
    assert!(seen.contains(&StatusCode::SERVICE_UNAVAILABLE));
}
