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
use shanzhi_store::{Backend, Exec, Sql, Store};
use std::sync::Arc;
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
    queue: mpsc::Sender<Job>,
}

/// The queue's receiving end, held by the writer whose turn it is to gather and write.
type Turn = Arc<tokio::sync::Mutex<mpsc::Receiver<Job>>>;

impl Intake {
    /// Starts `writers` writer tasks (one for SQLite, which has a single writer anyway; a few
    /// for PostgreSQL, which commits in parallel).
    /// Fails only when the process cannot start a thread.
    pub fn start(store: &Store, writers: usize, clock: &Clock) -> std::io::Result<Intake> {
        let writers = writers.max(1);
        let (queue, rx) = mpsc::channel(4 * MAX_BATCH * writers);
        let turn: Turn = Arc::new(tokio::sync::Mutex::new(rx));
        for _ in 0..writers {
            let writer = write_loop(store.clone(), turn.clone(), clock.clone());
            match store.backend() {
                Backend::Sqlite => on_own_thread(writer)?,
                Backend::Postgres => drop(tokio::spawn(writer)),
            }
        }
        Ok(Intake { queue })
    }

    /// Files a checked report durably: returns once its transaction has committed.
    pub(crate) async fn file(
        &self,
        filing: Filing,
        category: CategoryRow,
        calendar: Arc<Calendar>,
    ) -> Reply {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            // The request's record moves with the report to the writer's transaction.
            audit: shanzhi_store::audit::request_record(),
            filing,
            category,
            calendar,
            reply,
        };
        let gone = || AppError::Internal("intake writer stopped".into());
        self.queue.send(job).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// Runs SQLite's one writer on a thread of its own. A batch is a dozen statements, each a
/// round trip to the connection's thread; on the server's runtime each answer waited for a
/// worker to come round to the writer between the HTTP tasks, and the one writer, which every
/// report waits for, sat idle meanwhile (BENCHMARKS.md). It ends when the queue is dropped.
fn on_own_thread(writer: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("intake-writer".into())
        .spawn(move || runtime.block_on(writer))?;
    Ok(())
}

/// Writers take turns: one gathers what waits and writes it, and hands the turn on when only
/// its commit (the WAL flush) is left; so while some commit, the next gathers everything that
/// arrived meanwhile into one batch, and batches stay as large as the load makes them.
async fn write_loop(store: Store, turn: Turn, clock: Clock) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        let mut queue = turn.clone().lock_owned().await;
        if queue.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        metrics::histogram!("shanzhi_intake_batch_size").record(batch.len() as f64);
        match write_batch(&store, &batch, clock.now_ms(), queue).await {
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
/// again one report at a time, each in a savepoint, so only the bad one is refused. A report
/// placed in a node retired since it was checked (a process learns of a retirement through
/// the change feed) is refused here, in the transaction, instead of written.
/// `turn` is handed on before the commit (and kept through the slow path).
async fn write_batch(
    store: &Store,
    batch: &[Job],
    now: i64,
    turn: tokio::sync::OwnedMutexGuard<mpsc::Receiver<Job>>,
) -> Result<Vec<Reply>, AppError> {
    let start = std::time::Instant::now();
    let mut tx = store.begin().await?;
    // The wait for the write transaction (SQLite: behind any other writer, and a WAL restart).
    metrics::histogram!("shanzhi_intake_begin_seconds").record(start.elapsed().as_secs_f64());
    let mut places: Vec<&str> = batch.iter().map(|j| j.filing.node.code.as_str()).collect();
    places.sort_unstable();
    places.dedup();
    let retired = shanzhi_store::regions::retired_among(&mut tx, &places).await?;
    let live: Vec<&Job> = batch
        .iter()
        .filter(|j| !retired.contains(&j.filing.node.code))
        .collect();
    let webhooks = shanzhi_store::webhooks::any_active(&mut tx).await?;
    let reports: Vec<Placed<'_>> = live.iter().map(|j| placed(j)).collect();
    let written: Vec<Reply> = match file_many(&mut tx, &reports, webhooks, now).await {
        Ok(written) => {
            tx.audit(live.iter().filter_map(|j| j.audit.clone()));
            drop(turn);
            tx.commit_durable().await?;
            metrics::histogram!("shanzhi_intake_write_seconds")
                .record(start.elapsed().as_secs_f64());
            written.into_iter().map(Ok).collect()
        }
        Err(_) => {
            drop(tx);
            write_one_by_one(store, &live, now).await?
        }
    };
    let mut written = written.into_iter();
    Ok(batch
        .iter()
        .map(|j| {
            if retired.contains(&j.filing.node.code) {
                Err(crate::cases::retired_place())
            } else {
                written
                    .next()
                    .unwrap_or_else(|| Err(AppError::Internal("report not written".into())))
            }
        })
        .collect())
}

async fn write_one_by_one(store: &Store, batch: &[&Job], now: i64) -> Result<Vec<Reply>, AppError> {
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
    tx.commit_durable().await?;
    Ok(results)
}
