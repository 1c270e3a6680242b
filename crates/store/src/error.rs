//! Storage errors.

/// What can go wrong in storage. Constraint violations are told apart so the HTTP layer can
/// answer 409 instead of 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique or foreign-key constraint refused the write.
    #[error("数据冲突：{0}")]
    Conflict(String),
    /// The database cannot be reached or is shutting down: worth trying again shortly.
    #[error("数据库暂时不可用：{0}")]
    Unavailable(#[source] sqlx::Error),
    /// Any other database failure.
    #[error("数据库错误：{0}")]
    Database(#[source] sqlx::Error),
    /// Applying migrations failed.
    #[error("数据库迁移失败：{0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Stored data that does not parse (should never happen; means manual edits).
    #[error("存储的数据无效：{0}")]
    Corrupt(String),
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Database(sqlx::Error::Io(e))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && (db.is_unique_violation() || db.is_foreign_key_violation())
        {
            return StoreError::Conflict(db.message().to_owned());
        }
        if unreachable(&e) {
            return StoreError::Unavailable(e);
        }
        StoreError::Database(e)
    }
}

/// Whether `e` says the database is out of reach rather than that a statement was wrong:
/// no connection in time, a broken connection, or a server shutting down or starting
/// (SQLSTATE classes 08 and 57P).
fn unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        sqlx::Error::Protocol(_) => true,
        _ => false,
    }
}
