//! Region tree operations.

use crate::{ApiError, AppState};
use geo::MultiPolygon;
use serde_json::{Value, json};
use shanzhi_domain::auth::Actor;
use shanzhi_domain::geo::{Boundary, Coverage, Crs, IndexItem, check_coverage};
use shanzhi_domain::region::{
    DedicatedKind, FeatureError, GridClass, ImportPlan, NodeDraft, ParentFacts, RegionCode,
    parse_import, validate_child,
};
use shanzhi_store::regions::{self, NewNode, NodeRow};
use shanzhi_store::{Exec, StoreError};
use std::collections::BTreeSet;

/// Parses a code from a path or form, as a 404 when it is not even a code (nothing to hint).
pub fn code_or_404(code: &str) -> Result<RegionCode, ApiError> {
    RegionCode::parse(code).map_err(|_| ApiError::not_found())
}

/// A live or retired node the actor may see; 404 otherwise.
pub async fn visible(state: &AppState, actor: &Actor, code: &str) -> Result<NodeRow, ApiError> {
    if !actor.sees(code) {
        return Err(ApiError::not_found());
    }
    regions::get(&mut state.store().conn().await?, code)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// A node the actor may manage; 404 when unseen, 403 when seen but not theirs to change.
async fn manageable(state: &AppState, actor: &Actor, code: &str) -> Result<NodeRow, ApiError> {
    let row = visible(state, actor, code).await?;
    if !actor.may_manage_node(code, row.level()) {
        return Err(ApiError::Forbidden("您的角色不能修改这个节点".into()));
    }
    if row.retired_at.is_some() {
        return Err(ApiError::Conflict("节点已撤销，不能再修改".into()));
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

fn parse_boundary(v: Option<&Value>, crs: Crs) -> Result<Option<Boundary>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(g) => Boundary::from_geojson(g, crs)
            .map(Some)
            .map_err(|e| ApiError::bad("invalid_boundary", e.to_string())),
    }
}

/// Creates one node under its parent (implied by its code).
pub async fn create(
    state: &AppState,
    actor: &Actor,
    input: CreateNode,
) -> Result<NodeRow, ApiError> {
    let code =
        RegionCode::parse(&input.code).map_err(|e| ApiError::bad("invalid_code", e.to_string()))?;
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
        return Err(ApiError::NotFound(format!(
            "上级节点 {p} 不存在，或不在您的管辖范围内"
        )));
    }
    if !actor.may_manage_node(code.as_str(), level)
        || (parent_row.is_none() && actor.scope_root().is_some())
    {
        return Err(ApiError::Forbidden("您的角色不能在这里新建节点".into()));
    }
    let facts = parent_row.as_ref().map(|r| ParentFacts {
        code: &r.code,
        level: r.level(),
        retired: r.retired_at.is_some(),
    });
    validate_child(&draft, facts).map_err(|e| ApiError::bad("tree_rule", e.to_string()))?;
    if regions::get(&mut tx, code.as_str()).await?.is_some() {
        return Err(ApiError::Conflict(format!(
            "编码 {code} 已存在（编码唯一且永不复用）"
        )));
    }
    let parent = parent_row
        .as_ref()
        .map(|r| RegionCode::parse(&r.code))
        .transpose()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
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
    regions::insert(&mut tx, new, Some(actor.account_id), "created").await?;
    let row = regions::get(&mut tx, code.as_str())
        .await?
        .ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    if let Some(b) = &boundary {
        state.update_index(|idx| idx.upsert(index_item(&code, draft.class, b)));
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
    state: &AppState,
    actor: &Actor,
    code: &str,
    change: UpdateNode,
) -> Result<NodeRow, ApiError> {
    let row = manageable(state, actor, code).await?;
    let boundary = match &change.boundary {
        None => None,
        Some(v) => Some(parse_boundary(Some(v), change.crs)?),
    };
    let mut tx = state.store().begin().await?;
    if let Some(name) = &change.name {
        let n = name.trim().chars().count();
        if n == 0 || n > 64 {
            return Err(ApiError::bad(
                "invalid_name",
                "名称不能为空，且不超过 64 个字",
            ));
        }
        regions::rename(&mut tx, code, name, Some(actor.account_id)).await?;
    }
    if let Some(b) = &boundary {
        regions::set_boundary(&mut tx, code, b.as_ref(), Some(actor.account_id)).await?;
    }
    let updated = regions::get(&mut tx, code)
        .await?
        .ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    if let Some(b) = boundary {
        let rc = code_or_404(code)?;
        state.update_index(|idx| match &b {
            Some(b) => idx.upsert(index_item(&rc, row.class(), b)),
            None => idx.remove(code),
        });
    }
    Ok(updated)
}

/// Retires a node with its subtree; history and codes stay.
pub async fn retire(
    state: &AppState,
    actor: &Actor,
    code: &str,
    reason: &str,
) -> Result<Vec<String>, ApiError> {
    manageable(state, actor, code).await?;
    if actor.scope_root() == Some(code) {
        return Err(ApiError::Forbidden("不能撤销自己所在的节点".into()));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ApiError::bad("reason_required", "撤销节点必须填写原因"));
    }
    let rc = code_or_404(code)?;
    let mut tx = state.store().begin().await?;
    let retired = regions::retire(&mut tx, &rc, reason, Some(actor.account_id)).await?;
    tx.commit().await?;
    state.update_index(|idx| retired.iter().for_each(|c| idx.remove(c)));
    Ok(retired)
}

