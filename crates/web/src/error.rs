//! The one error shape: `{"error":{"code":"…","message":"…"}}` for every 4xx/5xx of the API.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shanzhi_app::AppError;

/// An API failure: an [`AppError`] on its way out as the one JSON error shape, or a request
/// the HTTP layer could not read.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl ApiError {
    /// A 400 with a code and message.
    pub fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError(AppError::bad(code, message))
    }

    /// The standard 404.
    pub fn not_found() -> ApiError {
        ApiError(AppError::not_found())
    }

    /// HTTP status.
    pub fn status(&self) -> StatusCode {
        status_of(&self.0).0
    }
}

/// The status and stable machine code an application error is answered with. Out of scope
/// and missing are the same 404, so nothing is hinted.
pub fn status_of(e: &AppError) -> (StatusCode, &'static str) {
    match e {
        AppError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
        AppError::Unprocessable { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
        AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
        AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
        AppError::NotPermitted(_) => (StatusCode::FORBIDDEN, "not_permitted"),
        AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        AppError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        AppError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

/// The error body, as documented in the OpenAPI document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The error itself.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code.
    pub code: String,
    /// Human-readable message (zh-CN).
    pub message: String,
    /// Per-item problems, for validation failures such as imports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let (status, code) = status_of(&e);
        if let AppError::Internal(detail) = &e {
            tracing::error!(%detail, "internal error");
        }
        let details = match &e {
            AppError::Unprocessable { details, .. } => Some(details.clone()),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message: e.to_string(),
                details,
            },
        };
        let mut resp = (status, Json(body)).into_response();
        if let AppError::RateLimited(secs) = e
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(e: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection::MissingJsonContentType;
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError(AppError::TooLarge("请求体超过大小限制".into()));
        }
        if matches!(e, MissingJsonContentType(_)) {
            return ApiError::bad(
                "unsupported_media_type",
                "请求体须为 JSON，并带 Content-Type: application/json",
            );
        }
        ApiError::bad(
            "invalid_json",
            format!("请求体不是有效的 JSON：{}", e.body_text()),
        )
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(e: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::bad("invalid_query", format!("查询参数无效：{}", e.body_text()))
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(e: axum::extract::rejection::PathRejection) -> Self {
        ApiError::bad("invalid_path", format!("路径参数无效：{}", e.body_text()))
    }
}
