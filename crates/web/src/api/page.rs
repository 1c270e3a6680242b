//! Cursor pagination: lists return `items` and an opaque `next_cursor` (absent on the last page).

use crate::ApiError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// Default and maximum page sizes.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;

/// Paging parameters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct PageParams {
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1–500 (default 50).
    pub limit: Option<u32>,
}

impl PageParams {
    /// The page size to use.
    pub fn limit(&self) -> Result<u32, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::bad(
                "invalid_limit",
                format!("limit 必须在 1 到 {MAX_LIMIT} 之间"),
            )),
        }
    }

    /// The key to continue after, decoded from the cursor.
    pub fn after(&self) -> Result<Option<String>, ApiError> {
        let Some(c) = &self.cursor else {
            return Ok(None);
        };
        URL_SAFE_NO_PAD
            .decode(c)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad(
                    "invalid_cursor",
                    "cursor 无效，请使用上一页返回的 next_cursor",
                )
            })
    }
}

/// One page of a list.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page; `limit` full means there may be more, continuing after `last_key`.
    pub fn new(items: Vec<T>, limit: u32, last_key: impl Fn(&T) -> String) -> Page<T> {
        let next_cursor = (items.len() == limit as usize)
            .then(|| items.last().map(|l| URL_SAFE_NO_PAD.encode(last_key(l))))
            .flatten();
        Page { items, next_cursor }
    }
}
