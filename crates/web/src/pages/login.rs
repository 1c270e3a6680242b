//! Logging in and out of the web UI.

use super::{PageError, render};
use crate::assets::STYLE_PATH;
use crate::auth::{CsrfForm, SESSION_COOKIE, csrf_token};
use crate::pages::Query;
use crate::{DemoLogin, WebState};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::accounts::start_session;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(form).post(submit))
        .route("/logout", post(logout))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    style: &'a str,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
    demo: &'a [DemoLogin],
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

/// Only same-site paths may be redirected to after login (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

async fn form(
    State(state): State<WebState>,
    jar: CookieJar,
    Query(q): Query<Next>,
) -> (CookieJar, Response) {
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = LoginPage {
        style: STYLE_PATH.as_str(),
        csrf,
        next: safe_next(q.next.as_deref()),
        username: String::new(),
        error: None,
        demo: &state.settings().demo_logins,
    };
    (jar, render(&page))
}

/// The site's root: the first section the account's role opens.
async fn home(crate::auth::PageUser(p): crate::auth::PageUser) -> Redirect {
    Redirect::to(super::home_of(&p))
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
    next: Option<String>,
}

async fn submit(
    State(state): State<WebState>,
    addr: crate::client::Client,
    jar: CookieJar,
    CsrfForm(c): CsrfForm<Credentials>,
) -> Result<Response, PageError> {
    let next = safe_next(c.next.as_deref());
    match crate::auth::login(&state, &c.username, &c.password, &addr.ip().to_string()).await {
        Ok(account) => {
            let token = start_session(&state, account.id).await?;
            let cookie = Cookie::build((SESSION_COOKIE, token))
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(state.settings().secure_cookies)
                .path("/")
                .build();
            // The pre-login token goes: from now on forms carry the new session's.
            let jar = jar
                .remove(Cookie::build(crate::auth::CSRF_COOKIE).path("/"))
                .add(cookie);
            Ok((jar, Redirect::to(&next)).into_response())
        }
        Err(e @ (AppError::Unauthorized(_) | AppError::RateLimited(_))) => {
            let status = crate::error::status_of(&e).0;
            let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
            let page = LoginPage {
                style: STYLE_PATH.as_str(),
                csrf,
                next,
                username: c.username,
                error: Some(e.to_string()),
                demo: &state.settings().demo_logins,
            };
            Ok((status, jar, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct Empty {}

/// Ends the session and has the browser forget what this site kept on the phone: the field
/// app's sealed copy and queue, its service worker, any cached page (a shared phone hands
/// nothing on to the next person).
async fn logout(
    State(state): State<WebState>,
    jar: CookieJar,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<impl IntoResponse, PageError> {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        shanzhi_app::accounts::end_session(&state, c.value()).await?;
    }
    Ok((
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
        [("clear-site-data", "\"cache\", \"storage\"")],
        Redirect::to("/login"),
    ))
}
