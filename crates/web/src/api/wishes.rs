//! 微心愿 over the API: residents post and follow wishes by tracking code (no login,
//! rate-limited); staff review and publish; members claim and complete; the resident or a
//! grid worker confirms, crediting the reward.

use super::extract::{Json, Path, Query};
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::wishes::{self as svc, Acting, Posted, WishInput, WishStep, WishView};
use shanzhi_domain::participation::WishStage;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list, post_for))
        .routes(routes!(detail))
        .routes(routes!(act))
        .routes(routes!(post_public))
        .routes(routes!(tracked))
        .routes(routes!(act_public))
}

/// Where and which.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// The area (default: the caller's own).
    pub node: Option<String>,
    /// Only wishes at this stage now.
    pub stage: Option<WishStage>,
}

/// Wishes under an area, newest first (at most 300).
#[utoipa::path(get, path = "/wishes", tag = "participation", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = Vec<WishView>), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<ListParams>,
) -> Result<axum::Json<Vec<WishView>>, ApiError> {
    let node = p.node_or_own(q.node.as_deref())?;
    Ok(axum::Json(svc::list(&state, &p, &node, q.stage).await?))
}

/// A grid worker posts a wish for a resident (代填).
#[utoipa::path(post, path = "/wishes", tag = "participation", security(("bearer" = [])), request_body = WishInput,
    responses((status = 201, body = Posted), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn post_for(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Json(w): Json<WishInput>,
) -> Result<(StatusCode, axum::Json<Posted>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(svc::post(&state, Some(&p), &w).await?),
    ))
}

/// One wish, with its timeline and the co-building units' matching resources.
#[utoipa::path(get, path = "/wishes/{id}", tag = "participation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = WishView), (status = 404, body = ErrorBody)))]
async fn detail(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<WishView>, ApiError> {
    Ok(axum::Json(svc::visible(&state, &p, id).await?))
}

/// Carries a wish one step: `publish` / `decline` (community), `claim` / `release` /
/// `complete` (member), `confirm` / `reopen` (grid staff for the resident).
#[utoipa::path(post, path = "/wishes/{id}/actions", tag = "participation", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = WishStep,
    responses((status = 200, body = WishView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn act(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(step): Json<WishStep>,
) -> Result<axum::Json<WishView>, ApiError> {
    Ok(axum::Json(
        svc::act(&state, Acting::Account(&p), id, &step, None).await?,
    ))
}

async fn throttle(state: &WebState, addr: &crate::client::Client) -> Result<(), AppError> {
    state
        .allow_public_report(&format!("wish:{}", addr.ip()))
        .await
}

/// A resident posts a wish (no login; rate-limited per address). Keep the tracking code.
#[utoipa::path(post, path = "/public/wishes", tag = "participation", request_body = WishInput,
    responses((status = 201, body = Posted), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn post_public(
    State(state): State<WebState>,
    addr: crate::client::Client,
    Json(w): Json<WishInput>,
) -> Result<(StatusCode, axum::Json<Posted>), ApiError> {
    throttle(&state, &addr).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(svc::post(&state, None, &w).await?),
    ))
}

/// A wish by its tracking code.
#[utoipa::path(get, path = "/public/wishes/{code}", tag = "participation", params(("code" = String, Path)),
    responses((status = 200, body = WishView), (status = 404, body = ErrorBody)))]
async fn tracked(
    State(state): State<WebState>,
    Path(code): Path<String>,
) -> Result<axum::Json<WishView>, ApiError> {
    Ok(axum::Json(svc::tracked(&state, &code).await?))
}

/// The resident confirms the wish was done (`confirm`) or sends it back (`reopen`).
#[utoipa::path(post, path = "/public/wishes/{code}/actions", tag = "participation", params(("code" = String, Path)),
    request_body = WishStep,
    responses((status = 200, body = WishView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn act_public(
    State(state): State<WebState>,
    addr: crate::client::Client,
    Path(code): Path<String>,
    Json(step): Json<WishStep>,
) -> Result<axum::Json<WishView>, ApiError> {
    throttle(&state, &addr).await?;
    let id = svc::tracked(&state, &code).await?.wish.id;
    Ok(axum::Json(
        svc::act(&state, Acting::Resident, id, &step, None).await?,
    ))
}
