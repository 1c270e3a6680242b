//! Region tree operations.

use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError, audit};
use geo::{BoundingRect, MultiPolygon, Rect, coord};
use serde_json::{Value, json};
use shanzhi_domain::auth::Actor;
use shanzhi_domain::geo::{Boundary, Coverage, Crs, IndexItem, LocateIndex, check_coverage};
use shanzhi_domain::region::{
    DedicatedKind, FeatureError, GridClass, ImportNode, ImportPlan, Level, NodeDraft, ParentFacts,
    RegionCode, parse_import, validate_child,
};
pub use shanzhi_store::regions::Positioned;
use shanzhi_store::regions::{self, Holdings, NewNode};
pub use shanzhi_store::regions::{NodeEvent, NodeRow};
use shanzhi_store::{Exec, StoreError};
use std::collections::{BTreeSet, HashMap};

/// Puts nodes whose boundary or standing changed on the change feed, with the change: every
/// process brings its locate index up to date ([`refresh_index`]).
fn announce(tx: &mut shanzhi_store::Tx, codes: &[String], now: i64) {
    if codes.is_empty() {
        return;
    }
    if let Ok(json) = serde_json::to_string(codes) {
        tx.publish(shanzhi_domain::notify::FeedKind::Regions, json, now);
    }
}

/// Reads `codes` back into this process's locate index: a live node with a boundary is put
/// in (or redrawn), anything else taken out.
pub async fn refresh_index(state: &App, codes: &[String]) -> Result<(), AppError> {
    let mut conn = state.store().conn().await?;
    let mut items = Vec::new();
    let mut gone = Vec::new();
    for code in codes {
        let row = regions::get(&mut conn, code).await?;
        match (row, RegionCode::parse(code)) {
            (Some(r), Ok(rc)) if r.retired_at.is_none() => match r.boundary()? {
                Some(b) => items.push(index_item(&rc, r.class(), &b)),
                None => gone.push(code.clone()),
            },
            _ => gone.push(code.clone()),
        }
    }
    state.update_index(|idx| {
        gone.iter().for_each(|c| idx.remove(c));
        items.into_iter().for_each(|i| idx.upsert(i));
    });
    Ok(())
}

/// The facts of a node the locate index placed a point in, kept in memory while the index
/// stays as it is (every report made from a position asks).
pub(crate) async fn located(state: &App, code: &str) -> Result<Option<NodeRow>, AppError> {
    let read = async {
        Ok::<_, AppError>(regions::get_facts(&mut state.store().conn().await?, code).await?)
    };
    state.located().get_or_read(code, read).await
}

/// Parses a code from a path or form, as a 404 when it is not even a code (nothing to hint).
pub fn code_or_404(code: &str) -> Result<RegionCode, AppError> {
    RegionCode::parse(code).map_err(|_| AppError::not_found())
}

/// A node's boundary as a shape, if it has one (a stored boundary that does not parse is an
/// internal error: imports check every boundary).
pub fn outline(row: &NodeRow) -> Result<Option<MultiPolygon>, AppError> {
    Ok(row.boundary()?.map(|b| b.shape().clone()))
}

/// A live or retired node the actor may see; 404 otherwise.
pub async fn visible(state: &App, actor: &Actor, code: &str) -> Result<NodeRow, AppError> {
    if !actor.sees(code) {
        return Err(AppError::not_found());
    }
    regions::get(&mut state.store().conn().await?, code)
        .await?
        .ok_or_else(AppError::not_found)
}

/// A node the actor may manage; 404 when unseen, 403 when seen but not theirs to change.
async fn manageable(state: &App, actor: &Actor, code: &str) -> Result<NodeRow, AppError> {
    let row = visible(state, actor, code).await?;
    if !actor.may_manage_node(code, row.level()) {
        return Err(AppError::Forbidden("您的角色不能修改这个节点".into()));
    }
    if row.retired_at.is_some() {
        return Err(AppError::Conflict("节点已撤销，不能再修改".into()));
    }
    Ok(row)
}

fn index_item(code: &RegionCode, class: GridClass, b: &Boundary) -> IndexItem {
    IndexItem {
        code: code.to_string(),
        level: code.level(),
        class,
        shape: b.shape().clone(),
    }
}

/// What a caller asks to create.
#[derive(Debug, Clone)]
pub struct CreateNode {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Class (default comprehensive).
    pub class: Option<GridClass>,
    /// Dedicated subtype.
    pub dedicated_kind: Option<DedicatedKind>,
    /// 一网格一特色.
    pub feature: Option<String>,
    /// Boundary geometry (GeoJSON).
    pub boundary: Option<Value>,
    /// Coordinate system of the boundary.
    pub crs: Crs,
}

fn parse_boundary(v: Option<&Value>, crs: Crs) -> Result<Option<Boundary>, AppError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(g) => Boundary::from_geojson(g, crs)
            .map(Some)
            .map_err(|e| AppError::bad("invalid_boundary", e.to_string())),
    }
}

