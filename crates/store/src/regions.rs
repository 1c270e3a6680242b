//! Region nodes: reads by code, children and subtree ranges, writes with their history.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::geo::Boundary;
use shanzhi_domain::region::{
    DedicatedKind, Existing, GridClass, ImportPlan, Level, NodeAction, RegionCode,
};
use std::collections::HashMap;

const COLUMNS: &str = "code, parent_code, name, level, class, dedicated_kind, feature, boundary, \
                       retired_at, created_at, updated_at";

/// A stored region node.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NodeRow {
    /// Unified code.
    pub code: String,
    /// Parent code (None for a root).
    pub parent_code: Option<String>,
    /// Name.
    pub name: String,
    /// Level.
    pub level: Level,
    /// Grid class.
    pub class: GridClass,
    /// Dedicated-grid subtype.
    pub dedicated_kind: Option<DedicatedKind>,
    /// 一网格一特色.
    pub feature: Option<String>,
    /// Boundary as GeoJSON geometry text, WGS-84.
    pub boundary: Option<String>,
    /// When retired (ms), if retired.
    pub retired_at: Option<i64>,
    /// Created (ms).
    pub created_at: i64,
    /// Last changed (ms).
    pub updated_at: i64,
}

impl NodeRow {
    /// The node's level.
    pub fn level(&self) -> Level {
        self.level
    }

    /// The node's class.
    pub fn class(&self) -> GridClass {
        self.class
    }

    /// The dedicated subtype.
    pub fn dedicated_kind(&self) -> Option<DedicatedKind> {
        self.dedicated_kind
    }

    /// The boundary parsed as a shape.
    pub fn boundary(&self) -> Result<Option<Boundary>, StoreError> {
        let Some(text) = &self.boundary else {
            return Ok(None);
        };
        let v: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| StoreError::Corrupt(format!("{}: {e}", self.code)))?;
        Boundary::from_geojson(&v, Default::default())
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("{}: {e}", self.code)))
    }
}

/// A node to insert.
#[derive(Debug, Clone)]
pub struct NewNode<'a> {
    /// Code.
    pub code: &'a RegionCode,
    /// Parent.
    pub parent: Option<&'a RegionCode>,
    /// Name.
    pub name: &'a str,
    /// Class.
    pub class: GridClass,
    /// Dedicated subtype.
    pub dedicated_kind: Option<DedicatedKind>,
    /// 一网格一特色.
    pub feature: Option<&'a str>,
    /// Boundary.
    pub boundary: Option<&'a Boundary>,
}

/// One entry of a node's history.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NodeEvent {
    /// When (ms).
    pub at: i64,
    /// Who (account id), if a person.
    pub actor_id: Option<i64>,
    /// What happened.
    pub action: NodeAction,
    /// Human-readable detail.
    pub detail: String,
}

/// Inserts a node and records its creation.
pub async fn insert(
    ex: &mut impl Exec,
    n: NewNode<'_>,
    actor: Option<i64>,
    action: NodeAction,
    now: i64,
) -> Result<(), StoreError> {
    let level = n.code.level();
    ex.exec(
        Sql::new(format!(
            "INSERT INTO region_nodes ({COLUMNS}, depth) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)"
        ))
        .bind(n.code.as_str())
        .bind(n.parent.map(|p| p.to_string()))
        .bind(n.name.trim())
        .bind(level.as_str())
        .bind(n.class.as_str())
        .bind(n.dedicated_kind.map(|k| k.as_str()))
        .bind(n.feature)
        .bind(n.boundary.map(|b| b.to_geojson().to_string()))
        .bind(now)
        .bind(now)
        .bind(level.depth()),
    )
    .await?;
    event(ex, n.code.as_str(), actor, action, n.name, now).await
}

async fn event(
    ex: &mut impl Exec,
    code: &str,
    actor: Option<i64>,
    action: NodeAction,
    detail: &str,
    now: i64,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new("INSERT INTO region_node_events (code, at, actor_id, action, detail) VALUES (?, ?, ?, ?, ?)")
            .bind(code)
            .bind(now)
            .bind(actor)
            .bind(action.as_str())
            .bind(detail),
    )
    .await
    .map(drop)
}

