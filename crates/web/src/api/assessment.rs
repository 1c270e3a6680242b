//! The monthly assessment of grid workers: scores and rankings, evaluations entered by the
//! community, and residents' ratings from a grid's public page.

use super::extract::{Json, Path, Query};
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use shanzhi_app::assessment::{
    self as svc, EvaluationInput, MonthAssessment, RatingInput, UnitScore,
};
use shanzhi_domain::assessment::Weights;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(month))
        .routes(routes!(units))
        .routes(routes!(evaluate))
        .routes(routes!(rate))
        .routes(routes!(rating_code))
        .routes(routes!(weights, set_weights))
}

/// Which node.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct NodeQuery {
    /// Node code; the caller's own when omitted.
    pub node: Option<String>,
}

/// The weights that score the grid workers under a node: its district's, or the defaults.
#[utoipa::path(get, path = "/assessment/weights", tag = "assessment", security(("bearer" = [])), params(NodeQuery),
    responses((status = 200, body = Weights), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn weights(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<NodeQuery>,
) -> Result<axum::Json<Weights>, ApiError> {
    let node = p.node_or_own(q.node.as_deref())?;
    Ok(axum::Json(svc::weights(&state, &p.actor, &node).await?))
}

/// Sets a district's weights (its command centre): each 0–100, not all 0; the parts present
/// in a worker's month are rescaled to 100.
#[utoipa::path(put, path = "/assessment/weights", tag = "assessment", security(("bearer" = [])), params(NodeQuery),
    request_body = Weights,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn set_weights(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<NodeQuery>,
    Json(w): Json<Weights>,
) -> Result<StatusCode, ApiError> {
    let node = p.node_or_own(q.node.as_deref())?;
    svc::set_weights(&state, &p.actor, &node, &w).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which node and month.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct MonthQuery {
    /// Node code; the caller's own when omitted.
    pub node: Option<String>,
    /// Month, `2026-10`; a future month is refused.
    pub month: String,
}

/// The month's scores of the grid workers under a node, best first, with places in their
/// community and street and the 红旗网格员 marked. Recomputed from the records on every call.
#[utoipa::path(get, path = "/assessment", tag = "assessment", security(("bearer" = [])), params(MonthQuery),
    responses((status = 200, body = MonthAssessment), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn month(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<MonthQuery>,
) -> Result<axum::Json<MonthAssessment>, ApiError> {
    let node = p.node_or_own(q.node.as_deref())?;
    Ok(axum::Json(
        svc::month(&state, &p.actor, &node, &q.month).await?,
    ))
}

/// Which node and quarter.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct QuarterQuery {
    /// Node code; the caller's own when omitted.
    pub node: Option<String>,
    /// Quarter, `2026-Q3`.
    pub quarter: String,
}

/// The communities' quarter (红旗单位): the mean of their grid workers' monthly scores,
/// ranked within each street; the first at 60 (the pass mark) or more is the street's 红旗单位.
#[utoipa::path(get, path = "/assessment/units", tag = "assessment", security(("bearer" = [])), params(QuarterQuery),
    responses((status = 200, body = Vec<UnitScore>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn units(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<QuarterQuery>,
) -> Result<axum::Json<Vec<UnitScore>>, ApiError> {
    let node = p.node_or_own(q.node.as_deref())?;
    Ok(axum::Json(
        svc::quarter(&state, &p.actor, &node, &q.quarter).await?,
    ))
}

/// Enters or corrects a peer (同事互评) or organisation (组织评价) evaluation, 0–100.
#[utoipa::path(put, path = "/assessment/workers/{account}", tag = "assessment", security(("bearer" = [])),
    params(("account" = i64, Path)), request_body = EvaluationInput,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn evaluate(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(account): Path<i64>,
    Json(e): Json<EvaluationInput>,
) -> Result<StatusCode, ApiError> {
    svc::evaluate(&state, &p.actor, account, &e).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Texts a one-time code to a resident who is about to rate this grid's workers (one a
/// minute and five an hour per phone; limited per address).
#[utoipa::path(post, path = "/public/grids/{code}/ratings/codes", tag = "assessment",
    params(("code" = String, Path)), request_body = super::surveys::CodeInput,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn rating_code(
    State(state): State<WebState>,
    addr: crate::client::Client,
    Path(code): Path<String>,
    Json(c): Json<super::surveys::CodeInput>,
) -> Result<StatusCode, ApiError> {
    svc::send_rating_code(&state, &code, &c.phone, &addr.ip().to_string()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A resident rates a grid worker of this grid with the code texted to their phone (no
/// login; one rating per verified phone per worker per month; rate-limited per address).
#[utoipa::path(post, path = "/public/grids/{code}/ratings", tag = "assessment",
    params(("code" = String, Path)), request_body = RatingInput,
    responses((status = 201), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn rate(
    State(state): State<WebState>,
    addr: crate::client::Client,
    Path(code): Path<String>,
    Json(r): Json<RatingInput>,
) -> Result<StatusCode, ApiError> {
    state
        .allow_public_report(&format!("rating:{}", addr.ip()))
        .await?;
    svc::rate(&state, &code, &r).await?;
    Ok(StatusCode::CREATED)
}
