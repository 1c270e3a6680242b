//! Imports that take a while run as jobs: the upload is answered at once with the job's
//! address, and the page (or client) follows its progress there until the report is ready.
//! Jobs are rows (`shanzhi_store::jobs`): any process behind the load balancer answers for
//! any job; the process doing the work writes its progress every half second, and a job whose
//! process stopped is reported as interrupted (its write, one transaction, was rolled back).

use super::import::{Phase, Progress, Report, Upload};
use super::source::Format;
use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError, Principal};
use shanzhi_store::jobs as store;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// How often a running job writes its progress.
const BEAT: Duration = Duration::from_millis(500);
/// Without a sign of life for this long, a job's process is taken to have stopped.
const STALE_MS: i64 = 15_000;
/// How long a finished job's report stays readable.
const KEEP_MS: i64 = 3_600_000;

/// A job's state as the API and the page show it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct JobStatus {
    /// Id.
    pub id: String,
    /// Register.
    pub register: String,
    /// File name.
    pub file: String,
    /// Phase.
    pub phase: Phase,
    /// Percent done over the whole import, when it can be told (CSV); xlsx shows rows only.
    pub percent: Option<u8>,
    /// Rows checked or written in the current phase.
    pub rows: u64,
    /// Seconds since it started.
    pub seconds: u64,
    /// Whether it has finished.
    pub done: bool,
    /// The report, once finished.
    pub report: Option<Report>,
    /// Why it failed, if the file could not be imported at all.
    pub error: Option<String>,
}

/// What a running job knows of itself.
pub struct Running {
    id: String,
    register: &'static str,
    file: String,
    size: u64,
    format: Format,
    progress: Arc<Progress>,
    started: i64,
}

impl Running {
    /// Where it stands now (`outcome` once finished).
    fn status(&self, now: i64, outcome: Option<&Result<Report, String>>) -> JobStatus {
        let phase = if outcome.is_some() {
            Phase::Done
        } else {
            self.progress.phase()
        };
        let read = self.progress.read.load(Ordering::Relaxed);
        let share = |lo: f64, hi: f64| {
            let f = if self.size == 0 {
                0.0
            } else {
                read as f64 / self.size as f64
            };
            lo + (hi - lo) * f.clamp(0.0, 1.0)
        };
        let percent = match (phase, self.format) {
            (Phase::Done, _) => Some(100),
            (_, Format::Xlsx | Format::Xls | Format::Ods) => None,
            (Phase::Checking, Format::Csv) => Some(share(0.0, 45.0) as u8),
            (Phase::Matching, Format::Csv) => Some(50),
            (Phase::Writing, Format::Csv) => Some(share(55.0, 95.0) as u8),
            (Phase::Indexing, Format::Csv) => Some(97),
        };
        let (report, error) = match outcome {
            Some(Ok(r)) => (Some(r.clone()), None),
            Some(Err(e)) => (None, Some(e.clone())),
            None => (None, None),
        };
        JobStatus {
            id: self.id.clone(),
            register: self.register.to_owned(),
            file: self.file.clone(),
            phase,
            percent,
            rows: self.progress.rows.load(Ordering::Relaxed),
            seconds: ((now - self.started).max(0) / 1000) as u64,
            done: outcome.is_some(),
            report,
            error,
        }
    }

    async fn save(&self, state: &App, status: &JobStatus) -> Result<bool, AppError> {
        let json = serde_json::to_string(status).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(store::update(
            &mut state.store().conn().await?,
            &self.id,
            &json,
            status.done,
            state.now_ms(),
        )
        .await?)
    }
}

/// A started import: its id, and its end (for a caller that waits).
pub struct Started {
    /// The job's id.
    pub id: String,
    /// Resolves to the final status.
    pub finished: tokio::task::JoinHandle<JobStatus>,
}

