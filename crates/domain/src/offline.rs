//! Work done without a signal (离线外勤): a grid worker's phone keeps what was done in a
//! basement or a forest checkpoint and sends it when the signal returns. Each item carries a
//! key made on the phone, so it is applied once however often it is sent, and the time it was
//! made, which counts (for deadlines, the visit's day, 一日双巡) when it is plausible.

use serde::{Deserialize, Serialize};

/// Longest idempotency key a phone may send.
pub const KEY_MAX: usize = 64;
/// Shortest: enough randomness that two phones never pick the same.
pub const KEY_MIN: usize = 16;
/// A phone's clock may run this far ahead of the server's and still be believed (the app
/// corrects by the offset it saw at its last sync, so only drift since then remains).
pub const SKEW_MS: i64 = 5 * 60_000;
/// By default a field time counts for this many hours; older items count from their arrival.
pub const DEFAULT_MAX_AGE_HOURS: u32 = 72;

/// What a queued item was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// A new report (上报事件), perhaps with photos.
    Report,
    /// A problem found on patrol (巡查发现), filed as a case.
    Finding,
    /// A batch of a patrol's GPS fixes.
    Fixes,
    /// A visit to a household or place (走访).
    Visit,
    /// A step on a case the worker holds (开始处置, 办结).
    Step,
}

impl FieldKind {
    /// Every kind.
    pub const ALL: [FieldKind; 5] = [
        FieldKind::Report,
        FieldKind::Finding,
        FieldKind::Fixes,
        FieldKind::Visit,
        FieldKind::Step,
    ];

    /// The one text form.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Report => "report",
            FieldKind::Finding => "finding",
            FieldKind::Fixes => "fixes",
            FieldKind::Visit => "visit",
            FieldKind::Step => "step",
        }
    }
}

/// Why a field time was not believed (the arrival time counts instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Implausible {
    /// Later than the server's now (beyond [`SKEW_MS`]).
    Future,
    /// Older than the configured window.
    TooOld,
    /// Before what it follows: the patrol's start, or the case's last step.
    TooEarly,
}

impl Implausible {
    /// Every reason.
    pub const ALL: [Implausible; 3] = [
        Implausible::Future,
        Implausible::TooOld,
        Implausible::TooEarly,
    ];

    /// The one text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Implausible::Future => "future",
            Implausible::TooOld => "too_old",
            Implausible::TooEarly => "too_early",
        }
    }

    /// In words, for the worker and the record.
    pub fn says(self) -> &'static str {
        match self {
            Implausible::Future => "手机时间晚于服务器时间",
            Implausible::TooOld => "离线时间过长",
            Implausible::TooEarly => "早于巡查开始或事件上一步",
        }
    }
}

/// The window a field time must fall in to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// How old (ms before arrival) a field time may be.
    pub max_age_ms: i64,
}

impl Window {
    /// A window of `hours`.
    pub fn hours(hours: u32) -> Window {
        Window {
            max_age_ms: i64::from(hours) * 3_600_000,
        }
    }
}

impl Default for Window {
    fn default() -> Window {
        Window::hours(DEFAULT_MAX_AGE_HOURS)
    }
}

/// The time an item counts from: when it was made, if that is plausible; else when it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// The time that counts (ms).
    pub at: i64,
    /// Why the field time was set aside, if it was.
    pub set_aside: Option<Implausible>,
}

impl Window {
    /// When an item made at `made_at` and arriving at `arrived` counts from. `after` is what it
    /// cannot precede (a patrol's start, a case's last step): earlier is implausible too.
    pub fn count(self, made_at: i64, arrived: i64, after: Option<i64>) -> Counted {
        let set_aside = if made_at > arrived + SKEW_MS {
            Some(Implausible::Future)
        } else if arrived - made_at > self.max_age_ms {
            Some(Implausible::TooOld)
        } else if after.is_some_and(|a| made_at < a) {
            Some(Implausible::TooEarly)
        } else {
            None
        };
        Counted {
            // A phone slightly ahead never stamps a time after the arrival.
            at: if set_aside.is_some() {
                arrived
            } else {
                made_at.min(arrived)
            },
            set_aside,
        }
    }
}

/// Whether `key` can be an item's idempotency key: [`KEY_MIN`] to [`KEY_MAX`] letters, digits,
/// `-` or `_` (what `crypto.randomUUID` and similar make).
pub fn valid_key(key: &str) -> bool {
    (KEY_MIN..=KEY_MAX).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    const NOW: i64 = 1_795_000_000_000;

    #[test]
    fn a_plausible_field_time_counts() {
        let c = Window::default().count(NOW - 3 * HOUR, NOW, Some(NOW - 5 * HOUR));
        assert_eq!(c.at, NOW - 3 * HOUR);
        assert_eq!(c.set_aside, None);
    }

    #[test]
    fn a_phone_slightly_ahead_counts_as_arrival_and_far_ahead_is_set_aside() {
        let ahead = Window::default().count(NOW + 60_000, NOW, None);
        assert_eq!((ahead.at, ahead.set_aside), (NOW, None));
        let far = Window::default().count(NOW + 2 * HOUR, NOW, None);
        assert_eq!((far.at, far.set_aside), (NOW, Some(Implausible::Future)));
    }

    #[test]
    fn too_old_or_before_what_it_follows_counts_from_arrival() {
        let w = Window::hours(24);
        let old = w.count(NOW - 25 * HOUR, NOW, None);
        assert_eq!((old.at, old.set_aside), (NOW, Some(Implausible::TooOld)));
        let early = w.count(NOW - 2 * HOUR, NOW, Some(NOW - HOUR));
        assert_eq!(
            (early.at, early.set_aside),
            (NOW, Some(Implausible::TooEarly))
        );
        assert_eq!(w.count(NOW - 24 * HOUR, NOW, None).set_aside, None);
    }

    #[test]
    fn keys_are_random_looking_tokens() {
        assert!(valid_key("3f2b9c1e-8a4d-4f6b-9e2a-7c5d1b0a9f3e"));
        assert!(!valid_key("short"));
        assert!(!valid_key("有中文的钥匙有中文的钥匙有中文的钥匙"));
        assert!(!valid_key(&"a".repeat(65)));
        assert!(!valid_key("spaces are not allowed here"));
    }
}
