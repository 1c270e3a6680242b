//! The dashboard's figures for an area (a code-prefix range) and a period: cases from the
//! running tallies (migration 0017) plus the open cases read live, summonses and visits from
//! grouped scans.

use crate::bulk::{Cell, insert_rows};
use crate::{Exec, Sql, StoreError};
use shanzhi_domain::figures::CaseCounts;
use std::collections::BTreeMap;

/// The tallied counts, summed over folded rows and changes not yet folded (PostgreSQL sums
/// BIGINTs as NUMERIC, hence the casts).
const SUMS: &str = "CAST(SUM(received) AS BIGINT) AS received, \
     CAST(SUM(rejected) AS BIGINT) AS rejected, CAST(SUM(closed) AS BIGINT) AS closed, \
     CAST(SUM(handled) AS BIGINT) AS handled, \
     CAST(SUM(handled_on_time) AS BIGINT) AS handled_on_time, \
     CAST(SUM(handled_late) AS BIGINT) AS handled_late, CAST(SUM(rated) AS BIGINT) AS rated, \
     CAST(SUM(satisfied) AS BIGINT) AS satisfied, CAST(SUM(closed_on) AS BIGINT) AS closed_on";

/// The summed columns of a tally row.
const TALLIED: &str = "day, category, received, rejected, closed, handled, handled_on_time, \
                       handled_late, rated, satisfied, closed_on";

/// Tally rows from both tables: folded rows (one per level) that `folded` picks, and the
/// unfolded changes (one per case node) that `changes` picks, each named by `changes_area`.
fn tally_rows(folded: &str, changes_area: &str, changes: &str) -> String {
    format!(
        "(SELECT area, {TALLIED} FROM case_tallies WHERE {folded} \
         UNION ALL SELECT {changes_area} AS area, {TALLIED} FROM case_tally_changes \
         WHERE {changes}) t"
    )
}

/// One group's summed tally.
#[derive(Debug, sqlx::FromRow)]
struct Sums {
    received: i64,
    rejected: i64,
    closed: i64,
    handled: i64,
    handled_on_time: i64,
    handled_late: i64,
    rated: i64,
    satisfied: i64,
    closed_on: i64,
}

impl Sums {
    /// The cases reported: `overdue` holds those handled late only (open cases past their
    /// deadline depend on the clock and come from [`open_cases`]).
    fn reported(&self) -> CaseCounts {
        CaseCounts {
            received: self.received,
            rejected: self.rejected,
            closed: self.closed,
            handled: self.handled,
            handled_on_time: self.handled_on_time,
            overdue: self.handled_late,
            rated: self.rated,
            satisfied: self.satisfied,
        }
    }
}

#[derive(sqlx::FromRow)]
struct DayRow {
    day: i64,
    category: String,
    #[sqlx(flatten)]
    sums: Sums,
}

#[derive(sqlx::FromRow)]
struct AreaRow {
    area: String,
    #[sqlx(flatten)]
    sums: Sums,
}

/// One day and category of an area's tally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayTally {
    /// Beijing day number (days since 1970-01-01).
    pub day: i64,
    /// Top-level category.
    pub category: String,
    /// Cases reported that day in the category; `overdue` counts those handled late only.
    pub reported: CaseCounts,
    /// Cases of the category closed that day.
    pub closed_on: i64,
}

/// The tally of `area` for Beijing days `from..=to`, per day and top-level category.
pub async fn area_tally(
    ex: &mut impl Exec,
    area: &str,
    (from, to): (i64, i64),
) -> Result<Vec<DayTally>, StoreError> {
    let q = Sql::new(format!(
        "SELECT day, category, {SUMS} FROM {} GROUP BY day, category ORDER BY day, category",
        tally_rows(
            "depth = ? AND area = ? AND day >= ? AND day <= ?",
            "area",
            "area >= ? AND area < ? AND day >= ? AND day <= ?"
        )
    ))
    .bind(area.len() as i32)
    .bind(area)
    .bind(from)
    .bind(to)
    .bind(area)
    .bind(format!("{area}:"))
    .bind(from)
    .bind(to);
    let rows: Vec<DayRow> = ex.all(q).await?;
    Ok(rows
        .into_iter()
        .map(|r| DayTally {
            day: r.day,
            reported: r.sums.reported(),
            closed_on: r.sums.closed_on,
            category: r.category,
        })
        .collect())
}