/// Writes a whole checked import plan (the caller owns the transaction).
pub async fn insert_plan(
    ex: &mut impl Exec,
    plan: &ImportPlan,
    actor: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    for n in &plan.nodes {
        let new = NewNode {
            code: &n.draft.code,
            parent: n.parent.as_ref(),
            name: &n.draft.name,
            class: n.draft.class,
            dedicated_kind: n.draft.dedicated_kind,
            feature: n.feature.as_deref(),
            boundary: n.boundary.as_ref(),
        };
        insert(ex, new, actor, NodeAction::Imported, now).await?;
    }
    Ok(())
}

/// One node by code (retired ones included).
pub async fn get(ex: &mut impl Exec, code: &str) -> Result<Option<NodeRow>, StoreError> {
    ex.opt(Sql::new(format!("SELECT {COLUMNS} FROM region_nodes WHERE code = ?")).bind(code))
        .await
}

/// One node by code without its boundary (cheaper when only the facts are needed: placing a
/// report, checking scope).
pub async fn get_facts(ex: &mut impl Exec, code: &str) -> Result<Option<NodeRow>, StoreError> {
    ex.opt(
        Sql::new(
            "SELECT code, parent_code, name, level, class, dedicated_kind, feature, NULL AS boundary, \
             retired_at, created_at, updated_at FROM region_nodes WHERE code = ?",
        )
        .bind(code),
    )
    .await
}

/// Which of `codes` are retired (a report placed in one by a moment-old locate index is
/// refused in the transaction that would write it).
pub async fn retired_among(ex: &mut impl Exec, codes: &[&str]) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for chunk in crate::bulk::runs(codes, 512) {
        let mut q =
            Sql::new("SELECT code FROM region_nodes WHERE retired_at IS NOT NULL AND code IN (");
        for (i, c) in chunk.iter().enumerate() {
            q.push_bind(if i == 0 { "?" } else { ", ?" }, *c);
        }
        q.push(")");
        let rows: Vec<(String,)> = ex.all(q).await?;
        out.extend(rows.into_iter().map(|(c,)| c));
    }
    Ok(out)
}

/// The stored facts the importer needs about `codes`.
pub async fn existing(
    ex: &mut impl Exec,
    codes: &[String],
) -> Result<HashMap<String, Existing>, StoreError> {
    let mut out = HashMap::new();
    for chunk in codes.chunks(500) {
        let mut q = Sql::new("SELECT code, level, retired_at FROM region_nodes WHERE code IN (");
        for (i, c) in chunk.iter().enumerate() {
            q.push_bind(if i == 0 { "?" } else { ", ?" }, c.as_str());
        }
        q.push(")");
        let rows: Vec<(String, String, Option<i64>)> = ex.all(q).await?;
        for (code, level, retired) in rows {
            let level =
                Level::from_typed(&level).ok_or_else(|| StoreError::Corrupt(code.clone()))?;
            out.insert(
                code,
                Existing {
                    level,
                    retired: retired.is_some(),
                },
            );
        }
    }
    Ok(out)
}

/// Live children of a node (roots when `parent` is None), in code order.
pub async fn children(
    ex: &mut impl Exec,
    parent: Option<&str>,
) -> Result<Vec<NodeRow>, StoreError> {
    let q = match parent {
        Some(p) => Sql::new(format!(
            "SELECT {COLUMNS} FROM region_nodes WHERE parent_code = ? AND retired_at IS NULL ORDER BY code"
        ))
        .bind(p),
        None => Sql::new(format!(
            "SELECT {COLUMNS} FROM region_nodes WHERE parent_code IS NULL AND retired_at IS NULL ORDER BY code"
        )),
    };
    ex.all(q).await
}

