//! Tag duties (标签职责), the access policy's one setting: which tags are sensitive personal
//! information, and which kinds of department (民政, 派出所 …) list the people carrying each.
//! The security administrator keeps them; every change is audited in its own transaction.

use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError, Principal, audit};
use shanzhi_store::duties as store;
pub use shanzhi_store::duties::DutyRow;

/// A tag's new duties.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct DutyInput {
    /// Whether the tag is sensitive personal information (listed by person only to the grid,
    /// the community and the departments named).
    pub sensitive: bool,
    /// Department kinds, as departments name them (民政, 派出所, 司法所, 卫健 …).
    #[serde(default)]
    pub departments: Vec<String>,
}

/// Longest department kind accepted.
const KIND_MAX: usize = 20;

/// Every tag with its sensitivity and duties.
pub async fn list(state: &App, p: &Principal) -> Result<Vec<DutyRow>, AppError> {
    p.may(Resource::Duty, Verb::Read)?;
    Ok(store::all(&mut state.store().conn().await?).await?)
}

/// The department kinds named, trimmed, without blanks or repeats; refused when one is too
/// long to be a kind.
fn kinds(input: &[String]) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for k in input.iter().map(|k| k.trim()).filter(|k| !k.is_empty()) {
        if k.chars().count() > KIND_MAX {
            return Err(AppError::bad(
                "invalid_department_kind",
                format!("部门类别“{k}”过长：请填类别（如 民政、派出所），不超过 {KIND_MAX} 字"),
            ));
        }
        if !out.iter().any(|o| o == k) {
            out.push(k.to_owned());
        }
    }
    Ok(out)
}

/// Replaces the duties of tag `tag` (its code); 404 for an unknown tag.
pub async fn set(
    state: &App,
    p: &Principal,
    tag: &str,
    input: &DutyInput,
) -> Result<DutyRow, AppError> {
    p.may(Resource::Duty, Verb::Write)?;
    let departments = kinds(&input.departments)?;
    let mut tx = state.store().begin().await?;
    let before = store::all(&mut tx)
        .await?
        .into_iter()
        .find(|d| d.tag == tag)
        .ok_or_else(|| AppError::NotFound(format!("没有“{tag}”这个标签")))?;
    store::set(&mut tx, tag, input.sensitive, &departments).await?;
    let after = DutyRow {
        sensitive: input.sensitive,
        departments,
        ..before.clone()
    };
    let record = audit::entry(
        state.now_ms(),
        &audit::Actor::of(p),
        "policy.duty",
        format!("tag:{tag}"),
        None,
        serde_json::json!({"before": before, "after": after}),
    );
    audit::record(&mut tx, [record]);
    tx.commit().await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_trimmed_deduplicated_and_bounded() {
        let got = kinds(&[" 民政 ".into(), "".into(), "民政".into(), "派出所".into()]).unwrap();
        assert_eq!(got, ["民政", "派出所"]);
        assert!(kinds(&["一".repeat(21)]).is_err());
    }
}
