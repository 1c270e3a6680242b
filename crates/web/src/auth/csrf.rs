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

/// A form refused only because its token had gone stale (the cookie lapsed with the browser
/// session, or the page was restored from long ago), sent from one of our own pages: what was
/// typed, where it went, and a fresh token whose cookie the answer sets. The answer offers to
/// send it again, so nothing typed is lost; a form from another site gets no such offer.
#[derive(Debug)]
pub struct Stale {
    /// Where the form went (the page's own path and query).
    pub action: String,
    /// Its text fields, the token left out.
    pub fields: Vec<(String, String)>,
    /// Files were chosen, which a page cannot carry over.
    pub files_dropped: bool,
    /// The cookies to set (a fresh token's).
    pub jar: CookieJar,
    /// The fresh token.
    pub token: String,
}

/// Whether a request came from a page of this site: the browser says so (`Sec-Fetch-Site`),
/// or, in older browsers, the `Origin` names the host the request was sent to.
fn from_our_pages(h: &axum::http::HeaderMap) -> bool {
    if let Some(site) = h.get("sec-fetch-site") {
        return site == "same-origin";
    }
    let origin = h
        .get(axum::http::header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .and_then(|o| o.split_once("://"))
        .map(|(_, host)| host);
    let host = h
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok());
    origin.is_some() && origin == host
}

/// The refusal of a form whose token did not match: with the offer to send it again when it
/// came from our own pages.
fn refused(
    parts: &axum::http::request::Parts,
    state: &WebState,
    fields: Vec<(String, String)>,
    files_dropped: bool,
) -> PageError {
    if !from_our_pages(&parts.headers) {
        return PageError::Csrf(None);
    }
    let jar = CookieJar::from_headers(&parts.headers);
    let (jar, token) = csrf_token(jar, state.settings().secure_cookies);
    PageError::Csrf(Some(Box::new(Stale {
        action: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned()),
        fields: fields.into_iter().filter(|(k, _)| k != "_csrf").collect(),
        files_dropped,
        jar,
        token,
    })))
}

impl<T: DeserializeOwned + Send> FromRequest<WebState> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &WebState) -> Result<Self, Self::Rejection> {
        let expected = expected(&CookieJar::from_headers(req.headers()));
        // The body is read once and kept: a stale token's answer offers it back.
        let (parts, body) = req.into_parts();
        let bytes =
            axum::body::Bytes::from_request(Request::from_parts(parts.clone(), body), state)
                .await
                .map_err(|e| PageError::BadRequest(form_message(&e.body_text())))?;
        let again = Request::from_parts(parts.clone(), axum::body::Body::from(bytes.clone()));
        let Form(body) = Form::<WithCsrf<T>>::from_request(again, state)
            .await
            .map_err(|e| PageError::BadRequest(form_message(&e.body_text())))?;
        if !expected.is_some_and(|t| same(&t, &body.csrf)) {
            let fields = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
            return Err(refused(&parts, state, fields, false));
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
        let (head, body) = req.into_parts();
        let req = Request::from_parts(head.clone(), body);
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
            return Err(refused(&head, state, text, !files.is_empty()));
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
