//! The edge of the server: every request's text is checked once here, and every refusal —
//! ours or the framework's (malformed JSON, a wrong content type, a body over the limit) —
//! leaves in the one shape: the JSON error on the API, a Chinese page elsewhere.

use crate::ApiError;
use crate::pages::PageError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use shanzhi_app::AppError;
use shanzhi_domain::text::{code_point, untypable};

/// Where in a request a character no one types was found.
struct Untypable {
    field: String,
    c: char,
}

impl Untypable {
    fn error(&self) -> AppError {
        AppError::bad(
            "control_character",
            format!(
                "“{}”中有不可见的控制字符（{}），请删去后重试",
                self.field,
                code_point(self.c)
            ),
        )
    }
}

/// The first untypable character among url-encoded pairs (a query string or a form).
fn in_pairs(encoded: &[u8]) -> Option<Untypable> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(encoded).ok()?;
    pairs.into_iter().find_map(|(k, v)| {
        untypable(&k)
            .or_else(|| untypable(&v))
            .map(|c| Untypable { field: k, c })
    })
}

/// The first untypable character in a JSON document's keys and strings.
fn in_json(v: &Value, at: &str) -> Option<Untypable> {
    let found = |field: &str, s: &str| {
        untypable(s).map(|c| Untypable {
            field: field.to_owned(),
            c,
        })
    };
    match v {
        Value::String(s) => found(at, s),
        Value::Array(items) => items.iter().find_map(|i| in_json(i, at)),
        Value::Object(map) => map
            .iter()
            .find_map(|(k, v)| found(k, k).or_else(|| in_json(v, k))),
        _ => None,
    }
}

/// The body's kind, when it is text the handlers read whole.
enum Kind {
    Json,
    Form,
}

fn kind(req: &Request) -> Option<Kind> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())?
        .to_ascii_lowercase();
    if ct.starts_with("application/json") || ct.starts_with("application/geo+json") {
        Some(Kind::Json)
    } else if ct.starts_with("application/x-www-form-urlencoded") {
        Some(Kind::Form)
    } else {
        None
    }
}

/// Middleware: refuses text with control characters in the path, the query or a JSON or form
/// body (400, before any handler), and gives the framework's own refusals the one shape.
pub async fn checked(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let refuse = |u: Untypable| {
        if api {
            ApiError(u.error()).into_response()
        } else {
            PageError::App(u.error()).into_response()
        }
    };
    let path = percent_encoding::percent_decode_str(req.uri().path()).decode_utf8_lossy();
    if let Some(c) = untypable(&path) {
        return refuse(Untypable {
            field: "网址".into(),
            c,
        });
    }
    if let Some(u) = req.uri().query().and_then(|q| in_pairs(q.as_bytes())) {
        return refuse(u);
    }
    let req = match kind(&req) {
        None => req,
        Some(kind) => {
            let (parts, body) = req.into_parts();
            let bytes = match axum::body::to_bytes(body, crate::BODY_LIMIT).await {
                Ok(b) => b,
                Err(_) => {
                    return shaped(api, StatusCode::PAYLOAD_TOO_LARGE, "请求体过大或传输中断");
                }
            };
            let found = match kind {
                Kind::Json => serde_json::from_slice::<Value>(&bytes)
                    .ok()
                    .and_then(|v| in_json(&v, "请求体")),
                Kind::Form => in_pairs(&bytes),
            };
            if let Some(u) = found {
                return refuse(u);
            }
            Request::from_parts(parts, Body::from(bytes))
        }
    };
    let mut resp = uniform(api, next.run(req).await).await;
    if resp.status() == StatusCode::SERVICE_UNAVAILABLE {
        resp.headers_mut()
            .entry(header::RETRY_AFTER)
            .or_insert(header::HeaderValue::from_static("5"));
    }
    resp
}

/// A refusal the framework answered in plain text, in the one shape (same status).
async fn uniform(api: bool, resp: Response) -> Response {
    let status = resp.status();
    let plain = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return resp;
    }
    let said = axum::body::to_bytes(resp.into_body(), 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "上传的内容超过大小限制：请压缩或分批提交",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "请求内容的格式不对：接口请用 JSON（Content-Type: application/json）"
        }
        StatusCode::METHOD_NOT_ALLOWED => "这个地址不支持这种请求方式",
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => {
            "请求内容不符合要求，请检查后重试"
        }
        s if s.is_server_error() => "服务器暂时出错，请稍后重试",
        _ => "请求未能完成，请检查后重试",
    };
    // Developers reading the API get the framework's words too; people on pages do not.
    let message = if api && !said.trim().is_empty() {
        format!("{message}（{}）", said.trim())
    } else {
        message.to_owned()
    };
    shaped(api, status, &message)
}

/// An answer with `status` and `message` in the one shape.
fn shaped(api: bool, status: StatusCode, message: &str) -> Response {
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        s if s.is_server_error() => "internal",
        _ => "invalid_request",
    };
    let e = AppError::BadRequest {
        code,
        message: message.to_owned(),
    };
    let mut resp = if api {
        ApiError(e).into_response()
    } else {
        PageError::App(e).into_response()
    };
    *resp.status_mut() = status;
    resp
}