/// The result of a successful import.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Nodes written.
    pub imported: usize,
    /// Of which with a boundary.
    pub with_boundary: usize,
    /// Coverage of every parent whose comprehensive children have boundaries.
    pub coverage: Vec<Coverage>,
}

fn feature_errors(errors: Vec<FeatureError>) -> ApiError {
    ApiError::Unprocessable {
        code: "import_invalid",
        message: format!(
            "导入文件有 {} 处错误，未写入任何数据；请逐条修改后重新导入",
            errors.len()
        ),
        details: json!(errors),
    }
}

/// Imports a FeatureCollection in one transaction: all or nothing.
pub async fn import(
    state: &AppState,
    actor: &Actor,
    doc: &Value,
    crs: Crs,
) -> Result<ImportReport, ApiError> {
    let nodes = parse_import(doc, crs).map_err(feature_errors)?;
    let scope_errors: Vec<FeatureError> = nodes
        .iter()
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
    let mut tx = state.store().begin().await?;
    let stored = regions::existing(&mut tx, &ImportPlan::referenced_codes(&nodes)).await?;
    let plan = ImportPlan::check(nodes, &stored).map_err(feature_errors)?;
    regions::insert_plan(&mut tx, &plan, Some(actor.account_id)).await?;
    tx.commit().await?;

    let items: Vec<IndexItem> = plan
        .nodes
        .iter()
        .filter_map(|n| {
            n.boundary
                .as_ref()
                .map(|b| index_item(&n.draft.code, n.draft.class, b))
        })
        .collect();
    let with_boundary = items.len();
    state.update_index(|idx| items.into_iter().for_each(|i| idx.upsert(i)));
    let parents: BTreeSet<String> = plan
        .nodes
        .iter()
        .filter(|n| n.boundary.is_some() && n.draft.class == GridClass::Comprehensive)
        .filter_map(|n| n.parent.as_ref().map(ToString::to_string))
        .collect();
    let mut coverage = Vec::with_capacity(parents.len());
    for p in parents {
        if let Some(c) = coverage_of_parent(state, &p).await? {
            coverage.push(c);
        }
    }
    Ok(ImportReport {
        imported: plan.nodes.len(),
        with_boundary,
        coverage,
    })
}

/// Coverage of a parent by its live comprehensive children with boundaries.
async fn coverage_of_parent(state: &AppState, code: &str) -> Result<Option<Coverage>, ApiError> {
    let mut conn = state.store().conn().await?;
    let Some(parent) = regions::get(&mut conn, code).await? else {
        return Ok(None);
    };
    let kids = regions::children(&mut conn, Some(code)).await?;
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
    .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Coverage report for a node the actor may see.
pub async fn coverage(
    state: &AppState,
    actor: &Actor,
    code: &str,
) -> Result<Option<Coverage>, ApiError> {
    visible(state, actor, code).await?;
    coverage_of_parent(state, code).await
}

/// Exports the live subtree under `root` (the actor's whole scope when None) as a
/// FeatureCollection in the import format, so export → import round-trips.
pub async fn export(
    state: &AppState,
    actor: &Actor,
    root: Option<&str>,
) -> Result<Value, ApiError> {
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
    state: &AppState,
    actor: &Actor,
    lon: f64,
    lat: f64,
    crs: Crs,
) -> Result<(NodeRow, Vec<NodeRow>), ApiError> {
    let (main, dedicated) = locate_codes(state, lon, lat, crs)?;
    let main = main
        .filter(|c| actor.sees(c))
        .ok_or_else(|| ApiError::NotFound("该位置不在任何网格内，或不在您的管辖范围内".into()))?;
    let mut conn = state.store().conn().await?;
    let main = regions::get(&mut conn, &main)
        .await?
        .ok_or_else(ApiError::not_found)?;
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
    state: &AppState,
    lon: f64,
    lat: f64,
    crs: Crs,
) -> Result<(Option<String>, Vec<String>), ApiError> {
    if !lon.is_finite() || !lat.is_finite() || lon.abs() > 180.0 || lat.abs() > 90.0 {
        return Err(ApiError::bad(
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
) -> Result<Vec<NodeRow>, ApiError> {
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
