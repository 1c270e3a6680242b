//! 我的待办: which step of a case waits on whom. The holding unit takes the steps up to 办结;
//! the level above it verifies, closes and follows up (whoever handled a case does not
//! verify it). Decided by the same rules as the steps themselves, so the list never offers a
//! case the caller has no button for.

use super::workflow::{Action, CaseFacts, Party, Relation, Stage, Tier, apply};
use crate::auth::Role;

/// A step of the closed loop that waits on someone, as the to-do list names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// 待受理.
    Accept,
    /// 待分派.
    Dispatch,
    /// 待签收.
    Start,
    /// 待办结.
    Handle,
    /// 待核查.
    Verify,
    /// 待结案.
    Close,
    /// 待回访.
    FollowUp,
}

impl Step {
    /// Every step, in loop order.
    pub const ALL: [Step; 7] = [
        Step::Accept,
        Step::Dispatch,
        Step::Start,
        Step::Handle,
        Step::Verify,
        Step::Close,
        Step::FollowUp,
    ];

    /// The step a case at `stage` waits for, if any (a closed case waits for its reporter).
    pub fn of(stage: Stage) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.stage() == stage)
    }

    /// The stage a case waits in for this step.
    pub fn stage(self) -> Stage {
        match self {
            Step::Accept => Stage::Reported,
            Step::Dispatch => Stage::Accepted,
            Step::Start => Stage::Dispatched,
            Step::Handle => Stage::InProgress,
            Step::Verify => Stage::Handled,
            Step::Close => Stage::Verified,
            Step::FollowUp => Stage::Rated,
        }
    }

    /// Chinese name on the to-do list.
    pub fn label(self) -> &'static str {
        match self {
            Step::Accept => "待受理",
            Step::Dispatch => "待分派",
            Step::Start => "待签收",
            Step::Handle => "待办结",
            Step::Verify => "待核查",
            Step::Close => "待结案",
            Step::FollowUp => "待回访",
        }
    }

    /// Whether the unit holding the case takes this step (the others fall to the level above).
    pub fn by_holder(self) -> bool {
        matches!(
            self,
            Step::Accept | Step::Dispatch | Step::Start | Step::Handle
        )
    }

    fn action(self) -> Action {
        let x = || "x".to_owned();
        match self {
            Step::Accept => Action::Accept,
            // Any dispatcher may hand a case to a department.
            Step::Dispatch => Action::Dispatch {
                to: Tier::Department,
            },
            Step::Start => Action::Start,
            Step::Handle => Action::Handle { result: x() },
            Step::Verify => Action::VerifyPass,
            Step::Close => Action::Close,
            Step::FollowUp => Action::FollowUp { note: x() },
        }
    }
}

/// The step that a case at `stage`, held at `tier`, waits for from a staff member of `role`
/// who belongs to the holding unit (`held`) or to the level directly above it; none when that
/// step is not theirs.
pub fn waiting_on(role: Role, stage: Stage, tier: Tier, held: bool) -> Option<Step> {
    let step = Step::of(stage)?;
    if step.by_holder() != held {
        return None;
    }
    let relation = match step {
        _ if !held => Relation::Above,
        Step::Accept | Step::Dispatch => Relation::Dispatcher,
        _ => Relation::Assignee,
    };
    let facts = CaseFacts {
        stage,
        tier,
        reopened: 0,
        grid_duty: true,
        onsite_check: true,
    };
    apply(facts, Party::Staff { role, relation }, &step.action())
        .ok()
        .map(|_| step)
}

/// The tiers whose cases a unit at `tier` verifies and closes: those it is the level above of.
pub fn reporting_to(tier: Tier) -> Vec<Tier> {
    Tier::ALL
        .into_iter()
        .filter(|t| *t != tier && t.above() == Some(tier))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_take_the_steps_to_handled_and_the_level_above_the_rest() {
        let worker = Role::GridWorker;
        let officer = Role::CommunityOfficer;
        assert_eq!(
            waiting_on(worker, Stage::Dispatched, Tier::Grid, true),
            Some(Step::Start)
        );
        assert_eq!(
            waiting_on(worker, Stage::InProgress, Tier::Grid, true),
            Some(Step::Handle)
        );
        // A grid worker dispatches nothing and verifies nothing.
        assert_eq!(waiting_on(worker, Stage::Reported, Tier::Grid, true), None);
        assert_eq!(waiting_on(worker, Stage::Handled, Tier::Grid, false), None);
        assert_eq!(
            waiting_on(officer, Stage::Handled, Tier::Grid, false),
            Some(Step::Verify)
        );
        // The holder does not verify its own work.
        assert_eq!(
            waiting_on(officer, Stage::Handled, Tier::Community, true),
            None
        );
        assert_eq!(
            waiting_on(
                Role::DepartmentHandler,
                Stage::Dispatched,
                Tier::Department,
                true
            ),
            Some(Step::Start)
        );
        assert_eq!(
            waiting_on(Role::CommandCentre, Stage::Rated, Tier::Department, false),
            Some(Step::FollowUp)
        );
        // A closed case waits for its reporter's rating, not for staff.
        assert_eq!(waiting_on(officer, Stage::Closed, Tier::Grid, false), None);
    }

    #[test]
    fn each_level_answers_for_the_one_below() {
        assert_eq!(reporting_to(Tier::Community), vec![Tier::Grid]);
        assert_eq!(
            reporting_to(Tier::District),
            vec![Tier::Street, Tier::Department]
        );
        assert!(reporting_to(Tier::Grid).is_empty());
    }
}
