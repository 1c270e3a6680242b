//! Visits (走访): record, list per household or place, the changes made during one, and the
//! tagged residents due a visit.

use super::extract::{Json, Path, Query};
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shanzhi_app::visits::{self as svc, VisitInput};
use shanzhi_app::visits::{ChangeRow, DueRow, VisitRow, Visited};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(record, list))
        .routes(routes!(detail))
        .routes(routes!(due))
}

/// Records a visit to a household or a place; a household visit moves its tagged members'
/// next due days.
#[utoipa::path(post, path = "/visits", tag = "visits", security(("bearer" = [])), request_body = VisitInput,
    responses((status = 201, body = VisitRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn record(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Json(v): Json<VisitInput>,
) -> Result<(StatusCode, axum::Json<VisitRow>), ApiError> {
    let row = svc::record(&state, &p, &v).await?;
    Ok((StatusCode::CREATED, axum::Json(row)))
}

/// Whose visits to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct VisitsOf {
    /// A household.
    pub household: Option<i64>,
    /// Or a place.
    pub place: Option<i64>,
}

/// Visits to a household or a place, newest first.
#[utoipa::path(get, path = "/visits", tag = "visits", security(("bearer" = [])), params(VisitsOf),
    responses((status = 200, body = Vec<VisitRow>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<VisitsOf>,
) -> Result<axum::Json<Vec<VisitRow>>, ApiError> {
    let what = match (q.household, q.place) {
        (Some(h), None) => Visited::Household(h),
        (None, Some(pl)) => Visited::Place(pl),
        _ => {
            return Err(ApiError::bad(
                "target_required",
                "请指定 household 或 place 之一",
            ));
        }
    };
    Ok(axum::Json(svc::of(&state, &p, what).await?))
}

/// A visit with the register changes made during it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VisitDetail {
    /// The visit.
    pub visit: VisitRow,
    /// Register changes made during it (信息核实).
    pub changes: Vec<ChangeRow>,
}

/// A visit with the register changes made during it.
#[utoipa::path(get, path = "/visits/{id}", tag = "visits", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = VisitDetail), (status = 404, body = ErrorBody)))]
async fn detail(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<VisitDetail>, ApiError> {
    let (visit, changes) = svc::with_changes(&state, &p, id).await?;
    Ok(axum::Json(VisitDetail { visit, changes }))
}

/// Where to list the residents due a visit.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DueQuery {
    /// A node in scope; the caller's own when omitted.
    pub node: Option<String>,
}

/// Tagged residents due a visit by today (never visited first, then the longest overdue), at
/// most 1,000.
#[utoipa::path(get, path = "/visits/due", tag = "visits", security(("bearer" = [])), params(DueQuery),
    responses((status = 200, body = Vec<DueRow>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn due(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<DueQuery>,
) -> Result<axum::Json<Vec<DueRow>>, ApiError> {
    let node = p.node_or_own(q.node.as_deref())?;
    Ok(axum::Json(svc::due(&state, &p, &node, 1_000).await?))
}
