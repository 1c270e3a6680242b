//! The access policy, readable by everyone it governs, and its one setting: tag duties.

use super::extract::{Json, Path};
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use shanzhi_app::duties::{self, DutyInput, DutyRow};
use shanzhi_app::policy::{self, Reach, Resource, Verb};
use shanzhi_domain::auth::Role;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(table))
        .routes(routes!(list_duties))
        .routes(routes!(set_duty))
}

/// One grant: the role may do `verbs` to `resource` within `reach`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GrantOut {
    /// The kind of record.
    pub resource: Resource,
    /// Its name in Chinese.
    pub resource_label: String,
    /// What the role may do.
    pub verbs: Vec<Verb>,
    /// How far.
    pub reach: Reach,
}

/// What one role may do.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RolePolicy {
    /// The role.
    pub role: Role,
    /// Its name in Chinese.
    pub label: String,
    /// Everything it may do; anything else is refused.
    pub grants: Vec<GrantOut>,
}

/// The whole policy, and the caller's own role in it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PolicyOut {
    /// The caller's role.
    pub mine: Role,
    /// Every role.
    pub roles: Vec<RolePolicy>,
}

/// The access policy: for every role, what it may list, read, write, reveal or export, and how
/// far (its subtree, its department's cases, its duty's people, its own records).
#[utoipa::path(get, path = "/policy", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = PolicyOut), (status = 401, body = ErrorBody)))]
async fn table(ApiUser(p): ApiUser) -> axum::Json<PolicyOut> {
    let roles = Role::ALL
        .into_iter()
        .map(|role| RolePolicy {
            role,
            label: role.label().to_owned(),
            grants: policy::GRANTS
                .iter()
                .filter(|g| g.role == role)
                .map(|g| GrantOut {
                    resource: g.resource,
                    resource_label: g.resource.label().to_owned(),
                    verbs: g.verbs.to_vec(),
                    reach: g.reach,
                })
                .collect(),
        })
        .collect();
    axum::Json(PolicyOut {
        mine: p.actor.role,
        roles,
    })
}

/// Every tag with whether it is sensitive and which department kinds list its people.
#[utoipa::path(get, path = "/policy/duties", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Vec<DutyRow>), (status = 403, body = ErrorBody)))]
async fn list_duties(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
) -> Result<axum::Json<Vec<DutyRow>>, ApiError> {
    Ok(axum::Json(duties::list(&state, &p).await?))
}

/// Sets a tag's sensitivity and the department kinds whose duty it is (安全管理员); audited.
#[utoipa::path(put, path = "/policy/duties/{tag}", tag = "accounts", security(("bearer" = [])),
    params(("tag" = String, Path, description = "tag code, e.g. mental_illness")), request_body = DutyInput,
    responses((status = 200, body = DutyRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn set_duty(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(tag): Path<String>,
    Json(input): Json<DutyInput>,
) -> Result<axum::Json<DutyRow>, ApiError> {
    Ok(axum::Json(duties::set(&state, &p, &tag, &input).await?))
}
