//! Open311 client applications: administrators register them and issue their api_keys.

use super::extract::{Json, Path};
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use shanzhi_app::open311::ClientRow;
use shanzhi_app::open311::{self as svc, IssuedKey};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list, register))
        .routes(routes!(revoke))
}

/// Every registered client (admin).
#[utoipa::path(get, path = "/open311/clients", tag = "open311", security(("bearer" = [])),
    responses((status = 200, body = Vec<ClientRow>), (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
) -> Result<axum::Json<Vec<ClientRow>>, ApiError> {
    Ok(axum::Json(svc::list(&state, Some(&p.actor)).await?))
}

/// A client to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewClient {
    /// The application's name.
    pub name: String,
}

/// Registers a client and issues its api_key, shown this once (admin).
#[utoipa::path(post, path = "/open311/clients", tag = "open311", security(("bearer" = [])), request_body = NewClient,
    responses((status = 201, body = IssuedKey), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn register(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Json(c): Json<NewClient>,
) -> Result<(StatusCode, axum::Json<IssuedKey>), ApiError> {
    let issued = svc::register(&state, Some(&p.actor), &c.name).await?;
    Ok((StatusCode::CREATED, axum::Json(issued)))
}

/// Revokes a client's api_key (admin).
#[utoipa::path(delete, path = "/open311/clients/{id}", tag = "open311", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    svc::revoke(&state, Some(&p.actor), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
