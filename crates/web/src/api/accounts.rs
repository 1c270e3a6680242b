//! Accounts and departments (admins).

use super::auth::AccountOut;
use super::extract::{Json, Path, Query};
use super::page::{Page, PageParams};
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shanzhi_app::accounts::{self as svc, NewAccountInput};
use shanzhi_domain::auth::Role;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(set_password))
        .routes(routes!(set_role))
        .routes(routes!(list_departments, create_department))
}

/// Accounts bound inside the admin's scope, by id (cursor-paginated).
#[utoipa::path(get, path = "/accounts", tag = "accounts", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = Page<AccountOut>), (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<WebState>,
    user: ApiUser,
    Query(q): Query<PageParams>,
) -> Result<axum::Json<Page<AccountOut>>, ApiError> {
    let limit = q.limit()?;
    let after = q
        .after()?
        .map(|a| a.parse::<i64>())
        .transpose()
        .map_err(|_| ApiError::bad("invalid_cursor", "cursor 无效"))?;
    let rows = svc::page(&state, &user.0.actor, after, limit).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        items.push(AccountOut::of(&state, r).await?);
    }
    Ok(axum::Json(Page::new(items, limit, |a| a.id.to_string())))
}

/// Creates an account bound to a node in the admin's scope.
#[utoipa::path(post, path = "/accounts", tag = "accounts", security(("bearer" = [])), request_body = NewAccountInput,
    responses((status = 201, body = AccountOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create(
    State(state): State<WebState>,
    user: ApiUser,
    Json(input): Json<NewAccountInput>,
) -> Result<(StatusCode, axum::Json<AccountOut>), ApiError> {
    let row = svc::create(&state, Some(&user.0.actor), input).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(AccountOut::of(&state, row).await?),
    ))
}

/// A new password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PasswordRequest {
    /// The new password.
    pub password: String,
}

/// Sets an account's password (an admin in scope, or the account itself). Ends its sessions.
#[utoipa::path(put, path = "/accounts/{username}/password", tag = "accounts", security(("bearer" = [])), params(("username" = String, Path)), request_body = PasswordRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn set_password(
    State(state): State<WebState>,
    user: ApiUser,
    Path(username): Path<String>,
    Json(req): Json<PasswordRequest>,
) -> Result<StatusCode, ApiError> {
    svc::set_password(&state, Some(&user.0.actor), &username, req.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new role.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RoleRequest {
    /// The role the account gets.
    pub role: Role,
}

/// Gives an account another role (安全管理员, in scope). The binding must hold for the new role;
/// the account's next request is asked of it. Audited.
#[utoipa::path(put, path = "/accounts/{username}/role", tag = "accounts", security(("bearer" = [])), params(("username" = String, Path)), request_body = RoleRequest,
    responses((status = 200, body = AccountOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn set_role(
    State(state): State<WebState>,
    user: ApiUser,
    Path(username): Path<String>,
    Json(req): Json<RoleRequest>,
) -> Result<axum::Json<AccountOut>, ApiError> {
    let row = svc::set_role(&state, &user.0, &username, req.role).await?;
    Ok(axum::Json(AccountOut::of(&state, row).await?))
}

/// A department.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DepartmentOut {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Kind (派出所、消防、城管、司法所、医保、民政…).
    pub kind: String,
    /// Jurisdiction node.
    pub node_code: String,
}

/// Departments whose jurisdiction lies in the caller's scope.
#[utoipa::path(get, path = "/departments", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Vec<DepartmentOut>)))]
async fn list_departments(
    State(state): State<WebState>,
    user: ApiUser,
) -> Result<axum::Json<Vec<DepartmentOut>>, ApiError> {
    let rows = svc::departments(&state, &user.0.actor).await?;
    Ok(axum::Json(
        rows.into_iter()
            .map(|d| DepartmentOut {
                id: d.id,
                name: d.name,
                kind: d.kind,
                node_code: d.node_code,
            })
            .collect(),
    ))
}

/// A department to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateDepartment {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// Jurisdiction node.
    pub node_code: String,
}

/// Creates a department (admins).
#[utoipa::path(post, path = "/departments", tag = "accounts", security(("bearer" = [])), request_body = CreateDepartment,
    responses((status = 201, body = DepartmentOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_department(
    State(state): State<WebState>,
    user: ApiUser,
    Json(req): Json<CreateDepartment>,
) -> Result<(StatusCode, axum::Json<DepartmentOut>), ApiError> {
    let d =
        svc::create_department(&state, &user.0.actor, &req.name, &req.kind, &req.node_code).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(DepartmentOut {
            id: d.id,
            name: d.name,
            kind: d.kind,
            node_code: d.node_code,
        }),
    ))
}