/// The tally of each area under `root` whose code is `child_len` long (its children, or
/// further down) for Beijing days `from..=to`: cases reported, with `overdue` counting those
/// handled late only.
pub async fn child_tallies(
    ex: &mut impl Exec,
    root: &str,
    child_len: usize,
    (from, to): (i64, i64),
) -> Result<Vec<(String, CaseCounts)>, StoreError> {
    let filter = "area > ? AND area < ? AND day >= ? AND day <= ?";
    let q = Sql::new(format!(
        "SELECT area, {SUMS} FROM {} GROUP BY area ORDER BY area",
        tally_rows(
            &format!("depth = ? AND {filter}"),
            "substr(area, 1, ?)",
            &format!("length(area) >= ? AND {filter}")
        )
    ))
    .bind(child_len as i32)
    .bind(root)
    .bind(format!("{root}:"))
    .bind(from)
    .bind(to)
    .bind(child_len as i32)
    .bind(child_len as i32)
    .bind(root)
    .bind(format!("{root}:"))
    .bind(from)
    .bind(to);
    let rows: Vec<AreaRow> = ex.all(q).await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.area, r.sums.reported()))
        .collect())
}

/// Changes a SQLite fold sums at a time. The sums are made on a read connection, beside the
/// intake; only writing them takes the one writer, for as long as the groups they fall in
/// (a few thousand at most, however many changes), so a slice may be large.
const FOLD_SLICE: i64 = 50_000;

/// Key of the advisory lock a PostgreSQL fold runs under (one per deployment).
const FOLD_LOCK: i64 = 4_508_020_003;

/// Where folded sums go, and how they add to what is there.
const TALLY_INTO: &str = "INSERT INTO case_tallies (depth, area, day, category, received, \
     rejected, closed, handled, handled_on_time, handled_late, rated, satisfied, closed_on) ";
const TALLY_ADD: &str = " ON CONFLICT (depth, area, day, category) DO UPDATE SET \
     received = case_tallies.received + excluded.received, \
     rejected = case_tallies.rejected + excluded.rejected, \
     closed = case_tallies.closed + excluded.closed, \
     handled = case_tallies.handled + excluded.handled, \
     handled_on_time = case_tallies.handled_on_time + excluded.handled_on_time, \
     handled_late = case_tallies.handled_late + excluded.handled_late, \
     rated = case_tallies.rated + excluded.rated, \
     satisfied = case_tallies.satisfied + excluded.satisfied, \
     closed_on = case_tallies.closed_on + excluded.closed_on";
const OPEN_INTO: &str = "INSERT INTO case_open_tallies (depth, area, category, open) ";
const OPEN_ADD: &str = " ON CONFLICT (depth, area, category) DO UPDATE SET \
     open = case_open_tallies.open + excluded.open";

/// One level's sums of a slice of changes, as a SQLite fold writes them.
#[derive(sqlx::FromRow)]
struct LevelSums {
    depth: i64,
    area: String,
    day: i64,
    category: String,
    #[sqlx(flatten)]
    sums: Sums,
}

/// One level's change in open cases, as a SQLite fold writes it.
#[derive(sqlx::FromRow)]
struct LevelOpen {
    depth: i64,
    area: String,
    category: String,
    open: i64,
}

