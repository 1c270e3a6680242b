//! Open311 client applications and their API keys (only hashes are stored).

use crate::{Exec, Sql, StoreError};

/// A client application (also the API's answer).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ClientRow {
    /// Id.
    pub id: i64,
    /// Name (the app or the organisation running it).
    pub name: String,
    /// When registered (ms).
    pub created_at: i64,
    /// When its key was revoked (ms).
    pub revoked_at: Option<i64>,
}

/// Registers a client with the hash of its key.
pub async fn insert(
    ex: &mut impl Exec,
    name: &str,
    key_hash: &str,
    by: Option<i64>,
    now: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO open311_clients (name, key_hash, created_by, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            )
            .bind(name)
            .bind(key_hash)
            .bind(by)
            .bind(now),
        )
        .await?;
    Ok(id)
}

/// The live client holding the key with this hash.
pub async fn by_key_hash(ex: &mut impl Exec, hash: &str) -> Result<Option<ClientRow>, StoreError> {
    ex.opt(
        Sql::new(
            "SELECT id, name, created_at, revoked_at FROM open311_clients WHERE key_hash = ? AND revoked_at IS NULL",
        )
        .bind(hash),
    )
    .await
}

/// Every client, newest first.
pub async fn all(ex: &mut impl Exec) -> Result<Vec<ClientRow>, StoreError> {
    ex.all(Sql::new(
        "SELECT id, name, created_at, revoked_at FROM open311_clients ORDER BY id DESC",
    ))
    .await
}

/// Revokes a client's key; false if there was no such live client.
pub async fn revoke(ex: &mut impl Exec, id: i64, now: i64) -> Result<bool, StoreError> {
    let n = ex
        .exec(
            Sql::new(
                "UPDATE open311_clients SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id),
        )
        .await?;
    Ok(n == 1)
}
