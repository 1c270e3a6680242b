//! The staff report form (上报事件): a grid worker on patrol, an officer or a mobile reporter
//! files a case from a phone, placed by the phone's position or by the chosen grid, with photos.

use super::{Chrome, PageError, form_photos, render, url_encode};
use crate::WebState;
use crate::auth::{CsrfMultipart, PageUser, Principal, csrf_token};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::cases::{self as svc, ReportInput};
use shanzhi_domain::case::Source;
use shanzhi_domain::case::photo::MAX_PER_UPLOAD;
use shanzhi_domain::geo::Crs;

pub fn router() -> Router<WebState> {
    Router::new()
        .route(
            "/cases/new",
            get(form).post(submit).layer(DefaultBodyLimit::disable()),
        )
        .route("/cases/new/suggest", get(suggest))
}

/// What the form asks while it is filled in.
#[derive(Deserialize)]
struct SuggestQuery {
    #[serde(default)]
    text: String,
    #[serde(default)]
    address: String,
}

/// The form's suggestions as it is typed: the likeliest categories and departments for the
/// words, and where the address places the report (the form's script shows them; a choice
/// made by the reporter is always what is filed).
async fn suggest(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    axum::extract::Query(q): axum::extract::Query<SuggestQuery>,
) -> Result<axum::Json<serde_json::Value>, crate::ApiError> {
    let mut out = serde_json::Map::new();
    if !q.text.trim().is_empty() {
        let s = shanzhi_app::suggest::suggest(&state, &p, &q.text).await?;
        out.insert("categories".into(), serde_json::json!(s.categories));
        out.insert("departments".into(), serde_json::json!(s.departments));
        out.insert("words".into(), serde_json::json!(s.words));
    }
    if !q.address.trim().is_empty() {
        let found = shanzhi_app::geocode::geocode(&state, &p, &q.address).await?;
        out.insert("place".into(), serde_json::json!(found));
    }
    Ok(axum::Json(serde_json::Value::Object(out)))
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewCasePage {
    style: &'static str,
    chrome: Chrome,
    /// The caller's area to point at (None when no boundary is registered).
    map: Option<String>,
    categories: Vec<(String, String, bool)>,
    places: Vec<(String, String)>,
    sources: Vec<(&'static str, &'static str)>,
    typed: ReportForm,
    max_photos: usize,
    max_mb: usize,
    error: Option<String>,
}

/// The form's fields, all text (numbers are parsed here, so a bad one gets a message).
#[derive(Deserialize, Default)]
struct ReportForm {
    #[serde(default)]
    category: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    lon: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    node_code: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    source: String,
}

async fn page(
    state: &WebState,
    p: &Principal,
    jar: CookieJar,
    typed: ReportForm,
    error: Option<String>,
) -> Result<(CookieJar, Response), PageError> {
    let categories = state
        .categories()
        .await?
        .iter()
        .map(|c| (c.code.clone(), c.name.clone(), c.parent_code.is_some()))
        .collect();
    let at = match (coordinate(&typed.lon, ""), coordinate(&typed.lat, "")) {
        (Ok(Some(lon)), Ok(Some(lat))) => Some([lon, lat]),
        _ => None,
    };
    let map = match shanzhi_app::regions::pick_area(state, &p.actor).await? {
        Some(area) => super::map::pick_map(state, &area, &[], at, ("lon", "lat"))?,
        None => None,
    };
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let view = NewCasePage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(p, csrf),
        map,
        categories,
        places: svc::report_places(state, &p.actor).await?,
        sources: Source::STAFF
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        typed,
        max_photos: MAX_PER_UPLOAD,
        max_mb: state.config().photo_max_bytes / (1024 * 1024),
        error,
    };
    Ok((jar, render(&view)))
}

async fn form(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
) -> Result<(CookieJar, Response), PageError> {
    page(&state, &p, jar, ReportForm::default(), None).await
}

fn coordinate(text: &str, name: &str) -> Result<Option<f64>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| AppError::bad("invalid_location", format!("{name}不是数字：{text}")))
}

/// The form as the service's input; with a position the grid choice is ignored.
fn input_of(f: &ReportForm) -> Result<ReportInput, AppError> {
    let (lon, lat) = (coordinate(&f.lon, "经度")?, coordinate(&f.lat, "纬度")?);
    let description = f.description.trim();
    let title = match f.title.trim() {
        "" => description.chars().take(30).collect(),
        t => t.to_owned(),
    };
    let optional = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    Ok(ReportInput {
        category: f.category.clone(),
        title,
        description: description.to_owned(),
        lon,
        lat,
        crs: Crs::Wgs84,
        node_code: if lon.is_some() {
            None
        } else {
            optional(&f.node_code)
        },
        address: optional(&f.address),
        source: optional(&f.source),
    })
}

async fn submit(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    upload: CsrfMultipart<ReportForm>,
) -> Result<Response, PageError> {
    let filed = match (input_of(&upload.form), form_photos(&state, &upload).await) {
        (Ok(input), Ok(photos)) => svc::report(&state, &p.actor, &p.account, input, photos).await,
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match filed {
        Ok(case) => Ok(Redirect::to(&format!(
            "/cases/{}?notice={}",
            case.id,
            url_encode(&format!("已上报，查询码 {}", case.tracking_code))
        ))
        .into_response()),
        Err(e @ (AppError::BadRequest { .. } | AppError::TooLarge(_) | AppError::NotFound(_))) => {
            let status = crate::error::status_of(&e).0;
            let (jar, view) = page(&state, &p, jar, upload.form, Some(e.to_string())).await?;
            Ok((status, jar, view).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
