//! Imports that take a while run as jobs: the upload is answered at once with the job's
//! address, and the page (or client) follows its progress there until the report is ready.

use super::import::{Phase, Progress, Report};
use super::source::Format;
use crate::AppError;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a finished job's report stays readable.
const KEEP: Duration = Duration::from_secs(3600);

/// Running and recently finished imports.
#[derive(Debug, Default)]
pub struct Jobs {
    map: Mutex<HashMap<String, Arc<Job>>>,
}

/// One import.
#[derive(Debug)]
pub struct Job {
    /// Unguessable id.
    pub id: String,
    /// The account that started it (only it may read it).
    pub owner: i64,
    /// Which register (`residents`, `places`).
    pub register: &'static str,
    /// The file's name.
    pub file: String,
    size: u64,
    format: Format,
    progress: Arc<Progress>,
    started: Instant,
    outcome: Mutex<Option<(Instant, Result<Report, String>)>>,
}

/// A job's state as the API and the page show it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
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

impl Jobs {
    /// Starts `work` as a job of `owner`'s.
    pub fn start(
        &self,
        owner: i64,
        register: &'static str,
        (file, size, format): (String, u64, Format),
        progress: Arc<Progress>,
        work: impl Future<Output = Result<Report, AppError>> + Send + 'static,
    ) -> Arc<Job> {
        let job = Arc::new(Job {
            id: format!(
                "{:016x}{:016x}",
                rand::random::<u64>(),
                rand::random::<u64>()
            ),
            owner,
            register,
            file,
            size,
            format,
            progress,
            started: Instant::now(),
            outcome: Mutex::new(None),
        });
        if let Ok(mut map) = self.map.lock() {
            map.retain(|_, j| !j.expired());
            map.insert(job.id.clone(), job.clone());
        }
        let running = job.clone();
        tokio::spawn(async move {
            let result = work.await.map_err(|e| match e {
                AppError::Internal(detail) => {
                    tracing::error!(job = %running.id, %detail, "import failed");
                    "服务器内部错误，导入未完成，没有写入任何数据".to_owned()
                }
                other => other.to_string(),
            });
            if let Ok(mut o) = running.outcome.lock() {
                *o = Some((Instant::now(), result));
            }
        });
        job
    }

    /// A job of `owner`'s.
    pub fn get(&self, id: &str, owner: i64) -> Option<Arc<Job>> {
        self.map
            .lock()
            .ok()?
            .get(id)
            .filter(|j| j.owner == owner)
            .cloned()
    }
}

impl Job {
    fn expired(&self) -> bool {
        self.outcome
            .lock()
            .ok()
            .and_then(|o| o.as_ref().map(|(at, _)| at.elapsed() > KEEP))
            .unwrap_or(false)
    }

    /// Where it stands.
    pub fn status(&self) -> JobStatus {
        let outcome = self.outcome.lock().ok().and_then(|o| o.clone());
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
            (_, Format::Xlsx) => None,
            (Phase::Checking, Format::Csv) => Some(share(0.0, 45.0) as u8),
            (Phase::Matching, Format::Csv) => Some(50),
            (Phase::Writing, Format::Csv) => Some(share(55.0, 95.0) as u8),
            (Phase::Indexing, Format::Csv) => Some(97),
        };
        let (report, error) = match outcome {
            Some((_, Ok(r))) => (Some(r), None),
            Some((_, Err(e))) => (None, Some(e)),
            None => (None, None),
        };
        JobStatus {
            id: self.id.clone(),
            register: self.register.to_owned(),
            file: self.file.clone(),
            phase,
            percent,
            rows: self.progress.rows.load(Ordering::Relaxed),
            seconds: self.started.elapsed().as_secs(),
            done: phase == Phase::Done,
            report,
            error,
        }
    }
}
