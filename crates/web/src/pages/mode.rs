//! 长辈版 (elders' mode): larger text and targets on the resident pages, turned on and off by
//! one link on every resident page and remembered on the device by a cookie. The page frame
//! asks [`elder`] while it renders, so no page has to carry the setting itself.

use super::url_encode;
use crate::WebState;
use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{Redirect, Response};
use axum::routing::get;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

/// The cookie that remembers the choice ("1": elders' mode).
const COOKIE: &str = "sz_elder";

/// What the page being rendered needs to know: the mode, and where it is (to come back to).
#[derive(Clone)]
struct Rendering {
    elder: bool,
    path: String,
}

tokio::task_local! {
    static RENDERING: Rendering;
}

/// Middleware: reads the device's choice for the request's pages.
pub async fn remember(req: Request, next: Next) -> Response {
    let elder = CookieJar::from_headers(req.headers())
        .get(COOKIE)
        .is_some_and(|c| c.value() == "1");
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    RENDERING
        .scope(Rendering { elder, path }, next.run(req))
        .await
}

/// Whether the page being rendered is in elders' mode.
pub fn elder() -> bool {
    RENDERING.try_with(|r| r.elder).unwrap_or(false)
}

/// The link that turns elders' mode on (`on`) or off and comes back to this page.
pub fn switch_href(on: bool) -> String {
    let back = RENDERING
        .try_with(|r| r.path.clone())
        .unwrap_or_else(|_| "/".to_owned());
    format!("/mode?elder={}&back={}", u8::from(on), url_encode(&back))
}

pub fn router() -> Router<WebState> {
    Router::new().route("/mode", get(switch))
}

#[derive(Deserialize)]
struct Switch {
    #[serde(default)]
    elder: u8,
    #[serde(default)]
    back: String,
}

/// Remembers the choice for a year and goes back to the page (only a page of this site).
async fn switch(
    State(state): State<WebState>,
    jar: CookieJar,
    super::Query(s): super::Query<Switch>,
) -> (CookieJar, Redirect) {
    let back = Some(s.back.as_str())
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.starts_with("/\\"))
        .unwrap_or("/");
    let cookie = Cookie::build((COOKIE, if s.elder == 1 { "1" } else { "0" }))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings().secure_cookies)
        .max_age(time::Duration::days(365))
        .build();
    (jar.add(cookie), Redirect::to(back))
}
