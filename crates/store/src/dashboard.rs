//! The dashboard's grouped counts: cases, summonses, patrols' and visits' figures for an area
//! (a code-prefix range) and a period, in one grouped scan each.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::figures::CaseCounts;

/// How to group the case counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// One row for the whole area (key empty).
    Total,
    /// By the area's children: the first `n` characters of the node code.
    Child(usize),
    /// By top-level category (first two characters of its code).
    Category,
    /// By Beijing day reported (key: days since 1970-01-01, as text).
    Day,
}

/// Beijing day number of a millisecond column, as text (the same on both backends).
fn day_of(column: &str) -> String {
    format!("CAST(({column} + 28800000) / 86400000 AS TEXT)")
}

type CountRow = (String, i64, i64, i64, i64, i64, i64, i64, i64);

/// Counts of cases reported under `root` in `[from, to)`, grouped; `now` decides which open
/// cases are past their deadline.
pub async fn case_counts(
    ex: &mut impl Exec,
    root: &str,
    (from, to): (i64, i64),
    now: i64,
    group: Group,
) -> Result<Vec<(String, CaseCounts)>, StoreError> {
    let key = match group {
        Group::Total => "''".to_owned(),
        Group::Child(_) => "substr(node_code, 1, ?)".to_owned(),
        Group::Category => "substr(category_code, 1, 2)".to_owned(),
        Group::Day => day_of("created_at"),
    };
    let mut q = Sql::new(format!("SELECT {key} AS k, "));
    if let Group::Child(n) = group {
        q = q.bind(n as i32);
    }
    q.push(
        "COALESCE(SUM(CASE WHEN stage <> 'merged' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN stage = 'rejected' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN closed_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN handled_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN handled_at IS NOT NULL AND handled_at <= handle_due THEN 1 ELSE 0 END), 0), ",
    );
    q.push_bind(
        "COALESCE(SUM(CASE WHEN (handled_at IS NOT NULL AND handled_at > handle_due) \
         OR (stage = 'reported' AND COALESCE(suspended_at, ?) > accept_due) ",
        now,
    );
    q.push_bind(
        "OR (stage IN ('accepted', 'dispatched', 'in_progress') AND COALESCE(suspended_at, ?) > handle_due) \
         THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN satisfaction IS NOT NULL THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN satisfaction IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END), 0) \
         FROM cases",
        now,
    );
    q.push_bind(" WHERE created_at >= ?", from)
        .push_bind(" AND created_at < ?", to)
        .push_bind(" AND node_code >= ?", root)
        .push_bind(" AND node_code < ?", format!("{root}:"));
    if group != Group::Total {
        q.push(" GROUP BY 1 ORDER BY 1");
    }
    let rows: Vec<CountRow> = ex.all(q).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.0,
                CaseCounts {
                    received: r.1,
                    rejected: r.2,
                    closed: r.3,
                    handled: r.4,
                    handled_on_time: r.5,
                    overdue: r.6,
                    rated: r.7,
                    satisfied: r.8,
                },
            )
        })
        .collect())
}

/// Cases closed under `root` in `[from, to)` per Beijing day (key as in [`Group::Day`]).
pub async fn closed_by_day(
    ex: &mut impl Exec,
    root: &str,
    (from, to): (i64, i64),
) -> Result<Vec<(String, i64)>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {} AS k, COUNT(*) FROM cases WHERE closed_at >= ? AND closed_at < ? \
             AND node_code >= ? AND node_code < ? GROUP BY 1 ORDER BY 1",
            day_of("closed_at")
        ))
        .bind(from)
        .bind(to)
        .bind(root)
        .bind(format!("{root}:")),
    )
    .await
}

/// Cases open now under `root`, per child (first `child_len` characters): (child, open,
/// of which past their deadline).
pub async fn open_by_child(
    ex: &mut impl Exec,
    root: &str,
    child_len: usize,
    now: i64,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT substr(node_code, 1, ?) AS k, COUNT(*), \
             COALESCE(SUM(CASE WHEN (stage = 'reported' AND COALESCE(suspended_at, ?) > accept_due) \
               OR (stage <> 'reported' AND COALESCE(suspended_at, ?) > handle_due) THEN 1 ELSE 0 END), 0) \
             FROM cases WHERE stage IN ('reported', 'accepted', 'dispatched', 'in_progress') \
             AND node_code >= ? AND node_code < ? GROUP BY 1 ORDER BY 1",
        )
        .bind(child_len as i32)
        .bind(now)
        .bind(now)
        .bind(root)
        .bind(format!("{root}:")),
    )
    .await
}

/// 吹哨报到 under `root` for summonses issued in `[from, to)`: (summoned, reported in,
/// average minutes to report in).
pub async fn summons_response(
    ex: &mut impl Exec,
    root: &str,
    (from, to): (i64, i64),
) -> Result<(i64, i64, Option<f64>), StoreError> {
    ex.one(
        Sql::new(
            "SELECT COUNT(*), COUNT(s.reported_at), \
             CAST(AVG(CASE WHEN s.reported_at IS NOT NULL THEN (s.reported_at - s.summoned_at) / 60000.0 END) AS DOUBLE PRECISION) \
             FROM case_summons s JOIN cases c ON c.id = s.case_id \
             WHERE s.summoned_at >= ? AND s.summoned_at < ? AND c.node_code >= ? AND c.node_code < ?",
        )
        .bind(from)
        .bind(to)
        .bind(root)
        .bind(format!("{root}:")),
    )
    .await
}

/// Visits made under `root` from day `from` to day `to` (inclusive).
pub async fn visits_done(
    ex: &mut impl Exec,
    root: &str,
    from: &str,
    to: &str,
) -> Result<i64, StoreError> {
    let (n,): (i64,) = ex
        .one(
            Sql::new(
                "SELECT COUNT(*) FROM visits WHERE day >= ? AND day <= ? \
                 AND node_code >= ? AND node_code < ?",
            )
            .bind(from)
            .bind(to)
            .bind(root)
            .bind(format!("{root}:")),
        )
        .await?;
    Ok(n)
}

/// Tagged residents under `root` due a visit by `day` (overdue or never visited).
pub async fn visits_due(ex: &mut impl Exec, root: &str, day: &str) -> Result<i64, StoreError> {
    let (n,): (i64,) = ex
        .one(
            Sql::new(format!("SELECT COUNT(*) {}", crate::visits::DUE_FROM))
                .bind(root)
                .bind(format!("{root}:"))
                .bind(day),
        )
        .await?;
    Ok(n)
}