/// Creates one node under its parent (implied by its code).
pub async fn create(state: &App, actor: &Actor, input: CreateNode) -> Result<NodeRow, AppError> {
    actor.may(Resource::Region, Verb::Write)?;
    let code =
        RegionCode::parse(&input.code).map_err(|e| AppError::bad("invalid_code", e.to_string()))?;
    let level = code.level();
    let parent_code = code.implied_parent();
    let draft = NodeDraft {
        code: code.clone(),
        name: input.name.trim().to_owned(),
        class: input.class.unwrap_or(GridClass::Comprehensive),
        dedicated_kind: input.dedicated_kind,
    };
    let boundary = parse_boundary(input.boundary.as_ref(), input.crs)?;
    let mut tx = state.store().begin().await?;
    let parent_row = match &parent_code {
        Some(p) => regions::get(&mut tx, p.as_str())
            .await?
            .filter(|_| actor.sees(p.as_str())),
        None => None,
    };
    // A district or city whose implied parent is not stored becomes a root (deployment-wide
    // admins only); every other level needs its parent.
    if parent_row.is_none()
        && let Some(p) = parent_code.filter(|_| !level.may_be_root())
    {
        return Err(AppError::NotFound(format!(
            "上级节点 {p} 不存在，或不在您的管辖范围内"
        )));
    }
    if !actor.may_manage_node(code.as_str(), level)
        || (parent_row.is_none() && actor.scope_root().is_some())
    {
        return Err(AppError::Forbidden("您的角色不能在这里新建节点".into()));
    }
    let facts = parent_row.as_ref().map(|r| ParentFacts {
        code: &r.code,
        level: r.level(),
        retired: r.retired_at.is_some(),
    });
    validate_child(&draft, facts).map_err(|e| AppError::bad("tree_rule", e.to_string()))?;
    if regions::get(&mut tx, code.as_str()).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "编码 {code} 已存在（编码唯一且永不复用）"
        )));
    }
    let parent = parent_row
        .as_ref()
        .map(|r| RegionCode::parse(&r.code))
        .transpose()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let new = NewNode {
        code: &code,
        parent: parent.as_ref(),
        name: &draft.name,
        class: draft.class,
        dedicated_kind: draft.dedicated_kind,
        feature: input
            .feature
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty()),
        boundary: boundary.as_ref(),
    };
    regions::insert(
        &mut tx,
        new,
        Some(actor.account_id),
        shanzhi_domain::region::NodeAction::Created,
        state.now_ms(),
    )
    .await?;
    let row = regions::get(&mut tx, code.as_str())
        .await?
        .ok_or_else(AppError::not_found)?;
    if boundary.is_some() {
        announce(&mut tx, &[code.to_string()], state.now_ms());
    }
    tx.commit().await?;
    if let Some(b) = &boundary {
        state.update_index(|idx| idx.upsert(index_item(&code, draft.class, b)));
        state.announced();
    }
    Ok(row)
}

/// A change to a node: any field left `None` stays as it is.
#[derive(Debug, Clone, Default)]
pub struct UpdateNode {
    /// New name.
    pub name: Option<String>,
    /// New boundary; `Some(Value::Null)` clears it.
    pub boundary: Option<Value>,
    /// Coordinate system of the boundary.
    pub crs: Crs,
}

/// Renames and/or redraws a node; the code never changes.
pub async fn update(
    state: &App,
    actor: &Actor,
    code: &str,
    change: UpdateNode,
) -> Result<NodeRow, AppError> {
    actor.may(Resource::Region, Verb::Write)?;
    let row = manageable(state, actor, code).await?;
    let boundary = match &change.boundary {
        None => None,
        Some(v) => Some(parse_boundary(Some(v), change.crs)?),
    };
    let mut tx = state.store().begin().await?;
    if let Some(name) = &change.name {
        let n = name.trim().chars().count();
        if n == 0 || n > 64 {
            return Err(AppError::bad(
                "invalid_name",
                "名称不能为空，且不超过 64 个字",
            ));
        }
        regions::rename(&mut tx, code, name, Some(actor.account_id), state.now_ms()).await?;
    }
    if let Some(b) = &boundary {
        regions::set_boundary(
            &mut tx,
            code,
            b.as_ref(),
            Some(actor.account_id),
            state.now_ms(),
        )
        .await?;
    }
    let updated = regions::get(&mut tx, code)
        .await?
        .ok_or_else(AppError::not_found)?;
    // A new name too: every process forgets the facts it kept of the node.
    let changed = boundary.is_some() || change.name.is_some();
    if changed {
        announce(&mut tx, &[code.to_owned()], state.now_ms());
    }
    tx.commit().await?;
    match boundary {
        // The index's update forgets the kept facts with it.
        Some(b) => {
            let rc = code_or_404(code)?;
            state.update_index(|idx| match &b {
                Some(b) => idx.upsert(index_item(&rc, row.class(), b)),
                None => idx.remove(code),
            });
        }
        None if changed => state.located().forget(),
        None => {}
    }
    if changed {
        state.announced();
    }
    Ok(updated)
}

/// What retiring a node did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Retirement {
    /// The node and its live descendants, now retired.
    pub retired: Vec<String>,
    /// What lived there and was handed to `moved_to`.
    pub moved: Holdings,
    /// Where it went.
    pub moved_to: Option<String>,
}

