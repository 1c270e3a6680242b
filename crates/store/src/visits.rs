//! Visits (走访) to households and places, the register changes made during them, and the
//! tagged residents due a visit.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::register::vocab::VisitPurpose;

/// A visit to store.
#[derive(Debug, Clone)]
pub struct NewVisit<'a> {
    /// The grid of the household or place.
    pub node_code: &'a str,
    /// The household visited.
    pub household_id: Option<i64>,
    /// Or the place visited.
    pub place_id: Option<i64>,
    /// The visitor's account and name.
    pub visitor: (i64, &'a str),
    /// Beijing day.
    pub day: &'a str,
    /// When it was recorded (ms).
    pub at: i64,
    /// Purpose code.
    pub purpose: &'static str,
    /// What was said and seen.
    pub notes: &'a str,
    /// Problems found.
    pub findings: &'a str,
}

/// Stores a visit; returns its id.
pub async fn insert(ex: &mut impl Exec, v: &NewVisit<'_>) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO visits (node_code, household_id, place_id, account_id, visitor_label, \
                 day, at, purpose, notes, findings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(v.node_code)
            .bind(v.household_id)
            .bind(v.place_id)
            .bind(v.visitor.0)
            .bind(v.visitor.1)
            .bind(v.day)
            .bind(v.at)
            .bind(v.purpose)
            .bind(v.notes)
            .bind(v.findings),
        )
        .await?;
    Ok(id)
}

/// A visit as listed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct VisitRow {
    /// Id.
    pub id: i64,
    /// Grid.
    pub node_code: String,
    /// Household visited.
    pub household_id: Option<i64>,
    /// Place visited.
    pub place_id: Option<i64>,
    /// Visitor's account.
    pub account_id: i64,
    /// Visitor, in words.
    pub visitor_label: String,
    /// Day.
    pub day: String,
    /// Purpose code.
    pub purpose: VisitPurpose,
    /// Notes.
    pub notes: String,
    /// Problems found.
    pub findings: String,
}

const COLUMNS: &str = "id, node_code, household_id, place_id, account_id, visitor_label, day, \
     purpose, notes, findings";

/// One visit.
pub async fn get(ex: &mut impl Exec, id: i64) -> Result<Option<VisitRow>, StoreError> {
    ex.opt(Sql::new(format!("SELECT {COLUMNS} FROM visits WHERE id = ?")).bind(id))
        .await
}

/// What a list of visits is about.
#[derive(Debug, Clone, Copy)]
pub enum Visited {
    /// One household.
    Household(i64),
    /// One place.
    Place(i64),
}

/// Visits to a household or a place, newest first.
pub async fn of(ex: &mut impl Exec, what: Visited) -> Result<Vec<VisitRow>, StoreError> {
    let (column, id) = match what {
        Visited::Household(id) => ("household_id", id),
        Visited::Place(id) => ("place_id", id),
    };
    ex.all(
        Sql::new(format!(
            "SELECT {COLUMNS} FROM visits WHERE {column} = ? ORDER BY day DESC, id DESC LIMIT 200"
        ))
        .bind(id),
    )
    .await
}

/// A register change made during a visit.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ChangeRow {
    /// The person changed.
    pub person_id: Option<i64>,
    /// Which field (its label).
    pub field: String,
    /// Before (masked where personal).
    pub before_value: String,
    /// After (masked where personal).
    pub after_value: String,
}

/// Records register changes made during a visit.
pub async fn add_changes(
    ex: &mut impl Exec,
    visit_id: i64,
    changes: &[ChangeRow],
) -> Result<(), StoreError> {
    for c in changes {
        ex.exec(
            Sql::new(
                "INSERT INTO visit_changes (visit_id, person_id, field, before_value, after_value) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(visit_id)
            .bind(c.person_id)
            .bind(c.field.as_str())
            .bind(c.before_value.as_str())
            .bind(c.after_value.as_str()),
        )
        .await?;
    }
    Ok(())
}

/// The register changes made during a visit.
pub async fn changes(ex: &mut impl Exec, visit_id: i64) -> Result<Vec<ChangeRow>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT person_id, field, before_value, after_value FROM visit_changes \
             WHERE visit_id = ? ORDER BY id",
        )
        .bind(visit_id),
    )
    .await
}

