//! Patrols (巡查): a grid worker starts one on the phone, the page sends GPS fixes in batches
//! (late and twice when the signal drops), notes and findings are taken on the way, a finding
//! becomes a case in one step, and the patrol ends with a summary. Coverage per grid and day
//! follows the daily rule (一日双巡).

use crate::cases::{self as case_svc, ReportInput};
use crate::period::Period;
use crate::policy::{Ask, Resource, Verb};
use crate::regions;
use crate::{App, AppError};
use shanzhi_domain::auth::Actor;
use shanzhi_domain::auth::actor_label;
use shanzhi_domain::case::Day;
use shanzhi_domain::case::photo::Prepared;
use shanzhi_domain::geo::Crs;
use shanzhi_domain::patrol::{DailyRule, Fix, PatrolSpan, TrackRules, clean, day_coverage};
use shanzhi_domain::region::Level;
use shanzhi_store::Exec;
use shanzhi_store::accounts::AccountRow;
use shanzhi_store::cases::CaseRow;
use shanzhi_store::patrols::{self as store, FixRow};
pub use shanzhi_store::patrols::{NoteRow, PatrolRow};

/// Most fixes one batch may carry (a phone offline for an hour at one fix every 5 s holds 720).
pub const MAX_BATCH: usize = 2_000;
/// A patrol can be ended, and receives late fixes, for this long after it started.
const OPEN_FOR_MS: i64 = 12 * 3_600_000;

/// A fix as the phone sends it.
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::ToSchema)]
pub struct FixInput {
    /// When it was taken (ms since the epoch, the phone's clock).
    pub t: i64,
    /// Longitude, WGS-84.
    pub lon: f64,
    /// Latitude, WGS-84.
    pub lat: f64,
    /// Claimed accuracy, metres.
    pub acc: Option<f64>,
}

/// What a batch of fixes did to the track.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TrackSummary {
    /// Fixes in the batch.
    pub received: usize,
    /// Of those, not seen before.
    pub new: u64,
    /// Fixes in the cleaned track.
    pub kept: usize,
    /// Fixes left out of it.
    pub dropped: usize,
    /// Length of the cleaned track, metres.
    pub metres: f64,
}

/// A fix left out of the track, with the reason in words.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DroppedFix {
    /// When it was taken (ms).
    pub at_ms: i64,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Why it was left out.
    pub reason: String,
}

/// A patrol with its track and notes.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PatrolDetail {
    /// The patrol.
    pub patrol: PatrolRow,
    /// The cleaned track, [lon, lat] in time order.
    pub track: Vec<[f64; 2]>,
    /// Fixes left out, with reasons.
    pub dropped: Vec<DroppedFix>,
    /// Notes and findings.
    pub notes: Vec<NoteRow>,
    /// Whether it can still be ended.
    pub can_end: bool,
}

fn must_patrol(actor: &Actor) -> Result<(), AppError> {
    actor.may(Resource::Patrol, Verb::Write).map(drop)
}

/// Starts a patrol of `grid` (the worker's own grid when omitted).
pub async fn start(
    state: &App,
    actor: &Actor,
    account: &AccountRow,
    grid: Option<&str>,
) -> Result<PatrolRow, AppError> {
    must_patrol(actor)?;
    let code = grid
        .map(str::to_owned)
        .or_else(|| account.node_code.clone())
        .ok_or_else(|| AppError::bad("grid_required", "请选择要巡查的网格"))?;
    let node = regions::visible(state, actor, &code).await?;
    if node.level() != Level::Grid {
        return Err(AppError::bad(
            "not_a_grid",
            format!("{}不是网格，请选择网格后开始巡查", node.name),
        ));
    }
    let now = state.now_ms();
    let mut tx = state.store().begin().await?;
    if let Some(open) = store::running(&mut tx, account.id).await?
        && now - open.started_at < OPEN_FOR_MS
    {
        return Err(AppError::Conflict(format!(
            "您有一次巡查尚未结束（{} 开始），请先结束它",
            clock(open.started_at)
        )));
    }
    let label = actor_label(&account.display_name, actor.role);
    let id = store::start(
        &mut tx,
        &node.code,
        (account.id, &label),
        &Day::of(now).to_string(),
        now,
    )
    .await?;
    let row = store::get(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::Internal("patrol not written".into()))?;
    tx.commit().await?;
    Ok(row)
}

