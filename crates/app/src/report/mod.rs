//! The monthly report (月报) of a node: the dashboard's figures, tables per child node and per
//! category, the grid workers' ranking and the daily trend — laid out once as sections of
//! tables, then written as xlsx ([`xlsx`]) and PDF ([`pdf`]), both in-process.

pub mod pdf;
pub mod xlsx;

use crate::assessment::{self, MonthAssessment};
use crate::dashboard::{self, Dashboard, TrendDay};
use crate::period::Period;
use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError};
use shanzhi_domain::auth::Actor;
use shanzhi_domain::figures::{minutes_text, percent};

/// A table of the report: a title, column heads, rows of text.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Section title.
    pub title: String,
    /// Column heads.
    pub heads: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
}

/// A month's report, ready to write.
#[derive(Debug, Clone)]
pub struct MonthlyReport {
    /// `港北区 2026-10 网格化服务管理月报`.
    pub title: String,
    /// The period in words.
    pub period: String,
    /// The tables, in order.
    pub tables: Vec<Table>,
    /// The daily trend.
    pub trend: Vec<TrendDay>,
    /// File name stem: `港北区-2026-10-月报`.
    pub file_stem: String,
}

/// How many of the ranking the report lists.
const RANKED: usize = 30;

fn s(v: impl ToString) -> String {
    v.to_string()
}

/// Gathers the month's report of `code` (in the actor's scope).
pub async fn monthly(
    state: &App,
    actor: &Actor,
    code: &str,
    month: &str,
) -> Result<MonthlyReport, AppError> {
    actor.may(Resource::Figures, Verb::Export)?;
    let today = state.clock().today();
    let period = Period::month(month, today)?;
    let month = period.from.to_string()[..7].to_owned();
    let mut d = dashboard::dashboard(state, actor, code, period).await?;
    let a = assessment::month(state, actor, code, &month).await?;
    // A month that has ended reports what was open at its end; the month under way, today.
    let ended = period.to < today;
    if ended {
        let end = dashboard::month_end(state, actor, code, period).await?;
        d.open_now = end.open;
        d.overdue_now = end.overdue;
        d.visits.due_now = end.visits_due;
        for ch in &mut d.children {
            (ch.open_now, ch.overdue_now) = end.by_child.get(&ch.code).copied().unwrap_or_default();
        }
    }
    Ok(build(&d, &a, &month, ended))
}

/// Lays the figures out as the report's tables. `ended`: the month is over, and the open
/// cases and visits due are those of its end (otherwise of today).
pub fn build(d: &Dashboard, a: &MonthAssessment, month: &str, ended: bool) -> MonthlyReport {
    let (open_label, due_label) = if ended {
        ("月末在办", "月末待走访")
    } else {
        ("当前在办", "当前待走访")
    };
    let c = &d.cases;
    let summary = Table {
        title: "一、主要指标".into(),
        heads: vec![s("指标"), s("数值"), s("说明")],
        rows: vec![
            vec![
                s("事件受理"),
                s(c.counts.received),
                format!("不予受理 {}", c.counts.rejected),
            ],
            vec![
                s("办结"),
                s(c.counts.closed),
                format!("处置率 {}", percent(c.disposal_rate)),
            ],
            vec![
                s("按期办结率"),
                percent(c.on_time_rate),
                format!("超期 {}", c.counts.overdue),
            ],
            vec![
                s("满意率"),
                percent(c.satisfaction_rate),
                format!("已评价 {}", c.counts.rated),
            ],
            vec![
                s(open_label),
                s(d.open_now),
                format!("其中超期 {}", d.overdue_now),
            ],
            vec![
                s("矛盾纠纷调解成功率"),
                percent(d.mediation.success_rate),
                format!(
                    "成功 {}，未成 {}",
                    d.mediation.settled, d.mediation.referred
                ),
            ],
            vec![
                s("吹哨报到平均响应"),
                minutes_text(d.summons.avg_minutes),
                format!("召集 {}，报到 {}", d.summons.summoned, d.summons.reported),
            ],
            vec![
                s("巡查覆盖率（一日双巡）"),
                percent(d.patrols.coverage_rate),
                format!("达标 {} / {} 网格日", d.patrols.met, d.patrols.grid_days),
            ],
            vec![
                s("走访"),
                s(d.visits.done),
                format!("{due_label} {} 人", d.visits.due_now),
            ],
        ],
    };
    let children = Table {
        title: "二、下级区域".into(),
        heads: [
            "区域",
            "受理",
            "办结",
            "处置率",
            "按期办结率",
            "满意率",
            open_label,
            "其中超期",
        ]
        .map(s)
        .to_vec(),
        rows: d
            .children
            .iter()
            .map(|ch| {
                vec![
                    ch.name.clone(),
                    s(ch.figures.counts.received),
                    s(ch.figures.counts.closed),
                    percent(ch.figures.disposal_rate),
                    percent(ch.figures.on_time_rate),
                    percent(ch.figures.satisfaction_rate),
                    s(ch.open_now),
                    s(ch.overdue_now),
                ]
            })
            .collect(),
    };
    let categories = Table {
        title: "三、事件类别".into(),
        heads: ["类别", "受理", "办结", "处置率", "满意率"].map(s).to_vec(),
        rows: d
            .categories
            .iter()
            .map(|cat| {
                vec![
                    cat.name.clone(),
                    s(cat.figures.counts.received),
                    s(cat.figures.counts.closed),
                    percent(cat.figures.disposal_rate),
                    percent(cat.figures.satisfaction_rate),
                ]
            })
            .collect(),
    };
    let ranking = Table {
        title: format!("四、网格员考评（前 {RANKED} 名）"),
        heads: [
            "名次",
            "网格员",
            "网格",
            "得分",
            "巡查覆盖",
            "走访完成",
            "群众评价",
            "红旗",
        ]
        .map(s)
        .to_vec(),
        rows: a
            .workers
            .iter()
            .take(RANKED)
            .enumerate()
            .map(|(i, w)| {
                let part = |name: &str| {
                    w.score
                        .parts
                        .iter()
                        .find(|p| p.name == name)
                        .and_then(|p| p.score)
                        .map_or_else(|| s("—"), |v| format!("{v:.1}"))
                };
                vec![
                    s(i + 1),
                    w.name.clone(),
                    w.grid_name.clone(),
                    format!("{:.1}", w.score.total),
                    part("巡查覆盖"),
                    part("走访完成"),
                    part("群众评价"),
                    if w.red_flag {
                        s("红旗网格员")
                    } else {
                        String::new()
                    },
                ]
            })
            .collect(),
    };
    MonthlyReport {
        title: format!("{} {month} 网格化服务管理月报", d.name),
        period: format!("统计期间：{} 至 {}", d.from, d.to),
        tables: vec![summary, children, categories, ranking],
        trend: d.trend.clone(),
        file_stem: format!("{}-{month}-月报", d.name),
    }
}
