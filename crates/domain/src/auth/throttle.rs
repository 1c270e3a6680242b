//! Login throttling: failed attempts are counted per account and per client address within a
//! sliding window; past the limit, further attempts are refused until the window frees up.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Limits for [`LoginThrottle`].
#[derive(Debug, Clone, Copy)]
pub struct ThrottleLimits {
    /// Window over which failures count.
    pub window: Duration,
    /// Failures allowed per account in the window.
    pub per_account: usize,
    /// Failures allowed per client address in the window (higher: offices share an address).
    pub per_ip: usize,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        ThrottleLimits {
            window: Duration::from_secs(15 * 60),
            per_account: 5,
            per_ip: 30,
        }
    }
}

/// Events per key within a sliding window: the building block of every rate limit here.
/// Time is passed in, so the rules are testable without sleeping.
#[derive(Debug)]
pub struct SlidingWindow {
    window: Duration,
    limit: usize,
    hits: HashMap<String, VecDeque<Instant>>,
}

impl SlidingWindow {
    /// At most `limit` events per key within `window`.
    pub fn new(window: Duration, limit: usize) -> Self {
        SlidingWindow {
            window,
            limit,
            hits: HashMap::new(),
        }
    }

    /// Whether another event for `key` is allowed now; if not, how long until it is.
    pub fn check(&mut self, key: &str, now: Instant) -> Result<(), Duration> {
        let window = self.window;
        let Some(q) = self.hits.get_mut(key) else {
            return Ok(());
        };
        while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
            q.pop_front();
        }
        match q.front() {
            Some(oldest) if q.len() >= self.limit => {
                Err(window.saturating_sub(now.duration_since(*oldest)))
            }
            _ => Ok(()),
        }
    }

    /// Records an event for `key`.
    pub fn record(&mut self, key: &str, now: Instant) {
        if self.hits.len() > 100_000 {
            // Bound memory under a spray of distinct keys: drop those with nothing recent.
            let window = self.window;
            self.hits
                .retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        self.hits.entry(key.to_owned()).or_default().push_back(now);
    }

    /// Forgets `key`.
    pub fn clear(&mut self, key: &str) {
        self.hits.remove(key);
    }
}

/// Failed-login bookkeeping: per account and per client address.
#[derive(Debug)]
pub struct LoginThrottle {
    accounts: SlidingWindow,
    addresses: SlidingWindow,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::new(ThrottleLimits::default())
    }
}

fn account_key(account: &str) -> String {
    account.trim().to_lowercase()
}

impl LoginThrottle {
    /// A throttle with the given limits.
    pub fn new(limits: ThrottleLimits) -> Self {
        LoginThrottle {
            accounts: SlidingWindow::new(limits.window, limits.per_account),
            addresses: SlidingWindow::new(limits.window, limits.per_ip),
        }
    }

    /// Whether an attempt may proceed; if not, how long until it may.
    pub fn check(&mut self, account: &str, ip: &str, now: Instant) -> Result<(), Duration> {
        self.accounts.check(&account_key(account), now)?;
        self.addresses.check(ip, now)
    }

    /// Records a failed attempt.
    pub fn record_failure(&mut self, account: &str, ip: &str, now: Instant) {
        self.accounts.record(&account_key(account), now);
        self.addresses.record(ip, now);
    }

    /// A successful login clears the account's failures (not the address's).
    pub fn record_success(&mut self, account: &str) {
        self.accounts.clear(&account_key(account));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ThrottleLimits {
        ThrottleLimits {
            window: Duration::from_secs(60),
            per_account: 3,
            per_ip: 5,
        }
    }

    #[test]
    fn locks_an_account_after_failures_until_the_window_passes() {
        let mut t = LoginThrottle::new(limits());
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(t.check("Zhang", "1.1.1.1", t0).is_ok());
            t.record_failure("zhang", "1.1.1.1", t0);
        }
        let wait = t
            .check("zhang", "2.2.2.2", t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        assert!(
            t.check("zhang", "2.2.2.2", t0 + Duration::from_secs(60))
                .is_ok()
        );
    }

    #[test]
    fn locks_an_address_spraying_many_accounts() {
        let mut t = LoginThrottle::new(limits());
        let t0 = Instant::now();
        for i in 0..5 {
            t.record_failure(&format!("user{i}"), "9.9.9.9", t0);
        }
        assert!(t.check("someone", "9.9.9.9", t0).is_err());
        assert!(t.check("someone", "8.8.8.8", t0).is_ok());
    }

    #[test]
    fn a_sliding_window_frees_up_as_time_passes() {
        let mut w = SlidingWindow::new(Duration::from_secs(10), 2);
        let t0 = Instant::now();
        w.record("k", t0);
        w.record("k", t0 + Duration::from_secs(4));
        assert_eq!(
            w.check("k", t0 + Duration::from_secs(5)),
            Err(Duration::from_secs(5))
        );
        assert!(w.check("other", t0).is_ok());
        assert!(w.check("k", t0 + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn success_clears_the_account() {
        let mut t = LoginThrottle::new(limits());
        let t0 = Instant::now();
        for _ in 0..3 {
            t.record_failure("li", "1.1.1.1", t0);
        }
        t.record_success("li");
        assert!(t.check("li", "1.1.1.1", t0).is_ok());
    }
}
