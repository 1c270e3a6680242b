//! The change feed's storage: entries written by the commit of the transaction that made the
//! change ([`crate::Tx::publish`]), read in order by every process's follower, woken on
//! PostgreSQL by `NOTIFY` sent with the commit.

use crate::{Conn, Exec, Sql, StoreError};
use shanzhi_domain::notify::FeedKind;

/// The channel commits notify followers on.
pub const CHANNEL: &str = "shanzhi_feed";

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FeedRow {
    /// Position (gapless, in commit order).
    pub seq: i64,
    /// When (ms).
    pub at: i64,
    /// What it is about.
    pub kind: FeedKind,
    /// Details, JSON.
    pub payload: String,
}

/// Writes `items` (kind, payload JSON) at the next positions: called by the commit, which
/// holds the head's lock until it ends.
pub(crate) async fn write(
    ex: &mut impl Exec,
    items: &[(FeedKind, String)],
    at: i64,
) -> Result<(), StoreError> {
    let lock = match ex.backend() {
        crate::Backend::Postgres => " FOR UPDATE",
        crate::Backend::Sqlite => "",
    };
    let (mut seq,): (i64,) = ex
        .one(Sql::new(format!(
            "SELECT seq FROM feed_head WHERE id = 1{lock}"
        )))
        .await?;
    for chunk in items.chunks(500) {
        let mut q = Sql::new("INSERT INTO feed (seq, at, kind, payload) VALUES ");
        for (i, (kind, payload)) in chunk.iter().enumerate() {
            seq += 1;
            q.push(if i == 0 { "(" } else { ", (" });
            q.push_bind("?", seq)
                .push_bind(", ?", at)
                .push_bind(", ?", kind.as_str())
                .push_bind(", ?", payload.as_str())
                .push(")");
        }
        ex.exec(q).await?;
    }
    ex.exec(Sql::new("UPDATE feed_head SET seq = ? WHERE id = 1").bind(seq))
        .await?;
    if ex.backend() == crate::Backend::Postgres {
        ex.exec(Sql::new(format!("SELECT pg_notify('{CHANNEL}', '')")))
            .await?;
    }
    Ok(())
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
