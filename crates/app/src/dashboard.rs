//! The command dashboard (一屏观全域): for any node in scope and any period, the case figures
//! and rates, 吹哨报到 response, mediation success, patrol coverage and visits, broken down by
//! child node and by category, with the daily trend.

use crate::period::Period;
use crate::policy::{Ask, Resource, Verb};
use crate::regions;
use crate::{App, AppError};
use shanzhi_domain::auth::Actor;
use shanzhi_domain::case::Day;
use shanzhi_domain::figures::{CaseCounts, ratio};
use shanzhi_domain::patrol::next_due;
use shanzhi_store::Exec;
use shanzhi_store::dashboard as store;
use std::collections::{BTreeMap, HashMap};

/// Case counts with their rates, as the API and pages show them.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Figures {
    /// The counts.
    #[serde(flatten)]
    pub counts: CaseCounts,
    /// 处置率.
    pub disposal_rate: Option<f64>,
    /// 按期办结率.
    pub on_time_rate: Option<f64>,
    /// 满意率.
    pub satisfaction_rate: Option<f64>,
}

impl From<CaseCounts> for Figures {
    fn from(counts: CaseCounts) -> Self {
        Figures {
            disposal_rate: counts.disposal_rate(),
            on_time_rate: counts.on_time_rate(),
            satisfaction_rate: counts.satisfaction_rate(),
            counts,
        }
    }
}

/// One child node's figures.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ChildFigures {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Cases reported in the period and what became of them.
    pub figures: Figures,
    /// Cases open now.
    pub open_now: i64,
    /// Of those, past their deadline.
    pub overdue_now: i64,
}

/// One category's figures.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CategoryFigures {
    /// Top-level category code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Figures.
    pub figures: Figures,
}

/// One day of the trend.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TrendDay {
    /// Day (ISO).
    pub day: String,
    /// Cases reported that day.
    pub received: i64,
    /// Cases closed that day.
    pub closed: i64,
}

/// 吹哨报到 in the period.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SummonsFigures {
    /// Departments summoned.
    pub summoned: i64,
    /// Of those, reported in.
    pub reported: i64,
    /// Average minutes to report in.
    pub avg_minutes: Option<f64>,
}

/// Mediations concluded in the period.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MediationFigures {
    /// 调解成功.
    pub settled: i64,
    /// 调解不成, referred on.
    pub referred: i64,
    /// 调解成功率.
    pub success_rate: Option<f64>,
}

/// Patrols against 一日双巡 over the period's finished days.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PatrolFigures {
    /// Grid-days finished in the period.
    pub grid_days: i64,
    /// Of those, meeting the rule.
    pub met: i64,
    /// 巡查覆盖率.
    pub coverage_rate: Option<f64>,
}

/// Visits.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct VisitFigures {
    /// Visits made in the period.
    pub done: i64,
    /// Tagged residents due a visit today (overdue or never visited).
    pub due_now: i64,
}

/// Everything on the dashboard for a node and a period.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Dashboard {
    /// Node code.
    pub code: String,
    /// Node name.
    pub name: String,
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// Cases reported in the period and what became of them.
    pub cases: Figures,
    /// Cases open now, and of those past their deadline.
    pub open_now: i64,
    /// Open now and past the deadline.
    pub overdue_now: i64,
    /// 吹哨报到.
    pub summons: SummonsFigures,
    /// 矛盾纠纷调解.
    pub mediation: MediationFigures,
    /// 巡查.
    pub patrols: PatrolFigures,
    /// 走访.
    pub visits: VisitFigures,
    /// Per child node (empty for a grid).
    pub children: Vec<ChildFigures>,
    /// Per top-level category.
    pub categories: Vec<CategoryFigures>,
    /// Every day of the period.
    pub trend: Vec<TrendDay>,
}

