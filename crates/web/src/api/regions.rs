//! The region tree: read, create, rename/redraw, retire, import/export GeoJSON, coverage.

use super::extract::{Json, Path, Query};
use super::page::{Page, PageParams};
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shanzhi_app::AppError;
use shanzhi_app::regions::{self as svc, CreateNode, ImportReport, Retirement, UpdateNode};
use shanzhi_app::regions::{NodeEvent, NodeRow};
use shanzhi_domain::geo::{Coverage, Crs};
use shanzhi_domain::region::{DedicatedKind, GridClass, Level};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(import))
        .routes(routes!(export))
        .routes(routes!(get_one, update))
        .routes(routes!(children))
        .routes(routes!(retire))
        .routes(routes!(restore))
        .routes(routes!(history))
        .routes(routes!(coverage))
}

/// A region node.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegionOut {
    /// Unified code (统一编码).
    pub code: String,
    /// 12-digit statistical division code, for 区县/镇街/村社区.
    pub stat_code: Option<String>,
    /// Name.
    pub name: String,
    /// Level.
    pub level: Level,
    /// Level in Chinese.
    pub level_label: String,
    /// Grid class: comprehensive (综合) or dedicated (专属).
    pub class: GridClass,
    /// Dedicated grid subtype.
    pub dedicated_kind: Option<DedicatedKind>,
    /// Parent code.
    pub parent_code: Option<String>,
    /// 一网格一特色.
    pub feature: Option<String>,
    /// Whether a boundary is stored.
    pub has_boundary: bool,
    /// Whether retired (撤销).
    pub retired: bool,
    /// Created, ms since the epoch.
    pub created_at: i64,
    /// Last changed, ms since the epoch.
    pub updated_at: i64,
}

impl From<NodeRow> for RegionOut {
    fn from(r: NodeRow) -> Self {
        let level = r.level();
        RegionOut {
            stat_code: shanzhi_domain::region::RegionCode::parse(&r.code)
                .ok()
                .and_then(|c| c.stat_code()),
            level_label: level.label().into(),
            has_boundary: r.boundary.is_some(),
            retired: r.retired_at.is_some(),
            code: r.code,
            name: r.name,
            level: r.level,
            class: r.class,
            dedicated_kind: r.dedicated_kind,
            parent_code: r.parent_code,
            feature: r.feature,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Subtree listing filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// Subtree root (default: the caller's own node).
    pub root: Option<String>,
    /// Only this level (e.g. `grid`).
    pub level: Option<Level>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1–500 (default 50).
    pub limit: Option<u32>,
}

/// Lists live nodes of a subtree in code order (cursor-paginated).
#[utoipa::path(get, path = "/regions", tag = "regions", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = Page<RegionOut>), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<ListParams>,
) -> Result<axum::Json<Page<RegionOut>>, ApiError> {
    let page = PageParams {
        cursor: q.cursor,
        limit: q.limit,
    };
    let limit = page.limit()?;
    let rows = svc::subtree_page(
        &state,
        &p.actor,
        q.root.as_deref(),
        q.level,
        page.after()?.as_deref(),
        limit,
    )
    .await?;
    Ok(axum::Json(Page::new(
        rows.into_iter().map(RegionOut::from).collect(),
        limit,
        |r| r.code.clone(),
    )))
}

/// A node to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateRequest {
    /// Unified code; its parent is implied by its digits.
    pub code: String,
    /// Name.
    pub name: String,
    /// comprehensive (default) or dedicated.
    pub class: Option<GridClass>,
    /// Required for dedicated grids.
    pub dedicated_kind: Option<DedicatedKind>,
    /// 一网格一特色.
    pub feature: Option<String>,
    /// GeoJSON Polygon or MultiPolygon.
    #[schema(value_type = Option<Object>)]
    pub boundary: Option<Value>,
    /// Coordinate system of `boundary` (default wgs84).
    #[serde(default)]
    pub crs: Crs,
}

/// Creates a node under its parent.
#[utoipa::path(post, path = "/regions", tag = "regions", security(("bearer" = [])), request_body = CreateRequest,
    responses((status = 201, body = RegionOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Json(req): Json<CreateRequest>,
) -> Result<(StatusCode, axum::Json<RegionOut>), ApiError> {
    let input = CreateNode {
        code: req.code,
        name: req.name,
        class: req.class,
        dedicated_kind: req.dedicated_kind,
        feature: req.feature,
        boundary: req.boundary,
        crs: req.crs,
    };
    let row = svc::create(&state, &p.actor, input).await?;
    Ok((StatusCode::CREATED, axum::Json(row.into())))
}

/// A node with its live children and subtree counts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegionDetail {
    /// The node.
    pub node: RegionOut,
    /// Live nodes below it, by level.
    pub counts: std::collections::BTreeMap<String, i64>,
}

