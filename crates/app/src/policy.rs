//! The access policy (访问控制策略), as data: for every role, which kinds of record it may
//! list, read, write, reveal or export, and how far its reach goes. Every operation asks it
//! before it touches the store ([`Ask::may`]); the HTTP layer asks it once more for each route
//! before reading a request body, so a refusal is the same whatever was sent.
//!
//! A role without a grant for a resource never has that feature: 403. A role with a grant that
//! asks for a record outside its reach is told the record does not exist: 404. Reaches are
//! checked where the records are read (subtrees by region code, departments by the cases
//! dispatched or summoned to them, duties by the tags a department's kind is listed for, own
//! records by account).

use crate::AppError;
use crate::auth::Principal;
use shanzhi_domain::auth::{Actor, Role};

/// A kind of record the policy speaks about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// 事件: cases with their timeline, deadlines, requests, mediation and summonses.
    Case,
    /// 12345 工单导入.
    Hotline,
    /// 反映人的完整电话.
    ReporterContact,
    /// 现场照片.
    Photo,
    /// 居民与户 (the resident register).
    Resident,
    /// 敏感标签的人员名单: who carries a health, criminal-justice or welfare tag.
    SensitiveTag,
    /// 完整身份证号和电话 of residents, one at a time (reveal) or in exports.
    PersonalNumbers,
    /// 重点场所.
    Place,
    /// 网格长(员)名册.
    Staff,
    /// 网格基础信息.
    GridFacts,
    /// 巡查.
    Patrol,
    /// 走访.
    Visit,
    /// 统计与大屏: dashboards, monthly reports, coverage and rates.
    Figures,
    /// 考评.
    Assessment,
    /// 群众参与记录: 双报到, declared service, wishes, points — a member's own, or those a
    /// grid worker keeps for residents.
    Participation,
    /// 参与管理: confirming registrations, verifying service, publishing wishes, the 爱心超市
    /// and the points ledger.
    ParticipationDesk,
    /// 问卷、议事与社情民意.
    Consultation,
    /// 网格公告与预警.
    Notice,
    /// 叫应: calling the vulnerable households in a warning, with their names and phones.
    NoticeCall,
    /// 账号.
    Account,
    /// 角色授予: changing which role an account has.
    Grant,
    /// 职能部门名录.
    Department,
    /// 网格体系 (the region tree).
    Region,
    /// 事项清单.
    Category,
    /// 工作日历.
    Calendar,
    /// 业务设置 (assessment weights).
    Setting,
    /// 审计日志.
    Audit,
    /// Webhook 推送 and their keys.
    Webhook,
    /// Open311 客户端 and their api_keys.
    Open311Client,
    /// 标签职责: which departments and staff see each tag, and which tags are sensitive.
    Duty,
}

impl Resource {
    /// Every resource, in the order the policy table lists them.
    pub const ALL: [Resource; 30] = [
        Resource::Case,
        Resource::Hotline,
        Resource::ReporterContact,
        Resource::Photo,
        Resource::Resident,
        Resource::SensitiveTag,
        Resource::PersonalNumbers,
        Resource::Place,
        Resource::Staff,
        Resource::GridFacts,
        Resource::Patrol,
        Resource::Visit,
        Resource::Figures,
        Resource::Assessment,
        Resource::Participation,
        Resource::ParticipationDesk,
        Resource::Consultation,
        Resource::Notice,
        Resource::NoticeCall,
        Resource::Account,
        Resource::Grant,
        Resource::Department,
        Resource::Region,
        Resource::Category,
        Resource::Calendar,
        Resource::Setting,
        Resource::Audit,
        Resource::Webhook,
        Resource::Open311Client,
        Resource::Duty,
    ];

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Resource::Case => "事件",
            Resource::Hotline => "12345 工单导入",
            Resource::ReporterContact => "反映人电话",
            Resource::Photo => "现场照片",
            Resource::Resident => "居民与户",
            Resource::SensitiveTag => "敏感标签名单",
            Resource::PersonalNumbers => "完整身份证号和电话",
            Resource::Place => "重点场所",
            Resource::Staff => "网格人员名册",
            Resource::GridFacts => "网格基础信息",
            Resource::Patrol => "巡查",
            Resource::Visit => "走访",
            Resource::Figures => "统计大屏",
            Resource::Assessment => "考评",
            Resource::Participation => "群众参与记录",
            Resource::ParticipationDesk => "参与管理",
            Resource::Consultation => "问卷议事",
            Resource::Notice => "公告预警",
            Resource::NoticeCall => "预警叫应",
            Resource::Account => "账号",
            Resource::Grant => "角色授予",
            Resource::Department => "部门名录",
            Resource::Region => "网格体系",
            Resource::Category => "事项清单",
            Resource::Calendar => "工作日历",
            Resource::Setting => "业务设置",
            Resource::Audit => "审计日志",
            Resource::Webhook => "Webhook 推送",
            Resource::Open311Client => "Open311 客户端",
            Resource::Duty => "标签职责",
        }
    }

    /// Whether the resource holds personal data: refusals to it are audited too.
    pub fn personal(self) -> bool {
        matches!(
            self,
            Resource::ReporterContact
                | Resource::Resident
                | Resource::SensitiveTag
                | Resource::PersonalNumbers
                | Resource::Visit
                | Resource::Staff
                | Resource::Participation
                | Resource::NoticeCall
        )
    }
}

