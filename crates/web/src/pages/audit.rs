//! The audit trail page for administrators (审计日志): filter by action, target, node, account.

use super::{Chrome, PageError, render};
use crate::WebState;
use crate::auth::{PageUser, csrf_token};
use crate::pages::Query;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;
use shanzhi_app::audit::AuditRow;
use shanzhi_app::audit::{self, AuditQuery};

pub fn router() -> Router<WebState> {
    Router::new().route("/admin/audit", get(show))
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    style: &'static str,
    chrome: Chrome,
    rows: Vec<(AuditRow, String)>,
    action: String,
    target: String,
    node: String,
    older: Option<i64>,
}

/// Beijing time of a record, to the second.
fn when(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms / 1000)
        .map(|t| t.to_offset(time::macros::offset!(+8)))
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]"
            ))
            .ok()
        })
        .unwrap_or_default()
}

async fn show(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Query(q): Query<AuditQuery>,
) -> Result<(CookieJar, Response), PageError> {
    let rows = audit::list(
        &state,
        &p.actor,
        &AuditQuery {
            limit: Some(100),
            ..q.clone()
        },
    )
    .await?;
    let older = (rows.len() == 100)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let view = AuditPage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        rows: rows
            .into_iter()
            .map(|r| {
                let w = when(r.at);
                (r, w)
            })
            .collect(),
        action: q.action.unwrap_or_default(),
        target: q.target.unwrap_or_default(),
        node: q.node.unwrap_or_default(),
        older,
    };
    Ok((jar, render(&view)))
}