/// Folds the tally changes the triggers appended into the running tallies; run every second
/// by the server. Readers sum both tables, so when it runs never changes a figure.
pub async fn fold(store: &crate::Store) -> Result<(), StoreError> {
    // Idle most seconds: a read is enough, where SQLite's fold would take the write lock.
    let (pending,): (i64,) = store
        .conn()
        .await?
        .one(Sql::new(
            "SELECT COUNT(*) FROM (SELECT 1 FROM case_tally_changes LIMIT 1) t",
        ))
        .await?;
    if pending == 0 {
        return Ok(());
    }
    // Each change, made at a case's node, counts at every level above it: the changes are
    // summed per node first (a second's reports fall on a few hundred nodes), then spread
    // over the levels.
    let levels = format!(
        "FROM (SELECT area, day, category, {SUMS}, CAST(SUM(open) AS BIGINT) AS open \
         FROM {{changes}} GROUP BY area, day, category) c \
         JOIN tally_depths d ON d.depth <= length(c.area) WHERE true"
    );
    let tallies = format!(
        "SELECT d.depth, substr(c.area, 1, d.depth) AS area, c.day, c.category, {SUMS} \
         {levels} GROUP BY 1, 2, 3, 4"
    );
    let open = format!(
        "SELECT d.depth, substr(c.area, 1, d.depth) AS area, c.category, \
         CAST(SUM(c.open) AS BIGINT) AS open {levels} GROUP BY 1, 2, 3 HAVING SUM(c.open) <> 0"
    );
    match store.backend() {
        crate::Backend::Sqlite => {
            let slice = "(SELECT * FROM case_tally_changes WHERE id <= ?)";
            fold_sqlite(
                store,
                &tallies.replace("{changes}", slice),
                &open.replace("{changes}", slice),
            )
            .await
        }
        // Writers append concurrently: fold exactly the rows this statement deletes. One
        // process folds at a time: another waits its turn and folds what is left, so when a
        // fold returns every change committed before it began is folded.
        crate::Backend::Postgres => {
            let mut tx = store.begin().await?;
            tx.exec(Sql::new("SELECT pg_advisory_xact_lock(?)").bind(FOLD_LOCK))
                .await?;
            let sql = format!(
                "WITH moved AS (DELETE FROM case_tally_changes RETURNING *), \
                 folded AS ({TALLY_INTO}{}{TALLY_ADD}) {OPEN_INTO}{}{OPEN_ADD}",
                tallies.replace("{changes}", "moved"),
                open.replace("{changes}", "moved")
            );
            tx.exec(Sql::new(sql)).await?;
            tx.commit().await
        }
    }
}

