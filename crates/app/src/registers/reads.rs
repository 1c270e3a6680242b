//! Why personal data is looked at: every list or opening of residents is on the audit record
//! with who, whom and why — the case or visit it was for, when the caller names one.

use crate::{App, AppError, Principal, case_scope};
use serde_json::{Value, json};

/// Why a record is opened: the case or the visit it is for (neither: working the register).
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct Purpose {
    /// The case the caller is handling.
    pub case: Option<i64>,
    /// The visit the caller is making.
    pub visit: Option<i64>,
}

impl Purpose {
    /// The purpose as the audit record keeps it, after checking the caller may see the case
    /// or visit named (404 otherwise: a purpose cannot be borrowed).
    pub async fn checked(&self, state: &App, p: &Principal) -> Result<Value, AppError> {
        if let Some(id) = self.case {
            case_scope::visible(state, &p.actor, id).await?;
        }
        if let Some(id) = self.visit {
            let visit = shanzhi_store::visits::get(&mut state.store().conn().await?, id)
                .await?
                .ok_or_else(AppError::not_found)?;
            p.must_see(&visit.node_code)?;
        }
        Ok(match (self.case, self.visit) {
            (Some(c), _) => json!({"case": c}),
            (None, Some(v)) => json!({"visit": v}),
            (None, None) => json!("register"),
        })
    }
}