/// A page of a subtree in code order: live nodes under `root` (itself included; everything
/// when None), optionally of one level, after the `after` code. A code-prefix range scan on
/// the primary key (or the (level, code) index), never a recursive walk.
pub async fn subtree_page(
    ex: &mut impl Exec,
    root: Option<&RegionCode>,
    level: Option<Level>,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<NodeRow>, StoreError> {
    let mut q = Sql::new(format!(
        "SELECT {COLUMNS} FROM region_nodes WHERE retired_at IS NULL"
    ));
    if let Some(r) = root {
        q.push_bind(" AND code >= ?", r.as_str())
            .push_bind(" AND code < ?", r.subtree_upper());
    }
    if let Some(l) = level {
        q.push_bind(" AND level = ?", l.as_str());
    }
    if let Some(a) = after {
        q.push_bind(" AND code > ?", a);
    }
    q.push_bind(" ORDER BY code LIMIT ?", i64::from(limit));
    ex.all(q).await
}

/// Codes of the live grids and micro-grids under `root` (everything when None): where
/// registers may place people and places.
pub async fn grid_codes(ex: &mut impl Exec, root: Option<&str>) -> Result<Vec<String>, StoreError> {
    let mut q = Sql::new(
        "SELECT code FROM region_nodes WHERE retired_at IS NULL AND level IN ('grid', 'micro_grid')",
    );
    if let Some(r) = root {
        q.push_bind(" AND code >= ?", r)
            .push_bind(" AND code < ?", format!("{r}:"));
    }
    Ok(ex
        .all::<(String,)>(q)
        .await?
        .into_iter()
        .map(|(c,)| c)
        .collect())
}

/// Codes and names of the live grids (not micro-grids) under `root`, in code order: the units
/// patrols and assessments are counted in.
pub async fn grids_named(
    ex: &mut impl Exec,
    root: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT code, name FROM region_nodes WHERE retired_at IS NULL AND level = 'grid' \
             AND code >= ? AND code < ? ORDER BY code",
        )
        .bind(root)
        .bind(format!("{root}:")),
    )
    .await
}

/// Live grids under `root` (or `root` itself when it is one).
pub async fn count_grids(ex: &mut impl Exec, root: &str) -> Result<i64, StoreError> {
    let (n,): (i64,) = ex
        .one(
            Sql::new(
                "SELECT COUNT(*) FROM region_nodes WHERE retired_at IS NULL AND level = 'grid' \
                 AND code >= ? AND code < ?",
            )
            .bind(root)
            .bind(format!("{root}:")),
        )
        .await?;
    Ok(n)
}

/// Live node counts under `root`, grouped by the child of `root` they fall under and by level:
/// (child code, level, count). One grouped range scan feeds the region browser's counts.
pub async fn counts_by_child(
    ex: &mut impl Exec,
    root: &RegionCode,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let Some(child) = root.level().child() else {
        return Ok(Vec::new());
    };
    let n = child.code_len() as i64;
    // CAST: PostgreSQL's substr takes an integer, and bound Rust integers are BIGINT.
    ex.all(
        Sql::new(
            "SELECT substr(code, 1, CAST(? AS INTEGER)) AS child, level, count(*) AS n FROM region_nodes \
             WHERE code > ? AND code < ? AND retired_at IS NULL AND length(code) > ? \
             GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .bind(n)
        .bind(root.as_str())
        .bind(root.subtree_upper())
        .bind(n),
    )
    .await
}

/// Live node counts in a subtree by level: (level, count).
pub async fn counts_by_level(
    ex: &mut impl Exec,
    root: &RegionCode,
) -> Result<Vec<(String, i64)>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT level, count(*) FROM region_nodes WHERE code > ? AND code < ? \
             AND retired_at IS NULL GROUP BY level",
        )
        .bind(root.as_str())
        .bind(root.subtree_upper()),
    )
    .await
}

