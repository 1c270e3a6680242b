//! What makes 外勤 an app a grid worker installs from the browser, with no app store: the web
//! app manifest, its icons (drawn here, so nothing is fetched from elsewhere) and the service
//! worker, served from the app's own origin. The worker keeps only the app's shell and
//! assets; what a worker reads offline is kept, sealed, by the page itself (app.js).

use crate::WebState;
use crate::assets::{APP_PATH, STYLE_PATH};
use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const SERVICE_WORKER: &str = include_str!("../assets/sw.js");

/// The icon sizes installers ask for (Android's launcher, its splash screen).
const SIZES: [u32; 2] = [192, 512];

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/manifest.webmanifest", get(manifest))
        .route("/sw.js", get(service_worker))
        .route("/icons/{name}", get(icon))
}

/// Where the icon of `size` pixels is served.
pub fn icon_path(size: u32) -> String {
    format!("/icons/{size}.png")
}

/// The manifest: 善治外勤, opening at the field app, standalone. Addresses are relative to
/// the manifest's own, so a deployment under a base path needs nothing else.
async fn manifest() -> impl IntoResponse {
    let icons: Vec<serde_json::Value> = SIZES
        .iter()
        .map(|s| {
            serde_json::json!({
                "src": icon_path(*s).trim_start_matches('/'),
                "sizes": format!("{s}x{s}"),
                "type": "image/png",
                "purpose": "any maskable",
            })
        })
        .collect();
    let body = serde_json::json!({
        "name": "善治外勤",
        "short_name": "善治",
        "description": "网格员外勤：没有信号时也能查看待办、走访、上报和处置，恢复信号后自动提交",
        "lang": "zh-CN",
        "start_url": "app",
        "scope": "./",
        "display": "standalone",
        "background_color": "#f6f8f7",
        "theme_color": "#b3261e",
        "icons": icons,
    });
    (
        [
            (header::CONTENT_TYPE, "application/manifest+json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body.to_string(),
    )
}

/// What the service worker keeps: the shell and everything it loads. Its list changes with
/// every release (the assets' names carry their hash), which makes a new worker that
/// replaces the old one's cache.
static PRECACHE: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut urls = vec![
        "/app".to_owned(),
        STYLE_PATH.clone(),
        APP_PATH.clone(),
        "/manifest.webmanifest".to_owned(),
    ];
    urls.extend(SIZES.iter().map(|s| icon_path(*s)));
    urls
});

/// The service worker's script with its list and version filled in.
static WORKER: LazyLock<String> = LazyLock::new(|| {
    let list = serde_json::to_string(&*PRECACHE).unwrap_or_else(|_| "[]".into());
    let version: String = Sha256::digest(format!("{list}{SERVICE_WORKER}").as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    SERVICE_WORKER
        .replace("\"__PRECACHE__\"", &list)
        .replace("__VERSION__", &version)
});

/// The service worker, never cached by HTTP (browsers check it for updates).
async fn service_worker() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        WORKER.as_str(),
    )
}

/// The icons, drawn once: the brand's red with a white 3 × 3 grid (网格), its lines inside
/// the middle 60 % so that a round mask keeps them.
static ICONS: LazyLock<Vec<(u32, Vec<u8>)>> =
    LazyLock::new(|| SIZES.iter().map(|s| (*s, draw(*s))).collect());

fn draw(size: u32) -> Vec<u8> {
    const RED: [u8; 3] = [0xb3, 0x26, 0x1e];
    let n = size as usize;
    let (lo, hi) = (n * 20 / 100, n * 80 / 100);
    let line = (n / 48).max(2);
    let on_line = |v: usize| (0..4).any(|k| v.abs_diff(lo + k * (hi - lo) / 3) < line);
    let mut pixels = Vec::with_capacity(n * n * 3);
    for y in 0..n {
        for x in 0..n {
            let inside = (lo..=hi + line).contains(&x) && (lo..=hi + line).contains(&y);
            let white = inside && (on_line(x) || on_line(y));
            pixels.extend_from_slice(if white { &[255, 255, 255] } else { &RED });
        }
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, size, size);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let written = enc
        .write_header()
        .and_then(|mut w| w.write_image_data(&pixels));
    if let Err(e) = written {
        tracing::error!(error = %e, "icon not drawn");
    }
    out
}

async fn icon(Path(name): Path<String>) -> Response {
    let found = ICONS
        .iter()
        .find(|(s, _)| format!("{s}.png") == name)
        .map(|(_, png)| png.clone());
    match found {
        Some(png) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            png,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "未找到").into_response(),
    }
}
