//! The application's one error type. It says what went wrong in the application's terms; the
//! HTTP layer turns each kind into its status and the one JSON error shape, the pages into a
//! message. Messages are Chinese and say what to fix.

use shanzhi_store::StoreError;

/// An operation's failure.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Malformed or invalid input.
    #[error("{message}")]
    BadRequest {
        /// Machine code, e.g. `invalid_code`.
        code: &'static str,
        /// What to fix.
        message: String,
    },
    /// Input that parses but breaks rules, with per-item details (imports).
    #[error("{message}")]
    Unprocessable {
        /// Machine code.
        code: &'static str,
        /// Summary.
        message: String,
        /// One entry per problem.
        details: serde_json::Value,
    },
    /// Not logged in, or bad credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller may see the thing but its role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The caller's role never has this feature ([`crate::policy`]).
    #[error("{0}")]
    NotPermitted(String),
    /// Does not exist, or lies outside the caller's scope: the two are not told apart.
    #[error("{0}")]
    NotFound(String),
    /// A conflicting write, e.g. a duplicate code or a stale version.
    #[error("{0}")]
    Conflict(String),
    /// An upload over its size limit.
    #[error("{0}")]
    TooLarge(String),
    /// Too many attempts; try again after this many seconds.
    #[error("尝试次数过多，请 {0} 秒后再试")]
    RateLimited(u64),
    /// A part the deployment lacks, e.g. a font for PDF reports; says what to install.
    #[error("{0}")]
    Unavailable(String),
    /// Something broke on our side; the detail is for the log, not the caller.
    #[error("服务器内部错误")]
    Internal(String),
}

impl AppError {
    /// Invalid input, with a code and what to fix.
    pub fn bad(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// The standard "not found, or not yours".
    pub fn not_found() -> AppError {
        AppError::NotFound("未找到，或不在您的管辖范围内".into())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => AppError::Conflict(m),
            StoreError::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                AppError::Unavailable("数据库暂时不可用，请稍后重试".into())
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}
