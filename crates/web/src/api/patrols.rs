//! Patrols (巡查): start, GPS fixes in batches, notes and findings, end; coverage per grid and day.

use super::extract::{Json, Path, Query};
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use shanzhi_app::patrols::{self as svc, FixInput, GridDay, NoteInput, PatrolDetail, TrackSummary};
use shanzhi_app::patrols::{NoteRow, PatrolRow};
use shanzhi_app::period::Period;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(start, list))
        .routes(routes!(detail))
        .routes(routes!(fixes))
        .routes(routes!(note))
        .routes(routes!(report_finding))
        .routes(routes!(end))
        .routes(routes!(coverage))
}

/// Which grid to patrol.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct StartInput {
    /// Grid code; the worker's own grid when omitted.
    pub grid: Option<String>,
}

/// Starts a patrol (grid workers and leaders; one at a time).
#[utoipa::path(post, path = "/patrols", tag = "patrols", security(("bearer" = [])), request_body = StartInput,
    responses((status = 201, body = PatrolRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn start(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Json(s): Json<StartInput>,
) -> Result<(StatusCode, axum::Json<PatrolRow>), ApiError> {
    let row = svc::start(&state, &p.actor, &p.account, s.grid.as_deref()).await?;
    Ok((StatusCode::CREATED, axum::Json(row)))
}

/// A node and a period of days.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct NodePeriod {
    /// Node code (a grid, community, street …); the caller's own node when omitted.
    pub node: Option<String>,
    /// First day (ISO); 6 days before `to` when omitted.
    pub from: Option<String>,
    /// Last day (ISO); today when omitted. Future days are refused.
    pub to: Option<String>,
}

/// Patrols under a node in a period, newest first (at most 500).
#[utoipa::path(get, path = "/patrols", tag = "patrols", security(("bearer" = [])), params(NodePeriod),
    responses((status = 200, body = Vec<PatrolRow>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<NodePeriod>,
) -> Result<axum::Json<Vec<PatrolRow>>, ApiError> {
    let period = Period::parse(q.from.as_deref(), q.to.as_deref(), state.clock().today())?;
    let node = p.node_or_own(q.node.as_deref())?;
    let rows = svc::list(&state, &p.actor, &node, &period, 500).await?;
    Ok(axum::Json(rows))
}

/// A patrol with its cleaned track, the fixes left out (with reasons) and its notes.
#[utoipa::path(get, path = "/patrols/{id}", tag = "patrols", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = PatrolDetail), (status = 404, body = ErrorBody)))]
async fn detail(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<PatrolDetail>, ApiError> {
    Ok(axum::Json(svc::detail(&state, &p.actor, id).await?))
}

/// GPS fixes, in any order, late or repeated (a fix for a moment already stored is ignored).
#[utoipa::path(post, path = "/patrols/{id}/fixes", tag = "patrols", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = Vec<FixInput>,
    responses((status = 200, body = TrackSummary), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn fixes(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(batch): Json<Vec<FixInput>>,
) -> Result<axum::Json<TrackSummary>, ApiError> {
    Ok(axum::Json(
        svc::add_fixes(&state, &p.actor, id, &batch).await?,
    ))
}

/// A note or finding on a running patrol.
#[utoipa::path(post, path = "/patrols/{id}/notes", tag = "patrols", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = NoteInput,
    responses((status = 201, body = NoteRow), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn note(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(n): Json<NoteInput>,
) -> Result<(StatusCode, axum::Json<NoteRow>), ApiError> {
    let row = svc::add_note(&state, &p.actor, id, &n).await?;
    Ok((StatusCode::CREATED, axum::Json(row)))
}

/// The category a finding is reported under.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct FindingCase {
    /// Category code (事项清单).
    pub category: String,
}

/// Reports a finding as a case (source: 网格巡查).
#[utoipa::path(post, path = "/patrols/{id}/notes/{note}/case", tag = "patrols", security(("bearer" = [])),
    params(("id" = i64, Path), ("note" = i64, Path)), request_body = FindingCase,
    responses((status = 201, body = crate::api::cases::CaseOut), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn report_finding(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path((id, note)): Path<(i64, i64)>,
    Json(f): Json<FindingCase>,
) -> Result<(StatusCode, axum::Json<crate::api::cases::CaseOut>), ApiError> {
    let case = svc::report_finding(
        &state,
        &p.actor,
        &p.account,
        (id, note),
        &f.category,
        Vec::new(),
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(case.into())))
}

/// The patrol's summary.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct EndInput {
    /// 巡查小结.
    #[serde(default)]
    pub summary: String,
}

/// Ends a patrol (within 12 hours of its start).
#[utoipa::path(post, path = "/patrols/{id}/end", tag = "patrols", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = EndInput,
    responses((status = 200, body = PatrolRow), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn end(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(e): Json<EndInput>,
) -> Result<axum::Json<PatrolRow>, ApiError> {
    Ok(axum::Json(
        svc::end(&state, &p.actor, id, &e.summary).await?,
    ))
}

/// Every grid under a node on every day of the period against 一日双巡 (two patrols of at
/// least 20 minutes, starting at least 3 hours apart); `missed` marks past days short of it.
#[utoipa::path(get, path = "/patrol-coverage", tag = "patrols", security(("bearer" = [])), params(NodePeriod),
    responses((status = 200, body = Vec<GridDay>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn coverage(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<NodePeriod>,
) -> Result<axum::Json<Vec<GridDay>>, ApiError> {
    let period = Period::parse(q.from.as_deref(), q.to.as_deref(), state.clock().today())?;
    Ok(axum::Json(
        svc::coverage_for(&state, &p.actor, &p.node_or_own(q.node.as_deref())?, period).await?,
    ))
}
