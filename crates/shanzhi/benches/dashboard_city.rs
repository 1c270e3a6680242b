//! The dashboard benchmark's city (issue #5), run by `bench/dashboard.sh`: adds a generated
//! city (4509: 33,000 grids, 2,000,000 cases over the last year, 10,000,000 patrol points) to
//! a database the demo was seeded in, keeping the dashboard's tallies the way the server does
//! (the triggers, a fold after every 50,000 cases, the startup pass for patrol days); then
//! times the baseline — the straightforward GROUP BY over the raw case table — for one month
//! of a street and of the whole city, and prints it as Markdown.
//!
//! Environment: `SHANZHI_BENCH_DB` (SQLite file or postgres:// URL), `SZ_GRIDS` (33,000),
//! `SZ_CASES` (2,000,000), `SZ_POINTS` (10,000,000), `SZ_MONTH` (the month timed, YYYY-MM),
//! `SZ_BASELINE_ROUNDS` (10; each after one warm-up round).

use rand::{Rng, SeedableRng};
use shanzhi_app::Clock;
use shanzhi_domain::case::Day;
use shanzhi_domain::patrol::DailyRule;
use shanzhi_store::bulk::{Cell, insert_rows};
use shanzhi_store::{Exec, Sql, Store};
use std::time::Instant;

