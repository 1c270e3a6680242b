//! Group commit for incoming reports. Every report must be durable before it is answered, and
//! a commit costs a WAL write (SQLite) or a WAL flush round-trip (PostgreSQL) whatever its
//! size; so reports queue for a writer task that files everything waiting in one transaction,
//! each report inside its own savepoint (a bad one is rolled back alone), commits once, and then
//! answers each. Under load a commit carries hundreds of reports; when idle, it carries one and
//! adds no delay.

use crate::cases::{Filing, Placed, file_in, file_many};
use crate::notify::CaseEvent;
use crate::{AppError, Clock};
use shanzhi_domain::case::Calendar;
use shanzhi_store::audit::NewAudit;
use shanzhi_store::cases::{CaseRow, CategoryRow};
use shanzhi_store::{Exec, Sql, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{mpsc, oneshot};

/// The most reports one transaction carries.
const MAX_BATCH: usize = 512;

type Reply = Result<(CaseRow, CaseEvent), AppError>;

struct Job {
    /// The audit record of the request the report came in by, written with the report.
    audit: Option<NewAudit>,
    filing: Filing,
    category: CategoryRow,
    calendar: Arc<Calendar>,
    reply: oneshot::Sender<Reply>,
}

/// The queue in front of the intake writers.
pub struct Intake {
    writers: Vec<mpsc::Sender<Job>>,
    next: AtomicUsize,
}

impl Intake {
    /// Starts `writers` writer tasks (one for SQLite, which has a single writer anyway; a few
    /// for PostgreSQL, which commits in parallel).
    pub fn start(store: &Store, writers: usize, clock: &Clock) -> Intake {
        let writers = (0..writers.max(1))
            .map(|_| {
                let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
                tokio::spawn(write_loop(store.clone(), rx, clock.clone()));
                tx
            })
            .collect();
        Intake {
            writers,
            next: AtomicUsize::new(0),
        }
    }

    /// Files a checked report durably: returns once its transaction has committed.
    pub(crate) async fn file(
        &self,
        filing: Filing,
        category: CategoryRow,
        calendar: Arc<Calendar>,
    ) -> Reply {
        let (reply, answer) = oneshot::channel();
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.writers.len();
        let job = Job {
            // The request's record moves with the report to the writer's transaction.
            audit: shanzhi_store::audit::request_record(),
            filing,
            category,
            calendar,
            reply,
        };
        let gone = || AppError::Internal("intake writer stopped".into());
        self.writers[i].send(job).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn write_loop(store: Store, mut rx: mpsc::Receiver<Job>, clock: Clock) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        metrics::histogram!("shanzhi_intake_batch_size").record(batch.len() as f64);
        match write_batch(&store, &batch, clock.now_ms()).await {
            Ok(results) => {
                for (job, result) in batch.drain(..).zip(results) {
                    let _ = job.reply.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, reports = batch.len(), "intake commit failed");
                for job in batch.drain(..) {
                    let answer = match &e {
                        AppError::Unavailable(m) => AppError::Unavailable(m.clone()),
                        other => AppError::Internal(format!("commit failed: {other}")),
                    };
                    let _ = job.reply.send(Err(answer));
                }
            }
        }
    }
}

fn placed(job: &Job) -> Placed<'_> {
    Placed {
        filing: &job.filing,
        category: &job.category,
        calendar: &job.calendar,
    }
}

/// One transaction for the whole batch, written in a few multi-row statements. Reports are
/// checked before they are queued, so this rarely fails; when it does, the batch is written
/// again one report at a time, each in a savepoint, so only the bad one is refused.
async fn write_batch(store: &Store, batch: &[Job], now: i64) -> Result<Vec<Reply>, AppError> {
    let mut tx = store.begin().await?;
    let webhooks = shanzhi_store::webhooks::any_active(&mut tx).await?;
    let reports: Vec<Placed<'_>> = batch.iter().map(placed).collect();
    match file_many(&mut tx, &reports, webhooks, now).await {
        Ok(written) => {
            tx.audit(batch.iter().filter_map(|j| j.audit.clone()));
            tx.commit().await?;
            Ok(written.into_iter().map(Ok).collect())
        }
        Err(_) => {
            drop(tx);
            write_one_by_one(store, batch, now).await
        }
    }
}

async fn write_one_by_one(store: &Store, batch: &[Job], now: i64) -> Result<Vec<Reply>, AppError> {
    let mut tx = store.begin().await?;
    let webhooks = shanzhi_store::webhooks::any_active(&mut tx).await?;
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        tx.exec(Sql::new("SAVEPOINT intake_report")).await?;
        let result = file_in(&mut tx, placed(job), webhooks, now).await;
        if result.is_err() {
            tx.exec(Sql::new("ROLLBACK TO SAVEPOINT intake_report"))
                .await?;
        } else {
            tx.audit(job.audit.clone());
        }
        tx.exec(Sql::new("RELEASE SAVEPOINT intake_report")).await?;
        results.push(result);
    }
    tx.commit().await?;
    Ok(results)
}
