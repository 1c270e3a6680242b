//! Address → grid for every intake path (the staff form, the resident page, 12345 imports,
//! Open311, opinion → case): the gazetteer built from the district's own registers and
//! boundaries (`shanzhi_domain::geocode`). Each process keeps a copy (`kept`), rebuilt when a
//! building, a place, a region or a road range changed.

use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError, Principal};
pub use shanzhi_domain::geocode::{CONFIDENT, Geocoded, Target, TargetKind};
use shanzhi_domain::geocode::{Gazetteer, Side};
use shanzhi_store::gazetteer as store;
use std::sync::Arc;

/// Where a process keeps its copy.
pub type Slot = crate::kept::Kept<Gazetteer>;

/// A building or place row as the gazetteer takes it.
fn borrowed((id, code, name, address): &store::Named) -> (i64, &str, &str, &str) {
    (*id, code, name, address)
}

/// Builds the gazetteer from what the database holds now.
async fn build(state: &App) -> Result<Gazetteer, AppError> {
    let mut conn = state.store().conn().await?;
    let regions = store::regions(&mut conn).await?;
    let buildings = store::buildings(&mut conn).await?;
    let places = store::places(&mut conn).await?;
    let roads = store::roads(&mut conn).await?;
    drop(conn);
    let built = tokio::task::spawn_blocking(move || {
        let regions: Vec<(&str, &str)> = regions
            .iter()
            .map(|(c, n)| (c.as_str(), n.as_str()))
            .collect();
        let buildings: Vec<_> = buildings.iter().map(borrowed).collect();
        let places: Vec<_> = places.iter().map(borrowed).collect();
        let roads: Vec<(&str, u32, u32, Side, &str)> = roads
            .iter()
            .map(|(road, first, last, side, code)| {
                let n = |v: &i32| u32::try_from(*v).unwrap_or(0);
                (road.as_str(), n(first), n(last), *side, code.as_str())
            })
            .collect();
        Gazetteer::new(&regions, &buildings, &places, &roads)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(built)
}

/// The current gazetteer: this process's copy, checked against the database every two
/// seconds and rebuilt when what it is built from changed.
pub async fn gazetteer(state: &App) -> Result<Arc<Gazetteer>, AppError> {
    state
        .gazetteer_slot()
        .get(
            || async { Ok(store::version(&mut state.store().conn().await?).await?) },
            |_| async {
                let g = build(state).await?;
                tracing::info!(names = g.len(), "gazetteer built");
                Ok(g)
            },
        )
        .await
}

/// Reads an address (for the intake paths, which ask the policy themselves).
pub async fn locate(state: &App, address: &str) -> Result<Geocoded, AppError> {
    Ok(gazetteer(state).await?.locate(address))
}

/// `GET /api/v1/geocode`: an address read for staff who file cases.
pub async fn geocode(state: &App, k: &Principal, q: &str) -> Result<Geocoded, AppError> {
    k.may(Resource::Case, Verb::Write)?;
    let q = q.trim();
    if q.is_empty() || q.chars().count() > 200 {
        return Err(AppError::bad(
            "invalid_address",
            "请填写地址（不超过 200 字）",
        ));
    }
    locate(state, q).await
}

/// Where a report with only an address is filed, with what was read: the node the gazetteer
/// names (a grid when sure; else the lowest node holding every candidate, or the top of the
/// tree when nothing matched — the 待定位 queue of that level).
pub async fn node_for(
    state: &App,
    address: &str,
) -> Result<(shanzhi_store::regions::NodeRow, Geocoded), AppError> {
    use shanzhi_store::regions as region_store;
    let found = locate(state, address).await?;
    let mut conn = state.store().conn().await?;
    let node = match region_store::get(&mut conn, &found.code).await? {
        Some(n) if n.retired_at.is_none() => Some(n),
        _ => region_store::children(&mut conn, None)
            .await?
            .into_iter()
            .next(),
    };
    let node = node.ok_or_else(|| AppError::bad("no_regions", "尚未建立网格体系，无法受理"))?;
    Ok((node, found))
}

/// What an import of road ranges did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RoadsImported {
    /// The area whose ranges the file replaced.
    pub root: String,
    /// Ranges now kept there.
    pub ranges: usize,
}

/// Replaces the road ranges of the caller's area (or `root` within it) with a sheet's (CSV in
/// UTF-8 or GBK, xlsx, xls, WPS): every row is checked first — the columns, the numbers, the
/// side, each grid live and inside the area — and one bad row imports nothing, every bad row
/// reported with its number. The ranges and the audit record are one transaction.
pub async fn import_roads(
    state: &App,
    k: &Principal,
    root: Option<&str>,
    (name, bytes): (&str, &[u8]),
) -> Result<RoadsImported, AppError> {
    use shanzhi_domain::geocode::roads;
    k.may(Resource::Region, Verb::Write)?;
    let root = root
        .or(k.actor.scope_root())
        .ok_or_else(|| AppError::bad("node_required", "请指定导入哪个区域的门牌段"))?
        .to_owned();
    k.must_see(&root)?;
    let table = crate::hotline::sheet_table(state, name, bytes, roads::COLUMNS)?;
    let (ranges, mut problems) = roads::read(&table);
    let mut conn = state.store().conn().await?;
    let mut rows = Vec::with_capacity(ranges.len());
    for (row, road, first, last, side, grid) in ranges {
        let live = shanzhi_store::regions::get(&mut conn, &grid)
            .await?
            .is_some_and(|n| n.retired_at.is_none());
        if !live || !grid.starts_with(&root) {
            problems.push((row, format!("网格编码 {grid} 不存在、已撤销或不在本区域内")));
            continue;
        }
        let n = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        rows.push((road, n(first), n(last), side, grid));
    }
    drop(conn);
    if !problems.is_empty() {
        problems.sort();
        let details: Vec<serde_json::Value> = problems
            .iter()
            .map(|(row, message)| serde_json::json!({"row": row, "message": message}))
            .collect();
        let (row, first) = &problems[0];
        return Err(AppError::Unprocessable {
            code: "invalid_rows",
            message: format!(
                "第 {row} 行：{first} 等共 {} 行有误，未导入任何门牌段，请改正后重新导入",
                problems.len()
            ),
            details: serde_json::Value::Array(details),
        });
    }
    let now = state.now_ms();
    let mut tx = state.store().begin().await?;
    store::replace_roads(&mut tx, &root, &rows, now).await?;
    let entry = crate::audit::entry(
        now,
        &crate::audit::Actor::of(k),
        "geocode.roads",
        format!("region:{root}"),
        Some(&root),
        serde_json::json!({"ranges": rows.len(), "file": name}),
    );
    crate::audit::record(&mut tx, [entry]);
    tx.commit().await?;
    Ok(RoadsImported {
        root,
        ranges: rows.len(),
    })
}
