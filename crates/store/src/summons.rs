//! 吹哨报到: summoning departments to a case and their reporting in.

use crate::{Exec, Sql, StoreError};

/// A stored summons.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct SummonsRow {
    /// Id.
    pub id: i64,
    /// Case.
    pub case_id: i64,
    /// Department summoned.
    pub department_id: i64,
    /// When (ms).
    pub summoned_at: i64,
    /// Report-in deadline (ms).
    pub due_at: i64,
    /// When the department reported in (ms), if it has.
    pub reported_at: Option<i64>,
    /// What the department did.
    pub part: Option<String>,
    /// Why it was summoned.
    pub reason: String,
    /// Where to meet.
    pub place: Option<String>,
    /// When to meet (ms).
    pub meet_at: Option<i64>,
}

const COLUMNS: &str =
    "id, case_id, department_id, summoned_at, due_at, reported_at, part, reason, place, meet_at";

/// What a summons says, beyond who and by when.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// Why.
    pub reason: &'a str,
    /// Where to meet.
    pub place: Option<&'a str>,
    /// When to meet (ms).
    pub meet_at: Option<i64>,
}

/// Summons a department; a department already summoned to the case is a conflict.
pub async fn insert(
    ex: &mut impl Exec,
    case_id: i64,
    department_id: i64,
    by: i64,
    at: i64,
    due: i64,
    call: Call<'_>,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO case_summons (case_id, department_id, summoned_by, summoned_at, due_at, \
                 reason, place, meet_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(case_id)
            .bind(department_id)
            .bind(by)
            .bind(at)
            .bind(due)
            .bind(call.reason)
            .bind(call.place)
            .bind(call.meet_at),
        )
        .await?;
    Ok(id)
}

/// The summonses of a case.
pub async fn of_case(ex: &mut impl Exec, case_id: i64) -> Result<Vec<SummonsRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {COLUMNS} FROM case_summons WHERE case_id = ? ORDER BY id"
        ))
        .bind(case_id),
    )
    .await
}

/// Whether a department has been summoned to a case.
pub async fn summoned(
    ex: &mut impl Exec,
    case_id: i64,
    department_id: i64,
) -> Result<bool, StoreError> {
    let (n,): (i64,) = ex
        .one(
            Sql::new("SELECT count(*) FROM case_summons WHERE case_id = ? AND department_id = ?")
                .bind(case_id)
                .bind(department_id),
        )
        .await?;
    Ok(n > 0)
}

/// Records a department reporting in (once); false if it had already.
pub async fn report_in(
    ex: &mut impl Exec,
    case_id: i64,
    department_id: i64,
    by: i64,
    at: i64,
    part: &str,
) -> Result<bool, StoreError> {
    let n = ex
        .exec(
            Sql::new(
                "UPDATE case_summons SET reported_at = ?, reported_by = ?, part = ? \
                 WHERE case_id = ? AND department_id = ? AND reported_at IS NULL",
            )
            .bind(at)
            .bind(by)
            .bind(part)
            .bind(case_id)
            .bind(department_id),
        )
        .await?;
    Ok(n == 1)
}

/// Response figures of one department since a time.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct DepartmentResponse {
    /// Department.
    pub department_id: i64,
    /// Times summoned.
    pub summoned: i64,
    /// Times it reported in.
    pub reported: i64,
    /// Times it reported in after the deadline, or has not and the deadline passed.
    pub late: i64,
    /// Average time to report in, minutes (of those that did).
    pub avg_minutes: Option<f64>,
}

/// Response figures per department for summonses since `since` among `departments`.
pub async fn responses(
    ex: &mut impl Exec,
    since: i64,
    now: i64,
) -> Result<Vec<DepartmentResponse>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT department_id, count(*) AS summoned, count(reported_at) AS reported, \
             sum(CASE WHEN (reported_at IS NOT NULL AND reported_at > due_at) OR (reported_at IS NULL AND due_at < ?) \
                 THEN 1 ELSE 0 END) AS late, \
             CAST(avg(CASE WHEN reported_at IS NOT NULL THEN (reported_at - summoned_at) / 60000.0 END) AS DOUBLE PRECISION) AS avg_minutes \
             FROM case_summons WHERE summoned_at >= ? GROUP BY department_id ORDER BY department_id",
        )
        .bind(now)
        .bind(since),
    )
    .await
}

/// A summons its department has not answered, with the case's title (我的待办).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Unanswered {
    /// Case.
    pub case_id: i64,
    /// The case's title.
    pub title: String,
    /// When (ms).
    pub summoned_at: i64,
    /// Report-in deadline (ms).
    pub due_at: i64,
    /// Why it was summoned.
    pub reason: String,
}

/// The summonses a department has not reported in to, the nearest deadline first.
pub async fn unanswered(
    ex: &mut impl Exec,
    department_id: i64,
    limit: u32,
) -> Result<Vec<Unanswered>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT s.case_id, c.title, s.summoned_at, s.due_at, s.reason \
             FROM case_summons s JOIN cases c ON c.id = s.case_id \
             WHERE s.department_id = ? AND s.reported_at IS NULL \
             ORDER BY s.due_at, s.id LIMIT ?",
        )
        .bind(department_id)
        .bind(i64::from(limit)),
    )
    .await
}