/// What is done with a record.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Verb {
    /// Lists or searches.
    List,
    /// Opens one.
    Read,
    /// Creates, changes or acts on one.
    Write,
    /// Shows a masked value in full (each reveal is audited).
    Reveal,
    /// Downloads as a file.
    Export,
}

impl Verb {
    /// Every verb, in table order.
    pub const ALL: [Verb; 5] = [
        Verb::List,
        Verb::Read,
        Verb::Write,
        Verb::Reveal,
        Verb::Export,
    ];

    /// Chinese name, as the refusal says it.
    pub fn label(self) -> &'static str {
        match self {
            Verb::List => "查看列表",
            Verb::Read => "查看",
            Verb::Write => "办理或修改",
            Verb::Reveal => "查看完整内容",
            Verb::Export => "导出",
        }
    }

    /// One character, for the policy table.
    fn letter(self) -> &'static str {
        match self {
            Verb::List => "列",
            Verb::Read => "看",
            Verb::Write => "改",
            Verb::Reveal => "明",
            Verb::Export => "导",
        }
    }
}

/// How far a grant reaches.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// The account's node and everything below it (deployment-wide for an unbound account).
    Subtree,
    /// The cases dispatched or summoned to the account's department.
    Department,
    /// The people carrying a tag the department's kind has a duty for, within its area.
    Duty,
    /// The account's own records.
    Own,
}

impl Reach {
    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Reach::Subtree => "本级及下级",
            Reach::Department => "交办或吹哨到本部门的",
            Reach::Duty => "本部门职责标签的人员",
            Reach::Own => "本人的",
        }
    }
}

/// One row of the policy: a role may do `verbs` to `resource` within `reach`.
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    /// Who.
    pub role: Role,
    /// What kind of record.
    pub resource: Resource,
    /// What it may do.
    pub verbs: &'static [Verb],
    /// How far.
    pub reach: Reach,
}

use Reach::{Department as Dept, Duty, Own, Subtree};
use Verb::{Export, List, Read, Reveal, Write};

const LR: &[Verb] = &[List, Read];
const LRW: &[Verb] = &[List, Read, Write];
const LRX: &[Verb] = &[List, Read, Export];
const LRWX: &[Verb] = &[List, Read, Write, Export];

const fn g(role: Role, resource: Resource, verbs: &'static [Verb], reach: Reach) -> Grant {
    Grant {
        role,
        resource,
        verbs,
        reach,
    }
}

