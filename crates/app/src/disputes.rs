//! Dispute mediation on dispute cases: facts (type, amount, parties, mediators), sittings,
//! the outcome, follow-ups (稳控), and the success rate by area and period.

use crate::case_scope::party_of;
use crate::fields::text;
use crate::policy::{Ask, Resource, Verb};
use crate::regions;
use crate::{App, AppError};
use shanzhi_domain::auth::Actor;
use shanzhi_domain::auth::actor_label;
use shanzhi_domain::case::{
    DisputeFacts, MediationError, MediatorKind, Outcome, OutcomeKind, PartySide, may_conclude,
    may_follow_up, may_mediate, success_rate,
};
use shanzhi_store::Tx;
use shanzhi_store::accounts::AccountRow;
use shanzhi_store::cases::{self, CaseRow, NewEvent};
use shanzhi_store::disputes::{self as store, Conclusion};
pub use shanzhi_store::disputes::{DisputeRow, FollowupRow, MediatorRow, PartyRow, SessionRow};

/// Everything recorded about a dispute.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DisputeDetail {
    /// Facts and outcome (none until first recorded).
    pub dispute: Option<DisputeRow>,
    /// 当事人.
    pub parties: Vec<PartyRow>,
    /// 调解人员.
    pub mediators: Vec<MediatorRow>,
    /// 调解记录.
    pub sessions: Vec<SessionRow>,
    /// 稳控回访.
    pub followups: Vec<FollowupRow>,
}

/// The facts a mediator records.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct FactsInput {
    /// 纠纷类型; the category's name when empty.
    #[serde(default)]
    pub dispute_type: String,
    /// 涉及金额 in yuan, if money is involved.
    pub amount_yuan: Option<f64>,
    /// At least one party.
    pub parties: Vec<PartyInput>,
    /// Mediators.
    #[serde(default)]
    pub mediators: Vec<MediatorInput>,
}

/// A party as given.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct PartyInput {
    /// Name.
    pub name: String,
    /// `applicant` (申请方), `respondent` (被申请方) or `other`.
    pub side: String,
    /// Anything to know (relation, unit, building).
    #[serde(default)]
    pub note: String,
}

/// A mediator as given.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct MediatorInput {
    /// grid_worker, peoples_mediator, community_police, legal_adviser, volunteer.
    pub kind: String,
    /// Name.
    pub name: String,
}

fn mediation_error(e: MediationError) -> AppError {
    match e {
        MediationError::NotAllowed => AppError::Forbidden(e.to_string()),
        MediationError::Missing(_) => AppError::bad("reason_required", e.to_string()),
        MediationError::NotADispute => AppError::bad("not_a_dispute", e.to_string()),
        MediationError::NotHandling
        | MediationError::AlreadyDecided
        | MediationError::NoOutcomeYet => AppError::Conflict(e.to_string()),
    }
}

async fn facts(tx: &mut Tx, case: &CaseRow) -> Result<(DisputeFacts, String), AppError> {
    let category = cases::category(tx, &case.category_code).await?;
    let decided = store::get(tx, case.id)
        .await?
        .is_some_and(|d| d.outcome.is_some());
    Ok((
        DisputeFacts {
            dispute: category.as_ref().is_some_and(|c| c.dispute),
            stage: case.stage,
            decided,
        },
        category.map(|c| c.name).unwrap_or_default(),
    ))
}

/// What is recorded about the case's dispute.
pub async fn detail(state: &App, actor: &Actor, case_id: i64) -> Result<DisputeDetail, AppError> {
    crate::case_scope::visible(state, actor, case_id).await?;
    let mut conn = state.store().conn().await?;
    Ok(DisputeDetail {
        dispute: store::get(&mut conn, case_id).await?,
        parties: store::parties(&mut conn, case_id).await?,
        mediators: store::mediators(&mut conn, case_id).await?,
        sessions: store::sessions(&mut conn, case_id).await?,
        followups: store::followups(&mut conn, case_id).await?,
    })
}

async fn log(
    tx: &mut Tx,
    actor: &Actor,
    account: &AccountRow,
    case: &CaseRow,
    action: &str,
    note: &str,
    now: i64,
) -> Result<(), AppError> {
    let label = actor_label(&account.display_name, actor.role);
    let event = NewEvent {
        actor_id: Some(account.id),
        actor_label: &label,
        action,
        from_stage: Some(case.stage),
        to_stage: case.stage,
        note,
        public: false,
    };
    Ok(cases::append_event(tx, case.id, event, now).await?)
}

