//! Patrols (巡查): who walked which grid when, every GPS fix as it arrived, notes and findings.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::patrol::{DailyRule, PatrolSpan, day_coverage};

/// A patrol as listed and shown.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct PatrolRow {
    /// Id.
    pub id: i64,
    /// The grid patrolled.
    pub node_code: String,
    /// The grid worker's account.
    pub account_id: i64,
    /// The grid worker, in words.
    pub worker_label: String,
    /// Beijing day it started on.
    pub day: String,
    /// Start (ms).
    pub started_at: i64,
    /// End (ms); none while it runs or when never ended.
    pub ended_at: Option<i64>,
    /// Summary written at the end.
    pub summary: String,
    /// Length of the cleaned track, metres.
    pub metres: f64,
    /// Fixes in the cleaned track.
    pub fixes_kept: i32,
    /// Fixes left out of it.
    pub fixes_dropped: i32,
}

const COLUMNS: &str = "id, node_code, account_id, worker_label, day, started_at, ended_at, summary, \
     metres, fixes_kept, fixes_dropped";

/// Starts a patrol; returns its id.
pub async fn start(
    ex: &mut impl Exec,
    node_code: &str,
    worker: (i64, &str),
    day: &str,
    at: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO patrols (node_code, account_id, worker_label, day, started_at, summary, \
                 metres, fixes_kept, fixes_dropped) VALUES (?, ?, ?, ?, ?, '', 0, 0, 0) RETURNING id",
            )
            .bind(node_code)
            .bind(worker.0)
            .bind(worker.1)
            .bind(day)
            .bind(at),
        )
        .await?;
    Ok(id)
}

/// One patrol.
pub async fn get(ex: &mut impl Exec, id: i64) -> Result<Option<PatrolRow>, StoreError> {
    ex.opt(Sql::new(format!("SELECT {COLUMNS} FROM patrols WHERE id = ?")).bind(id))
        .await
}

/// The account's patrol still running, if any.
pub async fn running(ex: &mut impl Exec, account_id: i64) -> Result<Option<PatrolRow>, StoreError> {
    ex.opt(
        Sql::new(format!(
            "SELECT {COLUMNS} FROM patrols WHERE account_id = ? AND ended_at IS NULL \
             ORDER BY started_at DESC LIMIT 1"
        ))
        .bind(account_id),
    )
    .await
}

/// Patrols of grids under `root` from day `from` to day `to` (inclusive), newest first.
pub async fn list(
    ex: &mut impl Exec,
    root: &str,
    from: &str,
    to: &str,
    limit: u32,
) -> Result<Vec<PatrolRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {COLUMNS} FROM patrols WHERE node_code >= ? AND node_code < ? \
             AND day >= ? AND day <= ? ORDER BY started_at DESC LIMIT ?"
        ))
        .bind(root)
        .bind(format!("{root}:"))
        .bind(from)
        .bind(to)
        .bind(i64::from(limit)),
    )
    .await
}

/// Start and end of every patrol of grids under `root` from `from` to `to`: (grid, day,
/// start, end), for the daily rule.
pub async fn spans(
    ex: &mut impl Exec,
    root: &str,
    from: &str,
    to: &str,
) -> Result<Vec<(String, String, i64, Option<i64>)>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT node_code, day, started_at, ended_at FROM patrols \
             WHERE node_code >= ? AND node_code < ? AND day >= ? AND day <= ? \
             ORDER BY node_code, day, started_at",
        )
        .bind(root)
        .bind(format!("{root}:"))
        .bind(from)
        .bind(to),
    )
    .await
}

/// A GPS fix as received.
#[derive(Debug, Clone, Copy, PartialEq, sqlx::FromRow)]
pub struct FixRow {
    /// When it was taken (ms, the phone's clock).
    pub at_ms: i64,
    /// Longitude (WGS-84).
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Claimed accuracy, metres.
    pub accuracy_m: Option<f64>,
    /// Metres outside the grid at receipt.
    pub outside_m: f64,
}

impl From<&FixRow> for shanzhi_domain::patrol::Fix {
    fn from(f: &FixRow) -> Self {
        shanzhi_domain::patrol::Fix {
            at_ms: f.at_ms,
            lon: f.lon,
            lat: f.lat,
            accuracy_m: f.accuracy_m,
            outside_m: f.outside_m,
        }
    }
}

