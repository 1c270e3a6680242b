//! Extension and suspension requests (延期/挂起申请) and their decisions.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::case::RequestKind;

/// A request (also the API's answer).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct RequestRow {
    /// Id.
    pub id: i64,
    /// Case.
    pub case_id: i64,
    /// 延期 or 挂起.
    pub kind: RequestKind,
    /// Hours asked for (extensions).
    pub hours: Option<i64>,
    /// Why.
    pub reason: String,
    /// Who asked.
    pub requested_by: i64,
    /// When (ms).
    pub requested_at: i64,
    /// Who decided.
    pub decided_by: Option<i64>,
    /// When (ms); none while pending.
    pub decided_at: Option<i64>,
    /// The decision.
    pub approved: Option<bool>,
    /// The approver's note.
    pub decision_note: Option<String>,
}

const COLUMNS: &str = "id, case_id, kind, hours, reason, requested_by, requested_at, decided_by, decided_at, \
                       approved, decision_note";

/// Files a request; the unique index refuses a second pending one (a conflict).
pub async fn insert(
    ex: &mut impl Exec,
    case_id: i64,
    kind: RequestKind,
    hours: Option<i64>,
    reason: &str,
    by: i64,
    at: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO case_requests (case_id, kind, hours, reason, requested_by, requested_at) \
                 VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(case_id)
            .bind(kind.as_str())
            .bind(hours)
            .bind(reason)
            .bind(by)
            .bind(at),
        )
        .await?;
    Ok(id)
}

/// The case's pending request, if any.
pub async fn pending(ex: &mut impl Exec, case_id: i64) -> Result<Option<RequestRow>, StoreError> {
    ex.opt(
        Sql::new(format!(
            "SELECT {COLUMNS} FROM case_requests WHERE case_id = ? AND decided_at IS NULL"
        ))
        .bind(case_id),
    )
    .await
}

/// Every request on the case, oldest first.
pub async fn of_case(ex: &mut impl Exec, case_id: i64) -> Result<Vec<RequestRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {COLUMNS} FROM case_requests WHERE case_id = ? ORDER BY id"
        ))
        .bind(case_id),
    )
    .await
}

/// Records the decision on a pending request; false if it was decided meanwhile.
pub async fn decide(
    ex: &mut impl Exec,
    id: i64,
    by: i64,
    at: i64,
    approved: bool,
    note: &str,
) -> Result<bool, StoreError> {
    let n = ex
        .exec(
            Sql::new(
                "UPDATE case_requests SET decided_by = ?, decided_at = ?, approved = ?, decision_note = ? \
                 WHERE id = ? AND decided_at IS NULL",
            )
            .bind(by)
            .bind(at)
            .bind(approved)
            .bind(note)
            .bind(id),
        )
        .await?;
    Ok(n == 1)
}

/// A request waiting for a decision, with its case's title (我的待办).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Undecided {
    /// Request.
    pub id: i64,
    /// Case.
    pub case_id: i64,
    /// The case's title.
    pub title: String,
    /// 延期 or 挂起.
    pub kind: RequestKind,
    /// Hours asked for (extensions).
    pub hours: Option<i64>,
    /// When (ms).
    pub requested_at: i64,
}

/// Requests waiting for a decision on the cases held at `tiers` under `root`, oldest first,
/// at most `limit`.
pub async fn undecided_below(
    ex: &mut impl Exec,
    root: &str,
    tiers: &[shanzhi_domain::case::Tier],
    limit: u32,
) -> Result<Vec<Undecided>, StoreError> {
    if tiers.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(
        "SELECT r.id, r.case_id, c.title, r.kind, r.hours, r.requested_at \
         FROM case_requests r JOIN cases c ON c.id = r.case_id \
         WHERE r.decided_at IS NULL AND c.holder_code >= ? AND c.holder_code < ?",
    )
    .bind(root)
    .bind(format!("{root}:"));
    q.push_list(" AND c.tier IN", tiers.iter().map(|t| t.as_str()))
        .push_bind(" ORDER BY r.requested_at, r.id LIMIT ?", i64::from(limit));
    ex.all(q).await
}