/// Records (or corrects) the dispute's type, amount, parties and mediators.
pub async fn set_facts(
    state: &App,
    actor: &Actor,
    account: &AccountRow,
    case: &CaseRow,
    input: FactsInput,
) -> Result<DisputeDetail, AppError> {
    let party = party_of(actor, case)?;
    let amount_cents = match input.amount_yuan {
        None => None,
        Some(y) if y.is_finite() && (0.0..=1e10).contains(&y) => Some((y * 100.0).round() as i64),
        Some(_) => {
            return Err(AppError::bad(
                "invalid_amount",
                "涉及金额须为不小于 0 的数字（单位：元）",
            ));
        }
    };
    if input.parties.is_empty() || input.parties.len() > 50 {
        return Err(AppError::bad(
            "parties_required",
            "请登记纠纷当事人（1 到 50 人）",
        ));
    }
    let mut parties = Vec::with_capacity(input.parties.len());
    for (i, p) in input.parties.iter().enumerate() {
        let side = p.side.trim().parse::<PartySide>().map_err(|_| {
            AppError::bad(
                "invalid_side",
                format!(
                    "第 {} 位当事人的身份须为 applicant（申请方）、respondent（被申请方）或 other",
                    i + 1
                ),
            )
        })?;
        parties.push(PartyRow {
            name: text(&p.name, &format!("第 {} 位当事人的姓名", i + 1), 50)?.to_owned(),
            side,
            note: p.note.trim().chars().take(200).collect(),
        });
    }
    let mut mediators = Vec::with_capacity(input.mediators.len());
    for (i, m) in input.mediators.iter().enumerate() {
        let kind = m.kind.trim().parse::<MediatorKind>().map_err(|_| {
            AppError::bad(
                "invalid_mediator",
                format!("第 {} 位调解人员的类别 {} 无效", i + 1, m.kind),
            )
        })?;
        let name = text(&m.name, &format!("第 {} 位调解人员的姓名", i + 1), 50)?;
        mediators.push(MediatorRow {
            kind,
            name: name.to_owned(),
        });
    }
    let mut tx = state.store().begin().await?;
    let (f, category_name) = facts(&mut tx, case).await?;
    may_mediate(f, party).map_err(mediation_error)?;
    let dispute_type = match input.dispute_type.trim() {
        "" => category_name,
        t => text(t, "纠纷类型", 40)?.to_owned(),
    };
    store::set_facts(
        &mut tx,
        case.id,
        &dispute_type,
        amount_cents,
        &parties,
        &mediators,
        state.now_ms(),
    )
    .await?;
    let names: Vec<&str> = parties.iter().map(|p| p.name.as_str()).collect();
    let note = format!("登记纠纷信息：{dispute_type}，当事人 {}", names.join("、"));
    log(
        &mut tx,
        actor,
        account,
        case,
        "dispute",
        &note,
        state.now_ms(),
    )
    .await?;
    tx.commit().await?;
    detail(state, actor, case.id).await
}

/// Records a mediation sitting: when (not in the future, not before the report), where, what.
pub async fn add_session(
    state: &App,
    actor: &Actor,
    account: &AccountRow,
    case: &CaseRow,
    held_at: i64,
    place: &str,
    notes: &str,
) -> Result<DisputeDetail, AppError> {
    let party = party_of(actor, case)?;
    let (place, notes) = (
        text(place, "调解地点", 100)?,
        text(notes, "调解情况", 4000)?,
    );
    let now = state.now_ms();
    if held_at > now + 10 * 60_000 || held_at < case.created_at - 60_000 {
        return Err(AppError::bad(
            "invalid_time",
            "调解时间须在事件上报之后、当前时间之前",
        ));
    }
    let mut tx = state.store().begin().await?;
    let (f, _) = facts(&mut tx, case).await?;
    may_mediate(f, party).map_err(mediation_error)?;
    if store::get(&mut tx, case.id).await?.is_none() {
        return Err(AppError::Conflict("请先登记纠纷当事人和调解人员".into()));
    }
    store::add_session(
        &mut tx,
        case.id,
        held_at,
        place,
        notes,
        Some(account.id),
        now,
    )
    .await?;
    log(
        &mut tx,
        actor,
        account,
        case,
        "mediation",
        &format!("调解（{place}）：{notes}"),
        now,
    )
    .await?;
    tx.commit().await?;
    detail(state, actor, case.id).await
}

