//! Security headers on every answer: a content security policy that allows no inline script
//! and no framing, no MIME sniffing, no referrer sent off-site, and HSTS when the server is
//! reached over HTTPS (secure cookies on).

use crate::WebState;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// What pages may load: everything from this server, images also as `data:` and `blob:` (photo
/// previews) and from the base map's origin when one is configured, audio also as `blob:` (a
/// voice note played back before it is sent), nothing inline, nowhere to be framed.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

/// The policy when images may also come from `origin` (a base map's tiles).
pub(crate) fn csp_with_images_from(origin: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&CSP.replace(
        "img-src 'self' data: blob:",
        &format!("img-src 'self' data: blob: {origin}"),
    ))
    .ok()
}

/// Middleware: adds the headers an answer does not set itself.
pub async fn secure(State(state): State<WebState>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    let csp = match &state.settings().basemap {
        Some(b) => b.csp().clone(),
        None => HeaderValue::from_static(CSP),
    };
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(csp);
    let mut set = |name: HeaderName, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    if state.settings().secure_cookies {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    resp
}
