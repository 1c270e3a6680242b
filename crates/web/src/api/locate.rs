//! Point location.

use super::extract::Query;
use super::regions::RegionOut;
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use shanzhi_domain::geo::Crs;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new().routes(routes!(locate))
}

/// A point.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LocateParams {
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Coordinate system: wgs84 (default), gcj02 (AMap/Tencent/WeChat), bd09 (Baidu).
    #[serde(default)]
    pub crs: Crs,
}

/// Where a point lies.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LocateOut {
    /// The deepest comprehensive node containing the point.
    pub node: RegionOut,
    /// Dedicated grids containing the point.
    pub dedicated: Vec<RegionOut>,
}

/// Finds the deepest comprehensive grid containing a point, and any dedicated grids.
#[utoipa::path(get, path = "/locate", tag = "regions", security(("bearer" = [])), params(LocateParams),
    responses((status = 200, body = LocateOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn locate(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<LocateParams>,
) -> Result<axum::Json<LocateOut>, ApiError> {
    let (node, dedicated) =
        shanzhi_app::regions::locate(&state, &p.actor, q.lon, q.lat, q.crs).await?;
    Ok(axum::Json(LocateOut {
        node: node.into(),
        dedicated: dedicated.into_iter().map(Into::into).collect(),
    }))
}
