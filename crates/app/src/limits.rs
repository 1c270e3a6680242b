//! Limits on how often a client may try — failed logins, public submissions — counted in
//! the database, so every server process behind the load balancer holds the same line.

use crate::{App, AppError};
use shanzhi_domain::auth::RateLimit;
use shanzhi_store::limits as store;

/// Counts one event for `key` in `bucket`; refused (429, with the wait) past `limit`.
pub async fn allow(state: &App, bucket: &str, key: &str, limit: RateLimit) -> Result<(), AppError> {
    let now = state.now_ms();
    let start = limit.window_start(now);
    let previous = start - limit.window.as_millis() as i64;
    let (current, before) = store::hit(
        &mut state.store().conn().await?,
        bucket,
        key,
        start,
        previous,
    )
    .await?;
    limit
        .check(current, before, now)
        .map_err(|wait| AppError::RateLimited(wait.as_secs().max(1)))
}

/// Counts one event for `key` in `bucket` without a limit, per minute (figures such as texts
/// sent, read back over the last hour or day with [`counted_since`]).
pub async fn count(state: &App, bucket: &str, key: &str) -> Result<(), AppError> {
    let now = state.now_ms();
    let minute = 60_000;
    let start = now - now.rem_euclid(minute);
    store::hit(
        &mut state.store().conn().await?,
        bucket,
        key,
        start,
        start - minute,
    )
    .await?;
    Ok(())
}

/// Events [`count`]ed in `bucket` over the last `ms`.
pub async fn counted_since(state: &App, bucket: &str, ms: i64) -> Result<u64, AppError> {
    let since = state.now_ms() - ms;
    Ok(store::total_since(&mut state.store().conn().await?, bucket, since).await?)
}

/// Drops counts no window reaches any more (run by the scheduler).
pub async fn purge(state: &App) -> Result<(), AppError> {
    let day = 24 * 3600 * 1000;
    store::purge(&mut state.store().conn().await?, state.now_ms() - day).await?;
    Ok(())
}
