//! CSRF protection for HTML forms: a double-submit token. A random token lives in an
//! HttpOnly, SameSite=Strict cookie and is rendered into every form; a POST is accepted only when
//! the two match. A cross-site page can neither read the cookie nor make the browser send it.

use crate::pages::PageError;
use crate::state::AppState;
use axum::Form;
use axum::extract::{FromRequest, Request};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Name of the CSRF cookie.
pub const CSRF_COOKIE: &str = "sz_csrf";

/// The CSRF token for this browser, creating (and setting) one if it has none yet.
pub fn csrf_token(jar: CookieJar, secure: bool) -> (CookieJar, String) {
    if let Some(c) = jar.get(CSRF_COOKIE)
        && c.value().len() >= 32
    {
        let v = c.value().to_owned();
        return (jar, v);
    }
    let token = super::new_secret("");
    let cookie = Cookie::build((CSRF_COOKIE, token.clone()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/")
        .build();
    (jar.add(cookie), token)
}

#[derive(Deserialize)]
struct WithCsrf<T> {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(flatten)]
    inner: T,
}

/// A form body whose `_csrf` field matched the CSRF cookie.
pub struct CsrfForm<T>(pub T);

/// Compares without an early exit, so timing tells nothing about the token.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(req.headers());
        let cookie = jar
            .get(CSRF_COOKIE)
            .map(|c| c.value().to_owned())
            .unwrap_or_default();
        let Form(body) = Form::<WithCsrf<T>>::from_request(req, state)
            .await
            .map_err(|e| PageError::BadRequest(format!("表单内容无效：{}", e.body_text())))?;
        if cookie.is_empty() || !same(&cookie, &body.csrf) {
            return Err(PageError::Csrf);
        }
        Ok(CsrfForm(body.inner))
    }
}

/// A one-file multipart upload (field `file`) whose `_csrf` field matched the CSRF cookie.
pub struct CsrfUpload {
    /// The file name the browser sent.
    pub file_name: String,
    /// The file.
    pub bytes: axum::body::Bytes,
}

impl FromRequest<AppState> for CsrfUpload {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(req.headers());
        let cookie = jar
            .get(CSRF_COOKIE)
            .map(|c| c.value().to_owned())
            .unwrap_or_default();
        let bad = |e: &dyn std::fmt::Display| PageError::BadRequest(format!("上传内容无效：{e}"));
        let mut parts = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|e| bad(&e.body_text()))?;
        let (mut csrf, mut file) = (String::new(), None);
        while let Some(field) = parts.next_field().await.map_err(|e| bad(&e))? {
            match field.name() {
                Some("_csrf") => csrf = field.text().await.map_err(|e| bad(&e))?,
                Some("file") => {
                    let name = field.file_name().unwrap_or_default().to_owned();
                    file = Some((name, field.bytes().await.map_err(|e| bad(&e))?));
                }
                _ => {}
            }
        }
        if cookie.is_empty() || !same(&cookie, &csrf) {
            return Err(PageError::Csrf);
        }
        let (file_name, bytes) = file
            .filter(|(_, b)| !b.is_empty())
            .ok_or_else(|| PageError::BadRequest("请选择要上传的文件".into()))?;
        Ok(CsrfUpload { file_name, bytes })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn constant_time_compare() {
        assert!(super::same("abc", "abc"));
        assert!(!super::same("abc", "abd"));
        assert!(!super::same("abc", "abcd"));
    }
}
