//! Deadlines: the working-day calendar, extension and suspension requests and their decisions,
//! resuming a suspended case.

use super::cases::CaseOut;
use super::extract::{Json, Path, Query};
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use shanzhi_app::deadlines::{CalendarDayRow, RequestRow};
use shanzhi_app::{cases as case_svc, deadlines as svc};
use shanzhi_domain::case::RequestKind;
use shanzhi_domain::case::{DayKind, Request};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(calendar_days))
        .routes(routes!(set_day, remove_day))
        .routes(routes!(requests_of, file_request))
        .routes(routes!(decide))
        .routes(routes!(resume))
}

/// Which year.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct YearParams {
    /// Only this year's exceptions.
    pub year: Option<i32>,
}

/// The working-day calendar's exceptions: public holidays that fall on weekdays and weekend days
/// worked (调休). Every other Monday to Friday is a working day.
#[utoipa::path(get, path = "/calendar", tag = "deadlines", security(("bearer" = [])), params(YearParams),
    responses((status = 200, body = Vec<CalendarDayRow>), (status = 401, body = ErrorBody)))]
async fn calendar_days(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<YearParams>,
) -> Result<axum::Json<Vec<CalendarDayRow>>, ApiError> {
    Ok(axum::Json(svc::days(&state, &p.actor, q.year).await?))
}

/// An exception day.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DayInput {
    /// holiday or workday.
    pub kind: DayKind,
    /// What it is (春节, 国庆调休 …).
    pub name: String,
}

/// Marks a day a holiday or a make-up working day (admin, command centre). Deadlines computed
/// from now on count it.
#[utoipa::path(put, path = "/calendar/{day}", tag = "deadlines", security(("bearer" = [])),
    params(("day" = String, Path, description = "YYYY-MM-DD")), request_body = DayInput,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn set_day(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(day): Path<String>,
    Json(d): Json<DayInput>,
) -> Result<StatusCode, ApiError> {
    svc::set_day(&state, &p.actor, &day, d.kind, &d.name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Returns a day to the weekly rule.
#[utoipa::path(delete, path = "/calendar/{day}", tag = "deadlines", security(("bearer" = [])),
    params(("day" = String, Path, description = "YYYY-MM-DD")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove_day(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(day): Path<String>,
) -> Result<StatusCode, ApiError> {
    svc::remove_day(&state, &p.actor, &day).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The case's extension and suspension requests, oldest first.
#[utoipa::path(get, path = "/cases/{id}/requests", tag = "deadlines", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<RequestRow>), (status = 404, body = ErrorBody)))]
async fn requests_of(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<Vec<RequestRow>>, ApiError> {
    Ok(axum::Json(svc::requests_of(&state, &p.actor, id).await?))
}

/// A request by the handler.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RequestInput {
    /// extend or suspend.
    pub kind: RequestKind,
    /// Hours asked for (extend), 1–240, on the case's clock.
    pub hours: Option<i64>,
    /// Why.
    pub reason: String,
}

/// The handler asks the level above for more time (延期) or to stop the clock (挂起).
#[utoipa::path(post, path = "/cases/{id}/requests", tag = "deadlines", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = RequestInput,
    responses((status = 201, body = RequestRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn file_request(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<RequestInput>,
) -> Result<(StatusCode, axum::Json<RequestRow>), ApiError> {
    let case = case_svc::visible(&state, &p.actor, id).await?;
    let request = match r.kind {
        RequestKind::Extend => Request::Extend {
            hours: r.hours.ok_or_else(|| {
                ApiError::bad("hours_required", "申请延期时请填写延期小时数 hours")
            })?,
        },
        RequestKind::Suspend => Request::Suspend,
    };
    let row = svc::request(&state, &p.actor, &p.account, &case, request, &r.reason).await?;
    Ok((StatusCode::CREATED, axum::Json(row)))
}

/// The decision on the pending request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DecisionInput {
    /// Approve (true) or refuse.
    pub approve: bool,
    /// Note; required when refusing.
    #[serde(default)]
    pub note: String,
}

/// The level above approves or refuses the pending request.
#[utoipa::path(post, path = "/cases/{id}/requests/decision", tag = "deadlines", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = DecisionInput,
    responses((status = 200, body = CaseOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn decide(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(d): Json<DecisionInput>,
) -> Result<axum::Json<CaseOut>, ApiError> {
    let case = case_svc::visible(&state, &p.actor, id).await?;
    let row = svc::decide(&state, &p.actor, &p.account, &case, d.approve, &d.note).await?;
    Ok(axum::Json(row.into()))
}

/// Restarts the clock of a suspended case; its deadlines move on by the time it stood still.
#[utoipa::path(post, path = "/cases/{id}/resume", tag = "deadlines", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = CaseOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn resume(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<CaseOut>, ApiError> {
    let case = case_svc::visible(&state, &p.actor, id).await?;
    let row = svc::resume(&state, &p.actor, &p.account, &case).await?;
    Ok(axum::Json(row.into()))
}
