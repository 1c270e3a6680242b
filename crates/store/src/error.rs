//! Storage errors.

/// What can go wrong in storage. Constraint violations are told apart so the HTTP layer can
/// answer 409 instead of 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique or foreign-key constraint refused the write.
    #[error("数据冲突：{0}")]
    Conflict(String),
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

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && (db.is_unique_violation() || db.is_foreign_key_violation())
        {
            return StoreError::Conflict(db.message().to_owned());
        }
        StoreError::Database(e)
    }
}
