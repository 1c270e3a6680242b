//! Limits on how often a client may try: failed logins and public submissions. The counts
//! live in the database (every server process shares them); these are the rules that read
//! them. Time is passed in, so the rules are tested without sleeping.

use std::time::Duration;

/// How failed logins are answered.
#[derive(Debug, Clone, Copy)]
pub struct LoginRule {
    /// The window failures are counted over.
    pub window: Duration,
    /// Failures of one account from one address answered at once; each one after that must
    /// wait twice as long as the one before (1 s, 2 s, 4 s …).
    pub free: usize,
    /// Failures of one account from one address after which that pair is locked for the
    /// window. The account stays open from any other address: its owner is not locked out
    /// by someone guessing elsewhere.
    pub per_pair: usize,
    /// Failures from one address, over every account, after which the address is locked
    /// (someone spraying passwords).
    pub per_address: usize,
}

impl Default for LoginRule {
    fn default() -> Self {
        LoginRule {
            window: Duration::from_secs(15 * 60),
            free: 3,
            per_pair: 10,
            per_address: 30,
        }
    }
}

/// Failed logins counted within the window, with the times that decide waits (ms).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures {
    /// Failures of this account from this address.
    pub pair: usize,
    /// The oldest and newest of those.
    pub pair_oldest: Option<i64>,
    /// The newest of those.
    pub pair_newest: Option<i64>,
    /// Failures from this address, any account.
    pub address: usize,
    /// The oldest of those.
    pub address_oldest: Option<i64>,
}

impl LoginRule {
    /// Whether another attempt may be made at `now` (ms); if not, how long to wait.
    pub fn check(&self, f: &Failures, now: i64) -> Result<(), Duration> {
        let window = self.window.as_millis() as i64;
        let until = |oldest: Option<i64>| {
            Duration::from_millis(oldest.map_or(window, |o| (o + window - now).max(1000)) as u64)
        };
        if f.address >= self.per_address {
            return Err(until(f.address_oldest));
        }
        if f.pair >= self.per_pair {
            return Err(until(f.pair_oldest));
        }
        if f.pair >= self.free {
            let delay = 1000_i64 << (f.pair - self.free).min(16);
            let since = now - f.pair_newest.unwrap_or(now);
            if since < delay {
                return Err(Duration::from_millis((delay - since).max(1000) as u64));
            }
        }
        Ok(())
    }
}

/// A limit of `limit` events per `window`, read from fixed windows: the current window's
/// count plus the previous window's, weighted by how much of it still overlaps the sliding
/// window ending now. Counters in fixed windows need only one atomic increment per event.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    /// The window.
    pub window: Duration,
    /// Events allowed in it.
    pub limit: u64,
}

impl RateLimit {
    /// The start (ms) of the fixed window `now` falls in.
    pub fn window_start(&self, now: i64) -> i64 {
        let w = self.window.as_millis().max(1) as i64;
        now - now.rem_euclid(w)
    }

    /// Whether the event just counted (`current` now includes it, `previous` is the window
    /// before) is within the limit; if not, about how long until one is.
    pub fn check(&self, current: u64, previous: u64, now: i64) -> Result<(), Duration> {
        let w = self.window.as_millis().max(1) as i64;
        let into = now - self.window_start(now);
        let overlap = (w - into) as f64 / w as f64;
        let estimate = current as f64 + previous as f64 * overlap;
        if estimate <= self.limit as f64 {
            Ok(())
        } else {
            Err(Duration::from_millis((w - into).max(1000) as u64))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1000;

    fn rule() -> LoginRule {
        LoginRule {
            window: Duration::from_secs(60),
            free: 3,
            per_pair: 6,
            per_address: 10,
        }
    }

    fn pair(n: usize, oldest: i64, newest: i64) -> Failures {
        Failures {
            pair: n,
            pair_oldest: Some(oldest),
            pair_newest: Some(newest),
            address: n,
            address_oldest: Some(oldest),
        }
    }

    #[test]
    fn delays_grow_after_the_free_failures_then_the_pair_locks() {
        let r = rule();
        assert!(r.check(&pair(2, 0, 0), 0).is_ok());
        assert_eq!(r.check(&pair(3, 0, 0), 0), Err(Duration::from_secs(1)));
        assert!(r.check(&pair(3, 0, 0), S).is_ok());
        assert_eq!(r.check(&pair(4, 0, 0), S), Err(Duration::from_secs(1)));
        assert_eq!(r.check(&pair(5, 0, 0), S), Err(Duration::from_secs(3)));
        assert_eq!(
            r.check(&pair(6, 0, 10 * S), 10 * S),
            Err(Duration::from_secs(50)),
            "locked until the oldest failure leaves the window"
        );
    }

    #[test]
    fn the_owner_from_a_clean_address_is_not_held_up() {
        let r = rule();
        // Someone else failed six times from another address: this address has nothing.
        assert!(r.check(&Failures::default(), 0).is_ok());
    }

    #[test]
    fn an_address_spraying_accounts_is_locked() {
        let r = rule();
        let f = Failures {
            address: 10,
            address_oldest: Some(0),
            ..Failures::default()
        };
        assert_eq!(r.check(&f, 20 * S), Err(Duration::from_secs(40)));
    }

    #[test]
    fn the_sliding_estimate_counts_the_overlap_of_the_last_window() {
        let l = RateLimit {
            window: Duration::from_secs(60),
            limit: 10,
        };
        let start = l.window_start(125 * S);
        assert_eq!(start, 120 * S);
        // 5 s into a window: 5 now, 6 in the last one (11/12 of it overlaps): 10.5 > 10.
        assert!(l.check(5, 6, 125 * S).is_err());
        // Half way: 5 + 6 × 0.5 = 8.
        assert!(l.check(5, 6, 150 * S).is_ok());
        assert!(l.check(11, 0, 179 * S).is_err());
    }
}
