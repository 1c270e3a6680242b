//! Outgoing webhooks: registration (the security administrator: each carries a signing key),
//! removal and the delivery log.

use super::extract::{Json, Path};
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::extract::State;
use axum::http::StatusCode;
use shanzhi_app::webhooks::{self as svc, DeliveryRow, IssuedWebhook, NewWebhook, WebhookRow};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list, register))
        .routes(routes!(remove))
        .routes(routes!(deliveries))
}

/// Webhooks in the caller's scope.
#[utoipa::path(get, path = "/webhooks", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, body = Vec<WebhookRow>), (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
) -> Result<axum::Json<Vec<WebhookRow>>, ApiError> {
    Ok(axum::Json(svc::list(&state, &p.actor).await?))
}

/// Registers a webhook: every change to a case under the node is POSTed as JSON, signed,
/// retried with backoff until it gets a 2xx (8 attempts at most), and logged.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", security(("bearer" = [])), request_body = NewWebhook,
    responses((status = 201, body = IssuedWebhook), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn register(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Json(w): Json<NewWebhook>,
) -> Result<(StatusCode, axum::Json<IssuedWebhook>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(svc::register(&state, &p, &w).await?),
    ))
}

/// Stops a webhook; its undelivered notifications are cancelled.
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn remove(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    svc::remove(&state, &p.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The delivery log: the latest 200 deliveries, newest first.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<DeliveryRow>), (status = 404, body = ErrorBody)))]
async fn deliveries(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<Vec<DeliveryRow>>, ApiError> {
    Ok(axum::Json(svc::deliveries(&state, &p.actor, id).await?))
}
