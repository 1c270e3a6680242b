//! Staff roles (角色).

use serde::{Deserialize, Serialize};

/// What an account does; each account is bound to one region node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员: accounts, the region tree, categories and settings; no registers or cases.
    Admin,
    /// 安全管理员: roles, keys (Open311 clients, webhooks) and the policy's settings.
    SecurityAdmin,
    /// 审计管理员: reads the audit trail and nothing else.
    AuditAdmin,
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
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::SecurityAdmin,
        Role::AuditAdmin,
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
            Role::SecurityAdmin => "security_admin",
            Role::AuditAdmin => "audit_admin",
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
            Role::SecurityAdmin => "安全管理员",
            Role::AuditAdmin => "审计管理员",
            Role::CommandCentre => "综治中心",
            Role::CommunityOfficer => "社区干部",
            Role::GridLeader => "网格长",
            Role::GridWorker => "网格员",
            Role::DepartmentHandler => "职能部门",
            Role::Volunteer => "党员志愿者",
        }
    }

    /// The three administrators kept apart (三员分立): none reads registers or cases, and only
    /// the command line creates them.
    pub fn administers(self) -> bool {
        matches!(self, Role::Admin | Role::SecurityAdmin | Role::AuditAdmin)
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}

/// Who acted, in words, as the timeline and the audit trail name them: `覃鹏琳（网格员）`.
pub fn actor_label(name: &str, role: Role) -> String {
    format!("{name}（{}）", role.label())
}