/// SQLite's fold, a slice at a time: sums the slice on a read connection (changes are only
/// ever appended, and only a fold removes them), then adds the sums and removes the slice in
/// one write transaction. Folds take turns, so no two sum the same slice.
async fn fold_sqlite(store: &crate::Store, tallies: &str, open: &str) -> Result<(), StoreError> {
    let _turn = store.fold_turn().await;
    loop {
        let mut conn = store.conn().await?;
        let (last, taken): (Option<i64>, i64) = conn
            .one(
                Sql::new(
                    "SELECT MAX(id), COUNT(*) FROM \
                     (SELECT id FROM case_tally_changes ORDER BY id LIMIT ?) t",
                )
                .bind(FOLD_SLICE),
            )
            .await?;
        let Some(last) = last else {
            return Ok(());
        };
        let levels: Vec<LevelSums> = conn.all(Sql::new(tallies).bind(last)).await?;
        let opens: Vec<LevelOpen> = conn.all(Sql::new(open).bind(last)).await?;
        drop(conn);
        let int = |n: i64| Cell::Int(Some(n));
        let level_rows: Vec<[Cell<'_>; 13]> = levels
            .iter()
            .map(|l| {
                let s = &l.sums;
                [
                    int(l.depth),
                    Cell::Text(Some(&l.area)),
                    int(l.day),
                    Cell::Text(Some(&l.category)),
                    int(s.received),
                    int(s.rejected),
                    int(s.closed),
                    int(s.handled),
                    int(s.handled_on_time),
                    int(s.handled_late),
                    int(s.rated),
                    int(s.satisfied),
                    int(s.closed_on),
                ]
            })
            .collect();
        let open_rows: Vec<[Cell<'_>; 4]> = opens
            .iter()
            .map(|o| {
                [
                    int(o.depth),
                    Cell::Text(Some(&o.area)),
                    Cell::Text(Some(&o.category)),
                    int(o.open),
                ]
            })
            .collect();
        let mut tx = store.begin().await?;
        let into = format!("{TALLY_INTO}VALUES ");
        let row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        insert_rows(&mut tx, (&into, row, TALLY_ADD), &level_rows, false).await?;
        let into = format!("{OPEN_INTO}VALUES ");
        insert_rows(
            &mut tx,
            (&into, "(?, ?, ?, ?)", OPEN_ADD),
            &open_rows,
            false,
        )
        .await?;
        tx.exec(Sql::new("DELETE FROM case_tally_changes WHERE id <= ?").bind(last))
            .await?;
        tx.commit().await?;
        if taken < FOLD_SLICE {
            return Ok(());
        }
    }
}

/// Open cases under `root` grouped by child (first `child_len` characters) and top-level
/// category.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OpenCases {
    /// Child code.
    pub child: String,
    /// Top-level category.
    pub category: String,
    /// Open now.
    pub open: i64,
    /// Of those, past their deadline now.
    pub overdue: i64,
    /// Reported in the period asked for and past their deadline now without having been
    /// handled late before (those are in the tally already).
    pub reported_overdue: i64,
}

/// What was open at an instant under a child of the root: cases, and of those past their
/// deadline then.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OpenAt {
    /// Child code.
    pub child: String,
    /// Open at the instant.
    pub open: i64,
    /// Of those, past the deadline they had then.
    pub overdue: i64,
}

/// The cases open under `root` at the instant `at` (ms), by child: each case's stage is that
/// of its last timeline entry before `at`, its deadlines and suspension those it had then
/// (`case_deadlines`). Cases handled before `at` for the last time, and cases rejected or
/// merged before it, cannot have been open and are not looked at.
pub async fn open_at(
    ex: &mut impl Exec,
    root: &str,
    child_len: usize,
    at: i64,
) -> Result<Vec<OpenAt>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT substr(c.node_code, 1, ?) AS child, COUNT(*) AS open, \
             COALESCE(SUM(CASE WHEN (e.to_stage = 'reported' AND COALESCE(d.suspended_at, ?) > d.accept_due) \
               OR (e.to_stage <> 'reported' AND COALESCE(d.suspended_at, ?) > d.handle_due) \
               THEN 1 ELSE 0 END), 0) AS overdue \
             FROM cases c \
             JOIN case_events e ON e.id = (SELECT e2.id FROM case_events e2 \
               WHERE e2.case_id = c.id AND e2.at < ? ORDER BY e2.at DESC, e2.id DESC LIMIT 1) \
             JOIN case_deadlines d ON d.id = (SELECT d2.id FROM case_deadlines d2 \
               WHERE d2.case_id = c.id AND d2.at < ? ORDER BY d2.at DESC, d2.id DESC LIMIT 1) \
             WHERE c.node_code >= ? AND c.node_code < ? AND c.created_at < ? \
             AND (c.handled_at IS NULL OR c.handled_at >= ?) \
             AND (c.stage NOT IN ('rejected', 'merged') OR c.updated_at >= ?) \
             AND e.to_stage IN ('reported', 'accepted', 'dispatched', 'in_progress') \
             GROUP BY 1 ORDER BY 1",
        )
        .bind(child_len as i32)
        .bind(at)
        .bind(at)
        .bind(at)
        .bind(at)
        .bind(root)
        .bind(format!("{root}:"))
        .bind(at)
        .bind(at)
        .bind(at),
    )
    .await
}