/// Starts an import of `upload` into `register` (`residents`, `places` or `staff`) as `p`'s job.
pub async fn start(
    state: &App,
    p: &Principal,
    register: &str,
    upload: Upload,
    reading: super::import::Reading,
    check_only: bool,
) -> Result<Started, AppError> {
    let (which, resource) = match register {
        "residents" => ("residents", Resource::Resident),
        "places" => ("places", Resource::Place),
        "staff" => ("staff", Resource::Staff),
        _ => return Err(AppError::not_found()),
    };
    p.may(resource, Verb::Write)?;
    let job = Running {
        id: format!(
            "{:016x}{:016x}",
            rand::random::<u64>(),
            rand::random::<u64>()
        ),
        register: which,
        file: upload.name.clone(),
        size: upload.size,
        format: upload.format,
        progress: Progress::new(),
        started: state.now_ms(),
    };
    let first = serde_json::to_string(&job.status(job.started, None))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    store::insert(
        &mut state.store().conn().await?,
        &job.id,
        p.account.id,
        &first,
        job.started,
    )
    .await?;
    let id = job.id.clone();
    let job = Arc::new(job);
    state.running_jobs().insert(job.clone());
    // Progress goes to the row from a task of its own: on SQLite the row cannot be written
    // while the import's transaction holds the one write lock, and the import must not wait.
    let reporter = {
        let (state, job) = (state.clone(), job.clone());
        tokio::spawn(async move {
            let mut beat = tokio::time::interval(BEAT);
            loop {
                beat.tick().await;
                let now = job.status(state.now_ms(), None);
                // A save that waits out its beat is skipped: the next one carries newer news.
                if let Ok(Err(e)) = tokio::time::timeout(BEAT * 2, job.save(&state, &now)).await {
                    tracing::warn!(job = %job.id, error = %e, "import progress not saved");
                }
            }
        })
    };
    let (state, owner) = (state.clone(), p.clone());
    let finished = tokio::spawn(async move {
        let result = super::import::run(
            &state,
            &owner,
            which,
            &upload,
            &reading,
            check_only,
            &job.progress,
        )
        .await;
        reporter.abort();
        let outcome = result.map_err(|e| match e {
            AppError::Internal(detail) => {
                tracing::error!(job = %job.id, %detail, "import failed");
                "服务器内部错误，导入未完成，没有写入任何数据".to_owned()
            }
            other => other.to_string(),
        });
        let last = job.status(state.now_ms(), Some(&outcome));
        for attempt in 0..5 {
            match job.save(&state, &last).await {
                Ok(_) => break,
                Err(e) => {
                    tracing::error!(job = %job.id, error = %e, attempt, "import outcome not saved");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        state.running_jobs().remove(&job.id);
        last
    });
    Ok(Started { id, finished })
}

/// The jobs this process is running: their progress is read from memory here (it is always
/// current), and a job here is never taken for dead.
#[derive(Default)]
pub struct Local(std::sync::Mutex<std::collections::HashMap<String, Arc<Running>>>);

impl Local {
    fn insert(&self, job: Arc<Running>) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(job.id.clone(), job);
        }
    }

    fn remove(&self, id: &str) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(id);
        }
    }

    fn get(&self, id: &str) -> Option<Arc<Running>> {
        self.0.lock().ok()?.get(id).cloned()
    }
}

/// Where `owner`'s job `id` stands, from any process; 404 for anyone else's.
pub async fn status(state: &App, id: &str, owner: i64) -> Result<JobStatus, AppError> {
    let row = store::get(&mut state.store().conn().await?, id)
        .await?
        .filter(|r| r.owner == owner)
        .ok_or_else(AppError::not_found)?;
    if let Some(here) = state.running_jobs().get(id) {
        return Ok(here.status(state.now_ms(), None));
    }
    let mut status: JobStatus =
        serde_json::from_str(&row.status).map_err(|e| AppError::Internal(e.to_string()))?;
    let now = state.now_ms();
    if !row.done && now - row.heartbeat > STALE_MS {
        // Its process stopped: the import's one transaction never committed.
        status.phase = Phase::Done;
        status.done = true;
        status.error =
            Some("导入中断：处理它的服务进程已停止，没有写入任何数据；请重新上传".into());
        let json = serde_json::to_string(&status).map_err(|e| AppError::Internal(e.to_string()))?;
        store::update(&mut state.store().conn().await?, id, &json, true, now).await?;
    } else if !row.done {
        status.seconds = ((now - row.started_at).max(0) / 1000) as u64;
    }
    Ok(status)
}

/// Drops jobs finished more than an hour ago.
pub async fn purge(state: &App) -> Result<(), AppError> {
    store::purge(&mut state.store().conn().await?, state.now_ms() - KEEP_MS).await?;
    Ok(())
}

/// What a checked import needs to be written on confirmation.
#[derive(serde::Serialize, serde::Deserialize)]
struct Request {
    register: String,
    name: String,
    reading: super::import::Reading,
}

/// Keeps a check-only job's file (sealed: registers carry ID numbers) and how it was read, so
/// that `confirm` can write it from any process without the file being sent again. Kept as
/// long as the job (an hour after it ends), taken once.
pub async fn keep_for_confirmation(
    state: &App,
    job: &str,
    register: &str,
    name: &str,
    bytes: &[u8],
    reading: &super::import::Reading,
) -> Result<(), AppError> {
    let request = serde_json::to_string(&Request {
        register: register.to_owned(),
        name: name.to_owned(),
        reading: reading.clone(),
    })
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let sealed = state
        .vault()
        .seal_bytes(shanzhi_store::vault::Field::Upload, bytes);
    store::keep_file(&mut state.store().conn().await?, job, &sealed, &request).await?;
    Ok(())
}

/// Writes what `owner`'s check-only job `id` checked (or previewed): a new job on the same
/// file, read the same way, checked again as it is written. 404 for anyone else's job.
pub async fn confirm(state: &App, p: &Principal, id: &str) -> Result<Started, AppError> {
    let mut conn = state.store().conn().await?;
    store::get(&mut conn, id)
        .await?
        .filter(|r| r.owner == p.account.id && r.done)
        .ok_or_else(AppError::not_found)?;
    let (sealed, request) = store::take_file(&mut conn, id).await?.ok_or_else(|| {
        AppError::bad(
            "confirmed",
            "这份文件已经写入，或检查已超过一小时：请重新上传",
        )
    })?;
    drop(conn);
    let bytes = state
        .vault()
        .open_bytes(shanzhi_store::vault::Field::Upload, &sealed)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let request: Request =
        serde_json::from_str(&request).map_err(|e| AppError::Internal(e.to_string()))?;
    let upload = Upload::save(&state.config().upload_dir, &request.name, &bytes)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    start(state, p, &request.register, upload, request.reading, false).await
}
