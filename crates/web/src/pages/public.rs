//! The resident pages, reached by a grid's QR code: report a problem without an account, then
//! follow it and rate the result with the tracking code. Plain HTML forms, a few kilobytes.

use super::{Flash, PageError, beijing, render, url_encode};
use crate::assets::STYLE_PATH;
use crate::auth::{CsrfForm, csrf_token};
use crate::services::cases::{self as svc, Move, PublicReport, Who, stage_of};
use crate::{ApiError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shanzhi_domain::case::{Action, Satisfaction};
use shanzhi_store::cases;
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/r/{code}", get(form).post(submit))
        .route("/t/{tracking}", get(track))
        .route("/t/{tracking}/rate", post(rate))
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    style: &'static str,
    csrf: String,
    code: String,
    place: String,
    categories: Vec<(String, String, bool)>,
    description: String,
    error: Option<String>,
}

async fn report_page(
    state: &AppState,
    jar: CookieJar,
    code: &str,
    description: String,
    error: Option<String>,
) -> Result<(CookieJar, Response), PageError> {
    let node = svc::public_node(state, code).await?;
    let categories = cases::categories(&mut state.store().conn().await?)
        .await?
        .into_iter()
        .map(|c| (c.code, c.name, c.parent_code.is_some()))
        .collect();
    let (jar, csrf) = csrf_token(jar, state.config().secure_cookies);
    let page = ReportPage {
        style: STYLE_PATH.as_str(),
        csrf,
        code: node.code,
        place: node.name,
        categories,
        description,
        error,
    };
    Ok((jar, render(&page)))
}

async fn form(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(code): Path<String>,
) -> Result<(CookieJar, Response), PageError> {
    report_page(&state, jar, &code, String::new(), None).await
}

#[derive(Deserialize)]
struct ReportForm {
    category: String,
    description: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    name: String,
}

async fn submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<ReportForm>,
) -> Result<Response, PageError> {
    if let Err(wait) = state.allow_public_report(&addr.ip().to_string()) {
        return Err(ApiError::RateLimited(wait.as_secs().max(1)).into());
    }
    let report = PublicReport {
        category: f.category,
        description: f.description.clone(),
        name: Some(f.name),
        address: Some(f.address),
    };
    match svc::report_public(&state, &code, report).await {
        Ok(case) => Ok(Redirect::to(&format!(
            "/t/{}?notice={}",
            case.tracking_code,
            url_encode("已提交，感谢您的反映")
        ))
        .into_response()),
        Err(e @ ApiError::BadRequest { .. }) => {
            let (jar, page) =
                report_page(&state, jar, &code, f.description, Some(e.to_string())).await?;
            Ok((StatusCode::BAD_REQUEST, jar, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "track.html")]
struct TrackPage {
    style: &'static str,
    csrf: String,
    tracking: String,
    title: String,
    category: String,
    place: String,
    stage: &'static str,
    timeline: Vec<(String, &'static str, String)>,
    can_rate: bool,
    version: i64,
    merged_into: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

async fn case_by_tracking(state: &AppState, tracking: &str) -> Result<cases::CaseRow, ApiError> {
    cases::by_tracking_code(
        &mut state.store().conn().await?,
        &tracking.trim().to_uppercase(),
    )
    .await?
    .ok_or_else(|| ApiError::NotFound("查询码不存在，请核对后重试".into()))
}

async fn track(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(tracking): Path<String>,
    Query(flash): Query<Flash>,
) -> Result<(CookieJar, Response), PageError> {
    let case = case_by_tracking(&state, &tracking).await?;
    let mut conn = state.store().conn().await?;
    let category = cases::category(&mut conn, &case.category_code)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let place = shanzhi_store::regions::get(&mut conn, &case.node_code)
        .await?
        .map(|n| n.name)
        .unwrap_or_default();
    let timeline = cases::events(&mut conn, case.id, true)
        .await?
        .into_iter()
        .map(|e| {
            let stage = stage_of(&e.to_stage).map_or("", |s| s.label());
            (beijing(e.at), stage, e.note)
        })
        .collect();
    // A merged report points its reporter at the case that carries on.
    let merged_into = match case.merged_into {
        Some(id) => cases::get(&mut conn, id).await?.map(|c| c.tracking_code),
        None => None,
    };
    let stage = stage_of(&case.stage)?;
    let (jar, csrf) = csrf_token(jar, state.config().secure_cookies);
    let page = TrackPage {
        merged_into,
        style: STYLE_PATH.as_str(),
        csrf,
        tracking: case.tracking_code,
        title: case.title,
        category,
        place,
        stage: stage.label(),
        timeline,
        can_rate: stage == shanzhi_domain::case::Stage::Closed,
        version: case.version,
        notice: flash.notice,
        error: flash.error,
    };
    Ok((jar, render(&page)))
}

/// Form fields arrive as text (numbers inside the CSRF wrapper's flattened form do not parse
/// as numbers), so the version is parsed here.
#[derive(Deserialize)]
struct RateForm {
    satisfaction: String,
    version: String,
}

async fn rate(
    State(state): State<AppState>,
    Path(tracking): Path<String>,
    CsrfForm(f): CsrfForm<RateForm>,
) -> Result<Redirect, PageError> {
    let case = case_by_tracking(&state, &tracking).await?;
    let satisfaction = match f.satisfaction.as_str() {
        "satisfied" => Satisfaction::Satisfied,
        "basically_satisfied" => Satisfaction::BasicallySatisfied,
        "dissatisfied" => Satisfaction::Dissatisfied,
        _ => return Err(PageError::BadRequest("请选择满意、基本满意或不满意".into())),
    };
    let code = case.tracking_code.clone();
    let version = f
        .version
        .trim()
        .parse()
        .map_err(|_| PageError::BadRequest("表单已过期，请刷新页面后重试".into()))?;
    let m = Move {
        action: Action::Rate { satisfaction },
        version,
        department_id: None,
    };
    Ok(
        match svc::transition(&state, Who::Reporter, case, m).await {
            Ok(_) => Redirect::to(&format!("/t/{code}?notice={}", url_encode("感谢您的评价"))),
            Err(e) => Redirect::to(&format!("/t/{code}?error={}", url_encode(&e.to_string()))),
        },
    )
}
