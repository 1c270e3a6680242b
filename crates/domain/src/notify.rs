//! Outgoing notifications: when a failed webhook delivery is tried again, and the text a
//! signature covers.

/// How many times a delivery is attempted before it is marked failed.
pub const MAX_ATTEMPTS: u32 = 8;

/// The wait before the next attempt after `attempts` failed ones: `base` doubled each time,
/// at most an hour; None once [`MAX_ATTEMPTS`] have failed.
pub fn retry_delay_ms(attempts: u32, base_ms: i64) -> Option<i64> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let factor = 1_i64 << attempts.saturating_sub(1).min(20);
    Some((base_ms.max(1) * factor).min(3_600_000))
}

/// What the HMAC signs: the timestamp and the body, so a captured request cannot be replayed
/// later with a fresh timestamp.
pub fn signed_text(timestamp: i64, body: &str) -> String {
    format!("{timestamp}.{body}")
}

/// Where a webhook delivery stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its (next) attempt.
    Pending,
    /// A 2xx came back.
    Delivered,
    /// Every attempt failed.
    Failed,
    /// Its webhook was removed before it went out.
    Cancelled,
}

impl DeliveryStatus {
    /// Every status.
    pub const ALL: [DeliveryStatus; 4] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
        DeliveryStatus::Cancelled,
    ];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Cancelled => "cancelled",
        }
    }
}

/// What an entry of the change feed (变更通知) is about: every server process follows the
/// feed to keep its live feed and its caches in step with what any process changed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FeedKind {
    /// A change to a case (the live feed's events).
    Case,
    /// Nodes whose boundary or standing changed (the locate index).
    Regions,
    /// The working-day calendar.
    Calendar,
    /// The category list (事项清单).
    Categories,
    /// Who may log in, as what: a password, role or binding changed, a session or token ended.
    Accounts,
}

impl FeedKind {
    /// Every kind.
    pub const ALL: [FeedKind; 5] = [
        FeedKind::Case,
        FeedKind::Regions,
        FeedKind::Calendar,
        FeedKind::Categories,
        FeedKind::Accounts,
    ];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::Case => "case",
            FeedKind::Regions => "regions",
            FeedKind::Calendar => "calendar",
            FeedKind::Categories => "categories",
            FeedKind::Accounts => "accounts",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour_then_gives_up() {
        assert_eq!(retry_delay_ms(1, 30_000), Some(30_000));
        assert_eq!(retry_delay_ms(2, 30_000), Some(60_000));
        assert_eq!(retry_delay_ms(3, 30_000), Some(120_000));
        assert_eq!(retry_delay_ms(7, 30_000), Some(1_920_000));
        assert_eq!(
            retry_delay_ms(7, 60_000),
            Some(3_600_000),
            "capped at an hour"
        );
        assert_eq!(retry_delay_ms(MAX_ATTEMPTS, 30_000), None);
    }

    #[test]
    fn the_signature_covers_time_and_body() {
        assert_eq!(signed_text(17, "{}"), "17.{}");
    }
}
