//! How numbers arrive: JSON sends them as numbers, HTML forms as text (and through a `flatten`
//! serde no longer converts text to numbers), so inputs shared by the API and the pages accept both.

use crate::AppError;
use serde::Deserialize;

/// A page size asked for: `default` when not given; outside `1..=max` it is refused with the
/// range (never silently cut).
pub fn page_size(asked: Option<u32>, default: u32, max: u32) -> Result<u32, AppError> {
    match asked {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(AppError::bad(
            "invalid_limit",
            format!("limit {n} 超出范围：须在 1 到 {max} 之间"),
        )),
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Number(i64),
    Text(String),
}

/// Reads an integer sent as a JSON number or as form text.
pub fn int_field<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match NumberOrText::deserialize(d)? {
        NumberOrText::Number(n) => Ok(n),
        NumberOrText::Text(t) => t
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("“{t}”不是整数"))),
    }
}

/// Reads an optional integer sent as a JSON number, as form text, or as an empty field (none).
pub fn optional_int_field<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<NumberOrText>::deserialize(d)? {
        None => Ok(None),
        Some(NumberOrText::Number(n)) => Ok(Some(n)),
        Some(NumberOrText::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(NumberOrText::Text(t)) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("“{t}”不是整数"))),
    }
}
