//! A process's copy of something built from the database (the gazetteer, the suggestion
//! models): answered from memory, asked at most every two seconds whether the database has
//! moved on — by a version the database gives — and rebuilt when it has, so no process
//! answers from what another process has since changed for longer than that.

use crate::AppError;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a process answers from its copy before asking whether it is still current.
const RECHECK: Duration = Duration::from_secs(2);

/// When the copy was last checked, the version it was built from, the copy.
type Copy<T> = (Instant, Vec<i64>, Arc<T>);

/// Where a process keeps one copy; rebuilding is one at a time.
pub struct Kept<T> {
    copy: std::sync::RwLock<Option<Copy<T>>>,
    rebuilding: tokio::sync::Mutex<()>,
}

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Kept {
            copy: std::sync::RwLock::new(None),
            rebuilding: tokio::sync::Mutex::new(()),
        }
    }
}

impl<T> Kept<T> {
    fn held(&self) -> Option<Copy<T>> {
        self.copy.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Makes the next [`Kept::get`] ask the database, as after a change made here (the copy
    /// stays, answering any request that comes meanwhile).
    pub fn recheck(&self) {
        let mut copy = self.copy.write().unwrap_or_else(|p| p.into_inner());
        match (copy.as_mut(), Instant::now().checked_sub(RECHECK)) {
            (Some((at, _, _)), Some(old)) => *at = old,
            _ => *copy = None,
        }
    }

    /// The current copy: this process's while it was checked less than two seconds ago; else
    /// `version` is asked and, when it differs from the copy's, `build` makes a new one. While
    /// one request rebuilds (seconds, for a city), the others answer from the copy before
    /// rather than queue behind it.
    pub async fn get<V, B>(
        &self,
        version: impl FnOnce() -> V,
        build: impl FnOnce(Vec<i64>) -> B,
    ) -> Result<Arc<T>, AppError>
    where
        V: Future<Output = Result<Vec<i64>, AppError>>,
        B: Future<Output = Result<T, AppError>>,
    {
        let fresh = |kept: &Kept<T>| {
            kept.held()
                .filter(|(at, _, _)| at.elapsed() < RECHECK)
                .map(|(_, _, t)| t)
        };
        if let Some(t) = fresh(self) {
            return Ok(t);
        }
        let _turn = match self.rebuilding.try_lock() {
            Ok(turn) => turn,
            Err(_) => match self.held() {
                Some((_, _, t)) => return Ok(t),
                None => self.rebuilding.lock().await,
            },
        };
        if let Some(t) = fresh(self) {
            return Ok(t);
        }
        let version = version().await?;
        let t = match self.held().filter(|(_, v, _)| *v == version) {
            Some((_, _, t)) => t,
            None => Arc::new(build(version.clone()).await?),
        };
        *self.copy.write().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), version, t.clone()));
        Ok(t)
    }
}
