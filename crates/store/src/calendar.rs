//! The working-day calendar's exceptions (public holidays and make-up working days).

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::case::{Calendar, Day, DayKind};

/// One exception day (also the API's answer).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct CalendarDayRow {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// A weekday off or a weekend day worked.
    pub kind: DayKind,
    /// What it is (春节, 国庆调休 …).
    pub name: String,
}

/// Every exception, in date order (optionally one year's).
pub async fn days(
    ex: &mut impl Exec,
    year: Option<i32>,
) -> Result<Vec<CalendarDayRow>, StoreError> {
    let mut q = Sql::new("SELECT day, kind, name FROM calendar_days");
    if let Some(y) = year {
        q.push_bind(" WHERE day >= ?", format!("{y:04}-"))
            .push_bind(" AND day < ?", format!("{:04}-", y + 1));
    }
    q.push(" ORDER BY day");
    ex.all(q).await
}

/// The calendar the deadline rules use.
pub async fn load(ex: &mut impl Exec) -> Result<Calendar, StoreError> {
    let rows = days(ex, None).await?;
    Ok(Calendar::new(
        rows.iter()
            .filter_map(|r| Some((Day::parse(&r.day)?, r.kind))),
    ))
}

/// Sets (adds or replaces) one exception.
pub async fn set(
    ex: &mut impl Exec,
    day: Day,
    kind: DayKind,
    name: &str,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new(
            "INSERT INTO calendar_days (day, kind, name) VALUES (?, ?, ?) \
             ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name",
        )
        .bind(day.to_string())
        .bind(kind.as_str())
        .bind(name),
    )
    .await
    .map(drop)
}

/// Removes one exception; false if there was none.
pub async fn remove(ex: &mut impl Exec, day: Day) -> Result<bool, StoreError> {
    let n = ex
        .exec(Sql::new("DELETE FROM calendar_days WHERE day = ?").bind(day.to_string()))
        .await?;
    Ok(n > 0)
}

/// Adds the shipped exceptions for every year the table knows nothing about yet, so that an
/// administrator's edits to a year are never overwritten on restart.
pub async fn seed(ex: &mut impl Exec, shipped: &[(&str, DayKind, &str)]) -> Result<(), StoreError> {
    let known: Vec<(String,)> = ex
        .all(Sql::new(
            "SELECT DISTINCT substr(day, 1, 4) FROM calendar_days",
        ))
        .await?;
    for (day, kind, name) in shipped {
        if known.iter().any(|(y,)| day.starts_with(y.as_str())) {
            continue;
        }
        ex.exec(
            Sql::new("INSERT INTO calendar_days (day, kind, name) VALUES (?, ?, ?)")
                .bind(*day)
                .bind(kind.as_str())
                .bind(*name),
        )
        .await?;
    }
    Ok(())
}
