//! Address → grid over the API: what the intake paths do with an address, asked directly
//! (a client form can show where a report will go before it is sent).

use super::extract::Query;
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use shanzhi_app::geocode::{self as svc, Geocoded, RoadsImported};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(geocode))
        .routes(routes!(roads))
        .layer(axum::extract::DefaultBodyLimit::max(8 * 1024 * 1024))
}

/// The address.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct GeocodeQuery {
    /// As written: 贵港市港北区中山路88号对面, 东湖社区5栋楼下 …
    pub q: String,
}

/// Reads a free-text address against the district's registers and boundaries: the best node
/// (a grid when sure), a confidence (placed without a person at 0.7 or more), the building or
/// place it is, the parts that matched, and the candidates when it cannot choose.
#[utoipa::path(get, path = "/geocode", tag = "cases", security(("bearer" = [])), params(GeocodeQuery),
    responses((status = 200, body = Geocoded), (status = 400, body = ErrorBody)))]
async fn geocode(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<GeocodeQuery>,
) -> Result<Json<Geocoded>, ApiError> {
    Ok(Json(svc::geocode(&state, &p, &q.q).await?))
}

/// Where road ranges go, and the file's format.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RoadsQuery {
    /// The area whose ranges the file replaces (default: the caller's own).
    pub node: Option<String>,
    /// csv, xlsx, xls or et, when the Content-Type does not say.
    pub format: Option<String>,
}

/// Replaces the area's road ranges (门牌段) with a sheet's — columns 道路名称, 起始门牌,
/// 终止门牌, 单双号 (单号/双号/全部) and 网格编码, or the names city address registers use — as
/// the request body (CSV in UTF-8 or GBK, xlsx, xls, WPS). Every row is checked first: one bad
/// row imports nothing, and the answer (422) lists every bad row with its number.
#[utoipa::path(put, path = "/geocode/roads", tag = "regions", security(("bearer" = [])), params(RoadsQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = RoadsImported), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn roads(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<RoadsQuery>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<RoadsImported>, ApiError> {
    let declared = q
        .format
        .map(|f| format!("门牌段.{f}"))
        .or_else(|| {
            headers
                .get(axum::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    Ok(Json(
        svc::import_roads(&state, &p, q.node.as_deref(), (&declared, &body)).await?,
    ))
}