/// The dashboard of `code` (in the actor's scope) for `period`.
pub async fn dashboard(
    state: &App,
    actor: &Actor,
    code: &str,
    period: Period,
) -> Result<Dashboard, AppError> {
    actor.may(Resource::Figures, Verb::Read)?;
    let node = regions::visible(state, actor, code).await?;
    let child_len = node.level().child().map(|l| l.code_len());
    let ms = period.bounds_ms();
    let days = period.day_numbers();
    let now = state.now_ms();
    let mut conn = state.store().conn().await?;
    let tally = store::area_tally(&mut conn, &node.code, days).await?;
    let open = store::open_cases(
        &mut conn,
        &node.code,
        child_len.unwrap_or(node.code.len()),
        ms,
        now,
    )
    .await?;
    let mut total = CaseCounts::default();
    let mut by_category: BTreeMap<&str, CaseCounts> = BTreeMap::new();
    for t in &tally {
        total.add(&t.reported);
        by_category.entry(&t.category).or_default().add(&t.reported);
    }
    let (mut open_now, mut overdue_now) = (0, 0);
    for o in &open {
        total.overdue += o.reported_overdue;
        open_now += o.open;
        overdue_now += o.overdue;
        if o.reported_overdue > 0 {
            by_category.entry(&o.category).or_default().overdue += o.reported_overdue;
        }
    }
    let children = match child_len {
        Some(len) => children(&mut conn, &node.code, len, days, &open).await?,
        None => Vec::new(),
    };
    let names: HashMap<String, String> = shanzhi_store::cases::categories(&mut conn)
        .await?
        .into_iter()
        .map(|c| (c.code, c.name))
        .collect();
    let categories = by_category
        .into_iter()
        .filter(|(_, c)| *c != CaseCounts::default())
        .map(|(code, c)| CategoryFigures {
            name: names.get(code).cloned().unwrap_or_else(|| code.to_owned()),
            code: code.to_owned(),
            figures: c.into(),
        })
        .collect();
    let trend = trend(period, &tally);
    let (summoned, reported, avg_minutes) =
        store::summons_response(&mut conn, &node.code, ms).await?;
    let outcomes = shanzhi_store::disputes::outcomes_by_area(
        &mut conn,
        &node.code,
        node.code.len(),
        ms.0,
        ms.1,
    )
    .await?;
    let (settled, referred) = outcomes
        .iter()
        .fold((0, 0), |(s, r), a| (s + a.settled, r + a.referred));
    let today = Day::of(now);
    let patrols = patrol_figures(&mut conn, &node.code, period, today).await?;
    let visits = VisitFigures {
        done: store::visits_done(
            &mut conn,
            &node.code,
            &period.from.to_string(),
            &period.to.to_string(),
        )
        .await?,
        due_now: store::visits_due(&mut conn, &node.code, &today.to_string()).await?,
    };
    Ok(Dashboard {
        code: node.code.clone(),
        name: node.name.clone(),
        from: period.from.to_string(),
        to: period.to.to_string(),
        cases: total.into(),
        open_now,
        overdue_now,
        summons: SummonsFigures {
            summoned,
            reported,
            avg_minutes,
        },
        mediation: MediationFigures {
            settled,
            referred,
            success_rate: ratio(settled, settled + referred),
        },
        patrols,
        visits,
        children,
        categories,
        trend,
    })
}

/// 一日双巡 over the period's finished days (today still runs): every grid under `area` on
/// each such day, against the grid-days tallied as met when their patrols ended.
async fn patrol_figures(
    ex: &mut impl Exec,
    area: &str,
    period: Period,
    today: Day,
) -> Result<PatrolFigures, AppError> {
    let last = period.to.min(today.plus(-1));
    if last < period.from {
        return Ok(PatrolFigures {
            grid_days: 0,
            met: 0,
            coverage_rate: None,
        });
    }
    let grids = shanzhi_store::regions::count_grids(ex, area).await?;
    let grid_days = grids * (last.since(period.from) + 1);
    let met =
        shanzhi_store::patrols::days_met(ex, area, &period.from.to_string(), &last.to_string())
            .await?;
    Ok(PatrolFigures {
        grid_days,
        met,
        coverage_rate: ratio(met, grid_days),
    })
}

