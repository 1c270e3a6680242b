//! The points ledger's one entry point for earning: crediting a member from the community's
//! issuer inside the caller's transaction (verified service, confirmed wishes). Redemptions,
//! reversals and the statements are the points module's.

use crate::AppError;
use shanzhi_domain::participation::points as rules;
use shanzhi_domain::participation::{AccountKind, LedgerError, PostingKind};
use shanzhi_store::Tx;
use shanzhi_store::points::{self as store, NewPosting, Posted};

/// Points to credit a member from the community's issuer.
#[derive(Debug, Clone, Copy)]
pub struct Credit<'a> {
    /// The member's community.
    pub community: &'a str,
    /// The member.
    pub member: i64,
    /// Points.
    pub points: i64,
    /// Why.
    pub kind: PostingKind,
    /// Idempotency key.
    pub key: &'a str,
    /// What for.
    pub source: &'a str,
    /// Who: (account, label).
    pub operator: (Option<i64>, &'a str),
    /// Words.
    pub note: &'a str,
    /// When (ms).
    pub at: i64,
}

/// A broken ledger rule as the caller is told it.
pub(crate) fn ledger_error(e: LedgerError) -> AppError {
    match e {
        LedgerError::Insufficient { .. }
        | LedgerError::OutOfStock { .. }
        | LedgerError::NotReversible => AppError::Conflict(e.to_string()),
        LedgerError::InvalidQuantity => AppError::bad("invalid_quantity", e.to_string()),
        LedgerError::InvalidDuration => AppError::bad("invalid_minutes", e.to_string()),
        LedgerError::InvalidPoints | LedgerError::Unbalanced => {
            AppError::bad("invalid_points", e.to_string())
        }
    }
}

/// Credits a member in the caller's transaction; returns the posting (the earlier one if the
/// key was used before).
pub async fn credit(tx: &mut Tx, c: &Credit<'_>) -> Result<i64, AppError> {
    let issuer = store::system_account(tx, c.community, AccountKind::Issuer).await?;
    let account = store::member_account(tx, c.community, c.member).await?;
    let lines = rules::transfer(issuer, account, c.points).map_err(ledger_error)?;
    let posting = NewPosting {
        community: c.community,
        kind: c.kind,
        key: c.key,
        source: c.source,
        reverses: None,
        operator_id: c.operator.0,
        operator_label: c.operator.1,
        note: c.note,
        at: c.at,
    };
    match store::post(tx, &posting, &lines).await? {
        Posted::New(id) | Posted::Replayed(id) => Ok(id),
        Posted::Short { balance, needed } => {
            Err(ledger_error(LedgerError::Insufficient { balance, needed }))
        }
    }
}
