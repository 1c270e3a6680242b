//! Patrol pages: the grid worker's phone page that records the walk (GPS in batches, kept on
//! the phone while the signal is gone), notes and findings, the end; the patrol's record with its
//! track drawn; and coverage (一日双巡) for the community and above.

use super::registers::{Notice, back};
use super::{Chrome, PageError, form_photos, render};
use crate::WebState;
use crate::auth::{CsrfForm, CsrfMultipart, PageUser, csrf_token};
use crate::pages::{Path, Query};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shanzhi_app::patrols::{self as svc, FixInput, GridDay, NoteInput, TrackSummary};
use shanzhi_app::patrols::{NoteRow, PatrolRow};
use shanzhi_app::period::Period;
use shanzhi_app::policy::{Ask, Resource, Verb};
use shanzhi_app::regions;
use std::collections::BTreeMap;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/patrol", get(mine).post(start))
        .route("/patrols", get(coverage))
        .route("/patrols/{id}", get(show))
        .route("/patrols/{id}/fixes", post(fixes))
        .route("/patrols/{id}/notes", post(note))
        .route("/patrols/{id}/notes/{note}/case", post(report_finding))
        .route("/patrols/{id}/end", post(end))
}

/// One patrol as a list shows it.
struct PatrolLine {
    id: i64,
    day: String,
    span: String,
    worker: String,
    grid: String,
    km: String,
    summary: String,
}

impl PatrolLine {
    fn of(p: &PatrolRow) -> PatrolLine {
        PatrolLine {
            id: p.id,
            day: p.day.clone(),
            span: match p.ended_at {
                Some(e) => format!("{}–{}", svc::clock(p.started_at), svc::clock(e)),
                None => format!("{} 起，未结束", svc::clock(p.started_at)),
            },
            worker: p.worker_label.clone(),
            grid: p.node_code.clone(),
            km: format!("{:.2}", p.metres / 1000.0),
            summary: p.summary.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "patrol_start.html")]
struct StartPage {
    style: &'static str,
    chrome: Chrome,
    grid_name: String,
    recent: Vec<PatrolLine>,
    notice: Option<String>,
    error: Option<String>,
}

/// The grid worker's way in: the patrol under way, or the button to start one.
async fn mine(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Query(q): Query<Notice>,
) -> Result<(CookieJar, Response), PageError> {
    if !p.can(Resource::Patrol, Verb::Write) {
        return Ok((jar, Redirect::to("/patrols").into_response()));
    }
    if let Some(running) = svc::current(&state, &p.account).await? {
        let to = format!("/patrols/{}", running.id);
        return Ok((jar, Redirect::to(&to).into_response()));
    }
    let grid = p.account.node_code.clone().unwrap_or_default();
    let period = Period::parse(None, None, state.clock().today())?;
    let recent = svc::list(&state, &p.actor, &grid, &period, 30).await?;
    let grid_name = regions::visible(&state, &p.actor, &grid).await?.name;
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let view = StartPage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        grid_name,
        recent: recent.iter().map(PatrolLine::of).collect(),
        notice: q.notice,
        error: q.error,
    };
    Ok((jar, render(&view)))
}

async fn start(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    CsrfForm(_): CsrfForm<BTreeMap<String, String>>,
) -> Result<Redirect, PageError> {
    match svc::start(&state, &p.actor, &p.account, None).await {
        Ok(row) => Ok(Redirect::to(&format!("/patrols/{}", row.id))),
        Err(e) => back("/patrol", Err(e)),
    }
}

#[derive(Template)]
#[template(path = "patrol.html")]
struct PatrolPage {
    style: &'static str,
    chrome: Chrome,
    patrol_js: &'static str,
    grid_name: String,
    line: PatrolLine,
    /// The walker's own patrol still open: the recorder and forms are shown.
    recording: bool,
    kept: i32,
    dropped: Vec<(String, String)>,
    notes: Vec<NoteRow>,
    map: Option<String>,
    /// While recording: the grid and its neighbours, to place a finding.
    pick: Option<String>,
    categories: Vec<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
}

