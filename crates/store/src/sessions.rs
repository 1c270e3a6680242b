//! Web sessions and API tokens. Only SHA-256 hashes of the secrets are stored, so a leaked
//! database does not leak live credentials.

use crate::accounts::AccountRow;
use crate::{Exec, Sql, StoreError};

const ACCOUNT_COLUMNS: &str = "a.id, a.username, a.display_name, a.role, a.node_code, a.department_id, \
                               a.password_hash, a.active, a.created_at, a.updated_at";

/// Stores a new session.
pub async fn create_session(
    ex: &mut impl Exec,
    token_hash: &str,
    account_id: i64,
    expires_at: i64,
    now: i64,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new("INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(token_hash)
            .bind(account_id)
            .bind(now)
            .bind(expires_at),
    )
    .await
    .map(drop)
}

/// The account behind a session or an API token, and until when the secret holds.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Holder {
    /// The account (active when read).
    #[sqlx(flatten)]
    pub account: AccountRow,
    /// When the session or token ends (ms).
    pub expires_at: i64,
}

/// The active account behind an unexpired secret in `table` (`sessions` or `api_tokens`,
/// never user input).
async fn account_behind(
    ex: &mut impl Exec,
    table: &str,
    token_hash: &str,
    now: i64,
) -> Result<Option<Holder>, StoreError> {
    ex.opt(
        Sql::new(format!(
            "SELECT {ACCOUNT_COLUMNS}, s.expires_at FROM {table} s JOIN accounts a ON a.id = s.account_id \
             WHERE s.token_hash = ? AND s.expires_at > ? AND a.active"
        ))
        .bind(token_hash)
        .bind(now),
    )
    .await
}

/// The active account behind an unexpired session.
pub async fn session_account(
    ex: &mut impl Exec,
    token_hash: &str,
    now: i64,
) -> Result<Option<Holder>, StoreError> {
    account_behind(ex, "sessions", token_hash, now).await
}

/// Ends a session.
pub async fn delete_session(ex: &mut impl Exec, token_hash: &str) -> Result<(), StoreError> {
    ex.exec(Sql::new("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash))
        .await
        .map(drop)
}

/// Deletes expired sessions and tokens; returns how many rows went.
pub async fn purge_expired(ex: &mut impl Exec, now: i64) -> Result<u64, StoreError> {
    let a = ex
        .exec(Sql::new("DELETE FROM sessions WHERE expires_at <= ?").bind(now))
        .await?;
    let b = ex
        .exec(Sql::new("DELETE FROM api_tokens WHERE expires_at <= ?").bind(now))
        .await?;
    Ok(a + b)
}

/// Stores a new API token.
pub async fn create_token(
    ex: &mut impl Exec,
    token_hash: &str,
    account_id: i64,
    name: &str,
    expires_at: i64,
    now: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO api_tokens (token_hash, account_id, name, created_at, expires_at) \
                 VALUES (?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(token_hash)
            .bind(account_id)
            .bind(name)
            .bind(now)
            .bind(expires_at),
        )
        .await?;
    Ok(id)
}

/// The active account behind an unexpired API token.
pub async fn token_account(
    ex: &mut impl Exec,
    token_hash: &str,
    now: i64,
) -> Result<Option<Holder>, StoreError> {
    account_behind(ex, "api_tokens", token_hash, now).await
}

/// Revokes an API token.
pub async fn delete_token(ex: &mut impl Exec, token_hash: &str) -> Result<(), StoreError> {
    ex.exec(Sql::new("DELETE FROM api_tokens WHERE token_hash = ?").bind(token_hash))
        .await
        .map(drop)
}
