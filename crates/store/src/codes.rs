//! One-time codes sent by text to prove a phone (answering a survey, rating a grid worker,
//! opting in to notices): kept hashed, per phone (blind index) and purpose.

use crate::{Exec, Sql, StoreError};

/// Stores a fresh one-time code for a phone and purpose (replacing any earlier one), unless
/// one was sent less than `gap_ms` ago; false then.
pub async fn put_code(
    ex: &mut impl Exec,
    phone_index: &[u8],
    purpose: &str,
    code_hash: &[u8],
    now: i64,
    ttl_ms: i64,
    gap_ms: i64,
) -> Result<bool, StoreError> {
    let done = ex
        .exec(
            Sql::new(
                "INSERT INTO otp_codes (phone_index, purpose, code_hash, sent_at, expires_at, attempts) \
                 VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (phone_index, purpose) DO UPDATE SET \
                 code_hash = excluded.code_hash, sent_at = excluded.sent_at, \
                 expires_at = excluded.expires_at, attempts = 0 WHERE otp_codes.sent_at <= ?",
            )
            .bind(phone_index.to_vec())
            .bind(purpose)
            .bind(code_hash.to_vec())
            .bind(now)
            .bind(now + ttl_ms)
            .bind(now - gap_ms),
        )
        .await?;
    Ok(done == 1)
}

/// Checks and spends a one-time code: true when it matches, is unexpired and has had fewer
/// than `max_attempts` tries; a wrong try counts, a right one deletes the code.
pub async fn take_code(
    ex: &mut impl Exec,
    phone_index: &[u8],
    purpose: &str,
    code_hash: &[u8],
    now: i64,
    max_attempts: i64,
) -> Result<bool, StoreError> {
    let taken = ex
        .exec(
            Sql::new(
                "DELETE FROM otp_codes WHERE phone_index = ? AND purpose = ? AND code_hash = ? \
                 AND expires_at > ? AND attempts < ?",
            )
            .bind(phone_index.to_vec())
            .bind(purpose)
            .bind(code_hash.to_vec())
            .bind(now)
            .bind(max_attempts),
        )
        .await?;
    if taken == 0 {
        ex.exec(
            Sql::new("UPDATE otp_codes SET attempts = attempts + 1 WHERE phone_index = ? AND purpose = ?")
                .bind(phone_index.to_vec())
                .bind(purpose),
        )
        .await?;
    }
    Ok(taken == 1)
}
