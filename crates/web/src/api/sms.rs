//! The SMS gateway's callbacks: status reports (回执) and residents' replies (上行短信). The
//! gateway signs in with the callback key as its bearer token; without a key configured the
//! callbacks do not exist. The answer is the `{"code": 0}` gateways wait for before they stop
//! retrying.

use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use shanzhi_app::AppError;
use shanzhi_app::sms_inbound::{self as svc, Handled};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(receipts))
        .routes(routes!(replies))
}

/// What the gateway is answered.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Answer {
    /// 0: taken (gateways stop retrying).
    pub code: i32,
    /// 成功.
    pub msg: &'static str,
    /// What was done with the items.
    #[serde(flatten)]
    pub handled: Handled,
}

/// Refuses a caller without the callback key as if the callback did not exist.
fn gateway(state: &WebState, headers: &HeaderMap) -> Result<(), ApiError> {
    match &state.settings().sms_callback_key {
        Some(key) if crate::auth::bearer_is(headers, key) => Ok(()),
        _ => Err(ApiError(AppError::NotFound("没有这个接口".into()))),
    }
}

fn answer(handled: Handled) -> Json<Answer> {
    Json(Answer {
        code: 0,
        msg: "成功",
        handled,
    })
}

/// The gateway's status reports: whether each text reached the handset (a JSON array of
/// reports, one report, or an object with the array under `reports`, `data` or `list`; the
/// message id as `biz_id`, `msgid`, `message_id` or `id`; the outcome as `success` or a
/// status word such as `DELIVRD`).
#[utoipa::path(post, path = "/sms/receipts", tag = "notices", security(("bearer" = [])),
    request_body = serde_json::Value,
    responses((status = 200, body = Answer), (status = 404, body = ErrorBody)))]
async fn receipts(
    State(state): State<WebState>,
    headers: HeaderMap,
    super::extract::Json(body): super::extract::Json<serde_json::Value>,
) -> Result<Json<Answer>, ApiError> {
    gateway(&state, &headers)?;
    Ok(answer(svc::receipts(&state, &body).await?))
}

/// Residents' replies to texts (the phone as `phone_number`, `mobile` or `phone`, the text as
/// `content` or `text`): 退订, TD and the like stop notices to that phone in every grid.
#[utoipa::path(post, path = "/sms/replies", tag = "notices", security(("bearer" = [])),
    request_body = serde_json::Value,
    responses((status = 200, body = Answer), (status = 404, body = ErrorBody)))]
async fn replies(
    State(state): State<WebState>,
    headers: HeaderMap,
    super::extract::Json(body): super::extract::Json<serde_json::Value>,
) -> Result<Json<Answer>, ApiError> {
    gateway(&state, &headers)?;
    Ok(answer(svc::replies(&state, &body).await?))
}