#[path = "common/city.rs"]
mod city;
use city::{CITY, env};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
const POINTS_PER_PATROL: usize = 40;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some((store, grids)) = city::open("bench/dashboard.sh").await? else {
        return Ok(());
    };
    let t = Instant::now();
    let n = cases(&store, &grids, env("SZ_CASES", 2_000_000)).await?;
    eprintln!("{n} cases in {:.0} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let points = patrols(&store, &grids, env("SZ_POINTS", 10_000_000)).await?;
    eprintln!(
        "{points} patrol points in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    let month = std::env::var("SZ_MONTH")?;
    let first = Day::parse(&format!("{month}-01")).ok_or_else(|| anyhow::anyhow!("SZ_MONTH"))?;
    let next = Day::parse(&format!("{}-01", next_month(&month)?))
        .ok_or_else(|| anyhow::anyhow!("SZ_MONTH"))?;
    let street = &grids[0][..9];
    // The baseline takes seconds a round at city size: fewer rounds than the API's.
    let rounds = env("SZ_BASELINE_ROUNDS", 10);
    let mut conn = store.conn().await?;
    // The steady state a running server reaches on its own: SQLite checkpointed (a WAL of
    // gigabytes slows every read), PostgreSQL vacuumed and analysed by autovacuum (index-only
    // scans need the visibility map; plans need statistics).
    conn.exec(Sql::new(match store.backend() {
        shanzhi_store::Backend::Sqlite => "PRAGMA wal_checkpoint(TRUNCATE)",
        shanzhi_store::Backend::Postgres => "VACUUM ANALYZE",
    }))
    .await?;
    for (label, root) in [("street", street), ("city", CITY)] {
        let mut times = Vec::with_capacity(rounds);
        let mut received = 0;
        for _ in 0..rounds + 1 {
            let t = Instant::now();
            received = baseline(
                &mut conn,
                root,
                root.len() + 3,
                (first.start_ms(), next.start_ms()),
            )
            .await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let mut times = times.split_off(1);
        times.sort_by(f64::total_cmp);
        let p = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
        println!(
            "| baseline GROUP BY, {label} {root}, {month} | {rounds} | {received} | {:.2} ms | {:.2} ms |",
            p(0.5),
            p(0.95)
        );
    }
    eprintln!("street {street}");
    Ok(())
}

fn next_month(month: &str) -> anyhow::Result<String> {
    let (y, m) = month
        .split_once('-')
        .ok_or_else(|| anyhow::anyhow!("SZ_MONTH is YYYY-MM"))?;
    let (y, m): (i32, u32) = (y.parse()?, m.parse()?);
    Ok(if m == 12 {
        format!("{}-01", y + 1)
    } else {
        format!("{y}-{:02}", m + 1)
    })
}

/// The straightforward query: every figure of the month's cases under `root` per child, in
/// one GROUP BY over the raw case table. Gives the cases received.
async fn baseline(
    ex: &mut impl Exec,
    root: &str,
    child_len: usize,
    (from, to): (i64, i64),
) -> anyhow::Result<i64> {
    let now = Clock::system().now_ms();
    let rows: Vec<(String, i64, i64, i64, i64, i64, i64)> = ex
        .all(
            Sql::new(
                "SELECT substr(node_code, 1, ?), \
                 COALESCE(SUM(CASE WHEN stage <> 'merged' THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN stage = 'rejected' THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN closed_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN handled_at <= handle_due THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN handled_at > handle_due OR (handled_at IS NULL \
                   AND stage IN ('reported', 'accepted', 'dispatched', 'in_progress') \
                   AND handle_due < ?) THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN satisfaction IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END), 0) \
                 FROM cases WHERE created_at >= ? AND created_at < ? \
                 AND node_code >= ? AND node_code < ? GROUP BY 1",
            )
            .bind(child_len as i32)
            .bind(now)
            .bind(from)
            .bind(to)
            .bind(root)
            .bind(format!("{root}:")),
        )
        .await?;
    Ok(rows.iter().map(|r| r.1).sum())
}

/// `count` cases spread over the last 365 days in the city's grids, each where a real one
/// would be by now: most closed (some late, most rated), a few refused or merged, the
/// recent ones still open. Folds the tallies after every 50,000. Gives the cases in the city.
async fn cases(store: &Store, grids: &[String], count: usize) -> anyhow::Result<i64> {
    let mut conn = store.conn().await?;
    let (have,): (i64,) = conn
        .one(
            Sql::new("SELECT COUNT(*) FROM cases WHERE node_code >= ? AND node_code < ?")
                .bind(CITY)
                .bind(format!("{CITY}:")),
        )
        .await?;
    if have > 0 {
        return Ok(have);
    }
    let categories: Vec<(String,)> = conn
        .all(Sql::new(
            "SELECT code FROM categories WHERE length(code) = 4 ORDER BY code",
        ))
        .await?;
    drop(conn);
    anyhow::ensure!(!categories.is_empty(), "seed the demo first (categories)");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let now = Clock::system().now_ms();
    let terms = shanzhi_domain::case::index_terms("压测事件 压测生成的事件").join(" ");
    for start in (0..count).step_by(50_000) {
        let batch: Vec<_> = (start..(start + 50_000).min(count))
            .map(|i| generated_case(&mut rng, i, now, grids, &categories))
            .collect();
        let rows: Vec<[Cell<'_>; 16]> = batch
            .iter()
            .map(|c| {
                [
                    Cell::Text(Some(&c.tracking)),
                    Cell::Text(Some(&c.category)),
                    Cell::Text(Some(&c.grid)),
                    Cell::Text(Some(c.stage)),
                    Cell::Text(Some(&c.grid)),
                    Cell::Int(Some(c.created + 2 * HOUR)),
                    Cell::Int(Some(c.created + 72 * HOUR)),
                    Cell::Int(Some(c.created)),
                    Cell::Int(Some(c.created)),
                    Cell::Int(c.handled),
                    Cell::Int(c.closed),
                    Cell::Text(c.satisfaction),
                    Cell::Text(Some("api")),
                    Cell::Text(Some("压测事件")),
                    Cell::Text(Some("压测生成的事件")),
                    Cell::Text(Some("grid")),
                ]
            })
            .collect();
        let mut tx = store.begin().await?;
        insert_rows(
            &mut tx,
            (
                "INSERT INTO cases (tracking_code, category_code, node_code, stage, holder_code, \
                 accept_due, handle_due, created_at, updated_at, handled_at, closed_at, satisfaction, \
                 source, title, description, tier) VALUES ",
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                "",
            ),
            &rows,
            false,
        )
        .await?;
        // Their search terms, as intake writes them (else the server indexes them at start).
        let range = (
            batch[0].tracking.clone(),
            batch[batch.len() - 1].tracking.clone(),
        );
        tx.exec(
            match store.backend() {
                shanzhi_store::Backend::Sqlite => Sql::new(
                    "INSERT INTO case_terms (rowid, terms) SELECT id, ? FROM cases \
                 WHERE tracking_code >= ? AND tracking_code <= ?",
                ),
                shanzhi_store::Backend::Postgres => Sql::new(
                    "UPDATE cases SET search_terms = string_to_array(?, ' ') \
                 WHERE tracking_code >= ? AND tracking_code <= ?",
                ),
            }
            .bind(terms.as_str())
            .bind(range.0)
            .bind(range.1),
        )
        .await?;
        tx.commit().await?;
        shanzhi_store::dashboard::fold(store).await?;
        // As the server does every second (the store turns SQLite's own checkpoints off).
        store.checkpoint().await?;
    }
    Ok(count as i64)
}

struct GeneratedCase {
    tracking: String,
    category: String,
    grid: String,
    stage: &'static str,
    created: i64,
    handled: Option<i64>,
    closed: Option<i64>,
    satisfaction: Option<&'static str>,
}

fn generated_case(
    rng: &mut impl Rng,
    i: usize,
    now: i64,
    grids: &[String],
    categories: &[(String,)],
) -> GeneratedCase {
    let created = now - rng.random_range(0..365 * DAY);
    let roll = rng.random_range(0..1000);
    let handled = created + rng.random_range(HOUR..96 * HOUR);
    let closed = handled + rng.random_range(HOUR..24 * HOUR);
    let (stage, handled, closed, satisfaction) = match roll {
        0..20 => ("rejected", None, None, None),
        20..30 => ("merged", None, None, None),
        // Recent ones still open, and one in 500 stalled.
        _ if closed > now || roll < 32 => {
            let open = ["reported", "accepted", "dispatched", "in_progress"];
            (open[roll as usize % 4], None, None, None)
        }
        32..400 => ("closed", Some(handled), Some(closed), None),
        _ => {
            let said = [
                "satisfied",
                "satisfied",
                "basically_satisfied",
                "dissatisfied",
            ];
            (
                "rated",
                Some(handled),
                Some(closed),
                Some(said[roll as usize % 4]),
            )
        }
    };
    GeneratedCase {
        tracking: format!("Y{i:09}"),
        category: categories[rng.random_range(0..categories.len())].0.clone(),
        grid: grids[rng.random_range(0..grids.len())].clone(),
        stage,
        created,
        handled,
        closed,
        satisfaction,
    }
}

/// Patrols of `POINTS_PER_PATROL` fixes each, `points` in all: a morning and an afternoon
/// round of 40 minutes on random grid-days of the last year (so those days meet 一日双巡),
/// ended, then tallied by the server's startup pass. Gives the points in the city.
async fn patrols(store: &Store, grids: &[String], points: usize) -> anyhow::Result<i64> {
    let mut conn = store.conn().await?;
    let (have,): (i64,) = conn
        .one(
            Sql::new("SELECT COUNT(*) FROM patrols WHERE node_code >= ? AND node_code < ?")
                .bind(CITY)
                .bind(format!("{CITY}:")),
        )
        .await?;
    if have > 0 {
        return Ok(have * POINTS_PER_PATROL as i64);
    }
    let (account,): (i64,) = conn
        .one(Sql::new("SELECT id FROM accounts WHERE username = 'admin'"))
        .await?;
    drop(conn);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let today = Day::of(Clock::system().now_ms());
    let pairs = points / POINTS_PER_PATROL / 2;
    let mut seen = std::collections::HashSet::new();
    let mut rows: Vec<(String, String, i64)> = Vec::with_capacity(pairs * 2);
    while rows.len() < pairs * 2 {
        let grid = rng.random_range(0..grids.len());
        let day = today.plus(-rng.random_range(1..=365));
        if seen.insert((grid, day)) {
            for hour in [8, 14] {
                rows.push((
                    grids[grid].clone(),
                    day.to_string(),
                    day.start_ms() + hour * HOUR,
                ));
            }
        }
    }
    let mut tx = store.begin().await?;
    let cells: Vec<[Cell<'_>; 6]> = rows
        .iter()
        .map(|(grid, day, start)| {
            [
                Cell::Text(Some(grid)),
                Cell::Int(Some(account)),
                Cell::Text(Some(day)),
                Cell::Int(Some(*start)),
                Cell::Int(Some(start + 40 * 60_000)),
                Cell::Text(Some("压测巡查")),
            ]
        })
        .collect();
    insert_rows(
        &mut tx,
        (
            "INSERT INTO patrols (node_code, account_id, day, started_at, ended_at, summary, \
             worker_label, metres, fixes_kept, fixes_dropped) VALUES ",
            "(?, ?, ?, ?, ?, ?, '压测', 1200, 40, 0)",
            "",
        ),
        &cells,
        false,
    )
    .await?;
    tx.exec(
        Sql::new(
            "INSERT INTO patrol_fixes (patrol_id, at_ms, lon, lat, accuracy_m, outside_m) \
             WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ?) \
             SELECT p.id, p.started_at + s.i * 60000, 109.6 + s.i * 0.0001, 23.1, 8, 0 \
             FROM patrols p CROSS JOIN s WHERE p.node_code >= ? AND p.node_code < ?",
        )
        .bind(POINTS_PER_PATROL as i64 - 1)
        .bind(CITY)
        .bind(format!("{CITY}:")),
    )
    .await?;
    tx.commit().await?;
    store.checkpoint().await?;
    let mut conn = store.conn().await?;
    shanzhi_store::patrols::tally_untallied(&mut conn, &DailyRule::default()).await?;
    Ok((rows.len() * POINTS_PER_PATROL) as i64)
}
