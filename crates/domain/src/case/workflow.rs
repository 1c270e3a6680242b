//! The workflow: 上报 → 受理 (或 不予受理 / 合并重复) → 分流交办 → 处置 → 办结 → 核查 → 结案 →
//! 评价 → 回访, with escalation (上报上级), return (退回) and one reopening on 不满意.

use crate::auth::Role;
use serde::{Deserialize, Serialize};

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 上报: reported, waiting to be accepted.
    Reported,
    /// 受理: accepted, waiting to be dispatched (分流).
    Accepted,
    /// 不予受理 (final).
    Rejected,
    /// 合并重复: merged into another case (final).
    Merged,
    /// 分流交办: dispatched, waiting for the assignee to start.
    Dispatched,
    /// 处置: being handled.
    InProgress,
    /// 办结: handled, waiting for on-site verification.
    Handled,
    /// 核查通过: verified, waiting to be closed.
    Verified,
    /// 结案: closed, waiting for the reporter's rating.
    Closed,
    /// 评价: rated.
    Rated,
    /// 回访: followed up (final).
    FollowedUp,
}

impl Stage {
    /// All stages, in loop order.
    pub const ALL: [Stage; 11] = [
        Stage::Reported,
        Stage::Accepted,
        Stage::Rejected,
        Stage::Merged,
        Stage::Dispatched,
        Stage::InProgress,
        Stage::Handled,
        Stage::Verified,
        Stage::Closed,
        Stage::Rated,
        Stage::FollowedUp,
    ];

    /// The stored form (also the API's).
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Reported => "reported",
            Stage::Accepted => "accepted",
            Stage::Rejected => "rejected",
            Stage::Merged => "merged",
            Stage::Dispatched => "dispatched",
            Stage::InProgress => "in_progress",
            Stage::Handled => "handled",
            Stage::Verified => "verified",
            Stage::Closed => "closed",
            Stage::Rated => "rated",
            Stage::FollowedUp => "followed_up",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Reported => "上报",
            Stage::Accepted => "受理",
            Stage::Rejected => "不予受理",
            Stage::Merged => "合并重复",
            Stage::Dispatched => "分流交办",
            Stage::InProgress => "处置",
            Stage::Handled => "办结",
            Stage::Verified => "核查通过",
            Stage::Closed => "结案",
            Stage::Rated => "已评价",
            Stage::FollowedUp => "已回访",
        }
    }

    /// What the stage means to the resident who reported (大白话: no 交办, 核查 or 结案).
    pub fn plain(self) -> &'static str {
        match self {
            Stage::Reported => "已收到",
            Stage::Accepted => "已受理，正在安排",
            Stage::Rejected => "不予受理",
            Stage::Merged => "已与同一问题合并办理",
            Stage::Dispatched => "已交给负责的单位",
            Stage::InProgress => "正在处理",
            Stage::Handled => "已办好，正在核实",
            Stage::Verified => "已办好",
            Stage::Closed => "已办好，请您评价",
            Stage::Rated => "已评价，谢谢您",
            Stage::FollowedUp => "已回访",
        }
    }

    /// Whether nothing more can happen to the case.
    pub fn is_final(self) -> bool {
        matches!(self, Stage::Rejected | Stage::Merged | Stage::FollowedUp)
    }
}

/// Who holds a case: a level of the region tree, or a department (职能部门).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// 网格.
    Grid,
    /// 村/社区.
    Community,
    /// 镇/街道.
    Street,
    /// 区/县 (the command centre).
    District,
    /// A department.
    Department,
}

impl Tier {
    /// Every tier, lowest first.
    pub const ALL: [Tier; 5] = [
        Tier::Grid,
        Tier::Community,
        Tier::Street,
        Tier::District,
        Tier::Department,
    ];

    /// The stored form (also the API's).
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Grid => "grid",
            Tier::Community => "community",
            Tier::Street => "street",
            Tier::District => "district",
            Tier::Department => "department",
        }
    }

    /// The tier a case escalates to (小事不出网格、大事不出社区：one step at a time).
    pub fn above(self) -> Option<Tier> {
        match self {
            Tier::Grid => Some(Tier::Community),
            Tier::Community => Some(Tier::Street),
            Tier::Street => Some(Tier::District),
            // A department hands the case back to the command centre that dispatched it.
            Tier::Department => Some(Tier::District),
            Tier::District => None,
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Tier::Grid => "网格",
            Tier::Community => "社区",
            Tier::Street => "街道",
            Tier::District => "区",
            Tier::Department => "职能部门",
        }
    }
}

