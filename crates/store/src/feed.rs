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
/// many processes need not queue behind one head, and returns their ids for it.
pub(crate) async fn write(
    ex: &mut impl Exec,
    items: &[(FeedKind, String)],
    at: i64,
) -> Result<Vec<i64>, StoreError> {
    let numbered = ex.backend() == crate::Backend::Sqlite;
    let mut seq = if numbered { head(ex).await? } else { 0 };
    let mut ids = Vec::new();
    for chunk in crate::bulk::runs(items, 512) {
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
        if numbered {
            ex.exec(q).await?;
        } else {
            q.push(" RETURNING id");
            let written: Vec<(i64,)> = ex.all(q).await?;
            ids.extend(written.into_iter().map(|(id,)| id));
        }
    }
    if numbered {
        ex.exec(Sql::new("UPDATE feed_head SET seq = ? WHERE id = 1").bind(seq))
            .await?;
    }
    Ok(ids)
}

/// Which entries a numbering pass looks for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Unnumbered<'a> {
    /// These (the ids this process's commits wrote), found by key.
    Written(&'a [i64]),
    /// All without a position, found by scanning for them: what a process that died between
    /// its commit and its pass left behind. (Kept for the fallback: under load the scan also
    /// steps over every entry numbered since the last vacuum.)
    All,
}

/// Numbers the committed entries that have no position yet, in the order they were written,
/// after the last position, and wakes every follower with `NOTIFY` on PostgreSQL (the caller
/// holds the settle lock, see `Store::settle`, so passes never overlap and positions only
/// grow: a follower that has read up to N never misses an entry below N). Returns how many.
pub(crate) async fn number(tx: &mut impl Exec, which: Unnumbered<'_>) -> Result<usize, StoreError> {
    let mut last = head(tx).await?;
    let mut count = 0;
    let lists: Vec<Option<String>> = match which {
        Unnumbered::All => vec![None],
        Unnumbered::Written(ids) => {
            let mut ids = ids.to_vec();
            ids.sort_unstable();
            ids.chunks(5000)
                .map(|c| Some(c.iter().map(i64::to_string).collect::<Vec<_>>().join(",")))
                .collect()
        }
    };
    for list in lists {
        let mut q = Sql::new(
            "UPDATE feed AS f SET seq = ? + n.r FROM (SELECT id, row_number() OVER (ORDER BY id) AS r \
             FROM feed WHERE seq IS NULL",
        )
        .bind(last);
        if let Some(list) = list {
            // One statement text whatever the number of ids (PostgreSQL only).
            q.push_bind(" AND id = ANY(string_to_array(?, ',')::bigint[])", list);
        }
        q.push(") AS n WHERE f.id = n.id RETURNING seq");
        let numbered: Vec<(i64,)> = tx.all(q).await?;
        last = numbered.iter().map(|(s,)| *s).fold(last, i64::max);
        count += numbered.len();
    }
    if count > 0 {
        tx.exec(Sql::new("UPDATE feed_head SET seq = ? WHERE id = 1").bind(last))
            .await?;
        if tx.backend() == crate::Backend::Postgres {
            tx.exec(Sql::new(format!("SELECT pg_notify('{CHANNEL}', '')")))
                .await?;
        }
    }
    Ok(count)
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

/// For a process with no live feed open: the entries after `seq` other than case changes, at
/// most `limit`, and the position read up to — the head, or the last entry returned when
/// `limit` cut the list short. (Every entry up to the head is visible: the head moves in the
/// transaction that numbers them.)
pub async fn after_but_cases(
    ex: &mut impl Exec,
    seq: i64,
    limit: u32,
) -> Result<(Vec<FeedRow>, i64), StoreError> {
    let head = head(ex).await?;
    let mut q = Sql::new("SELECT seq, at, kind, payload FROM feed WHERE seq > ?").bind(seq);
    q.push_bind(" AND seq <= ?", head)
        .push_bind(" AND kind <> ?", FeedKind::Case.as_str())
        .push_bind(" ORDER BY seq LIMIT ?", i64::from(limit));
    let rows: Vec<FeedRow> = ex.all(q).await?;
    let reached = match rows.last() {
        Some(last) if rows.len() >= limit as usize => last.seq,
        _ => head,
    };
    Ok((rows, reached.max(seq)))
}

/// Drops entries older than `before` (ms).
pub async fn purge(conn: &mut Conn, before: i64) -> Result<(), StoreError> {
    conn.bookkeeping(Sql::new("DELETE FROM feed WHERE at < ?").bind(before))
        .await?;
    Ok(())
}
