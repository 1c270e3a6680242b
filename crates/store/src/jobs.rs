//! Jobs as rows: what a long piece of work has got to, readable by any process. Progress is
//! bookkeeping (never on the audit trail); the work itself is audited where it writes.

use crate::{Conn, Exec, Sql, StoreError};

/// A job as stored: its status as JSON (the application's shape), whether it has finished,
/// when it started and when its process last said it was alive (ms).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobRow {
    /// Id.
    pub id: String,
    /// The account that started it.
    pub owner: i64,
    /// Status, JSON.
    pub status: String,
    /// Finished (or given up).
    pub done: bool,
    /// Started (ms).
    pub started_at: i64,
    /// Last sign of life (ms).
    pub heartbeat: i64,
}

/// Records a new job.
pub async fn insert(
    conn: &mut Conn,
    id: &str,
    owner: i64,
    status: &str,
    now: i64,
) -> Result<(), StoreError> {
    conn.bookkeeping(
        Sql::new(
            "INSERT INTO jobs (id, owner, status, done, started_at, heartbeat) \
             VALUES (?, ?, ?, FALSE, ?, ?)",
        )
        .bind(id)
        .bind(owner)
        .bind(status)
        .bind(now)
        .bind(now),
    )
    .await?;
    Ok(())
}

/// Writes a job's status (and `done`), with a fresh heartbeat — unless it was already
/// finished (given up for dead meanwhile): false then.
pub async fn update(
    conn: &mut Conn,
    id: &str,
    status: &str,
    done: bool,
    now: i64,
) -> Result<bool, StoreError> {
    let n = conn
        .bookkeeping(
            Sql::new(
                "UPDATE jobs SET status = ?, done = ?, heartbeat = ? WHERE id = ? AND NOT done",
            )
            .bind(status)
            .bind(done)
            .bind(now)
            .bind(id),
        )
        .await?;
    Ok(n == 1)
}

/// A job.
pub async fn get(ex: &mut impl Exec, id: &str) -> Result<Option<JobRow>, StoreError> {
    ex.opt(
        Sql::new("SELECT id, owner, status, done, started_at, heartbeat FROM jobs WHERE id = ?")
            .bind(id),
    )
    .await
}

/// Drops jobs that finished before `before` (ms).
pub async fn purge(conn: &mut Conn, before: i64) -> Result<(), StoreError> {
    conn.bookkeeping(Sql::new("DELETE FROM jobs WHERE done AND heartbeat < ?").bind(before))
        .await?;
    Ok(())
}

/// Keeps a checked import's file (sealed) and how it was to be read, for its confirmation.
pub async fn keep_file(
    conn: &mut Conn,
    id: &str,
    sealed: &[u8],
    request: &str,
) -> Result<(), StoreError> {
    conn.bookkeeping(
        Sql::new("UPDATE jobs SET file = ?, request = ? WHERE id = ?")
            .bind(sealed.to_vec())
            .bind(request)
            .bind(id),
    )
    .await?;
    Ok(())
}

/// Takes a job's kept file and request (once: a confirmation is not repeated).
pub async fn take_file(conn: &mut Conn, id: &str) -> Result<Option<(Vec<u8>, String)>, StoreError> {
    let kept: Option<(Option<Vec<u8>>, Option<String>)> = conn
        .opt(Sql::new("SELECT file, request FROM jobs WHERE id = ?").bind(id))
        .await?;
    let Some((Some(file), Some(request))) = kept else {
        return Ok(None);
    };
    let n = conn
        .bookkeeping(
            Sql::new(
                "UPDATE jobs SET file = NULL, request = NULL WHERE id = ? AND file IS NOT NULL",
            )
            .bind(id),
        )
        .await?;
    Ok((n == 1).then_some((file, request)))
}
