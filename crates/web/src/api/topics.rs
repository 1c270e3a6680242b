//! 协商议事 over the API: residents propose and follow topics and read them publicly; staff
//! accept or decline, record meetings and votes, resolve, and report progress to done.

use super::extract::{Json, Path, Query};
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::topics::TopicRow;
use shanzhi_app::topics::{
    self as svc, MeetingDetail, MeetingInput, ProgressInput, Proposed, ResolutionInput,
    TopicDetail, TopicInput, VoteInput,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(propose_staff))
        .routes(routes!(detail))
        .routes(routes!(decide))
        .routes(routes!(add_meeting))
        .routes(routes!(vote))
        .routes(routes!(resolve))
        .routes(routes!(progress))
        .routes(routes!(list_public, propose_public))
        .routes(routes!(public))
        .routes(routes!(tracked))
        .routes(routes!(follow))
}

/// Staff enter a topic (their own or one raised at a meeting).
#[utoipa::path(post, path = "/topics", tag = "participation", security(("bearer" = [])), request_body = TopicInput,
    responses((status = 201, body = Proposed), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn propose_staff(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Json(t): Json<TopicInput>,
) -> Result<(StatusCode, axum::Json<Proposed>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(svc::propose(&state, Some(&p), &t).await?),
    ))
}

/// A topic with its meetings, resolutions, suggestions and timeline.
#[utoipa::path(get, path = "/topics/{id}", tag = "participation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = TopicDetail), (status = 404, body = ErrorBody)))]
async fn detail(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<TopicDetail>, ApiError> {
    Ok(axum::Json(svc::visible(&state, &p, id).await?))
}

/// Acceptance.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = TopicDecision)]
pub struct Decision {
    /// Accept for consultation, or decline.
    pub accept: bool,
    /// Why declined.
    #[serde(default)]
    pub reason: String,
}

/// Accepts a proposed topic for consultation, or declines it.
#[utoipa::path(post, path = "/topics/{id}/decision", tag = "participation", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = Decision,
    responses((status = 200, body = TopicDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn decide(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(d): Json<Decision>,
) -> Result<axum::Json<TopicDetail>, ApiError> {
    Ok(axum::Json(
        svc::decide(&state, &p, id, d.accept, &d.reason).await?,
    ))
}

/// Records a meeting: format, place, participants by side and attendance, minutes.
#[utoipa::path(post, path = "/topics/{id}/meetings", tag = "participation", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = MeetingInput,
    responses((status = 201, body = TopicDetail), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn add_meeting(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(m): Json<MeetingInput>,
) -> Result<(StatusCode, axum::Json<TopicDetail>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(svc::add_meeting(&state, &p, id, &m).await?),
    ))
}

/// Records a present participant's vote (once).
#[utoipa::path(post, path = "/meetings/{id}/votes", tag = "participation", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = VoteInput,
    responses((status = 200, body = MeetingDetail), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn vote(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(v): Json<VoteInput>,
) -> Result<axum::Json<MeetingDetail>, ApiError> {
    Ok(axum::Json(svc::vote(&state, &p, id, &v).await?))
}

/// Records a resolution with its suggestions (大事: after a passed vote).
#[utoipa::path(post, path = "/topics/{id}/resolutions", tag = "participation", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = ResolutionInput,
    responses((status = 201, body = TopicDetail), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn resolve(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<ResolutionInput>,
) -> Result<(StatusCode, axum::Json<TopicDetail>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(svc::resolve(&state, &p, id, &r).await?),
    ))
}

/// Reports progress on a suggestion (跟踪问效); 100 needs evidence.
#[utoipa::path(post, path = "/suggestions/{id}/progress", tag = "participation", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = ProgressInput,
    responses((status = 200, body = TopicDetail), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn progress(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(g): Json<ProgressInput>,
) -> Result<axum::Json<TopicDetail>, ApiError> {
    Ok(axum::Json(svc::progress(&state, &p, id, &g).await?))
}

/// An area.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct NodeParams {
    /// The area.
    pub node: String,
}

/// The topics of an area, as the public sees them.
#[utoipa::path(get, path = "/public/topics", tag = "participation", params(NodeParams),
    responses((status = 200, body = Vec<TopicRow>)))]
async fn list_public(
    State(state): State<WebState>,
    Query(q): Query<NodeParams>,
) -> Result<axum::Json<Vec<TopicRow>>, ApiError> {
    Ok(axum::Json(svc::list(&state, &q.node).await?))
}

async fn throttle(state: &WebState, addr: &crate::client::Client) -> Result<(), AppError> {
    state
        .allow_public_report(&format!("topic:{}", addr.ip()))
        .await
}

/// A resident proposes a topic (no login; rate-limited per address).
#[utoipa::path(post, path = "/public/topics", tag = "participation", request_body = TopicInput,
    responses((status = 201, body = Proposed), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn propose_public(
    State(state): State<WebState>,
    addr: crate::client::Client,
    Json(t): Json<TopicInput>,
) -> Result<(StatusCode, axum::Json<Proposed>), ApiError> {
    throttle(&state, &addr).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(svc::propose(&state, None, &t).await?),
    ))
}

/// A topic, its meetings and outcomes, as the public sees them.
#[utoipa::path(get, path = "/public/topics/{id}", tag = "participation", params(("id" = i64, Path)),
    responses((status = 200, body = TopicDetail), (status = 404, body = ErrorBody)))]
async fn public(
    State(state): State<WebState>,
    Path(id): Path<i64>,
) -> Result<axum::Json<TopicDetail>, ApiError> {
    Ok(axum::Json(svc::public(&state, id).await?))
}

/// The proposer's view by tracking code.
#[utoipa::path(get, path = "/public/topics/tracking/{code}", tag = "participation", params(("code" = String, Path)),
    responses((status = 200, body = TopicDetail), (status = 404, body = ErrorBody)))]
async fn tracked(
    State(state): State<WebState>,
    Path(code): Path<String>,
) -> Result<axum::Json<TopicDetail>, ApiError> {
    Ok(axum::Json(svc::tracked(&state, &code).await?))
}

/// A phone to text.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct FollowInput {
    /// The follower's mobile.
    pub phone: String,
}

/// Follows a topic: a text on every change of stage or progress.
#[utoipa::path(post, path = "/public/topics/{id}/followers", tag = "participation", params(("id" = i64, Path)),
    request_body = FollowInput,
    responses((status = 201), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn follow(
    State(state): State<WebState>,
    addr: crate::client::Client,
    Path(id): Path<i64>,
    Json(f): Json<FollowInput>,
) -> Result<StatusCode, ApiError> {
    throttle(&state, &addr).await?;
    svc::follow(&state, id, &f.phone).await?;
    Ok(StatusCode::CREATED)
}
