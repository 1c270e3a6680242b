//! The change feed's storage: entries written by the commit of the transaction that made the
//! change ([`crate::Tx::publish`]), numbered by that commit (SQLite) or right after it
//! (PostgreSQL, which then wakes every process with `NOTIFY`), read in order by every
//! process's follower.

use crate::{Conn, Exec, Sql, StoreError};
use shanzhi_domain::notify::FeedKind;

/// The channel commits notify followers on.
pub const CHANNEL: &str = "shanzhi_feed";

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FeedRow {
    /// Position (gapless, in the order entries became visible).
    pub seq: i64,
    /// When (ms).
    pub at: i64,
    /// What it is about.
    pub kind: FeedKind,
    /// Details, JSON.
    pub payload: String,
}

/// Writes `items` (kind, payload JSON). SQLite numbers them at once (its one writer holds the
/// write lock); PostgreSQL leaves them for [`number`] right after the commit, so commits of
/// many processes need not queue behind one head.
pub(crate) async fn write(
    ex: &mut impl Exec,
    items: &[(FeedKind, String)],
    at: i64,
) -> Result<(), StoreError> {
    let numbered = ex.backend() == crate::Backend::Sqlite;
    let mut seq = if numbered { head(ex).await? } else { 0 };
    for chunk in items.chunks(500) {
        let mut q = Sql::new("INSERT INTO feed (seq, at, kind, payload) VALUES ");
        for (i, (kind, payload)) in chunk.iter().enumerate() {
            seq += 1;
            q.push(if i == 0 { "(" } else { ", (" });
            q.push_bind("?", numbered.then_some(seq))
                .push_bind(", ?", at)
                .push_bind(", ?", kind.as_str())
                .push_bind(", ?", payload.as_str())
                .push(")");
        }
        ex.exec(q).await?;
    }
    if numbered {
        ex.exec(Sql::new("UPDATE feed_head SET seq = ? WHERE id = 1").bind(seq))
            .await?;
    }
    Ok(())
}

/// Numbers the committed entries that have no position yet, in the order they were written,
/// after the last position, and wakes every follower with `NOTIFY` on PostgreSQL (the caller
/// holds the settle lock, see `Store::settle`, so passes never overlap and positions only
/// grow: a follower that has read up to N never misses an entry below N). Returns how many.
pub(crate) async fn number(tx: &mut impl Exec) -> Result<usize, StoreError> {
    let last = head(tx).await?;
    let numbered: Vec<(i64,)> = tx
        .all(
            Sql::new(
                "UPDATE feed AS f SET seq = ? + n.r \
                 FROM (SELECT id, row_number() OVER (ORDER BY id) AS r FROM feed WHERE seq IS NULL) AS n \
                 WHERE f.id = n.id RETURNING seq",
            )
            .bind(last),
        )
        .await?;
    if let Some(top) = numbered.iter().map(|(s,)| *s).max() {
        tx.exec(Sql::new("UPDATE feed_head SET seq = ? WHERE id = 1").bind(top))
            .await?;
        if tx.backend() == crate::Backend::Postgres {
            tx.exec(Sql::new(format!("SELECT pg_notify('{CHANNEL}', '')")))
                .await?;
        }
    }
    Ok(numbered.len())
}

/// The last position written.
pub async fn head(ex: &mut impl Exec) -> Result<i64, StoreError> {
    let (seq,): (i64,) = ex
        .one(Sql::new("SELECT seq FROM feed_head WHERE id = 1"))
        .await?;
    Ok(seq)
}

/// Entries after `seq`, in order, at most `limit`; only of `kind` when given.
pub async fn after(
    ex: &mut impl Exec,
    seq: i64,
    kind: Option<FeedKind>,
    limit: u32,
) -> Result<Vec<FeedRow>, StoreError> {
    let mut q = Sql::new("SELECT seq, at, kind, payload FROM feed WHERE seq > ?").bind(seq);
    if let Some(k) = kind {
        q.push_bind(" AND kind = ?", k.as_str());
    }
    q.push_bind(" ORDER BY seq LIMIT ?", i64::from(limit));
    ex.all(q).await
}

/// Drops entries older than `before` (ms).
pub async fn purge(conn: &mut Conn, before: i64) -> Result<(), StoreError> {
    conn.bookkeeping(Sql::new("DELETE FROM feed WHERE at < ?").bind(before))
        .await?;
    Ok(())
}
