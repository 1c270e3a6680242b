//! The resident's opinion box (社情民意), reached by the community's QR code: write in
//! without an account, then read the community's answer with the tracking code.

use super::{Flash, PageError, beijing, render, url_encode};
use crate::WebState;
use crate::assets::STYLE_PATH;
use crate::auth::{CsrfForm, csrf_token};
use crate::pages::{Path, Query};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::opinions::{self as svc, OpinionInput};
use shanzhi_domain::region::Level;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/o/{community}", get(form).post(submit))
        .route("/ot/{code}", get(track))
}

#[derive(Template)]
#[template(path = "opinion_new.html")]
struct OpinionPage {
    style: &'static str,
    csrf: String,
    community: String,
    place: String,
    /// Whom to call instead of typing.
    contacts: Vec<super::contacts::Contact>,
    /// What was typed, shown again when the opinion is refused.
    typed: OpinionForm,
    error: Option<String>,
}

async fn page(
    state: &WebState,
    jar: CookieJar,
    community: &str,
    typed: OpinionForm,
    error: Option<String>,
) -> Result<(CookieJar, Response), PageError> {
    let community = community.get(..12).unwrap_or(community);
    let node = shanzhi_app::regions::public(state, community, &[Level::Community])
        .await?
        .ok_or_else(|| AppError::NotFound("二维码对应的社区不存在".into()))?;
    let contacts = super::contacts::of(state, &node.code).await?;
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let p = OpinionPage {
        contacts,
        style: STYLE_PATH.as_str(),
        csrf,
        community: node.code,
        place: node.name,
        typed,
        error,
    };
    Ok((jar, render(&p)))
}

async fn form(
    State(state): State<WebState>,
    jar: CookieJar,
    Path(community): Path<String>,
) -> Result<(CookieJar, Response), PageError> {
    page(&state, jar, &community, OpinionForm::default(), None).await
}

#[derive(Deserialize, Default)]
struct OpinionForm {
    content: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
}

async fn submit(
    State(state): State<WebState>,
    addr: crate::client::Client,
    jar: CookieJar,
    Path(community): Path<String>,
    CsrfForm(f): CsrfForm<OpinionForm>,
) -> Result<Response, PageError> {
    state
        .allow_public_report(&format!("opinion:{}", addr.ip()))
        .await?;
    let input = OpinionInput {
        community: community.clone(),
        content: f.content.clone(),
        name: f.name.clone(),
        phone: f.phone.clone(),
    };
    match svc::send(&state, &input).await {
        Ok(sent) => Ok(Redirect::to(&format!(
            "/ot/{}?notice={}",
            sent.tracking_code,
            url_encode("已收到，社区会尽快答复")
        ))
        .into_response()),
        Err(e @ AppError::BadRequest { .. }) => {
            let (jar, p) = page(&state, jar, &community, f, Some(e.to_string())).await?;
            Ok((axum::http::StatusCode::BAD_REQUEST, jar, p).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "opinion_track.html")]
struct TrackPage {
    style: &'static str,
    code: String,
    content: String,
    sent: String,
    answer: String,
    answered: Option<String>,
    case: bool,
    flash: Flash,
}

async fn track(
    State(state): State<WebState>,
    Path(code): Path<String>,
    Query(flash): Query<Flash>,
) -> Result<Response, PageError> {
    let o = svc::tracked(&state, &code.to_uppercase()).await?;
    let p = TrackPage {
        style: STYLE_PATH.as_str(),
        code: code.to_uppercase(),
        sent: beijing(o.created_at),
        answered: o.handled_at.map(beijing),
        case: o.case_id.is_some(),
        content: o.content,
        answer: o.answer,
        flash,
    };
    Ok(render(&p))
}
