//! Text fields as forms and the API send them: trimmed, required or optional, bounded, with
//! the one message that says what to fix.

use crate::AppError;

/// Trims a required text, at most `max` characters.
pub fn text<'a>(value: &'a str, what: &str, max: usize) -> Result<&'a str, AppError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(AppError::bad(
            "invalid_field",
            format!("{what}不能为空，且不超过 {max} 个字"),
        ));
    }
    Ok(v)
}

/// Trims an optional text, at most `max` characters.
pub fn optional<'a>(value: &'a str, what: &str, max: usize) -> Result<&'a str, AppError> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(AppError::bad(
            "invalid_field",
            format!("{what}不超过 {max} 个字"),
        ));
    }
    Ok(v)
}
