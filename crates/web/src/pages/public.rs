//! The resident pages, reached by a grid's QR code: report a problem without an account, then
//! follow it and rate the result with the tracking code. Plain HTML forms, a few kilobytes.

use super::{Flash, PageError, beijing, form_photos, form_voice, render, url_encode};
use crate::WebState;
use crate::assets::STYLE_PATH;
use crate::auth::{CsrfForm, CsrfMultipart, csrf_token};
use crate::pages::{Path, Query};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::cases::{self as svc, PublicReport};
use shanzhi_domain::case::Satisfaction;
use shanzhi_domain::case::photo::MAX_PER_UPLOAD;

pub fn router() -> Router<WebState> {
    Router::new()
        .route(
            "/r/{code}",
            get(form).post(submit).layer(DefaultBodyLimit::disable()),
        )
        .route("/r/{code}/support", post(support))
        .route("/t/{tracking}", get(track))
        .route("/t/{tracking}/photos/{id}", get(photo))
        .route("/t/{tracking}/photos/{id}/thumb", get(thumb))
        .route("/t/{tracking}/rate", post(rate))
}

/// A notice as the grid's page shows it.
type Shown = (String, &'static str, String, String, Vec<(i64, String)>);

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    style: &'static str,
    csrf: String,
    code: String,
    place: String,
    categories: Vec<(String, String, bool)>,
    max_photos: usize,
    max_mb: usize,
    max_voice_mb: usize,
    /// Open reports of the grid a resident may add themselves to: (case id, what and where,
    /// when, stage, residents so far).
    nearby: Vec<(i64, String, String, &'static str, i64)>,
    /// The grid and its neighbours, to point at (None when no boundary is registered).
    map: Option<String>,
    /// Whom to call instead of typing.
    contacts: Vec<super::contacts::Contact>,
    /// 公告 valid now: (badge, badge class, title, text, attachments as (id, name)).
    notices: Vec<Shown>,
    typed: Typed,
    notice: Option<String>,
    error: Option<String>,
}

/// What the resident had typed, shown again when the report is refused (the photos cannot be:
/// a browser never lets a page fill in a file field).
#[derive(Default)]
struct Typed {
    category: String,
    description: String,
    address: String,
    name: String,
    phone: String,
    lon: String,
    lat: String,
}

impl Typed {
    /// The position picked on the map, if both halves are numbers.
    fn picked(&self) -> Result<Option<(f64, f64)>, AppError> {
        match (self.lon.trim(), self.lat.trim()) {
            ("", "") => Ok(None),
            (lon, lat) => match (lon.parse(), lat.parse()) {
                (Ok(lon), Ok(lat)) => Ok(Some((lon, lat))),
                _ => Err(AppError::bad(
                    "invalid_coordinates",
                    "地图上的位置有误，请重新点选，或不选位置直接提交",
                )),
            },
        }
    }
}

/// What the report page says above the form: a notice, or what to fix.
type Said = Result<Option<String>, String>;

async fn report_page(
    state: &WebState,
    jar: CookieJar,
    code: &str,
    typed: Typed,
    said: Said,
) -> Result<(CookieJar, Response), PageError> {
    let node = svc::public_node(state, code).await?;
    let all = state.categories().await?;
    let categories = all
        .iter()
        .map(|c| (c.code.clone(), c.name.clone(), c.parent_code.is_some()))
        .collect();
    let listed = shanzhi_app::supporters::nearby(state, &node.code).await?;
    // Numbered on the map as in the list.
    let dots: Vec<(usize, [f64; 2])> = listed
        .iter()
        .enumerate()
        .filter_map(|(i, n)| Some((i + 1, [n.lon?, n.lat?])))
        .collect();
    let area = shanzhi_app::regions::area_around(state, node.clone()).await?;
    let at = typed.picked().ok().flatten().map(|(x, y)| [x, y]);
    let map = super::map::pick_map(state, &area, &dots, at, ("lon", "lat"))?;
    let nearby = listed
        .into_iter()
        .map(|n| {
            let what = shanzhi_app::supporters::category_name(&all, &n.category_code);
            let what = match n.address.as_deref().filter(|a| !a.is_empty()) {
                Some(a) => format!("{what} · {a}"),
                None => what,
            };
            (
                n.id,
                what,
                beijing(n.created_at),
                n.stage.plain(),
                n.supporters,
            )
        })
        .collect();
    let (notice, error) = match said {
        Ok(n) => (n, None),
        Err(e) => (None, Some(e)),
    };
    let contacts = super::contacts::of(state, &node.code).await?;
    let shown = shanzhi_app::notices::shown_at(state, &node.code).await?;
    let ids: Vec<i64> = shown.iter().map(|n| n.id).collect();
    let files = shanzhi_app::notices::attachments(state, &ids).await?;
    let notices = shown
        .into_iter()
        .map(|n| {
            let (badge, class) = super::notices::badge(&n);
            let mine = files
                .iter()
                .filter(|f| f.notice_id == n.id)
                .map(|f| (f.id, f.name.clone()))
                .collect();
            (badge, class, n.title, n.body, mine)
        })
        .collect();
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = ReportPage {
        notices,
        style: STYLE_PATH.as_str(),
        csrf,
        contacts,
        code: node.code,
        place: node.name,
        categories,
        map,
        max_photos: MAX_PER_UPLOAD,
        max_mb: state.config().photo_max_bytes / (1024 * 1024),
        max_voice_mb: shanzhi_domain::case::voice::MAX_BYTES / (1024 * 1024),
        nearby,
        typed,
        notice,
        error,
    };
    Ok((jar, render(&page)))
}

async fn form(
    State(state): State<WebState>,
    jar: CookieJar,
    Path(code): Path<String>,
) -> Result<(CookieJar, Response), PageError> {
    report_page(&state, jar, &code, Typed::default(), Ok(None)).await
}

#[derive(Deserialize)]
struct SupportForm {
    case: String,
    #[serde(default)]
    phone: String,
}

/// 我也遇到了: the resident adds themselves to an open report of the grid.
async fn support(
    State(state): State<WebState>,
    addr: crate::client::Client,
    jar: CookieJar,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<SupportForm>,
) -> Result<(CookieJar, Response), PageError> {
    state.allow_public_report(&addr.ip().to_string()).await?;
    let id = f.case.trim().parse().unwrap_or(0);
    let said = match shanzhi_app::supporters::support(&state, &code, id, Some(&f.phone)).await {
        Ok(n) => Ok(Some(format!(
            "已记录，谢谢！这个问题已有 {n} 位居民表示也遇到了，网格员会一并处理。"
        ))),
        Err(e @ (AppError::BadRequest { .. } | AppError::NotFound(_) | AppError::Conflict(_))) => {
            Err(e.to_string())
        }
        Err(e) => return Err(e.into()),
    };
    report_page(&state, jar, &code, Typed::default(), said).await
}

#[derive(Deserialize)]
struct ReportForm {
    category: String,
    description: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    lon: String,
    #[serde(default)]
    lat: String,
}

async fn submit(
    State(state): State<WebState>,
    addr: crate::client::Client,
    jar: CookieJar,
    Path(code): Path<String>,
    upload: CsrfMultipart<ReportForm>,
) -> Result<Response, PageError> {
    state.allow_public_report(&addr.ip().to_string()).await?;
    let photos = form_photos(&state, &upload).await;
    let voice = form_voice(&upload);
    let f = upload.form;
    let typed = Typed {
        category: f.category,
        description: f.description,
        address: f.address,
        name: f.name,
        phone: f.phone,
        lon: f.lon,
        lat: f.lat,
    };
    let filed = match photos.and_then(|p| Ok((p, voice?, typed.picked()?))) {
        Ok((photos, voice, lon_lat)) => {
            let report = PublicReport {
                category: typed.category.clone(),
                description: typed.description.clone(),
                name: Some(typed.name.clone()),
                address: Some(typed.address.clone()),
                phone: Some(typed.phone.clone()),
                photos,
                voice,
                lon_lat,
            };
            svc::report_public(&state, &code, report).await
        }
        Err(e) => Err(e),
    };
    match filed {
        Ok(case) => Ok(Redirect::to(&format!(
            "/t/{}?notice={}",
            case.tracking_code,
            url_encode("已提交，感谢您的反映")
        ))
        .into_response()),
        Err(e @ (AppError::BadRequest { .. } | AppError::TooLarge(_))) => {
            let status = crate::error::status_of(&e).0;
            let (jar, page) = report_page(&state, jar, &code, typed, Err(e.to_string())).await?;
            Ok((status, jar, page).into_response())
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
    /// Public photos by phase: (heading, ids).
    photos: Vec<(&'static str, Vec<i64>)>,
    version: i64,
    merged_into: Option<String>,
    /// Whom to call about the case.
    contacts: Vec<super::contacts::Contact>,
    /// The reporter left a phone, so the code went out by text too.
    texted: bool,
    notice: Option<String>,
    error: Option<String>,
}

async fn track(
    State(state): State<WebState>,
    jar: CookieJar,
    Path(tracking): Path<String>,
    Query(flash): Query<Flash>,
) -> Result<(CookieJar, Response), PageError> {
    let t = svc::tracked(&state, &tracking).await?;
    let case = t.case;
    let timeline = t
        .timeline
        .into_iter()
        .map(|e| {
            let stage = e.to_stage.plain();
            (beijing(e.at), stage, e.note)
        })
        .collect();
    let stage = case.stage;
    let contacts = super::contacts::of(&state, &case.node_code).await?;
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = TrackPage {
        contacts,
        texted: case.reporter_phone_masked.is_some(),
        photos: shanzhi_domain::case::photo::by_phase(t.photos.into_iter().map(|(id, s)| (s, id)))
            .into_iter()
            .map(|(phase, ids)| (phase.label(), ids))
            .collect(),
        merged_into: t.merged_into,
        style: STYLE_PATH.as_str(),
        csrf,
        tracking: case.tracking_code,
        title: case.title,
        category: t.category,
        place: t.place,
        stage: stage.plain(),
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
    State(state): State<WebState>,
    Path(tracking): Path<String>,
    CsrfForm(f): CsrfForm<RateForm>,
) -> Result<Redirect, PageError> {
    let case = svc::by_tracking(&state, &tracking).await?;
    let satisfaction = f
        .satisfaction
        .parse::<Satisfaction>()
        .map_err(|_| PageError::BadRequest("请选择满意、基本满意或不满意".into()))?;
    let code = case.tracking_code;
    let version = f
        .version
        .trim()
        .parse()
        .map_err(|_| PageError::BadRequest("表单已过期，请刷新页面后重试".into()))?;
    Ok(
        match svc::rate(&state, &code, satisfaction, version).await {
            Ok(_) => Redirect::to(&format!("/t/{code}?notice={}", url_encode("感谢您的评价"))),
            Err(e) => Redirect::to(&format!("/t/{code}?error={}", url_encode(&e.to_string()))),
        },
    )
}

async fn public_photo(
    state: &WebState,
    tracking: &str,
    id: i64,
    thumb: bool,
) -> Result<Response, PageError> {
    Ok(crate::api::photos::jpeg(
        shanzhi_app::photos::public_image(state, tracking, id, thumb).await?,
    )?)
}

async fn photo(
    State(state): State<WebState>,
    Path((tracking, id)): Path<(String, i64)>,
) -> Result<Response, PageError> {
    public_photo(&state, &tracking, id, false).await
}

async fn thumb(
    State(state): State<WebState>,
    Path((tracking, id)): Path<(String, i64)>,
) -> Result<Response, PageError> {
    public_photo(&state, &tracking, id, true).await
}
