//! The HTTP side of the audit trail: every write request (POST, PUT, PATCH, DELETE) runs
//! within a [`RequestTrail`], so each transaction committed for it carries its record — who
//! made it, the route and the path — and a change is never without its record. The
//! authentication extractors name the caller on the trail once they know it.

use crate::WebState;
use crate::auth::Principal;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use shanzhi_app::audit::{self, RequestTrail, within};
use std::sync::Arc;

/// Names the authenticated caller on the request's trail, if it has one.
pub(crate) fn identify(extensions: &axum::http::Extensions, p: &Principal) {
    if let Some(trail) = extensions.get::<Arc<RequestTrail>>() {
        trail.identify(p.account.id, p.label(), p.account.node_code.clone());
    }
}

/// Whether a page's redirect reports a failure (`?error=…`), which is not a change.
fn failed(resp: &Response) -> bool {
    if resp.status().is_redirection() {
        return resp
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.contains("error="));
    }
    !resp.status().is_success()
}

/// Middleware: runs each write request within its trail. A write that succeeded without any
/// transaction carrying the record (a single-statement write) is recorded before it is
/// answered.
pub async fn track(State(state): State<WebState>, mut req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let route = req.extensions().get::<MatchedPath>().map_or_else(
        || req.uri().path().to_owned(),
        |p| crate::access::unprefixed(&state, p.as_str()).to_owned(),
    );
    let anonymous = match req.extensions().get::<crate::client::Client>() {
        Some(c) => format!("未登录 {}", c.ip()),
        None => "未登录".to_owned(),
    };
    let trail = Arc::new(RequestTrail::new(
        state.now_ms(),
        format!("{} {route}", req.method()),
        req.uri().path().to_owned(),
        anonymous,
    ));
    req.extensions_mut().insert(trail.clone());
    let resp = within(trail.clone(), next.run(req)).await;
    if failed(&resp) || trail.written() {
        return resp;
    }
    if let Err(e) = audit::record_request(&state, trail.record()).await {
        // The change stands, but the caller must not take an unrecorded write for a good one.
        tracing::error!(error = %e, "audit record of a write not written");
        return if route.starts_with("/api/") {
            crate::ApiError(e).into_response()
        } else {
            crate::pages::PageError::App(e).into_response()
        };
    }
    resp
}
