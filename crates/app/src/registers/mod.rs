//! The four registers (四册): residents and households, key places, staff, grid facts — and
//! their imports, exports and templates.
//!
//! Imports read the file twice, streaming: the first pass checks every row (and the database
//! for ID numbers already registered) and writes nothing; only when no row is wrong does the
//! second pass write the whole file in one transaction. Memory stays flat in the file's size,
//! apart from one blind index per person (16 bytes) to find duplicates.

pub mod export;
pub mod grids;
pub mod import;
pub mod jobs;
pub mod places;
pub mod resident_sheet;
pub mod residents;
pub mod source;
pub mod verification;

use crate::AppError;
use crate::audit;
use shanzhi_domain::auth::Actor;
use shanzhi_store::accounts::AccountRow;

/// Who acts on a register, for scope checks and the audit trail.
#[derive(Debug, Clone, Copy)]
pub struct Keeper<'a> {
    /// Role and scope.
    pub actor: &'a Actor,
    /// The account.
    pub account: &'a AccountRow,
}

impl<'a> Keeper<'a> {
    /// The logged-in caller as a keeper.
    pub fn of(p: &'a crate::auth::Principal) -> Keeper<'a> {
        Keeper {
            actor: &p.actor,
            account: &p.account,
        }
    }

    /// The actor as the audit trail names them.
    pub fn audit(&self) -> audit::Actor {
        audit::Actor {
            id: Some(self.account.id),
            label: shanzhi_domain::auth::actor_label(&self.account.display_name, self.actor.role),
        }
    }

    /// Refuses roles that do not keep registers.
    pub fn must_keep(&self) -> Result<(), AppError> {
        if self.actor.role.keeps_registers() {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "{}不能修改台账，台账由社区和网格维护",
                self.actor.role.label()
            )))
        }
    }

    /// Refuses a node outside the keeper's scope (as not found).
    pub fn must_see(&self, code: &str) -> Result<(), AppError> {
        if self.actor.sees(code) {
            Ok(())
        } else {
            Err(AppError::not_found())
        }
    }
}

/// A refused entry: 422 naming the first problem (and how many more), every problem by field
/// in the details, so a form can show each beside its field.
pub(crate) fn invalid(problems: Vec<(&'static str, String)>) -> AppError {
    let first = problems
        .first()
        .map(|(f, m)| format!("{f}：{m}"))
        .unwrap_or_default();
    AppError::Unprocessable {
        code: "invalid_register_entry",
        message: if problems.len() > 1 {
            format!("{first}（另有 {} 处需要改正）", problems.len() - 1)
        } else {
            first
        },
        details: serde_json::Value::Array(
            problems
                .iter()
                .map(|(f, m)| serde_json::json!({"field": f, "message": m}))
                .collect(),
        ),
    }
}
