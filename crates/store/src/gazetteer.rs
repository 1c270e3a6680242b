//! What the gazetteer (地址定位) is built from — the live regions' names, the buildings and
//! places of the registers with their addresses, the imported road ranges — and a version
//! that changes when any of them does, so every process rebuilds its copy after a change.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::geocode::Side;

/// A fingerprint of everything the gazetteer is built from: counts and newest ids or edit
/// times. Equal fingerprints: nothing was added, removed or edited.
pub async fn version(ex: &mut impl Exec) -> Result<Vec<i64>, StoreError> {
    let row: (i64, i64, i64, i64, i64, i64, i64) = ex
        .one(Sql::new(
            "SELECT (SELECT COUNT(*) FROM buildings), (SELECT COALESCE(MAX(id), 0) FROM buildings), \
             (SELECT COUNT(*) FROM places), (SELECT COALESCE(MAX(updated_at), 0) FROM places), \
             (SELECT COALESCE(MAX(updated_at), 0) FROM region_nodes), \
             (SELECT COUNT(*) FROM road_ranges), (SELECT COALESCE(MAX(id), 0) FROM road_ranges)",
        ))
        .await?;
    Ok(vec![row.0, row.1, row.2, row.3, row.4, row.5, row.6])
}

/// Streets, communities, grids and micro-grids in service: (code, name).
pub async fn regions(ex: &mut impl Exec) -> Result<Vec<(String, String)>, StoreError> {
    ex.all(Sql::new(
        "SELECT code, name FROM region_nodes WHERE length(code) >= 9 AND retired_at IS NULL \
         ORDER BY code",
    ))
    .await
}

/// A building or place: id, node, name, address.
pub type Named = (i64, String, String, String);

/// The buildings of the residents register.
pub async fn buildings(ex: &mut impl Exec) -> Result<Vec<Named>, StoreError> {
    ex.all(Sql::new(
        "SELECT id, node_code, name, address FROM buildings ORDER BY id",
    ))
    .await
}

/// The places of the places register.
pub async fn places(ex: &mut impl Exec) -> Result<Vec<Named>, StoreError> {
    ex.all(Sql::new(
        "SELECT id, node_code, name, address FROM places ORDER BY id",
    ))
    .await
}

/// A road range: road, first and last number, side, node.
pub type Range = (String, i32, i32, Side, String);

/// The imported road ranges.
pub async fn roads(ex: &mut impl Exec) -> Result<Vec<Range>, StoreError> {
    ex.all(Sql::new(
        "SELECT road, first_no, last_no, side, node_code FROM road_ranges ORDER BY id",
    ))
    .await
}

/// Replaces the road ranges under `root` with `rows` (an import is the whole list).
pub async fn replace_roads(
    ex: &mut impl Exec,
    root: &str,
    rows: &[Range],
    now: i64,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new("DELETE FROM road_ranges WHERE node_code >= ? AND node_code < ?")
            .bind(root)
            .bind(format!("{root}:")),
    )
    .await?;
    for (road, first, last, side, code) in rows {
        ex.exec(
            Sql::new(
                "INSERT INTO road_ranges (road, first_no, last_no, side, node_code, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(road.as_str())
            .bind(*first)
            .bind(*last)
            .bind(side.as_str())
            .bind(code.as_str())
            .bind(now),
        )
        .await?;
    }
    Ok(())
}