/// How long a retired node may be brought back.
const RESTORE_WINDOW_MS: i64 = 30 * 86_400_000;

/// Retires a node and its subtree (soft: history and codes are kept; codes are never reused).
/// A node with open cases, active accounts or people and places in its registers is retired
/// only when the caller names where they go — a live sibling or the parent — and then in one
/// transaction: cases and registers move there, accounts can no longer log in.
pub async fn retire(
    state: &App,
    actor: &Actor,
    code: &str,
    reason: &str,
    move_to: Option<&str>,
) -> Result<Retirement, AppError> {
    actor.may(Resource::Region, Verb::Write)?;
    let row = manageable(state, actor, code).await?;
    if actor.scope_root() == Some(code) {
        return Err(AppError::Forbidden("不能撤销自己所在的节点".into()));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::bad("reason_required", "撤销节点必须填写原因"));
    }
    let rc = code_or_404(code)?;
    let to = match move_to.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Some(successor(state, actor, &row, t).await?),
        None => None,
    };
    let now = state.now_ms();
    let mut tx = state.store().begin().await?;
    let held = regions::holdings(&mut tx, &rc).await?;
    match (&to, held.is_empty()) {
        (_, true) => {}
        (None, false) => {
            return Err(AppError::Unprocessable {
                code: "node_not_empty",
                message: format!(
                    "{}下还有在办事件 {} 件、可登录账号 {} 个、登记居民 {} 人、重点场所 {} 处：\
                     请指定转交给哪个同级或上级节点（事件和台账转过去，账号停用）",
                    row.name, held.open_cases, held.accounts, held.persons, held.places
                ),
                details: json!(held),
            });
        }
        (Some(to), false) => regions::hand_over(&mut tx, &rc, to, now).await?,
    }
    let retired = regions::retire(&mut tx, &rc, reason, Some(actor.account_id), now).await?;
    let moved = if to.is_some() {
        held
    } else {
        Holdings::default()
    };
    let record = audit::entry(
        now,
        &audit::Actor::of_account(&mut tx, actor).await?,
        "region.retire",
        format!("region:{code}"),
        Some(code),
        json!({"reason": reason, "retired": retired, "moved": moved, "moved_to": to}),
    );
    audit::record(&mut tx, [record]);
    announce(&mut tx, &retired, now);
    // The accounts bound there can no longer log in.
    crate::accounts::callers_changed(state, tx).await?;
    state.update_index(|idx| retired.iter().for_each(|c| idx.remove(c)));
    Ok(Retirement {
        retired,
        moved,
        moved_to: to,
    })
}

/// Where a retired node's holdings may go: its parent or a live sibling, in the caller's scope.
async fn successor(
    state: &App,
    actor: &Actor,
    row: &NodeRow,
    to: &str,
) -> Result<String, AppError> {
    let target = visible(state, actor, to).await?;
    let parent = row.parent_code.as_deref();
    let sibling = target.parent_code.as_deref() == parent && target.code != row.code;
    if target.retired_at.is_some() || !(sibling || Some(target.code.as_str()) == parent) {
        return Err(AppError::bad(
            "invalid_successor",
            format!("{to} 不是可以接收的节点：请选上级节点或未撤销的同级节点"),
        ));
    }
    Ok(target.code)
}

/// Brings back a node retired in the last 30 days, with the nodes retired with it, by the same
/// level that could retire it. What was handed over stays where it went.
pub async fn restore(state: &App, actor: &Actor, code: &str) -> Result<Vec<String>, AppError> {
    actor.may(Resource::Region, Verb::Write)?;
    let row = visible(state, actor, code).await?;
    if !actor.may_manage_node(code, row.level()) {
        return Err(AppError::Forbidden("您的角色不能恢复这个节点".into()));
    }
    let Some(retired_at) = row.retired_at else {
        return Err(AppError::Conflict("节点没有撤销，无需恢复".into()));
    };
    let now = state.now_ms();
    if now - retired_at > RESTORE_WINDOW_MS {
        return Err(AppError::Conflict(
            "撤销已超过 30 天，不能再恢复；如需要请新建节点".into(),
        ));
    }
    let mut tx = state.store().begin().await?;
    if let Some(parent) = &row.parent_code
        && regions::get(&mut tx, parent)
            .await?
            .is_some_and(|p| p.retired_at.is_some())
    {
        return Err(AppError::Conflict(
            "上级节点已撤销：请先恢复上级节点".into(),
        ));
    }
    let rc = code_or_404(code)?;
    let restored = regions::restore(&mut tx, &rc, retired_at, Some(actor.account_id), now).await?;
    let mut items = Vec::new();
    for c in &restored {
        if let Some(r) = regions::get(&mut tx, c).await?
            && let Some(b) = r.boundary()?
            && let Ok(rc) = RegionCode::parse(c)
        {
            items.push(index_item(&rc, r.class(), &b));
        }
    }
    announce(&mut tx, &restored, now);
    tx.commit().await?;
    state.update_index(|idx| items.into_iter().for_each(|i| idx.upsert(i)));
    state.announced();
    Ok(restored)
}

