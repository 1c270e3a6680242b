//! The audit trail (审计日志): appending, sealing into the chain, verifying.
//!
//! Register changes and reveals of personal data append their record inside their own
//! transaction, with before and after. Every other write is recorded by the HTTP layer once it
//! has succeeded (who, which route, which target, the answer's status), through a queue that a
//! writer task empties in batches, so the intake's throughput does not pay a transaction per
//! record. A sealer task links new records into the keyed hash chain every second.

use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError};
use shanzhi_domain::audit::{Break, Verifier};
pub use shanzhi_store::audit::AuditRow;
use shanzhi_store::audit::{self as store, AuditFilter, NewAudit};
use shanzhi_store::vault::Vault;
use shanzhi_store::{Exec, Store};
use tokio::sync::mpsc;

/// Most records one batch or one seal carries.
const BATCH: usize = 512;

/// Who acted, for the trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The account, if any (`None` for residents and the system).
    pub id: Option<i64>,
    /// In words: `覃鹏琳（网格员）`, `居民 127.0.0.1`, `系统`.
    pub label: String,
}

impl Actor {
    /// The signed-in caller.
    pub fn of(p: &crate::Principal) -> Actor {
        Actor {
            id: Some(p.account.id),
            label: p.label(),
        }
    }
}

/// A record of `action` on `target` by `actor` at `at` (ms), with JSON details.
pub fn entry(
    at: i64,
    actor: &Actor,
    action: &str,
    target: String,
    node_code: Option<&str>,
    detail: serde_json::Value,
) -> NewAudit {
    NewAudit {
        at,
        actor_id: actor.id,
        actor_label: actor.label.clone(),
        action: action.to_owned(),
        target,
        node_code: node_code.map(str::to_owned),
        detail: detail.to_string(),
    }
}

/// Appends records inside the caller's transaction.
pub async fn record(ex: &mut impl Exec, items: &[NewAudit]) -> Result<(), AppError> {
    Ok(store::append(ex, items).await?)
}

/// Appends one record by `p` in its own transaction: for reads of personal data and refused
/// requests for it, recorded before anything is handed back.
pub async fn record_alone(
    state: &App,
    p: &crate::Principal,
    action: &str,
    target: String,
    node_code: Option<&str>,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    let item = entry(
        state.now_ms(),
        &Actor::of(p),
        action,
        target,
        node_code,
        detail,
    );
    let mut tx = state.store().begin().await?;
    record(&mut tx, &[item]).await?;
    tx.commit().await?;
    Ok(())
}

/// The queue the HTTP layer appends to.
pub struct Sink {
    tx: mpsc::Sender<NewAudit>,
}

impl Sink {
    /// Starts the writer task.
    pub fn start(store: &Store) -> Sink {
        let (tx, rx) = mpsc::channel(8 * BATCH);
        tokio::spawn(write_loop(store.clone(), rx));
        Sink { tx }
    }

    /// Queues a record (waits only when the writer is far behind).
    pub async fn log(&self, item: NewAudit) {
        if self.tx.send(item).await.is_err() {
            tracing::error!("audit writer stopped; a record was not written");
        }
    }
}

async fn write_loop(store: Store, mut rx: mpsc::Receiver<NewAudit>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let written = async {
            let mut tx = store.begin().await?;
            store::append(&mut tx, &batch).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = written {
            tracing::error!(error = %e, records = batch.len(), "audit records not written");
        }
        batch.clear();
    }
}