/// `HH:MM` Beijing time.
pub fn clock(ms: i64) -> String {
    let minutes = (ms + 8 * 3_600_000).div_euclid(60_000).rem_euclid(24 * 60);
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A patrol the actor may see.
pub async fn visible(state: &App, actor: &Actor, id: i64) -> Result<PatrolRow, AppError> {
    actor.may(Resource::Patrol, Verb::Read)?;
    let p = store::get(&mut state.store().conn().await?, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if actor.sees(&p.node_code) {
        Ok(p)
    } else {
        Err(AppError::not_found())
    }
}

/// The actor's own patrol (only the walker adds to it).
pub(crate) async fn own(state: &App, actor: &Actor, id: i64) -> Result<PatrolRow, AppError> {
    must_patrol(actor)?;
    let p = visible(state, actor, id).await?;
    if p.account_id == actor.account_id {
        Ok(p)
    } else {
        Err(AppError::Forbidden("只能记录本人的巡查".into()))
    }
}

/// Where the track may run until: the end, or (running) the end of the patrol's open time.
fn track_end(p: &PatrolRow) -> i64 {
    p.ended_at.unwrap_or(p.started_at + OPEN_FOR_MS)
}

/// Stores a batch of fixes (repeats ignored) and refreshes the track's figures.
pub async fn add_fixes(
    state: &App,
    actor: &Actor,
    id: i64,
    batch: &[FixInput],
) -> Result<TrackSummary, AppError> {
    let p = own(state, actor, id).await?;
    if batch.len() > MAX_BATCH {
        return Err(AppError::bad(
            "batch_too_large",
            format!("一次最多上传 {MAX_BATCH} 个定位点，请分批上传"),
        ));
    }
    if state.now_ms() - p.started_at > 2 * OPEN_FOR_MS {
        return Err(AppError::Conflict(
            "巡查开始已超过 24 小时，不再接收轨迹".into(),
        ));
    }
    let rows: Vec<FixRow> = state.with_index(|idx| {
        batch
            .iter()
            .filter(|f| f.lon.is_finite() && f.lat.is_finite())
            .map(|f| FixRow {
                at_ms: f.t,
                lon: f.lon,
                lat: f.lat,
                accuracy_m: f.acc.filter(|a| a.is_finite()),
                outside_m: idx
                    .metres_outside(&p.node_code, f.lon, f.lat)
                    .unwrap_or(0.0),
            })
            .collect()
    });
    let mut tx = state.store().begin().await?;
    let new = store::add_fixes(&mut tx, id, &rows).await?;
    let summary = refresh(&mut tx, &p).await?;
    tx.commit().await?;
    Ok(TrackSummary {
        received: batch.len(),
        new,
        ..summary
    })
}

/// Rebuilds the track from every stored fix and stores its figures.
async fn refresh(ex: &mut impl Exec, p: &PatrolRow) -> Result<TrackSummary, AppError> {
    let fixes: Vec<Fix> = store::fixes(ex, p.id)
        .await?
        .iter()
        .map(Fix::from)
        .collect();
    let track = clean(&fixes, p.started_at, track_end(p), &TrackRules::default());
    store::set_track(
        ex,
        p.id,
        track.metres,
        track.kept.len(),
        track.dropped.len(),
    )
    .await?;
    Ok(TrackSummary {
        received: 0,
        new: 0,
        kept: track.kept.len(),
        dropped: track.dropped.len(),
        metres: track.metres,
    })
}

/// A note or finding taken on patrol.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NoteInput {
    /// What was seen, up to 1,000 characters.
    pub text: String,
    /// A problem to be handled (发现问题) rather than a plain note.
    #[serde(default)]
    pub finding: bool,
    /// Where (WGS-84), if the phone knows.
    pub lon: Option<f64>,
    /// Latitude.
    pub lat: Option<f64>,
}

/// Adds a note or finding to a running patrol.
pub async fn add_note(
    state: &App,
    actor: &Actor,
    id: i64,
    n: &NoteInput,
) -> Result<NoteRow, AppError> {
    let p = own(state, actor, id).await?;
    if p.ended_at.is_some() {
        return Err(AppError::Conflict("巡查已结束，不能再添加记录".into()));
    }
    let text = n.text.trim();
    if text.is_empty() || text.chars().count() > 1_000 {
        return Err(AppError::bad(
            "invalid_field",
            "记录内容不能为空，且不超过 1000 个字",
        ));
    }
    let lon_lat = match (n.lon, n.lat) {
        (Some(lon), Some(lat)) if lon.is_finite() && lat.is_finite() => Some((lon, lat)),
        _ => None,
    };
    let mut conn = state.store().conn().await?;
    let note_id = store::add_note(&mut conn, id, state.now_ms(), n.finding, text, lon_lat).await?;
    store::note(&mut conn, id, note_id)
        .await?
        .ok_or_else(|| AppError::Internal("note not written".into()))
}

/// Turns a finding into a case (上报事件) in one step, with the photos taken of it: placed
/// where it was noted, or in the patrolled grid.
pub async fn report_finding(
    state: &App,
    actor: &Actor,
    account: &AccountRow,
    (patrol_id, note_id): (i64, i64),
    category: &str,
    photos: Vec<Prepared>,
) -> Result<CaseRow, AppError> {
    let p = own(state, actor, patrol_id).await?;
    let mut conn = state.store().conn().await?;
    let note = store::note(&mut conn, patrol_id, note_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    drop(conn);
    if note.case_id.is_some() {
        return Err(AppError::Conflict("该问题已上报为事件".into()));
    }
    let found = Found {
        text: &note.text,
        lon_lat: note.lon.zip(note.lat),
        category,
    };
    let case = file_finding(state, (actor, account), &p, found, photos, None).await?;
    let mut conn = state.store().conn().await?;
    if !store::link_case(&mut conn, note_id, case.id).await? {
        return Err(AppError::Conflict("该问题已上报为事件".into()));
    }
    Ok(case)
}

/// A finding to file: what was seen, where (WGS-84), and its category.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found<'a> {
    /// What was seen.
    pub text: &'a str,
    /// Where, if the phone knew.
    pub lon_lat: Option<(f64, f64)>,
    /// Category code.
    pub category: &'a str,
}

/// Files a finding of patrol `p` as a case; a position outside the worker's grids files it
/// in the patrolled grid instead. `field` is the receipt of a finding made without a signal.
pub(crate) async fn file_finding(
    state: &App,
    (actor, account): (&Actor, &AccountRow),
    p: &PatrolRow,
    found: Found<'_>,
    photos: Vec<Prepared>,
    field: Option<shanzhi_store::offline::Receipt>,
) -> Result<CaseRow, AppError> {
    let title: String = found.text.chars().take(30).collect();
    let input = ReportInput {
        category: found.category.to_owned(),
        title,
        description: format!("巡查发现：{}", found.text),
        lon: found.lon_lat.map(|(lon, _)| lon),
        lat: found.lon_lat.map(|(_, lat)| lat),
        crs: Crs::Wgs84,
        node_code: Some(p.node_code.clone()),
        address: None,
        source: Some("grid_patrol".into()),
    };
    let again = (photos.clone(), field.clone());
    match case_svc::report_made(state, actor, account, input.clone(), photos, field).await {
        Err(AppError::NotFound(_)) if found.lon_lat.is_some() => {
            let in_grid = ReportInput {
                lon: None,
                lat: None,
                ..input
            };
            case_svc::report_made(state, actor, account, in_grid, again.0, again.1).await
        }
        other => other,
    }
}

/// Notes a finding on patrol `patrol_id` at `at`, linked to the case it was filed as.
pub(crate) async fn note_filed(
    state: &App,
    patrol_id: i64,
    at: i64,
    found: Found<'_>,
    case_id: i64,
) -> Result<(), AppError> {
    let mut tx = state.store().begin().await?;
    let note = store::add_note(&mut tx, patrol_id, at, true, found.text, found.lon_lat).await?;
    store::link_case(&mut tx, note, case_id).await?;
    tx.commit().await?;
    Ok(())
}

/// What the worker should hear before ending patrol `id` now (see
/// [`DailyRule::before_ending`]); empty when nothing stands against it.
pub async fn before_ending(state: &App, actor: &Actor, id: i64) -> Result<Vec<String>, AppError> {
    let p = own(state, actor, id).await?;
    Ok(DailyRule::default().before_ending(p.started_at, state.now_ms(), p.fixes_kept.into()))
}

/// Ends a patrol with its summary.
pub async fn end(
    state: &App,
    actor: &Actor,
    id: i64,
    summary: &str,
) -> Result<PatrolRow, AppError> {
    let p = own(state, actor, id).await?;
    let summary = summary.trim();
    if summary.chars().count() > 2_000 {
        return Err(AppError::bad("invalid_field", "巡查小结不超过 2000 个字"));
    }
    let now = state.now_ms();
    if p.ended_at.is_none() && now - p.started_at > OPEN_FOR_MS {
        return Err(AppError::Conflict(
            "巡查开始已超过 12 小时，无法结束；这次巡查不计入巡查次数，请重新开始一次巡查".into(),
        ));
    }
    let mut tx = state.store().begin().await?;
    if !store::end(&mut tx, id, now, summary, &DailyRule::default()).await? {
        return Err(AppError::Conflict("这次巡查已经结束".into()));
    }
    let ended = PatrolRow {
        ended_at: Some(now),
        summary: summary.to_owned(),
        ..p
    };
    let figures = refresh(&mut tx, &ended).await?;
    tx.commit().await?;
    Ok(PatrolRow {
        metres: figures.metres,
        fixes_kept: figures.kept as i32,
        fixes_dropped: figures.dropped as i32,
        ..ended
    })
}

/// A patrol with its cleaned track and notes.
pub async fn detail(state: &App, actor: &Actor, id: i64) -> Result<PatrolDetail, AppError> {
    let p = visible(state, actor, id).await?;
    let mut conn = state.store().conn().await?;
    let fixes: Vec<Fix> = store::fixes(&mut conn, id)
        .await?
        .iter()
        .map(Fix::from)
        .collect();
    let track = clean(&fixes, p.started_at, track_end(&p), &TrackRules::default());
    let notes = store::notes(&mut conn, id).await?;
    Ok(PatrolDetail {
        track: track.kept.iter().map(|f| [f.lon, f.lat]).collect(),
        dropped: track
            .dropped
            .iter()
            .map(|(f, why)| DroppedFix {
                at_ms: f.at_ms,
                lon: f.lon,
                lat: f.lat,
                reason: why.reason(),
            })
            .collect(),
        notes,
        can_end: p.ended_at.is_none() && state.now_ms() - p.started_at <= OPEN_FOR_MS,
        patrol: p,
    })
}

/// The actor's patrol still open for adding to, if any.
pub async fn current(state: &App, account: &AccountRow) -> Result<Option<PatrolRow>, AppError> {
    let p = store::running(&mut state.store().conn().await?, account.id).await?;
    Ok(p.filter(|p| state.now_ms() - p.started_at <= OPEN_FOR_MS))
}

/// A grid's patrols on one day against the daily rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct GridDay {
    /// Grid code.
    pub grid: String,
    /// Grid name.
    pub name: String,
    /// Day.
    pub day: String,
    /// Patrols that count.
    pub counted: u32,
    /// Patrols the rule asks for.
    pub needed: u32,
    /// Patrols started (counted or not).
    pub started: u32,
    /// The day is over and the rule was not met (today is still under way).
    pub missed: bool,
}

