//! The audit trail (审计日志) for administrators: list and filter records, verify the chain.

use super::extract::Query;
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::Json;
use axum::extract::State;
use shanzhi_app::audit::{self as svc, AuditQuery, AuditRow, Verified};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(verify))
}

/// Audit records, newest first, filtered (administrators only).
#[utoipa::path(get, path = "/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = Vec<AuditRow>), (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditRow>>, ApiError> {
    Ok(Json(svc::list(&state, &p.actor, &q).await?))
}

/// Checks the whole chain — every hash, the order of the records, the head and the anchors
/// kept outside the database — without changing it (the audit administrator); 409 says what
/// is missing, inserted or changed.
#[utoipa::path(post, path = "/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn verify(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
) -> Result<Json<Verified>, ApiError> {
    Ok(Json(svc::check(&state, Some(&p.actor)).await?))
}
