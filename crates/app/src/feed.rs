//! Following the change feed: every process applies what any process changed (see
//! `shanzhi_store::feed`), so nothing is known to one process only — its live feeds carry every
//! case change, its locate index every boundary, its calendar every edit.

use crate::notify::{CaseEvent, FeedEvent};
use crate::{App, AppError};
use shanzhi_domain::notify::FeedKind;
use shanzhi_store::feed::{self as store, FeedRow};

/// The feed's last position (where a process starting now begins to follow).
pub async fn head(state: &App) -> Result<i64, AppError> {
    Ok(store::head(&mut state.store().conn().await?).await?)
}

/// Applies every entry after `last`; returns the last position applied. While no live feed
/// is open in this process, case changes are stepped over unread (every process reads every
/// entry otherwise, each of them for nothing).
pub async fn follow(state: &App, mut last: i64) -> Result<i64, AppError> {
    loop {
        let watched = state.watched();
        let mut conn = state.store().conn().await?;
        let (rows, reached) = if watched {
            let rows = store::after(&mut conn, last, None, BATCH).await?;
            let reached = rows.last().map_or(last, |r| r.seq);
            (rows, reached)
        } else {
            store::after_but_cases(&mut conn, last, BATCH).await?
        };
        drop(conn);
        if !watched && state.watched() {
            // A live feed opened meanwhile: read the same stretch again with its case changes
            // (applying the others twice is harmless: they reload what they name).
            continue;
        }
        for row in rows {
            let seq = row.seq;
            if let Err(e) = apply(state, row).await {
                tracing::warn!(error = %e, seq, "change feed entry not applied");
            }
        }
        if reached == last {
            return Ok(last);
        }
        last = reached;
    }
}

/// Entries read at a time.
const BATCH: u32 = 500;

async fn apply(state: &App, row: FeedRow) -> Result<(), AppError> {
    let bad = |e: serde_json::Error| AppError::Internal(format!("change feed entry: {e}"));
    match row.kind {
        FeedKind::Case => {
            let event: CaseEvent = serde_json::from_str(&row.payload).map_err(bad)?;
            state.deliver(FeedEvent {
                seq: row.seq,
                event,
            });
        }
        FeedKind::Regions => {
            let codes: Vec<String> = serde_json::from_str(&row.payload).map_err(bad)?;
            crate::regions::refresh_index(state, &codes).await?;
        }
        FeedKind::Calendar => state.reload_calendar().await?,
        FeedKind::Categories => state.forget_categories(),
        FeedKind::Accounts => state.callers().forget(),
    }
    Ok(())
}

/// Case changes after `seq`, for a live feed resuming where it stopped (`Last-Event-ID`), at
/// most `limit`.
pub async fn cases_after(state: &App, seq: i64, limit: u32) -> Result<Vec<FeedEvent>, AppError> {
    let rows = store::after(
        &mut state.store().conn().await?,
        seq,
        Some(FeedKind::Case),
        limit,
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            serde_json::from_str(&r.payload)
                .ok()
                .map(|event| FeedEvent { seq: r.seq, event })
        })
        .collect())
}

/// Drops entries older than a day (followers are seconds behind; clients resume within
/// minutes).
pub async fn purge(state: &App) -> Result<(), AppError> {
    store::purge(
        &mut state.store().conn().await?,
        state.now_ms() - 24 * 3_600_000,
    )
    .await?;
    Ok(())
}
