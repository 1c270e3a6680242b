//! The resident's wish pages, reached by the grid's QR poster: post a wish without an account
//! (群众点单), then follow it with the tracking code and confirm it was done.

use super::{Flash, PageError, beijing, render, url_encode};
use crate::WebState;
use crate::assets::STYLE_PATH;
use crate::auth::{CsrfForm, csrf_token};
use crate::pages::{Path, Query};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::wishes::{self as svc, Acting, WishInput, WishStep};
use shanzhi_domain::participation::{ServiceCategory, WishStage};
use shanzhi_domain::region::Level;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/w/{node}", get(form).post(submit))
        .route("/wt/{code}", get(track))
        .route("/wt/{code}/answer", post(answer))
}

#[derive(Template)]
#[template(path = "wish_new.html")]
struct WishPage {
    style: &'static str,
    csrf: String,
    node: String,
    place: String,
    categories: Vec<(&'static str, &'static str)>,
    /// Whom to call instead of typing.
    contacts: Vec<super::contacts::Contact>,
    typed: WishForm,
    error: Option<String>,
}

/// The form's fields (also what is shown again when refused).
#[derive(Debug, Default, Deserialize)]
struct WishForm {
    #[serde(default)]
    category: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    detail: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
}

async fn page(
    state: &WebState,
    jar: CookieJar,
    node: &str,
    typed: WishForm,
    error: Option<String>,
) -> Result<(CookieJar, Response), PageError> {
    let place = shanzhi_app::regions::public(
        state,
        node,
        &[Level::Community, Level::Grid, Level::MicroGrid],
    )
    .await?
    .ok_or_else(|| AppError::NotFound("二维码对应的社区或网格不存在".into()))?;
    let contacts = super::contacts::of(state, &place.code).await?;
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = WishPage {
        contacts,
        style: STYLE_PATH.as_str(),
        csrf,
        node: place.code,
        place: place.name,
        categories: ServiceCategory::ALL
            .iter()
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        typed,
        error,
    };
    Ok((jar, render(&page)))
}

async fn form(
    State(state): State<WebState>,
    jar: CookieJar,
    Path(node): Path<String>,
) -> Result<(CookieJar, Response), PageError> {
    page(&state, jar, &node, WishForm::default(), None).await
}

async fn submit(
    State(state): State<WebState>,
    addr: crate::client::Client,
    jar: CookieJar,
    Path(node): Path<String>,
    CsrfForm(f): CsrfForm<WishForm>,
) -> Result<Response, PageError> {
    state
        .allow_public_report(&format!("wish:{}", addr.ip()))
        .await?;
    let Some(category) = f.category.parse::<ServiceCategory>().ok() else {
        let (jar, p) = page(&state, jar, &node, f, Some("请选择心愿类别".into())).await?;
        return Ok((axum::http::StatusCode::BAD_REQUEST, jar, p).into_response());
    };
    let input = WishInput {
        node: node.clone(),
        category,
        title: f.title.clone(),
        detail: f.detail.clone(),
        name: f.name.clone(),
        phone: f.phone.clone(),
    };
    match svc::post(&state, None, &input).await {
        Ok(posted) => Ok(Redirect::to(&format!(
            "/wt/{}?notice={}",
            posted.tracking_code,
            url_encode("心愿已提交，社区审核后发布给党员志愿者认领")
        ))
        .into_response()),
        Err(e @ AppError::BadRequest { .. }) => {
            let (jar, p) = page(&state, jar, &node, f, Some(e.to_string())).await?;
            Ok((axum::http::StatusCode::BAD_REQUEST, jar, p).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "wish_track.html")]
struct TrackPage {
    style: &'static str,
    csrf: String,
    code: String,
    title: String,
    category: &'static str,
    stage: &'static str,
    claimant: Option<String>,
    deadline: Option<String>,
    points: Option<i64>,
    decline_reason: String,
    done_note: String,
    timeline: Vec<(String, String, String)>,
    can_answer: bool,
    notice: Option<String>,
    error: Option<String>,
}

async fn track(
    State(state): State<WebState>,
    jar: CookieJar,
    Path(code): Path<String>,
    Query(flash): Query<Flash>,
) -> Result<(CookieJar, Response), PageError> {
    let v = svc::tracked(&state, &code.to_uppercase()).await?;
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let w = v.wish;
    let page = TrackPage {
        style: STYLE_PATH.as_str(),
        csrf,
        code: code.to_uppercase(),
        category: w.category.label(),
        stage: v.stage_label,
        claimant: v.claimant,
        deadline: w.deadline_at.map(|d| beijing(d - 60_000)),
        points: w.points,
        can_answer: v.stage == WishStage::Done,
        decline_reason: w.decline_reason,
        done_note: w.done_note,
        title: w.title,
        timeline: v
            .events
            .into_iter()
            .map(|e| (beijing(e.at), e.action, e.note))
            .collect(),
        notice: flash.notice,
        error: flash.error,
    };
    Ok((jar, render(&page)))
}

#[derive(Deserialize)]
struct AnswerForm {
    answer: String,
    #[serde(default)]
    reason: String,
}

/// The resident confirms the wish came true, or sends it back with what is missing.
async fn answer(
    State(state): State<WebState>,
    addr: crate::client::Client,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<AnswerForm>,
) -> Result<Redirect, PageError> {
    state
        .allow_public_report(&format!("wish:{}", addr.ip()))
        .await?;
    let code = code.to_uppercase();
    let id = svc::tracked(&state, &code).await?.wish.id;
    let (step, thanks) = match f.answer.as_str() {
        "confirm" => (WishStep::Confirm, "感谢确认，志愿者的积分已发放"),
        _ => (
            WishStep::Reopen { reason: f.reason },
            "已退回给志愿者继续办理",
        ),
    };
    Ok(
        match svc::act(&state, Acting::Resident, id, &step, None).await {
            Ok(_) => Redirect::to(&format!("/wt/{code}?notice={}", url_encode(thanks))),
            Err(e) => Redirect::to(&format!("/wt/{code}?error={}", url_encode(&e.to_string()))),
        },
    )
}
