//! The outbox of texts to residents (短信): a row written in the transaction of the change it
//! reports, sent by a worker with retries, and kept as the delivery log. The phone is copied
//! sealed from the case (or given, for an opinion, a wish or a topic, with the code the text's
//! link opens); the text is composed when it is sent.

use crate::notices::{TextStep, count_text};
use crate::{Exec, Sql, StoreError};
use shanzhi_domain::notify::DeliveryStatus;
use shanzhi_domain::texts::{Receipt, TextKind};

/// Queues `kind` for the reporter of each case in `ids` who left a phone (none: nothing is
/// queued); `reason` is quoted where the text has one. Returns how many were queued.
pub async fn queue(
    ex: &mut impl Exec,
    ids: &[i64],
    kind: TextKind,
    reason: &str,
    now: i64,
) -> Result<u64, StoreError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut q = Sql::new(
        "INSERT INTO sms_outbox (case_id, kind, reason, phone_sealed, phone_masked, status, attempts, \
         next_attempt_at, created_at) \
         SELECT id, ?, ?, reporter_phone_sealed, reporter_phone_masked, ?, 0, ?, ? FROM cases \
         WHERE reporter_phone_sealed IS NOT NULL",
    )
    .bind(kind.as_str())
    .bind(reason)
    .bind(DeliveryStatus::Pending.as_str())
    .bind(now)
    .bind(now);
    q.push_list(" AND id IN", ids.iter().copied());
    ex.exec(q).await
}

/// What a text that is not about a case is about; its phone (and the code its link opens)
/// are copied from that row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// An opinion in the box (a phone is optional there).
    Opinion(i64),
    /// A wish.
    Wish(i64),
    /// A topic: its proposer, if they left a phone, and everyone following it (masked form
    /// unknown for followers, who gave only the phone to follow by).
    Topic(i64),
}

/// Queues `kind` for the phones `subject` holds; `reason` is quoted where the text has one.
/// Returns how many were queued.
pub async fn queue_about(
    ex: &mut impl Exec,
    subject: Subject,
    kind: TextKind,
    reason: &str,
    now: i64,
) -> Result<u64, StoreError> {
    let head = "INSERT INTO sms_outbox (code, kind, reason, phone_sealed, phone_masked, status, \
                attempts, next_attempt_at, created_at) ";
    // The values every row of the SELECT takes, then the subject's id.
    let values = |q: Sql, id: i64| {
        q.bind(kind.as_str())
            .bind(reason)
            .bind(DeliveryStatus::Pending.as_str())
            .bind(now)
            .bind(now)
            .bind(id)
    };
    let q = match subject {
        Subject::Opinion(id) | Subject::Wish(id) => {
            let table = match subject {
                Subject::Opinion(_) => "opinions",
                _ => "wishes",
            };
            let q = Sql::new(format!(
                "{head}SELECT tracking_code, ?, ?, phone_sealed, phone_masked, ?, 0, ?, ? FROM {table} \
                 WHERE id = ? AND phone_sealed IS NOT NULL"
            ));
            values(q, id)
        }
        Subject::Topic(id) => {
            let q = Sql::new(format!(
                "{head}SELECT CAST(id AS TEXT), ?, ?, proposer_phone_sealed, proposer_phone_masked, ?, 0, ?, ? \
                 FROM topics WHERE id = ? AND proposer_phone_sealed IS NOT NULL \
                 UNION ALL SELECT CAST(topic_id AS TEXT), ?, ?, phone_sealed, NULL, ?, 0, ?, ? \
                 FROM topic_followers WHERE topic_id = ?"
            ));
            values(values(q, id), id)
        }
    };
    ex.exec(q).await
}

/// A text due to be sent.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DueText {
    /// Outbox id.
    pub id: i64,
    /// What it tells.
    pub kind: TextKind,
    /// The reason quoted (a refusal's).
    pub reason: String,
    /// The phone, sealed.
    pub phone_sealed: Vec<u8>,
    /// The code its link opens: the case's tracking code, or the one queued with it.
    pub tracking_code: String,
    /// Failed attempts so far.
    pub attempts: i32,
    /// When it became due (the claim checks it has not moved).
    pub next_attempt_at: i64,
}

/// Texts due at `now`, oldest first.
pub async fn due(ex: &mut impl Exec, now: i64, limit: u32) -> Result<Vec<DueText>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT o.id, o.kind, o.reason, o.phone_sealed, COALESCE(c.tracking_code, o.code, '') AS tracking_code, \
             o.attempts, o.next_attempt_at FROM sms_outbox o LEFT JOIN cases c ON c.id = o.case_id \
             WHERE o.status = ? AND o.next_attempt_at <= ? ORDER BY o.next_attempt_at, o.id LIMIT ?",
        )
        .bind(DeliveryStatus::Pending.as_str())
        .bind(now)
        .bind(i64::from(limit)),
    )
    .await
}

