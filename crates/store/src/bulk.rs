//! Bulk inserts. On SQLite one prepared statement is stepped once per row on the connection's
//! own handle. Through the driver every statement travels to its worker thread with each bound
//! value copied on the way; a register import writes a million persons, and that round trip
//! cost more than SQLite's own work (BENCHMARKS.md, residents import).

use crate::db::Target;
use crate::{Exec, Sql, StoreError};
use libsqlite3_sys as ffi;
use sqlx::SqliteConnection;
use std::ffi::{CStr, CString, c_int};
use std::ptr::{self, NonNull};

/// A value to bind, borrowed for the one step it is bound for. NULLs keep their type:
/// PostgreSQL refuses a text NULL in a bytea column.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    /// INTEGER.
    Int(Option<i64>),
    /// TEXT.
    Text(Option<&'a str>),
    /// BLOB.
    Blob(Option<&'a [u8]>),
}

impl From<Cell<'_>> for sea_query::Value {
    fn from(c: Cell<'_>) -> Self {
        match c {
            Cell::Int(v) => v.into(),
            Cell::Text(v) => v.map(str::to_owned).into(),
            Cell::Blob(v) => v.map(<[u8]>::to_vec).into(),
        }
    }
}

/// Splits `items` into runs for multi-row statements: each run's length is a power of two, the
/// largest first, none above `max`. A statement's text depends on its row count and the
/// driver keeps one prepared statement per text; with these few lengths each stays prepared,
/// where any count would be prepared anew for every batch.
pub fn runs<T>(items: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    // The largest power of two not above `max`.
    let cap = 1usize << max.max(1).ilog2();
    let mut rest = items;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let n = (1usize << rest.len().ilog2()).min(cap);
        let (run, tail) = rest.split_at(n);
        rest = tail;
        Some(run)
    })
}

/// Values bound per multi-row statement on PostgreSQL (its limit is 65,535).
const PG_VALUES: usize = 30_000;

/// Inserts `rows` with `head` (`INSERT INTO t (…) VALUES `), one `row` of placeholders each
/// and `tail` (an `ON CONFLICT` clause or nothing); with `returning`, gives back each row's
/// `id` in the order of `rows`. SQLite steps one prepared statement per row; PostgreSQL
/// sends multi-row statements, whose RETURNING rows come back in VALUES order.
pub async fn insert_rows<const N: usize>(
    ex: &mut impl Exec,
    (head, row, tail): (&str, &str, &str),
    rows: &[[Cell<'_>; N]],
    returning: bool,
) -> Result<Vec<i64>, StoreError> {
    let back = if returning { " RETURNING id" } else { "" };
    if let Target::Sqlite(conn) = ex.target() {
        return step_each(conn, &format!("{head}{row}{tail}{back}"), rows).await;
    }
    let mut ids = Vec::with_capacity(if returning { rows.len() } else { 0 });
    for chunk in rows.chunks((PG_VALUES / N.max(1)).max(1)) {
        let mut q = Sql::new(head);
        for (i, cells) in chunk.iter().enumerate() {
            q.push(if i == 0 { "" } else { ", " });
            let mut parts = row.split('?');
            q.push(parts.next().unwrap_or_default());
            for (cell, after) in cells.iter().zip(parts) {
                q.push_bind("?", *cell).push(after);
            }
        }
        q.push(tail).push(back);
        if returning {
            ids.extend(ex.all::<(i64,)>(q).await?.into_iter().map(|(id,)| id));
        } else {
            ex.exec(q).await?;
        }
    }
    Ok(ids)
}

/// Finalizes the statement however the loop ends.
struct Prepared(NonNull<ffi::sqlite3_stmt>);

impl Drop for Prepared {
    fn drop(&mut self) {
        // SAFETY: the statement came from sqlite3_prepare_v2 and is finalized exactly once.
        unsafe { ffi::sqlite3_finalize(self.0.as_ptr()) };
    }
}

/// The error SQLite reports for `rc`, a constraint violation told apart as a conflict.
fn error(db: *mut ffi::sqlite3, rc: c_int) -> StoreError {
    // SAFETY: `db` is the live handle the failing call was made on; the message is copied
    // before any other call on it.
    let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)) }
        .to_string_lossy()
        .into_owned();
    if rc & 0xff == ffi::SQLITE_CONSTRAINT {
        StoreError::Conflict(message)
    } else {
        StoreError::Corrupt(format!("SQLite {rc}: {message}"))
    }
}

