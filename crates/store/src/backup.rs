//! Backups of the database: SQLite copies itself while serving (`VACUUM INTO`, a consistent
//! snapshot that readers and writers keep using the database through); PostgreSQL is dumped
//! and restored with its own tools (`pg_dump`, `pg_restore`), which the command line runs.

use crate::{Sql, Store, StoreError, StoreOptions};
use sqlx::Connection;
use std::path::Path;

/// Writes a consistent copy of an SQLite database to `to` (which must not exist yet).
pub async fn sqlite_copy(store: &Store, to: &Path) -> Result<(), StoreError> {
    let mut conn = store.conn().await?;
    conn.bookkeeping(Sql::new("VACUUM INTO ?").bind(to.display().to_string()))
        .await?;
    Ok(())
}

/// Whether the database `opts` names already holds tables (a restore would overwrite them).
pub async fn holds_data(opts: &StoreOptions) -> Result<bool, StoreError> {
    match opts {
        StoreOptions::Sqlite(path) => {
            Ok(path.exists() && std::fs::metadata(path).is_ok_and(|m| m.len() > 0))
        }
        StoreOptions::Postgres(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await?;
            let (n,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()",
            )
            .fetch_one(&mut conn)
            .await?;
            Ok(n > 0)
        }
    }
}