/// Claims a due text until `lease_until`, so that no other worker sends it at the same time;
/// false if another claimed it first.
pub async fn claim(ex: &mut impl Exec, t: &DueText, lease_until: i64) -> Result<bool, StoreError> {
    let n = ex
        .exec(
            Sql::new(
                "UPDATE sms_outbox SET next_attempt_at = ? WHERE id = ? AND status = ? AND next_attempt_at = ?",
            )
            .bind(lease_until)
            .bind(t.id)
            .bind(DeliveryStatus::Pending.as_str())
            .bind(t.next_attempt_at),
        )
        .await?;
    Ok(n == 1)
}

/// The result of one attempt to send.
#[derive(Debug, Clone)]
pub struct Sent<'a> {
    /// The text as sent.
    pub body: &'a str,
    /// The gateway's id for the message, when it gave one.
    pub gateway_ref: Option<&'a str>,
    /// What went wrong.
    pub error: Option<&'a str>,
    /// When to try again (None: sent, or given up when `error` is set).
    pub retry_at: Option<i64>,
}

/// Records an attempt; a notice's text is also counted in its grid (call in a transaction).
pub async fn record(ex: &mut impl Exec, id: i64, s: &Sent<'_>, now: i64) -> Result<(), StoreError> {
    let status = match (s.error, s.retry_at) {
        (None, _) => DeliveryStatus::Delivered,
        (Some(_), Some(_)) => DeliveryStatus::Pending,
        (Some(_), None) => DeliveryStatus::Failed,
    };
    ex.exec(
        Sql::new(
            "UPDATE sms_outbox SET status = ?, attempts = attempts + 1, body = ?, gateway_ref = ?, \
             last_error = ?, next_attempt_at = ?, sent_at = ? WHERE id = ?",
        )
        .bind(status.as_str())
        .bind(s.body)
        .bind(s.gateway_ref)
        .bind(s.error)
        .bind(s.retry_at.unwrap_or(now))
        .bind(s.error.is_none().then_some(now))
        .bind(id),
    )
    .await?;
    let step = match status {
        DeliveryStatus::Delivered => Some(TextStep::Sent),
        DeliveryStatus::Failed => Some(TextStep::Failed),
        DeliveryStatus::Pending | DeliveryStatus::Cancelled => None,
    };
    if let Some(step) = step {
        count_text(ex, id, step).await?;
    }
    Ok(())
}

/// One line of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct TextRow {
    /// Id.
    pub id: i64,
    /// The case it reports (none for an opinion, a wish or a topic).
    pub case_id: Option<i64>,
    /// What it tells: filed, accepted, rejected, closed, reopened, opinion_answered …
    pub kind: TextKind,
    /// The phone, masked.
    pub phone_masked: Option<String>,
    /// The text as sent (none until the first attempt).
    pub body: Option<String>,
    /// pending, delivered (accepted by the gateway) or failed.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: i32,
    /// Last error.
    pub last_error: Option<String>,
    /// The gateway's id for the message.
    pub gateway_ref: Option<String>,
    /// Queued (ms).
    pub created_at: i64,
    /// Sent (ms).
    pub sent_at: Option<i64>,
    /// What the gateway's status report said, once it came.
    pub receipt: Option<Receipt>,
}

/// The texts about a case, oldest first.
pub async fn of_case(ex: &mut impl Exec, case_id: i64) -> Result<Vec<TextRow>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT id, case_id, kind, phone_masked, body, status, attempts, last_error, gateway_ref, \
             created_at, sent_at, receipt FROM sms_outbox WHERE case_id = ? ORDER BY id",
        )
        .bind(case_id),
    )
    .await
}

/// Records the gateway's status report for the text it knows as `gateway_ref`, and counts it
/// in its grid when it is a notice's (call in a transaction); returns how many texts it named
/// (none for a reference we never got, or a report already recorded).
pub async fn receipt(
    ex: &mut impl Exec,
    gateway_ref: &str,
    receipt: Receipt,
    now: i64,
) -> Result<u64, StoreError> {
    let ids: Vec<(i64,)> = ex
        .all(
            Sql::new("SELECT id FROM sms_outbox WHERE gateway_ref = ? AND receipt IS NULL")
                .bind(gateway_ref),
        )
        .await?;
    let step = match receipt {
        Receipt::Delivered => TextStep::Delivered,
        Receipt::Undelivered => TextStep::Failed,
    };
    for (id,) in &ids {
        ex.exec(
            Sql::new("UPDATE sms_outbox SET receipt = ?, receipt_at = ? WHERE id = ?")
                .bind(receipt.as_str())
                .bind(now)
                .bind(*id),
        )
        .await?;
        count_text(ex, *id, step).await?;
    }
    Ok(ids.len() as u64)
}
