//! The command dashboard (一屏观全域): for any node in scope and any period, the case figures
//! and rates, 吹哨报到 response, mediation success, patrol coverage and visits, broken down by
//! child node and by category, with the daily trend.

use crate::auth::Actor;
use crate::services::patrols;
use crate::services::period::Period;
use crate::services::regions;
use crate::{ApiError, AppState};
use shanzhi_domain::case::Day;
use shanzhi_domain::figures::{CaseCounts, ratio};
use shanzhi_domain::patrol::DailyRule;
use shanzhi_store::dashboard::{self as store, Group};
use shanzhi_store::{Exec, now_ms};
use std::collections::HashMap;

/// Case counts with their rates, as the API and pages show them.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CategoryFigures {
    /// Top-level category code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Figures.
    pub figures: Figures,
}

/// One day of the trend.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TrendDay {
    /// Day (ISO).
    pub day: String,
    /// Cases reported that day.
    pub received: i64,
    /// Cases closed that day.
    pub closed: i64,
}

/// 吹哨报到 in the period.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SummonsFigures {
    /// Departments summoned.
    pub summoned: i64,
    /// Of those, reported in.
    pub reported: i64,
    /// Average minutes to report in.
    pub avg_minutes: Option<f64>,
}

/// Mediations concluded in the period.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct MediationFigures {
    /// 调解成功.
    pub settled: i64,
    /// 调解不成, referred on.
    pub referred: i64,
    /// 调解成功率.
    pub success_rate: Option<f64>,
}

/// Patrols against 一日双巡 over the period's finished days.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PatrolFigures {
    /// Grid-days finished in the period.
    pub grid_days: i64,
    /// Of those, meeting the rule.
    pub met: i64,
    /// 巡查覆盖率.
    pub coverage_rate: Option<f64>,
}

/// Visits.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct VisitFigures {
    /// Visits made in the period.
    pub done: i64,
    /// Tagged residents due a visit today (overdue or never visited).
    pub due_now: i64,
}

/// Everything on the dashboard for a node and a period.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
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
    state: &AppState,
    actor: &Actor,
    code: &str,
    period: Period,
) -> Result<Dashboard, ApiError> {
    let node = regions::visible(state, actor, code).await?;
    let child_len = node.level().child().map(|l| l.code_len());
    let ms = period.bounds_ms();
    let now = now_ms();
    let mut conn = state.store().conn().await?;
    let total = store::case_counts(&mut conn, &node.code, ms, now, Group::Total)
        .await?
        .pop()
        .map(|(_, c)| c)
        .unwrap_or_default();
    let open = store::open_by_child(&mut conn, &node.code, node.code.len(), now).await?;
    let (open_now, overdue_now) = open.first().map_or((0, 0), |o| (o.1, o.2));
    let children = match child_len {
        Some(len) => children(&mut conn, &node.code, len, ms, now).await?,
        None => Vec::new(),
    };
    let names: HashMap<String, String> = shanzhi_store::cases::categories(&mut conn)
        .await?
        .into_iter()
        .map(|c| (c.code, c.name))
        .collect();
    let categories = store::case_counts(&mut conn, &node.code, ms, now, Group::Category)
        .await?
        .into_iter()
        .map(|(code, c)| CategoryFigures {
            name: names.get(&code).cloned().unwrap_or_else(|| code.clone()),
            code,
            figures: c.into(),
        })
        .collect();
    let trend = trend(&mut conn, &node.code, period, ms, now).await?;
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
    let coverage = patrols::coverage(&mut conn, &node.code, period, &DailyRule::default()).await?;
    let today = Day::of(now).to_string();
    let finished: Vec<_> = coverage.iter().filter(|g| g.day < today).collect();
    let met = finished.iter().filter(|g| g.counted >= g.needed).count() as i64;
    let visits = VisitFigures {
        done: store::visits_done(
            &mut conn,
            &node.code,
            &period.from.to_string(),
            &period.to.to_string(),
        )
        .await?,
        due_now: store::visits_due(&mut conn, &node.code, &today).await?,
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
        patrols: PatrolFigures {
            grid_days: finished.len() as i64,
            met,
            coverage_rate: ratio(met, finished.len() as i64),
        },
        visits,
        children,
        categories,
        trend,
    })
}

async fn children(
    ex: &mut impl Exec,
    root: &str,
    len: usize,
    ms: (i64, i64),
    now: i64,
) -> Result<Vec<ChildFigures>, ApiError> {
    let nodes = shanzhi_store::regions::children(ex, Some(root)).await?;
    let counts: HashMap<String, CaseCounts> =
        store::case_counts(ex, root, ms, now, Group::Child(len))
            .await?
            .into_iter()
            .collect();
    let open: HashMap<String, (i64, i64)> = store::open_by_child(ex, root, len, now)
        .await?
        .into_iter()
        .map(|(k, o, d)| (k, (o, d)))
        .collect();
    Ok(nodes
        .into_iter()
        .map(|n| {
            let (open_now, overdue_now) = open.get(&n.code).copied().unwrap_or_default();
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

async fn trend(
    ex: &mut impl Exec,
    root: &str,
    period: Period,
    ms: (i64, i64),
    now: i64,
) -> Result<Vec<TrendDay>, ApiError> {
    let received: HashMap<String, i64> = store::case_counts(ex, root, ms, now, Group::Day)
        .await?
        .into_iter()
        .map(|(k, c)| (k, c.received))
        .collect();
    let closed: HashMap<String, i64> = store::closed_by_day(ex, root, ms)
        .await?
        .into_iter()
        .collect();
    Ok(period
        .days()
        .map(|d| {
            let key = d.since(Day::of(0)).to_string();
            TrendDay {
                day: d.to_string(),
                received: received.get(&key).copied().unwrap_or(0),
                closed: closed.get(&key).copied().unwrap_or(0),
            }
        })
        .collect())
}