/// The reporter's verdict (评价).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    /// 满意.
    Satisfied,
    /// 基本满意.
    BasicallySatisfied,
    /// 不满意: reopens the case once; the second time it goes to the command centre.
    Dissatisfied,
}

impl Satisfaction {
    /// Every verdict.
    pub const ALL: [Satisfaction; 3] = [
        Satisfaction::Satisfied,
        Satisfaction::BasicallySatisfied,
        Satisfaction::Dissatisfied,
    ];

    /// Whether the verdict counts towards 满意率 (满意 and 基本满意 both do).
    pub fn is_satisfied(self) -> bool {
        matches!(
            self,
            Satisfaction::Satisfied | Satisfaction::BasicallySatisfied
        )
    }

    /// The stored form (also the API's).
    pub fn as_str(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::BasicallySatisfied => "basically_satisfied",
            Satisfaction::Dissatisfied => "dissatisfied",
        }
    }
}

/// What someone asks to do to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// 受理.
    Accept,
    /// 不予受理, with a reason.
    Reject {
        /// Why.
        reason: String,
    },
    /// 合并重复 into another case, with a reason.
    Merge {
        /// Surviving case.
        into: i64,
        /// Why.
        reason: String,
    },
    /// 分流交办 to a tier at or below the dispatcher's, or to a department.
    Dispatch {
        /// Where to.
        to: Tier,
    },
    /// The assignee takes the case up (签收/开始处置).
    Start,
    /// 退回: the assignee says it was wrongly dispatched.
    Return {
        /// Why.
        reason: String,
    },
    /// 上报上级: escalate one tier up.
    Escalate {
        /// Why.
        reason: String,
    },
    /// 就地处置 (小事不出网格): the grid worker who found a matter on the grid duty list deals
    /// with it on the spot, with what was done; it then goes to the community's 核查.
    Resolve {
        /// The result.
        result: String,
    },
    /// 办结, with what was done.
    Handle {
        /// The result.
        result: String,
    },
    /// 核查通过.
    VerifyPass,
    /// 核查不通过: back to 处置, with a reason.
    VerifyFail {
        /// Why.
        reason: String,
    },
    /// 结案.
    Close,
    /// 评价 by the reporter.
    Rate {
        /// The verdict.
        satisfaction: Satisfaction,
    },
    /// 回访.
    FollowUp {
        /// What the reporter said.
        note: String,
    },
    /// 催办: the command centre presses the holder to hurry (the stage stays).
    Urge {
        /// What is asked.
        note: String,
    },
    /// 督办: the command centre puts the case under supervision (the stage stays).
    Supervise {
        /// What is required, by when.
        note: String,
    },
}

impl Action {
    /// The machine name, as stored in the timeline.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Reject { .. } => "reject",
            Action::Merge { .. } => "merge",
            Action::Dispatch { .. } => "dispatch",
            Action::Start => "start",
            Action::Return { .. } => "return",
            Action::Escalate { .. } => "escalate",
            Action::Handle { .. } => "handle",
            Action::Resolve { .. } => "resolve",
            Action::VerifyPass => "verify_pass",
            Action::VerifyFail { .. } => "verify_fail",
            Action::Close => "close",
            Action::Rate { .. } => "rate",
            Action::FollowUp { .. } => "follow_up",
            Action::Urge { .. } => "urge",
            Action::Supervise { .. } => "supervise",
        }
    }

    /// Chinese name.
    pub fn label(&self) -> &'static str {
        match self {
            Action::Accept => "受理",
            Action::Reject { .. } => "不予受理",
            Action::Merge { .. } => "合并重复",
            Action::Dispatch { .. } => "分流交办",
            Action::Start => "开始处置",
            Action::Return { .. } => "退回",
            Action::Escalate { .. } => "上报上级",
            Action::Handle { .. } => "办结",
            Action::Resolve { .. } => "就地处置",
            Action::VerifyPass => "核查通过",
            Action::VerifyFail { .. } => "核查不通过",
            Action::Close => "结案",
            Action::Rate { .. } => "评价",
            Action::FollowUp { .. } => "回访",
            Action::Urge { .. } => "催办",
            Action::Supervise { .. } => "督办",
        }
    }

    fn reason(&self) -> Option<&str> {
        match self {
            Action::Reject { reason }
            | Action::Merge { reason, .. }
            | Action::Return { reason }
            | Action::Escalate { reason }
            | Action::VerifyFail { reason } => Some(reason),
            Action::Handle { result } | Action::Resolve { result } => Some(result),
            Action::FollowUp { note } | Action::Urge { note } | Action::Supervise { note } => {
                Some(note)
            }
            _ => None,
        }
    }

    /// Whether the reporter sees this step on the tracking page.
    pub fn is_public(&self) -> bool {
        !matches!(
            self,
            Action::Return { .. }
                | Action::Escalate { .. }
                | Action::VerifyFail { .. }
                | Action::Start
                | Action::Urge { .. }
                | Action::Supervise { .. }
        )
    }
}

