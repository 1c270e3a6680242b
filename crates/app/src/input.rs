//! How numbers arrive: JSON sends them as numbers, HTML forms as text (and through a `flatten`
//! serde no longer converts text to numbers), so inputs shared by the API and the pages accept both.

use serde::Deserialize;

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
