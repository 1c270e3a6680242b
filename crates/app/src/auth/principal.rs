//! Who is asking: an authenticated account and the scope facts derived from it.

use crate::AppError;
use shanzhi_domain::auth::Actor;
use shanzhi_domain::region::RegionCode;
use shanzhi_store::accounts::AccountRow;

/// An authenticated account and the scope facts derived from it.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The stored account.
    pub account: AccountRow,
    /// Role, node and department, for scope checks.
    pub actor: Actor,
}

impl Principal {
    /// The caller of a stored account.
    pub fn of(account: AccountRow) -> Result<Principal, AppError> {
        Ok(Principal {
            actor: actor_of(&account)?,
            account,
        })
    }

    /// Who this is, in words, as the timeline and the audit trail name them.
    pub fn label(&self) -> String {
        shanzhi_domain::auth::actor_label(&self.account.display_name, self.actor.role)
    }

    /// Refuses a node outside the caller's subtree, as not found.
    pub fn must_see(&self, code: &str) -> Result<(), AppError> {
        if self.actor.sees(code) {
            Ok(())
        } else {
            Err(AppError::not_found())
        }
    }

    /// The node asked about, or the account's own; a deployment-wide account must name one.
    pub fn node_or_own(&self, asked: Option<&str>) -> Result<String, AppError> {
        asked
            .filter(|n| !n.trim().is_empty())
            .map(str::to_owned)
            .or_else(|| self.account.node_code.clone())
            .ok_or_else(|| AppError::bad("node_required", "请指定区域（node）"))
    }
}

/// Turns a stored account into an [`Actor`].
pub fn actor_of(a: &AccountRow) -> Result<Actor, AppError> {
    let role = Some(a.role)
        .ok_or_else(|| AppError::Internal(format!("account {} has role {}", a.id, a.role)))?;
    let node = match &a.node_code {
        Some(c) => Some(RegionCode::parse(c).map_err(|e| AppError::Internal(e.to_string()))?),
        None => None,
    };
    Ok(Actor {
        account_id: a.id,
        role,
        node,
        department_id: a.department_id,
    })
}