/// The policy. A (role, resource, verb) not listed is refused.
pub const GRANTS: &[Grant] = {
    use Resource as R;
    use Role::*;
    &[
        // 系统管理员: accounts, the region tree, categories and settings; no registers, no cases.
        g(Admin, R::Account, LRW, Subtree),
        g(Admin, R::Department, LRW, Subtree),
        g(Admin, R::Region, LRWX, Subtree),
        g(Admin, R::Category, LRW, Subtree),
        g(Admin, R::Calendar, LRW, Subtree),
        g(Admin, R::Setting, &[Read, Write], Subtree),
        // 安全管理员: roles, keys and the policy's settings.
        g(SecurityAdmin, R::Account, LR, Subtree),
        g(SecurityAdmin, R::Grant, &[Write], Subtree),
        g(SecurityAdmin, R::Duty, &[Read, Write], Subtree),
        g(SecurityAdmin, R::Webhook, LRW, Subtree),
        g(SecurityAdmin, R::Open311Client, LRW, Subtree),
        // 审计管理员: the audit trail and nothing else.
        g(AuditAdmin, R::Audit, LR, Subtree),
        // 综治中心 (district and street): cases and figures of the subtree; registers read,
        // sensitive tags only counted.
        g(CommandCentre, R::Case, LRW, Subtree),
        g(CommandCentre, R::Hotline, &[Write], Subtree),
        g(CommandCentre, R::ReporterContact, &[Reveal], Subtree),
        g(CommandCentre, R::Photo, LRW, Subtree),
        g(CommandCentre, R::Resident, LRX, Subtree),
        g(CommandCentre, R::PersonalNumbers, &[Reveal], Subtree),
        g(CommandCentre, R::Place, LRX, Subtree),
        g(CommandCentre, R::Staff, LRX, Subtree),
        g(CommandCentre, R::GridFacts, LR, Subtree),
        g(CommandCentre, R::Patrol, LR, Subtree),
        g(CommandCentre, R::Visit, LR, Subtree),
        g(CommandCentre, R::Figures, LRX, Subtree),
        g(CommandCentre, R::Assessment, LRW, Subtree),
        g(CommandCentre, R::Participation, LR, Subtree),
        g(CommandCentre, R::ParticipationDesk, LRX, Subtree),
        g(CommandCentre, R::Consultation, LRWX, Subtree),
        g(CommandCentre, R::Notice, LRW, Subtree),
        g(CommandCentre, R::NoticeCall, LR, Subtree),
        g(CommandCentre, R::Department, LR, Subtree),
        g(CommandCentre, R::Region, LRWX, Subtree),
        g(CommandCentre, R::Category, LR, Subtree),
        g(CommandCentre, R::Calendar, LRW, Subtree),
        g(CommandCentre, R::Setting, &[Read, Write], Subtree),
        // 社区干部: the community's registers, participation and consultation.
        g(CommunityOfficer, R::Case, LRW, Subtree),
        g(CommunityOfficer, R::ReporterContact, &[Reveal], Subtree),
        g(CommunityOfficer, R::Photo, LRW, Subtree),
        g(CommunityOfficer, R::Resident, LRWX, Subtree),
        g(CommunityOfficer, R::SensitiveTag, LR, Subtree),
        g(
            CommunityOfficer,
            R::PersonalNumbers,
            &[Reveal, Export],
            Subtree,
        ),
        g(CommunityOfficer, R::Place, LRWX, Subtree),
        g(CommunityOfficer, R::Staff, LRWX, Subtree),
        g(CommunityOfficer, R::GridFacts, LRW, Subtree),
        g(CommunityOfficer, R::Patrol, LR, Subtree),
        g(CommunityOfficer, R::Visit, LRW, Subtree),
        g(CommunityOfficer, R::Figures, LRX, Subtree),
        g(CommunityOfficer, R::Assessment, LRW, Subtree),
        g(CommunityOfficer, R::Participation, LRW, Subtree),
        g(CommunityOfficer, R::ParticipationDesk, LRWX, Subtree),
        g(CommunityOfficer, R::Consultation, LRWX, Subtree),
        g(CommunityOfficer, R::Notice, LRW, Subtree),
        g(CommunityOfficer, R::NoticeCall, LRW, Subtree),
        g(CommunityOfficer, R::Department, LR, Subtree),
        g(CommunityOfficer, R::Region, LRWX, Subtree),
        g(CommunityOfficer, R::Category, LR, Subtree),
        g(CommunityOfficer, R::Calendar, LR, Subtree),
        // 网格长: the grid's registers and its workers' patrols.
        g(GridLeader, R::Case, LRW, Subtree),
        g(GridLeader, R::ReporterContact, &[Reveal], Subtree),
        g(GridLeader, R::Photo, LRW, Subtree),
        g(GridLeader, R::Resident, LRWX, Subtree),
        g(GridLeader, R::SensitiveTag, LR, Subtree),
        g(GridLeader, R::PersonalNumbers, &[Reveal], Subtree),
        g(GridLeader, R::Place, LRWX, Subtree),
        g(GridLeader, R::Staff, LRWX, Subtree),
        g(GridLeader, R::GridFacts, LRW, Subtree),
        g(GridLeader, R::Patrol, LR, Subtree),
        g(GridLeader, R::Patrol, &[Write], Own),
        g(GridLeader, R::Visit, LRW, Subtree),
        g(GridLeader, R::Figures, LR, Subtree),
        g(GridLeader, R::Assessment, LR, Subtree),
        g(GridLeader, R::Participation, LRW, Subtree),
        g(GridLeader, R::Consultation, LRW, Subtree),
        g(GridLeader, R::Notice, LR, Subtree),
        g(GridLeader, R::NoticeCall, LRW, Subtree),
        g(GridLeader, R::Department, LR, Subtree),
        g(GridLeader, R::Region, LRWX, Subtree),
        g(GridLeader, R::Category, LR, Subtree),
        g(GridLeader, R::Calendar, LR, Subtree),
        // 网格员: the grid's registers, own patrols, visits for the grid.
        g(GridWorker, R::Case, LRW, Subtree),
        g(GridWorker, R::ReporterContact, &[Reveal], Subtree),
        g(GridWorker, R::Photo, LRW, Subtree),
        g(GridWorker, R::Resident, LRWX, Subtree),
        g(GridWorker, R::SensitiveTag, LR, Subtree),
        g(GridWorker, R::PersonalNumbers, &[Reveal], Subtree),
        g(GridWorker, R::Place, LRWX, Subtree),
        g(GridWorker, R::Staff, LR, Subtree),
        g(GridWorker, R::GridFacts, LR, Subtree),
        g(GridWorker, R::Patrol, LR, Subtree),
        g(GridWorker, R::Patrol, &[Write], Own),
        g(GridWorker, R::Visit, LRW, Subtree),
        g(GridWorker, R::Figures, LR, Subtree),
        g(GridWorker, R::Assessment, &[Read], Own),
        g(GridWorker, R::Participation, LRW, Subtree),
        g(GridWorker, R::Consultation, LR, Subtree),
        g(GridWorker, R::Notice, LR, Subtree),
        g(GridWorker, R::NoticeCall, LRW, Subtree),
        g(GridWorker, R::Department, LR, Subtree),
        g(GridWorker, R::Region, LRX, Subtree),
        g(GridWorker, R::Category, LR, Subtree),
        g(GridWorker, R::Calendar, LR, Subtree),
        // 职能部门: its cases; people only by the duty of its tags.
        g(DepartmentHandler, R::Case, LRW, Dept),
        // Calling the reporter back is part of handling a case; each reveal is audited.
        g(DepartmentHandler, R::ReporterContact, &[Reveal], Dept),
        g(DepartmentHandler, R::Photo, LRW, Dept),
        g(DepartmentHandler, R::Resident, LR, Duty),
        g(DepartmentHandler, R::SensitiveTag, LR, Duty),
        g(DepartmentHandler, R::Department, LR, Subtree),
        g(DepartmentHandler, R::Region, LR, Subtree),
        g(DepartmentHandler, R::Category, LR, Subtree),
        g(DepartmentHandler, R::Calendar, LR, Subtree),
        // 党员志愿者: participation, their own.
        g(Volunteer, R::Participation, LRW, Own),
    ]
};