async fn children(
    ex: &mut impl Exec,
    root: &str,
    len: usize,
    days: (i64, i64),
    open: &[store::OpenCases],
) -> Result<Vec<ChildFigures>, AppError> {
    let nodes = shanzhi_store::regions::children(ex, Some(root)).await?;
    let mut counts: HashMap<String, CaseCounts> = store::child_tallies(ex, root, len, days)
        .await?
        .into_iter()
        .collect();
    let mut open_by_child: HashMap<&str, (i64, i64)> = HashMap::new();
    for o in open {
        let e = open_by_child.entry(&o.child).or_default();
        e.0 += o.open;
        e.1 += o.overdue;
        counts.entry(o.child.clone()).or_default().overdue += o.reported_overdue;
    }
    Ok(nodes
        .into_iter()
        .map(|n| {
            let (open_now, overdue_now) = open_by_child
                .get(n.code.as_str())
                .copied()
                .unwrap_or_default();
            ChildFigures {
                figures: counts.get(&n.code).copied().unwrap_or_default().into(),
                open_now,
                overdue_now,
                code: n.code,
                name: n.name,
            }
        })
        .collect())
}

/// Every day of the period: cases reported and cases closed.
fn trend(period: Period, tally: &[store::DayTally]) -> Vec<TrendDay> {
    let mut by_day: HashMap<i64, (i64, i64)> = HashMap::new();
    for t in tally {
        let e = by_day.entry(t.day).or_default();
        e.0 += t.reported.received;
        e.1 += t.closed_on;
    }
    period
        .days()
        .map(|d| {
            let (received, closed) = by_day.get(&d.number()).copied().unwrap_or_default();
            TrendDay {
                day: d.to_string(),
                received,
                closed,
            }
        })
        .collect()
}

/// What was still open under a node at the end of a month that has ended, taken from the
/// case timeline and the deadline history rather than from the cases as they stand today.
#[derive(Debug, Clone, Default)]
pub struct MonthEnd {
    /// Cases open at the month's last moment.
    pub open: i64,
    /// Of those, past the deadline they had then.
    pub overdue: i64,
    /// Per child node: (open, overdue).
    pub by_child: HashMap<String, (i64, i64)>,
    /// Tagged residents due a visit on the month's last day.
    pub visits_due: i64,
}

/// The month-end figures of `code` (in the actor's scope) for a period that has ended.
pub async fn month_end(
    state: &App,
    actor: &Actor,
    code: &str,
    period: Period,
) -> Result<MonthEnd, AppError> {
    actor.may(Resource::Figures, Verb::Read)?;
    let node = regions::visible(state, actor, code).await?;
    let child_len = node
        .level()
        .child()
        .map_or(node.code.len(), |l| l.code_len());
    let end = period.bounds_ms().1;
    let mut conn = state.store().conn().await?;
    let mut out = MonthEnd::default();
    for o in store::open_at(&mut conn, &node.code, child_len, end).await? {
        out.open += o.open;
        out.overdue += o.overdue;
        out.by_child.insert(o.child, (o.open, o.overdue));
    }
    let last = period.to;
    out.visits_due = store::visit_duty_on(&mut conn, &node.code, &last.to_string(), end)
        .await?
        .into_iter()
        .filter(|(every, visited)| {
            let visited = visited.as_deref().and_then(Day::parse);
            let every = u32::try_from(*every).unwrap_or(0);
            visited.is_none_or(|v| next_due(Some(v), v, every) <= last)
        })
        .count() as i64;
    Ok(out)
}

/// What the wall screen lists beside the figures: the open cases longest past their deadline,
/// and the latest steps on cases (the live feed's first lines).
#[derive(Debug, Clone, Default)]
pub struct Wall {
    /// Overdue open cases, the longest overdue first.
    pub overdue: Vec<shanzhi_store::cases::CaseRow>,
    /// The latest steps, newest first.
    pub recent: Vec<shanzhi_store::cases::RecentStep>,
}

/// Lines on each of the wall screen's lists.
const WALL_LINES: u32 = 12;

/// The wall screen's lists for a node the actor sees (cases it may list).
pub async fn wall(state: &App, actor: &Actor, node: &str) -> Result<Wall, AppError> {
    actor.may(Resource::Figures, Verb::Read)?;
    actor.may(Resource::Case, Verb::List)?;
    let node = regions::visible(state, actor, node).await?;
    let now = state.now_ms();
    let mut conn = state.store().conn().await?;
    let overdue =
        shanzhi_store::cases::overdue_oldest(&mut conn, &node.code, now, WALL_LINES).await?;
    // A week back at most: the list is what just happened, and the scan stays short.
    let recent =
        shanzhi_store::cases::recent_steps(&mut conn, &node.code, now - 7 * 86_400_000, WALL_LINES)
            .await?;
    Ok(Wall { overdue, recent })
}
