//! Logging in for API tokens, and who am I.

use super::extract::Json;
use crate::auth::ApiUser;
use crate::{ApiError, WebState};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use shanzhi_app::accounts::AccountRow;
use shanzhi_app::accounts::{issue_token, place_of};
use shanzhi_domain::auth::Role;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(login, logout))
        .routes(routes!(me))
}

/// Credentials for a token.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
    /// A label for the token (e.g. the client's name).
    #[serde(default)]
    pub name: Option<String>,
}

/// An account as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountOut {
    /// Id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Real name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Role in Chinese.
    pub role_label: String,
    /// Bound node code (absent: deployment-wide).
    pub node_code: Option<String>,
    /// Where bound, in Chinese.
    pub place: String,
    /// Department id, for department handlers.
    pub department_id: Option<i64>,
    /// Whether the account may log in.
    pub active: bool,
}

impl AccountOut {
    /// Shapes an account for output.
    pub async fn of(state: &WebState, a: AccountRow) -> Result<AccountOut, ApiError> {
        let place = place_of(state, &a).await?;
        let role_label = a.role.label().to_owned();
        Ok(AccountOut {
            id: a.id,
            username: a.username,
            display_name: a.display_name,
            role: a.role,
            role_label,
            node_code: a.node_code,
            place,
            department_id: a.department_id,
            active: a.active,
        })
    }
}

/// A new API token.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenOut {
    /// The bearer token; shown once, store it safely.
    pub token: String,
    /// Expiry, ms since the epoch.
    pub expires_at: i64,
    /// The account.
    pub account: AccountOut,
}

/// Logs in and issues a bearer token. Failed attempts are limited per account and per address.
#[utoipa::path(post, path = "/auth/token", tag = "auth", request_body = LoginRequest,
    responses((status = 201, body = TokenOut), (status = 401, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
async fn login(
    State(state): State<WebState>,
    addr: crate::client::Client,
    Json(req): Json<LoginRequest>,
) -> Result<(StatusCode, axum::Json<TokenOut>), ApiError> {
    let account =
        crate::auth::login(&state, &req.username, &req.password, &addr.ip().to_string()).await?;
    let name = req
        .name
        .as_deref()
        .unwrap_or("api")
        .chars()
        .take(64)
        .collect::<String>();
    let (token, expires_at) = issue_token(&state, account.id, &name).await?;
    let account = AccountOut::of(&state, account).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(TokenOut {
            token,
            expires_at,
            account,
        }),
    ))
}

/// Revokes the token used for this request.
#[utoipa::path(delete, path = "/auth/token", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::error::ErrorBody)))]
async fn logout(
    State(state): State<WebState>,
    _user: ApiUser,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    shanzhi_app::accounts::revoke_token(&state, token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The calling account.
#[utoipa::path(get, path = "/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = AccountOut), (status = 401, body = crate::error::ErrorBody)))]
async fn me(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
) -> Result<axum::Json<AccountOut>, ApiError> {
    Ok(axum::Json(AccountOut::of(&state, p.account).await?))
}