/// How far `role` may do `verb` to `resource`; None: never.
pub fn reach(role: Role, resource: Resource, verb: Verb) -> Option<Reach> {
    GRANTS
        .iter()
        .find(|g| g.role == role && g.resource == resource && g.verbs.contains(&verb))
        .map(|g| g.reach)
}

/// Whether `role` may ever do `verb` to `resource`.
pub fn allows(role: Role, resource: Resource, verb: Verb) -> bool {
    reach(role, resource, verb).is_some()
}

/// The refusal of a feature the role never has.
pub fn refusal(role: Role, resource: Resource, verb: Verb) -> AppError {
    AppError::NotPermitted(format!(
        "{}不能{}{}",
        role.label(),
        verb.label(),
        resource.label()
    ))
}

/// Asking the policy, for anything that knows whose role it is.
pub trait Ask {
    /// The role asking.
    fn asking_role(&self) -> Role;

    /// The reach for `verb` on `resource`, or the refusal.
    fn may(&self, resource: Resource, verb: Verb) -> Result<Reach, AppError> {
        let role = self.asking_role();
        reach(role, resource, verb).ok_or_else(|| refusal(role, resource, verb))
    }

    /// Whether the policy grants `verb` on `resource` at all (for showing a link or a form).
    fn can(&self, resource: Resource, verb: Verb) -> bool {
        allows(self.asking_role(), resource, verb)
    }
}

impl Ask for Actor {
    fn asking_role(&self) -> Role {
        self.role
    }
}

impl Ask for Principal {
    fn asking_role(&self) -> Role {
        self.actor.role
    }
}

/// What `role` may do to `r`, as the table writes it: the verbs (列 list, 看 read, 改 write,
/// 明 reveal, 导 export) and, when not the subtree, the reach; empty for nothing.
pub fn cell(role: Role, r: Resource) -> String {
    GRANTS
        .iter()
        .filter(|g| g.role == role && g.resource == r)
        .map(|g| {
            let verbs: String = Verb::ALL
                .iter()
                .filter(|v| g.verbs.contains(v))
                .map(|v| v.letter())
                .collect();
            match g.reach {
                Subtree => verbs,
                reach => format!("{verbs}（{}）", reach.label()),
            }
        })
        .collect::<Vec<_>>()
        .join("，")
}

