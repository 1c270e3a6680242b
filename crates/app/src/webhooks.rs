//! Webhook subscriptions: registered by the security administrator for a node, with a signing
//! secret shown once; [`crate::notify`] delivers to them.

use crate::auth::new_secret;
use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError, Principal, regions};
use shanzhi_domain::auth::Actor;
use shanzhi_store::webhooks as store;
pub use shanzhi_store::webhooks::{DeliveryRow, WebhookRow};

/// Deliveries the log shows, newest first.
const LOG_LENGTH: u32 = 200;

/// Webhooks in the caller's scope.
pub async fn list(state: &App, actor: &Actor) -> Result<Vec<WebhookRow>, AppError> {
    actor.may(Resource::Webhook, Verb::List)?;
    Ok(store::list(&mut state.store().conn().await?, actor.scope_root()).await?)
}

/// A webhook to register.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewWebhook {
    /// http(s) address to POST changes to.
    pub url: String,
    /// Send changes to cases under this node (default: the caller's scope; required for an
    /// unbound admin).
    pub node_code: Option<String>,
}

/// The registered webhook and its signing secret, shown this once.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct IssuedWebhook {
    /// The webhook.
    #[serde(flatten)]
    pub webhook: WebhookRow,
    /// Verify `X-Shanzhi-Signature: sha256=<hex>` as HMAC-SHA256 of
    /// `<X-Shanzhi-Timestamp>.<body>` with this secret.
    pub secret: String,
}

/// Registers a webhook: every change to a case under the node is POSTed as JSON, signed,
/// retried with backoff until it gets a 2xx, and logged.
pub async fn register(
    state: &App,
    p: &Principal,
    w: &NewWebhook,
) -> Result<IssuedWebhook, AppError> {
    p.may(Resource::Webhook, Verb::Write)?;
    let url = reqwest::Url::parse(w.url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| AppError::bad("invalid_url", "请填写 http:// 或 https:// 开头的完整地址"))?;
    let node = w
        .node_code
        .clone()
        .or_else(|| p.actor.scope_root().map(str::to_owned))
        .ok_or_else(|| AppError::bad("node_required", "请指定 node_code"))?;
    let node = regions::visible(state, &p.actor, &node).await?;
    let secret = new_secret("whsec_");
    let mut conn = state.store().conn().await?;
    let id = store::insert(
        &mut conn,
        url.as_str(),
        &secret,
        &node.code,
        Some(p.account.id),
        state.now_ms(),
    )
    .await?;
    let webhook = store::get(&mut conn, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(IssuedWebhook { webhook, secret })
}

/// A webhook the caller manages; 404 outside its scope.
async fn own(state: &App, actor: &Actor, id: i64, verb: Verb) -> Result<WebhookRow, AppError> {
    actor.may(Resource::Webhook, verb)?;
    store::get(&mut state.store().conn().await?, id)
        .await?
        .filter(|w| actor.sees(&w.node_code))
        .ok_or_else(AppError::not_found)
}

/// Stops a webhook; its undelivered notifications are cancelled.
pub async fn remove(state: &App, actor: &Actor, id: i64) -> Result<(), AppError> {
    own(state, actor, id, Verb::Write).await?;
    let mut tx = state.store().begin().await?;
    store::deactivate(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// The delivery log of a webhook the caller manages: the latest deliveries, newest first.
pub async fn deliveries(state: &App, actor: &Actor, id: i64) -> Result<Vec<DeliveryRow>, AppError> {
    own(state, actor, id, Verb::Read).await?;
    Ok(store::deliveries(&mut state.store().conn().await?, id, LOG_LENGTH).await?)
}
