//! What a deployment's processes must agree on, and the lock they take to start up together.

use crate::{Exec, Sql, Store, StoreError};

/// The stored key check value, writing `(index, sealed)` first when the deployment has none
/// (the first start). Returns what is stored: compare it with this process's keys.
pub async fn key_check(
    store: &Store,
    index: &[u8],
    sealed: &[u8],
    now: i64,
) -> Result<(Vec<u8>, Vec<u8>), StoreError> {
    let mut conn = store.conn().await?;
    conn.bookkeeping(
        Sql::new(
            "INSERT INTO deployment (id, key_index, key_sealed, created_at) VALUES (1, ?, ?, ?) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(index.to_vec())
        .bind(sealed.to_vec())
        .bind(now),
    )
    .await?;
    conn.one(Sql::new(
        "SELECT key_index, key_sealed FROM deployment WHERE id = 1",
    ))
    .await
}
