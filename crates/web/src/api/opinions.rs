//! 社情民意 over the API: residents write into a community's box and read the answer by
//! tracking code; the community lists and triages (answers, or turns into a case).

use super::extract::{Json, Path, Query};
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use shanzhi_app::opinions::OpinionRow;
use shanzhi_app::opinions::{self as svc, OpinionInput, Sent, Triage};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(triage))
        .routes(routes!(send))
        .routes(routes!(tracked))
}

/// An area.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct NodeParams {
    /// The area (default: the caller's own).
    pub node: Option<String>,
}

/// The opinions of an area, newest first.
#[utoipa::path(get, path = "/opinions", tag = "participation", security(("bearer" = [])), params(NodeParams),
    responses((status = 200, body = Vec<OpinionRow>), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<NodeParams>,
) -> Result<axum::Json<Vec<OpinionRow>>, ApiError> {
    let node = p.node_or_own(q.node.as_deref())?;
    Ok(axum::Json(svc::list(&state, &p.actor, &node).await?))
}

/// Answers an opinion or turns it into a case (once).
#[utoipa::path(post, path = "/opinions/{id}/triage", tag = "participation", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = Triage,
    responses((status = 200, body = OpinionRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn triage(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(t): Json<Triage>,
) -> Result<axum::Json<OpinionRow>, ApiError> {
    Ok(axum::Json(svc::triage(&state, &p, id, &t).await?))
}

/// A resident writes into the community's opinion box (no login; rate-limited per address).
#[utoipa::path(post, path = "/public/opinions", tag = "participation", request_body = OpinionInput,
    responses((status = 201, body = Sent), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn send(
    State(state): State<WebState>,
    addr: crate::client::Client,
    Json(o): Json<OpinionInput>,
) -> Result<(StatusCode, axum::Json<Sent>), ApiError> {
    state
        .allow_public_report(&format!("opinion:{}", addr.ip()))
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(svc::send(&state, &o).await?),
    ))
}

/// An opinion and its answer, by tracking code.
#[utoipa::path(get, path = "/public/opinions/{code}", tag = "participation", params(("code" = String, Path)),
    responses((status = 200, body = OpinionRow), (status = 404, body = ErrorBody)))]
async fn tracked(
    State(state): State<WebState>,
    Path(code): Path<String>,
) -> Result<axum::Json<OpinionRow>, ApiError> {
    Ok(axum::Json(svc::tracked(&state, &code).await?))
}