/// Every grid under `root` on every day of the period against the daily rule.
pub async fn coverage(
    ex: &mut impl Exec,
    root: &str,
    period: Period,
    rule: &DailyRule,
    today: Day,
) -> Result<Vec<GridDay>, AppError> {
    let grids = shanzhi_store::regions::grids_named(ex, root).await?;
    let spans = store::spans(ex, root, &period.from.to_string(), &period.to.to_string()).await?;
    let mut by_grid_day: std::collections::HashMap<(&str, &str), Vec<PatrolSpan>> =
        std::collections::HashMap::new();
    for (grid, day, start, end) in &spans {
        by_grid_day
            .entry((grid, day))
            .or_default()
            .push(PatrolSpan {
                start_ms: *start,
                end_ms: *end,
            });
    }
    let days: Vec<(String, bool)> = period.days().map(|d| (d.to_string(), d < today)).collect();
    let mut out = Vec::with_capacity(grids.len() * days.len());
    for (grid, name) in &grids {
        for (day, over) in &days {
            let spans = by_grid_day
                .get(&(grid.as_str(), day.as_str()))
                .map_or(&[][..], Vec::as_slice);
            let c = day_coverage(spans, rule);
            out.push(GridDay {
                grid: grid.clone(),
                name: name.clone(),
                day: day.clone(),
                counted: c.counted,
                needed: c.needed,
                started: spans.len() as u32,
                missed: *over && !c.met(),
            });
        }
    }
    Ok(out)
}

/// Coverage under a node in the actor's scope.
pub async fn coverage_for(
    state: &App,
    actor: &Actor,
    code: &str,
    period: Period,
) -> Result<Vec<GridDay>, AppError> {
    actor.may(Resource::Figures, Verb::Read)?;
    let node = regions::visible(state, actor, code).await?;
    let mut conn = state.store().conn().await?;
    coverage(
        &mut conn,
        &node.code,
        period,
        &DailyRule::default(),
        state.clock().today(),
    )
    .await
}

/// Patrols under a node the actor sees in a period, newest first (at most `limit`).
pub async fn list(
    state: &App,
    actor: &Actor,
    node: &str,
    period: &Period,
    limit: u32,
) -> Result<Vec<PatrolRow>, AppError> {
    actor.may(Resource::Patrol, Verb::List)?;
    let node = regions::visible(state, actor, node).await?;
    Ok(store::list(
        &mut state.store().conn().await?,
        &node.code,
        &period.from.to_string(),
        &period.to.to_string(),
        limit,
    )
    .await?)
}