/// How to take a boundary file in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportHow {
    /// A revision: nodes already registered are redrawn (their boundaries replaced) instead
    /// of refused; new ones are added.
    pub revise: bool,
    /// With a revision: move places, open cases and buildings into the grid their position
    /// now lies in.
    pub replace: bool,
    /// Only say what would happen.
    pub check_only: bool,
}

/// A node a revision redraws.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Revision {
    /// Its code.
    pub code: String,
    /// Its name (the file's).
    pub name: String,
    /// Its name before, when the file renames it.
    pub renamed_from: Option<String>,
    /// Its area before, km² (none when it had no boundary).
    pub area_before_km2: Option<f64>,
    /// Its area after, km².
    pub area_after_km2: f64,
}

/// Something a revision puts in another grid.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Move {
    /// A place, an open case or a building.
    pub kind: Positioned,
    /// Its id.
    pub id: i64,
    /// Its name or title.
    pub label: String,
    /// Its grid now.
    pub from: String,
    /// The grid its position lies in after the revision.
    pub to: String,
}

/// The result of a successful import.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Nodes written.
    pub imported: usize,
    /// Of which with a boundary.
    pub with_boundary: usize,
    /// Nodes redrawn by a revision.
    pub revised: Vec<Revision>,
    /// What the redrawn boundaries put in another grid.
    pub moves: Vec<Move>,
    /// Whether those were moved (a revision asked to re-place them).
    pub replaced: bool,
    /// Whether anything was written (false: a check only).
    pub committed: bool,
    /// Coverage of every parent whose comprehensive children have boundaries.
    pub coverage: Vec<Coverage>,
}

fn feature_errors(errors: Vec<FeatureError>) -> AppError {
    AppError::Unprocessable {
        code: "import_invalid",
        message: format!(
            "导入文件有 {} 处错误，未写入任何数据；请逐条修改后重新导入",
            errors.len()
        ),
        details: json!(errors),
    }
}

fn km2(shape: &MultiPolygon<f64>) -> f64 {
    use geo::ChamberlainDuquetteArea;
    shape.chamberlain_duquette_unsigned_area() / 1_000_000.0
}

/// The smallest box holding both.
fn union_box(a: Option<Rect<f64>>, b: Option<Rect<f64>>) -> Option<Rect<f64>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Rect::new(
            coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )),
        (a, b) => a.or(b),
    }
}

/// Where a point lies once the redrawn nodes (in `overlay`; `parents`: each one's parent)
/// replace their old boundaries, given `old`, where the current index puts it.
fn relocated(
    overlay: &LocateIndex,
    old: Option<&str>,
    parents: &HashMap<String, Option<String>>,
    lon: f64,
    lat: f64,
) -> Option<String> {
    let new = overlay.locate(lon, lat).comprehensive().map(str::to_owned);
    match old {
        // It was in a redrawn node: now in whichever redrawn node holds it, or that one's parent.
        Some(o) if parents.contains_key(o) => new.or_else(|| parents.get(o).cloned().flatten()),
        // Elsewhere: only a redrawn node below where it was takes it.
        Some(o) => Some(match new {
            Some(n) if n.len() > o.len() && n.starts_with(o) => n,
            _ => o.to_owned(),
        }),
        None => new,
    }
}

