//! Who is asking: bearer tokens for the API, session cookies for pages.

use crate::ApiError;
use crate::pages::PageError;
use crate::state::WebState;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum_extra::extract::cookie::CookieJar;
use shanzhi_app::Principal;
use shanzhi_app::{AppError, accounts};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "sz_session";

/// The caller the access middleware authenticated, left on the request for the extractors.
#[derive(Clone)]
pub struct Caller(pub Principal);

/// The bearer token of a request, if it carries one.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Whether the request carries `token` as its bearer token (compared in constant time, so
/// the answer's timing does not tell how much of a guess was right).
pub fn bearer_is(headers: &axum::http::HeaderMap, token: &str) -> bool {
    bearer(headers).is_some_and(|t| {
        t.len() == token.len()
            && t.bytes()
                .zip(token.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    })
}

/// Names the caller of a write request on its audit trail.
fn fill_slot(parts: &Parts, p: &Principal) {
    crate::trail::identify(&parts.extensions, p);
}

/// A caller of the JSON API, authenticated by `Authorization: Bearer <token>`.
pub struct ApiUser(pub Principal);

impl FromRequestParts<WebState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(Caller(p)) = parts.extensions.get::<Caller>().cloned() {
            fill_slot(parts, &p);
            return Ok(ApiUser(p));
        }
        let token = bearer(&parts.headers).ok_or_else(|| {
            AppError::Unauthorized("需要登录：请在 Authorization 头中提供 Bearer 令牌".into())
        })?;
        let p = accounts::by_token(state, token)
            .await?
            .ok_or_else(|| AppError::Unauthorized("令牌无效或已过期，请重新登录".into()))?;
        fill_slot(parts, &p);
        Ok(ApiUser(p))
    }
}

/// A user of the web pages, authenticated by the session cookie; others go to the login page.
pub struct PageUser(pub Principal);

impl FromRequestParts<WebState> for PageUser {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(Caller(p)) = parts.extensions.get::<Caller>().cloned() {
            fill_slot(parts, &p);
            return Ok(PageUser(p));
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        let Some(cookie) = jar.get(SESSION_COOKIE) else {
            return Err(PageError::Login(next));
        };
        match accounts::by_session(state, cookie.value()).await? {
            Some(p) => {
                fill_slot(parts, &p);
                Ok(PageUser(p))
            }
            None => Err(PageError::Login(next)),
        }
    }
}
