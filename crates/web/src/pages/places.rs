//! A key place's page (重点场所): what is known of it and its inspections, with the inspection form.

use super::registers::{Notice, back};
use super::{Chrome, PageError, render};
use crate::WebState;
use crate::auth::{CsrfForm, PageUser, csrf_token};
use crate::pages::{Path, Query};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{Redirect, Response};
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;
use shanzhi_app::policy::{Ask, Resource, Verb};
use shanzhi_app::registers::places::{self as svc, InspectionInput};
use shanzhi_app::registers::places::{InspectionRow, PlaceRow};
use shanzhi_domain::register::vocab::VisitPurpose;

pub fn router() -> Router<WebState> {
    Router::new().route("/places/{id}", get(show).post(inspect))
}

#[derive(Template)]
#[template(path = "place.html")]
struct PlacePage {
    style: &'static str,
    chrome: Chrome,
    place: PlaceRow,
    kind: &'static str,
    risk: &'static str,
    inspections: Vec<InspectionRow>,
    keeps: bool,
    notice: Option<String>,
    error: Option<String>,
    visits: Vec<super::visits::VisitLine>,
    visit_action: String,
    purposes: &'static [VisitPurpose],
}

async fn show(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Path(id): Path<i64>,
    Query(q): Query<Notice>,
) -> Result<(CookieJar, Response), PageError> {
    let place = svc::visible(&state, &p, id).await?;
    let inspections = svc::inspections(&state, &p, id).await?;
    let visits = super::visits::lines(
        shanzhi_app::visits::history(&state, &p, shanzhi_app::visits::Visited::Place(id)).await?,
    );
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let view = PlacePage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        kind: place.kind.label(),
        risk: place.risk.label(),
        place,
        inspections,
        keeps: p.can(Resource::Place, Verb::Write),
        notice: q.notice,
        error: q.error,
        visits,
        visit_action: format!("/places/{id}/visits"),
        purposes: VisitPurpose::ALL,
    };
    Ok((jar, render(&view)))
}

async fn inspect(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(i): CsrfForm<InspectionInput>,
) -> Result<Redirect, PageError> {
    let result = svc::inspect(&state, &p, id, &i)
        .await
        .map(|_| "已记录检查".to_owned());
    back(&format!("/places/{id}"), result)
}