/// One node with its subtree counts.
#[utoipa::path(get, path = "/regions/{code}", tag = "regions", security(("bearer" = [])), params(("code" = String, Path, description = "统一编码")),
    responses((status = 200, body = RegionDetail), (status = 404, body = ErrorBody)))]
async fn get_one(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(code): Path<String>,
) -> Result<axum::Json<RegionDetail>, ApiError> {
    let (row, counts) = svc::with_counts(&state, &p.actor, &code).await?;
    let counts = counts.into_iter().collect();
    Ok(axum::Json(RegionDetail {
        node: row.into(),
        counts,
    }))
}

/// Changes to a node.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct UpdateRequest {
    /// New name.
    pub name: Option<String>,
    /// New boundary (GeoJSON); `null` clears it; absent leaves it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>)]
    pub boundary: Option<Value>,
    /// Coordinate system of `boundary`.
    #[serde(default)]
    pub crs: Crs,
}

/// Tells "absent" (None) from "null" (Some(Null)).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// Renames or redraws a node. The code never changes.
#[utoipa::path(patch, path = "/regions/{code}", tag = "regions", security(("bearer" = [])), params(("code" = String, Path)), request_body = UpdateRequest,
    responses((status = 200, body = RegionOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn update(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(code): Path<String>,
    Json(req): Json<UpdateRequest>,
) -> Result<axum::Json<RegionOut>, ApiError> {
    let row = svc::update(
        &state,
        &p.actor,
        &code,
        UpdateNode {
            name: req.name,
            boundary: req.boundary,
            crs: req.crs,
        },
    )
    .await?;
    Ok(axum::Json(row.into()))
}

/// Live children of a node.
#[utoipa::path(get, path = "/regions/{code}/children", tag = "regions", security(("bearer" = [])), params(("code" = String, Path)),
    responses((status = 200, body = Vec<RegionOut>), (status = 404, body = ErrorBody)))]
async fn children(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(code): Path<String>,
) -> Result<axum::Json<Vec<RegionOut>>, ApiError> {
    let rows = svc::children(&state, &p.actor, &code).await?;
    Ok(axum::Json(rows.into_iter().map(RegionOut::from).collect()))
}

/// Why a node is retired, and where what lives there goes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RetireRequest {
    /// Reason (required).
    pub reason: String,
    /// The parent or a live sibling that takes the open cases and the registers (required
    /// when there are any, or active accounts).
    #[serde(default)]
    pub move_to: Option<String>,
}

/// Retires a node and its subtree (soft: history and codes are kept; codes are never reused).
/// A node that still has open cases, active accounts or people or places in its registers is
/// refused with the counts (422 `node_not_empty`) unless `move_to` names where they go.
#[utoipa::path(post, path = "/regions/{code}/retire", tag = "regions", security(("bearer" = [])), params(("code" = String, Path)), request_body = RetireRequest,
    responses((status = 200, body = Retirement), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn retire(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(code): Path<String>,
    Json(req): Json<RetireRequest>,
) -> Result<axum::Json<Retirement>, ApiError> {
    Ok(axum::Json(
        svc::retire(&state, &p.actor, &code, &req.reason, req.move_to.as_deref()).await?,
    ))
}

/// Codes brought back.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Restored {
    /// The node and the descendants retired with it, live again.
    pub restored: Vec<String>,
}

/// Brings back a node retired in the last 30 days (by the level that could retire it), with
/// the nodes retired with it. What was handed over stays where it went.
#[utoipa::path(post, path = "/regions/{code}/restore", tag = "regions", security(("bearer" = [])), params(("code" = String, Path)),
    responses((status = 200, body = Restored), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn restore(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(code): Path<String>,
) -> Result<axum::Json<Restored>, ApiError> {
    Ok(axum::Json(Restored {
        restored: svc::restore(&state, &p.actor, &code).await?,
    }))
}

/// A history entry.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RegionEventOut)]
pub struct EventOut {
    /// When, ms.
    pub at: i64,
    /// Account id of the actor.
    pub actor_id: Option<i64>,
    /// What happened.
    pub action: shanzhi_domain::region::NodeAction,
    /// Detail.
    pub detail: String,
}

impl From<NodeEvent> for EventOut {
    fn from(e: NodeEvent) -> Self {
        EventOut {
            at: e.at,
            actor_id: e.actor_id,
            action: e.action,
            detail: e.detail,
        }
    }
}

/// A node's history, oldest first.
#[utoipa::path(get, path = "/regions/{code}/history", tag = "regions", security(("bearer" = [])), params(("code" = String, Path)),
    responses((status = 200, body = Vec<EventOut>), (status = 404, body = ErrorBody)))]
