//! 12345 hotline work orders: import of the hotline's export.

use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, header};
use serde::Deserialize;
use shanzhi_app::hotline::{self as svc, Format, ImportReport, PendingRow};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Largest export accepted: a month of a city's orders as xlsx.
const IMPORT_LIMIT: usize = 32 * 1024 * 1024;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(import))
        .routes(routes!(pending))
        .routes(routes!(place))
        .layer(DefaultBodyLimit::max(IMPORT_LIMIT))
}

/// The file's format, when the content type does not say.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportParams {
    /// csv, xlsx or json.
    pub format: Option<String>,
    /// The coordinates' system: wgs84 (default), gcj02 (AMap, Tencent) or bd09 (Baidu).
    #[serde(default)]
    pub crs: shanzhi_domain::geo::Crs,
    /// Columns whose header no alias knows: `order_no:单号,description:群众诉求`.
    pub mapping: Option<String>,
}

/// Imports a 12345 export (CSV, xlsx or JSON as the request body; columns 工单编号, 事项类别,
/// 标题, 诉求内容, 网格编码 or 经度/纬度, 地址, 来电人, 联系电话, and the names city platforms use
/// for them: 诉求类型, 诉求地址 …). Every row is checked first: if any is
/// bad, the answer (422) lists every bad row with its number and nothing is written. Orders
/// imported before are skipped, so sending a file twice is safe.
#[utoipa::path(post, path = "/hotline/import", tag = "cases", security(("bearer" = [])), params(ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<ImportParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<ImportReport>, ApiError> {
    let declared = q.format.map(|f| format!(".{f}")).or_else(|| {
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    let declared = declared.unwrap_or_default();
    let format = Format::guess(&declared).ok_or_else(|| {
        ApiError::bad(
            "unknown_format",
            "请用 Content-Type（text/csv、application/json、xlsx）或 ?format=csv|xlsx|xls|ods|json 说明文件格式",
        )
    })?;
    Ok(axum::Json(
        svc::import(
            &state,
            &p.actor,
            (format, &declared, &body),
            q.crs,
            &crate::api::registers::parse_mapping(q.mapping.as_deref()),
        )
        .await?,
    ))
}

/// The orders waiting for a place (待定位) in the caller's scope, oldest call first: imported
/// with an address that names no community or grid.
#[utoipa::path(get, path = "/hotline/pending", tag = "cases", security(("bearer" = [])),
    responses((status = 200, body = Vec<PendingRow>), (status = 403, body = ErrorBody)))]
async fn pending(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
) -> Result<axum::Json<Vec<PendingRow>>, ApiError> {
    Ok(axum::Json(svc::pending(&state, &p.actor).await?))
}

/// Where a waiting order goes: a community or grid, or a position.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PlaceBody {
    /// The community or grid's code.
    pub node: Option<String>,
    /// The category's code, instead of the file's or the suggested one.
    pub category: Option<String>,
    /// Longitude (WGS-84), with `lat`, instead of a code.
    pub lon: Option<f64>,
    /// Latitude.
    pub lat: Option<f64>,
}

/// The case filed for a placed order.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Placed {
    /// The case's id.
    pub case_id: i64,
}

/// Places a waiting order and files its case (dated from the call); 404 for an order outside
/// the caller's scope or already placed.
#[utoipa::path(post, path = "/hotline/pending/{id}/place", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The waiting order")), request_body = PlaceBody,
    responses((status = 201, body = Placed), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn place(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    axum::Json(body): axum::Json<PlaceBody>,
) -> Result<(axum::http::StatusCode, axum::Json<Placed>), ApiError> {
    let case_id = svc::place_pending(
        &state,
        &p.actor,
        id,
        body.node.as_deref(),
        body.lon.zip(body.lat),
        body.category.as_deref(),
    )
    .await?;
    Ok((
        axum::http::StatusCode::CREATED,
        axum::Json(Placed { case_id }),
    ))
}