/// Imports a FeatureCollection in one transaction: all or nothing. A revision (`how.revise`)
/// redraws the nodes already registered and says what their new boundaries put in another
/// grid, moving it when `how.replace`; `how.check_only` writes nothing (the coverage it
/// reports is measured inside the transaction, which is then rolled back).
pub async fn import(
    state: &App,
    actor: &Actor,
    doc: &Value,
    crs: Crs,
    how: ImportHow,
) -> Result<ImportReport, AppError> {
    actor.may(Resource::Region, Verb::Write)?;
    let nodes = parse_import(doc, crs).map_err(feature_errors)?;
    let mut tx = state.store().begin().await?;
    let stored = regions::existing(&mut tx, &ImportPlan::referenced_codes(&nodes)).await?;
    let (redraw, nodes): (Vec<ImportNode>, Vec<ImportNode>) = nodes
        .into_iter()
        .partition(|n| how.revise && stored.contains_key(n.draft.code.as_str()));
    let scope_errors: Vec<FeatureError> = nodes
        .iter()
        .chain(&redraw)
        .filter(|n| {
            !actor.may_manage_node(n.draft.code.as_str(), n.draft.code.level())
                || (n.parent.is_none() && actor.scope_root().is_some())
        })
        .map(|n| FeatureError {
            index: Some(n.index),
            code: Some(n.draft.code.to_string()),
            message: "不在您可管理的范围内".into(),
        })
        .collect();
    if !scope_errors.is_empty() {
        return Err(feature_errors(scope_errors));
    }
    let mut errors = Vec::new();
    let mut revised = Vec::new();
    let mut overlay_items = Vec::new();
    let mut redrawn_items = Vec::new();
    let mut parents: HashMap<String, Option<String>> = HashMap::new();
    let mut bounds: Option<Rect<f64>> = None;
    for n in &redraw {
        let code = n.draft.code.as_str();
        let row = regions::get(&mut tx, code)
            .await?
            .filter(|r| r.retired_at.is_none());
        let (Some(row), Some(b)) = (row, &n.boundary) else {
            errors.push(FeatureError {
                index: Some(n.index),
                code: Some(code.to_owned()),
                message: "修订须带边界（几何），且节点未撤销".into(),
            });
            continue;
        };
        let before = row.boundary()?;
        bounds = union_box(
            bounds,
            before.as_ref().and_then(|b| b.shape().bounding_rect()),
        );
        bounds = union_box(bounds, b.shape().bounding_rect());
        let name = n.draft.name.trim().to_owned();
        if name.chars().count() > 64 {
            errors.push(FeatureError {
                index: Some(n.index),
                code: Some(code.to_owned()),
                message: "名称不超过 64 个字".into(),
            });
            continue;
        }
        revised.push(Revision {
            code: code.to_owned(),
            renamed_from: (name != row.name).then(|| row.name.clone()),
            name,
            area_before_km2: before.as_ref().map(|b| km2(b.shape())),
            area_after_km2: km2(b.shape()),
        });
        parents.insert(code.to_owned(), row.parent_code.clone());
        let item = index_item(&n.draft.code, row.class(), b);
        if row.class() == GridClass::Comprehensive {
            overlay_items.push(item.clone());
        }
        redrawn_items.push(item);
    }
    if !errors.is_empty() {
        return Err(feature_errors(errors));
    }
    let plan = ImportPlan::check(nodes, &stored).map_err(feature_errors)?;
    // What the redrawn boundaries put in another grid.
    let mut moves = Vec::new();
    if let Some(b) = bounds {
        let overlay = LocateIndex::build(overlay_items);
        let area = [b.min().x, b.min().y, b.max().x, b.max().y];
        for p in regions::positioned_in(&mut tx, area).await? {
            let old =
                state.with_index(|idx| idx.locate(p.lon, p.lat).comprehensive().map(str::to_owned));
            let new = relocated(&overlay, old.as_deref(), &parents, p.lon, p.lat);
            if let Some(to) = new.filter(|n| Some(n) != old.as_ref() && *n != p.node_code) {
                moves.push(Move {
                    kind: p.kind,
                    id: p.id,
                    label: p.label.clone(),
                    from: p.node_code.clone(),
                    to,
                });
            }
        }
    }
    let now = state.now_ms();
    regions::insert_plan(&mut tx, &plan, Some(actor.account_id), now).await?;
    for r in revised.iter().filter(|r| r.renamed_from.is_some()) {
        regions::rename(&mut tx, &r.code, &r.name, Some(actor.account_id), now).await?;
    }
    for n in &redraw {
        regions::set_boundary(
            &mut tx,
            n.draft.code.as_str(),
            n.boundary.as_ref(),
            Some(actor.account_id),
            now,
        )
        .await?;
    }
    let replaced = how.revise && how.replace;
    if replaced {
        for m in &moves {
            regions::move_positioned(&mut tx, m.kind, m.id, &m.to, now).await?;
        }
    }
    let mut items: Vec<IndexItem> = plan
        .nodes
        .iter()
        .filter_map(|n| {
            n.boundary
                .as_ref()
                .map(|b| index_item(&n.draft.code, n.draft.class, b))
        })
        .collect();
    let with_boundary = items.len();
    let mut parent_codes: BTreeSet<String> = plan
        .nodes
        .iter()
        .filter(|n| n.boundary.is_some() && n.draft.class == GridClass::Comprehensive)
        .filter_map(|n| n.parent.as_ref().map(ToString::to_string))
        .collect();
    parent_codes.extend(parents.values().flatten().cloned());
    let mut coverage = Vec::with_capacity(parent_codes.len());
    for p in parent_codes {
        if let Some(c) = coverage_of_parent(&mut tx, &p).await? {
            coverage.push(c);
        }
    }
    let report = ImportReport {
        imported: plan.nodes.len(),
        with_boundary,
        revised,
        moves,
        replaced,
        committed: !how.check_only,
        coverage,
    };
    if how.check_only {
        return Ok(report);
    }
    if !report.revised.is_empty() {
        let who = audit::Actor::of_account(&mut tx, actor).await?;
        let record = audit::entry(
            now,
            &who,
            "region.revise",
            format!("regions:{}", report.revised.len()),
            actor.scope_root(),
            json!({"redrawn": report.revised.iter().map(|r| &r.code).collect::<Vec<_>>(),
                   "moves": report.moves.len(), "replaced": replaced}),
        );
        audit::record(&mut tx, [record]);
    }
    let mut drawn: Vec<String> = items.iter().map(|i| i.code.clone()).collect();
    drawn.extend(redrawn_items.iter().map(|i| i.code.clone()));
    announce(&mut tx, &drawn, now);
    tx.commit().await?;
    state.announced();
    items.extend(redrawn_items);
    state.update_index(|idx| items.into_iter().for_each(|i| idx.upsert(i)));
    Ok(report)
}

