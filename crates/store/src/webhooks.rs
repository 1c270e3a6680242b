//! Webhooks and their outbox of deliveries.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::notify::DeliveryStatus;

/// A registered webhook (without its secret; also the API's answer).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct WebhookRow {
    /// Id.
    pub id: i64,
    /// Where changes are POSTed.
    pub url: String,
    /// Changes to cases under this node are sent.
    pub node_code: String,
    /// Registered (ms).
    pub created_at: i64,
    /// Still sending.
    pub active: bool,
}

/// Registers a webhook.
pub async fn insert(
    ex: &mut impl Exec,
    url: &str,
    secret: &str,
    node_code: &str,
    by: Option<i64>,
    now: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO webhooks (url, secret, node_code, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(url)
            .bind(secret)
            .bind(node_code)
            .bind(by)
            .bind(now),
        )
        .await?;
    Ok(id)
}

/// Webhooks whose node lies under `within` (all when None), newest first.
pub async fn list(ex: &mut impl Exec, within: Option<&str>) -> Result<Vec<WebhookRow>, StoreError> {
    let mut q = Sql::new("SELECT id, url, node_code, created_at, active FROM webhooks");
    if let Some(root) = within {
        q.push_bind(" WHERE node_code >= ?", root)
            .push_bind(" AND node_code < ?", format!("{root}:"));
    }
    q.push(" ORDER BY id DESC");
    ex.all(q).await
}

/// One webhook.
pub async fn get(ex: &mut impl Exec, id: i64) -> Result<Option<WebhookRow>, StoreError> {
    ex.opt(
        Sql::new("SELECT id, url, node_code, created_at, active FROM webhooks WHERE id = ?")
            .bind(id),
    )
    .await
}

/// Stops a webhook; its pending deliveries are dropped from the queue.
pub async fn deactivate(ex: &mut impl Exec, id: i64) -> Result<bool, StoreError> {
    let n = ex
        .exec(Sql::new("UPDATE webhooks SET active = FALSE WHERE id = ? AND active").bind(id))
        .await?;
    ex.exec(
        Sql::new("UPDATE webhook_deliveries SET status = 'cancelled' WHERE webhook_id = ? AND status = 'pending'")
            .bind(id),
    )
    .await?;
    Ok(n == 1)
}

/// Whether any webhook is active (checked once per batch of reports, to skip queueing when
/// nobody listens).
pub async fn any_active(ex: &mut impl Exec) -> Result<bool, StoreError> {
    let row: Option<(i64,)> = ex
        .opt(Sql::new("SELECT id FROM webhooks WHERE active LIMIT 1"))
        .await?;
    Ok(row.is_some())
}

/// Queues `payload` for every active webhook covering `node_code` (the caller's transaction:
/// the change and its notification commit together). Returns how many were queued.
pub async fn enqueue(
    ex: &mut impl Exec,
    case_id: i64,
    node_code: &str,
    payload: &str,
    now: i64,
) -> Result<u64, StoreError> {
    ex.exec(
        Sql::new(
            "INSERT INTO webhook_deliveries (webhook_id, case_id, payload, status, next_attempt_at, created_at) \
             SELECT id, ?, ?, 'pending', ?, ? FROM webhooks \
             WHERE active AND ? >= node_code AND ? < node_code || ':'",
        )
        .bind(case_id)
        .bind(payload)
        .bind(now)
        .bind(now)
        .bind(node_code)
        .bind(node_code),
    )
    .await
}

/// A delivery due to be attempted.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DueDelivery {
    /// Delivery id.
    pub id: i64,
    /// Target.
    pub url: String,
    /// Signing secret.
    pub secret: String,
    /// Body.
    pub payload: String,
    /// Failed attempts so far.
    pub attempts: i32,
    /// When it became due (the claim checks it has not moved).
    pub next_attempt_at: i64,
}

/// Deliveries due at `now`, oldest first.
pub async fn due(ex: &mut impl Exec, now: i64, limit: u32) -> Result<Vec<DueDelivery>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT d.id, w.url, w.secret, d.payload, d.attempts, d.next_attempt_at FROM webhook_deliveries d \
             JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?",
        )
        .bind(now)
        .bind(i64::from(limit)),
    )
    .await
}

/// Claims a due delivery for `lease_until`, so that another worker does not send it at the
/// same time; false if someone else claimed it first.
pub async fn claim(
    ex: &mut impl Exec,
    d: &DueDelivery,
    lease_until: i64,
) -> Result<bool, StoreError> {
    let n = ex
        .exec(
            Sql::new(
                "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ? AND status = 'pending' \
                 AND next_attempt_at = ?",
            )
            .bind(lease_until)
            .bind(d.id)
            .bind(d.next_attempt_at),
        )
        .await?;
    Ok(n == 1)
}

/// The result of one attempt.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    /// HTTP status, when an answer came.
    pub status: Option<i32>,
    /// What went wrong.
    pub error: Option<&'a str>,
    /// When to try again (None: delivered, or given up when `delivered` is false).
    pub retry_at: Option<i64>,
    /// Whether it got through.
    pub delivered: bool,
}

/// Records an attempt.
pub async fn record(
    ex: &mut impl Exec,
    id: i64,
    a: &Attempt<'_>,
    now: i64,
) -> Result<(), StoreError> {
    let status = match (a.delivered, a.retry_at) {
        (true, _) => DeliveryStatus::Delivered,
        (false, Some(_)) => DeliveryStatus::Pending,
        (false, None) => DeliveryStatus::Failed,
    };
    ex.exec(
        Sql::new(
            "UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, last_status = ?, last_error = ?, \
             next_attempt_at = ?, delivered_at = ? WHERE id = ?",
        )
        .bind(status.as_str())
        .bind(a.status)
        .bind(a.error)
        .bind(a.retry_at.unwrap_or(now))
        .bind(a.delivered.then_some(now))
        .bind(id),
    )
    .await
    .map(drop)
}

/// One line of the delivery log (also the API's answer).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct DeliveryRow {
    /// Id (sent as `X-Shanzhi-Delivery`).
    pub id: i64,
    /// The case it reports.
    pub case_id: i64,
    /// pending, delivered, failed or cancelled.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: i32,
    /// Last HTTP status.
    pub last_status: Option<i32>,
    /// Last error.
    pub last_error: Option<String>,
    /// Queued (ms).
    pub created_at: i64,
    /// Delivered (ms).
    pub delivered_at: Option<i64>,
    /// The body sent.
    pub payload: String,
}

/// A webhook's deliveries, newest first.
pub async fn deliveries(
    ex: &mut impl Exec,
    webhook_id: i64,
    limit: u32,
) -> Result<Vec<DeliveryRow>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT id, case_id, status, attempts, last_status, last_error, created_at, delivered_at, payload \
             FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ?",
        )
        .bind(webhook_id)
        .bind(i64::from(limit)),
    )
    .await
}
