//! The background work every running application does, started in one place: the deadline
//! scheduler (escalation of overdue cases, purge of expired sessions), the nightly retraining
//! of the suggestions, webhook and text deliveries, the audit chain's anchoring, and the dashboard's tally fold with SQLite's WAL
//! checkpoints. All of it keeps its state in the database, so a restart resumes where it
//! stopped and several processes may run it at once.

use crate::{App, audit, cases, notify};
use std::time::Duration;
use tokio::task::JoinHandle;

/// The running workers; dropped or stopped, they end.
pub struct Workers(Vec<JoinHandle<()>>);

impl Workers {
    /// Starts every worker. The scheduler first runs one `escalation_every` after the start,
    /// then at that interval.
    pub fn start(app: &App, escalation_every: Duration) -> Workers {
        Workers(vec![
            scheduler(app.clone(), escalation_every.max(Duration::from_secs(1))),
            outboxes(app.clone()),
            anchors(app.clone()),
            feed(app.clone()),
            checkpoints(app.clone()),
            retraining(app.clone()),
        ])
    }

    /// Stops every worker.
    pub fn stop(&self) {
        for w in &self.0 {
            w.abort();
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs `work` every `every`, the first time one interval after the start.
fn every<F, W>(every: Duration, work: W) -> JoinHandle<()>
where
    W: Fn() -> F + Send + 'static,
    F: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            work().await;
        }
    })
}

/// The category and department suggestions retrained once a day (checked hourly; the
/// database says whether a day has passed, so restarts and several processes keep to it).
fn retraining(app: App) -> JoinHandle<()> {
    every(Duration::from_secs(3600), move || {
        let app = app.clone();
        async move {
            match crate::suggest::retrain_if_due(&app).await {
                Ok(Some(run)) => tracing::info!(cases = run.cases, "suggestions retrained"),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "retraining the suggestions"),
            }
        }
    })
}

/// Overdue cases go one tier up; expired sessions and tokens, and limit counts no window
/// reaches, are deleted (this only keeps the tables small).
fn scheduler(app: App, interval: Duration) -> JoinHandle<()> {
    every(interval, move || {
        let app = app.clone();
        async move {
            match cases::escalate_overdue(&app).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(escalated = n, "overdue cases escalated"),
                Err(e) => tracing::warn!(error = %e, "deadline scheduler"),
            }
            if let Err(e) = crate::accounts::purge_expired(&app).await {
                tracing::warn!(error = %e, "purging expired sessions");
            }
            if let Err(e) = crate::limits::purge(&app).await {
                tracing::warn!(error = %e, "purging old limit counts");
            }
            if let Err(e) = crate::feed::purge(&app).await {
                tracing::warn!(error = %e, "purging the change feed");
            }
            if let Err(e) = crate::registers::jobs::purge(&app).await {
                tracing::warn!(error = %e, "purging finished jobs");
            }
        }
    })
}

/// The least time between two passes of a worker woken by commits: under a stream of
/// reports every commit wakes it, and one pass then covers what many commits wrote instead of
/// a pass (and its reads) for each.
const PASS_GAP: Duration = Duration::from_millis(50);

/// Delivers the outboxes — webhook notifications and texts to residents — right after each
/// change is published, and every second for retries that have come due. Deliveries are rows
/// in the database.
fn outboxes(app: App) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = notify::deliver_due(&app).await {
                tracing::warn!(error = %e, "webhook delivery");
            }
            if let Err(e) = crate::sms::deliver_due(&app).await {
                tracing::warn!(error = %e, "text delivery");
            }
            tokio::time::sleep(PASS_GAP).await;
            tokio::select! {
                () = app.changes_published() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    })
}

/// Follows the change feed: what any process changed — case events for the live feeds,
/// boundaries, the calendar, the categories — is applied here within a second (woken by this
/// process's own commits, by PostgreSQL's `NOTIFY` for others', and every two seconds in case
/// a notification was missed while the listener reconnected, or entries were left without a
/// position by a process that died right after its commit).
fn feed(app: App) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut last = loop {
            match crate::feed::head(&app).await {
                Ok(seq) => break seq,
                Err(e) => {
                    tracing::warn!(error = %e, "change feed: reading its head");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        };
        let mut listener = None;
        loop {
            if listener.is_none() {
                listener = app.store().listen().await.unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "change feed: listening");
                    None
                });
            }
            tokio::select! {
                () = app.feed_written() => {}
                heard = async {
                    match listener.as_mut() {
                        Some(l) => l.next().await,
                        None => std::future::pending().await,
                    }
                } => {
                    if let Err(e) = heard {
                        tracing::warn!(error = %e, "change feed: listener lost");
                        listener = None;
                    }
                }
                () = tokio::time::sleep(Duration::from_secs(2)) => {
                    // What a process that died between its commit and settling left behind.
                    if let Err(e) = app.store().settle().await {
                        tracing::warn!(error = %e, "change feed: settling");
                    }
                }
            }
            match crate::feed::follow(&app, last).await {
                Ok(seq) => last = seq,
                Err(e) => tracing::warn!(error = %e, "change feed: following"),
            }
            tokio::time::sleep(PASS_GAP).await;
        }
    })
}

/// Anchors the audit chain's head outside the database every minute.
fn anchors(app: App) -> JoinHandle<()> {
    every(Duration::from_secs(60), move || {
        let app = app.clone();
        async move {
            if let Err(e) = audit::anchor(&app).await {
                tracing::error!(error = %e, "anchoring the audit chain");
            }
        }
    })
}

/// Every second: folds the dashboard's tally changes, and checkpoints the SQLite WAL so that no
/// commit waits for it.
fn checkpoints(app: App) -> JoinHandle<()> {
    every(Duration::from_secs(1), move || {
        let store = app.store().clone();
        async move {
            // Both are timed: each holds SQLite's one writer for part of its length (the
            // fold to add its sums, a restart the checkpoint asks for), which the intake waits.
            let start = std::time::Instant::now();
            if let Err(e) = shanzhi_store::dashboard::fold(&store).await {
                tracing::warn!(error = %e, "dashboard tallies");
            }
            let folded = std::time::Instant::now();
            metrics::histogram!("shanzhi_tally_fold_seconds")
                .record(folded.duration_since(start).as_secs_f64());
            if let Err(e) = store.checkpoint().await {
                tracing::warn!(error = %e, "WAL checkpoint");
            }
            metrics::histogram!("shanzhi_wal_checkpoint_seconds")
                .record(folded.elapsed().as_secs_f64());
        }
    })
}