/// The visit-tagged residents of a household: (person, tag, days between visits, next due).
pub async fn household_tags(
    ex: &mut impl Exec,
    household_id: i64,
) -> Result<Vec<(i64, String, i32, Option<String>)>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT t.person_id, t.tag, k.visit_days, t.next_visit FROM person_tags t \
             JOIN tag_kinds k ON k.code = t.tag JOIN persons p ON p.id = t.person_id \
             WHERE p.household_id = ? AND p.moved_out IS NULL AND k.visit_days IS NOT NULL",
        )
        .bind(household_id),
    )
    .await
}

/// Sets when a tagged resident is next due a visit.
pub async fn set_next_visit(
    ex: &mut impl Exec,
    person_id: i64,
    tag: &str,
    day: &str,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new("UPDATE person_tags SET next_visit = ? WHERE person_id = ? AND tag = ?")
            .bind(day)
            .bind(person_id)
            .bind(tag),
    )
    .await?;
    Ok(())
}

/// A tagged resident due a visit by a day.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct DueRow {
    /// Person.
    pub person_id: i64,
    /// Name.
    pub name: String,
    /// Household.
    pub household_id: i64,
    /// Grid.
    pub node_code: String,
    /// Tag code.
    pub tag: String,
    /// Tag name.
    pub tag_name: String,
    /// Days between visits.
    pub visit_days: i32,
    /// Next visit due (none: never visited).
    pub next_visit: Option<String>,
    /// The grid worker looking after them, if named.
    pub carer_account_id: Option<i64>,
    /// Their name.
    pub carer_name: Option<String>,
}

/// The tagged residents under a root (`?`, `?`) due a visit by a day (`?`): the tables and
/// conditions the list below and the dashboard's count share.
pub(crate) const DUE_FROM: &str = "FROM person_tags t JOIN tag_kinds k ON k.code = t.tag \
     JOIN persons p ON p.id = t.person_id \
     LEFT JOIN accounts a ON a.id = t.carer_account_id \
     WHERE k.visit_days IS NOT NULL AND p.moved_out IS NULL \
     AND p.node_code >= ? AND p.node_code < ? \
     AND (t.next_visit IS NULL OR t.next_visit <= ?)";

/// Residents under `root` carrying one of `tags` due a visit on or before `day` (never
/// visited first, then longest overdue), at most `limit`.
pub async fn due(
    ex: &mut impl Exec,
    root: &str,
    day: &str,
    tags: &[String],
    limit: u32,
) -> Result<Vec<DueRow>, StoreError> {
    if tags.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(format!(
        "SELECT p.id AS person_id, p.name, p.household_id, p.node_code, t.tag, k.name AS tag_name, \
         k.visit_days, t.next_visit, t.carer_account_id, a.display_name AS carer_name {DUE_FROM}"
    ))
    .bind(root)
    .bind(format!("{root}:"))
    .bind(day);
    q.push_list(" AND t.tag IN", tags.iter().cloned());
    q.push_bind(
        " ORDER BY t.next_visit IS NOT NULL, t.next_visit, p.node_code, p.id LIMIT ?",
        i64::from(limit),
    );
    ex.all(q).await
}

/// How many residents under `root` carrying one of `tags` are due a visit on or before `day`.
pub async fn due_count(
    ex: &mut impl Exec,
    root: &str,
    day: &str,
    tags: &[String],
) -> Result<i64, StoreError> {
    if tags.is_empty() {
        return Ok(0);
    }
    let mut q = Sql::new(format!("SELECT count(DISTINCT p.id) {DUE_FROM}"))
        .bind(root)
        .bind(format!("{root}:"))
        .bind(day);
    q.push_list(" AND t.tag IN", tags.iter().cloned());
    let (n,): (i64,) = ex.one(q).await?;
    Ok(n)
}

/// Visits made under `root` from `from` to `to`, per visitor: (account, visits).
pub async fn done_by_visitor(
    ex: &mut impl Exec,
    root: &str,
    from: &str,
    to: &str,
) -> Result<Vec<(i64, i64)>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT account_id, COUNT(*) FROM visits \
             WHERE node_code >= ? AND node_code < ? AND day >= ? AND day <= ? \
             GROUP BY account_id ORDER BY account_id",
        )
        .bind(root)
        .bind(format!("{root}:"))
        .bind(from)
        .bind(to),
    )
    .await
}
