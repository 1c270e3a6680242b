//! Who holds a case and how an account stands to it: the facts the case rules and the access
//! policy share (where it happened, the unit and tier holding it, who reported it).

use super::{Party, Relation, Stage, Tier};
use crate::auth::{Actor, Role};

/// What the rules need to know of a case to say who may see and act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holding<'a> {
    /// Where it happened.
    pub node_code: &'a str,
    /// The node holding it (for a department: its jurisdiction).
    pub holder_code: &'a str,
    /// The tier holding it.
    pub tier: Tier,
    /// The department holding it.
    pub department_id: Option<i64>,
    /// The staff account that reported it.
    pub reporter_account: Option<i64>,
    /// Where it stands.
    pub stage: Stage,
}

/// The node code of the unit at `tier` above (or at) `node` — the grid's community, street …
pub fn holder_of(node: &str, tier: Tier) -> Option<String> {
    let len = match tier {
        Tier::Grid => 15,
        Tier::Community => 12,
        Tier::Street => 9,
        Tier::District | Tier::Department => 6,
    };
    (node.len() >= len).then(|| node[..len].to_owned())
}

/// The tier of the unit an account belongs to, as cases are held: its department, or the
/// level of the node it is bound to (none for accounts bound to nothing or below a grid).
pub fn own_tier(actor: &Actor) -> Option<Tier> {
    if actor.role == Role::DepartmentHandler {
        return actor.department_id.map(|_| Tier::Department);
    }
    match actor.scope_root()?.len() {
        15 => Some(Tier::Grid),
        12 => Some(Tier::Community),
        9 => Some(Tier::Street),
        6 => Some(Tier::District),
        _ => None,
    }
}

/// Whether the actor sees the case at all: its area, or for a department the cases it holds.
/// (Departments summoned to a case also see it; that fact lives with the summons.)
pub fn sees(actor: &Actor, h: &Holding<'_>) -> bool {
    match actor.role {
        Role::DepartmentHandler => {
            h.department_id.is_some() && h.department_id == actor.department_id
        }
        _ => actor.sees(h.node_code),
    }
}

/// How the actor stands to the case: bound at its holder, bound above it, or (departments)
/// its assignee.
pub fn relation(actor: &Actor, h: &Holding<'_>) -> Option<Relation> {
    let holding = if h.tier == Tier::Department {
        actor.role == Role::DepartmentHandler && actor.department_id == h.department_id
    } else {
        actor.scope_root() == Some(h.holder_code)
    };
    let waiting_dispatch = matches!(h.stage, Stage::Reported | Stage::Accepted);
    // A grid worker's own finding in their own grid, not yet accepted (就地处置); a grid
    // leader holding it stays its dispatcher.
    let finder = h.stage == Stage::Reported
        && h.reporter_account == Some(actor.account_id)
        && matches!(actor.role, Role::GridWorker | Role::GridLeader)
        && own_tier(actor) == Some(Tier::Grid)
        && actor.sees(h.node_code);
    if finder && !(holding && actor.role == Role::GridLeader) {
        return Some(Relation::Finder);
    }
    match (holding, waiting_dispatch) {
        (true, true) => Some(Relation::Dispatcher),
        (true, false) => Some(Relation::Assignee),
        (false, _) if actor.role != Role::DepartmentHandler && actor.sees(h.holder_code) => {
            Some(Relation::Above)
        }
        _ => None,
    }
}

/// The actor as a party to the case, if it has one.
pub fn party_of(actor: &Actor, h: &Holding<'_>) -> Option<Party> {
    relation(actor, h).map(|relation| Party::Staff {
        role: actor.role,
        relation,
    })
}

/// Whether the actor has standing on the case beyond seeing it: the staff member who reported
/// it, and its dispatcher, assignee or a level above (they may add photos, call the reporter).
pub fn has_standing(actor: &Actor, h: &Holding<'_>) -> bool {
    h.reporter_account == Some(actor.account_id) || relation(actor, h).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::RegionCode;

    fn actor(role: Role, node: &str, department: Option<i64>) -> Actor {
        Actor {
            account_id: 7,
            role,
            node: Some(RegionCode::parse(node).unwrap()),
            department_id: department,
        }
    }

    #[test]
    fn holders_dispatch_assignees_work_and_levels_above_watch() {
        let h = Holding {
            node_code: "450802001001001",
            holder_code: "450802001001",
            tier: Tier::Community,
            department_id: None,
            reporter_account: None,
            stage: Stage::Reported,
        };
        let officer = actor(Role::CommunityOfficer, "450802001001", None);
        let street = actor(Role::CommandCentre, "450802001", None);
        let worker = actor(Role::GridWorker, "450802001001001", None);
        assert_eq!(relation(&officer, &h), Some(Relation::Dispatcher));
        assert_eq!(relation(&street, &h), Some(Relation::Above));
        assert_eq!(relation(&worker, &h), None, "below the holder");
        assert!(sees(&worker, &h) && !has_standing(&worker, &h));
        let mine = Holding {
            reporter_account: Some(7),
            ..h
        };
        assert!(has_standing(&worker, &mine), "the reporter");
        let moving = Holding {
            stage: Stage::InProgress,
            ..h
        };
        assert_eq!(relation(&officer, &moving), Some(Relation::Assignee));
        assert_eq!(
            holder_of("450802001001001", Tier::Street).as_deref(),
            Some("450802001")
        );
        assert_eq!(holder_of("450802", Tier::Grid), None);
    }

    #[test]
    fn departments_see_and_hold_only_their_own_cases() {
        let h = Holding {
            node_code: "450802001001001",
            holder_code: "450802",
            tier: Tier::Department,
            department_id: Some(3),
            reporter_account: None,
            stage: Stage::Dispatched,
        };
        let ours = actor(Role::DepartmentHandler, "450802", Some(3));
        let theirs = actor(Role::DepartmentHandler, "450802", Some(4));
        assert!(sees(&ours, &h) && !sees(&theirs, &h));
        assert_eq!(relation(&ours, &h), Some(Relation::Assignee));
        assert_eq!(relation(&theirs, &h), None);
    }
}
