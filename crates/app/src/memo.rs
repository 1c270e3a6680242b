//! Rows read on every request, kept in memory in front of the database: who a credential
//! belongs to, the facts of a located grid. A memo is emptied by whatever changes what it
//! holds — here at once, in every other process when its change-feed entry arrives — and no
//! entry outlives [`Memo::new`]'s age even if an entry were missed.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// Entries a memo holds before it starts over (a bound on memory, far above a district's
/// staff or grids).
const MAX_ENTRIES: usize = 50_000;

/// A map from text keys to rows, emptied by [`Memo::forget`].
pub(crate) struct Memo<V> {
    max_age: Duration,
    inner: RwLock<Inner<V>>,
}

struct Inner<V> {
    /// Counts the times the memo was emptied: a row read before an emptying is not kept.
    generation: u64,
    entries: HashMap<String, (Instant, V)>,
}

/// What a reader saw before it went to the database (see [`Memo::keep`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen(u64);

impl<V: Clone> Memo<V> {
    /// An empty memo whose entries are read again once `max_age` old.
    pub(crate) fn new(max_age: Duration) -> Memo<V> {
        Memo {
            max_age,
            inner: RwLock::new(Inner {
                generation: 0,
                entries: HashMap::new(),
            }),
        }
    }

    /// The row kept for `key`, if fresh; otherwise what to hand [`Memo::keep`] with the row read.
    pub(crate) fn get(&self, key: &str) -> Result<V, Seen> {
        // A poisoned lock means a panic mid-insert into a plain map: its entries still hold.
        let inner = self.inner.read().unwrap_or_else(|p| p.into_inner());
        match inner.entries.get(key) {
            Some((at, v)) if at.elapsed() < self.max_age => Ok(v.clone()),
            _ => Err(Seen(inner.generation)),
        }
    }

    /// Keeps a row read from the database, unless the memo was emptied since `seen`: then the
    /// row may predate the change that emptied it.
    pub(crate) fn keep(&self, key: &str, value: V, seen: Seen) {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        if inner.generation != seen.0 {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.clear();
        }
        inner
            .entries
            .insert(key.to_owned(), (Instant::now(), value));
    }

    /// The row for `key`: the kept one, or the one `read` finds (then kept).
    pub(crate) async fn get_or_read<E, F>(&self, key: &str, read: F) -> Result<Option<V>, E>
    where
        F: Future<Output = Result<Option<V>, E>>,
    {
        let seen = match self.get(key) {
            Ok(v) => return Ok(Some(v)),
            Err(seen) => seen,
        };
        let row = read.await?;
        if let Some(v) = &row {
            self.keep(key, v.clone(), seen);
        }
        Ok(row)
    }

    /// Empties the memo: what it held changed.
    pub(crate) fn forget(&self) {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        inner.generation += 1;
        inner.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_read_before_an_emptying_is_not_kept() {
        let memo = Memo::new(Duration::from_secs(60));
        let Err(seen) = memo.get("a") else {
            panic!("empty memo answered")
        };
        memo.forget();
        memo.keep("a", 1, seen);
        let Err(seen) = memo.get("a") else {
            panic!("a stale row was kept")
        };
        memo.keep("a", 2, seen);
        assert_eq!(memo.get("a"), Ok(2));
        memo.forget();
        assert!(memo.get("a").is_err());
    }

    #[test]
    fn an_old_entry_is_read_again() {
        let memo = Memo::new(Duration::ZERO);
        let Err(seen) = memo.get("a") else {
            panic!("empty memo answered")
        };
        memo.keep("a", 1, seen);
        assert!(memo.get("a").is_err());
    }
}