/// Seals every record not yet in the chain; returns how many. Safe beside another sealer:
/// positions are unique, so the loser of a race rolls back and tries again.
pub async fn seal(store: &Store, vault: &Vault) -> Result<usize, AppError> {
    let mut sealed = 0;
    loop {
        let mut tx = store.begin().await?;
        let rows = store::unsealed(&mut tx, BATCH as u32).await?;
        if rows.is_empty() {
            // Ended explicitly, not dropped: SQLite's write lock goes with the commit.
            tx.commit().await?;
            return Ok(sealed);
        }
        let (mut seq, mut prev) = store::head(&mut tx).await?;
        let mut raced = false;
        for row in &rows {
            seq += 1;
            let hash = vault.chain_hash(&prev, &row.record(seq).canonical());
            if !store::seal(&mut tx, row.id, seq, &hash).await? {
                raced = true;
                break;
            }
            prev = hash;
        }
        if raced {
            continue;
        }
        match tx.commit().await {
            Ok(()) => sealed += rows.len(),
            Err(shanzhi_store::StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
        if rows.len() < BATCH {
            tracing::debug!(head = seq, hash = %hex(&prev), "audit chain sealed");
            return Ok(sealed);
        }
    }
}

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verified {
    /// Records checked.
    pub checked: i64,
    /// The last hash, hex: note it down elsewhere to detect a truncated tail later.
    pub head: String,
    /// Records written but not sealed yet (the sealer runs every second).
    pub unsealed: i64,
}

/// Why verification failed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The chain is broken: a record was edited or deleted.
    #[error("{0}")]
    Broken(#[from] Break),
    /// The database could not be read.
    #[error("{0}")]
    Store(#[from] shanzhi_store::StoreError),
}

/// Reads the whole chain in order and checks every hash.
pub async fn verify(store: &Store, vault: &Vault) -> Result<Verified, VerifyError> {
    let mut conn = store.conn().await?;
    let mut v = Verifier::default();
    loop {
        let rows = store::chain(&mut conn, v.checked(), 5000).await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let seq = row.chain_seq.unwrap_or_default();
            let stored = row.hash.as_deref().unwrap_or_default();
            v.push(&row.record(seq), stored, |p, b| vault.chain_hash(p, b))?;
        }
    }
    let unsealed = store::count_unsealed(&mut conn).await?;
    Ok(Verified {
        checked: v.checked(),
        head: hex(v.last_hash()),
        unsealed,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Which records.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Only under this node.
    pub node: Option<String>,
    /// Actions starting with this (`register.`, `register.reveal`, `POST`).
    pub action: Option<String>,
    /// Only this account's.
    pub actor: Option<i64>,
    /// Only this target (`person:12`).
    pub target: Option<String>,
    /// From (ms).
    pub from: Option<i64>,
    /// To (ms).
    pub to: Option<i64>,
    /// Older than this id.
    pub before: Option<i64>,
    /// Page size (default 100, at most 500).
    pub limit: Option<u32>,
}

/// Reads the trail within the reader's scope, newest first (the audit administrator: the trail
/// names who looked at whom).
pub async fn list(
    state: &App,
    actor: &shanzhi_domain::auth::Actor,
    q: &AuditQuery,
) -> Result<Vec<AuditRow>, AppError> {
    actor.may(Resource::Audit, Verb::List)?;
    let root = match q.node.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(n) if actor.sees(n) => Some(n),
        Some(_) => return Err(AppError::not_found()),
        None => actor.scope_root(),
    };
    let mut conn = state.store().conn().await?;
    Ok(store::list(
        &mut conn,
        &AuditFilter {
            root,
            action: q.action.as_deref().filter(|s| !s.is_empty()),
            actor_id: q.actor,
            target: q.target.as_deref().filter(|s| !s.is_empty()),
            from: q.from,
            to: q.to,
            before: q.before,
            limit: q.limit.unwrap_or(100).clamp(1, 500),
        },
    )
    .await?)
}

/// Seals pending records and checks the whole chain: how many records this sealed, and the
/// verified chain. Administrators only (None: the command line); a conflict names the first
/// record that was edited or deleted.
pub async fn check(
    state: &App,
    by: Option<&shanzhi_domain::auth::Actor>,
) -> Result<(usize, Verified), AppError> {
    if let Some(a) = by {
        a.may(Resource::Audit, Verb::Read)?;
    }
    let sealed = seal(state.store(), state.vault()).await?;
    let verified = verify(state.store(), state.vault())
        .await
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    Ok((sealed, verified))
}
