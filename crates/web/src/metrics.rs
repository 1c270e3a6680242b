//! Prometheus metrics: request counts and latencies by route, database pool figures.

use crate::{ApiError, WebState};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use shanzhi_app::AppError;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Instant;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide recorder (metrics are global; several servers in one test process share it).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                &[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
                ],
            )
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        // Fails only if another recorder is installed already; ours then stays unused.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Middleware: counts each request and records its latency under its route pattern (not the
/// raw path, so codes in URLs don't explode the label set).
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    resp
}

/// `GET /metrics` in the Prometheus text format: for a scraper holding the metrics token
/// (`Authorization: Bearer …`), or without one configured, for this machine only.
pub async fn render(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<String, ApiError> {
    let allowed = match &state.settings().metrics_token {
        Some(token) => crate::auth::bearer_is(&headers, token),
        None => peer.ip().is_loopback(),
    };
    if !allowed {
        return Err(ApiError(AppError::NotFound(
            "没有这个接口：/metrics".into(),
        )));
    }
    let (size, idle) = state.pool_stats();
    metrics::gauge!("db_pool_connections").set(f64::from(size));
    metrics::gauge!("db_pool_idle_connections").set(idle as f64);
    metrics::gauge!("locate_index_boundaries").set(state.with_index(|i| i.len()) as f64);
    Ok(handle().render())
}