/// Coverage of a parent by its live comprehensive children with boundaries (read in `ex`, so
/// a check sees its own uncommitted writes).
async fn coverage_of_parent(ex: &mut impl Exec, code: &str) -> Result<Option<Coverage>, AppError> {
    let Some(parent) = regions::get(ex, code).await? else {
        return Ok(None);
    };
    let kids = regions::children(ex, Some(code)).await?;
    let mut children = Vec::new();
    for k in kids
        .iter()
        .filter(|k| k.class() == GridClass::Comprehensive)
    {
        if let Some(b) = k.boundary()? {
            children.push((k.code.clone(), b.shape().clone()));
        }
    }
    if children.is_empty() {
        return Ok(None);
    }
    let parent_shape = parent.boundary()?.map(|b| b.shape().clone());
    let code = code.to_owned();
    tokio::task::spawn_blocking(move || {
        let refs: Vec<(&str, &MultiPolygon<f64>)> =
            children.iter().map(|(c, s)| (c.as_str(), s)).collect();
        match &parent_shape {
            Some(p) => check_coverage(&code, p, &refs),
            // Without a parent boundary only overlaps can be judged: measure against the union.
            None => {
                let union = geo::unary_union(refs.iter().map(|(_, s)| *s));
                check_coverage(&code, &union, &refs)
            }
        }
    })
    .await
    .map(Some)
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// Coverage report for a node the actor may see.
pub async fn coverage(
    state: &App,
    actor: &Actor,
    code: &str,
) -> Result<Option<Coverage>, AppError> {
    actor.may(Resource::Region, Verb::Read)?;
    visible(state, actor, code).await?;
    coverage_of_parent(&mut state.store().conn().await?, code).await
}

/// Exports the live subtree under `root` (the actor's whole scope when None) as a
/// FeatureCollection in the import format, so export → import round-trips.
pub async fn export(state: &App, actor: &Actor, root: Option<&str>) -> Result<Value, AppError> {
    actor.may(Resource::Region, Verb::Export)?;
    let root = match root.or(actor.scope_root()) {
        Some(r) => {
            visible(state, actor, r).await?;
            Some(code_or_404(r)?)
        }
        None => None,
    };
    let mut conn = state.store().conn().await?;
    let mut features = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page =
            regions::subtree_page(&mut conn, root.as_ref(), None, after.as_deref(), 5000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.code.clone());
        for row in &page {
            features.push(feature_of(row)?);
        }
    }
    Ok(json!({ "type": "FeatureCollection", "features": features }))
}

/// A node as a GeoJSON Feature with the import properties.
pub fn feature_of(row: &NodeRow) -> Result<Value, StoreError> {
    let mut props = serde_json::Map::new();
    props.insert("code".into(), json!(row.code));
    props.insert("name".into(), json!(row.name));
    props.insert("level".into(), json!(row.level));
    props.insert("class".into(), json!(row.class));
    if let Some(k) = &row.dedicated_kind {
        props.insert("kind".into(), json!(k));
    }
    if let Some(p) = &row.parent_code {
        props.insert("parent_code".into(), json!(p));
    }
    if let Some(f) = &row.feature {
        props.insert("feature".into(), json!(f));
    }
    let geometry = row
        .boundary()?
        .map(|b| b.to_geojson())
        .unwrap_or(Value::Null);
    Ok(json!({ "type": "Feature", "properties": props, "geometry": geometry }))
}

/// Where a point is: the deepest comprehensive node and any dedicated grids, within scope.
pub async fn locate(
    state: &App,
    actor: &Actor,
    lon: f64,
    lat: f64,
    crs: Crs,
) -> Result<(NodeRow, Vec<NodeRow>), AppError> {
    actor.may(Resource::Region, Verb::Read)?;
    let (main, dedicated) = locate_codes(state, lon, lat, crs)?;
    let main = main
        .filter(|c| actor.sees(c))
        .ok_or_else(|| AppError::NotFound("该位置不在任何网格内，或不在您的管辖范围内".into()))?;
    let mut conn = state.store().conn().await?;
    let main = regions::get(&mut conn, &main)
        .await?
        .ok_or_else(AppError::not_found)?;
    let mut rows = Vec::new();
    for d in dedicated.iter().filter(|d| actor.sees(d)) {
        if let Some(r) = regions::get(&mut conn, d).await? {
            rows.push(r);
        }
    }
    Ok((main, rows))
}

/// The codes of the deepest comprehensive grid (or other node) containing a point, and of the
/// dedicated grids containing it, whoever asks (callers apply scope).
pub fn locate_codes(
    state: &App,
    lon: f64,
    lat: f64,
    crs: Crs,
) -> Result<(Option<String>, Vec<String>), AppError> {
    if !lon.is_finite() || !lat.is_finite() || lon.abs() > 180.0 || lat.abs() > 90.0 {
        return Err(AppError::bad(
            "invalid_coordinates",
            "经纬度超出范围：经度 -180~180，纬度 -90~90",
        ));
    }
    let (wlon, wlat) = crs.to_wgs84(lon, lat);
    Ok(state.with_index(|idx| {
        let l = idx.locate(wlon, wlat);
        (
            l.comprehensive().map(str::to_owned),
            l.dedicated()
                .iter()
                .map(|s| (*s).to_owned())
                .collect::<Vec<_>>(),
        )
    }))
}

