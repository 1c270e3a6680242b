//! The audit trail (审计日志) for administrators: list and filter records, verify the chain.

use super::extract::Query;
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::services::audit::{self as svc, Verified};
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use shanzhi_store::audit::{self as store, AuditFilter, AuditRow};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(verify))
}

/// Which records.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Only under this node.
    pub node: Option<String>,
    /// Actions starting with this (`register.`, `register.reveal`, `POST`).
    pub action: Option<String>,
    /// Only this account's.
    pub actor: Option<i64>,
    /// Only this target (`person:12`).
    pub target: Option<String>,
    /// From (ms).
    pub from: Option<i64>,
    /// To (ms).
    pub to: Option<i64>,
    /// Older than this id.
    pub before: Option<i64>,
    /// Page size (default 100, at most 500).
    pub limit: Option<u32>,
}

/// Refuses everyone but administrators: the trail names who looked at whom.
pub(crate) fn must_be_admin(actor: &crate::auth::Actor) -> Result<(), ApiError> {
    if actor.role == shanzhi_domain::auth::Role::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden("只有系统管理员可以查看审计日志".into()))
    }
}

/// Reads the trail, newest first (administrators only).
pub(crate) async fn records(state: &AppState, q: &AuditQuery) -> Result<Vec<AuditRow>, ApiError> {
    let mut conn = state.store().conn().await?;
    Ok(store::list(
        &mut conn,
        &AuditFilter {
            root: q.node.as_deref().filter(|s| !s.is_empty()),
            action: q.action.as_deref().filter(|s| !s.is_empty()),
            actor_id: q.actor,
            target: q.target.as_deref().filter(|s| !s.is_empty()),
            from: q.from,
            to: q.to,
            before: q.before,
            limit: q.limit.unwrap_or(100).clamp(1, 500),
        },
    )
    .await?)
}

/// Audit records, newest first, filtered (administrators only).
#[utoipa::path(get, path = "/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = Vec<AuditRow>), (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    ApiUser(p): ApiUser,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditRow>>, ApiError> {
    must_be_admin(&p.actor)?;
    Ok(Json(records(&state, &q).await?))
}

/// Seals pending records and checks the whole chain (administrators only); 409 names the
/// first record that was edited or deleted.
#[utoipa::path(post, path = "/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn verify(
    State(state): State<AppState>,
    ApiUser(p): ApiUser,
) -> Result<Json<Verified>, ApiError> {
    must_be_admin(&p.actor)?;
    svc::seal(state.store(), state.vault()).await?;
    svc::verify(state.store(), state.vault())
        .await
        .map(Json)
        .map_err(|e| ApiError::Conflict(e.to_string()))
}
