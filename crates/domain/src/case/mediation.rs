//! Dispute mediation (矛盾纠纷排查化解): who mediates, how a mediation ends, and the success
//! rate. A dispute case carries its parties and mediators; sessions are recorded while it is
//! being handled; it ends either in an agreement (调解成功) or in a referral (调解不成 → 司法所,
//! court or arbitration), and is then followed up (稳控) until it is stable.

use super::workflow::{Party, Relation, Stage};
use crate::auth::Role;
use serde::{Deserialize, Serialize};

/// Who sits at the table as a mediator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediatorKind {
    /// 网格员.
    GridWorker,
    /// 人民调解员.
    PeoplesMediator,
    /// 社区民警.
    CommunityPolice,
    /// 法律顾问.
    LegalAdviser,
    /// 志愿者 (乡贤、老党员 …).
    Volunteer,
}

impl MediatorKind {
    /// All kinds, for forms.
    pub const ALL: [MediatorKind; 5] = [
        MediatorKind::GridWorker,
        MediatorKind::PeoplesMediator,
        MediatorKind::CommunityPolice,
        MediatorKind::LegalAdviser,
        MediatorKind::Volunteer,
    ];

    /// The stored form (also the API's).
    pub fn as_str(self) -> &'static str {
        match self {
            MediatorKind::GridWorker => "grid_worker",
            MediatorKind::PeoplesMediator => "peoples_mediator",
            MediatorKind::CommunityPolice => "community_police",
            MediatorKind::LegalAdviser => "legal_adviser",
            MediatorKind::Volunteer => "volunteer",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            MediatorKind::GridWorker => "网格员",
            MediatorKind::PeoplesMediator => "人民调解员",
            MediatorKind::CommunityPolice => "社区民警",
            MediatorKind::LegalAdviser => "法律顾问",
            MediatorKind::Volunteer => "志愿者",
        }
    }
}

/// Where a dispute goes when mediation fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Referral {
    /// 司法所.
    JusticeOffice,
    /// 人民法院 (诉讼).
    Court,
    /// 仲裁 (劳动人事争议仲裁等).
    Arbitration,
}

impl Referral {
    /// Every referral, for forms.
    pub const ALL: [Referral; 3] = [
        Referral::JusticeOffice,
        Referral::Court,
        Referral::Arbitration,
    ];

    /// The stored form (also the API's).
    pub fn as_str(self) -> &'static str {
        match self {
            Referral::JusticeOffice => "justice_office",
            Referral::Court => "court",
            Referral::Arbitration => "arbitration",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Referral::JusticeOffice => "司法所",
            Referral::Court => "人民法院",
            Referral::Arbitration => "仲裁机构",
        }
    }
}

/// Which side of a dispute a party is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartySide {
    /// 申请方.
    Applicant,
    /// 被申请方.
    Respondent,
    /// 其他 (a witness, a third party).
    Other,
}

impl PartySide {
    /// Every side, for forms.
    pub const ALL: [PartySide; 3] = [
        PartySide::Applicant,
        PartySide::Respondent,
        PartySide::Other,
    ];

    /// The stored form (also the API's).
    pub fn as_str(self) -> &'static str {
        match self {
            PartySide::Applicant => "applicant",
            PartySide::Respondent => "respondent",
            PartySide::Other => "other",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            PartySide::Applicant => "申请方",
            PartySide::Respondent => "被申请方",
            PartySide::Other => "其他",
        }
    }
}

/// How a mediation ended, as stored: settled or referred on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// 调解成功.
    Settled,
    /// 调解不成, referred on.
    Referred,
}

impl OutcomeKind {
    /// Both.
    pub const ALL: [OutcomeKind; 2] = [OutcomeKind::Settled, OutcomeKind::Referred];

    /// The stored form (also the API's).
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Settled => "settled",
            OutcomeKind::Referred => "referred",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            OutcomeKind::Settled => "调解成功",
            OutcomeKind::Referred => "调解不成",
        }
    }
}

/// How a mediation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 调解成功, with the agreement reached.
    Settled {
        /// The agreement text (调解协议).
        agreement: String,
    },
    /// 调解不成, referred on.
    Referred {
        /// Where to.
        to: Referral,
        /// Why it failed.
        reason: String,
    },
}

/// Why a mediation step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediationError {
    /// Not a dispute.
    #[error("该事件不是矛盾纠纷类，无需调解记录")]
    NotADispute,
    /// Mediation happens while the case is being handled.
    #[error("只有受理后、办结前的纠纷可以记录调解")]
    NotHandling,
    /// The outcome is recorded once.
    #[error("调解结果已登记，不能重复登记")]
    AlreadyDecided,
    /// Follow-up comes after the outcome.
    #[error("登记调解结果后才能记录稳控回访")]
    NoOutcomeYet,
    /// The party has no standing.
    #[error("只有承办人或上级可以记录调解")]
    NotAllowed,
    /// Text missing.
    #[error("{0}不能为空")]
    Missing(&'static str),
}

/// What the mediation rules need to know about the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisputeFacts {
    /// Its category is a dispute.
    pub dispute: bool,
    /// Its stage.
    pub stage: Stage,
    /// Whether an outcome is recorded.
    pub decided: bool,
}

