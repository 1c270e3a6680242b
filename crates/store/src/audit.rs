//! The audit trail's storage: records written by the commit of the transaction whose change
//! they describe, sealed into the keyed chain on the way in (under the chain head's lock), read
//! back in chain order to verify.
//!
//! A write request's own record (who, which route) needs no code in each operation: the HTTP
//! layer runs the request [`within`] a [`RequestTrail`], and every transaction committed for
//! it carries the record.

use crate::db::Tx;
use crate::vault::Vault;
use crate::{Exec, Sql, StoreError};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// A record to append.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NewAudit {
    /// When (ms).
    pub at: i64,
    /// The account that acted.
    pub actor_id: Option<i64>,
    /// Who acted, in words.
    pub actor_label: String,
    /// What was done.
    pub action: String,
    /// What it was done to (`person:12`, `case:3`, a request path).
    pub target: String,
    /// Where in the region tree, when known.
    pub node_code: Option<String>,
    /// Details as JSON text.
    pub detail: String,
}

impl NewAudit {
    /// The record as the chain hashes it, at position `seq`.
    fn record(&self, seq: i64) -> shanzhi_domain::audit::Record<'_> {
        shanzhi_domain::audit::Record {
            seq,
            at: self.at,
            actor_id: self.actor_id,
            actor_label: &self.actor_label,
            action: &self.action,
            target: &self.target,
            node_code: self.node_code.as_deref(),
            detail: &self.detail,
        }
    }
}

/// The record a write request leaves: what was asked (method and route, the path) and, once
/// the request has been authenticated, by whom.
#[derive(Debug)]
pub struct RequestTrail {
    at: i64,
    action: String,
    target: String,
    anonymous: String,
    who: OnceLock<(i64, String, Option<String>)>,
    written: AtomicBool,
}

impl RequestTrail {
    /// A request made at `at` (ms) as `action` (`POST /api/v1/cases`) on `target` (the path);
    /// `anonymous` names the caller until [`RequestTrail::identify`] does (`未登录 10.0.0.7`).
    pub fn new(at: i64, action: String, target: String, anonymous: String) -> RequestTrail {
        RequestTrail {
            at,
            action,
            target,
            anonymous,
            who: OnceLock::new(),
            written: AtomicBool::new(false),
        }
    }

    /// The authenticated caller: account, label and node (the first one set wins).
    pub fn identify(&self, account: i64, label: String, node: Option<String>) {
        let _ = self.who.set((account, label, node));
    }

    /// Whether a commit has carried this request's record.
    pub fn written(&self) -> bool {
        self.written.load(Ordering::Relaxed)
    }

    /// The record as it stands now.
    pub fn record(&self) -> NewAudit {
        let (actor_id, actor_label, node_code) = match self.who.get() {
            Some((id, label, node)) => (Some(*id), label.clone(), node.clone()),
            None => (None, self.anonymous.clone(), None),
        };
        NewAudit {
            at: self.at,
            actor_id,
            actor_label,
            action: self.action.clone(),
            target: self.target.clone(),
            node_code,
            detail: "{}".into(),
        }
    }
}

tokio::task_local! {
    static REQUEST: Arc<RequestTrail>;
}

/// Runs `f` (a request's handling) with `trail` as the record its commits carry.
pub async fn within<F: Future>(trail: Arc<RequestTrail>, f: F) -> F::Output {
    REQUEST.scope(trail, f).await
}

/// The record of the request being handled on this task, if any, marked as written: the
/// caller puts it into a transaction it is about to commit.
pub fn request_record() -> Option<NewAudit> {
    REQUEST
        .try_with(|t| {
            t.written.store(true, Ordering::Relaxed);
            t.record()
        })
        .ok()
}

/// A stored record.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct AuditRow {
    /// Id (insertion order).
    pub id: i64,
    /// When (ms).
    pub at: i64,
    /// The account that acted.
    pub actor_id: Option<i64>,
    /// Who acted.
    pub actor_label: String,
    /// What was done.
    pub action: String,
    /// What it was done to.
    pub target: String,
    /// Where.
    pub node_code: Option<String>,
    /// Details (JSON text).
    pub detail: String,
    /// Position in the chain, once sealed.
    pub chain_seq: Option<i64>,
    /// The chain hash, once sealed.
    #[serde(skip)]
    pub hash: Option<Vec<u8>>,
}

