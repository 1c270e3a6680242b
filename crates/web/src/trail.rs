//! The HTTP side of the audit trail: every write request that succeeds (POST, PUT, PATCH,
//! DELETE) is recorded with who made it, the route and the path. The authentication
//! extractors leave the caller in a slot the middleware put on the request, so recording costs
//! no extra lookup.

use crate::WebState;
use crate::auth::Principal;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;
use shanzhi_app::audit::{Actor, entry};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

/// Where the authentication extractors leave the caller of a write request.
#[derive(Clone, Default)]
pub struct CallerSlot(Arc<OnceLock<(Actor, Option<String>)>>);

impl CallerSlot {
    /// Records the authenticated caller (the first one set wins).
    pub fn fill(&self, p: &Principal) {
        let actor = Actor {
            id: Some(p.account.id),
            label: p.label(),
        };
        let _ = self.0.set((actor, p.account.node_code.clone()));
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

/// Middleware: records each successful write request.
pub async fn track(State(state): State<WebState>, mut req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let slot = CallerSlot::default();
    req.extensions_mut().insert(slot.clone());
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    let path = req.uri().path().to_owned();
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let resp = next.run(req).await;
    if failed(&resp) {
        return resp;
    }
    let (actor, node) = slot.0.get().cloned().unwrap_or_else(|| {
        let label = match &client {
            Some(ip) => format!("未登录 {ip}"),
            None => "未登录".to_owned(),
        };
        (Actor { id: None, label }, None)
    });
    let detail = serde_json::json!({"status": resp.status().as_u16()});
    let record = entry(
        state.now_ms(),
        &actor,
        &format!("{method} {route}"),
        path,
        node.as_deref(),
        detail,
    );
    state.audit().log(record).await;
    resp
}
