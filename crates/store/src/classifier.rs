//! What the category and department suggestions learn from: the closed cases (their final
//! category after any 改类, and the kind of department that held them when they were
//! closed), and the record of each retraining.

use crate::{Exec, Sql, StoreError};

/// A closed case as learned from: title, description, category, department kind (None when
/// a grid or community handled it), closed at.
pub type Learned = (String, String, String, Option<String>, i64);

/// Cases closed at or before `cutoff` (not merged away), oldest first.
pub async fn closed_cases(ex: &mut impl Exec, cutoff: i64) -> Result<Vec<Learned>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT c.title, c.description, c.category_code, d.kind, c.closed_at FROM cases c \
             LEFT JOIN departments d ON d.id = c.department_id \
             WHERE c.closed_at IS NOT NULL AND c.closed_at <= ? AND c.merged_into IS NULL \
             AND c.stage IN ('closed', 'rated', 'followed_up') ORDER BY c.closed_at, c.id",
        )
        .bind(cutoff),
    )
    .await
}

/// One retraining, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
#[schema(as = ClassifierRun)]
pub struct Run {
    /// Id.
    pub id: i64,
    /// Learned from cases closed at or before this (ms).
    pub cutoff: i64,
    /// How many cases.
    pub cases: i64,
    /// Of the last month's closed cases, how many were classified by a model that had not
    /// seen them …
    pub held_out: i64,
    /// … how many of those its first suggestion got right …
    pub top1: i64,
    /// … and how many its first three did.
    pub top3: i64,
    /// Who asked (每日自动 for the nightly run).
    pub requested_by: String,
    /// When (ms).
    pub created_at: i64,
}

/// Records a retraining; returns its id.
pub async fn insert(ex: &mut impl Exec, run: &Run) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO classifier_runs (cutoff, cases, held_out, top1, top3, requested_by, \
                 created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(run.cutoff)
            .bind(run.cases)
            .bind(run.held_out)
            .bind(run.top1)
            .bind(run.top3)
            .bind(run.requested_by.as_str())
            .bind(run.created_at),
        )
        .await?;
    Ok(id)
}

/// The latest retraining, if any.
pub async fn latest(ex: &mut impl Exec) -> Result<Option<Run>, StoreError> {
    ex.opt(Sql::new(
        "SELECT id, cutoff, cases, held_out, top1, top3, requested_by, created_at \
         FROM classifier_runs ORDER BY id DESC LIMIT 1",
    ))
    .await
}
