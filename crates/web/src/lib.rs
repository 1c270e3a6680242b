//! Shanzhi's HTTP layer: the JSON API under `/api/v1` (with its OpenAPI document), the zh-CN
//! web pages, authentication, and operational endpoints (`/healthz`, `/metrics`).
//!
//! Handlers are thin: they check who is asking, call one `shanzhi_app` operation (which applies
//! the access policy and the domain rules and writes through the store) and shape the answer.

pub mod access;
pub mod api;
mod assets;
pub mod auth;
pub mod base;
pub mod basemap;
pub mod client;
mod download;
mod edge;
mod error;
mod headers;
mod install;
mod metrics;
pub mod open311;
mod pages;
mod state;
mod trail;

pub use error::ApiError;
pub use shanzhi_app::seed::DemoLogin;
pub use state::{WebConfig, WebState};

use axum::Router;
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted (GeoJSON imports of a whole district fit comfortably).
pub(crate) const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// The whole application.
pub fn app(state: WebState) -> Router {
    // Install the recorder before the first request, so nothing goes uncounted.
    metrics::handle();
    let (api, mut openapi) = api::router().split_for_parts();
    api::unique_operation_ids(&mut openapi);
    let openapi_json = serde_json::to_value(&openapi)
        .map(|mut doc| {
            api::open_tuples(&mut doc);
            doc.to_string()
        })
        .unwrap_or_default();
    let base = state.settings().base_path.clone();
    let inner = Router::new()
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            get(move || async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    openapi_json,
                )
            }),
        )
        .merge(pages::router())
        .merge(open311::router())
        .merge(assets::router())
        .merge(install::router())
        .route("/healthz", get(health))
        .route("/metrics", get(metrics::render))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::guard,
        ))
        .layer(axum::middleware::from_fn(pages::mode::remember))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            trail::track,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            client::identify,
        ))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::secure,
        ))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(axum::middleware::from_fn(edge::checked))
        .layer(TraceLayer::new_for_http())
        .with_state(state);
    // Outermost, so that what is compressed is the final text (under a sub-path, after its
    // links were rewritten). Images and the live feed's stream are left as they are.
    let compressed = tower_http::compression::CompressionLayer::new();
    if base.is_root() {
        return inner.layer(compressed);
    }
    // Under a sub-path: everything is answered beneath it, and what goes out points there.
    let home = base.join("/");
    Router::new()
        .route(
            "/",
            get(move || async move { axum::response::Redirect::to(&home) }),
        )
        .nest(base.as_str(), inner)
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(base, base::outgoing))
        .layer(compressed)
}

/// `ok` when the database answers within a second; otherwise 503 naming what failed.
async fn health(
    axum::extract::State(state): axum::extract::State<WebState>,
) -> Result<&'static str, ApiError> {
    state.health().await?;
    Ok("ok")
}
