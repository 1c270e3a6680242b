//! Data scope (数据权限): every account sees and acts on its node's subtree only.

use super::role::Role;
use crate::region::{Level, RegionCode};

/// Who is acting: the facts every scope check needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Account id.
    pub account_id: i64,
    /// Role.
    pub role: Role,
    /// The node the account is bound to (for departments: the jurisdiction); `None` only for
    /// deployment-wide administrators (全域), such as the one created on first start.
    pub node: Option<RegionCode>,
    /// The department, for department handlers.
    pub department_id: Option<i64>,
}

impl Actor {
    /// Whether `code` lies in this account's subtree. Outside it, data does not exist for the
    /// account: callers answer 404, never 403, so nothing is hinted.
    pub fn sees(&self, code: &str) -> bool {
        self.node.as_ref().is_none_or(|n| n.covers(code))
    }

    /// The root of what the account sees (`None`: everything).
    pub fn scope_root(&self) -> Option<&str> {
        self.node.as_ref().map(RegionCode::as_str)
    }

    /// Whether the account may create, rename, retire or redraw a node of `level` at `code`.
    pub fn may_manage_node(&self, code: &str, level: Level) -> bool {
        self.sees(code)
            && match self.role {
                Role::Admin => true,
                Role::CommandCentre => self.scope_root() != Some(code),
                Role::CommunityOfficer => level.is_grid(),
                Role::GridLeader => level == Level::MicroGrid,
                Role::SecurityAdmin
                | Role::AuditAdmin
                | Role::GridWorker
                | Role::DepartmentHandler
                | Role::Volunteer => false,
            }
    }
}

/// Where an account is bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// Role.
    pub role: Role,
    /// Level of the node it is bound to (`None`: deployment-wide).
    pub level: Option<Level>,
    /// Department, for department handlers.
    pub department_id: Option<i64>,
}

/// Why a role cannot be bound where asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindingError {
    /// The role does not work at that level.
    #[error("{role}不能绑定到{level}层级，应绑定到：{allowed}")]
    WrongLevel {
        /// Role label.
        role: &'static str,
        /// Given level label.
        level: &'static str,
        /// Allowed levels, labelled.
        allowed: String,
    },
    /// Department handlers need a department; others must not have one.
    #[error("职能部门账号必须指定所属部门，其他角色不能指定部门")]
    Department,
}

fn allowed_levels(role: Role) -> &'static [Level] {
    use Level::*;
    match role {
        Role::Admin | Role::SecurityAdmin | Role::AuditAdmin => &[Province, City, District],
        Role::CommandCentre => &[Province, City, District, Street],
        Role::CommunityOfficer | Role::Volunteer => &[Community],
        Role::GridLeader | Role::GridWorker => &[Grid, MicroGrid],
        Role::DepartmentHandler => &[Province, City, District, Street],
    }
}

/// Checks that a role may be bound at a level (grid workers to grids, officers to communities…).
pub fn check_binding(b: &Binding) -> Result<(), BindingError> {
    if (b.role == Role::DepartmentHandler) != b.department_id.is_some() {
        return Err(BindingError::Department);
    }
    let allowed = allowed_levels(b.role);
    match b.level {
        None if b.role.administers() => Ok(()),
        Some(l) if allowed.contains(&l) => Ok(()),
        _ => Err(BindingError::WrongLevel {
            role: b.role.label(),
            level: b.level.map_or("全域", Level::label),
            allowed: allowed
                .iter()
                .map(|l| l.label())
                .collect::<Vec<_>>()
                .join("、"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, code: &str) -> Actor {
        Actor {
            account_id: 1,
            role,
            node: Some(RegionCode::parse(code).unwrap()),
            department_id: None,
        }
    }

    #[test]
    fn grid_worker_sees_only_own_grid() {
        let w = actor(Role::GridWorker, "450802001001001");
        assert!(w.sees("450802001001001"));
        assert!(w.sees("450802001001001002"));
        assert!(!w.sees("450802001001002"));
        assert!(!w.sees("450802001001"));
        assert!(!w.may_manage_node("450802001001001002", Level::MicroGrid));
    }

    #[test]
    fn management_rights_follow_role_and_level() {
        let officer = actor(Role::CommunityOfficer, "450802001001");
        assert!(officer.may_manage_node("450802001001005", Level::Grid));
        assert!(!officer.may_manage_node("450802001001", Level::Community));
        assert!(!officer.may_manage_node("450802001002005", Level::Grid));
        let cc = actor(Role::CommandCentre, "450802");
        assert!(cc.may_manage_node("450802003", Level::Street));
        assert!(
            !cc.may_manage_node("450802", Level::District),
            "not its own root"
        );
        let admin = actor(Role::Admin, "450802");
        assert!(admin.may_manage_node("450802", Level::District));
        let root_admin = Actor {
            node: None,
            ..admin
        };
        assert!(root_admin.sees("45") && root_admin.may_manage_node("45", Level::Province));
        let leader = actor(Role::GridLeader, "450802001001001");
        assert!(leader.may_manage_node("450802001001001003", Level::MicroGrid));
    }

    #[test]
    fn bindings() {
        let b = |role, level, dep| {
            check_binding(&Binding {
                role,
                level: Some(level),
                department_id: dep,
            })
        };
        assert!(b(Role::GridWorker, Level::Grid, None).is_ok());
        assert!(matches!(
            b(Role::GridWorker, Level::Community, None),
            Err(BindingError::WrongLevel { .. })
        ));
        assert_eq!(
            b(Role::DepartmentHandler, Level::District, None),
            Err(BindingError::Department)
        );
        assert!(b(Role::DepartmentHandler, Level::District, Some(3)).is_ok());
        assert_eq!(
            b(Role::Volunteer, Level::Community, Some(3)),
            Err(BindingError::Department)
        );
        let everywhere = |role| {
            check_binding(&Binding {
                role,
                level: None,
                department_id: None,
            })
        };
        assert!(everywhere(Role::Admin).is_ok());
        assert!(everywhere(Role::AuditAdmin).is_ok());
        assert!(everywhere(Role::CommandCentre).is_err());
    }
}