/// The cases open now under `root`, by child and category; `[from, to)` picks the reported
/// period whose overdue count is wanted. Cases placed at `root` itself or between it and its
/// children count under `root`'s own code. The open count is tallied; lateness (it depends on
/// the clock) is read from the open cases past their deadline alone.
pub async fn open_cases(
    ex: &mut impl Exec,
    root: &str,
    child_len: usize,
    (from, to): (i64, i64),
    now: i64,
) -> Result<Vec<OpenCases>, StoreError> {
    let mut out: BTreeMap<(String, String), OpenCases> = BTreeMap::new();
    fn row(
        out: &mut BTreeMap<(String, String), OpenCases>,
        child: String,
        category: String,
    ) -> &mut OpenCases {
        out.entry((child.clone(), category.clone()))
            .or_insert(OpenCases {
                child,
                category,
                open: 0,
                overdue: 0,
                reported_overdue: 0,
            })
    }
    let children = open_counts(ex, root, child_len).await?;
    let mut own: BTreeMap<String, i64> = BTreeMap::new();
    if child_len > root.len() {
        for (_, category, open) in open_counts(ex, root, root.len()).await? {
            *own.entry(category).or_default() += open;
        }
    }
    for (child, category, open) in children {
        if child_len > root.len() {
            *own.entry(category.clone()).or_default() -= open;
        }
        row(&mut out, child, category).open += open;
    }
    for (category, open) in own.into_iter().filter(|(_, n)| *n != 0) {
        row(&mut out, root.to_owned(), category).open += open;
    }
    for late in overdue(ex, root, child_len, (from, to), now).await? {
        let r = row(&mut out, late.child, late.category);
        r.overdue += late.overdue;
        r.reported_overdue += late.reported_overdue;
    }
    Ok(out.into_values().collect())
}

/// Open cases per area at depth `len` under `root` (`root` itself when `len` is its length)
/// and top-level category, from the folded open tally and the changes not yet folded.
async fn open_counts(
    ex: &mut impl Exec,
    root: &str,
    len: usize,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let under = "area >= ? AND area < ?";
    let rows: Vec<(String, String, i64)> = ex
        .all(
            Sql::new(format!(
                "SELECT area, category, CAST(SUM(open) AS BIGINT) FROM \
                 (SELECT area, category, open FROM case_open_tallies WHERE depth = ? AND {under} \
                  UNION ALL SELECT substr(area, 1, ?), category, open FROM case_tally_changes \
                  WHERE length(area) >= ? AND {under}) t \
                 GROUP BY area, category HAVING SUM(open) <> 0 ORDER BY area, category"
            ))
            .bind(len as i32)
            .bind(root)
            .bind(format!("{root}:"))
            .bind(len as i32)
            .bind(len as i32)
            .bind(root)
            .bind(format!("{root}:")),
        )
        .await?;
    Ok(rows)
}

/// Open cases under `root` past their deadline now, by child and top-level category (only
/// `overdue` and `reported_overdue` are set). Each stage group is read by the index on the
/// deadline that applies to it, so the read grows with the late cases, not the open ones.
async fn overdue(
    ex: &mut impl Exec,
    root: &str,
    child_len: usize,
    (from, to): (i64, i64),
    now: i64,
) -> Result<Vec<OpenCases>, StoreError> {
    // A suspended case is late if it was suspended after its deadline (a suspension is
    // always in the past, so the deadline has passed too).
    // SQLite's planner, without statistics, would rather range over the area's cases by node.
    let sqlite = ex.backend() == crate::Backend::Sqlite;
    let late = |due: &str, stages: &str| {
        let index = if sqlite {
            format!(" INDEXED BY cases_{due}_open")
        } else {
            String::new()
        };
        format!(
            "SELECT node_code, category_code, created_at, handled_at, handle_due FROM cases{index} \
             WHERE {stages} AND {due} < ? AND COALESCE(suspended_at, ?) > {due} \
             AND node_code >= ? AND node_code < ?"
        )
    };
    let mut q = Sql::new(format!(
        "SELECT substr(node_code, 1, ?) AS child, substr(category_code, 1, 2) AS category, \
         CAST(0 AS BIGINT) AS open, COUNT(*) AS overdue, \
         COALESCE(SUM(CASE WHEN created_at >= ? AND created_at < ? \
           AND NOT COALESCE(handled_at > handle_due, false) THEN 1 ELSE 0 END), 0) AS reported_overdue \
         FROM ({} UNION ALL {}) t GROUP BY 1, 2",
        late("accept_due", "stage = 'reported'"),
        late(
            "handle_due",
            "stage IN ('accepted', 'dispatched', 'in_progress')"
        ),
    ))
    .bind(child_len as i32)
    .bind(from)
    .bind(to);
    for _ in 0..2 {
        q = q.bind(now).bind(now).bind(root).bind(format!("{root}:"));
    }
    ex.all(q).await
}

