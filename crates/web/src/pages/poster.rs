//! QR posters: every grid's public report page as a QR code (SVG and PNG) and an A4 page ready
//! to print and put up in the stairwell, with a second, smaller code for 微心愿.

use super::{PageError, render};
use crate::WebState;
use crate::assets::STYLE_PATH;
use crate::auth::PageUser;
use crate::client::Client;
use crate::pages::Path;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use qrcode::QrCode;
use qrcode::render::svg;
use shanzhi_app::AppError;
use shanzhi_app::regions as svc;
use shanzhi_domain::auth::Role;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/regions/{code}/poster", get(poster))
        .route("/regions/{code}/qr.svg", get(qr_svg))
        .route("/regions/{code}/qr.png", get(qr_png))
}

/// The public report URL of a node: from the configured public address, or the address this
/// request came in on.
fn report_url(state: &WebState, client: &Client, code: &str) -> String {
    format!("{}/r/{code}", state.public_base(client))
}

pub(super) fn qr(url: &str) -> Result<QrCode, AppError> {
    // Level M survives a smudged or partly torn poster.
    QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// A node residents may report into, and the viewer may see.
async fn node(
    state: &WebState,
    p: &crate::auth::Principal,
    code: &str,
) -> Result<shanzhi_app::regions::NodeRow, AppError> {
    let row = svc::visible(state, &p.actor, code).await?;
    if row.code.len() < 12 || row.retired_at.is_some() {
        return Err(AppError::NotFound(
            "只有村社区、网格和微网格有二维码".into(),
        ));
    }
    Ok(row)
}

pub(super) fn svg_of(code: &QrCode) -> String {
    code.render::<svg::Color<'_>>()
        .min_dimensions(320, 320)
        .quiet_zone(true)
        .build()
}

async fn qr_svg(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    client: Client,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let row = node(&state, &p, &code).await?;
    let svg = svg_of(&qr(&report_url(&state, &client, &row.code))?);
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// 8 pixels per module plus a 4-module quiet zone: about 300 px, sharp when printed at 5 cm.
const SCALE: usize = 8;
const QUIET: usize = 4;

async fn qr_png(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    client: Client,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let row = node(&state, &p, &code).await?;
    let q = qr(&report_url(&state, &client, &row.code))?;
    let modules = q.width();
    let colors = q.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
            for y in my * SCALE..(my + 1) * SCALE {
                pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side as u32, side as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        w.write_image_data(&pixels)
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    Ok(([(header::CONTENT_TYPE, "image/png")], out).into_response())
}

#[derive(Template)]
#[template(path = "poster.html")]
struct PosterPage {
    style: &'static str,
    code: String,
    name: String,
    url: String,
    svg: String,
    /// The other public entries of the place: (title, what it is for, address, QR code).
    entries: Vec<(&'static str, &'static str, String, String)>,
    /// 查询进度: where a resident types the tracking code (or proves the phone).
    track_url: String,
    staff: Vec<String>,
    /// Whom to call instead of scanning.
    contacts: Vec<super::contacts::Contact>,
}

async fn poster(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    client: Client,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let row = node(&state, &p, &code).await?;
    let url = report_url(&state, &client, &row.code);
    let staff = shanzhi_app::regions::staff_at(&state, &p.actor, &row.code)
        .await?
        .into_iter()
        .filter_map(|a| {
            let role = Some(a.role)?;
            matches!(role, Role::GridLeader | Role::GridWorker)
                .then(|| format!("{}（{}）", a.display_name, role.label()))
        })
        .collect();
    let base = state.public_base(&client);
    // The community's box and consultations serve its grids too.
    let community = row.code.get(..12).unwrap_or(&row.code).to_owned();
    let mut entries = vec![
        (
            "微心愿",
            "写下需要的帮助，党员志愿者认领上门",
            format!("{base}/w/{}", row.code),
        ),
        (
            "社情民意箱",
            "对社区的意见建议，可匿名",
            format!("{base}/o/{community}"),
        ),
        (
            "议事协商",
            "提出大家的事，一起商量怎么办",
            format!("{base}/p/{community}"),
        ),
    ];
    // The newest survey open now, when the caller may list the place's surveys.
    if let Ok(surveys) = shanzhi_app::surveys::list(&state, &p, &row.code).await
        && let Some(s) = surveys
            .iter()
            .filter(|s| s.open)
            .max_by_key(|s| s.survey.id)
    {
        entries.push((
            "问卷调查",
            "正在征求意见，扫码作答",
            format!("{base}/s/{}", s.survey.id),
        ));
    }
    let entries = entries
        .into_iter()
        .map(|(title, what, url)| {
            let svg = svg_of(&qr(&url)?);
            Ok((title, what, url, svg))
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let page = PosterPage {
        contacts: super::contacts::of(&state, &row.code).await?,
        style: STYLE_PATH.as_str(),
        track_url: format!("{base}/t"),
        svg: svg_of(&qr(&url)?),
        entries,
        code: row.code,
        name: row.name,
        url,
        staff,
    };
    Ok(render(&page))
}
