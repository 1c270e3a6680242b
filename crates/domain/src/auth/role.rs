//! Staff roles (角色).

use serde::{Deserialize, Serialize};

/// What an account does; each account is bound to one region node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员: region tree, categories, accounts.
    Admin,
    /// 综治中心 / 指挥中心 (区、镇街): accept, dispatch, supervise, verify.
    CommandCentre,
    /// 社区/村干部: runs the community's grids.
    CommunityOfficer,
    /// 网格长.
    GridLeader,
    /// 网格员 (专职/兼职).
    GridWorker,
    /// 职能部门: handles cases dispatched to the department.
    DepartmentHandler,
    /// 下沉党员 / 志愿者.
    Volunteer,
}

impl Role {
    /// All roles, in the order forms list them.
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::CommandCentre,
        Role::CommunityOfficer,
        Role::GridLeader,
        Role::GridWorker,
        Role::DepartmentHandler,
        Role::Volunteer,
    ];

    /// Stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::CommandCentre => "command_centre",
            Role::CommunityOfficer => "community_officer",
            Role::GridLeader => "grid_leader",
            Role::GridWorker => "grid_worker",
            Role::DepartmentHandler => "department_handler",
            Role::Volunteer => "volunteer",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::CommandCentre => "综治中心",
            Role::CommunityOfficer => "社区干部",
            Role::GridLeader => "网格长",
            Role::GridWorker => "网格员",
            Role::DepartmentHandler => "职能部门",
            Role::Volunteer => "党员志愿者",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}
