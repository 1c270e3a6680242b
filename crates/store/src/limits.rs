//! The counts behind the limits (failed logins, requests per key), kept where every server
//! process sees them. Counting is bookkeeping, not a change anyone answers for: it is never
//! on the audit trail.

use crate::{Conn, Exec, Sql, StoreError};
use shanzhi_domain::auth::Failures;

/// Failed logins since `since` (ms): of `account` from `ip`, and from `ip` for any account.
pub async fn failures(
    ex: &mut impl Exec,
    account: &str,
    ip: &str,
    since: i64,
) -> Result<Failures, StoreError> {
    let (pair, pair_oldest, pair_newest): (i64, Option<i64>, Option<i64>) = ex
        .one(
            Sql::new(
                "SELECT COUNT(*), MIN(at), MAX(at) FROM login_failures \
                 WHERE account = ? AND ip = ? AND at >= ?",
            )
            .bind(account)
            .bind(ip)
            .bind(since),
        )
        .await?;
    let (address, address_oldest): (i64, Option<i64>) = ex
        .one(
            Sql::new("SELECT COUNT(*), MIN(at) FROM login_failures WHERE ip = ? AND at >= ?")
                .bind(ip)
                .bind(since),
        )
        .await?;
    Ok(Failures {
        pair: pair as usize,
        pair_oldest,
        pair_newest,
        address: address as usize,
        address_oldest,
    })
}

/// Records a failed login.
pub async fn record_failure(
    conn: &mut Conn,
    account: &str,
    ip: &str,
    at: i64,
) -> Result<(), StoreError> {
    conn.bookkeeping(
        Sql::new("INSERT INTO login_failures (account, ip, at) VALUES (?, ?, ?)")
            .bind(account)
            .bind(ip)
            .bind(at),
    )
    .await?;
    Ok(())
}

/// Forgets the failures of `account` from `ip` (it has just signed in from there).
pub async fn clear_failures(conn: &mut Conn, account: &str, ip: &str) -> Result<(), StoreError> {
    conn.bookkeeping(
        Sql::new("DELETE FROM login_failures WHERE account = ? AND ip = ?")
            .bind(account)
            .bind(ip),
    )
    .await?;
    Ok(())
}

/// Counts one event for `key` in `bucket` in the window starting at `window_start`, and
/// returns the window's count with it and the count of the window before (one atomic
/// increment: several processes may count at once).
pub async fn hit(
    conn: &mut Conn,
    bucket: &str,
    key: &str,
    window_start: i64,
    previous_start: i64,
) -> Result<(u64, u64), StoreError> {
    // A RETURNING statement read as a row: bookkeeping, never on the audit trail.
    let (now,): (i64,) = conn
        .one(
            Sql::new(
                "INSERT INTO rate_counts (bucket, key, window_start, n) VALUES (?, ?, ?, 1) \
                 ON CONFLICT (bucket, key, window_start) DO UPDATE SET n = rate_counts.n + 1 \
                 RETURNING n",
            )
            .bind(bucket)
            .bind(key)
            .bind(window_start),
        )
        .await?;
    let before: Option<(i64,)> = conn
        .opt(
            Sql::new("SELECT n FROM rate_counts WHERE bucket = ? AND key = ? AND window_start = ?")
                .bind(bucket)
                .bind(key)
                .bind(previous_start),
        )
        .await?;
    Ok((now as u64, before.map_or(0, |(n,)| n as u64)))
}

/// How many events `bucket` counted since `since` (ms), over every key (for administrators:
/// texts sent per hour).
pub async fn total_since(ex: &mut impl Exec, bucket: &str, since: i64) -> Result<u64, StoreError> {
    // PostgreSQL sums BIGINT into NUMERIC: cast back.
    let (n,): (i64,) = ex
        .one(
            Sql::new(
                "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM rate_counts \
                 WHERE bucket = ? AND window_start >= ?",
            )
            .bind(bucket)
            .bind(since),
        )
        .await?;
    Ok(n as u64)
}

/// Drops counts older than `before` (ms).
pub async fn purge(conn: &mut Conn, before: i64) -> Result<(), StoreError> {
    conn.bookkeeping(Sql::new("DELETE FROM login_failures WHERE at < ?").bind(before))
        .await?;
    conn.bookkeeping(Sql::new("DELETE FROM rate_counts WHERE window_start < ?").bind(before))
        .await?;
    Ok(())
}
