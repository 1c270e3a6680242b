//! The audit trail: every change is written with its record in one transaction, sealed into
//! the keyed chain as it is committed; `shanzhi audit verify` catches every kind of tampering
//! — edits, deletions anywhere (the tail and everything included, through the anchor kept
//! outside the database), insertions and reordering — and a server killed mid-write leaves no
//! change without its record.

use crate::cli::shanzhi_beside;
use crate::common::{FreshDb, TestApp, exec_sql};
use reqwest::StatusCode;
use serde_json::json;
use shanzhi_app::AppConfig;
use shanzhi_app::audit;
use shanzhi_store::vault::Vault;
use shanzhi_store::{Exec, Sql, Store};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A server with its own keys and anchor file, and the environment the command line needs.
struct Audited {
    app: TestApp,
    keys: String,
    anchor: PathBuf,
    _dir: tempfile::TempDir,
}

impl Audited {
    async fn start() -> Audited {
        let dir = tempfile::tempdir().expect("dir");
        let keys = Vault::generate();
        let anchor = dir.path().join("audit-anchor.log");
        let config = AppConfig {
            vault: Arc::new(Vault::parse(&keys).expect("keys")),
            audit_anchor: Some(anchor.clone()),
            ..Default::default()
        };
        let app = TestApp::start(shanzhi_app::boot::Demo::Off, config, Default::default()).await;
        Audited {
            app,
            keys,
            anchor,
            _dir: dir,
        }
    }

    /// `n` calendar changes by the administrator: `n` writes, each with its record.
    async fn writes(&self, n: usize) {
        let admin = self.app.token("admin").await;
        for i in 0..n {
            let (s, body) = self
                .app
                .call(
                    reqwest::Method::PUT,
                    &format!("/api/v1/calendar/2031-03-{:02}", i + 1),
                    Some(&admin),
                    Some(json!({"kind": "holiday", "name": format!("测试{i}")})),
                )
                .await;
            assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
        }
    }

    /// What `shanzhi audit verify` says: success and its output.
    async fn verify_cli(&self) -> (bool, String) {
        let anchor = self.anchor.display().to_string();
        let env = [
            ("SHANZHI_KEYS", self.keys.as_str()),
            ("SHANZHI_AUDIT_ANCHOR", anchor.as_str()),
        ];
        shanzhi_beside(&["audit", "verify"], self.app.db_url(), "", &env).await
    }

    /// What the application's verification says, as text.
    async fn verify(&self) -> Result<audit::Verified, String> {
        audit::check(self.app.state(), None)
            .await
            .map_err(|e| e.to_string())
    }

    async fn sql(&self, sql: &str) {
        exec_sql(&self.app, Sql::new(sql.to_owned())).await;
    }
}

/// (chain_seq, id) of every record, in id order.
async fn rows(store: &Store) -> Vec<(Option<i64>, i64)> {
    let mut conn = store.conn().await.expect("conn");
    conn.all(Sql::new("SELECT chain_seq, id FROM audit_log ORDER BY id"))
        .await
        .expect("rows")
}

