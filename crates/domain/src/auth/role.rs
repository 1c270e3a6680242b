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

    /// Whether the role walks grids on patrol and visits households (巡查走访).
    pub fn patrols(self) -> bool {
        matches!(self, Role::GridLeader | Role::GridWorker)
    }

    /// Whether the role keeps the four registers (四册) of its scope: enters and edits
    /// households, residents, places and staff, and imports sheets.
    pub fn keeps_registers(self) -> bool {
        matches!(
            self,
            Role::Admin | Role::CommunityOfficer | Role::GridLeader | Role::GridWorker
        )
    }

    /// Whether the role runs its community's participation: confirms 双报到 registrations,
    /// verifies declared service, publishes wishes and keeps the 爱心超市 and its ledger.
    pub fn runs_participation(self) -> bool {
        matches!(self, Role::Admin | Role::CommunityOfficer)
    }

    /// Whether the role may act for a resident who cannot themselves: post a wish for them
    /// (代填) and confirm it was done.
    pub fn acts_for_residents(self) -> bool {
        matches!(
            self,
            Role::Admin | Role::CommunityOfficer | Role::GridLeader | Role::GridWorker
        )
    }

    /// Whether the role may reveal a full ID or phone number in its scope (each reveal is
    /// audited). Departments and volunteers never need them; everyone sees masked values.
    pub fn may_reveal_personal(self) -> bool {
        matches!(
            self,
            Role::Admin
                | Role::CommandCentre
                | Role::CommunityOfficer
                | Role::GridLeader
                | Role::GridWorker
        )
    }

    /// Whether the role's register exports carry full ID and phone numbers (the community
    /// hands the full register to the street); everyone else exports masked values.
    pub fn exports_full_personal(self) -> bool {
        matches!(self, Role::Admin | Role::CommunityOfficer)
    }
}

/// Who acted, in words, as the timeline and the audit trail name them: `覃鹏琳（网格员）`.
pub fn actor_label(name: &str, role: Role) -> String {
    format!("{name}（{}）", role.label())
}

#[cfg(test)]
mod register_tests {
    use super::Role;

    #[test]
    fn only_staff_who_need_personal_data_may_reveal_or_export_it() {
        for r in Role::ALL {
            if r.exports_full_personal() {
                assert!(r.may_reveal_personal(), "{r:?}");
            }
            if r.keeps_registers() {
                assert!(r.may_reveal_personal(), "{r:?}");
            }
        }
        assert!(!Role::DepartmentHandler.may_reveal_personal());
        assert!(!Role::Volunteer.may_reveal_personal());
        assert!(!Role::GridWorker.exports_full_personal());
        assert!(!Role::CommandCentre.keeps_registers());
        for r in Role::ALL {
            if r.runs_participation() {
                assert!(r.acts_for_residents(), "{r:?}");
            }
        }
        assert!(!Role::Volunteer.acts_for_residents());
        assert!(!Role::GridWorker.runs_participation());
    }
}
