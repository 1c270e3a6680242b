//! The audit trail's storage: records appended inside the writes they describe (or in batches
//! by the HTTP layer), sealed into a chain afterwards, read back in chain order to verify.

use crate::{Exec, Sql, StoreError};

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

/// Appends records (the caller's transaction).
pub async fn append(ex: &mut impl Exec, items: &[NewAudit]) -> Result<(), StoreError> {
    for chunk in items.chunks(CHUNK) {
        let mut q = Sql::new(
            "INSERT INTO audit_log (at, actor_id, actor_label, action, target, node_code, detail) VALUES ",
        );
        for (i, a) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.push_bind("?", a.at)
                .push_bind(", ?", a.actor_id)
                .push_bind(", ?", a.actor_label.as_str())
                .push_bind(", ?", a.action.as_str())
                .push_bind(", ?", a.target.as_str())
                .push_bind(", ?", a.node_code.as_deref())
                .push_bind(", ?", a.detail.as_str())
                .push(")");
        }
        ex.exec(q).await?;
    }
    Ok(())
}

/// The oldest records not yet sealed.
pub async fn unsealed(ex: &mut impl Exec, limit: u32) -> Result<Vec<AuditRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {COLUMNS} FROM audit_log WHERE chain_seq IS NULL ORDER BY id LIMIT ?"
        ))
        .bind(i64::from(limit)),
    )
    .await
}

/// How many records wait to be sealed.
pub async fn count_unsealed(ex: &mut impl Exec) -> Result<i64, StoreError> {
    let (n,): (i64,) = ex
        .one(Sql::new(
            "SELECT COUNT(*) FROM audit_log WHERE chain_seq IS NULL",
        ))
        .await?;
    Ok(n)
}

/// The chain's last position and hash (`(0, [])` when nothing is sealed yet).
pub async fn head(ex: &mut impl Exec) -> Result<(i64, Vec<u8>), StoreError> {
    let row: Option<(i64, Option<Vec<u8>>)> = ex
        .opt(Sql::new(
            "SELECT chain_seq, hash FROM audit_log WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1",
        ))
        .await?;
    Ok(row.map_or((0, Vec::new()), |(seq, hash)| {
        (seq, hash.unwrap_or_default())
    }))
}

/// Seals one record at `seq` with `hash`; false when another sealer got there first.
pub async fn seal(ex: &mut impl Exec, id: i64, seq: i64, hash: &[u8]) -> Result<bool, StoreError> {
    let n = ex
        .exec(
            Sql::new(
                "UPDATE audit_log SET chain_seq = ?, hash = ? WHERE id = ? AND chain_seq IS NULL",
            )
            .bind(seq)
            .bind(hash.to_vec())
            .bind(id),
        )
        .await?;
    Ok(n == 1)
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