/// 吹哨报到 under `root` for summonses issued in `[from, to)`: (summoned, reported in,
/// average minutes to report in). The period's summonses are read first, each looking up its
/// case's node, as `disputes::outcomes_by_area` does.
pub async fn summons_response(
    ex: &mut impl Exec,
    root: &str,
    (from, to): (i64, i64),
) -> Result<(i64, i64, Option<f64>), StoreError> {
    ex.one(
        Sql::new(
            "WITH s AS MATERIALIZED (SELECT s.summoned_at, s.reported_at, \
               (SELECT c.node_code FROM cases c WHERE c.id = s.case_id) AS node \
               FROM case_summons s WHERE s.summoned_at >= ? AND s.summoned_at < ?) \
             SELECT COUNT(*), COUNT(reported_at), \
             CAST(AVG(CASE WHEN reported_at IS NOT NULL THEN (reported_at - summoned_at) / 60000.0 END) AS DOUBLE PRECISION) \
             FROM s WHERE node >= ? AND node < ?",
        )
        .bind(from)
        .bind(to)
        .bind(root)
        .bind(format!("{root}:")),
    )
    .await
}

/// Visits made under `root` from day `from` to day `to` (inclusive).
pub async fn visits_done(
    ex: &mut impl Exec,
    root: &str,
    from: &str,
    to: &str,
) -> Result<i64, StoreError> {
    let (n,): (i64,) = ex
        .one(
            Sql::new(
                "SELECT COUNT(*) FROM visits WHERE day >= ? AND day <= ? \
                 AND node_code >= ? AND node_code < ?",
            )
            .bind(from)
            .bind(to)
            .bind(root)
            .bind(format!("{root}:")),
        )
        .await?;
    Ok(n)
}

/// The tagged residents under `root` who were registered before `at` (ms) and had not moved
/// out by `day`: for each, how often they are to be visited and the last visit to their
/// household on or before `day` (ISO).
pub async fn visit_duty_on(
    ex: &mut impl Exec,
    root: &str,
    day: &str,
    at: i64,
) -> Result<Vec<(i32, Option<String>)>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT k.visit_days, (SELECT MAX(v.day) FROM visits v \
               WHERE v.household_id = p.household_id AND v.day <= ?) \
             FROM person_tags t JOIN tag_kinds k ON k.code = t.tag \
             JOIN persons p ON p.id = t.person_id \
             WHERE k.visit_days IS NOT NULL AND (p.moved_out IS NULL OR p.moved_out > ?) \
             AND p.created_at < ? AND p.node_code >= ? AND p.node_code < ?",
        )
        .bind(day)
        .bind(day)
        .bind(at)
        .bind(root)
        .bind(format!("{root}:")),
    )
    .await
}

/// Tagged residents under `root` due a visit by `day` (overdue or never visited).
pub async fn visits_due(ex: &mut impl Exec, root: &str, day: &str) -> Result<i64, StoreError> {
    let (n,): (i64,) = ex
        .one(
            Sql::new(format!("SELECT COUNT(*) {}", crate::visits::DUE_FROM))
                .bind(root)
                .bind(format!("{root}:"))
                .bind(day),
        )
        .await?;
    Ok(n)
}