impl AuditRow {
    /// The record as the chain hashes it, at position `seq`.
    pub fn record(&self, seq: i64) -> shanzhi_domain::audit::Record<'_> {
        shanzhi_domain::audit::Record {
            seq,
            at: self.at,
            actor_id: self.actor_id,
            actor_label: &self.actor_label,
            action: &self.action,
            target: &self.target,
            node_code: self.node_code.as_deref(),
            detail: &self.detail,
        }
    }
}

const COLUMNS: &str =
    "id, at, actor_id, actor_label, action, target, node_code, detail, chain_seq, hash";
/// Rows per multi-row insert (8 values each).
const CHUNK: usize = 500;

/// Writes `items` in the transaction: sealed into the chain when there is a key (the head is
/// locked until the commit, so positions follow commits), unsealed otherwise.
pub(crate) async fn write_sealed(
    tx: &mut impl Exec,
    items: &[NewAudit],
    chain: Option<&Vault>,
) -> Result<(), StoreError> {
    let Some(vault) = chain else {
        return insert(tx, items, None).await;
    };
    let (mut seq, mut prev) = lock_head(tx).await?;
    let mut sealed = Vec::with_capacity(items.len());
    for a in items {
        seq += 1;
        let hash = vault.chain_hash(&prev, &a.record(seq).canonical());
        sealed.push((seq, hash.clone()));
        prev = hash;
    }
    insert(tx, items, Some(&sealed)).await?;
    set_head(tx, seq, &prev, items.last().map_or(0, |a| a.at)).await
}

/// The chain's head, locked for the rest of the transaction (SQLite's `BEGIN IMMEDIATE`
/// already holds the one write lock).
async fn lock_head(tx: &mut impl Exec) -> Result<(i64, Vec<u8>), StoreError> {
    let lock = match tx.backend() {
        crate::Backend::Postgres => " FOR UPDATE",
        crate::Backend::Sqlite => "",
    };
    let head: Option<(i64, Option<Vec<u8>>)> = tx
        .opt(Sql::new(format!(
            "SELECT seq, hash FROM audit_head WHERE id = 1{lock}"
        )))
        .await?;
    let (seq, hash) = head.ok_or_else(|| {
        StoreError::Corrupt("审计链头（audit_head）缺失：审计日志可能被篡改，写入已停止".into())
    })?;
    Ok((seq, hash.unwrap_or_default()))
}

async fn set_head(ex: &mut impl Exec, seq: i64, hash: &[u8], at: i64) -> Result<(), StoreError> {
    ex.exec(
        Sql::new("UPDATE audit_head SET seq = ?, hash = ?, at = ? WHERE id = 1")
            .bind(seq)
            .bind(hash.to_vec())
            .bind(at),
    )
    .await?;
    Ok(())
}

/// Inserts records, with their chain positions and hashes when sealed.
async fn insert(
    ex: &mut impl Exec,
    items: &[NewAudit],
    sealed: Option<&[(i64, Vec<u8>)]>,
) -> Result<(), StoreError> {
    for (n, chunk) in items.chunks(CHUNK).enumerate() {
        let mut q = Sql::new(
            "INSERT INTO audit_log (at, actor_id, actor_label, action, target, node_code, detail, chain_seq, hash) VALUES ",
        );
        for (i, a) in chunk.iter().enumerate() {
            let (seq, hash) = match sealed.and_then(|s| s.get(n * CHUNK + i)) {
                Some((seq, hash)) => (Some(*seq), Some(hash.clone())),
                None => (None, None),
            };
            q.push(if i == 0 { "(" } else { ", (" });
            q.push_bind("?", a.at)
                .push_bind(", ?", a.actor_id)
                .push_bind(", ?", a.actor_label.as_str())
                .push_bind(", ?", a.action.as_str())
                .push_bind(", ?", a.target.as_str())
                .push_bind(", ?", a.node_code.as_deref())
                .push_bind(", ?", a.detail.as_str())
                .push_bind(", ?", seq)
                .push_bind(", ?", hash)
                .push(")");
        }
        ex.exec(q).await?;
    }
    Ok(())
}