async fn show(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Path(id): Path<i64>,
    Query(q): Query<Notice>,
) -> Result<(CookieJar, Response), PageError> {
    let d = svc::detail(&state, &p.actor, id).await?;
    let grid = regions::visible(&state, &p.actor, &d.patrol.node_code).await?;
    let outline = regions::outline(&grid)?;
    let dropped_at: Vec<[f64; 2]> = d.dropped.iter().map(|f| [f.lon, f.lat]).collect();
    let map = super::map::track_svg(outline.as_ref(), &d.track, &dropped_at);
    let recording = d.can_end && d.patrol.account_id == p.account.id;
    let pick = if recording {
        let area = regions::area_around(&state, grid.clone()).await?;
        super::map::pick_map(&state, &area, &[], None, ("note-lon", "note-lat"))?
    } else {
        None
    };
    let categories = shanzhi_app::cases::choosable(&state.categories().await?);
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let view = PatrolPage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        patrol_js: crate::assets::PATROL_PATH.as_str(),
        grid_name: grid.name.clone(),
        recording,
        kept: d.patrol.fixes_kept,
        line: PatrolLine::of(&d.patrol),
        dropped: d
            .dropped
            .iter()
            .map(|f| (svc::clock(f.at_ms), f.reason.clone()))
            .collect(),
        notes: d.notes,
        map,
        pick,
        categories,
        notice: q.notice,
        error: q.error,
    };
    Ok((jar, render(&view)))
}

#[derive(Debug, Deserialize)]
struct FixesForm {
    /// The batch, as JSON (the page's script sends it with the form's CSRF token).
    fixes: String,
}

/// A batch of fixes from the recorder script; answers JSON for it to show.
async fn fixes(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<FixesForm>,
) -> Result<axum::Json<TrackSummary>, PageError> {
    let batch: Vec<FixInput> = serde_json::from_str(&f.fixes)
        .map_err(|e| PageError::BadRequest(format!("定位数据无效：{e}")))?;
    Ok(axum::Json(
        svc::add_fixes(&state, &p.actor, id, &batch).await?,
    ))
}

#[derive(Debug, Deserialize)]
struct NoteForm {
    text: String,
    #[serde(default)]
    finding: Option<String>,
    #[serde(default)]
    lon: String,
    #[serde(default)]
    lat: String,
    /// With a finding: report it as a case of this category at once.
    #[serde(default)]
    category: String,
}

/// A note or finding; a finding with a category (and its photos) becomes a case in the same
/// submit, placed where the phone was.
async fn note(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    upload: CsrfMultipart<NoteForm>,
) -> Result<Redirect, PageError> {
    let f = &upload.form;
    let finding = f.finding.is_some();
    let input = NoteInput {
        text: f.text.clone(),
        finding,
        lon: f.lon.trim().parse().ok(),
        lat: f.lat.trim().parse().ok(),
    };
    let noted = match svc::add_note(&state, &p.actor, id, &input).await {
        Ok(n) => n,
        Err(e) => return back(&format!("/patrols/{id}"), Err(e)),
    };
    let category = f.category.trim();
    if !finding || category.is_empty() {
        let said = if finding {
            "已记录发现的问题，可上报为事件"
        } else {
            "已记录"
        };
        return back(&format!("/patrols/{id}"), Ok(said.to_owned()));
    }
    // The note is kept whatever happens next: a refused report can be sent again from it.
    let result = match form_photos(&state, &upload).await {
        Ok(photos) => {
            svc::report_finding(
                &state,
                &p.actor,
                &p.account,
                (id, noted.id),
                category,
                photos,
            )
            .await
        }
        Err(e) => Err(e),
    }
    .map(|case| format!("已记录并上报为事件 #{}", case.id));
    back(&format!("/patrols/{id}"), result)
}

#[derive(Debug, Deserialize)]
struct FindingForm {
    category: String,
}

async fn report_finding(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path((id, note)): Path<(i64, i64)>,
    CsrfForm(f): CsrfForm<FindingForm>,
) -> Result<Redirect, PageError> {
    let result = svc::report_finding(
        &state,
        &p.actor,
        &p.account,
        (id, note),
        &f.category,
        Vec::new(),
    )
    .await;
    let result = result.map(|case| format!("已上报为事件 #{}", case.id));
    back(&format!("/patrols/{id}"), result)
}

