//! 双报到 over the API: registrations and their confirmation, co-building units and their
//! 三张清单, declared service and its verification, and the year's report.

use super::extract::{Json, Path, Query};
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use shanzhi_app::members::{
    self as svc, ListingInput, Registration, ServiceInput, UnitInput, YearLine,
};
use shanzhi_app::members::{MemberRow, ServiceRow, UnitRow, Units};
use shanzhi_domain::participation::{ServiceStage, Standing};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list, register))
        .routes(routes!(me))
        .routes(routes!(decide))
        .routes(routes!(units, add_unit))
        .routes(routes!(add_listing))
        .routes(routes!(services, declare))
        .routes(routes!(verify))
        .routes(routes!(report))
}

/// Where and which.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// The area (default: the caller's own).
    pub node: Option<String>,
    /// Only this standing.
    pub standing: Option<Standing>,
}

/// Members registered under an area.
#[utoipa::path(get, path = "/members", tag = "participation", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = Vec<MemberRow>), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<ListParams>,
) -> Result<axum::Json<Vec<MemberRow>>, ApiError> {
    let node = p.node_or_own(q.node.as_deref())?;
    Ok(axum::Json(
        svc::list(&state, &p.actor, &node, q.standing).await?,
    ))
}

/// Registers (双报到): a volunteer login for itself (pending), community staff for someone
/// in person (confirmed).
#[utoipa::path(post, path = "/members", tag = "participation", security(("bearer" = [])), request_body = Registration,
    responses((status = 201, body = MemberRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn register(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Json(r): Json<Registration>,
) -> Result<(StatusCode, axum::Json<MemberRow>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(svc::register(&state, &p, &r).await?),
    ))
}

/// The caller's own registration (volunteer logins).
#[utoipa::path(get, path = "/members/me", tag = "participation", security(("bearer" = [])),
    responses((status = 200, body = MemberRow), (status = 403, body = ErrorBody)))]
async fn me(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
) -> Result<axum::Json<MemberRow>, ApiError> {
    Ok(axum::Json(svc::me(&state, &p).await?))
}

/// The community's decision on a registration.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Decision {
    /// Confirm (true) or decline.
    pub confirm: bool,
}

/// Confirms or declines a pending registration.
#[utoipa::path(post, path = "/members/{id}/decision", tag = "participation", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = Decision,
    responses((status = 200, body = MemberRow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn decide(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(d): Json<Decision>,
) -> Result<axum::Json<MemberRow>, ApiError> {
    Ok(axum::Json(
        svc::decide(&state, &p.actor, id, d.confirm).await?,
    ))
}

/// An area.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct NodeParams {
    /// The area (default: the caller's own).
    pub node: Option<String>,
}

/// Co-building units (共建单位) and their 问题、需求、资源 lists.
#[utoipa::path(get, path = "/units", tag = "participation", security(("bearer" = [])), params(NodeParams),
    responses((status = 200, body = Units), (status = 404, body = ErrorBody)))]
async fn units(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<NodeParams>,
) -> Result<axum::Json<Units>, ApiError> {
    let node = p.node_or_own(q.node.as_deref())?;
    Ok(axum::Json(svc::units(&state, &p.actor, &node).await?))
}

/// Registers a co-building unit.
#[utoipa::path(post, path = "/units", tag = "participation", security(("bearer" = [])), request_body = UnitInput,
    responses((status = 201, body = UnitRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn add_unit(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Json(u): Json<UnitInput>,
) -> Result<(StatusCode, axum::Json<UnitRow>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(svc::add_unit(&state, &p.actor, &u).await?),
    ))
}

/// Adds to a unit's 三张清单.
#[utoipa::path(post, path = "/units/{id}/listings", tag = "participation", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = ListingInput,
    responses((status = 201, body = i64), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn add_listing(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(l): Json<ListingInput>,
) -> Result<(StatusCode, axum::Json<i64>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(svc::add_listing(&state, &p.actor, id, &l).await?),
    ))
}

/// Where and which stage.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ServiceParams {
    /// The area (default: the caller's own).
    pub node: Option<String>,
    /// Only this stage (`declared` for the 汇总 to verify).
    pub stage: Option<ServiceStage>,
}

/// Declared service under an area (汇总).
#[utoipa::path(get, path = "/services", tag = "participation", security(("bearer" = [])), params(ServiceParams),
    responses((status = 200, body = Vec<ServiceRow>), (status = 404, body = ErrorBody)))]
async fn services(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<ServiceParams>,
) -> Result<axum::Json<Vec<ServiceRow>>, ApiError> {
    let node = p.node_or_own(q.node.as_deref())?;
    Ok(axum::Json(
        svc::services(&state, &p.actor, &node, q.stage).await?,
    ))
}

/// Declares a service (申报).
#[utoipa::path(post, path = "/services", tag = "participation", security(("bearer" = [])), request_body = ServiceInput,
    responses((status = 201, body = ServiceRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn declare(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Json(s): Json<ServiceInput>,
) -> Result<(StatusCode, axum::Json<ServiceRow>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(svc::declare(&state, &p, &s).await?),
    ))
}

/// The community's verification.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Verification {
    /// Verified (credits the points) or not.
    pub approve: bool,
    /// Words (required when not verified).
    #[serde(default)]
    pub note: String,
}

/// Verifies a declared service (社区核实), crediting its points.
#[utoipa::path(post, path = "/services/{id}/verification", tag = "participation", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = Verification,
    responses((status = 200, body = ServiceRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn verify(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(v): Json<Verification>,
) -> Result<axum::Json<ServiceRow>, ApiError> {
    Ok(axum::Json(
        svc::verify(&state, &p, id, v.approve, &v.note).await?,
    ))
}

/// Area and year.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReportParams {
    /// The area (default: the caller's own).
    pub node: Option<String>,
    /// The year (default: this year).
    pub year: Option<i32>,
}

/// The year's service record of every confirmed member (双报告), with who has not met the
/// once-a-year minimum.
#[utoipa::path(get, path = "/members/report", tag = "participation", security(("bearer" = [])), params(ReportParams),
    responses((status = 200, body = Vec<YearLine>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn report(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<ReportParams>,
) -> Result<axum::Json<Vec<YearLine>>, ApiError> {
    let node = p.node_or_own(q.node.as_deref())?;
    let year = q
        .year
        .unwrap_or_else(|| svc::this_year(state.clock().today()));
    Ok(axum::Json(
        svc::year_report(&state, &p.actor, &node, year).await?,
    ))
}
