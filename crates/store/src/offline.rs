//! Receipts of work sent from the field after a dropped signal (`field_receipts`): the key a
//! phone made for each item, what the item did, and its two times.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::offline::{FieldKind, Implausible};

/// One applied item.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
#[schema(as = FieldReceipt)]
pub struct Receipt {
    /// Who sent it.
    pub account_id: i64,
    /// The key the phone made.
    pub idem_key: String,
    /// What it was.
    pub kind: FieldKind,
    /// When it was made, by the phone (ms).
    pub made_at: i64,
    /// When it arrived, by the server (ms).
    pub arrived_at: i64,
    /// The time that counted (ms).
    pub counted_at: i64,
    /// Why the phone's time did not count, if it did not.
    pub set_aside: Option<Implausible>,
    /// Where the phone was, if it knew.
    pub lon: Option<f64>,
    /// Latitude.
    pub lat: Option<f64>,
    /// What it made or moved: the case, the visit, the patrol.
    pub target_id: i64,
}

const COLUMNS: &str = "account_id, idem_key, kind, made_at, arrived_at, counted_at, set_aside, \
     lon, lat, target_id";

/// Records an applied item. A key already used by the account is a [`StoreError::Conflict`]:
/// the caller's transaction rolls back, and the first receipt says what was done.
pub async fn insert(ex: &mut impl Exec, r: &Receipt) -> Result<(), StoreError> {
    ex.exec(
        Sql::new(format!(
            "INSERT INTO field_receipts ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(r.account_id)
        .bind(r.idem_key.as_str())
        .bind(r.kind.as_str())
        .bind(r.made_at)
        .bind(r.arrived_at)
        .bind(r.counted_at)
        .bind(r.set_aside.map(Implausible::as_str))
        .bind(r.lon)
        .bind(r.lat)
        .bind(r.target_id),
    )
    .await
    .map(drop)
}

/// The receipt of the account's item with `key`, if it was applied.
pub async fn get(
    ex: &mut impl Exec,
    account_id: i64,
    key: &str,
) -> Result<Option<Receipt>, StoreError> {
    ex.opt(
        Sql::new(format!(
            "SELECT {COLUMNS} FROM field_receipts WHERE account_id = ? AND idem_key = ?"
        ))
        .bind(account_id)
        .bind(key),
    )
    .await
}
