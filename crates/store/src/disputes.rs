//! Dispute cases: their facts, parties, mediators, mediation sessions, outcome and follow-ups,
//! and the success-rate figures.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::case::{MediatorKind, OutcomeKind, PartySide, Referral};

/// A dispute's facts and outcome (also the API's answer).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct DisputeRow {
    /// The case.
    pub case_id: i64,
    /// 纠纷类型.
    pub dispute_type: String,
    /// Amount involved (涉及金额), in fen.
    pub amount_cents: Option<i64>,
    /// `settled` or `referred` once concluded.
    pub outcome: Option<OutcomeKind>,
    /// The agreement (调解协议), when settled.
    pub agreement: Option<String>,
    /// Where it was referred (`justice_office`, `court`, `arbitration`).
    pub referral: Option<Referral>,
    /// Why mediation failed, when referred.
    pub outcome_note: Option<String>,
    /// When concluded (ms).
    pub concluded_at: Option<i64>,
    /// Who recorded the outcome.
    pub concluded_by: Option<i64>,
}

/// A party to the dispute.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    sqlx::FromRow,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
pub struct PartyRow {
    /// Name.
    pub name: String,
    /// Which side.
    pub side: PartySide,
    /// Anything to know (relation, unit, building).
    #[serde(default)]
    pub note: String,
}

/// A mediator.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    sqlx::FromRow,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
pub struct MediatorRow {
    /// Who they are.
    pub kind: MediatorKind,
    /// Name.
    pub name: String,
}

/// One mediation sitting.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct SessionRow {
    /// Id.
    pub id: i64,
    /// When it was held (ms).
    pub held_at: i64,
    /// Where (调解室、田间、当事人家中 …).
    pub place: String,
    /// What happened.
    pub notes: String,
    /// Who recorded it.
    pub recorded_by: Option<i64>,
}

/// One follow-up (稳控回访).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct FollowupRow {
    /// When (ms).
    pub at: i64,
    /// What was found.
    pub note: String,
    /// Whether the parties are stable (no recurrence).
    pub stable: bool,
}

const DISPUTE_COLUMNS: &str = "case_id, dispute_type, amount_cents, outcome, agreement, referral, outcome_note, \
                               concluded_at, concluded_by";

/// The dispute record of a case, if one was started.
pub async fn get(ex: &mut impl Exec, case_id: i64) -> Result<Option<DisputeRow>, StoreError> {
    ex.opt(
        Sql::new(format!(
            "SELECT {DISPUTE_COLUMNS} FROM disputes WHERE case_id = ?"
        ))
        .bind(case_id),
    )
    .await
}

/// Sets the dispute's facts, replacing its parties and mediators (the caller's transaction).
pub async fn set_facts(
    ex: &mut impl Exec,
    case_id: i64,
    dispute_type: &str,
    amount_cents: Option<i64>,
    parties: &[PartyRow],
    mediators: &[MediatorRow],
    now: i64,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new(
            "INSERT INTO disputes (case_id, dispute_type, amount_cents, updated_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (case_id) DO UPDATE SET dispute_type = excluded.dispute_type, \
             amount_cents = excluded.amount_cents, updated_at = excluded.updated_at",
        )
        .bind(case_id)
        .bind(dispute_type)
        .bind(amount_cents)
        .bind(now),
    )
    .await?;
    ex.exec(Sql::new("DELETE FROM dispute_parties WHERE case_id = ?").bind(case_id))
        .await?;
    for p in parties {
        ex.exec(
            Sql::new("INSERT INTO dispute_parties (case_id, name, side, note) VALUES (?, ?, ?, ?)")
                .bind(case_id)
                .bind(p.name.as_str())
                .bind(p.side.as_str())
                .bind(p.note.as_str()),
        )
        .await?;
    }
    ex.exec(Sql::new("DELETE FROM dispute_mediators WHERE case_id = ?").bind(case_id))
        .await?;
    for m in mediators {
        ex.exec(
            Sql::new("INSERT INTO dispute_mediators (case_id, kind, name) VALUES (?, ?, ?)")
                .bind(case_id)
                .bind(m.kind.as_str())
                .bind(m.name.as_str()),
        )
        .await?;
    }
    Ok(())
}

/// The parties, in the order given.
pub async fn parties(ex: &mut impl Exec, case_id: i64) -> Result<Vec<PartyRow>, StoreError> {
    ex.all(
        Sql::new("SELECT name, side, note FROM dispute_parties WHERE case_id = ? ORDER BY id")
            .bind(case_id),
    )
    .await
}

