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

/// Failed-login bookkeeping. Time is passed in, so the rules are testable without sleeping.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    limits: ThrottleLimits,
    failures: HashMap<String, VecDeque<Instant>>,
}

impl LoginThrottle {
    /// A throttle with the given limits.
    pub fn new(limits: ThrottleLimits) -> Self {
        LoginThrottle {
            limits,
            failures: HashMap::new(),
        }
    }

    fn keys(account: &str, ip: &str) -> [(String, usize); 2] {
        [
            (format!("a:{}", account.trim().to_lowercase()), 0),
            (format!("i:{ip}"), 1),
        ]
    }

    fn recent(&mut self, key: &str, now: Instant) -> Option<&VecDeque<Instant>> {
        let window = self.limits.window;
        let q = self.failures.get_mut(key)?;
        while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
            q.pop_front();
        }
        Some(q)
    }

    /// Whether an attempt may proceed; if not, how long until it may.
    pub fn check(&mut self, account: &str, ip: &str, now: Instant) -> Result<(), Duration> {
        for (key, which) in Self::keys(account, ip) {
            let limit = if which == 0 {
                self.limits.per_account
            } else {
                self.limits.per_ip
            };
            let window = self.limits.window;
            if let Some(q) = self.recent(&key, now)
                && q.len() >= limit
                && let Some(oldest) = q.front()
            {
                return Err(window.saturating_sub(now.duration_since(*oldest)));
            }
        }
        Ok(())
    }

    /// Records a failed attempt.
    pub fn record_failure(&mut self, account: &str, ip: &str, now: Instant) {
        if self.failures.len() > 100_000 {
            // Bound memory under a spray of distinct names: drop entries with nothing recent.
            let window = self.limits.window;
            self.failures
                .retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        for (key, _) in Self::keys(account, ip) {
            self.failures.entry(key).or_default().push_back(now);
        }
    }

    /// A successful login clears the account's failures (not the address's).
    pub fn record_success(&mut self, account: &str) {
        self.failures
            .remove(&format!("a:{}", account.trim().to_lowercase()));
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