async fn history(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(code): Path<String>,
) -> Result<axum::Json<Vec<EventOut>>, ApiError> {
    let events = svc::history(&state, &p.actor, &code).await?;
    Ok(axum::Json(events.into_iter().map(EventOut::from).collect()))
}

/// Coverage of a node by its comprehensive children: gaps, overlaps, parts outside.
#[utoipa::path(get, path = "/regions/{code}/coverage", tag = "regions", security(("bearer" = [])), params(("code" = String, Path)),
    responses((status = 200, body = Coverage), (status = 404, body = ErrorBody)))]
async fn coverage(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(code): Path<String>,
) -> Result<axum::Json<Coverage>, ApiError> {
    svc::coverage(&state, &p.actor, &code)
        .await?
        .map(axum::Json)
        .ok_or_else(|| AppError::NotFound("该节点没有带边界的综合网格下级".into()).into())
}

/// Import options.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportParams {
    /// Coordinate system of the file (default wgs84).
    #[serde(default)]
    pub crs: Crs,
    /// A revision: nodes already registered are redrawn instead of refused.
    #[serde(default)]
    pub revise: bool,
    /// With `revise`: move places, open cases and buildings into the grid their position now
    /// lies in.
    #[serde(default)]
    pub replace: bool,
    /// Only report what would happen (what moves, the coverage after): 200, nothing written.
    #[serde(default)]
    pub check_only: bool,
    /// Properties no alias knows, by field: `code:GRID_ID,name:GRID_NM` (fields: code, name,
    /// parent, level, class, kind, feature).
    pub mapping: Option<String>,
}

/// Imports a tree from a GeoJSON FeatureCollection (properties: code, name, level, class,
/// kind, parent_code, feature, or their Chinese names), a KML, a KMZ or a zipped Shapefile, in
/// one transaction. Any bad feature: 422 listing every problem, nothing written. With
/// `revise`, a revised boundary file redraws the nodes already registered and reports what
/// their new boundaries put in another grid (moved with `replace`); `check_only` previews.
#[utoipa::path(post, path = "/regions/import", tag = "regions", security(("bearer" = [])), params(ImportParams),
    request_body(content = Object, content_type = "application/geo+json"),
    responses((status = 201, body = ImportReport), (status = 200, body = ImportReport), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<ImportParams>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, axum::Json<ImportReport>), ApiError> {
    let mut doc = shanzhi_app::boundary_files::boundary_document(&body)?;
    shanzhi_domain::region::map_properties(
        &mut doc,
        &crate::api::registers::parse_mapping(q.mapping.as_deref()),
    );
    let how = svc::ImportHow {
        revise: q.revise,
        replace: q.replace,
        check_only: q.check_only,
    };
    let report = svc::import(&state, &p.actor, &doc, q.crs, how).await?;
    let status = if report.committed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(report)))
}

/// Export options.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ExportParams {
    /// Subtree root (default: the caller's own node).
    pub root: Option<String>,
    /// `geojson` (default), `kml` (Google Earth, 奥维, QGIS) or `shp` (a zipped Shapefile).
    pub format: Option<String>,
}

/// Exports a subtree in the import format: a GeoJSON FeatureCollection, KML, or a zipped
/// Shapefile (the nodes with a boundary).
#[utoipa::path(get, path = "/regions/export", tag = "regions", security(("bearer" = [])), params(ExportParams),
    responses((status = 200, content_type = "application/geo+json", body = Object), (status = 404, body = ErrorBody)))]
async fn export(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<ExportParams>,
) -> Result<axum::response::Response, ApiError> {
    export_file(&state, &p, q.root.as_deref(), q.format.as_deref()).await
}

/// A subtree's boundary file in `format` (`geojson` when none), for the API and the pages.
pub(crate) async fn export_file(
    state: &WebState,
    p: &crate::auth::Principal,
    root: Option<&str>,
    format: Option<&str>,
) -> Result<axum::response::Response, ApiError> {
    let doc = svc::export(state, &p.actor, root).await?;
    match format.unwrap_or("geojson") {
        "geojson" => Ok((
            [(header::CONTENT_TYPE, "application/geo+json")],
            doc.to_string(),
        )
            .into_response()),
        "kml" => Ok((
            [(header::CONTENT_TYPE, "application/vnd.google-earth.kml+xml")],
            shanzhi_domain::region::geojson_to_kml(&doc),
        )
            .into_response()),
        "shp" => {
            let zip = shanzhi_app::boundary_files::shapefile_zip(&doc, &state.config().upload_dir)?;
            Ok(crate::download::file(
                "regions-shapefile.zip",
                "application/zip",
                zip,
            ))
        }
        other => Err(ApiError::bad(
            "invalid_format",
            format!("不支持的导出格式 {other}：可选 geojson、kml、shp"),
        )),
    }
}
