//! Embedded static assets. File names carry a content hash so they can be cached forever
//! (`immutable`), while pages themselves are `no-cache`.

use crate::AppState;
use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const STYLE: &str = include_str!("../assets/style.css");

/// `/assets/style-<hash>.css`, computed once.
pub static STYLE_PATH: LazyLock<String> = LazyLock::new(|| {
    let hash: String = Sha256::digest(STYLE.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("/assets/style-{hash}.css")
});

pub fn router() -> Router<AppState> {
    Router::new().route("/assets/{name}", get(asset))
}

async fn asset(Path(name): Path<String>) -> impl IntoResponse {
    if format!("/assets/{name}") == *STYLE_PATH {
        (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            STYLE,
        )
    } else {
        (
            StatusCode::NOT_FOUND,
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            "未找到",
        )
    }
}