/// What a role may do, in one line of Chinese (for the login page).
pub fn summary(role: Role) -> String {
    Resource::ALL
        .into_iter()
        .map(|r| (r, cell(role, r)))
        .filter(|(_, c)| !c.is_empty())
        .map(|(r, c)| format!("{}：{c}", r.label()))
        .collect::<Vec<_>>()
        .join("；")
}

/// The policy as a Markdown table: one row per resource, one column per role.
pub fn markdown_table() -> String {
    let mut out = String::from("| 记录 |");
    for role in Role::ALL {
        out.push_str(&format!(" {} |", role.label()));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(Role::ALL.len()));
    for r in Resource::ALL {
        out.push_str(&format!("\n| {} |", r.label()));
        for role in Role::ALL {
            out.push_str(&format!(" {} |", cell(role, r)));
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_resource_and_verb_has_at_most_one_reach() {
        for role in Role::ALL {
            for r in Resource::ALL {
                for v in Verb::ALL {
                    let n = GRANTS
                        .iter()
                        .filter(|g| g.role == role && g.resource == r && g.verbs.contains(&v))
                        .count();
                    assert!(n <= 1, "{role:?} {r:?} {v:?} granted {n} times");
                }
            }
        }
    }

    #[test]
    fn the_three_administrators_are_kept_apart() {
        for r in [
            Resource::Case,
            Resource::Resident,
            Resource::SensitiveTag,
            Resource::Place,
            Resource::Visit,
            Resource::Figures,
        ] {
            for admin in [Role::Admin, Role::SecurityAdmin, Role::AuditAdmin] {
                assert!(!allows(admin, r, Verb::Read), "{admin:?} reads {r:?}");
            }
        }
        let audit_only = GRANTS.iter().filter(|g| g.role == Role::AuditAdmin);
        assert!(audit_only.clone().all(|g| g.resource == Resource::Audit));
        assert!(!allows(Role::Admin, Resource::Audit, Verb::List));
        assert!(!allows(Role::Admin, Resource::Grant, Verb::Write));
        assert!(allows(Role::SecurityAdmin, Resource::Grant, Verb::Write));
    }

    #[test]
    fn volunteers_have_only_their_own_participation() {
        let grants: Vec<_> = GRANTS
            .iter()
            .filter(|g| g.role == Role::Volunteer)
            .collect();
        assert!(
            grants
                .iter()
                .all(|g| g.resource == Resource::Participation && g.reach == Own)
        );
    }

    #[test]
    fn departments_see_people_only_by_duty_and_cases_only_their_own() {
        let d = Role::DepartmentHandler;
        assert_eq!(reach(d, Resource::Resident, List), Some(Duty));
        assert_eq!(reach(d, Resource::SensitiveTag, List), Some(Duty));
        assert_eq!(reach(d, Resource::Case, Read), Some(Dept));
        assert_eq!(reach(d, Resource::ReporterContact, Reveal), Some(Dept));
        assert_eq!(reach(d, Resource::PersonalNumbers, Reveal), None);
        assert_eq!(reach(d, Resource::Figures, Read), None);
    }

    #[test]
    fn sensitive_tags_are_listed_only_to_the_grid_community_and_duty() {
        assert!(!allows(
            Role::CommandCentre,
            Resource::SensitiveTag,
            Verb::List
        ));
        for r in [Role::GridWorker, Role::GridLeader, Role::CommunityOfficer] {
            assert_eq!(reach(r, Resource::SensitiveTag, List), Some(Subtree));
        }
    }

    #[test]
    fn full_numbers_are_exported_only_by_the_community() {
        let exporters: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| allows(*r, Resource::PersonalNumbers, Export))
            .collect();
        assert_eq!(exporters, [Role::CommunityOfficer]);
    }

    #[test]
    fn the_readme_shows_the_policy_as_it_is() {
        let readme = include_str!("../../../README.md");
        assert!(
            readme.contains(&markdown_table()),
            "README.md's policy table is out of date; paste in policy::markdown_table():\n{}",
            markdown_table()
        );
    }

    #[test]
    fn the_table_has_a_column_per_role_and_a_row_per_resource() {
        let t = markdown_table();
        assert_eq!(t.lines().count(), 2 + Resource::ALL.len());
        assert!(t.contains("| 居民与户 |"));
        assert!(summary(Role::Volunteer).starts_with("群众参与记录：列看改（本人的）"));
    }
}