impl From<&shanzhi_domain::patrol::Fix> for FixRow {
    fn from(f: &shanzhi_domain::patrol::Fix) -> Self {
        FixRow {
            at_ms: f.at_ms,
            lon: f.lon,
            lat: f.lat,
            accuracy_m: f.accuracy_m,
            outside_m: f.outside_m,
        }
    }
}

/// Rows per multi-row insert.
const CHUNK: usize = 300;

/// Stores fixes; a fix for a moment already stored is ignored (a resent batch). Returns how
/// many were new.
pub async fn add_fixes(
    ex: &mut impl Exec,
    patrol_id: i64,
    fixes: &[FixRow],
) -> Result<u64, StoreError> {
    let mut added = 0;
    for chunk in fixes.chunks(CHUNK) {
        let mut q = Sql::new(
            "INSERT INTO patrol_fixes (patrol_id, at_ms, lon, lat, accuracy_m, outside_m) VALUES ",
        );
        for (i, f) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.push_bind("?", patrol_id)
                .push_bind(", ?", f.at_ms)
                .push_bind(", ?", f.lon)
                .push_bind(", ?", f.lat)
                .push_bind(", ?", f.accuracy_m)
                .push_bind(", ?)", f.outside_m);
        }
        q.push(" ON CONFLICT (patrol_id, at_ms) DO NOTHING");
        added += ex.exec(q).await?;
    }
    Ok(added)
}

/// Every fix of a patrol, in the order they were taken.
pub async fn fixes(ex: &mut impl Exec, patrol_id: i64) -> Result<Vec<FixRow>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT at_ms, lon, lat, accuracy_m, outside_m FROM patrol_fixes WHERE patrol_id = ? \
             ORDER BY at_ms",
        )
        .bind(patrol_id),
    )
    .await
}

/// Stores the cleaned track's figures.
pub async fn set_track(
    ex: &mut impl Exec,
    patrol_id: i64,
    metres: f64,
    kept: usize,
    dropped: usize,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new("UPDATE patrols SET metres = ?, fixes_kept = ?, fixes_dropped = ? WHERE id = ?")
            .bind(metres)
            .bind(kept as i64)
            .bind(dropped as i64)
            .bind(patrol_id),
    )
    .await?;
    Ok(())
}

/// Ends a running patrol and tallies its grid's day against `rule`; false when it had
/// already ended.
pub async fn end(
    ex: &mut impl Exec,
    patrol_id: i64,
    at: i64,
    summary: &str,
    rule: &DailyRule,
) -> Result<bool, StoreError> {
    let n = ex
        .exec(
            Sql::new(
                "UPDATE patrols SET ended_at = ?, summary = ? WHERE id = ? AND ended_at IS NULL",
            )
            .bind(at)
            .bind(summary)
            .bind(patrol_id),
        )
        .await?;
    if n == 0 {
        return Ok(false);
    }
    let Some(p) = get(ex, patrol_id).await? else {
        return Ok(false);
    };
    tally_grid_day(ex, &p.node_code, &p.day, rule).await?;
    Ok(true)
}

/// Tallies `grid`'s `day` against `rule` from its patrols.
async fn tally_grid_day(
    ex: &mut impl Exec,
    grid: &str,
    day: &str,
    rule: &DailyRule,
) -> Result<(), StoreError> {
    let spans: Vec<PatrolSpan> = spans(ex, grid, day, day)
        .await?
        .into_iter()
        .filter(|s| s.0 == grid)
        .map(|(_, _, start_ms, end_ms)| PatrolSpan { start_ms, end_ms })
        .collect();
    tally_day(ex, grid, day, day_coverage(&spans, rule).met()).await
}

/// Tallies every grid-day with an ended patrol but no tally (patrols ended before the tallies
/// existed); run when the server starts. Gives the number of grid-days tallied.
pub async fn tally_untallied(ex: &mut impl Exec, rule: &DailyRule) -> Result<usize, StoreError> {
    let days: Vec<(String, String)> = ex
        .all(Sql::new(
            "SELECT DISTINCT p.node_code, p.day FROM patrols p WHERE p.ended_at IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM patrol_tallies t \
               WHERE t.depth = length(p.node_code) AND t.area = p.node_code AND t.day = p.day)",
        ))
        .await?;
    for (grid, day) in &days {
        tally_grid_day(ex, grid, day, rule).await?;
    }
    Ok(days.len())
}

