//! Notifications of case changes: the live feed for the web UI (server-sent events, fed from
//! the database's change feed, so every process's clients see every process's changes) and
//! outgoing webhooks (an outbox written with the change, delivered by a worker with
//! HMAC-SHA256 signatures and retries).

use crate::policy::{self, Reach, Resource, Verb};
use crate::{App, AppError};
use hmac::{Hmac, Mac};
use shanzhi_domain::auth::Actor;
use shanzhi_domain::case::Stage;
use shanzhi_domain::notify::{FeedKind, retry_delay_ms, signed_text};
use shanzhi_store::Tx;
use shanzhi_store::cases::CaseRow;
use shanzhi_store::webhooks::{self, Attempt, DueDelivery};

/// One change to a case, as the live feed and webhooks report it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CaseEvent {
    /// The case.
    pub case_id: i64,
    /// Its title.
    pub title: String,
    /// Where it happened.
    pub node_code: String,
    /// Who holds it now.
    pub holder_code: String,
    /// The department holding it, if any.
    pub department_id: Option<i64>,
    /// Its stage now (stored name).
    pub stage: Stage,
    /// Its stage in Chinese.
    pub stage_label: String,
    /// What happened: report, accept, dispatch, escalate …
    pub action: String,
    /// Who did it, in words.
    pub actor: String,
    /// When (ms).
    pub at: i64,
}

impl CaseEvent {
    /// Whether the actor may see this change: the policy's reach for listing cases (a role
    /// without cases sees none).
    pub fn visible_to(&self, actor: &Actor) -> bool {
        match policy::reach(actor.role, Resource::Case, Verb::List) {
            Some(Reach::Department) => {
                self.department_id.is_some() && self.department_id == actor.department_id
            }
            Some(_) => actor.sees(&self.node_code),
            None => false,
        }
    }

    /// One line for people: what happened to which case.
    pub fn summary(&self) -> String {
        if self.action == "escalate" && self.actor == "系统" {
            return format!("「{}」超过时限，已自动上报上级", self.title);
        }
        format!("「{}」{}：{}", self.title, self.actor, self.stage_label)
    }
}

/// The event for a change to `case`.
pub fn event_of(case: &CaseRow, action: &str, actor: &str, at: i64) -> CaseEvent {
    CaseEvent {
        case_id: case.id,
        title: case.title.clone(),
        node_code: case.node_code.clone(),
        holder_code: case.holder_code.clone(),
        department_id: case.department_id,
        stage: case.stage,
        stage_label: case.stage.label().to_owned(),
        action: action.to_owned(),
        actor: actor.to_owned(),
        at,
    }
}

/// Queues the event for the webhooks covering its case, inside the change's own transaction.
pub async fn enqueue(tx: &mut Tx, event: &CaseEvent) -> Result<(), AppError> {
    let payload = serde_json::to_string(event).map_err(|e| AppError::Internal(e.to_string()))?;
    webhooks::enqueue(tx, event.case_id, &event.node_code, &payload, event.at).await?;
    Ok(())
}

/// Queues the change for webhooks inside the change's own transaction and returns the event
/// to publish once it commits.
pub async fn queue(
    tx: &mut Tx,
    case: &CaseRow,
    action: &str,
    actor: &str,
    at: i64,
) -> Result<CaseEvent, AppError> {
    let event = event_of(case, action, actor, at);
    enqueue(tx, &event).await?;
    announce(tx, &event);
    Ok(event)
}

/// Puts a change on the change feed, written with the change: every process's live feeds
/// show it.
pub fn announce(tx: &mut Tx, event: &CaseEvent) {
    if let Ok(json) = serde_json::to_string(event) {
        tx.publish(FeedKind::Case, json, event.at);
    }
}

/// A change as a live feed carries it: its place in the change feed (the SSE id a client
/// resumes from) and the event.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEvent {
    /// Position in the change feed.
    pub seq: i64,
    /// The change.
    pub event: CaseEvent,
}

/// The HMAC-SHA256 of the signed text, hex.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(signed_text(timestamp, body).as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How long a claimed delivery is reserved for one worker's attempt.
const LEASE_MS: i64 = 60_000;

async fn attempt(state: &App, d: &DueDelivery) -> Attempt<'static> {
    let ts = state.now_ms();
    let sent = state
        .http()
        .post(&d.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Shanzhi-Delivery", d.id.to_string())
        .header("X-Shanzhi-Timestamp", ts.to_string())
        .header(
            "X-Shanzhi-Signature",
            format!("sha256={}", signature(&d.secret, ts, &d.payload)),
        )
        .body(d.payload.clone())
        .send()
        .await;
    let attempts = u32::try_from(d.attempts)
        .unwrap_or(u32::MAX)
        .saturating_add(1);
    let retry_at =
        retry_delay_ms(attempts, state.config().webhook_retry_base_ms).map(|w| state.now_ms() + w);
    match sent {
        Ok(r) if r.status().is_success() => Attempt {
            status: Some(i32::from(r.status().as_u16())),
            error: None,
            retry_at: None,
            delivered: true,
        },
        Ok(r) => Attempt {
            status: Some(i32::from(r.status().as_u16())),
            error: Some("接收方返回错误状态"),
            retry_at,
            delivered: false,
        },
        Err(e) => {
            tracing::debug!(error = %e, delivery = d.id, "webhook delivery failed");
            Attempt {
                status: None,
                error: Some(if e.is_timeout() {
                    "超时"
                } else {
                    "无法连接"
                }),
                retry_at,
                delivered: false,
            }
        }
    }
}

/// Sends every due delivery once (the worker's round); returns how many got through.
pub async fn deliver_due(state: &App) -> Result<usize, AppError> {
    let due = webhooks::due(&mut state.store().conn().await?, state.now_ms(), 100).await?;
    let mut delivered = 0;
    for d in due {
        if !webhooks::claim(
            &mut state.store().conn().await?,
            &d,
            state.now_ms() + LEASE_MS,
        )
        .await?
        {
            continue;
        }
        let result = attempt(state, &d).await;
        delivered += usize::from(result.delivered);
        webhooks::record(
            &mut state.store().conn().await?,
            d.id,
            &result,
            state.now_ms(),
        )
        .await?;
    }
    Ok(delivered)
}
