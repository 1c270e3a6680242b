//! 吹哨报到: a street or community blows the whistle on a case and summons departments, each of
//! which must report in (报到) within a deadline and post its part.

use super::workflow::{Party, Relation, Stage, WorkflowError};
use crate::auth::Role;

/// Default time a summoned department has to report in, hours.
pub const REPORT_IN_HOURS: i64 = 2;

/// Whether `party` may summon departments to a case in `stage`.
pub fn may_summon(stage: Stage, party: Party) -> Result<(), WorkflowError> {
    if stage.is_final() || matches!(stage, Stage::Closed | Stage::Rated) {
        return Err(WorkflowError::WrongStage {
            stage: stage.label(),
            action: "吹哨",
        });
    }
    match party {
        Party::Staff {
            role: Role::CommandCentre | Role::CommunityOfficer,
            relation: Relation::Dispatcher | Relation::Above,
        } => Ok(()),
        _ => Err(WorkflowError::NotAllowed("吹哨")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streets_and_communities_blow_the_whistle_on_open_cases() {
        let street = Party::Staff {
            role: Role::CommandCentre,
            relation: Relation::Above,
        };
        let officer = Party::Staff {
            role: Role::CommunityOfficer,
            relation: Relation::Dispatcher,
        };
        let worker = Party::Staff {
            role: Role::GridWorker,
            relation: Relation::Assignee,
        };
        assert!(may_summon(Stage::InProgress, street).is_ok());
        assert!(may_summon(Stage::Accepted, officer).is_ok());
        assert_eq!(
            may_summon(Stage::InProgress, worker),
            Err(WorkflowError::NotAllowed("吹哨"))
        );
        assert!(matches!(
            may_summon(Stage::Closed, street),
            Err(WorkflowError::WrongStage { .. })
        ));
    }
}
