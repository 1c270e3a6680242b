//! Address → grid over the API: what the intake paths do with an address, asked directly
//! (a client form can show where a report will go before it is sent).

use super::extract::Query;
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use shanzhi_app::geocode::{self as svc, Geocoded};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new().routes(routes!(geocode))
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
