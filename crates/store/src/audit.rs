//! The audit trail's storage: records written by the commit of the transaction whose change
//! they describe, each with its own seal, chained into the keyed chain by that commit (SQLite)
//! or right after it (PostgreSQL), read back in chain order to verify.
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
    /// The record's own seal, made as it was written (over its id and content).
    #[serde(skip)]
    pub mac: Option<Vec<u8>>,
}

impl AuditRow {
    /// Whether the record's own seal still holds for its row (`None`: written without one, by
    /// an older version or without a key).
    pub fn in_place(&self, vault: &Vault) -> Option<bool> {
        let mac = self.mac.as_deref()?;
        Some(vault.record_mac(self.id, &self.record(0).content()) == mac)
    }

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
    "id, at, actor_id, actor_label, action, target, node_code, detail, chain_seq, hash, mac";
/// Rows per multi-row insert (11 values each).
const CHUNK: usize = 500;

/// Writes `items` in the transaction. With a key, each record gets its own seal (over the row
/// id it is given here and its content). SQLite, whose one writer holds the write lock anyway,
/// also chains them at once; PostgreSQL chains them right after the commit ([`chain_pending`],
/// called by `Store::settle`), so the commits of many processes need not queue behind one
/// head. Without a key records are written unsealed.
pub(crate) async fn write(
    tx: &mut impl Exec,
    items: &[NewAudit],
    chain: Option<&Vault>,
) -> Result<(), StoreError> {
    let Some(vault) = chain else {
        let rows: Vec<Row<'_>> = items.iter().map(Row::plain).collect();
        return insert(tx, &rows).await;
    };
    let ids = allocate(tx, items.len()).await?;
    let mut rows: Vec<Row<'_>> = items
        .iter()
        .zip(ids)
        .map(|(a, id)| Row {
            mac: Some(vault.record_mac(id, &a.record(0).content())),
            id: Some(id),
            ..Row::plain(a)
        })
        .collect();
    if tx.backend() == crate::Backend::Postgres {
        return insert(tx, &rows).await;
    }
    let (mut seq, mut prev) = lock_head(tx).await?;
    for row in &mut rows {
        seq += 1;
        let hash = vault.chain_hash(&prev, &row.a.record(seq).canonical());
        prev.clone_from(&hash);
        row.seal = Some((seq, hash));
    }
    insert(tx, &rows).await?;
    set_head(tx, seq, &prev, items.last().map_or(0, |a| a.at)).await
}

/// Row ids for `n` new records (a record's own seal covers its id, so it is taken first).
async fn allocate(ex: &mut impl Exec, n: usize) -> Result<Vec<i64>, StoreError> {
    let n = i64::try_from(n).map_err(|_| StoreError::Corrupt("审计记录过多".into()))?;
    match ex.backend() {
        crate::Backend::Postgres => {
            let ids: Vec<(i64,)> = ex
                .all(
                    Sql::new(
                        "SELECT nextval(pg_get_serial_sequence('audit_log', 'id')) \
                         FROM generate_series(1, ?)",
                    )
                    .bind(n),
                )
                .await?;
            Ok(ids.into_iter().map(|(id,)| id).collect())
        }
        // Under the write lock: nobody else takes ids meanwhile.
        crate::Backend::Sqlite => {
            let (last,): (i64,) = ex
                .one(Sql::new("SELECT COALESCE(MAX(id), 0) FROM audit_log"))
                .await?;
            Ok((1..=n).map(|i| last + i).collect())
        }
    }
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

/// A record as inserted: with its id and own seal when there is a key, and its chain position
/// and hash when chained at once.
struct Row<'a> {
    a: &'a NewAudit,
    id: Option<i64>,
    mac: Option<Vec<u8>>,
    seal: Option<(i64, Vec<u8>)>,
}

impl<'a> Row<'a> {
    fn plain(a: &'a NewAudit) -> Row<'a> {
        Row {
            a,
            id: None,
            mac: None,
            seal: None,
        }
    }
}

/// Inserts records (all given ids, or none).
async fn insert(ex: &mut impl Exec, rows: &[Row<'_>]) -> Result<(), StoreError> {
    let with_ids = rows.first().is_some_and(|r| r.id.is_some());
    for chunk in crate::bulk::runs(rows, CHUNK) {
        let mut q = Sql::new(if with_ids {
            "INSERT INTO audit_log (id, at, actor_id, actor_label, action, target, node_code, detail, chain_seq, hash, mac) VALUES "
        } else {
            "INSERT INTO audit_log (at, actor_id, actor_label, action, target, node_code, detail, chain_seq, hash, mac) VALUES "
        });
        for (i, row) in chunk.iter().enumerate() {
            let a = row.a;
            let (seq, hash) = match &row.seal {
                Some((seq, hash)) => (Some(*seq), Some(hash.clone())),
                None => (None, None),
            };
            q.push(if i == 0 { "(" } else { ", (" });
            if let Some(id) = row.id.filter(|_| with_ids) {
                q.push_bind("?, ", id);
            }
            q.push_bind("?", a.at)
                .push_bind(", ?", a.actor_id)
                .push_bind(", ?", a.actor_label.as_str())
                .push_bind(", ?", a.action.as_str())
                .push_bind(", ?", a.target.as_str())
                .push_bind(", ?", a.node_code.as_deref())
                .push_bind(", ?", a.detail.as_str())
                .push_bind(", ?", seq)
                .push_bind(", ?", hash)
                .push_bind(", ?", row.mac.clone())
                .push(")");
        }
        ex.exec(q).await?;
    }
    Ok(())
}

/// Chains, in id order, the records committed with their own seal but no position yet (the
/// caller holds the settle lock, see `Store::settle`). One whose own seal does
/// not hold was not written by the system: it stays outside the chain, for verification to
/// name. Returns how many were chained.
pub(crate) async fn chain_pending(tx: &mut impl Exec, vault: &Vault) -> Result<usize, StoreError> {
    let (mut seq, mut prev) = lock_head(tx).await?;
    let (mut after,): (i64,) = tx
        .one(Sql::new("SELECT legacy_upto FROM audit_head WHERE id = 1"))
        .await?;
    let (mut chained, mut last_at) = (0, None);
    loop {
        let rows: Vec<AuditRow> = tx
            .all(
                Sql::new(format!(
                    "SELECT {COLUMNS} FROM audit_log \
                     WHERE chain_seq IS NULL AND mac IS NOT NULL AND id > ? ORDER BY id LIMIT 1000"
                ))
                .bind(after),
            )
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let mut sealed = Vec::new();
        for row in rows.iter().filter(|r| r.in_place(vault) == Some(true)) {
            seq += 1;
            let hash = vault.chain_hash(&prev, &row.record(seq).canonical());
            prev.clone_from(&hash);
            sealed.push((row.id, seq, hash));
            last_at = Some(row.at);
        }
        chained += sealed.len();
        set_seals(tx, sealed).await?;
    }
    if let Some(at) = last_at {
        set_head(tx, seq, &prev, at).await?;
    }
    Ok(chained)
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

/// Stores chain positions and hashes (id, position, hash): in one statement on PostgreSQL,
/// where these passes run under load; one per record on SQLite, whose commits chain their
/// records themselves and leave none to a pass unless their process died in between.
async fn set_seals(tx: &mut impl Exec, sealed: Vec<(i64, i64, Vec<u8>)>) -> Result<(), StoreError> {
    if sealed.is_empty() {
        return Ok(());
    }
    if tx.backend() == crate::Backend::Sqlite {
        for (id, seq, hash) in sealed {
            tx.exec(
                Sql::new("UPDATE audit_log SET chain_seq = ?, hash = ? WHERE id = ?")
                    .bind(seq)
                    .bind(hash)
                    .bind(id),
            )
            .await?;
        }
        return Ok(());
    }
    let mut q = Sql::new("UPDATE audit_log AS l SET chain_seq = v.s, hash = v.h FROM (VALUES ");
    for (i, (id, seq, hash)) in sealed.into_iter().enumerate() {
        q.push(if i == 0 { "(" } else { ", (" });
        q.push_bind("?::BIGINT", id)
            .push_bind(", ?::BIGINT", seq)
            .push_bind(", ?::BYTEA)", hash);
    }
    q.push(") AS v (id, s, h) WHERE l.id = v.id");
    tx.exec(q).await?;
    Ok(())
}

/// Records without a place in the chain: how many an older version left (sealed at the next
/// start), and the others — committed and waiting to be chained (their own seal holds) or
/// written by something else, for the caller to tell apart.
pub async fn unsealed(ex: &mut impl Exec) -> Result<(i64, Vec<AuditRow>), StoreError> {
    let (legacy,): (i64,) = ex
        .one(Sql::new(
            "SELECT COUNT(*) FROM audit_log l CROSS JOIN audit_head h \
             WHERE l.chain_seq IS NULL AND l.id <= h.legacy_upto",
        ))
        .await?;
    let rest = ex
        .all(Sql::new(format!(
            "SELECT {COLUMNS} FROM audit_log \
             WHERE chain_seq IS NULL AND id > (SELECT legacy_upto FROM audit_head WHERE id = 1) \
             ORDER BY id"
        )))
        .await?;
    Ok((legacy, rest))
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