/// Runs the single-row INSERT `sql` once per row of `rows` on `conn`, inside whatever
/// transaction it is in; returns each row's first RETURNING column, or else its rowid.
async fn step_each<const N: usize>(
    conn: &mut SqliteConnection,
    sql: &str,
    rows: &[[Cell<'_>; N]],
) -> Result<Vec<i64>, StoreError> {
    let sql = CString::new(sql).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    let mut raw = ptr::null_mut();
    // SAFETY: the handle is locked out of the driver's worker for as long as `handle` lives,
    // which covers every call below; `sql` is a valid NUL-terminated string.
    let rc = unsafe { ffi::sqlite3_prepare_v2(db, sql.as_ptr(), -1, &mut raw, ptr::null_mut()) };
    let stmt = match NonNull::new(raw) {
        Some(s) if rc == ffi::SQLITE_OK => Prepared(s),
        _ => return Err(error(db, rc)),
    };
    let s = stmt.0.as_ptr();
    let mut ids = Vec::with_capacity(rows.len());
    for row in rows {
        for (i, v) in row.iter().enumerate() {
            let at = (i + 1) as c_int;
            // SAFETY: SQLITE_STATIC borrows the bytes without copying; `rows` outlives every
            // step below, and each parameter is bound again before the next step, so no stale
            // pointer is ever read.
            let rc = unsafe {
                match *v {
                    Cell::Int(Some(n)) => ffi::sqlite3_bind_int64(s, at, n),
                    Cell::Text(Some(t)) => ffi::sqlite3_bind_text(
                        s,
                        at,
                        t.as_ptr().cast(),
                        c_int::try_from(t.len()).unwrap_or(c_int::MAX),
                        ffi::SQLITE_STATIC(),
                    ),
                    Cell::Blob(Some(b)) => ffi::sqlite3_bind_blob(
                        s,
                        at,
                        b.as_ptr().cast(),
                        c_int::try_from(b.len()).unwrap_or(c_int::MAX),
                        ffi::SQLITE_STATIC(),
                    ),
                    Cell::Int(None) | Cell::Text(None) | Cell::Blob(None) => {
                        ffi::sqlite3_bind_null(s, at)
                    }
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(error(db, rc));
            }
        }
        // SAFETY: a prepared, fully bound statement on the locked handle.
        let mut rc = unsafe { ffi::sqlite3_step(s) };
        let mut id = None;
        while rc == ffi::SQLITE_ROW {
            // SAFETY: as above; column 0 exists on a row of a RETURNING statement.
            id.get_or_insert(unsafe { ffi::sqlite3_column_int64(s, 0) });
            // SAFETY: as above.
            rc = unsafe { ffi::sqlite3_step(s) };
        }
        if rc != ffi::SQLITE_DONE {
            let e = error(db, rc);
            // SAFETY: as above; resetting releases the failed step's locks on the statement.
            unsafe { ffi::sqlite3_reset(s) };
            return Err(e);
        }
        // SAFETY: as above.
        ids.push(id.unwrap_or_else(|| unsafe { ffi::sqlite3_last_insert_rowid(db) }));
        // SAFETY: as above.
        unsafe { ffi::sqlite3_reset(s) };
    }
    drop(stmt);
    drop(handle);
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::runs;

    #[test]
    fn runs_are_powers_of_two_that_cover_every_item_in_order() {
        let items: Vec<u32> = (0..1000).collect();
        for (n, max) in [
            (0, 400),
            (1, 400),
            (37, 400),
            (64, 400),
            (999, 400),
            (1000, 500),
            (5, 1),
        ] {
            let lengths: Vec<usize> = runs(&items[..n], max).map(<[u32]>::len).collect();
            assert!(lengths.iter().all(|l| l.is_power_of_two() && *l <= max));
            assert!(
                lengths.windows(2).all(|w| w[0] >= w[1]),
                "largest first: {lengths:?}"
            );
            let joined: Vec<u32> = runs(&items[..n], max).flatten().copied().collect();
            assert_eq!(joined, items[..n]);
        }
        assert_eq!(
            runs(&items[..37], 400)
                .map(<[u32]>::len)
                .collect::<Vec<_>>(),
            [32, 4, 1]
        );
        assert_eq!(runs(&items[..999], 400).next().map(<[u32]>::len), Some(256));
    }
}
