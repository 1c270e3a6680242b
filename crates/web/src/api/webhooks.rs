//! Outgoing webhooks: registration (command centre, admin), removal and the delivery log.

use super::extract::{Json, Path};
use crate::auth::{ApiUser, new_secret};
use crate::error::ErrorBody;
use crate::services::regions;
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shanzhi_domain::auth::Role;
use shanzhi_store::now_ms;
use shanzhi_store::webhooks::{self, DeliveryRow, WebhookRow};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, register))
        .routes(routes!(remove))
        .routes(routes!(deliveries))
}

fn may_manage(role: Role) -> Result<(), ApiError> {
    if matches!(role, Role::Admin | Role::CommandCentre) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "只有管理员和指挥中心可以管理 Webhook".into(),
        ))
    }
}

/// Webhooks in the caller's scope.
#[utoipa::path(get, path = "/webhooks", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, body = Vec<WebhookRow>), (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    ApiUser(p): ApiUser,
) -> Result<axum::Json<Vec<WebhookRow>>, ApiError> {
    may_manage(p.actor.role)?;
    Ok(axum::Json(
        webhooks::list(&mut state.store().conn().await?, p.actor.scope_root()).await?,
    ))
}

/// A webhook to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewWebhook {
    /// http(s) address to POST changes to.
    pub url: String,
    /// Send changes to cases under this node (default: the caller's scope; required for an
    /// unbound admin).
    pub node_code: Option<String>,
}

/// The registered webhook and its signing secret, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuedWebhook {
    /// The webhook.
    #[serde(flatten)]
    pub webhook: WebhookRow,
    /// Verify `X-Shanzhi-Signature: sha256=<hex>` as HMAC-SHA256 of
    /// `<X-Shanzhi-Timestamp>.<body>` with this secret.
    pub secret: String,
}

/// Registers a webhook: every change to a case under the node is POSTed as JSON, signed,
/// retried with backoff until it gets a 2xx (8 attempts at most), and logged.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", security(("bearer" = [])), request_body = NewWebhook,
    responses((status = 201, body = IssuedWebhook), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn register(
    State(state): State<AppState>,
    ApiUser(p): ApiUser,
    Json(w): Json<NewWebhook>,
) -> Result<(StatusCode, axum::Json<IssuedWebhook>), ApiError> {
    may_manage(p.actor.role)?;
    let url = reqwest::Url::parse(w.url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| ApiError::bad("invalid_url", "请填写 http:// 或 https:// 开头的完整地址"))?;
    let node = w
        .node_code
        .or_else(|| p.actor.scope_root().map(str::to_owned))
        .ok_or_else(|| ApiError::bad("node_required", "请指定 node_code"))?;
    let node = regions::visible(&state, &p.actor, &node).await?;
    let secret = new_secret("whsec_");
    let now = now_ms();
    let mut conn = state.store().conn().await?;
    let id = webhooks::insert(
        &mut conn,
        url.as_str(),
        &secret,
        &node.code,
        Some(p.account.id),
        now,
    )
    .await?;
    let webhook = webhooks::get(&mut conn, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(IssuedWebhook { webhook, secret }),
    ))
}

async fn own(
    state: &AppState,
    actor: &crate::auth::Actor,
    id: i64,
) -> Result<WebhookRow, ApiError> {
    may_manage(actor.role)?;
    webhooks::get(&mut state.store().conn().await?, id)
        .await?
        .filter(|w| actor.sees(&w.node_code))
        .ok_or_else(ApiError::not_found)
}

/// Stops a webhook; its undelivered notifications are cancelled.
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    own(&state, &p.actor, id).await?;
    let mut tx = state.store().begin().await?;
    webhooks::deactivate(&mut tx, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The delivery log: the latest 200 deliveries, newest first.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<DeliveryRow>), (status = 404, body = ErrorBody)))]
async fn deliveries(
    State(state): State<AppState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<Vec<DeliveryRow>>, ApiError> {
    own(&state, &p.actor, id).await?;
    Ok(axum::Json(
        webhooks::deliveries(&mut state.store().conn().await?, id, 200).await?,
    ))
}
