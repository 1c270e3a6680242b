//! File answers: the right type, a file name browsers keep even when it is Chinese (RFC 6266
//! with an RFC 5987 `filename*`, plus an ASCII fallback), and no caching of personal data.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The xlsx content type.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The PDF content type.
pub const PDF: &str = "application/pdf";

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A file to download as `name` (with its extension).
pub fn file(name: &str, content_type: &'static str, bytes: Vec<u8>) -> Response {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
                    encode(name)
                ),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names_travel_encoded_with_an_ascii_fallback() {
        let r = file("港北区-2026-10-月报.pdf", PDF, Vec::new());
        let d = r.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap_or_default();
        assert!(d.contains("filename=\"___-2026-10-__.pdf\""), "{d}");
        assert!(
            d.contains(
                "filename*=UTF-8''%E6%B8%AF%E5%8C%97%E5%8C%BA-2026-10-%E6%9C%88%E6%8A%A5.pdf"
            ),
            "{d}"
        );
    }
}
