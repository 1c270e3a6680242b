//! The audit trail (审计日志): recording, anchoring, verifying.
//!
//! Every record is written by the commit of the transaction whose change it describes, sealed
//! into the keyed hash chain on the way in (see `shanzhi_store::audit`): register changes and
//! reveals add theirs with before and after ([`record`]); a write request's own record (who,
//! which route) rides along on every commit made for it. Kill the process at any moment and
//! there is no change without its record, and no record of a change that did not happen.
//!
//! The chain's head is anchored outside the database: every minute it is appended to an
//! anchor file beside the data (and posted to a URL, if one is set), and verification holds
//! the chain to every anchor, so deleting the tail, everything, or rewriting from some point
//! shows.

use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError};
use shanzhi_domain::audit::{Anchor, Break, Verifier};
use shanzhi_store::audit::{self as store, AuditFilter, NewAudit};
pub use shanzhi_store::audit::{AuditRow, RequestTrail, within};
use shanzhi_store::vault::Vault;
use shanzhi_store::{Store, Tx};
use std::io::Write;
use std::path::Path;

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

impl Actor {
    /// The account acting as `actor`, named as the trail names people (read in `ex`).
    pub async fn of_account(
        ex: &mut impl shanzhi_store::Exec,
        actor: &shanzhi_domain::auth::Actor,
    ) -> Result<Actor, AppError> {
        let name = shanzhi_store::accounts::by_id(ex, actor.account_id)
            .await?
            .map_or_else(|| format!("账号 {}", actor.account_id), |a| a.display_name);
        Ok(Actor {
            id: Some(actor.account_id),
            label: shanzhi_domain::auth::actor_label(&name, actor.role),
        })
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

/// Adds records to what the caller's transaction writes at its commit.
pub fn record(tx: &mut Tx, items: impl IntoIterator<Item = NewAudit>) {
    tx.audit(items);
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
    record(&mut tx, [item]);
    tx.commit().await?;
    Ok(())
}

/// Writes a request's record in a transaction of its own: for a write that committed none of
/// its own (a single-statement change), before it is answered.
pub async fn record_request(state: &App, item: NewAudit) -> Result<(), AppError> {
    let mut tx = state.store().begin().await?;
    record(&mut tx, [item]);
    tx.commit().await?;
    Ok(())
}

/// Seals the records a database from an older version holds unsealed (once, at start-up);
/// returns how many.
pub async fn seal_legacy(store: &Store, vault: &Vault) -> Result<usize, AppError> {
    let mut tx = store.begin().await?;
    let n = store::seal_legacy(&mut tx, vault).await?;
    tx.commit().await?;
    Ok(n)
}

/// The chain's head as stored: position, hash (hex) and the time of its last record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Head {
    /// Position of the last record.
    pub seq: i64,
    /// Its hash, hex.
    pub hash: String,
    /// When it was written (ms).
    pub at: i64,
}

/// The chain's head (`shanzhi audit head`).
pub async fn head(store: &Store) -> Result<Head, AppError> {
    let (seq, hash, at) = store::head(&mut store.conn().await?)
        .await?
        .ok_or_else(|| AppError::Conflict(Break::HeadMissing.to_string()))?;
    Ok(Head {
        seq,
        hash: hex(&hash),
        at,
    })
}

/// Every anchor in the file at `path` (none when there is no file yet); a line that is not
/// an anchor is an error, since the file is only ever appended to.
pub fn read_anchors(path: &Path) -> Result<Vec<Anchor>, AppError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(AppError::Unavailable(format!(
                "无法读取审计锚定文件 {}：{e}",
                path.display()
            )));
        }
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            Anchor::parse(l).ok_or_else(|| {
                AppError::Conflict(format!(
                    "审计锚定文件 {} 第 {} 行无法识别：锚定文件被改动",
                    path.display(),
                    i + 1
                ))
            })
        })
        .collect()
}

