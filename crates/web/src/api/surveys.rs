//! 码上问卷 over the API: staff build, change (until the first answer), close and read
//! surveys with their live results and export; residents read and answer them by QR code
//! (a one-time code for phone surveys); grid workers enter answers for residents (代填).

use super::extract::{Json, Path, Query};
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState, download};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::surveys::{self as svc, Respondent, Results, SurveyInput, SurveyView};
use shanzhi_domain::participation::survey::Answer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update))
        .routes(routes!(close))
        .routes(routes!(results))
        .routes(routes!(export))
        .routes(routes!(proxy_answer))
        .routes(routes!(public))
        .routes(routes!(send_code))
        .routes(routes!(answer))
}

/// An area.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct NodeParams {
    /// The area (default: the caller's own).
    pub node: Option<String>,
}

/// Surveys of an area, newest first.
#[utoipa::path(get, path = "/surveys", tag = "participation", security(("bearer" = [])), params(NodeParams),
    responses((status = 200, body = Vec<SurveyView>), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<NodeParams>,
) -> Result<axum::Json<Vec<SurveyView>>, ApiError> {
    let node = p.node_or_own(q.node.as_deref())?;
    Ok(axum::Json(svc::list(&state, &p, &node).await?))
}

/// Creates a survey.
#[utoipa::path(post, path = "/surveys", tag = "participation", security(("bearer" = [])), request_body = SurveyInput,
    responses((status = 201, body = SurveyView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Json(s): Json<SurveyInput>,
) -> Result<(StatusCode, axum::Json<SurveyView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(svc::create(&state, &p, &s).await?),
    ))
}

/// Changes a survey's questions and dates: 409 once anyone has answered.
#[utoipa::path(put, path = "/surveys/{id}", tag = "participation", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = SurveyInput,
    responses((status = 200, body = SurveyView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(s): Json<SurveyInput>,
) -> Result<axum::Json<SurveyView>, ApiError> {
    Ok(axum::Json(svc::update(&state, &p, id, &s).await?))
}

/// Closes a survey now.
#[utoipa::path(post, path = "/surveys/{id}/close", tag = "participation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = SurveyView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn close(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<SurveyView>, ApiError> {
    Ok(axum::Json(svc::close(&state, &p, id).await?))
}

/// Live results.
#[utoipa::path(get, path = "/surveys/{id}/results", tag = "participation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Results), (status = 404, body = ErrorBody)))]
async fn results(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<Results>, ApiError> {
    Ok(axum::Json(svc::results(&state, &p, id).await?))
}

/// Every answer as xlsx.
#[utoipa::path(get, path = "/surveys/{id}/answers.xlsx", tag = "participation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = ErrorBody)))]
async fn export(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (name, bytes) = svc::export(&state, &p, id).await?;
    Ok(download::file(&name, download::XLSX, bytes))
}

/// Answers a resident gives through a grid worker (代填).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ProxyInput {
    /// The resident's phone (one answer per phone still holds).
    pub phone: String,
    /// One entry per question; `null` for skipped.
    pub answers: Vec<Option<Answer>>,
}

/// A grid worker enters a resident's answers (代填), recorded as such.
#[utoipa::path(post, path = "/surveys/{id}/proxy-answers", tag = "participation", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = ProxyInput,
    responses((status = 201), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn proxy_answer(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(a): Json<ProxyInput>,
) -> Result<StatusCode, ApiError> {
    let who = Respondent::Proxy {
        by: &p,
        phone: &a.phone,
    };
    svc::answer(&state, id, who, &a.answers).await?;
    Ok(StatusCode::CREATED)
}

/// A survey as residents see it.
#[utoipa::path(get, path = "/public/surveys/{id}", tag = "participation", params(("id" = i64, Path)),
    responses((status = 200, body = SurveyView), (status = 404, body = ErrorBody)))]
async fn public(
    State(state): State<WebState>,
    Path(id): Path<i64>,
) -> Result<axum::Json<SurveyView>, ApiError> {
    Ok(axum::Json(svc::public(&state, id).await?))
}

async fn throttle(state: &WebState, addr: &crate::client::Client) -> Result<(), AppError> {
    state.allow_survey(&addr.ip().to_string()).await
}

/// A phone to send the code to.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CodeInput {
    /// The resident's mobile.
    pub phone: String,
}

/// Sends a one-time code to the phone (one a minute per phone).
#[utoipa::path(post, path = "/public/surveys/{id}/codes", tag = "participation", params(("id" = i64, Path)),
    request_body = CodeInput,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn send_code(
    State(state): State<WebState>,
    addr: crate::client::Client,
    Path(id): Path<i64>,
    Json(c): Json<CodeInput>,
) -> Result<StatusCode, ApiError> {
    throttle(&state, &addr).await?;
    svc::send_code(&state, id, &c.phone, &addr.ip().to_string()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A resident's response.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AnswerInput {
    /// Phone surveys: the phone and the code sent to it.
    pub phone: Option<String>,
    /// The code.
    pub code: Option<String>,
    /// Device surveys: the device's token (16–128 characters, kept by the client).
    pub device: Option<String>,
    /// One entry per question; `null` for skipped.
    pub answers: Vec<Option<Answer>>,
}

/// Answers a survey: once per phone or device; 409 when closed or answered already.
#[utoipa::path(post, path = "/public/surveys/{id}/answers", tag = "participation", params(("id" = i64, Path)),
    request_body = AnswerInput,
    responses((status = 201), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn answer(
    State(state): State<WebState>,
    addr: crate::client::Client,
    Path(id): Path<i64>,
    Json(a): Json<AnswerInput>,
) -> Result<StatusCode, ApiError> {
    throttle(&state, &addr).await?;
    let from = addr.ip().to_string();
    let who = match (&a.phone, &a.code, &a.device) {
        (Some(phone), Some(code), _) => Respondent::Phone { phone, code },
        (_, _, Some(device)) => Respondent::Device {
            token: device,
            from: &from,
        },
        _ => return Err(ApiError::bad("respondent_required", "请填写手机号和验证码")),
    };
    svc::answer(&state, id, who, &a.answers).await?;
    Ok(StatusCode::CREATED)
}