/// Renames a node, keeping the old name in its history.
pub async fn rename(
    ex: &mut impl Exec,
    code: &str,
    name: &str,
    actor: Option<i64>,
    now: i64,
) -> Result<bool, StoreError> {
    let Some(old) = get(ex, code).await? else {
        return Ok(false);
    };
    ex.exec(
        Sql::new("UPDATE region_nodes SET name = ?, updated_at = ? WHERE code = ?")
            .bind(name.trim())
            .bind(now)
            .bind(code),
    )
    .await?;
    event(
        ex,
        code,
        actor,
        NodeAction::Renamed,
        &format!("{} → {}", old.name, name.trim()),
        now,
    )
    .await?;
    Ok(true)
}

/// Sets or clears a node's boundary.
pub async fn set_boundary(
    ex: &mut impl Exec,
    code: &str,
    boundary: Option<&Boundary>,
    actor: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new("UPDATE region_nodes SET boundary = ?, updated_at = ? WHERE code = ?")
            .bind(boundary.map(|b| b.to_geojson().to_string()))
            .bind(now)
            .bind(code),
    )
    .await?;
    let detail = if boundary.is_some() {
        "边界已更新"
    } else {
        "边界已清除"
    };
    event(ex, code, actor, NodeAction::Boundary, detail, now).await
}

/// Retires a node and its whole subtree (soft: rows and codes stay, so codes are never
/// reused). Returns the codes retired.
pub async fn retire(
    ex: &mut impl Exec,
    root: &RegionCode,
    reason: &str,
    actor: Option<i64>,
    now: i64,
) -> Result<Vec<String>, StoreError> {
    let codes: Vec<(String,)> = ex
        .all(
            Sql::new("SELECT code FROM region_nodes WHERE code >= ? AND code < ? AND retired_at IS NULL ORDER BY code")
                .bind(root.as_str())
                .bind(root.subtree_upper()),
        )
        .await?;
    ex.exec(
        Sql::new("UPDATE region_nodes SET retired_at = ?, updated_at = ? WHERE code >= ? AND code < ? AND retired_at IS NULL")
            .bind(now)
            .bind(now)
            .bind(root.as_str())
            .bind(root.subtree_upper()),
    )
    .await?;
    for (code,) in &codes {
        event(ex, code, actor, NodeAction::Retired, reason, now).await?;
    }
    Ok(codes.into_iter().map(|(c,)| c).collect())
}

/// What still lives under a node: what retiring it would strand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Holdings {
    /// Cases not yet closed.
    pub open_cases: i64,
    /// Accounts that may still log in.
    pub accounts: i64,
    /// People in the residents register.
    pub persons: i64,
    /// Key places.
    pub places: i64,
}

impl Holdings {
    /// Whether nothing lives there.
    pub fn is_empty(&self) -> bool {
        *self == Holdings::default()
    }
}

/// The stages of a case still being worked on.
const OPEN: &str = "('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified')";

/// What lives under `root` (the node and its subtree).
pub async fn holdings(ex: &mut impl Exec, root: &RegionCode) -> Result<Holdings, StoreError> {
    let (lo, hi) = (root.as_str(), root.subtree_upper());
    let count = |table: &str, extra: &str| {
        Sql::new(format!(
            "SELECT COUNT(*) FROM {table} WHERE node_code >= ? AND node_code < ?{extra}"
        ))
        .bind(lo)
        .bind(hi.clone())
    };
    let (open_cases,): (i64,) = ex
        .one(count("cases", &format!(" AND stage IN {OPEN}")))
        .await?;
    let (accounts,): (i64,) = ex.one(count("accounts", " AND active")).await?;
    let (persons,): (i64,) = ex.one(count("persons", "")).await?;
    let (places,): (i64,) = ex.one(count("places", "")).await?;
    Ok(Holdings {
        open_cases,
        accounts,
        persons,
        places,
    })
}