/// Appends the chain's current head to the anchor file (created private) and posts it to
/// `url` when one is set, unless the file's last anchor is already this head. Returns the
/// anchor written.
pub async fn anchor(state: &App) -> Result<Option<Anchor>, AppError> {
    let Some(path) = state.config().audit_anchor.clone() else {
        return Ok(None);
    };
    let Some((seq, hash, at)) = store::head(&mut state.store().conn().await?).await? else {
        return Err(AppError::Conflict(Break::HeadMissing.to_string()));
    };
    let last = read_anchors(&path)?.pop();
    if last.as_ref().is_some_and(|a| a.seq == seq) {
        return Ok(None);
    }
    let a = Anchor { seq, hash, at };
    let line = format!("{}\n", a.line());
    let file = path.clone();
    tokio::task::spawn_blocking(move || append_line(&file, &line))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| {
            AppError::Unavailable(format!("无法写入审计锚定文件 {}：{e}", path.display()))
        })?;
    if let Some(url) = &state.config().audit_anchor_url {
        let body = serde_json::json!({"seq": a.seq, "hash": hex(&a.hash), "at": a.at});
        match state.http().post(url).json(&body).send().await {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => tracing::warn!(status = %r.status(), "audit anchor not accepted by {url}"),
            Err(e) => tracing::warn!(error = %e, "audit anchor not posted to {url}"),
        }
    }
    Ok(Some(a))
}

/// Appends a line and flushes it to disk; the file is made readable by its owner only.
fn append_line(path: &Path, line: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path)?;
    f.write_all(line.as_bytes())?;
    f.sync_all()
}

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verified {
    /// Records checked.
    pub checked: i64,
    /// The last hash, hex.
    pub head: String,
    /// Records not chained yet: from an older version (chained at the next start), or
    /// committed a moment ago (chained by the pass after their commit).
    pub unsealed: i64,
    /// Anchors the chain was held to.
    pub anchors: usize,
}

/// Why verification failed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The chain is broken: records edited, deleted, inserted or reordered.
    #[error("{0}")]
    Broken(#[from] Break),
    /// The database could not be read.
    #[error("{0}")]
    Store(#[from] shanzhi_store::StoreError),
}

/// Reads the whole chain in order and checks every hash, the order records were written in,
/// the stored head, every anchor, and that no record stands outside the chain. Seals nothing.
pub async fn verify(
    store: &Store,
    vault: &Vault,
    anchors: Vec<Anchor>,
) -> Result<Verified, VerifyError> {
    let mut conn = store.conn().await?;
    let anchored = anchors.len();
    let mut v = Verifier::anchored(anchors);
    loop {
        let rows = store::chain(&mut conn, v.checked(), 5000).await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let seq = row.chain_seq.unwrap_or_default();
            let stored = row.hash.as_deref().unwrap_or_default();
            v.push(
                row.id,
                &row.record(seq),
                stored,
                row.in_place(vault),
                |p, b| vault.chain_hash(p, b),
            )?;
        }
    }
    let (legacy, rest) = store::unsealed(&mut conn).await?;
    let waiting = rest
        .iter()
        .filter(|r| r.in_place(vault) == Some(true))
        .count();
    let foreign = i64::try_from(rest.len() - waiting).unwrap_or(i64::MAX);
    let head = store::head(&mut conn).await?;
    v.finish(head.as_ref().map(|(s, h, _)| (*s, h.as_slice())), foreign)?;
    Ok(Verified {
        checked: v.checked(),
        head: hex(v.last_hash()),
        unsealed: legacy + i64::try_from(waiting).unwrap_or(i64::MAX),
        anchors: anchored,
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
            limit: crate::input::page_size(q.limit, 100, 500)?,
        },
    )
    .await?)
}

/// Checks the whole chain against the anchors (the audit administrator; None: the command
/// line). A conflict says exactly what is missing or changed.
pub async fn check(
    state: &App,
    by: Option<&shanzhi_domain::auth::Actor>,
) -> Result<Verified, AppError> {
    if let Some(a) = by {
        a.may(Resource::Audit, Verb::Read)?;
    }
    let anchors = match &state.config().audit_anchor {
        Some(path) => read_anchors(path)?,
        None => Vec::new(),
    };
    verify(state.store(), state.vault(), anchors)
        .await
        .map_err(|e| AppError::Conflict(e.to_string()))
}