fn may_record(p: Party) -> bool {
    matches!(p, Party::Staff { role, relation } if role != Role::Volunteer
        && matches!(relation, Relation::Assignee | Relation::Dispatcher | Relation::Above))
}

fn check(case: DisputeFacts, party: Party) -> Result<(), MediationError> {
    if !case.dispute {
        return Err(MediationError::NotADispute);
    }
    if !may_record(party) {
        return Err(MediationError::NotAllowed);
    }
    Ok(())
}

/// Whether the party may set the dispute's facts or record a session.
pub fn may_mediate(case: DisputeFacts, party: Party) -> Result<(), MediationError> {
    check(case, party)?;
    if !matches!(
        case.stage,
        Stage::Accepted | Stage::Dispatched | Stage::InProgress
    ) {
        return Err(MediationError::NotHandling);
    }
    Ok(())
}

/// Whether the outcome may be recorded.
pub fn may_conclude(
    case: DisputeFacts,
    party: Party,
    outcome: &Outcome,
) -> Result<(), MediationError> {
    may_mediate(case, party)?;
    if case.decided {
        return Err(MediationError::AlreadyDecided);
    }
    match outcome {
        Outcome::Settled { agreement } if agreement.trim().is_empty() => {
            Err(MediationError::Missing("调解协议内容"))
        }
        Outcome::Referred { reason, .. } if reason.trim().is_empty() => {
            Err(MediationError::Missing("调解不成的原因"))
        }
        _ => Ok(()),
    }
}

/// Whether a follow-up (稳控回访) may be recorded: after the outcome, in any later stage.
pub fn may_follow_up(case: DisputeFacts, party: Party) -> Result<(), MediationError> {
    check(case, party)?;
    if !case.decided {
        return Err(MediationError::NoOutcomeYet);
    }
    Ok(())
}

/// Mediation success rate (调解成功率) in per cent, one decimal: settled over concluded. None
/// when nothing was concluded.
pub fn success_rate(settled: u64, referred: u64) -> Option<f64> {
    let total = settled + referred;
    (total > 0).then(|| (settled as f64 * 1000.0 / total as f64).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HANDLER: Party = Party::Staff {
        role: Role::GridWorker,
        relation: Relation::Assignee,
    };
    const OPEN: DisputeFacts = DisputeFacts {
        dispute: true,
        stage: Stage::InProgress,
        decided: false,
    };

    fn settled(text: &str) -> Outcome {
        Outcome::Settled {
            agreement: text.into(),
        }
    }

    #[test]
    fn only_disputes_being_handled_are_mediated() {
        assert_eq!(may_mediate(OPEN, HANDLER), Ok(()));
        let not = DisputeFacts {
            dispute: false,
            ..OPEN
        };
        assert_eq!(may_mediate(not, HANDLER), Err(MediationError::NotADispute));
        for stage in Stage::ALL {
            let ok = matches!(
                stage,
                Stage::Accepted | Stage::Dispatched | Stage::InProgress
            );
            assert_eq!(
                may_mediate(DisputeFacts { stage, ..OPEN }, HANDLER).is_ok(),
                ok,
                "{stage:?}"
            );
        }
        let volunteer = Party::Staff {
            role: Role::Volunteer,
            relation: Relation::Assignee,
        };
        assert_eq!(
            may_mediate(OPEN, volunteer),
            Err(MediationError::NotAllowed)
        );
        assert_eq!(
            may_mediate(OPEN, Party::Reporter),
            Err(MediationError::NotAllowed)
        );
    }

    #[test]
    fn an_outcome_is_recorded_once_and_says_what_was_agreed_or_why_not() {
        assert_eq!(
            may_conclude(OPEN, HANDLER, &settled("赔偿维修费 800 元")),
            Ok(())
        );
        assert_eq!(
            may_conclude(OPEN, HANDLER, &settled(" ")),
            Err(MediationError::Missing("调解协议内容"))
        );
        let referred = Outcome::Referred {
            to: Referral::Court,
            reason: String::new(),
        };
        assert_eq!(
            may_conclude(OPEN, HANDLER, &referred),
            Err(MediationError::Missing("调解不成的原因"))
        );
        let done = DisputeFacts {
            decided: true,
            ..OPEN
        };
        assert_eq!(
            may_conclude(done, HANDLER, &settled("x")),
            Err(MediationError::AlreadyDecided)
        );
    }

    #[test]
    fn follow_up_comes_after_the_outcome_even_when_closed() {
        assert_eq!(
            may_follow_up(OPEN, HANDLER),
            Err(MediationError::NoOutcomeYet)
        );
        let closed = DisputeFacts {
            stage: Stage::Closed,
            decided: true,
            ..OPEN
        };
        assert_eq!(may_follow_up(closed, HANDLER), Ok(()));
    }

    #[test]
    fn success_rate_is_settled_over_concluded() {
        assert_eq!(success_rate(0, 0), None);
        assert_eq!(success_rate(2, 1), Some(66.7));
        assert_eq!(success_rate(5, 0), Some(100.0));
    }
}
