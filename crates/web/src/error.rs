//! The one error shape: `{"error":{"code":"…","message":"…"}}` for every 4xx/5xx of the API.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shanzhi_store::StoreError;

/// An API failure. Messages are Chinese and say what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed or invalid input (400).
    #[error("{message}")]
    BadRequest {
        /// Machine code, e.g. `invalid_code`.
        code: &'static str,
        /// What to fix.
        message: String,
    },
    /// Input that parses but breaks rules, with per-item details (422).
    #[error("{message}")]
    Unprocessable {
        /// Machine code.
        code: &'static str,
        /// Summary.
        message: String,
        /// One entry per problem.
        details: serde_json::Value,
    },
    /// Not logged in or bad credentials (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Logged in, but the role may not do this (403). Only for resources the caller can see.
    #[error("{0}")]
    Forbidden(String),
    /// Does not exist, or lies outside the caller's scope (404): the two are not told apart.
    #[error("{0}")]
    NotFound(String),
    /// A conflicting write, e.g. a duplicate code (409).
    #[error("{0}")]
    Conflict(String),
    /// An upload over its size limit (413).
    #[error("{0}")]
    TooLarge(String),
    /// Too many attempts (429).
    #[error("尝试次数过多，请 {0} 秒后再试")]
    RateLimited(u64),
    /// A part the deployment lacks, e.g. a font for PDF reports (503); says what to install.
    #[error("{0}")]
    Unavailable(String),
    /// Something broke on our side (500); details go to the log, not the client.
    #[error("服务器内部错误")]
    Internal(String),
}

impl ApiError {
    /// A 400 with a code and message.
    pub fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// The standard 404.
    pub fn not_found() -> ApiError {
        ApiError::NotFound("未找到，或不在您的管辖范围内".into())
    }

    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::Unprocessable { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// HTTP status.
    pub fn status(&self) -> StatusCode {
        self.parts().0
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
        let (status, code) = self.parts();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let details = match &self {
            ApiError::Unprocessable { details, .. } => Some(details.clone()),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message: self.to_string(),
                details,
            },
        };
        let mut resp = (status, Json(body)).into_response();
        if let ApiError::RateLimited(secs) = self
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => ApiError::Conflict(m),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(e: axum::extract::rejection::JsonRejection) -> Self {
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