/// Records how the mediation ended.
pub async fn conclude(
    state: &App,
    actor: &Actor,
    account: &AccountRow,
    case: &CaseRow,
    outcome: Outcome,
) -> Result<DisputeDetail, AppError> {
    let party = party_of(actor, case)?;
    let mut tx = state.store().begin().await?;
    let (f, _) = facts(&mut tx, case).await?;
    may_conclude(f, party, &outcome).map_err(mediation_error)?;
    if store::sessions(&mut tx, case.id).await?.is_empty() {
        return Err(AppError::Conflict("请先记录至少一次调解".into()));
    }
    let (conclusion, note) = match &outcome {
        Outcome::Settled { agreement } => (
            Conclusion {
                outcome: OutcomeKind::Settled,
                agreement: Some(agreement.trim()),
                referral: None,
                note: None,
            },
            format!("调解成功：{}", agreement.trim()),
        ),
        Outcome::Referred { to, reason } => (
            Conclusion {
                outcome: OutcomeKind::Referred,
                agreement: None,
                referral: Some(*to),
                note: Some(reason.trim()),
            },
            format!("调解不成，引导至{}：{}", to.label(), reason.trim()),
        ),
    };
    if !store::conclude(
        &mut tx,
        case.id,
        &conclusion,
        Some(account.id),
        state.now_ms(),
    )
    .await?
    {
        return Err(AppError::Conflict("调解结果已登记".into()));
    }
    log(
        &mut tx,
        actor,
        account,
        case,
        "mediation_outcome",
        &note,
        state.now_ms(),
    )
    .await?;
    tx.commit().await?;
    detail(state, actor, case.id).await
}

/// Records a follow-up visit (稳控) after the outcome.
pub async fn follow_up(
    state: &App,
    actor: &Actor,
    account: &AccountRow,
    case: &CaseRow,
    note: &str,
    stable: bool,
) -> Result<DisputeDetail, AppError> {
    let party = party_of(actor, case)?;
    let note = text(note, "回访情况", 2000)?;
    let mut tx = state.store().begin().await?;
    let (f, _) = facts(&mut tx, case).await?;
    may_follow_up(f, party).map_err(mediation_error)?;
    store::add_followup(
        &mut tx,
        case.id,
        state.now_ms(),
        note,
        stable,
        Some(account.id),
    )
    .await?;
    let summary = format!(
        "稳控回访（{}）：{note}",
        if stable { "稳定" } else { "有反复" }
    );
    log(
        &mut tx,
        actor,
        account,
        case,
        "dispute_follow_up",
        &summary,
        state.now_ms(),
    )
    .await?;
    tx.commit().await?;
    detail(state, actor, case.id).await
}

/// Mediation results in one area.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AreaRate {
    /// The area (a child of the node asked about).
    pub node_code: String,
    /// Its name.
    pub name: String,
    /// 调解成功.
    pub settled: i64,
    /// 调解不成.
    pub referred: i64,
    /// 调解成功率, per cent (none when nothing concluded).
    pub success_rate: Option<f64>,
}

/// The success rate under a node for mediations concluded in `[from, to)`, per child area
/// and in total (the total comes first, under the node's own code).
pub async fn success_by_area(
    state: &App,
    actor: &Actor,
    node: &str,
    from: i64,
    to: i64,
) -> Result<Vec<AreaRate>, AppError> {
    actor.may(Resource::Figures, Verb::Read)?;
    let root = regions::visible(state, actor, node).await?;
    let child_len = root
        .level()
        .child()
        .map_or(root.code.len(), |l| l.code_len());
    let mut conn = state.store().conn().await?;
    let rows = store::outcomes_by_area(&mut conn, &root.code, child_len, from, to).await?;
    let (settled, referred) = rows
        .iter()
        .fold((0, 0), |(s, r), a| (s + a.settled, r + a.referred));
    let mut out = vec![AreaRate {
        node_code: root.code.clone(),
        name: root.name.clone(),
        settled,
        referred,
        success_rate: success_rate(settled as u64, referred as u64),
    }];
    for a in rows {
        let name = shanzhi_store::regions::get(&mut conn, &a.node_code)
            .await?
            .map(|n| n.name)
            .unwrap_or_default();
        out.push(AreaRate {
            success_rate: success_rate(a.settled as u64, a.referred as u64),
            node_code: a.node_code,
            name,
            settled: a.settled,
            referred: a.referred,
        });
    }
    Ok(out)
}