#[derive(Debug, Deserialize)]
struct EndForm {
    #[serde(default)]
    summary: String,
    /// The worker has read what stands against ending now and ends anyway.
    #[serde(default)]
    confirmed: Option<String>,
}

#[derive(Template)]
#[template(path = "patrol_end.html")]
struct EndPage {
    style: &'static str,
    chrome: Chrome,
    id: i64,
    said: Vec<String>,
    summary: String,
}

/// Ends the patrol; one that would not count for the day (or has no track) is first said so,
/// on a page that keeps the summary typed and asks to confirm.
async fn end(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<EndForm>,
) -> Result<(CookieJar, Response), PageError> {
    if f.confirmed.is_none() {
        let said = svc::before_ending(&state, &p.actor, id).await?;
        if !said.is_empty() {
            let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
            let view = EndPage {
                style: crate::assets::STYLE_PATH.as_str(),
                chrome: Chrome::new(&p, csrf),
                id,
                said,
                summary: f.summary,
            };
            return Ok((jar, render(&view)));
        }
    }
    let result = svc::end(&state, &p.actor, id, &f.summary)
        .await
        .map(|row| format!("巡查已结束，轨迹 {:.2} 公里", row.metres / 1000.0));
    Ok((
        jar,
        back(&format!("/patrols/{id}"), result)?.into_response(),
    ))
}

#[derive(Debug, Default, Deserialize)]
struct CoverageQuery {
    node: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// One grid's row of the coverage table.
struct CoverageRow {
    grid: String,
    name: String,
    /// Per day: (text, css class).
    days: Vec<(String, &'static str)>,
    missed: usize,
}

#[derive(Template)]
#[template(path = "patrols.html")]
struct CoveragePage {
    style: &'static str,
    chrome: Chrome,
    node_code: String,
    node_name: String,
    from: String,
    to: String,
    days: Vec<String>,
    rows: Vec<CoverageRow>,
    missed: usize,
    patrols: Vec<PatrolLine>,
    patrols_self: bool,
}

/// Coverage under a node: grids by day (一日双巡), the missed days counted, recent patrols.
async fn coverage(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Query(q): Query<CoverageQuery>,
) -> Result<(CookieJar, Response), PageError> {
    let code = p.node_or_own(q.node.as_deref())?;
    let node = regions::visible(&state, &p.actor, &code).await?;
    let period = Period::parse(q.from.as_deref(), q.to.as_deref(), state.clock().today())?;
    let cells = svc::coverage_for(&state, &p.actor, &node.code, period).await?;
    let mut rows: Vec<CoverageRow> = Vec::new();
    for c in &cells {
        if rows.last().is_none_or(|r| r.grid != c.grid) {
            rows.push(CoverageRow {
                grid: c.grid.clone(),
                name: c.name.clone(),
                days: Vec::new(),
                missed: 0,
            });
        }
        if let Some(r) = rows.last_mut() {
            r.days.push(cell(c));
            r.missed += usize::from(c.missed);
        }
    }
    let patrols = svc::list(&state, &p.actor, &node.code, &period, 100).await?;
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let view = CoveragePage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        node_name: node.name,
        node_code: node.code,
        from: period.from.to_string(),
        to: period.to.to_string(),
        // Column heads: MM-DD.
        days: period
            .days()
            .map(|d| d.to_string().get(5..).unwrap_or_default().to_owned())
            .collect(),
        missed: rows.iter().map(|r| r.missed).sum(),
        rows,
        patrols: patrols.iter().map(PatrolLine::of).collect(),
        patrols_self: p.can(Resource::Patrol, Verb::Write),
    };
    Ok((jar, render(&view)))
}

fn cell(c: &GridDay) -> (String, &'static str) {
    let text = format!("{}/{}", c.counted, c.needed);
    let class = if c.counted >= c.needed {
        "met"
    } else if c.missed {
        "missed"
    } else {
        "open"
    };
    (text, class)
}
