//! The application's time. Every "now" an operation uses comes from the [`Clock`] in the
//! state: the wall clock in `serve`, a chosen instant in tests and benchmarks, so that what a
//! figure or a deadline says never depends on the day the suite happens to run.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Where "now" comes from. Cheap to clone; clones share the same time.
#[derive(Debug, Clone)]
pub struct Clock(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    /// Whether this is the machine's clock itself (nothing chosen).
    system: bool,
    /// Whether time passes (at the wall clock's rate) or stands still.
    running: bool,
    /// Running: added to the wall clock. Standing: the instant itself (ms since the epoch).
    base: AtomicI64,
}

/// Milliseconds since the Unix epoch by the machine's clock.
fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Clock {
    /// The machine's clock.
    pub fn system() -> Clock {
        Clock(Arc::new(Inner {
            system: true,
            running: true,
            base: AtomicI64::new(0),
        }))
    }

    /// A clock that reads `ms` now and runs on from there at the wall clock's rate (tests: a
    /// chosen date, while timeouts and orderings still see time pass).
    pub fn starting_at(ms: i64) -> Clock {
        Clock(Arc::new(Inner {
            system: false,
            running: true,
            base: AtomicI64::new(ms - wall_ms()),
        }))
    }

    /// A clock that stands still at `ms` until it is moved by hand.
    pub fn fixed(ms: i64) -> Clock {
        Clock(Arc::new(Inner {
            system: false,
            running: false,
            base: AtomicI64::new(ms),
        }))
    }

    /// Whether this is the machine's clock, not one chosen by a test or benchmark.
    pub fn is_system(&self) -> bool {
        self.0.system
    }

    /// Now, in milliseconds since the Unix epoch (what every timestamp column holds).
    pub fn now_ms(&self) -> i64 {
        let base = self.0.base.load(Ordering::Relaxed);
        if self.0.running {
            wall_ms() + base
        } else {
            base
        }
    }

    /// Moves the clock on by `ms` (negative moves it back). The machine's clock is not moved.
    pub fn advance(&self, ms: i64) {
        if self.0.system {
            return;
        }
        self.0.base.fetch_add(ms, Ordering::Relaxed);
    }

    /// Sets the clock to read `ms` now. The machine's clock is not moved.
    pub fn set(&self, ms: i64) {
        if self.0.system {
            return;
        }
        let base = if self.0.running { ms - wall_ms() } else { ms };
        self.0.base.store(base, Ordering::Relaxed);
    }

    /// Today in Beijing.
    pub fn today(&self) -> shanzhi_domain::case::Day {
        shanzhi_domain::case::Day::of(self.now_ms())
    }

    /// Today in Beijing as a calendar date (birth-date and move-date checks).
    pub fn date(&self) -> time::Date {
        let now =
            time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.now_ms()) * 1_000_000)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        (now + time::Duration::hours(8)).date()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_stands_still_until_moved_and_a_started_one_runs() {
        let c = Clock::fixed(1_000);
        assert_eq!(c.now_ms(), 1_000);
        c.advance(500);
        assert_eq!(c.clone().now_ms(), 1_500);
        c.set(42);
        assert_eq!(c.now_ms(), 42);

        let start = 1_764_547_200_000; // 2025-12-01T00:00Z
        let r = Clock::starting_at(start);
        let first = r.now_ms();
        assert!((start..start + 60_000).contains(&first));
        r.advance(86_400_000);
        assert!(r.now_ms() >= start + 86_400_000);
    }
}
