//! Who is asking: bearer tokens for the API, session cookies for pages.

use super::hash_secret;
use crate::ApiError;
use crate::pages::PageError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum_extra::extract::cookie::CookieJar;
use shanzhi_domain::auth::{Actor, Role};
use shanzhi_domain::region::RegionCode;
use shanzhi_store::accounts::AccountRow;
use shanzhi_store::sessions;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "sz_session";

/// An authenticated account and the scope facts derived from it.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The stored account.
    pub account: AccountRow,
    /// Role, node and department, for scope checks.
    pub actor: Actor,
}

impl Principal {
    /// The node asked about, or the account's own; a deployment-wide account must name one.
    pub fn node_or_own(&self, asked: Option<&str>) -> Result<String, ApiError> {
        asked
            .filter(|n| !n.trim().is_empty())
            .map(str::to_owned)
            .or_else(|| self.account.node_code.clone())
            .ok_or_else(|| ApiError::bad("node_required", "请指定区域（node）"))
    }
}

/// Turns a stored account into an [`Actor`].
pub fn actor_of(a: &AccountRow) -> Result<Actor, ApiError> {
    let role = Role::parse(&a.role)
        .ok_or_else(|| ApiError::Internal(format!("account {} has role {}", a.id, a.role)))?;
    let node = match &a.node_code {
        Some(c) => Some(RegionCode::parse(c).map_err(|e| ApiError::Internal(e.to_string()))?),
        None => None,
    };
    Ok(Actor {
        account_id: a.id,
        role,
        node,
        department_id: a.department_id,
    })
}

fn principal(account: AccountRow) -> Result<Principal, ApiError> {
    Ok(Principal {
        actor: actor_of(&account)?,
        account,
    })
}

/// A caller of the JSON API, authenticated by `Authorization: Bearer <token>`.
pub struct ApiUser(pub Principal);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                ApiError::Unauthorized("需要登录：请在 Authorization 头中提供 Bearer 令牌".into())
            })?;
        let account =
            sessions::token_account(&mut state.store().conn().await?, &hash_secret(token))
                .await?
                .ok_or_else(|| ApiError::Unauthorized("令牌无效或已过期，请重新登录".into()))?;
        let p = principal(account)?;
        if let Some(slot) = parts.extensions.get::<crate::trail::CallerSlot>() {
            slot.fill(&p);
        }
        Ok(ApiUser(p))
    }
}

/// A user of the web pages, authenticated by the session cookie; others go to the login page.
pub struct PageUser(pub Principal);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        let Some(cookie) = jar.get(SESSION_COOKIE) else {
            return Err(PageError::Login(next));
        };
        let account = sessions::session_account(
            &mut state.store().conn().await?,
            &hash_secret(cookie.value()),
        )
        .await?;
        match account {
            Some(a) => {
                let p = principal(a)?;
                if let Some(slot) = parts.extensions.get::<crate::trail::CallerSlot>() {
                    slot.fill(&p);
                }
                Ok(PageUser(p))
            }
            None => Err(PageError::Login(next)),
        }
    }
}