/// The mediators, in the order given.
pub async fn mediators(ex: &mut impl Exec, case_id: i64) -> Result<Vec<MediatorRow>, StoreError> {
    ex.all(
        Sql::new("SELECT kind, name FROM dispute_mediators WHERE case_id = ? ORDER BY id")
            .bind(case_id),
    )
    .await
}

/// Records a sitting.
pub async fn add_session(
    ex: &mut impl Exec,
    case_id: i64,
    held_at: i64,
    place: &str,
    notes: &str,
    by: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new(
            "INSERT INTO mediation_sessions (case_id, held_at, place, notes, recorded_by, recorded_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(case_id)
        .bind(held_at)
        .bind(place)
        .bind(notes)
        .bind(by)
        .bind(now),
    )
    .await
    .map(drop)
}

/// The sittings, in the order they were held.
pub async fn sessions(ex: &mut impl Exec, case_id: i64) -> Result<Vec<SessionRow>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT id, held_at, place, notes, recorded_by FROM mediation_sessions WHERE case_id = ? \
             ORDER BY held_at, id",
        )
        .bind(case_id),
    )
    .await
}

/// How a mediation ended.
#[derive(Debug, Clone)]
pub struct Conclusion<'a> {
    /// Settled or referred.
    pub outcome: OutcomeKind,
    /// The agreement.
    pub agreement: Option<&'a str>,
    /// Where referred.
    pub referral: Option<Referral>,
    /// Why it failed.
    pub note: Option<&'a str>,
}

/// Records the outcome once; false if one was recorded meanwhile (or the facts were never set).
pub async fn conclude(
    ex: &mut impl Exec,
    case_id: i64,
    c: &Conclusion<'_>,
    by: Option<i64>,
    at: i64,
) -> Result<bool, StoreError> {
    let n = ex
        .exec(
            Sql::new(
                "UPDATE disputes SET outcome = ?, agreement = ?, referral = ?, outcome_note = ?, concluded_at = ?, \
                 concluded_by = ?, updated_at = ? WHERE case_id = ? AND outcome IS NULL",
            )
            .bind(c.outcome.as_str())
            .bind(c.agreement)
            .bind(c.referral.map(Referral::as_str))
            .bind(c.note)
            .bind(at)
            .bind(by)
            .bind(at)
            .bind(case_id),
        )
        .await?;
    Ok(n == 1)
}

/// Records a follow-up.
pub async fn add_followup(
    ex: &mut impl Exec,
    case_id: i64,
    at: i64,
    note: &str,
    stable: bool,
    by: Option<i64>,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new("INSERT INTO dispute_followups (case_id, at, note, stable, recorded_by) VALUES (?, ?, ?, ?, ?)")
            .bind(case_id)
            .bind(at)
            .bind(note)
            .bind(stable)
            .bind(by),
    )
    .await
    .map(drop)
}

/// The follow-ups, oldest first.
pub async fn followups(ex: &mut impl Exec, case_id: i64) -> Result<Vec<FollowupRow>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT at, note, stable FROM dispute_followups WHERE case_id = ? ORDER BY at, id",
        )
        .bind(case_id),
    )
    .await
}

/// Mediations concluded in one area.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AreaOutcomes {
    /// The area's code (a child of the root asked about).
    pub node_code: String,
    /// Settled.
    pub settled: i64,
    /// Referred on.
    pub referred: i64,
}

/// Outcomes concluded in `[from, to)` under `root`, grouped by the first `child_len` characters
/// of the case's node code (the root's children). The period's conclusions are read first and
/// each looks up its case's node (a subquery per row in a materialised CTE, so neither planner
/// starts from the area's cases, which under a street are a year's worth and under a city all).
pub async fn outcomes_by_area(
    ex: &mut impl Exec,
    root: &str,
    child_len: usize,
    from: i64,
    to: i64,
) -> Result<Vec<AreaOutcomes>, StoreError> {
    ex.all(
        Sql::new(
            "WITH d AS MATERIALIZED (SELECT d.outcome, \
               (SELECT c.node_code FROM cases c WHERE c.id = d.case_id) AS node \
               FROM disputes d WHERE d.concluded_at >= ? AND d.concluded_at < ?) \
             SELECT substr(node, 1, ?) AS node_code, \
             SUM(CASE WHEN outcome = 'settled' THEN 1 ELSE 0 END) AS settled, \
             SUM(CASE WHEN outcome = 'referred' THEN 1 ELSE 0 END) AS referred \
             FROM d WHERE node >= ? AND node < ? \
             GROUP BY 1 ORDER BY 1",
        )
        .bind(from)
        .bind(to)
        .bind(child_len as i32)
        .bind(root)
        .bind(format!("{root}:")),
    )
    .await
}