/// How the acting staff member stands to the case (worked out from scope by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// Bound at the node (or is the command centre) that holds the case for dispatching.
    Dispatcher,
    /// Bound where the case was dispatched to (the grid, community or department).
    Assignee,
    /// Sees the case from a level above its holder.
    Above,
    /// Reported it, from the grid it is bound to, and the case still waits to be accepted (a
    /// grid worker's own finding).
    Finder,
}

/// Who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The person who reported (through the tracking code).
    Reporter,
    /// A staff member.
    Staff {
        /// Role.
        role: Role,
        /// Standing to the case.
        relation: Relation,
    },
    /// The deadline scheduler (automatic escalation).
    System,
}

/// The facts about a case the rules need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFacts {
    /// Current stage.
    pub stage: Stage,
    /// Who holds it.
    pub tier: Tier,
    /// How often a 不满意 has reopened it.
    pub reopened: u8,
    /// Whether its category is on the grid duty list (网格职责清单).
    pub grid_duty: bool,
    /// Whether a matter of its category handled on the spot (就地处置) still goes to the
    /// community's 核查 (the category's setting; when not, it waits only to be closed).
    pub onsite_check: bool,
}

/// What a transition does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// The new stage.
    pub to: Stage,
    /// The new holder, when it changes.
    pub tier: Option<Tier>,
    /// Whether this counts as a reopening.
    pub reopens: bool,
}