/// The ancestors of a node that lie inside the actor's scope, top-down (the node excluded).
pub async fn ancestors_in_scope(
    ex: &mut impl Exec,
    actor: &Actor,
    row: &NodeRow,
) -> Result<Vec<NodeRow>, AppError> {
    let mut chain = Vec::new();
    let mut next = row.parent_code.clone();
    while let Some(code) = next {
        if !actor.sees(&code) {
            break;
        }
        let Some(p) = regions::get(ex, &code).await? else {
            break;
        };
        next = p.parent_code.clone();
        chain.push(p);
    }
    chain.reverse();
    Ok(chain)
}

/// A page of the live nodes under `root` (the actor's scope when none), by code after `after`,
/// optionally of one level.
pub async fn subtree_page(
    state: &App,
    actor: &Actor,
    root: Option<&str>,
    level: Option<Level>,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<NodeRow>, AppError> {
    actor.may(Resource::Region, Verb::List)?;
    let root = match root.or(actor.scope_root()) {
        Some(r) if actor.sees(r) => Some(code_or_404(r)?),
        Some(_) => return Err(AppError::not_found()),
        None => None,
    };
    Ok(regions::subtree_page(
        &mut state.store().conn().await?,
        root.as_ref(),
        level,
        after,
        limit,
    )
    .await?)
}

/// A node the actor sees, with how many live nodes of each level lie below it.
pub async fn with_counts(
    state: &App,
    actor: &Actor,
    code: &str,
) -> Result<(NodeRow, Vec<(String, i64)>), AppError> {
    actor.may(Resource::Region, Verb::Read)?;
    let row = visible(state, actor, code).await?;
    let counts =
        regions::counts_by_level(&mut state.store().conn().await?, &code_or_404(code)?).await?;
    Ok((row, counts))
}

/// The live children of a node the actor sees.
pub async fn children(state: &App, actor: &Actor, code: &str) -> Result<Vec<NodeRow>, AppError> {
    actor.may(Resource::Region, Verb::List)?;
    visible(state, actor, code).await?;
    Ok(regions::children(&mut state.store().conn().await?, Some(code)).await?)
}

/// The history of a node the actor sees, oldest first.
pub async fn history(state: &App, actor: &Actor, code: &str) -> Result<Vec<NodeEvent>, AppError> {
    actor.may(Resource::Region, Verb::Read)?;
    visible(state, actor, code).await?;
    Ok(regions::events(&mut state.store().conn().await?, code).await?)
}

/// Where the actor's view of the tree starts: their own node, or for a deployment-wide
/// account the first root (none while the tree is empty).
pub async fn home(state: &App, actor: &Actor) -> Result<Option<String>, AppError> {
    actor.may(Resource::Region, Verb::Read)?;
    Ok(match actor.scope_root() {
        Some(root) => Some(root.to_owned()),
        None => regions::children(&mut state.store().conn().await?, None)
            .await?
            .into_iter()
            .next()
            .map(|r| r.code),
    })
}

/// A row of the region tree as a page draws it.
#[derive(Debug, Clone)]
pub struct TreeNode {
    /// The node.
    pub row: NodeRow,
    /// How deep below the top of the actor's tree.
    pub depth: usize,
    /// Whether it is the node being looked at.
    pub current: bool,
}

/// What the region page shows of a node the actor sees.
#[derive(Debug, Clone)]
pub struct Overview {
    /// The node.
    pub row: NodeRow,
    /// Its ancestors inside the actor's scope, top-down.
    pub trail: Vec<NodeRow>,
    /// The actor's tree from its top, with the branch to the node and the node's children
    /// expanded.
    pub tree: Vec<TreeNode>,
    /// Its live children.
    pub children: Vec<NodeRow>,
    /// Per child: (level, count) of the live nodes below it.
    pub per_child: std::collections::HashMap<String, Vec<(String, i64)>>,
    /// The accounts bound to the node.
    pub staff: Vec<shanzhi_store::accounts::AccountRow>,
    /// Its history, oldest first.
    pub history: Vec<NodeEvent>,
}

/// The region page's view of a node the actor sees.
pub async fn overview(state: &App, actor: &Actor, code: &str) -> Result<Overview, AppError> {
    actor.may(Resource::Region, Verb::Read)?;
    let row = visible(state, actor, code).await?;
    let rc = code_or_404(code)?;
    let mut conn = state.store().conn().await?;
    let trail = ancestors_in_scope(&mut conn, actor, &row).await?;
    let top = match actor.scope_root() {
        Some(root) => regions::get(&mut conn, root).await?.into_iter().collect(),
        None => regions::children(&mut conn, None).await?,
    };
    let tree = tree_level(&mut conn, &trail, &row.code, top, 0).await?;
    let children = regions::children(&mut conn, Some(code)).await?;
    let mut per_child: std::collections::HashMap<String, Vec<(String, i64)>> = Default::default();
    for (child, level, n) in regions::counts_by_child(&mut conn, &rc).await? {
        per_child.entry(child).or_default().push((level, n));
    }
    let staff = shanzhi_store::accounts::at_node(&mut conn, code).await?;
    let history = regions::events(&mut conn, code).await?;
    Ok(Overview {
        row,
        trail,
        tree,
        children,
        per_child,
        staff,
        history,
    })
}

/// Rows of the tree, from `nodes` down: every node listed, and the branch leading to the
/// current node (and the current node's children) expanded.
async fn tree_level(
    ex: &mut shanzhi_store::Conn,
    path: &[NodeRow],
    current: &str,
    nodes: Vec<NodeRow>,
    depth: usize,
) -> Result<Vec<TreeNode>, AppError> {
    let mut rows = Vec::new();
    for n in nodes {
        let here = n.code == current;
        let open = here || path.iter().any(|q| q.code == n.code);
        let code = n.code.clone();
        rows.push(TreeNode {
            row: n,
            depth,
            current: here,
        });
        if open {
            let kids = regions::children(ex, Some(&code)).await?;
            let mut below = Box::pin(tree_level(ex, path, current, kids, depth + 1)).await?;
            rows.append(&mut below);
        }
    }
    Ok(rows)
}

/// A live node a public page (no login) may name, if its level is one of `levels`: residents
/// reach streets, communities and grids through QR codes and links.
pub async fn public(
    state: &App,
    code: &str,
    levels: &[Level],
) -> Result<Option<NodeRow>, AppError> {
    Ok(regions::get(&mut state.store().conn().await?, code)
        .await?
        .filter(|n| n.retired_at.is_none() && levels.contains(&n.level())))
}

/// Who a resident of `code` may call, nearest first (the node's own staff, its grid's, then the
/// community's 网格长): only staff who agreed to show their number, so this needs no login.
pub async fn public_contacts(
    state: &App,
    code: &str,
) -> Result<Vec<shanzhi_store::staff::PublicContact>, AppError> {
    // The resident pages show a few: enough to reach someone, short on a phone.
    const SHOWN: i64 = 4;
    let grid = code.get(..15).unwrap_or(code);
    let community = code.get(..12).unwrap_or(code);
    let mut conn = state.store().conn().await?;
    Ok(shanzhi_store::staff::public_contacts(&mut conn, code, grid, community, SHOWN).await?)
}

/// A node the actor sees with its live children (the dashboard's map).
pub async fn with_children(
    state: &App,
    actor: &Actor,
    code: &str,
) -> Result<(NodeRow, Vec<NodeRow>), AppError> {
    actor.may(Resource::Region, Verb::Read)?;
    let row = visible(state, actor, code).await?;
    let kids = regions::children(&mut state.store().conn().await?, Some(code)).await?;
    Ok((row, kids))
}

/// What a map to point at draws: the nodes under `root`, with the grid the form is for.
pub struct Around {
    /// The node every picked position must lie under.
    pub root: NodeRow,
    /// Its live children, drawn.
    pub nodes: Vec<NodeRow>,
    /// The grid highlighted, when the form is for one.
    pub own: Option<String>,
}

/// The code of the node a map to point at is drawn under, for a form about `node`: for a grid
/// or micro-grid its community (the grid and its neighbours), otherwise the node itself. Every
/// position picked on the map must lie under it.
pub fn map_root(node: &NodeRow) -> &str {
    let community = Level::Community.code_len();
    match node.code.get(..community) {
        Some(c) if node.level().is_grid() => c,
        _ => &node.code,
    }
}

/// The nodes a map to point at draws around `node`: the children of its [`map_root`], with the
/// grid the form is for highlighted.
async fn around(ex: &mut impl Exec, node: NodeRow) -> Result<Around, AppError> {
    let own = node
        .level()
        .is_grid()
        .then(|| node.code.get(..Level::Grid.code_len()).map(str::to_owned))
        .flatten();
    let root = match map_root(&node) {
        c if c == node.code => node,
        c => regions::get(ex, c).await?.unwrap_or(node),
    };
    let nodes = regions::children(ex, Some(&root.code)).await?;
    Ok(Around { root, nodes, own })
}

/// What the staff report form's map draws for the actor, around their own node (a grid
/// worker sees their grid among its neighbours; a community officer, the community's grids).
pub async fn pick_area(state: &App, actor: &Actor) -> Result<Option<Around>, AppError> {
    let Some(home) = home(state, actor).await? else {
        return Ok(None);
    };
    let node = visible(state, actor, &home).await?;
    Ok(Some(around(&mut state.store().conn().await?, node).await?))
}

/// What a map to point at draws around a node the caller may already name (the resident
/// page's QR code, a patrol's grid).
pub async fn area_around(state: &App, node: NodeRow) -> Result<Around, AppError> {
    around(&mut state.store().conn().await?, node).await
}

/// The accounts bound to a node the actor sees (a poster names its grid's staff).
pub async fn staff_at(
    state: &App,
    actor: &Actor,
    code: &str,
) -> Result<Vec<shanzhi_store::accounts::AccountRow>, AppError> {
    actor.may(Resource::Region, Verb::Read)?;
    visible(state, actor, code).await?;
    Ok(shanzhi_store::accounts::at_node(&mut state.store().conn().await?, code).await?)
}
