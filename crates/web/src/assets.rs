//! Embedded static assets. File names carry a content hash so they can be cached forever
//! (`immutable`), while pages themselves are `no-cache`.

use crate::WebState;
use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const STYLE: &str = include_str!("../assets/style.css");
const LIVE: &str = include_str!("../assets/live.js");
const HERE: &str = include_str!("../assets/here.js");
const PATROL: &str = include_str!("../assets/patrol.js");
const ACTIONS: &str = include_str!("../assets/actions.js");
const UPLOAD: &str = include_str!("../assets/upload.js");
const VOICE: &str = include_str!("../assets/voice.js");
const STEPS: &str = include_str!("../assets/steps.js");
const SUGGEST: &str = include_str!("../assets/suggest.js");
const APP: &str = include_str!("../assets/app.js");
const ICON: &str = include_str!("../assets/icon.svg");

/// `/assets/<stem>-<hash>.<ext>` for `content`.
fn hashed(stem: &str, ext: &str, content: &str) -> String {
    let hash: String = Sha256::digest(content.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("/assets/{stem}-{hash}.{ext}")
}

/// `/assets/style-<hash>.css`, computed once.
pub static STYLE_PATH: LazyLock<String> = LazyLock::new(|| hashed("style", "css", STYLE));

/// `/assets/live-<hash>.js`: the live-feed banner on staff pages.
pub static LIVE_PATH: LazyLock<String> = LazyLock::new(|| hashed("live", "js", LIVE));

/// `/assets/here-<hash>.js`: "use my position" and the map's pin on the report forms.
pub static HERE_PATH: LazyLock<String> = LazyLock::new(|| hashed("here", "js", HERE));

/// `/assets/patrol-<hash>.js`: the patrol recorder (GPS in batches, kept while offline).
pub static PATROL_PATH: LazyLock<String> = LazyLock::new(|| hashed("patrol", "js", PATROL));

/// `/assets/actions-<hash>.js`: print buttons.
pub static ACTIONS_PATH: LazyLock<String> = LazyLock::new(|| hashed("actions", "js", ACTIONS));

/// `/assets/upload-<hash>.js`: upload progress on forms that send photos or files.
pub static UPLOAD_PATH: LazyLock<String> = LazyLock::new(|| hashed("upload", "js", UPLOAD));

/// `/assets/voice-<hash>.js`: records a voice note in the page, where the browser can.
pub static VOICE_PATH: LazyLock<String> = LazyLock::new(|| hashed("voice", "js", VOICE));

/// `/assets/steps-<hash>.js`: one question per screen on long forms in the elders' mode.
pub static STEPS_PATH: LazyLock<String> = LazyLock::new(|| hashed("steps", "js", STEPS));

/// `/assets/suggest-<hash>.js`: the category suggestions (and, for staff, where the address
/// lands) shown on the report forms as they are typed.
pub static SUGGEST_PATH: LazyLock<String> = LazyLock::new(|| hashed("suggest", "js", SUGGEST));

/// `/assets/app-<hash>.js`: 外勤, the field app that keeps working without a signal.
pub static APP_PATH: LazyLock<String> = LazyLock::new(|| hashed("app", "js", APP));

/// [`SUGGEST_PATH`], for templates.
pub fn suggest_path() -> &'static str {
    SUGGEST_PATH.as_str()
}

/// [`STEPS_PATH`], for templates.
pub fn steps_path() -> &'static str {
    STEPS_PATH.as_str()
}

/// [`VOICE_PATH`], for templates.
pub fn voice_path() -> &'static str {
    VOICE_PATH.as_str()
}

/// [`UPLOAD_PATH`], for templates.
pub fn upload_path() -> &'static str {
    UPLOAD_PATH.as_str()
}

/// [`HERE_PATH`], for templates.
pub fn here_path() -> &'static str {
    HERE_PATH.as_str()
}

/// [`ACTIONS_PATH`], for templates.
pub fn actions_path() -> &'static str {
    ACTIONS_PATH.as_str()
}

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/assets/{name}", get(asset))
        .route("/favicon.ico", get(icon))
}

/// The tab icon (a grid), where every browser asks for it; SVG, which browsers take by its
/// content type whatever the name.
async fn icon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        ICON,
    )
}

async fn asset(Path(name): Path<String>) -> impl IntoResponse {
    let path = format!("/assets/{name}");
    let found = if path == *STYLE_PATH {
        Some(("text/css; charset=utf-8", STYLE))
    } else if path == *LIVE_PATH {
        Some(("text/javascript; charset=utf-8", LIVE))
    } else if path == *HERE_PATH {
        Some(("text/javascript; charset=utf-8", HERE))
    } else if path == *PATROL_PATH {
        Some(("text/javascript; charset=utf-8", PATROL))
    } else if path == *ACTIONS_PATH {
        Some(("text/javascript; charset=utf-8", ACTIONS))
    } else if path == *UPLOAD_PATH {
        Some(("text/javascript; charset=utf-8", UPLOAD))
    } else if path == *VOICE_PATH {
        Some(("text/javascript; charset=utf-8", VOICE))
    } else if path == *STEPS_PATH {
        Some(("text/javascript; charset=utf-8", STEPS))
    } else if path == *SUGGEST_PATH {
        Some(("text/javascript; charset=utf-8", SUGGEST))
    } else if path == *APP_PATH {
        Some(("text/javascript; charset=utf-8", APP))
    } else {
        None
    };
    if let Some((kind, body)) = found {
        (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, kind),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            body,
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
