//! 我也遇到了: residents added to a problem already reported, and the open reports of a grid
//! they are shown before filing their own.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::case::Stage;

/// An open report of a grid, as a resident about to report is shown it: what kind, where,
/// when and how it stands — not what it says or who made it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Nearby {
    /// The case.
    pub id: i64,
    /// Its category.
    pub category_code: String,
    /// The address given, if any.
    pub address: Option<String>,
    /// Where it was placed (WGS-84), if it was.
    pub lon: Option<f64>,
    /// Latitude to [`Nearby::lon`].
    pub lat: Option<f64>,
    /// Its stage.
    pub stage: Stage,
    /// Reported (ms).
    pub created_at: i64,
    /// Residents who added themselves.
    pub supporters: i64,
}

/// Open reports in grid `node` since `since` of the categories `categories`, newest first.
pub async fn nearby(
    ex: &mut impl Exec,
    node: &str,
    since: i64,
    categories: &[String],
    limit: u32,
) -> Result<Vec<Nearby>, StoreError> {
    if categories.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(
        "SELECT c.id, c.category_code, c.address, c.lon, c.lat, c.stage, c.created_at, \
         (SELECT count(*) FROM case_supporters s WHERE s.case_id = c.id) AS supporters \
         FROM cases c WHERE c.node_code >= ? AND c.node_code < ? AND c.created_at >= ?",
    )
    .bind(node)
    .bind(format!("{node}:"))
    .bind(since);
    q.push_list(
        " AND c.stage IN",
        [
            Stage::Reported,
            Stage::Accepted,
            Stage::Dispatched,
            Stage::InProgress,
        ]
        .map(Stage::as_str),
    )
    .push_list(" AND c.category_code IN", categories.iter().cloned())
    .push_bind(" ORDER BY c.id DESC LIMIT ?", i64::from(limit));
    ex.all(q).await
}

/// Adds a resident to a case; false when the same phone already had.
pub async fn add(
    ex: &mut impl Exec,
    case_id: i64,
    phone_index: Option<&[u8]>,
    at: i64,
) -> Result<bool, StoreError> {
    let added = ex
        .exec(
            Sql::new("INSERT INTO case_supporters (case_id, phone_index, at) VALUES (?, ?, ?)")
                .bind(case_id)
                .bind(phone_index.map(<[u8]>::to_vec))
                .bind(at),
        )
        .await;
    match added {
        Ok(_) => Ok(true),
        Err(StoreError::Conflict(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// How many residents added themselves to a case.
pub async fn count(ex: &mut impl Exec, case_id: i64) -> Result<i64, StoreError> {
    let (n,): (i64,) = ex
        .one(Sql::new("SELECT count(*) FROM case_supporters WHERE case_id = ?").bind(case_id))
        .await?;
    Ok(n)
}
