//! 双报到: in-service party members (在职党员) and volunteers register in the community they
//! live in, show who they are and what they commit to (亮身份、亮承诺), and serve there; their
//! year's record goes back to their employer (双报告). Service they declare is credited only
//! once the community has verified it (党员申报、召集人汇总、社区核实).

use serde::{Deserialize, Serialize};

/// The yearly minimum: at least one service in the community a year (每年至少下沉社区 1 次).
pub const YEARLY_MINIMUM: i64 = 1;

/// Who registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberKind {
    /// 在职党员: works in an organ, enterprise or institution; reported back to the employer.
    PartyMember,
    /// 志愿者.
    Volunteer,
}

impl MemberKind {
    /// Both kinds.
    pub const ALL: [MemberKind; 2] = [MemberKind::PartyMember, MemberKind::Volunteer];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberKind::PartyMember => "party_member",
            MemberKind::Volunteer => "volunteer",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            MemberKind::PartyMember => "在职党员",
            MemberKind::Volunteer => "志愿者",
        }
    }
}

/// A registration's standing with the community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// 待确认.
    Pending,
    /// 已报到: confirmed by the community.
    Confirmed,
    /// 未通过.
    Declined,
}

impl Standing {
    /// Every standing.
    pub const ALL: [Standing; 3] = [Standing::Pending, Standing::Confirmed, Standing::Declined];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Pending => "pending",
            Standing::Confirmed => "confirmed",
            Standing::Declined => "declined",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Standing::Pending => "待确认",
            Standing::Confirmed => "已报到",
            Standing::Declined => "未通过",
        }
    }
}

/// A declared service's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStage {
    /// 待核实.
    Declared,
    /// 已核实: points credited.
    Verified,
    /// 未核实: the community could not confirm it.
    Rejected,
}

impl ServiceStage {
    /// Every stage.
    pub const ALL: [ServiceStage; 3] = [
        ServiceStage::Declared,
        ServiceStage::Verified,
        ServiceStage::Rejected,
    ];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceStage::Declared => "declared",
            ServiceStage::Verified => "verified",
            ServiceStage::Rejected => "rejected",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            ServiceStage::Declared => "待核实",
            ServiceStage::Verified => "已核实",
            ServiceStage::Rejected => "未核实",
        }
    }
}

/// What a wish asks for, a member offers or a co-building unit can give: the fields members
/// commonly claim (认领环境整治、法律援助、矛盾调处、医疗保健、文明创建等事项).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceCategory {
    /// 助老助残.
    Elderly,
    /// 环境整治.
    Environment,
    /// 法律援助.
    Legal,
    /// 矛盾调处.
    Mediation,
    /// 医疗保健.
    Health,
    /// 文明创建.
    Civility,
    /// 助学帮教.
    Study,
    /// 物资帮扶.
    Goods,
    /// 维修帮忙.
    Repair,
}

impl ServiceCategory {
    /// All, in the order forms list them.
    pub const ALL: [ServiceCategory; 9] = [
        ServiceCategory::Elderly,
        ServiceCategory::Environment,
        ServiceCategory::Legal,
        ServiceCategory::Mediation,
        ServiceCategory::Health,
        ServiceCategory::Civility,
        ServiceCategory::Study,
        ServiceCategory::Goods,
        ServiceCategory::Repair,
    ];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceCategory::Elderly => "elderly",
            ServiceCategory::Environment => "environment",
            ServiceCategory::Legal => "legal",
            ServiceCategory::Mediation => "mediation",
            ServiceCategory::Health => "health",
            ServiceCategory::Civility => "civility",
            ServiceCategory::Study => "study",
            ServiceCategory::Goods => "goods",
            ServiceCategory::Repair => "repair",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            ServiceCategory::Elderly => "助老助残",
            ServiceCategory::Environment => "环境整治",
            ServiceCategory::Legal => "法律援助",
            ServiceCategory::Mediation => "矛盾调处",
            ServiceCategory::Health => "医疗保健",
            ServiceCategory::Civility => "文明创建",
            ServiceCategory::Study => "助学帮教",
            ServiceCategory::Goods => "物资帮扶",
            ServiceCategory::Repair => "维修帮忙",
        }
    }
}

/// A member's service in one year (报到服务台账).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct YearRecord {
    /// Wishes completed and confirmed.
    pub wishes: i64,
    /// Verified service activities.
    pub activities: i64,
    /// Verified minutes of service.
    pub minutes: i64,
}

impl YearRecord {
    /// Whether the member served at least [`YEARLY_MINIMUM`] times.
    pub fn meets_minimum(&self) -> bool {
        self.wishes + self.activities >= YEARLY_MINIMUM
    }
}

/// The three lists of a co-building unit (三张清单).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    /// 问题清单.
    Problem,
    /// 需求清单.
    Need,
    /// 资源清单.
    Resource,
}

impl ListKind {
    /// Every list.
    pub const ALL: [ListKind; 3] = [ListKind::Problem, ListKind::Need, ListKind::Resource];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::Problem => "problem",
            ListKind::Need => "need",
            ListKind::Resource => "resource",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            ListKind::Problem => "问题",
            ListKind::Need => "需求",
            ListKind::Resource => "资源",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_service_a_year_meets_the_minimum() {
        assert!(!YearRecord::default().meets_minimum());
        let wish = YearRecord {
            wishes: 1,
            ..YearRecord::default()
        };
        assert!(wish.meets_minimum());
        let activity = YearRecord {
            activities: 1,
            minutes: 60,
            ..YearRecord::default()
        };
        assert!(activity.meets_minimum());
    }

    #[test]
    fn names_round_trip() {
        for c in ServiceCategory::ALL {
            assert_eq!(c.as_str().parse::<ServiceCategory>().ok(), Some(c));
        }
        for k in [MemberKind::PartyMember, MemberKind::Volunteer] {
            assert_eq!(k.as_str().parse::<MemberKind>().ok(), Some(k));
        }
        for s in [Standing::Pending, Standing::Confirmed, Standing::Declined] {
            assert_eq!(s.as_str().parse::<Standing>().ok(), Some(s));
        }
        for s in [
            ServiceStage::Declared,
            ServiceStage::Verified,
            ServiceStage::Rejected,
        ] {
            assert_eq!(s.as_str().parse::<ServiceStage>().ok(), Some(s));
        }
    }
}
