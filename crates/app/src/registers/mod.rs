//! The four registers (四册): residents and households, key places, staff, grid facts — and
//! their imports, exports and templates.
//!
//! Imports read the file twice, streaming: the first pass checks every row (and the database
//! for ID numbers already registered) and writes nothing; only when no row is wrong does the
//! second pass write the whole file in one transaction. Memory stays flat in the file's size,
//! apart from one blind index and row number per person (20 bytes) to find duplicates and a
//! few numbers per household; a spreadsheet's rows wait for the second pass on disk.

pub mod export;
pub mod grids;
pub mod import;
pub mod jobs;
mod merges;
mod place_refresh;
pub mod places;
pub mod reads;
mod resident_refresh;
pub mod resident_sheet;
pub mod residents;
pub mod sight;
pub mod source;
pub mod staff_sheet;
pub mod verification;

use crate::AppError;

/// A refused entry: 422 naming the first problem (and how many more), every problem by field
/// in the details, so a form can show each beside its field.
pub(crate) fn invalid(problems: Vec<(&'static str, String)>) -> AppError {
    let first = problems
        .first()
        .map(|(f, m)| format!("{f}：{m}"))
        .unwrap_or_default();
    AppError::Unprocessable {
        code: "invalid_register_entry",
        message: if problems.len() > 1 {
            format!("{first}（另有 {} 处需要改正）", problems.len() - 1)
        } else {
            first
        },
        details: serde_json::Value::Array(
            problems
                .iter()
                .map(|(f, m)| serde_json::json!({"field": f, "message": m}))
                .collect(),
        ),
    }
}
