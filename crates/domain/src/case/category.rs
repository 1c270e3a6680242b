//! The category list (事项清单): what kinds of matters there are, who handles each by default,
//! how long accepting and handling may take, and whether it is on the grid duty list.

use super::calendar::Clock;
use super::workflow::Tier;

/// One category as shipped with a new deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategorySpec {
    /// Code: two digits per level (`01`, `0101`).
    pub code: &'static str,
    /// Name.
    pub name: &'static str,
    /// Default holder when a case of this kind comes in.
    pub tier: Tier,
    /// The kind of department that usually handles it (派出所、城管 …), if any.
    pub department_kind: Option<&'static str>,
    /// Hours allowed to accept (受理时限).
    pub accept_hours: u32,
    /// Hours allowed to handle (办理时限).
    pub handle_hours: u32,
    /// On the grid duty list (网格职责清单): may be handled by a grid at all.
    pub grid_duty: bool,
    /// A dispute (矛盾纠纷), handled with mediation.
    pub dispute: bool,
}

impl CategorySpec {
    /// The parent's code (None for top-level categories).
    pub fn parent(&self) -> Option<&'static str> {
        (self.code.len() > 2).then(|| &self.code[..self.code.len() - 2])
    }

    /// The clock its deadlines run on: disputes, services for people and other requests are
    /// counted in working days; hazards, sanitation, facilities and public order around the
    /// clock, because they do not wait for Monday.
    pub fn clock(&self) -> Clock {
        match &self.code[..2] {
            "01" | "05" | "07" => Clock::Working,
            _ => Clock::Natural,
        }
    }
}

const fn cat(
    code: &'static str,
    name: &'static str,
    tier: Tier,
    department_kind: Option<&'static str>,
    (accept_hours, handle_hours): (u32, u32),
    grid_duty: bool,
    dispute: bool,
) -> CategorySpec {
    CategorySpec {
        code,
        name,
        tier,
        department_kind,
        accept_hours,
        handle_hours,
        grid_duty,
        dispute,
    }
}

use Tier::{Community, District, Grid, Street};

/// The standard list a deployment starts with; administrators adjust it.
pub const STANDARD: [CategorySpec; 29] = [
    cat("01", "矛盾纠纷", Community, None, (24, 168), true, true),
    cat("0101", "邻里纠纷", Grid, None, (24, 72), true, true),
    cat("0102", "物业纠纷", Community, None, (24, 120), true, true),
    cat(
        "0103",
        "婚姻家庭纠纷",
        Community,
        None,
        (24, 120),
        true,
        true,
    ),
    cat(
        "0104",
        "土地纠纷",
        Street,
        Some("司法所"),
        (24, 240),
        false,
        true,
    ),
    cat(
        "0105",
        "劳资纠纷",
        Street,
        Some("人社"),
        (24, 168),
        false,
        true,
    ),
    cat(
        "0106",
        "经营占道纠纷",
        Grid,
        Some("城管"),
        (24, 72),
        true,
        true,
    ),
    cat("02", "安全隐患", Grid, None, (4, 48), true, false),
    cat("0201", "消防通道堵塞", Grid, None, (4, 24), true, false),
    cat(
        "0202",
        "燃气安全",
        District,
        Some("消防"),
        (1, 8),
        false,
        false,
    ),
    cat("0203", "危房", Street, Some("住建"), (4, 48), false, false),
    cat(
        "0204",
        "森林防火",
        District,
        Some("消防"),
        (1, 4),
        false,
        false,
    ),
    cat("03", "环境卫生", Grid, None, (24, 48), true, false),
    cat(
        "04",
        "市政设施",
        District,
        Some("城管"),
        (24, 72),
        false,
        false,
    ),
    cat(
        "0401",
        "下水道堵塞",
        District,
        Some("城管"),
        (24, 72),
        false,
        false,
    ),
    cat(
        "0402",
        "路灯损坏",
        District,
        Some("城管"),
        (24, 72),
        false,
        false,
    ),
    cat(
        "0403",
        "井盖缺失",
        District,
        Some("城管"),
        (2, 24),
        false,
        false,
    ),
    cat("05", "民生服务", Community, None, (24, 120), true, false),
    cat("0501", "养老服务", Community, None, (24, 120), true, false),
    cat(
        "0502",
        "困难救助",
        District,
        Some("民政"),
        (24, 72),
        false,
        false,
    ),
    cat(
        "0503",
        "医疗保障",
        District,
        Some("医保"),
        (24, 120),
        false,
        false,
    ),
    cat("0504", "就业服务", Community, None, (24, 168), true, false),
    cat("06", "治安", Street, Some("派出所"), (2, 24), false, false),
    cat(
        "0601",
        "反诈宣传与预警",
        Street,
        Some("派出所"),
        (2, 24),
        false,
        false,
    ),
    cat(
        "0602",
        "禁毒",
        Street,
        Some("派出所"),
        (2, 24),
        false,
        false,
    ),
    cat("07", "其他", Community, None, (24, 72), true, false),
    cat("0701", "意见建议", Community, None, (24, 120), true, false),
    cat("0702", "政策咨询", Community, None, (24, 72), true, false),
    cat("0703", "其他事项", Community, None, (24, 72), true, false),
];

