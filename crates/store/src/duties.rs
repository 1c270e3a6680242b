//! Tag duties (标签职责): which tags are sensitive, and which kinds of department each is the
//! duty of.

use crate::{Exec, Sql, StoreError};

/// A tag with its sensitivity and the department kinds it is the duty of.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DutyRow {
    /// Tag code.
    pub tag: String,
    /// Tag name (独居老人 …).
    pub name: String,
    /// Whether the tag is sensitive personal information.
    pub sensitive: bool,
    /// Department kinds (民政, 派出所 …) whose duty the tag is.
    pub departments: Vec<String>,
}

/// Every tag kind with its duties, in display order.
pub async fn all(ex: &mut impl Exec) -> Result<Vec<DutyRow>, StoreError> {
    let kinds: Vec<(String, String, bool)> = ex
        .all(Sql::new(
            "SELECT code, name, sensitive FROM tag_kinds ORDER BY sort, code",
        ))
        .await?;
    let duties: Vec<(String, String)> = ex
        .all(Sql::new(
            "SELECT tag, department_kind FROM tag_duties ORDER BY tag, department_kind",
        ))
        .await?;
    Ok(kinds
        .into_iter()
        .map(|(tag, name, sensitive)| DutyRow {
            departments: duties
                .iter()
                .filter(|(t, _)| *t == tag)
                .map(|(_, d)| d.clone())
                .collect(),
            tag,
            name,
            sensitive,
        })
        .collect())
}

/// Replaces a tag's sensitivity and duties; false when there is no such tag.
pub async fn set(
    ex: &mut impl Exec,
    tag: &str,
    sensitive: bool,
    departments: &[String],
) -> Result<bool, StoreError> {
    let n = ex
        .exec(
            Sql::new("UPDATE tag_kinds SET sensitive = ? WHERE code = ?")
                .bind(sensitive)
                .bind(tag),
        )
        .await?;
    if n == 0 {
        return Ok(false);
    }
    ex.exec(Sql::new("DELETE FROM tag_duties WHERE tag = ?").bind(tag))
        .await?;
    for d in departments {
        ex.exec(
            Sql::new("INSERT INTO tag_duties (tag, department_kind) VALUES (?, ?)")
                .bind(tag)
                .bind(d.as_str()),
        )
        .await?;
    }
    Ok(true)
}
