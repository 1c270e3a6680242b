//! Settings pages: the working-day calendar (command centre, admin) and Open311 client keys
//! (admin).

use super::{Chrome, Flash, PageError, beijing, render, url_encode};
use crate::WebState;
use crate::auth::{CsrfForm, PageUser, csrf_token};
use crate::pages::Query;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::policy::{Ask, Resource, Verb};
use shanzhi_app::{deadlines, open311};
use shanzhi_domain::case::DayKind;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/admin/calendar", get(calendar))
        .route("/admin/calendar/set", post(set_day))
        .route("/admin/calendar/remove", post(remove_day))
        .route("/admin/open311", get(clients).post(register))
        .route("/admin/open311/revoke", post(revoke))
}

#[derive(Template)]
#[template(path = "admin_calendar.html")]
struct CalendarPage {
    style: &'static str,
    chrome: Chrome,
    year: i32,
    days: Vec<(String, &'static str, String)>,
    edits: bool,
    sms: Option<shanzhi_app::codes::Sent>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct YearQuery {
    year: Option<i32>,
    #[serde(flatten)]
    flash: Flash,
}

async fn calendar(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Query(q): Query<YearQuery>,
) -> Result<(CookieJar, Response), PageError> {
    let this_year: i32 = state.clock().today().to_string()[..4]
        .parse()
        .unwrap_or(2026);
    let year = q
        .year
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or(this_year);
    let days = deadlines::days(&state, &p.actor, Some(year))
        .await?
        .into_iter()
        .map(|d| {
            let kind = d.kind.label();
            (d.day, kind, d.name)
        })
        .collect();
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = CalendarPage {
        style: crate::assets::STYLE_PATH.as_str(),
        edits: deadlines::edits_calendar(&p.actor),
        sms: if p.can(Resource::Setting, Verb::Read) {
            Some(shanzhi_app::codes::sent(&state).await?)
        } else {
            None
        },
        chrome: Chrome::new(&p, csrf),
        year,
        days,
        notice: q.flash.notice,
        error: q.flash.error,
    };
    Ok((jar, render(&page)))
}

fn back_to_year(day: &str, result: Result<String, AppError>) -> Redirect {
    let year = day.get(..4).unwrap_or_default();
    super::with_flash(&format!("/admin/calendar?year={year}"), result)
}

#[derive(Deserialize)]
struct DayForm {
    day: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
}

async fn set_day(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    CsrfForm(f): CsrfForm<DayForm>,
) -> Result<Redirect, PageError> {
    let kind = if f.kind == "workday" {
        DayKind::Workday
    } else {
        DayKind::Holiday
    };
    let result = deadlines::set_day(&state, &p.actor, &f.day, kind, &f.name)
        .await
        .map(|()| format!("已设置 {}", f.day.trim()));
    Ok(back_to_year(f.day.trim(), result))
}

async fn remove_day(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    CsrfForm(f): CsrfForm<DayForm>,
) -> Result<Redirect, PageError> {
    let result = deadlines::remove_day(&state, &p.actor, &f.day)
        .await
        .map(|()| format!("{} 已恢复按周末规则", f.day.trim()));
    Ok(back_to_year(f.day.trim(), result))
}

#[derive(Template)]
#[template(path = "admin_open311.html")]
struct ClientsPage {
    style: &'static str,
    chrome: Chrome,
    clients: Vec<(i64, String, String, bool)>,
    issued: Option<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
}

async fn clients_page(
    state: &WebState,
    p: &crate::auth::Principal,
    jar: CookieJar,
    issued: Option<(String, String)>,
    flash: Flash,
) -> Result<(CookieJar, Response), PageError> {
    let clients = open311::list(state, Some(&p.actor))
        .await?
        .into_iter()
        .map(|c| (c.id, c.name, beijing(c.created_at), c.revoked_at.is_none()))
        .collect();
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = ClientsPage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(p, csrf),
        clients,
        issued,
        notice: flash.notice,
        error: flash.error,
    };
    Ok((jar, render(&page)))
}

async fn clients(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Query(flash): Query<Flash>,
) -> Result<(CookieJar, Response), PageError> {
    clients_page(&state, &p, jar, None, flash).await
}

#[derive(Deserialize)]
struct NameForm {
    #[serde(default)]
    name: String,
}

/// Registers a client and shows its key on the page this once (never in a URL).
async fn register(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    CsrfForm(f): CsrfForm<NameForm>,
) -> Result<(CookieJar, Response), PageError> {
    match open311::register(&state, Some(&p.actor), &f.name).await {
        Ok(issued) => {
            let shown = Some((issued.client.name, issued.api_key));
            clients_page(&state, &p, jar, shown, Flash::default()).await
        }
        Err(e @ AppError::BadRequest { .. }) => {
            let flash = Flash {
                notice: None,
                error: Some(e.to_string()),
            };
            clients_page(&state, &p, jar, None, flash).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct IdForm {
    id: String,
}

async fn revoke(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    CsrfForm(f): CsrfForm<IdForm>,
) -> Result<Redirect, PageError> {
    let id = f.id.trim().parse().unwrap_or(0);
    Ok(match open311::revoke(&state, Some(&p.actor), id).await {
        Ok(()) => Redirect::to(&format!("/admin/open311?notice={}", url_encode("已吊销"))),
        Err(e) => Redirect::to(&format!(
            "/admin/open311?error={}",
            url_encode(&e.to_string())
        )),
    })
}
