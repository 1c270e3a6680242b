//! The audit trail: every successful write is recorded with who made it, the records are
//! sealed into a keyed chain, and `shanzhi audit verify` catches an edited or deleted record.

use crate::cli::shanzhi_beside;
use crate::common::{TestApp, exec_sql};
use reqwest::StatusCode;
use serde_json::json;
use shanzhi_app::AppConfig;
use shanzhi_app::audit;
use shanzhi_store::Sql;
use shanzhi_store::vault::Vault;
use std::sync::Arc;

/// Waits until the HTTP layer's queue has written at least `n` records.
async fn records(app: &TestApp, n: i64) -> i64 {
    for _ in 0..100 {
        let mut conn = app.state().store().conn().await.unwrap();
        let (count,): (i64,) =
            shanzhi_store::Exec::one(&mut conn, Sql::new("SELECT COUNT(*) FROM audit_log"))
                .await
                .unwrap();
        if count >= n {
            return count;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("audit records not written");
}

#[tokio::test]
async fn writes_are_recorded_sealed_and_tampering_is_caught() {
    let keys = Vault::generate();
    let config = AppConfig {
        vault: Arc::new(Vault::parse(&keys).unwrap()),
        ..Default::default()
    };
    let app = TestApp::demo_with(config, Default::default()).await;
    let worker = app.token("wg0101").await;
    let (s, case) = app
        .post(
            "/api/v1/cases",
            &worker,
            json!({"category": "03", "title": "垃圾满溢", "description": "东门垃圾桶满溢", "node_code": "450802001001001"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // A refused write is no change: it is not recorded.
    let (s, _) = app
        .post("/api/v1/cases", &worker, json!({"category": "03"}))
        .await;
    assert_eq!(s.as_u16() / 100, 4);
    records(&app, 2).await;

    let (store, vault) = (app.state().store(), app.state().vault());
    audit::seal(store, vault).await.unwrap();
    let v = audit::verify(store, vault).await.unwrap();
    assert!(v.checked >= 2 && v.unsealed == 0, "{v:?}");
    let mut conn = store.conn().await.unwrap();
    let rows = shanzhi_store::audit::list(
        &mut conn,
        &shanzhi_store::audit::AuditFilter {
            action: Some("POST /api/v1/cases"),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1, "only the write that succeeded: {rows:?}");
    assert!(rows[0].actor_label.contains("网格员"), "{:?}", rows[0]);
    assert_eq!(rows[0].target, "/api/v1/cases");
    assert!(case["id"].is_i64());

    // The command line agrees, with the keys from the environment.
    let env = [("SHANZHI_KEYS", keys.as_str())];
    let (ok, out) = shanzhi_beside(&["audit", "verify"], app.db_url(), "", &env).await;
    assert!(ok && out.contains("审计日志完整"), "{out}");

    // An edited record breaks the chain at that record.
    exec_sql(
        &app,
        Sql::new("UPDATE audit_log SET actor_label = '某人' WHERE chain_seq = 1"),
    )
    .await;
    let broken = audit::verify(store, vault).await.unwrap_err().to_string();
    assert!(
        broken.contains("第 1 条") && broken.contains("被修改"),
        "{broken}"
    );
    let (ok, out) = shanzhi_beside(&["audit", "verify"], app.db_url(), "", &env).await;
    assert!(!ok && out.contains("校验失败"), "{out}");
}

#[tokio::test]
async fn a_deleted_record_is_caught() {
    let app = TestApp::demo().await;
    let admin = app.token("admin").await;
    for name in ["东湖社区", "西湖社区"] {
        let (s, body) = app
            .patch(
                "/api/v1/regions/450802001001",
                &admin,
                json!({"name": name}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    let (store, vault) = (app.state().store(), app.state().vault());
    records(&app, 2).await;
    audit::seal(store, vault).await.unwrap();
    assert!(audit::verify(store, vault).await.unwrap().checked >= 2);
    exec_sql(&app, Sql::new("DELETE FROM audit_log WHERE chain_seq = 1")).await;
    let broken = audit::verify(store, vault).await.unwrap_err().to_string();
    assert!(broken.contains("第 1 条审计记录缺失"), "{broken}");
}
