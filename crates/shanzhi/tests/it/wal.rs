//! SQLite's write-ahead log does not keep a burst's size: once writing stops, the server empties
//! it (every page already copied into the database), and a server started on a long WAL left by
//! a crash empties it before serving.

use crate::common::{FreshDb, TestApp, backend, eventually};
use reqwest::StatusCode;
use serde_json::json;
use shanzhi_app::AppConfig;
use shanzhi_app::boot::Demo;
use shanzhi_web::WebConfig;

fn wal_bytes(db: &str) -> u64 {
    std::fs::metadata(format!("{db}-wal")).map_or(0, |m| m.len())
}

/// The demo district served from a SQLite file: the server, the file's path and a dispatcher's
/// token.
async fn served() -> (TestApp, String, String) {
    let db = FreshDb::new().await;
    let path = db.url.clone();
    let app = TestApp::on(
        db,
        Demo::District,
        AppConfig::default(),
        WebConfig::default(),
    )
    .await;
    let token = app.token("zhzx").await;
    (app, path, token)
}

#[tokio::test]
async fn the_wal_is_emptied_once_writing_stops() {
    if backend() != "sqlite" {
        return; // PostgreSQL recycles its own WAL segments
    }
    let (app, path, token) = served().await;
    for i in 0..40 {
        let (s, body) = app
            .post(
                "/api/v1/cases",
                &token,
                json!({"category": "03", "title": format!("垃圾满溢 {i}"), "description": "东门垃圾桶满溢", "node_code": "450802001001001"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    assert!(wal_bytes(&path) > 0, "the reports went through the WAL");
    eventually("the WAL emptied after a quiet second", || async {
        wal_bytes(&path) == 0
    })
    .await;
    // Written again afterwards: the WAL starts over and is emptied again.
    let (s, _) = app
        .post(
            "/api/v1/cases",
            &token,
            json!({"category": "03", "title": "又满了", "description": "东门垃圾桶又满了", "node_code": "450802001001001"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    eventually("the WAL emptied again", || async { wal_bytes(&path) == 0 }).await;
}

#[tokio::test]
async fn a_wal_left_by_a_crash_is_emptied_at_start() {
    if backend() != "sqlite" {
        return;
    }
    let (app, path, token) = served().await;
    let copy = tempfile::tempdir().expect("dir");
    let crashed = copy.path().join("shanzhi.db").display().to_string();
    // What a crash leaves: the WAL as it stands just after a commit, and the database file. The
    // WAL is copied first, so a checkpoint in between leaves both copies whole.
    for attempt in 0.. {
        let (s, _) = app
            .post(
                "/api/v1/cases",
                &token,
                json!({"category": "03", "title": format!("路灯不亮 {attempt}"), "description": "北门路灯不亮", "node_code": "450802001001001"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        std::fs::copy(format!("{path}-wal"), format!("{crashed}-wal")).expect("copy WAL");
        std::fs::copy(&path, &crashed).expect("copy database");
        if wal_bytes(&crashed) > 0 {
            break;
        }
        assert!(attempt < 20, "never caught the WAL before its checkpoint");
    }
    let store =
        shanzhi_store::Store::open(&shanzhi_store::StoreOptions::Sqlite(crashed.clone().into()))
            .await
            .expect("opens");
    assert_eq!(wal_bytes(&crashed), 0, "emptied before serving");
    let (n,): (i64,) = shanzhi_store::Exec::one(
        &mut store.conn().await.expect("conn"),
        shanzhi_store::Sql::new("SELECT COUNT(*) FROM cases WHERE title LIKE '路灯不亮%'"),
    )
    .await
    .expect("count");
    assert!(n >= 1, "the WAL's reports are in the database");
}