/// Why a transition is refused; messages say what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// The action does not apply in this stage.
    #[error("当前状态为「{stage}」，不能执行「{action}」")]
    WrongStage {
        /// Stage label.
        stage: &'static str,
        /// Action label.
        action: &'static str,
    },
    /// The party may not take this action.
    #[error("您无权对此事件执行「{0}」")]
    NotAllowed(&'static str),
    /// A reason (or result, note) is required.
    #[error("「{0}」必须填写原因或说明")]
    ReasonRequired(&'static str),
    /// The target tier is not allowed.
    #[error("不能交办到{to}：{why}")]
    BadTarget {
        /// Target label.
        to: &'static str,
        /// Why.
        why: &'static str,
    },
    /// Already at the top.
    #[error("事件已在区级指挥中心，不能再上报")]
    AtTop,
}

const DISPATCHERS: [Role; 3] = [
    Role::CommandCentre,
    Role::CommunityOfficer,
    Role::GridLeader,
];
const HANDLERS: [Role; 5] = [
    Role::GridWorker,
    Role::GridLeader,
    Role::CommunityOfficer,
    Role::DepartmentHandler,
    Role::CommandCentre,
];

fn dispatcher(p: Party) -> bool {
    match p {
        Party::Staff {
            role,
            relation: Relation::Dispatcher | Relation::Above,
        } => DISPATCHERS.contains(&role),
        _ => false,
    }
}

fn assignee(p: Party) -> bool {
    matches!(p, Party::Staff { role, relation: Relation::Assignee } if HANDLERS.contains(&role))
}

/// The tier a case of a category whose default is `tier` starts at, reported at `node_code`: a
/// grid-level matter reported outside any grid starts at the community.
pub fn routed_tier(tier: Tier, node_code: &str) -> Tier {
    if tier == Tier::Grid && node_code.len() < 15 {
        Tier::Community
    } else {
        tier
    }
}

/// 改类: whether the party may put a case under another category, routed to `routed` (see
/// [`routed_tier`]), and the stage it then stands in. Only the level that accepts or dispatches
/// it, before dispatch, with a reason. A case that now belongs to another level goes back to
/// 待受理 there; one that stays at its level keeps its stage.
pub fn recategorise(
    case: CaseFacts,
    party: Party,
    routed: Tier,
    reason: &str,
) -> Result<Change, WorkflowError> {
    const LABEL: &str = "改类";
    if reason.trim().is_empty() {
        return Err(WorkflowError::ReasonRequired(LABEL));
    }
    if !matches!(case.stage, Stage::Reported | Stage::Accepted) {
        return Err(WorkflowError::WrongStage {
            stage: case.stage.label(),
            action: LABEL,
        });
    }
    if !dispatcher(party) {
        return Err(WorkflowError::NotAllowed(LABEL));
    }
    Ok(Change {
        to: if routed == case.tier {
            case.stage
        } else {
            Stage::Reported
        },
        tier: Some(routed),
        reopens: false,
    })
}

/// Whether the party may deal with a reported matter on the spot: the grid worker or leader
/// who found it in their own grid, or the grid leader holding it at the grid.
fn resolver(p: Party, tier: Tier) -> bool {
    match p {
        Party::Staff {
            role: Role::GridWorker | Role::GridLeader,
            relation: Relation::Finder,
        } => true,
        Party::Staff {
            role: Role::GridLeader,
            relation: Relation::Dispatcher,
        } => tier == Tier::Grid,
        _ => false,
    }
}

/// Decides a transition: the new stage and holder, or why not.
pub fn apply(case: CaseFacts, party: Party, action: &Action) -> Result<Change, WorkflowError> {
    use Stage::*;
    let wrong = || WorkflowError::WrongStage {
        stage: case.stage.label(),
        action: action.label(),
    };
    let denied = || WorkflowError::NotAllowed(action.label());
    if action.reason().is_some_and(|r| r.trim().is_empty()) {
        return Err(WorkflowError::ReasonRequired(action.label()));
    }
    let stay = |to| {
        Ok(Change {
            to,
            tier: None,
            reopens: false,
        })
    };
    match action {
        Action::Accept | Action::Reject { .. } | Action::Merge { .. } => {
            if case.stage != Reported {
                return Err(wrong());
            }
            if !dispatcher(party) {
                return Err(denied());
            }
            stay(match action {
                Action::Accept => Accepted,
                Action::Reject { .. } => Rejected,
                _ => Merged,
            })
        }
        Action::Dispatch { to } => {
            if case.stage != Accepted {
                return Err(wrong());
            }
            if !dispatcher(party) {
                return Err(denied());
            }
            if *to != Tier::Department && *to > case.tier {
                return Err(WorkflowError::BadTarget {
                    to: to.label(),
                    why: "只能向本级或下级交办，向上请用「上报上级」",
                });
            }
            if *to == Tier::Grid && !case.grid_duty {
                return Err(WorkflowError::BadTarget {
                    to: to.label(),
                    why: "该事项不在网格职责清单内",
                });
            }
            Ok(Change {
                to: Dispatched,
                tier: Some(*to),
                reopens: false,
            })
        }
        Action::Start => match (case.stage, assignee(party)) {
            (Dispatched, true) => stay(InProgress),
            (Dispatched, false) => Err(denied()),
            _ => Err(wrong()),
        },
        Action::Return { .. } => match (case.stage, assignee(party)) {
            // Back to the level above, which dispatched it, to dispatch again (改派).
            (Dispatched | InProgress, true) => Ok(Change {
                to: Accepted,
                tier: case.tier.above(),
                reopens: false,
            }),
            (Dispatched | InProgress, false) => Err(denied()),
            _ => Err(wrong()),
        },
        Action::Escalate { .. } => {
            if !matches!(case.stage, Reported | Accepted | Dispatched | InProgress) {
                return Err(wrong());
            }
            let allowed = party == Party::System || assignee(party) || dispatcher(party);
            if !allowed {
                return Err(denied());
            }
            let up = case.tier.above().ok_or(WorkflowError::AtTop)?;
            Ok(Change {
                to: Accepted,
                tier: Some(up),
                reopens: false,
            })
        }
        Action::Resolve { .. } => {
            if case.stage != Reported {
                return Err(wrong());
            }
            if !resolver(party, case.tier) {
                return Err(denied());
            }
            if !case.grid_duty {
                return Err(WorkflowError::BadTarget {
                    to: Tier::Grid.label(),
                    why: "该事项不在网格职责清单内，不能就地处置，请等待受理分派",
                });
            }
            Ok(Change {
                to: if case.onsite_check { Handled } else { Verified },
                tier: Some(Tier::Grid),
                reopens: false,
            })
        }
        Action::Handle { .. } => match (case.stage, assignee(party)) {
            (InProgress, true) => stay(Handled),
            (InProgress, false) => Err(denied()),
            _ => Err(wrong()),
        },
        Action::VerifyPass | Action::VerifyFail { .. } => {
            if case.stage != Handled {
                return Err(wrong());
            }
            // Whoever handled it does not verify it.
            if !dispatcher(party) {
                return Err(denied());
            }
            stay(if matches!(action, Action::VerifyPass) {
                Verified
            } else {
                InProgress
            })
        }
        Action::Close => match (case.stage, dispatcher(party)) {
            (Verified, true) => stay(Closed),
            (Verified, false) => Err(denied()),
            _ => Err(wrong()),
        },
        Action::Rate { satisfaction } => {
            if case.stage != Closed {
                return Err(wrong());
            }
            if party != Party::Reporter {
                return Err(denied());
            }
            match satisfaction {
                Satisfaction::Dissatisfied if case.reopened == 0 => Ok(Change {
                    to: InProgress,
                    tier: None,
                    reopens: true,
                }),
                // The second 不满意 goes to the command centre to be dispatched afresh.
                Satisfaction::Dissatisfied => Ok(Change {
                    to: Accepted,
                    tier: Some(Tier::District),
                    reopens: true,
                }),
                _ => stay(Rated),
            }
        }
        Action::FollowUp { .. } => match (case.stage, dispatcher(party)) {
            (Closed | Rated, true) => stay(FollowedUp),
            (Closed | Rated, false) => Err(denied()),
            _ => Err(wrong()),
        },
        Action::Urge { .. } | Action::Supervise { .. } => {
            if !matches!(
                case.stage,
                Reported | Accepted | Dispatched | InProgress | Handled | Verified
            ) {
                return Err(wrong());
            }
            // Only the command centre presses and supervises.
            let command = matches!(
                party,
                Party::Staff {
                    role: Role::CommandCentre,
                    relation: Relation::Dispatcher | Relation::Above
                }
            );
            if !command {
                return Err(denied());
            }
            stay(case.stage)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(stage: Stage) -> CaseFacts {
        CaseFacts {
            stage,
            tier: Tier::Community,
            reopened: 0,
            grid_duty: true,
            onsite_check: true,
        }
    }

    fn staff(role: Role, relation: Relation) -> Party {
        Party::Staff { role, relation }
    }

    const OFFICER: Party = Party::Staff {
        role: Role::CommunityOfficer,
        relation: Relation::Dispatcher,
    };
    const WORKER: Party = Party::Staff {
        role: Role::GridWorker,
        relation: Relation::Assignee,
    };
    const CENTRE: Party = Party::Staff {
        role: Role::CommandCentre,
        relation: Relation::Above,
    };

    fn actions() -> Vec<(Action, Party)> {
        vec![
            (Action::Accept, OFFICER),
            (
                Action::Reject {
                    reason: "不属实".into(),
                },
                OFFICER,
            ),
            (
                Action::Merge {
                    into: 7,
                    reason: "重复".into(),
                },
                OFFICER,
            ),
            (Action::Dispatch { to: Tier::Grid }, OFFICER),
            (Action::Start, WORKER),
            (
                Action::Return {
                    reason: "非本网格".into(),
                },
                WORKER,
            ),
            (
                Action::Escalate {
                    reason: "需街道协调".into(),
                },
                WORKER,
            ),
            (
                Action::Handle {
                    result: "已清理".into(),
                },
                WORKER,
            ),
            (Action::VerifyPass, OFFICER),
            (
                Action::VerifyFail {
                    reason: "未清理干净".into(),
                },
                OFFICER,
            ),
            (Action::Close, OFFICER),
            (
                Action::Rate {
                    satisfaction: Satisfaction::Satisfied,
                },
                Party::Reporter,
            ),
            (
                Action::FollowUp {
                    note: "居民表示满意".into(),
                },
                OFFICER,
            ),
            (
                Action::Urge {
                    note: "请今日内处置".into(),
                },
                CENTRE,
            ),
            (
                Action::Supervise {
                    note: "挂牌督办，三日内办结".into(),
                },
                CENTRE,
            ),
        ]
    }

    /// The whole transition table, stage by action, with a party entitled to act: every cell
    /// not listed must be refused as the wrong stage.
    #[test]
    fn every_stage_and_action() {
        use Stage::*;
        let allowed: &[(Stage, &str, Stage)] = &[
            (Reported, "accept", Accepted),
            (Reported, "reject", Rejected),
            (Reported, "merge", Merged),
            (Reported, "escalate", Accepted),
            (Accepted, "dispatch", Dispatched),
            (Accepted, "escalate", Accepted),
            (Dispatched, "start", InProgress),
            (Dispatched, "return", Accepted),
            (Dispatched, "escalate", Accepted),
            (InProgress, "return", Accepted),
            (InProgress, "escalate", Accepted),
            (InProgress, "handle", Handled),
            (Handled, "verify_pass", Verified),
            (Handled, "verify_fail", InProgress),
            (Verified, "close", Closed),
            (Closed, "rate", Rated),
            (Closed, "follow_up", FollowedUp),
            (Rated, "follow_up", FollowedUp),
            (Reported, "urge", Reported),
            (Accepted, "urge", Accepted),
            (Dispatched, "urge", Dispatched),
            (InProgress, "urge", InProgress),
            (Handled, "urge", Handled),
            (Verified, "urge", Verified),
            (Reported, "supervise", Reported),
            (Accepted, "supervise", Accepted),
            (Dispatched, "supervise", Dispatched),
            (InProgress, "supervise", InProgress),
            (Handled, "supervise", Handled),
            (Verified, "supervise", Verified),
        ];
        let mut cells = 0;
        for stage in Stage::ALL {
            for (action, party) in actions() {
                let got = apply(facts(stage), party, &action);
                let want = allowed
                    .iter()
                    .find(|(s, a, _)| *s == stage && *a == action.name());
                match (want, got) {
                    (Some((_, _, to)), Ok(change)) => {
                        assert_eq!(change.to, *to, "{stage:?} {}", action.name())
                    }
                    (None, Err(WorkflowError::WrongStage { .. })) => {}
                    (w, g) => panic!("{stage:?} × {}: expected {w:?}, got {g:?}", action.name()),
                }
                cells += 1;
            }
        }
        assert_eq!(cells, 11 * 15);
        assert!(
            Stage::ALL
                .iter()
                .filter(|s| s.is_final())
                .all(|s| allowed.iter().all(|(from, _, _)| from != s))
        );
    }

    #[test]
    fn only_the_right_people_act() {
        let other_worker_above = staff(Role::GridWorker, Relation::Above);
        assert_eq!(
            apply(facts(Stage::Reported), WORKER, &Action::Accept),
            Err(WorkflowError::NotAllowed("受理"))
        );
        assert_eq!(
            apply(facts(Stage::Reported), other_worker_above, &Action::Accept),
            Err(WorkflowError::NotAllowed("受理"))
        );
        assert_eq!(
            apply(facts(Stage::Reported), Party::Reporter, &Action::Accept),
            Err(WorkflowError::NotAllowed("受理"))
        );
        assert!(
            apply(
                facts(Stage::Reported),
                staff(Role::CommandCentre, Relation::Above),
                &Action::Accept
            )
            .is_ok()
        );
        assert_eq!(
            apply(
                facts(Stage::Dispatched),
                staff(Role::GridWorker, Relation::Dispatcher),
                &Action::Start
            ),
            Err(WorkflowError::NotAllowed("开始处置"))
        );
        // Whoever handled it may not verify it.
        assert_eq!(
            apply(facts(Stage::Handled), WORKER, &Action::VerifyPass),
            Err(WorkflowError::NotAllowed("核查通过"))
        );
        assert_eq!(
            apply(
                facts(Stage::Closed),
                OFFICER,
                &Action::Rate {
                    satisfaction: Satisfaction::Satisfied
                }
            ),
            Err(WorkflowError::NotAllowed("评价"))
        );
        assert_eq!(
            apply(facts(Stage::Verified), Party::Reporter, &Action::Close),
            Err(WorkflowError::NotAllowed("结案"))
        );
        assert!(
            apply(
                facts(Stage::InProgress),
                Party::System,
                &Action::Escalate {
                    reason: "超期自动上报".into()
                }
            )
            .is_ok()
        );
        assert_eq!(
            apply(
                facts(Stage::InProgress),
                Party::System,
                &Action::Handle { result: "x".into() }
            ),
            Err(WorkflowError::NotAllowed("办结"))
        );
    }

    #[test]
    fn only_the_command_centre_urges_and_supervises() {
        let urge = Action::Urge {
            note: "请尽快".into(),
        };
        assert_eq!(
            apply(facts(Stage::InProgress), OFFICER, &urge),
            Err(WorkflowError::NotAllowed("催办"))
        );
        assert_eq!(
            apply(facts(Stage::InProgress), WORKER, &urge),
            Err(WorkflowError::NotAllowed("催办"))
        );
        assert_eq!(
            apply(facts(Stage::InProgress), CENTRE, &urge).unwrap().to,
            Stage::InProgress
        );
        assert!(!urge.is_public());
    }

    #[test]
    fn reasons_are_required() {
        for action in [
            Action::Reject { reason: " ".into() },
            Action::Merge {
                into: 1,
                reason: String::new(),
            },
            Action::Return {
                reason: String::new(),
            },
            Action::Escalate {
                reason: String::new(),
            },
            Action::VerifyFail {
                reason: String::new(),
            },
            Action::Handle {
                result: String::new(),
            },
            Action::FollowUp {
                note: String::new(),
            },
        ] {
            let err = apply(facts(Stage::Reported), OFFICER, &action).unwrap_err();
            assert_eq!(err, WorkflowError::ReasonRequired(action.label()));
        }
    }

    #[test]
    fn tiers_dispatch_down_escalate_up_and_respect_the_grid_duty_list() {
        let street = CaseFacts {
            stage: Stage::Accepted,
            tier: Tier::Street,
            reopened: 0,
            grid_duty: false,
            onsite_check: true,
        };
        let cc = staff(Role::CommandCentre, Relation::Dispatcher);
        assert!(matches!(
            apply(street, cc, &Action::Dispatch { to: Tier::Grid }),
            Err(WorkflowError::BadTarget { .. })
        ));
        assert_eq!(
            apply(
                street,
                cc,
                &Action::Dispatch {
                    to: Tier::Community
                }
            )
            .unwrap()
            .tier,
            Some(Tier::Community)
        );
        assert_eq!(
            apply(
                street,
                cc,
                &Action::Dispatch {
                    to: Tier::Department
                }
            )
            .unwrap()
            .tier,
            Some(Tier::Department)
        );
        assert!(matches!(
            apply(street, cc, &Action::Dispatch { to: Tier::District }),
            Err(WorkflowError::BadTarget { .. })
        ));
        let at_grid = CaseFacts {
            stage: Stage::InProgress,
            tier: Tier::Grid,
            reopened: 0,
            grid_duty: true,
            onsite_check: true,
        };
        let up = apply(
            at_grid,
            WORKER,
            &Action::Escalate {
                reason: "需社区协调".into(),
            },
        )
        .unwrap();
        assert_eq!((up.to, up.tier), (Stage::Accepted, Some(Tier::Community)));
        let back = apply(
            at_grid,
            WORKER,
            &Action::Return {
                reason: "非本网格事项".into(),
            },
        )
        .unwrap();
        assert_eq!(
            (back.to, back.tier),
            (Stage::Accepted, Some(Tier::Community))
        );
        let top = CaseFacts {
            tier: Tier::District,
            ..at_grid
        };
        assert_eq!(
            apply(
                top,
                Party::System,
                &Action::Escalate {
                    reason: "超期".into()
                }
            ),
            Err(WorkflowError::AtTop)
        );
        let dept = CaseFacts {
            tier: Tier::Department,
            ..at_grid
        };
        let handler = staff(Role::DepartmentHandler, Relation::Assignee);
        assert_eq!(
            apply(
                dept,
                handler,
                &Action::Return {
                    reason: "非本部门职责".into()
                }
            )
            .unwrap()
            .tier,
            Some(Tier::District)
        );
    }

    #[test]
    fn dissatisfaction_reopens_once_then_goes_to_the_command_centre() {
        let rate = Action::Rate {
            satisfaction: Satisfaction::Dissatisfied,
        };
        let closed = CaseFacts {
            stage: Stage::Closed,
            tier: Tier::Grid,
            reopened: 0,
            grid_duty: true,
            onsite_check: true,
        };
        let first = apply(closed, Party::Reporter, &rate).unwrap();
        assert_eq!(
            first,
            Change {
                to: Stage::InProgress,
                tier: None,
                reopens: true
            }
        );
        let second = apply(
            CaseFacts {
                reopened: 1,
                ..closed
            },
            Party::Reporter,
            &rate,
        )
        .unwrap();
        assert_eq!(
            second,
            Change {
                to: Stage::Accepted,
                tier: Some(Tier::District),
                reopens: true
            }
        );
        let ok = apply(
            closed,
            Party::Reporter,
            &Action::Rate {
                satisfaction: Satisfaction::BasicallySatisfied,
            },
        )
        .unwrap();
        assert_eq!(ok.to, Stage::Rated);
    }

    #[test]
    fn public_timeline_hides_internal_steps() {
        assert!(Action::Accept.is_public());
        assert!(Action::Handle { result: "x".into() }.is_public());
        assert!(!Action::Return { reason: "x".into() }.is_public());
        assert!(!Action::Escalate { reason: "x".into() }.is_public());
        assert!(!Action::VerifyFail { reason: "x".into() }.is_public());
    }

    #[test]
    fn the_finder_resolves_a_grid_matter_on_the_spot() {
        let reported = CaseFacts {
            stage: Stage::Reported,
            tier: Tier::Community,
            reopened: 0,
            grid_duty: true,
            onsite_check: true,
        };
        let finder = Party::Staff {
            role: Role::GridWorker,
            relation: Relation::Finder,
        };
        let resolve = Action::Resolve {
            result: "已当场清理".into(),
        };
        let change = apply(reported, finder, &resolve).unwrap();
        assert_eq!((change.to, change.tier), (Stage::Handled, Some(Tier::Grid)));
        let unchecked = CaseFacts {
            onsite_check: false,
            ..reported
        };
        assert_eq!(
            apply(unchecked, finder, &resolve).unwrap().to,
            Stage::Verified
        );
        let off_duty = CaseFacts {
            grid_duty: false,
            ..reported
        };
        assert!(matches!(
            apply(off_duty, finder, &resolve),
            Err(WorkflowError::BadTarget { .. })
        ));
        let accepted = CaseFacts {
            stage: Stage::Accepted,
            ..reported
        };
        assert!(matches!(
            apply(accepted, finder, &resolve),
            Err(WorkflowError::WrongStage { .. })
        ));
        // Someone else's report waits to be dispatched; the finder accepts nothing.
        let officer_above = Party::Staff {
            role: Role::GridWorker,
            relation: Relation::Above,
        };
        assert_eq!(
            apply(reported, officer_above, &resolve),
            Err(WorkflowError::NotAllowed("就地处置"))
        );
        assert_eq!(
            apply(reported, finder, &Action::Accept),
            Err(WorkflowError::NotAllowed("受理"))
        );
        let empty = Action::Resolve { result: " ".into() };
        assert_eq!(
            apply(reported, finder, &empty),
            Err(WorkflowError::ReasonRequired("就地处置"))
        );
    }

    #[test]
    fn the_accepting_level_recategorises_before_dispatch() {
        let accepted = CaseFacts {
            stage: Stage::Accepted,
            tier: Tier::Community,
            reopened: 0,
            grid_duty: true,
            onsite_check: true,
        };
        let officer = Party::Staff {
            role: Role::CommunityOfficer,
            relation: Relation::Dispatcher,
        };
        let moved = recategorise(accepted, officer, Tier::Grid, "实为消防通道堵塞").unwrap();
        assert_eq!((moved.to, moved.tier), (Stage::Reported, Some(Tier::Grid)));
        let kept = recategorise(accepted, officer, Tier::Community, "实为养老服务").unwrap();
        assert_eq!(kept.to, Stage::Accepted, "same level: the stage stays");
        assert_eq!(
            recategorise(accepted, officer, Tier::Grid, " "),
            Err(WorkflowError::ReasonRequired("改类"))
        );
        let worker = Party::Staff {
            role: Role::GridWorker,
            relation: Relation::Assignee,
        };
        assert_eq!(
            recategorise(accepted, worker, Tier::Grid, "x"),
            Err(WorkflowError::NotAllowed("改类"))
        );
        let dispatched = CaseFacts {
            stage: Stage::Dispatched,
            ..accepted
        };
        assert!(matches!(
            recategorise(dispatched, officer, Tier::Grid, "x"),
            Err(WorkflowError::WrongStage { .. })
        ));
        assert_eq!(routed_tier(Tier::Grid, "450802001001"), Tier::Community);
        assert_eq!(routed_tier(Tier::Grid, "450802001001001"), Tier::Grid);
    }
}
