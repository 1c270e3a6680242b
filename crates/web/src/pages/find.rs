//! 查询进度 at `/t`: a resident types the tracking code they were given (spaces and small
//! letters allowed), or, having lost it, the phone they left and a code texted to it, and sees
//! every report made with that phone.

use super::{PageError, beijing, render};
use crate::WebState;
use crate::assets::STYLE_PATH;
use crate::auth::{CsrfForm, csrf_token};
use crate::pages::Query;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::cases as svc;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/t", get(find))
        .route("/t/code", post(send_code))
        .route("/t/mine", post(mine))
}

/// One report found by phone: (tracking code, title, stage, reported).
type Found = (String, String, &'static str, String);

#[derive(Template, Default)]
#[template(path = "track_find.html")]
struct FindPage {
    style: &'static str,
    csrf: String,
    code: String,
    phone: String,
    /// A code was texted to the phone.
    sent: bool,
    error: Option<String>,
    found: Option<Vec<Found>>,
}

fn page(state: &WebState, jar: CookieJar, view: FindPage) -> (CookieJar, Response) {
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let view = FindPage {
        style: STYLE_PATH.as_str(),
        csrf,
        ..view
    };
    (jar, render(&view))
}

#[derive(Deserialize)]
struct ByCode {
    code: Option<String>,
}

async fn find(
    State(state): State<WebState>,
    jar: CookieJar,
    Query(q): Query<ByCode>,
) -> Result<(CookieJar, Response), PageError> {
    let typed = q.code.unwrap_or_default();
    if typed.trim().is_empty() {
        return Ok(page(&state, jar, FindPage::default()));
    }
    match svc::by_tracking(&state, &typed).await {
        Ok(case) => Ok((
            jar,
            Redirect::to(&format!("/t/{}", case.tracking_code)).into_response(),
        )),
        Err(e @ AppError::NotFound(_)) => {
            let view = FindPage {
                code: typed,
                error: Some(e.to_string()),
                ..Default::default()
            };
            Ok(page(&state, jar, view))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct PhoneForm {
    phone: String,
    #[serde(default)]
    code: String,
}

async fn send_code(
    State(state): State<WebState>,
    addr: crate::client::Client,
    jar: CookieJar,
    CsrfForm(f): CsrfForm<PhoneForm>,
) -> Result<(CookieJar, Response), PageError> {
    let sent = shanzhi_app::tracking::send_code(&state, &addr.ip().to_string(), &f.phone).await;
    let view = match sent {
        Ok(()) => FindPage {
            phone: f.phone,
            sent: true,
            ..Default::default()
        },
        Err(e @ (AppError::BadRequest { .. } | AppError::RateLimited(_))) => FindPage {
            phone: f.phone,
            error: Some(e.to_string()),
            ..Default::default()
        },
        Err(e) => return Err(e.into()),
    };
    Ok(page(&state, jar, view))
}

async fn mine(
    State(state): State<WebState>,
    jar: CookieJar,
    CsrfForm(f): CsrfForm<PhoneForm>,
) -> Result<(CookieJar, Response), PageError> {
    let view = match shanzhi_app::tracking::by_phone(&state, &f.phone, &f.code).await {
        Ok(rows) => FindPage {
            found: Some(
                rows.into_iter()
                    .map(|c| {
                        (
                            c.tracking_code,
                            c.title,
                            c.stage.plain(),
                            beijing(c.created_at),
                        )
                    })
                    .collect(),
            ),
            ..Default::default()
        },
        Err(e @ AppError::BadRequest { .. }) => FindPage {
            phone: f.phone,
            sent: true,
            error: Some(e.to_string()),
            ..Default::default()
        },
        Err(e) => return Err(e.into()),
    };
    Ok(page(&state, jar, view))
}
