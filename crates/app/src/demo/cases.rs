//! Demo cases: a few hundred over the last sixty days, in every stage, source and category,
//! some of them overdue. Each one's path is worked out by the real workflow rules.

use rand::Rng;
use rand::seq::IndexedRandom;
use shanzhi_domain::case::{Action, Satisfaction, Source};

/// What the demo says happened, by category.
const STORIES: &[(&str, &[(&str, &str)])] = &[
    (
        "0101",
        &[
            (
                "楼上夜间噪音扰民",
                "楼上住户每晚十一点后拖动家具、跑跳，多次沟通无果",
            ),
            (
                "邻里漏水纠纷",
                "楼上卫生间漏水渗到楼下天花板，双方对维修费用有争议",
            ),
        ],
    ),
    (
        "0102",
        &[
            ("物业保洁不到位", "小区垃圾清运不及时，楼道长期未打扫"),
            ("电梯停运", "5栋电梯停运三天，物业迟迟未维修"),
        ],
    ),
    (
        "0103",
        &[("家庭赡养纠纷", "兄妹三人对母亲赡养费分担意见不一")],
    ),
    (
        "0106",
        &[
            ("商户经营占道", "沿街餐馆在人行道摆桌经营，影响通行"),
            ("水果摊占用消防通道", "流动水果摊长期占用小区出入口"),
        ],
    ),
    (
        "0201",
        &[
            ("楼道堆放杂物", "3栋2单元楼道堆放纸箱和旧家具，堵塞消防通道"),
            ("电动车楼道充电", "多户在楼道内给电动车充电，存在火灾隐患"),
        ],
    ),
    (
        "0202",
        &[("燃气管道老化", "老旧小区燃气立管锈蚀，有轻微异味")],
    ),
    (
        "0203",
        &[("外墙瓷砖脱落", "临街楼房外墙瓷砖松动脱落，危及行人")],
    ),
    (
        "03",
        &[
            ("垃圾未及时清运", "小区门口垃圾桶满溢两天未清运"),
            ("绿化带积水发臭", "绿化带排水不畅，积水发臭滋生蚊虫"),
        ],
    ),
    (
        "0401",
        &[("下水道堵塞", "商铺外围下水道堵塞，雨后污水漫溢")],
    ),
    (
        "0402",
        &[("路灯不亮", "巷道路灯连续一周不亮，居民夜间出行不便")],
    ),
    ("0403", &[("井盖缺失", "路口井盖缺失，已用杂物临时遮挡")]),
    (
        "0501",
        &[("独居老人生活困难", "独居老人行动不便，需要助餐和定期探访")],
    ),
    (
        "0502",
        &[(
            "困难家庭申请救助",
            "家庭主要劳动力患病，生活困难，咨询救助办理",
        )],
    ),
    ("0503", &[("医保报销咨询", "异地就医备案和报销流程不清楚")]),
    (
        "0504",
        &[("失业人员求职", "社区失业人员希望参加技能培训和推荐就业")],
    ),
    (
        "0601",
        &[("疑似电信诈骗", "老人接到自称公检法的电话要求转账")],
    ),
    (
        "0701",
        &[("建议增设休闲座椅", "小区广场缺少座椅，老人活动没地方休息")],
    ),
];

/// Report sources, weighted as the field reports describe: mostly found on patrol.
const SOURCES: [Source; 10] = [
    Source::GridPatrol,
    Source::GridPatrol,
    Source::GridPatrol,
    Source::GridPatrol,
    Source::GridPatrol,
    Source::ResidentQr,
    Source::ResidentQr,
    Source::ResidentQr,
    Source::Mobile,
    Source::Hotline,
];

/// One demo case, before it is written.
pub struct DemoCase {
    /// Where it happened (a grid or micro-grid code).
    pub node: String,
    /// Category code.
    pub category: &'static str,
    /// Title.
    pub title: &'static str,
    /// Description.
    pub description: &'static str,
    /// Source.
    pub source: Source,
    /// Hours before now it was reported.
    pub hours_ago: f64,
    /// The steps it went through, in order, each with hours after the report. The writer
    /// stops at the first step the workflow refuses or that would lie in the future.
    pub steps: Vec<(f64, Action)>,
}

/// When demo cases happen and whether some are left stalled.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    /// How many.
    pub count: usize,
    /// Reported between this many hours ago …
    pub from_hours_ago: f64,
    /// … and this many.
    pub to_hours_ago: f64,
    /// Some cases stop part-way (the recent weeks: every stage and overdue ones); older
    /// history runs its course.
    pub stall: bool,
}

/// A deterministic set of demo cases over the given grids.
pub fn generate(grids: &[String], span: Span, rng: &mut impl Rng) -> Vec<DemoCase> {
    let count = span.count;
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let (category, stories) = STORIES[i % STORIES.len()];
        let (title, description) = *stories.choose(rng).unwrap_or(&("其他事项", "其他事项"));
        let mut node = grids[(i * 7 + i / 3) % grids.len()].clone();
        if rng.random_bool(0.4) {
            node.push_str(&format!("{:03}", rng.random_range(1..=4)));
        }
        let hours_ago = rng.random_range(span.to_hours_ago..span.from_hours_ago);
        let mut t = 0.0;
        let mut at = |h: f64, rng: &mut dyn rand::RngCore| {
            t += h * rng.random_range(0.5..1.5);
            t
        };
        let satisfaction = match rng.random_range(0..10) {
            0 => Satisfaction::Dissatisfied,
            1 | 2 => Satisfaction::BasicallySatisfied,
            _ => Satisfaction::Satisfied,
        };
        let mut steps = if rng.random_range(0..30) == 0 {
            vec![(
                at(2.0, rng),
                Action::Reject {
                    reason: "经核实不属于本平台受理范围，已告知反映人".into(),
                },
            )]
        } else {
            vec![
                (at(2.0, rng), Action::Accept),
                (
                    at(1.0, rng),
                    Action::Dispatch {
                        to: shanzhi_domain::case::Tier::Grid,
                    },
                ),
                (at(3.0, rng), Action::Start),
                (
                    at(30.0, rng),
                    Action::Handle {
                        result: "已到现场处置，问题已解决".into(),
                    },
                ),
                (at(12.0, rng), Action::VerifyPass),
                (at(6.0, rng), Action::Close),
                (at(24.0, rng), Action::Rate { satisfaction }),
                (
                    at(48.0, rng),
                    Action::FollowUp {
                        note: "电话回访，反映人对处理结果表示认可".into(),
                    },
                ),
            ]
        };
        // Some cases stall on purpose, so the demo has every stage and overdue ones: most of
        // the last week's, one in ten older ones (as on a real platform, where old cases are
        // mostly done).
        if span.stall && (hours_ago < 24.0 * 7.0 || rng.random_range(0..10) == 0) {
            let keep = rng.random_range(0..=steps.len() + 3).min(steps.len());
            steps.truncate(keep);
        }
        out.push(DemoCase {
            node,
            category,
            title,
            description,
            source: SOURCES[i % SOURCES.len()],
            hours_ago,
            steps,
        });
    }
    out
}
