//! The `shanzhi` binary's library half: the command line's operations over `shanzhi_app`, and
//! the one start-up (`server::launch`). `main.rs` only parses the command line and calls in
//! here, so integration tests and benchmarks start exactly the server users run.

pub mod keys;
pub mod reports;
pub mod server;
pub mod sheets;

use shanzhi_app::AppError;

/// An application error as the operator at the command line sees it: the detail of an
/// internal failure is theirs to read (a web user only gets “服务器内部错误”).
pub fn operator_error(e: AppError) -> anyhow::Error {
    match e {
        AppError::Internal(detail) => anyhow::anyhow!(detail),
        other => anyhow::anyhow!("{other}"),
    }
}