#[tokio::test]
async fn a_write_is_recorded_and_sealed_in_its_own_transaction() {
    let a = Audited::start().await;
    a.writes(1).await;
    // No waiting for a writer or a sealer: the record came with the change, sealed.
    let calendar = || async {
        let mut conn = a.app.state().store().conn().await.unwrap();
        shanzhi_store::audit::list(
            &mut conn,
            &shanzhi_store::audit::AuditFilter {
                action: Some("PUT /api/v1/calendar/{day}"),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()
    };
    let records = calendar().await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].target, "/api/v1/calendar/2031-03-01");
    assert!(records[0].actor_label.contains("系统管理员"), "{records:?}");
    assert!(records[0].chain_seq.is_some(), "sealed as it was written");
    let all = rows(a.app.state().store()).await;
    assert!(all.iter().all(|(seq, _)| seq.is_some()), "{all:?}");

    // A refused write is no change: no record.
    let admin = a.app.token("admin").await;
    let (s, _) = a
        .app
        .call(
            reqwest::Method::PUT,
            "/api/v1/calendar/2031-02-30",
            Some(&admin),
            Some(json!({"kind": "holiday", "name": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(calendar().await.len(), 1);

    // The head is anchored outside the database, and everything agrees.
    let anchored = audit::anchor(a.app.state())
        .await
        .unwrap()
        .expect("anchored");
    let head = audit::head(a.app.state().store()).await.unwrap();
    assert_eq!(anchored.seq, head.seq);
    assert_eq!(
        audit::anchor(a.app.state()).await.unwrap(),
        None,
        "an unchanged head is not anchored twice"
    );
    let v = a.verify().await.unwrap();
    assert_eq!((v.checked, v.anchors, v.unsealed), (head.seq, 1, 0));
    let (ok, out) = a.verify_cli().await;
    assert!(
        ok && out.contains("审计日志完整") && out.contains("1 个链外锚定"),
        "{out}"
    );
    let env = [("SHANZHI_KEYS", a.keys.as_str())];
    let (ok, out) = shanzhi_beside(&["audit", "head"], a.app.db_url(), "", &env).await;
    assert!(
        ok && out.starts_with(&format!("{} {}", head.seq, head.hash)),
        "{out}"
    );
}

#[tokio::test]
async fn every_kind_of_tampering_is_named() {
    // Each case on a fresh chain of six writes, anchored after the fourth.
    type Tamper = (&'static str, &'static [&'static str], &'static str);
    let cases: [Tamper; 9] = [
        (
            "an edit",
            &["UPDATE audit_log SET actor_label = '某人' WHERE chain_seq = 3"],
            "第 3 条审计记录与其校验值不符",
        ),
        (
            "the first record deleted",
            &["DELETE FROM audit_log WHERE chain_seq = 1"],
            "第 1 条审计记录缺失",
        ),
        (
            "a record in the middle deleted",
            &["DELETE FROM audit_log WHERE chain_seq = 4"],
            "第 4 条审计记录缺失",
        ),
        (
            "the last record deleted",
            &["DELETE FROM audit_log WHERE chain_seq = (SELECT MAX(chain_seq) FROM audit_log)"],
            "链尾的记录被删除",
        ),
        (
            "the tail deleted and the head moved back to match",
            &[
                "DELETE FROM audit_log WHERE chain_seq > 2",
                "UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_log WHERE chain_seq = 2)",
            ],
            "第 3–",
        ),
        (
            "everything deleted",
            &[
                "DELETE FROM audit_log",
                "UPDATE audit_head SET seq = 0, hash = NULL",
            ],
            "第 1–",
        ),
        (
            "the last record edited and its seal removed",
            &[
                "UPDATE audit_log SET actor_label = '某人', chain_seq = NULL, hash = NULL \
                 WHERE chain_seq = (SELECT MAX(chain_seq) FROM audit_log)",
                "UPDATE audit_head SET seq = seq - 1, hash = (SELECT hash FROM audit_log WHERE chain_seq = (SELECT MAX(chain_seq) FROM audit_log))",
            ],
            "未经本系统封存",
        ),
        (
            "a forged record inserted",
            &[
                "INSERT INTO audit_log (at, actor_id, actor_label, action, target, detail) \
               VALUES (1, NULL, '系统', 'POST /x', '/x', '{}')",
            ],
            "未经本系统封存",
        ),
        ("two records swapped", &[], "被调换"),
    ];
    for (what, statements, says) in cases {
        let a = Audited::start().await;
        a.writes(4).await;
        audit::anchor(a.app.state())
            .await
            .unwrap()
            .expect("anchored");
        a.writes(2).await;
        assert!(a.verify().await.is_ok(), "{what}: intact before");
        if statements.is_empty() {
            swap_ids(&a).await;
        }
        for s in statements {
            a.sql(s).await;
        }
        let broken = a.verify().await.expect_err(what);
        assert!(broken.contains(says), "{what}: {broken}");
        let (ok, out) = a.verify_cli().await;
        assert!(
            !ok && out.contains("审计日志校验失败") && out.contains(says),
            "{what}: {out}"
        );
    }
}

/// Swaps the row ids of the records at positions 2 and 3.
async fn swap_ids(a: &Audited) {
    let r = rows(a.app.state().store()).await;
    let id = |seq: i64| {
        r.iter()
            .find(|(s, _)| *s == Some(seq))
            .map(|(_, id)| *id)
            .unwrap()
    };
    let (two, three) = (id(2), id(3));
    for (from, to) in [(two, -1), (three, two), (-1, three)] {
        a.sql(&format!("UPDATE audit_log SET id = {to} WHERE id = {from}"))
            .await;
    }
}

/// Many writes at once — on PostgreSQL their commits run side by side and are chained right
/// after — make one whole chain holding every record once, and change-feed positions without
/// a gap.
#[tokio::test]
async fn concurrent_writes_make_one_whole_chain_and_feed() {
    let a = Audited::start().await;
    let admin = a.app.token("admin").await;
    let mut writes = tokio::task::JoinSet::new();
    for day in 1..=24 {
        let request = a
            .app
            .client
            .put(format!("{}/api/v1/calendar/2031-04-{day:02}", a.app.base))
            .bearer_auth(&admin)
            .json(&json!({"kind": "holiday", "name": format!("并发{day}")}));
        writes.spawn(async move { request.send().await.map(|r| r.status()) });
    }
    for status in writes.join_all().await {
        assert_eq!(status.expect("request"), StatusCode::NO_CONTENT);
    }
    let v = a.verify().await.expect("intact");
    let all = rows(a.app.state().store()).await;
    assert!(all.iter().all(|(seq, _)| seq.is_some()), "{all:?}");
    assert_eq!(v.checked, all.len() as i64);
    assert_eq!(v.unsealed, 0);
    let feed = feed_positions(a.app.state().store()).await;
    assert!(feed.len() >= 24, "{feed:?}");
    let first = feed[0].expect("numbered");
    let expected: Vec<Option<i64>> = (first..first + feed.len() as i64).map(Some).collect();
    assert_eq!(feed, expected, "positions without a gap");
}

/// A process that dies between its commit and the pass after it leaves its record and feed
/// entry without positions; the next pass (every process's feed follower runs one every few
/// seconds) gives them theirs. Meanwhile verification calls the record waiting, not forged.
#[tokio::test]
async fn what_a_dead_process_left_unsettled_is_settled_by_the_next_pass() {
    let a = Audited::start().await;
    a.writes(3).await;
    let before = a.verify().await.expect("intact");
    let store = a.app.state().store();
    let mut tx = store.begin().await.expect("tx");
    for sql in [
        "UPDATE audit_log SET chain_seq = NULL, hash = NULL \
         WHERE chain_seq = (SELECT MAX(chain_seq) FROM audit_log)",
        "UPDATE audit_head SET seq = seq - 1, \
         hash = (SELECT hash FROM audit_log WHERE chain_seq = (SELECT MAX(chain_seq) FROM audit_log))",
        "UPDATE feed SET seq = NULL WHERE seq = (SELECT MAX(seq) FROM feed)",
        "UPDATE feed_head SET seq = seq - 1",
    ] {
        tx.exec(Sql::new(sql)).await.expect(sql);
    }
    tx.commit().await.expect("commit");
    let waiting = a.verify().await.expect("waiting is not tampering");
    assert!(waiting.unsealed <= 1, "{waiting:?}");

    store.settle().await.expect("settle");
    let after = a.verify().await.expect("whole again");
    assert_eq!((after.checked, after.unsealed), (before.checked, 0));
    let feed = feed_positions(store).await;
    assert!(feed.iter().all(Option::is_some), "{feed:?}");
    let (head,): (i64,) = store
        .conn()
        .await
        .expect("conn")
        .one(Sql::new("SELECT seq FROM feed_head"))
        .await
        .expect("head");
    assert_eq!(feed.last().copied().flatten(), Some(head));
}

/// The change feed's positions, in the order entries were written.
async fn feed_positions(store: &Store) -> Vec<Option<i64>> {
    let mut conn = store.conn().await.expect("conn");
    let rows: Vec<(Option<i64>,)> = conn
        .all(Sql::new("SELECT seq FROM feed ORDER BY seq"))
        .await
        .expect("feed");
    rows.into_iter().map(|(s,)| s).collect()
}

#[tokio::test]
async fn the_anchor_file_itself_is_checked() {
    let a = Audited::start().await;
    a.writes(2).await;
    audit::anchor(a.app.state()).await.unwrap();
    std::fs::write(&a.anchor, "not an anchor\n").unwrap();
    let broken = a.verify().await.unwrap_err();
    assert!(broken.contains("锚定文件被改动"), "{broken}");
}

#[tokio::test]
async fn a_killed_server_leaves_no_change_without_its_record() {
    let fresh = FreshDb::new().await;
    let dir = tempfile::tempdir().expect("dir");
    let mut server = crate::common::Served::spawn(&fresh.url, dir.path(), &[], &[]);
    server.ready().await;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let token = server.token("admin").await;

    // Writes in flight from 16 clients; the server is killed (SIGKILL) after 60 are answered.
    let answered = Arc::new(Mutex::new(Vec::new()));
    let mut clients = Vec::new();
    for c in 0..16 {
        let (client, base, token, answered) = (
            client.clone(),
            base.clone(),
            token.clone(),
            answered.clone(),
        );
        clients.push(tokio::spawn(async move {
            for i in 0..40 {
                let day = time::Date::from_ordinal_date(2032, 1 + c * 20 + i).unwrap();
                let r = client
                    .put(format!("{base}/api/v1/calendar/{day}"))
                    .bearer_auth(&token)
                    .json(&json!({"kind": "holiday", "name": format!("压力{c}-{i}")}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == StatusCode::NO_CONTENT => {
                        answered.lock().unwrap().push(day.to_string());
                    }
                    _ => return,
                }
            }
        }));
    }
    while answered.lock().unwrap().len() < 60 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    for c in clients {
        let _ = c.await;
    }
    let answered = answered.lock().unwrap().clone();

    let store = Store::open(&fresh.opts).await.expect("reopen");
    let mut conn = store.conn().await.unwrap();
    let days: Vec<(String,)> = conn
        .all(Sql::new(
            "SELECT day FROM calendar_days WHERE day >= '2032-01-01'",
        ))
        .await
        .unwrap();
    let recorded: Vec<(String,)> = conn
        .all(Sql::new(
            "SELECT target FROM audit_log WHERE action = 'PUT /api/v1/calendar/{day}'",
        ))
        .await
        .unwrap();
    let days: std::collections::BTreeSet<String> = days.into_iter().map(|(d,)| d).collect();
    let recorded: std::collections::BTreeSet<String> = recorded
        .into_iter()
        .map(|(t,)| t.trim_start_matches("/api/v1/calendar/").to_owned())
        .collect();
    assert!(
        answered.len() < 16 * 40,
        "killed before the clients were done"
    );
    for day in &answered {
        assert!(days.contains(day), "answered {day} but not stored");
    }
    assert_eq!(
        days, recorded,
        "every change has its record and every record its change"
    );
    drop(conn);
    store.close().await;

    // And the chain the killed server left is whole.
    let keys = dir.path().join("keys.txt").display().to_string();
    let anchor = dir.path().join("audit-anchor.log").display().to_string();
    let env = [
        ("SHANZHI_KEY_FILE", keys.as_str()),
        ("SHANZHI_AUDIT_ANCHOR", anchor.as_str()),
    ];
    let (ok, out) = shanzhi_beside(&["audit", "verify"], &fresh.url, "", &env).await;
    assert!(ok && out.contains("审计日志完整"), "{out}");
}
