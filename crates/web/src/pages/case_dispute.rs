//! The mediation panel of a dispute case's page: parties, mediators, sittings, outcome and
//! follow-ups, with forms a grid worker can fill in on a phone.

use super::back;
use super::{PageError, beijing};
use crate::WebState;
use crate::auth::{Actor, CsrfForm, PageUser};
use crate::pages::Path;
use axum::Router;
use axum::extract::State;
use axum::response::Redirect;
use axum::routing::post;
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::cases::CaseRow;
use shanzhi_app::cases::{self as svc, party_of};
use shanzhi_app::disputes::{self as disputes, FactsInput, MediatorInput, PartyInput};
use shanzhi_domain::case::{
    DisputeFacts, MediatorKind, Outcome, OutcomeKind, PartySide, Referral, may_follow_up,
    may_mediate,
};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/cases/{id}/dispute", post(set_facts))
        .route("/cases/{id}/dispute/session", post(add_session))
        .route("/cases/{id}/dispute/outcome", post(conclude))
        .route("/cases/{id}/dispute/follow-up", post(follow_up))
}

/// What the panel shows (only for dispute cases).
pub struct DisputePanel {
    /// 纠纷类型 and amount, once recorded.
    pub summary: Option<String>,
    /// Parties: name, side, note.
    pub parties: Vec<(String, &'static str, String)>,
    /// Mediators: kind, name.
    pub mediators: Vec<(&'static str, String)>,
    /// Sittings: when, where, what.
    pub sessions: Vec<(String, String, String)>,
    /// The outcome in words.
    pub outcome: Option<String>,
    /// Follow-ups: when, stable, what.
    pub followups: Vec<(String, bool, String)>,
    /// May record the facts (once; corrections go through the API).
    pub can_set_facts: bool,
    /// May record a sitting.
    pub can_record_session: bool,
    /// May record the outcome.
    pub can_conclude: bool,
    /// May record a follow-up.
    pub can_follow_up: bool,
    /// Mediator kinds for the form.
    pub kinds: Vec<(&'static str, &'static str)>,
}

/// The panel for a dispute case (None for other cases).
pub async fn panel(
    state: &WebState,
    actor: &Actor,
    case: &CaseRow,
    is_dispute: bool,
) -> Result<Option<DisputePanel>, AppError> {
    if !is_dispute {
        return Ok(None);
    }
    let d = disputes::detail(state, actor, case.id).await?;
    let facts = DisputeFacts {
        dispute: true,
        stage: case.stage,
        decided: d.dispute.as_ref().is_some_and(|x| x.outcome.is_some()),
    };
    let party = party_of(actor, case).ok();
    let can_mediate = party.is_some_and(|p| may_mediate(facts, p).is_ok());
    let outcome = d.dispute.as_ref().and_then(|x| match x.outcome? {
        OutcomeKind::Settled => Some(format!(
            "调解成功：{}",
            x.agreement.clone().unwrap_or_default()
        )),
        OutcomeKind::Referred => Some(format!(
            "调解不成，引导至{}：{}",
            x.referral.map_or("", Referral::label),
            x.outcome_note.clone().unwrap_or_default()
        )),
    });
    Ok(Some(DisputePanel {
        summary: d.dispute.as_ref().map(|x| match x.amount_cents {
            Some(c) => format!("{}，涉及金额 {}.{:02} 元", x.dispute_type, c / 100, c % 100),
            None => x.dispute_type.clone(),
        }),
        parties: d
            .parties
            .into_iter()
            .map(|p| (p.name, p.side.label(), p.note))
            .collect(),
        mediators: d
            .mediators
            .into_iter()
            .map(|m| (m.kind.label(), m.name))
            .collect(),
        can_conclude: can_mediate && !facts.decided && !d.sessions.is_empty(),
        sessions: d
            .sessions
            .into_iter()
            .map(|s| (beijing(s.held_at), s.place, s.notes))
            .collect(),
        outcome,
        followups: d
            .followups
            .into_iter()
            .map(|f| (beijing(f.at), f.stable, f.note))
            .collect(),
        can_set_facts: can_mediate && d.dispute.is_none(),
        can_record_session: can_mediate && d.dispute.is_some() && !facts.decided,
        can_follow_up: party.is_some_and(|p| may_follow_up(facts, p).is_ok()),
        kinds: MediatorKind::ALL
            .into_iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
    }))
}

/// Names separated by commas (either width) or 、.
fn names(s: &str) -> impl Iterator<Item = &str> {
    s.split([',', '，', '、'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
}

/// Form fields arrive as text (see the CSRF wrapper).
#[derive(Deserialize)]
struct FactsForm {
    #[serde(default)]
    dispute_type: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    applicants: String,
    #[serde(default)]
    respondents: String,
    #[serde(default)]
    kind1: String,
    #[serde(default)]
    name1: String,
    #[serde(default)]
    kind2: String,
    #[serde(default)]
    name2: String,
}

async fn set_facts(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<FactsForm>,
) -> Result<Redirect, PageError> {
    let case = svc::visible(&state, &p.actor, id).await?;
    let result = async {
        let amount_yuan =
            match f.amount.trim() {
                "" => None,
                a => Some(a.parse::<f64>().map_err(|_| {
                    AppError::bad("invalid_amount", "涉及金额请填写数字（单位：元）")
                })?),
            };
        let party = |side: PartySide| {
            move |n: &str| PartyInput {
                name: n.to_owned(),
                side: side.as_str().to_owned(),
                note: String::new(),
            }
        };
        let parties = names(&f.applicants)
            .map(party(PartySide::Applicant))
            .chain(names(&f.respondents).map(party(PartySide::Respondent)))
            .collect();
        let mediators = [(&f.kind1, &f.name1), (&f.kind2, &f.name2)]
            .into_iter()
            .filter(|(_, n)| !n.trim().is_empty())
            .map(|(k, n)| MediatorInput {
                kind: k.clone(),
                name: n.clone(),
            })
            .collect();
        let input = FactsInput {
            dispute_type: f.dispute_type,
            amount_yuan,
            parties,
            mediators,
        };
        disputes::set_facts(&state, &p.actor, &p.account, &case, input).await?;
        Ok("已登记纠纷信息".to_owned())
    }
    .await;
    Ok(back(id, result))
}

#[derive(Deserialize)]
struct SessionForm {
    #[serde(default)]
    place: String,
    #[serde(default)]
    notes: String,
}

async fn add_session(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<SessionForm>,
) -> Result<Redirect, PageError> {
    let case = svc::visible(&state, &p.actor, id).await?;
    let now = state.now_ms();
    let result =
        disputes::add_session(&state, &p.actor, &p.account, &case, now, &f.place, &f.notes)
            .await
            .map(|_| "已记录本次调解".to_owned());
    Ok(back(id, result))
}

#[derive(Deserialize)]
struct OutcomeForm {
    result: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    referral: String,
}

async fn conclude(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<OutcomeForm>,
) -> Result<Redirect, PageError> {
    let case = svc::visible(&state, &p.actor, id).await?;
    let outcome = if f.result == OutcomeKind::Settled.as_str() {
        Outcome::Settled { agreement: f.text }
    } else {
        let to = f.referral.parse().unwrap_or(Referral::JusticeOffice);
        Outcome::Referred { to, reason: f.text }
    };
    let result = disputes::conclude(&state, &p.actor, &p.account, &case, outcome)
        .await
        .map(|_| "已登记调解结果".to_owned());
    Ok(back(id, result))
}

#[derive(Deserialize)]
struct FollowUpForm {
    #[serde(default)]
    note: String,
    #[serde(default)]
    stable: String,
}

async fn follow_up(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<FollowUpForm>,
) -> Result<Redirect, PageError> {
    let case = svc::visible(&state, &p.actor, id).await?;
    let stable = f.stable == "1";
    let result = disputes::follow_up(&state, &p.actor, &p.account, &case, &f.note, stable)
        .await
        .map(|_| "已记录稳控回访".to_owned());
    Ok(back(id, result))
}