/// Hands what lives under `root` to the node `to`: open cases (where they are and who holds
/// them), the registers (buildings, households, people, places, staff postings); accounts
/// bound there can no longer log in and their sessions end.
pub async fn hand_over(
    ex: &mut impl Exec,
    root: &RegionCode,
    to: &str,
    now: i64,
) -> Result<(), StoreError> {
    let (lo, hi) = (root.as_str(), root.subtree_upper());
    let within = " WHERE node_code >= ? AND node_code < ?";
    ex.exec(
        Sql::new(format!(
            "UPDATE cases SET node_code = ?, updated_at = ?{within} AND stage IN {OPEN}"
        ))
        .bind(to)
        .bind(now)
        .bind(lo)
        .bind(hi.clone()),
    )
    .await?;
    ex.exec(
        Sql::new(format!(
            "UPDATE cases SET holder_code = ?, updated_at = ? \
             WHERE holder_code >= ? AND holder_code < ? AND stage IN {OPEN}"
        ))
        .bind(to)
        .bind(now)
        .bind(lo)
        .bind(hi.clone()),
    )
    .await?;
    for table in [
        "buildings",
        "households",
        "persons",
        "places",
        "staff",
        "staff_grids",
    ] {
        ex.exec(
            Sql::new(format!("UPDATE {table} SET node_code = ?{within}"))
                .bind(to)
                .bind(lo)
                .bind(hi.clone()),
        )
        .await?;
    }
    let bound = "SELECT id FROM accounts WHERE node_code >= ? AND node_code < ?";
    for table in ["sessions", "api_tokens"] {
        ex.exec(
            Sql::new(format!("DELETE FROM {table} WHERE account_id IN ({bound})"))
                .bind(lo)
                .bind(hi.clone()),
        )
        .await?;
    }
    ex.exec(
        Sql::new(format!(
            "UPDATE accounts SET active = FALSE, updated_at = ?{within} AND active"
        ))
        .bind(now)
        .bind(lo)
        .bind(hi),
    )
    .await?;
    Ok(())
}

/// Brings back the nodes retired with `root` (retired at the same moment); returns their codes.
pub async fn restore(
    ex: &mut impl Exec,
    root: &RegionCode,
    retired_at: i64,
    actor: Option<i64>,
    now: i64,
) -> Result<Vec<String>, StoreError> {
    let codes: Vec<(String,)> = ex
        .all(
            Sql::new("SELECT code FROM region_nodes WHERE code >= ? AND code < ? AND retired_at = ? ORDER BY code")
                .bind(root.as_str())
                .bind(root.subtree_upper())
                .bind(retired_at),
        )
        .await?;
    ex.exec(
        Sql::new("UPDATE region_nodes SET retired_at = NULL, updated_at = ? WHERE code >= ? AND code < ? AND retired_at = ?")
            .bind(now)
            .bind(root.as_str())
            .bind(root.subtree_upper())
            .bind(retired_at),
    )
    .await?;
    for (code,) in &codes {
        event(ex, code, actor, NodeAction::Restored, "", now).await?;
    }
    Ok(codes.into_iter().map(|(c,)| c).collect())
}

/// A node's history, oldest first.
pub async fn events(ex: &mut impl Exec, code: &str) -> Result<Vec<NodeEvent>, StoreError> {
    ex.all(Sql::new("SELECT at, actor_id, action, detail FROM region_node_events WHERE code = ? ORDER BY id").bind(code))
        .await
}

/// The live grids under `root` that have a boundary (what a warning's area is laid over).
pub async fn grids_with_boundaries(
    ex: &mut impl Exec,
    root: &str,
) -> Result<Vec<NodeRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {COLUMNS} FROM region_nodes WHERE code >= ? AND code < ? AND level = ? \
             AND boundary IS NOT NULL AND retired_at IS NULL ORDER BY code"
        ))
        .bind(root)
        .bind(format!("{root}:"))
        .bind(shanzhi_domain::region::Level::Grid.as_str()),
    )
    .await
}

/// Every live node with a boundary, for building the locate index.
pub async fn with_boundaries(ex: &mut impl Exec) -> Result<Vec<NodeRow>, StoreError> {
    ex.all(Sql::new(format!(
        "SELECT {COLUMNS} FROM region_nodes WHERE boundary IS NOT NULL AND retired_at IS NULL ORDER BY code"
    )))
    .await
}

