//! The generated city the city-scale benchmarks share (4509: 10 districts × 15 streets × 20
//! communities, and grids spread evenly over the communities), added beside the demo district.

use shanzhi_app::Clock;
use shanzhi_store::bulk::{Cell, insert_rows};
use shanzhi_store::{Exec, Sql, Store, StoreOptions};

/// The generated city's code.
pub const CITY: &str = "4509";
const DISTRICTS: usize = 10;
const STREETS: usize = 15;
const COMMUNITIES: usize = 20;

/// The database `SHANZHI_BENCH_DB` names, opened, with the city's `SZ_GRIDS` grids (33,000)
/// added if it has none; None (and a word on what to run) when it is not set.
pub async fn open(script: &str) -> anyhow::Result<Option<(Store, Vec<String>)>> {
    let Ok(db) = std::env::var("SHANZHI_BENCH_DB") else {
        eprintln!("SHANZHI_BENCH_DB not set; run {script}");
        return Ok(None);
    };
    let store = Store::open(&StoreOptions::from_config(
        Some(&db),
        std::path::Path::new("."),
    ))
    .await?;
    let grids = regions(&store, env("SZ_GRIDS", 33_000)).await?;
    Ok(Some((store, grids)))
}

/// A count from the environment, or `default`.
pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The city's districts, streets, communities and `grids` grids (kept if already there).
/// Gives the grid codes.
async fn regions(store: &Store, grids: usize) -> anyhow::Result<Vec<String>> {
    let per_community = grids.div_ceil(DISTRICTS * STREETS * COMMUNITIES);
    let mut nodes: Vec<(String, Option<String>, String, &str, i16)> =
        vec![(CITY.into(), None, "压测市".into(), "city", 1)];
    let mut grid_codes = Vec::new();
    for d in 1..=DISTRICTS {
        let district = format!("{CITY}{d:02}");
        nodes.push((
            district.clone(),
            Some(CITY.into()),
            format!("第{d}区"),
            "district",
            2,
        ));
        for s in 1..=STREETS {
            let street = format!("{district}{s:03}");
            nodes.push((
                street.clone(),
                Some(district.clone()),
                format!("第{d}区{s}街道"),
                "street",
                3,
            ));
            for c in 1..=COMMUNITIES {
                let community = format!("{street}{c:03}");
                nodes.push((
                    community.clone(),
                    Some(street.clone()),
                    format!("{s}街道{c}社区"),
                    "community",
                    4,
                ));
                for g in 1..=per_community {
                    let grid = format!("{community}{g:03}");
                    nodes.push((
                        grid.clone(),
                        Some(community.clone()),
                        format!("{c}社区第{g}网格"),
                        "grid",
                        5,
                    ));
                    grid_codes.push(grid);
                }
            }
        }
    }
    let mut tx = store.begin().await?;
    let (have,): (i64,) = tx
        .one(Sql::new("SELECT COUNT(*) FROM region_nodes WHERE code = ?").bind(CITY))
        .await?;
    if have > 0 {
        return Ok(grid_codes);
    }
    let now = Clock::system().now_ms();
    let rows: Vec<[Cell<'_>; 8]> = nodes
        .iter()
        .map(|(code, parent, name, level, depth)| {
            [
                Cell::Text(Some(code)),
                Cell::Text(parent.as_deref()),
                Cell::Text(Some(name)),
                Cell::Text(Some(level)),
                Cell::Text(Some("comprehensive")),
                Cell::Int(Some(now)),
                Cell::Int(Some(now)),
                Cell::Int(Some(i64::from(*depth))),
            ]
        })
        .collect();
    insert_rows(
        &mut tx,
        (
            "INSERT INTO region_nodes (code, parent_code, name, level, class, created_at, updated_at, depth) VALUES ",
            "(?, ?, ?, ?, ?, ?, ?, ?)",
            "",
        ),
        &rows,
        false,
    )
    .await?;
    tx.commit().await?;
    Ok(grid_codes)
}