/// Seals the records written before the chain was sealed at commit (a database from an older
/// version): those up to the id the migration noted, oldest first. Returns how many. Records
/// after it that are not sealed were not written by this system, and stay as they are for
/// verification to name.
pub async fn seal_legacy(tx: &mut Tx, vault: &Vault) -> Result<usize, StoreError> {
    let (mut seq, mut prev) = lock_head(tx).await?;
    let (upto,): (i64,) = tx
        .one(Sql::new("SELECT legacy_upto FROM audit_head WHERE id = 1"))
        .await?;
    let rows: Vec<AuditRow> = tx
        .all(
            Sql::new(format!(
                "SELECT {COLUMNS} FROM audit_log WHERE chain_seq IS NULL AND id <= ? ORDER BY id"
            ))
            .bind(upto),
        )
        .await?;
    for row in &rows {
        seq += 1;
        let hash = vault.chain_hash(&prev, &row.record(seq).canonical());
        tx.exec(
            Sql::new("UPDATE audit_log SET chain_seq = ?, hash = ? WHERE id = ?")
                .bind(seq)
                .bind(hash.clone())
                .bind(row.id),
        )
        .await?;
        prev = hash;
    }
    if let Some(last) = rows.last() {
        set_head(tx, seq, &prev, last.at).await?;
    }
    Ok(rows.len())
}

/// Records without a place in the chain: (written before sealing at commit and not sealed
/// yet, written by something else).
pub async fn count_unsealed(ex: &mut impl Exec) -> Result<(i64, i64), StoreError> {
    let (legacy, foreign): (i64, i64) = ex
        .one(Sql::new(
            "SELECT \
               COALESCE(SUM(CASE WHEN l.id <= h.legacy_upto THEN 1 ELSE 0 END), 0), \
               COALESCE(SUM(CASE WHEN l.id > h.legacy_upto THEN 1 ELSE 0 END), 0) \
             FROM audit_log l CROSS JOIN audit_head h WHERE l.chain_seq IS NULL",
        ))
        .await?;
    Ok((legacy, foreign))
}

/// The chain's head as stored: position, hash and the time of its record (`None` when the
/// head row is gone).
pub async fn head(ex: &mut impl Exec) -> Result<Option<(i64, Vec<u8>, i64)>, StoreError> {
    let row: Option<(i64, Option<Vec<u8>>, i64)> = ex
        .opt(Sql::new(
            "SELECT seq, hash, at FROM audit_head WHERE id = 1",
        ))
        .await?;
    Ok(row.map(|(seq, hash, at)| (seq, hash.unwrap_or_default(), at)))
}

/// Sealed records in chain order after position `after`.
pub async fn chain(
    ex: &mut impl Exec,
    after: i64,
    limit: u32,
) -> Result<Vec<AuditRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {COLUMNS} FROM audit_log WHERE chain_seq > ? ORDER BY chain_seq LIMIT ?"
        ))
        .bind(after)
        .bind(i64::from(limit)),
    )
    .await
}

/// What the audit list asks for.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter<'a> {
    /// Only records under this node (records without a node are shown only without it).
    pub root: Option<&'a str>,
    /// Only actions starting with this (`person.`, `POST`).
    pub action: Option<&'a str>,
    /// Only this account's.
    pub actor_id: Option<i64>,
    /// Only this target (`person:12`).
    pub target: Option<&'a str>,
    /// From (ms, inclusive).
    pub from: Option<i64>,
    /// To (ms, exclusive).
    pub to: Option<i64>,
    /// Older than this id (paging).
    pub before: Option<i64>,
    /// Page size.
    pub limit: u32,
}

/// Records matching `f`, newest first.
pub async fn list(ex: &mut impl Exec, f: &AuditFilter<'_>) -> Result<Vec<AuditRow>, StoreError> {
    let mut q = Sql::new(format!("SELECT {COLUMNS} FROM audit_log WHERE 1 = 1"));
    if let Some(root) = f.root {
        q.push_bind(" AND node_code >= ?", root)
            .push_bind(" AND node_code < ?", format!("{root}\u{10FFFF}"));
    }
    if let Some(a) = f.action {
        q.push_bind(" AND action >= ?", a)
            .push_bind(" AND action < ?", format!("{a}\u{10FFFF}"));
    }
    if let Some(actor) = f.actor_id {
        q.push_bind(" AND actor_id = ?", actor);
    }
    if let Some(t) = f.target {
        q.push_bind(" AND target = ?", t);
    }
    if let Some(from) = f.from {
        q.push_bind(" AND at >= ?", from);
    }
    if let Some(to) = f.to {
        q.push_bind(" AND at < ?", to);
    }
    if let Some(b) = f.before {
        q.push_bind(" AND id < ?", b);
    }
    q.push_bind(" ORDER BY id DESC LIMIT ?", i64::from(f.limit));
    ex.all(q).await
}
