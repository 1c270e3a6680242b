//! CSRF protection for HTML forms. A signed-in browser's token is derived from its session
//! (a hash of the session secret, which lives in an HttpOnly cookie): it is bound to the
//! session, changes at every login, and a token planted from elsewhere is worth nothing.
//! Before signing in (the login form, residents' pages) it is a double-submit token: a random
//! token in an HttpOnly, SameSite=Strict cookie, rendered into every form; a POST is accepted
//! only when the two match.

use crate::pages::PageError;
use crate::state::WebState;
use axum::Form;
use axum::extract::{FromRequest, Request};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::SESSION_COOKIE;

/// Name of the CSRF cookie.
pub const CSRF_COOKIE: &str = "sz_csrf";

/// The token of a session: a hash of its secret, which no page and no other site can read.
fn session_token(session: &str) -> String {
    Sha256::digest(format!("sz-csrf\0{session}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The token a form must carry for this browser: its session's when signed in, else the
/// double-submit cookie's.
fn expected(jar: &CookieJar) -> Option<String> {
    match jar.get(SESSION_COOKIE) {
        Some(s) => Some(session_token(s.value())),
        None => jar
            .get(CSRF_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|v| !v.is_empty()),
    }
}

/// The CSRF token for this browser's forms: its session's when signed in; otherwise the
/// double-submit cookie's, creating (and setting) one if it has none yet.
pub fn csrf_token(jar: CookieJar, secure: bool) -> (CookieJar, String) {
    if let Some(s) = jar.get(SESSION_COOKIE) {
        let token = session_token(s.value());
        return (jar, token);
    }
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

/// What a person is told about a form that did not read: our own checks speak Chinese (a
/// number field says which text is not a number); the parser's English stays in the log.
fn form_message(raw: &str) -> String {
    let ours = raw
        .char_indices()
        .find(|(_, c)| ('\u{4e00}'..='\u{9fff}').contains(c) || *c == '“')
        .map(|(i, _)| &raw[i..]);
    match ours {
        Some(m) => format!("表单内容无效：{m}"),
        None => {
            tracing::info!(error = raw, "form not read");
            "表单内容无效：请检查填写的内容后重新提交".into()
        }
    }
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

impl<T: DeserializeOwned + Send> FromRequest<WebState> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &WebState) -> Result<Self, Self::Rejection> {
        let expected = expected(&CookieJar::from_headers(req.headers()));
        let Form(body) = Form::<WithCsrf<T>>::from_request(req, state)
            .await
            .map_err(|e| PageError::BadRequest(form_message(&e.body_text())))?;
        if !expected.is_some_and(|t| same(&t, &body.csrf)) {
            return Err(PageError::Csrf);
        }
        Ok(CsrfForm(body.inner))
    }
}

/// A file sent in a multipart form.
pub struct FilePart {
    /// The form field it came in.
    pub field: String,
    /// The file name the browser sent.
    pub file_name: String,
    /// The file, or its first [`FILE_LIMIT`] bytes when it was larger.
    pub bytes: axum::body::Bytes,
    /// The file was larger than [`FILE_LIMIT`]; the rest was read and dropped.
    pub cut: bool,
}

/// Most bytes of one uploaded file kept in memory; the whole request is bounded by the
/// server's body limit.
pub const FILE_LIMIT: usize = 32 * 1024 * 1024;

/// A multipart form (a form with files) whose `_csrf` field matched the CSRF cookie: its text
/// fields as `T` and its non-empty files. Routes taking one lift axum's default body limit
/// ([`axum::extract::DefaultBodyLimit::disable`]): each file is bounded here instead, so an
/// oversized photo gets a message that says so rather than a bare 413.
pub struct CsrfMultipart<T> {
    /// The text fields.
    pub form: T,
    /// The files, in the order sent; fields with no file chosen are left out.
    pub files: Vec<FilePart>,
}

impl<T> CsrfMultipart<T> {
    /// The first file sent in `field`.
    pub fn file(&self, field: &str) -> Option<&FilePart> {
        self.files.iter().find(|f| f.field == field)
    }
}

/// Reads one file field up to [`FILE_LIMIT`], dropping (but reading) whatever lies beyond,
/// so the browser still gets the answer.
async fn read_file(
    mut field: axum::extract::multipart::Field<'_>,
) -> Result<(axum::body::Bytes, bool), axum::extract::multipart::MultipartError> {
    let mut kept = Vec::new();
    let mut cut = false;
    while let Some(chunk) = field.chunk().await? {
        if kept.len() + chunk.len() > FILE_LIMIT {
            cut = true;
        } else {
            kept.extend_from_slice(&chunk);
        }
    }
    Ok((kept.into(), cut))
}

impl<T: DeserializeOwned + Send> FromRequest<WebState> for CsrfMultipart<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &WebState) -> Result<Self, Self::Rejection> {
        // A form without files may come url-encoded (a page cached from before it took files).
        let multipart = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let CsrfForm(form) = CsrfForm::from_request(req, state).await?;
            return Ok(CsrfMultipart {
                form,
                files: Vec::new(),
            });
        }
        let expected = expected(&CookieJar::from_headers(req.headers()));
        let bad = |e: &dyn std::fmt::Display| PageError::BadRequest(format!("上传内容无效：{e}"));
        let mut parts = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|e| bad(&e.body_text()))?;
        let (mut text, mut files) = (Vec::new(), Vec::new());
        while let Some(field) = parts.next_field().await.map_err(|e| bad(&e))? {
            let name = field.name().unwrap_or_default().to_owned();
            if let Some(file_name) = field.file_name().map(str::to_owned) {
                let (bytes, cut) = read_file(field).await.map_err(|e| bad(&e))?;
                if !bytes.is_empty() {
                    files.push(FilePart {
                        field: name,
                        file_name,
                        bytes,
                        cut,
                    });
                }
            } else {
                let value = field.text().await.map_err(|e| bad(&e))?;
                if let Some(c) = shanzhi_domain::text::untypable(&value) {
                    return Err(PageError::BadRequest(format!(
                        "“{name}”中有不可见的控制字符（{}），请删去后重试",
                        shanzhi_domain::text::code_point(c)
                    )));
                }
                text.push((name, value));
            }
        }
        // The text fields become the same typed form a plain POST would give.
        let encoded = serde_urlencoded::to_string(&text).map_err(|e| bad(&e))?;
        let body: WithCsrf<T> = serde_urlencoded::from_str(&encoded)
            .map_err(|e| PageError::BadRequest(form_message(&e.to_string())))?;
        if !expected.is_some_and(|t| same(&t, &body.csrf)) {
            return Err(PageError::Csrf);
        }
        Ok(CsrfMultipart {
            form: body.inner,
            files,
        })
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
