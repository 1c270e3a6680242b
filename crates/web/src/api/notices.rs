//! 网格公告与预警 over the API: make a notice for a subtree, list them, follow a warning's 叫应
//! grid by grid and record each household's call.

use super::extract::{Json as JsonIn, Path, Query};
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use shanzhi_app::notices::{self as svc, CallRow, Made, NoticeInput, NoticeRow, Progress};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(cap))
        .routes(routes!(progress))
        .routes(routes!(calls))
        .routes(routes!(record))
        .routes(routes!(consent))
}

/// Which area.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct NodeQuery {
    /// The node (default: the caller's own).
    pub node: Option<String>,
}

/// The notices made in an area, newest first.
#[utoipa::path(get, path = "/notices", tag = "notices", security(("bearer" = [])), params(NodeQuery),
    responses((status = 200, body = Vec<NoticeRow>), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<NodeQuery>,
) -> Result<Json<Vec<NoticeRow>>, ApiError> {
    Ok(Json(svc::list(&state, &p, q.node.as_deref()).await?))
}

/// Makes a notice (a 预警 also makes its 叫应 calls, one per vulnerable household).
#[utoipa::path(post, path = "/notices", tag = "notices", security(("bearer" = [])),
    request_body = NoticeInput, responses((status = 201, body = Made), (status = 400, body = ErrorBody)))]
async fn create(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    JsonIn(n): JsonIn<NoticeInput>,
) -> Result<(StatusCode, Json<Made>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(svc::create(&state, &p, &n).await?),
    ))
}

/// Reads a CAP 1.2 warning (the XML as the body) into a 预警 for the grids its area covers in
/// the caller's area: 201 when made, 200 when the same message was read before or a Cancel
/// lifted the warning it refers to.
#[utoipa::path(post, path = "/notices/cap", tag = "notices", security(("bearer" = [])),
    request_body(content = String, content_type = "application/xml"),
    responses((status = 201, body = Made), (status = 200, body = Made), (status = 400, body = ErrorBody)))]
async fn cap(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    xml: String,
) -> Result<(StatusCode, Json<Made>), ApiError> {
    let made = svc::import_cap(&state, &p, &xml).await?;
    let status = if made.existing {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(made)))
}

/// How far a notice has got in the caller's area (or the part `node` names), rolled up to the
/// area's children — grids under a community, communities under a street …: a warning's 叫应,
/// and the texts (queued, accepted by the gateway, failed, read).
#[utoipa::path(get, path = "/notices/{id}/progress", tag = "notices", security(("bearer" = [])),
    params(("id" = i64, Path), NodeQuery), responses((status = 200, body = Progress), (status = 404, body = ErrorBody)))]
async fn progress(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<NodeQuery>,
) -> Result<Json<Progress>, ApiError> {
    Ok(Json(
        svc::progress(&state, &p, id, q.node.as_deref()).await?,
    ))
}

/// Which calls.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CallsQuery {
    /// Only those not yet accounted for (待叫应 and 未联系上).
    #[serde(default)]
    pub open: bool,
}

/// The households to call in a warning, in the caller's area.
#[utoipa::path(get, path = "/notices/{id}/calls", tag = "notices", security(("bearer" = [])),
    params(("id" = i64, Path), CallsQuery), responses((status = 200, body = Vec<CallRow>), (status = 404, body = ErrorBody)))]
async fn calls(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<CallsQuery>,
) -> Result<Json<Vec<CallRow>>, ApiError> {
    Ok(Json(svc::calls(&state, &p, id, q.open).await?.1))
}

/// How a call went.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CallInput {
    /// reached (已叫应), moved (已转移) or unreached (未联系上).
    pub outcome: String,
    /// What was done (required when not reached).
    #[serde(default)]
    pub note: String,
}

/// Records a household's call.
#[utoipa::path(post, path = "/notice-calls/{id}", tag = "notices", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = CallInput,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn record(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    JsonIn(c): JsonIn<CallInput>,
) -> Result<StatusCode, ApiError> {
    svc::record(&state, &p, id, &c.outcome, &c.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A resident's consent to notices by text.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ConsentInput {
    /// Agreed (true) or withdrawn (false).
    pub consent: bool,
}

/// Records on the register that a resident agreed to get the grid's notices by text, or
/// withdrew (they can also withdraw by replying 退订 or on the notice's page).
#[utoipa::path(put, path = "/residents/{id}/notice-consent", tag = "notices", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ConsentInput,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn consent(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    JsonIn(c): JsonIn<ConsentInput>,
) -> Result<StatusCode, ApiError> {
    svc::consent(&state, &p, id, c.consent).await?;
    Ok(StatusCode::NO_CONTENT)
}