/// The words residents and staff use for each standard category, space-separated: what a
/// new district's suggestions start from before it has closed cases of its own.
pub fn keywords(code: &str) -> &'static str {
    match code {
        "01" => "纠纷 矛盾 吵架 争执 调解",
        "0101" => "邻居 噪音 扰民 漏水 吵闹 楼上 楼下 装修 占用公共 宠物 狗",
        "0102" => "物业 物业费 保洁 电梯 停车位 维修基金 业委会 垃圾清运不及时",
        "0103" => "婚姻 离婚 家暴 赡养 抚养 老人 子女 夫妻 遗产",
        "0104" => "土地 宅基地 承包地 林地 地界 征地 田地",
        "0105" => "工资 欠薪 拖欠 劳务费 讨薪 老板 工地 劳动合同 社保",
        "0106" => "占道 摆摊 摊贩 商户 门前 经营 流动摊 夜市 人行道",
        "02" => "安全隐患 隐患 危险",
        "0201" => "消防通道 堵塞 楼道 杂物 电动车 充电 飞线 安全出口 消防栓",
        "0202" => "燃气 煤气 天然气 液化气 气罐 漏气 异味 管道",
        "0203" => "危房 裂缝 墙体 倾斜 外墙 脱落 坍塌 房屋",
        "0204" => "森林 山火 烧荒 野外用火 林区 防火 烧纸 秸秆",
        "03" => "垃圾 卫生 清运 脏乱 臭 污水 蚊虫 老鼠 绿化 乱倒",
        "04" => "市政 道路 设施 破损",
        "0401" => "下水道 排水 堵塞 污水 返水 积水 化粪池 管道",
        "0402" => "路灯 不亮 灯 照明 黑",
        "0403" => "井盖 缺失 破损 窨井 下陷",
        "05" => "民生 服务 办事",
        "0501" => "养老 老人 独居 助餐 探访 护理 高龄",
        "0502" => "困难 救助 低保 特困 临时救助 生活困难",
        "0503" => "医保 报销 看病 住院 就医 备案 医疗",
        "0504" => "就业 失业 找工作 培训 招聘 求职",
        "06" => "治安 打架 偷盗 盗窃 可疑",
        "0601" => "诈骗 电信诈骗 转账 冒充 公检法 刷单 骗",
        "0602" => "吸毒 毒品 禁毒 可疑人员",
        "07" => "其他",
        "0701" => "建议 希望 增设 座椅 意见",
        "0702" => "政策 咨询 怎么办 流程 申请",
        "0703" => "其他事项",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_list_is_a_consistent_tree() {
        for c in STANDARD {
            if let Some(p) = c.parent() {
                let parent = STANDARD
                    .iter()
                    .find(|x| x.code == p)
                    .unwrap_or_else(|| panic!("{} has no parent", c.code));
                assert_eq!(
                    parent.dispute, c.dispute,
                    "{} and its parent agree on being a dispute",
                    c.code
                );
            }
            // Grid-level defaults only for matters a grid may handle at all.
            assert!(c.tier != Tier::Grid || c.grid_duty, "{}", c.code);
            assert!(
                c.accept_hours > 0 && c.accept_hours < c.handle_hours,
                "{}",
                c.code
            );
        }
        let names: Vec<_> = STANDARD.iter().map(|c| c.name).collect();
        for must in [
            "邻里纠纷",
            "物业纠纷",
            "婚姻家庭纠纷",
            "土地纠纷",
            "劳资纠纷",
            "经营占道纠纷",
            "消防通道堵塞",
            "燃气安全",
            "危房",
            "森林防火",
            "环境卫生",
            "下水道堵塞",
            "路灯损坏",
            "井盖缺失",
            "养老服务",
            "困难救助",
            "医疗保障",
            "就业服务",
            "反诈宣传与预警",
            "禁毒",
            "其他",
        ] {
            assert!(names.contains(&must), "{must}");
        }
        let mut codes: Vec<_> = STANDARD.iter().map(|c| c.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), STANDARD.len());
    }
}