/// What holds a position and a grid, so a redrawn boundary may put it in another grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Positioned {
    /// A key place.
    Place,
    /// A case not yet closed (closed ones keep where they were handled).
    Case,
    /// A building, with its households and people.
    Building,
}

impl Positioned {
    /// Its name in the preview.
    pub fn label(self) -> &'static str {
        match self {
            Positioned::Place => "场所",
            Positioned::Case => "事件",
            Positioned::Building => "楼栋",
        }
    }
}

/// A thing with a position: which, its id, its grid, where it is and what it is called.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionedRow {
    /// Which kind.
    pub kind: Positioned,
    /// Its id.
    pub id: i64,
    /// The grid it is in now.
    pub node_code: String,
    /// Longitude (WGS-84).
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Its name or title.
    pub label: String,
}

/// Everything with a position in the box `[west, south, east, north]`.
pub async fn positioned_in(
    ex: &mut impl Exec,
    [west, south, east, north]: [f64; 4],
) -> Result<Vec<PositionedRow>, StoreError> {
    let mut out = Vec::new();
    for (kind, table, label, only) in [
        (Positioned::Place, "places", "name", String::new()),
        (
            Positioned::Case,
            "cases",
            "title",
            format!(" AND stage IN {OPEN}"),
        ),
        (Positioned::Building, "buildings", "name", String::new()),
    ] {
        let rows: Vec<(i64, String, f64, f64, String)> = ex
            .all(
                Sql::new(format!(
                    "SELECT id, node_code, lon, lat, {label} FROM {table} \
                     WHERE lon >= ? AND lon <= ? AND lat >= ? AND lat <= ?{only} ORDER BY id"
                ))
                .bind(west)
                .bind(east)
                .bind(south)
                .bind(north),
            )
            .await?;
        out.extend(
            rows.into_iter()
                .map(|(id, node_code, lon, lat, label)| PositionedRow {
                    kind,
                    id,
                    node_code,
                    lon,
                    lat,
                    label,
                }),
        );
    }
    Ok(out)
}

/// Moves a thing to grid `to`: a place; an open case (and its holder, when the grid held it);
/// a building with its households and people.
pub async fn move_positioned(
    ex: &mut impl Exec,
    kind: Positioned,
    id: i64,
    to: &str,
    now: i64,
) -> Result<(), StoreError> {
    match kind {
        Positioned::Place => {
            ex.exec(
                Sql::new("UPDATE places SET node_code = ?, updated_at = ? WHERE id = ?")
                    .bind(to)
                    .bind(now)
                    .bind(id),
            )
            .await?;
        }
        Positioned::Case => {
            ex.exec(
                Sql::new(format!(
                    "UPDATE cases SET holder_code = CASE WHEN holder_code = node_code THEN ? \
                     ELSE holder_code END, node_code = ?, updated_at = ? WHERE id = ? AND stage IN {OPEN}"
                ))
                .bind(to)
                .bind(to)
                .bind(now)
                .bind(id),
            )
            .await?;
        }
        Positioned::Building => {
            let houses = "SELECT id FROM houses WHERE building_id = ?";
            ex.exec(
                Sql::new("UPDATE buildings SET node_code = ? WHERE id = ?")
                    .bind(to)
                    .bind(id),
            )
            .await?;
            ex.exec(
                Sql::new(format!(
                    "UPDATE persons SET node_code = ?, community_code = ?, updated_at = ? \
                     WHERE household_id IN (SELECT id FROM households WHERE house_id IN ({houses}))"
                ))
                .bind(to)
                .bind(&to[..to.len().min(12)])
                .bind(now)
                .bind(id),
            )
            .await?;
            ex.exec(
                Sql::new(format!(
                    "UPDATE households SET node_code = ?, updated_at = ? WHERE house_id IN ({houses})"
                ))
                .bind(to)
                .bind(now)
                .bind(id),
            )
            .await?;
        }
    }
    Ok(())
}