/// A note taken on patrol; a finding may become a case.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct NoteRow {
    /// Id.
    pub id: i64,
    /// When (ms).
    pub at: i64,
    /// A problem found (发现问题), as opposed to a plain note.
    pub finding: bool,
    /// What was seen.
    pub text: String,
    /// Where (WGS-84), if known.
    pub lon: Option<f64>,
    /// Latitude.
    pub lat: Option<f64>,
    /// The case it became.
    pub case_id: Option<i64>,
}

/// Adds a note; returns its id.
pub async fn add_note(
    ex: &mut impl Exec,
    patrol_id: i64,
    at: i64,
    finding: bool,
    text: &str,
    lon_lat: Option<(f64, f64)>,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO patrol_notes (patrol_id, at, finding, text, lon, lat) \
                 VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(patrol_id)
            .bind(at)
            .bind(finding)
            .bind(text)
            .bind(lon_lat.map(|c| c.0))
            .bind(lon_lat.map(|c| c.1)),
        )
        .await?;
    Ok(id)
}

const NOTE_COLUMNS: &str = "id, at, finding, text, lon, lat, case_id";

/// One note of a patrol.
pub async fn note(
    ex: &mut impl Exec,
    patrol_id: i64,
    note_id: i64,
) -> Result<Option<NoteRow>, StoreError> {
    ex.opt(
        Sql::new(format!(
            "SELECT {NOTE_COLUMNS} FROM patrol_notes WHERE patrol_id = ? AND id = ?"
        ))
        .bind(patrol_id)
        .bind(note_id),
    )
    .await
}

/// A patrol's notes in order.
pub async fn notes(ex: &mut impl Exec, patrol_id: i64) -> Result<Vec<NoteRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {NOTE_COLUMNS} FROM patrol_notes WHERE patrol_id = ? ORDER BY id"
        ))
        .bind(patrol_id),
    )
    .await
}

/// Links a finding to the case it became; false when it already had one.
pub async fn link_case(ex: &mut impl Exec, note_id: i64, case_id: i64) -> Result<bool, StoreError> {
    let n = ex
        .exec(
            Sql::new("UPDATE patrol_notes SET case_id = ? WHERE id = ? AND case_id IS NULL")
                .bind(case_id)
                .bind(note_id),
        )
        .await?;
    Ok(n == 1)
}

/// Records whether `grid` met the daily patrol rule on `day`, moving the counts of every level
/// above it by the difference from what was recorded before.
async fn tally_day(ex: &mut impl Exec, grid: &str, day: &str, met: bool) -> Result<(), StoreError> {
    let depth = grid.len() as i32;
    let before: Vec<(i64,)> = ex
        .all(
            Sql::new("SELECT met FROM patrol_tallies WHERE depth = ? AND area = ? AND day = ?")
                .bind(depth)
                .bind(grid)
                .bind(day),
        )
        .await?;
    let delta = i64::from(met) - before.first().map_or(0, |b| b.0);
    if delta == 0 && !before.is_empty() {
        return Ok(());
    }
    ex.exec(
        Sql::new(
            "INSERT INTO patrol_tallies (depth, area, day, met) \
             SELECT depth, substr(?, 1, depth), ?, ? FROM tally_depths WHERE depth <= ? \
             ON CONFLICT (depth, area, day) DO UPDATE SET met = patrol_tallies.met + excluded.met",
        )
        .bind(grid)
        .bind(day)
        .bind(delta)
        .bind(depth),
    )
    .await?;
    Ok(())
}

/// Grid-days under `area` from `from` to `to` (ISO days, inclusive) that met the daily rule.
pub async fn days_met(
    ex: &mut impl Exec,
    area: &str,
    from: &str,
    to: &str,
) -> Result<i64, StoreError> {
    let (n,): (Option<i64>,) = ex
        .one(
            Sql::new(
                "SELECT CAST(SUM(met) AS BIGINT) FROM patrol_tallies \
                 WHERE depth = ? AND area = ? AND day >= ? AND day <= ?",
            )
            .bind(area.len() as i32)
            .bind(area)
            .bind(from)
            .bind(to),
        )
        .await?;
    Ok(n.unwrap_or(0))
}
