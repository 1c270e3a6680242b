//! The command dashboard page (一屏观全域): figures for a node and a period, a map of its
//! children coloured by open cases or overdue share (click to drill down), the daily trend, the
//! breakdowns, and a live feed of case changes. Laid out for a 1920×1080 wall screen; stacks on
//! a phone.

use super::charts::trend_svg;
use super::map::{child_shapes, svg};
use super::{Chrome, PageError, beijing, render};
use crate::WebState;
use crate::api::dashboard::DashboardQuery;
use crate::auth::{PageUser, csrf_token};
use crate::pages::Query;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shanzhi_app::dashboard::{self as svc, Dashboard};
use shanzhi_app::policy::{Ask, Resource, Verb};
use shanzhi_domain::figures::{minutes_text, percent};
use std::collections::HashMap;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/dashboard", get(show))
        .route("/dashboard/report", get(report))
}

/// A figure tile.
struct Tile {
    id: &'static str,
    label: &'static str,
    value: String,
    note: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    style: &'static str,
    chrome: Chrome,
    d: Dashboard,
    tiles: Vec<Tile>,
    map: Option<String>,
    trend: String,
    /// What the map's colours mean.
    legend: String,
    /// Overdue open cases, longest overdue first: (id, title, stage, how late, light class).
    overdue: Vec<(i64, String, &'static str, String, &'static str)>,
    /// The latest steps, newest first: (time, case id, what happened).
    recent: Vec<(String, i64, String)>,
    /// Per child: code, name, received, disposal, on time, satisfaction, open, overdue.
    rows: Vec<[String; 8]>,
    /// Warnings in force with households to call: (notice id, badge, badge class, title,
    /// reached, to call, late).
    calls: Vec<(i64, String, &'static str, String, i64, i64, bool)>,
    categories: Vec<(String, i64, String, String)>,
    by_overdue: bool,
    /// The same view coloured the other way.
    toggle: String,
    query: String,
    month: String,
    days: i64,
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    #[serde(flatten)]
    q: DashboardQuery,
    /// `overdue` colours the map by the overdue share instead of open cases.
    color: Option<String>,
}

fn tiles(d: &Dashboard) -> Vec<Tile> {
    let c = &d.cases;
    let tile = |id, label, value: String, note: String| Tile {
        id,
        label,
        value,
        note,
    };
    vec![
        tile(
            "t-received",
            "事件受理",
            c.counts.received.to_string(),
            format!("办结 {}", c.counts.closed),
        ),
        tile(
            "t-disposal",
            "处置率",
            percent(c.disposal_rate),
            format!("不予受理 {}", c.counts.rejected),
        ),
        tile(
            "t-ontime",
            "按期办结率",
            percent(c.on_time_rate),
            format!("超期 {}", c.counts.overdue),
        ),
        tile(
            "t-satisfaction",
            "满意率",
            percent(c.satisfaction_rate),
            format!("已评价 {}", c.counts.rated),
        ),
        tile(
            "t-open",
            "在办事件",
            d.open_now.to_string(),
            format!("其中超期 {}", d.overdue_now),
        ),
        tile(
            "t-mediation",
            "调解成功率",
            percent(d.mediation.success_rate),
            format!(
                "成功 {} · 未成 {}",
                d.mediation.settled, d.mediation.referred
            ),
        ),
        tile(
            "t-summons",
            "吹哨报到平均响应",
            minutes_text(d.summons.avg_minutes),
            format!("召集 {} · 报到 {}", d.summons.summoned, d.summons.reported),
        ),
        tile(
            "t-patrol",
            "巡查覆盖率",
            percent(d.patrols.coverage_rate),
            format!("达标 {} / {} 网格日", d.patrols.met, d.patrols.grid_days),
        ),
        tile(
            "t-visits",
            "走访",
            d.visits.done.to_string(),
            format!("待走访 {} 人", d.visits.due_now),
        ),
    ]
}

async fn show(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Query(pq): Query<PageQuery>,
) -> Result<(CookieJar, Response), PageError> {
    let period = pq.q.period(state.clock().today())?;
    let code = p.node_or_own(pq.q.node.as_deref())?;
    let d = svc::dashboard(&state, &p.actor, &code, period).await?;
    let by_overdue = pq.color.as_deref() == Some("overdue");
    // Links keep the period and the colouring while drilling down.
    let period_query = match pq.q.month.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => format!("month={m}"),
        None => format!("from={}&to={}", d.from, d.to),
    };
    let (query, toggle) = if by_overdue {
        (
            format!("{period_query}&color=overdue"),
            format!("/dashboard?node={}&{period_query}", d.code),
        )
    } else {
        (
            period_query.clone(),
            format!("/dashboard?node={}&{period_query}&color=overdue", d.code),
        )
    };
    let (node, kids) = shanzhi_app::regions::with_children(&state, &p.actor, &d.code).await?;
    let mut parsed = Vec::with_capacity(kids.len());
    for k in &kids {
        parsed.push(shanzhi_app::regions::outline(k)?);
    }
    let figures: HashMap<&str, &svc::ChildFigures> =
        d.children.iter().map(|c| (c.code.as_str(), c)).collect();
    let value = |code: &str| {
        figures.get(code).map_or(0, |c| {
            if by_overdue {
                // Percent of open cases past their deadline.
                (c.overdue_now * 100).checked_div(c.open_now).unwrap_or(0)
            } else {
                c.open_now
            }
        })
    };
    let shapes = child_shapes(&d.name, &kids, &parsed, value, |k| {
        figures.get(k.code.as_str()).map_or(k.name.clone(), |c| {
            format!("{}：在办 {}，超期 {}", k.name, c.open_now, c.overdue_now)
        })
    });
    let outline = shanzhi_app::regions::outline(&node)?;
    let map = svg(outline.as_ref(), &shapes, |c| {
        format!("/dashboard?node={c}&{query}")
    });
    let rows = d
        .children
        .iter()
        .map(|c| {
            [
                c.code.clone(),
                c.name.clone(),
                c.figures.counts.received.to_string(),
                percent(c.figures.disposal_rate),
                percent(c.figures.on_time_rate),
                percent(c.figures.satisfaction_rate),
                c.open_now.to_string(),
                c.overdue_now.to_string(),
            ]
        })
        .collect();
    let categories = d
        .categories
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                c.figures.counts.received,
                percent(c.figures.disposal_rate),
                percent(c.figures.satisfaction_rate),
            )
        })
        .collect();
    let highest = kids.iter().map(|k| value(&k.code)).max().unwrap_or(0);
    let legend = if by_overdue {
        format!("颜色越深，超期占比越高（最高 {highest}%）；点区域看下级")
    } else {
        format!("颜色越深，在办事件越多（最多 {highest} 件）；点区域看下级")
    };
    let wall = if p.can(Resource::Case, Verb::List) {
        svc::wall(&state, &p.actor, &d.code).await?
    } else {
        svc::Wall::default()
    };
    let cal = state.calendar();
    let now = state.now_ms();
    let overdue = wall
        .overdue
        .iter()
        .map(|c| {
            let due = if c.stage == shanzhi_domain::case::Stage::Reported {
                c.accept_due
            } else {
                c.handle_due
            };
            (
                c.id,
                c.title.clone(),
                c.stage.label(),
                format!("超期 {}", overdue_for(now - due)),
                super::cases::light_of(&cal, c, now).map_or("red", |(_, class)| class),
            )
        })
        .collect();
    let recent = wall
        .recent
        .iter()
        .map(|e| {
            (
                beijing(e.at)
                    .split(' ')
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned(),
                e.case_id,
                format!(
                    "{} {}：{}",
                    e.actor_label,
                    super::cases::action_label(&e.action),
                    e.title
                ),
            )
        })
        .collect();
    let now = state.now_ms();
    let calls = shanzhi_app::notices::active_calls(&state, &p, &d.code)
        .await?
        .into_iter()
        .map(|(n, total, done)| {
            let (badge, class) = super::notices::badge(&n);
            let late = done < total && n.respond_by.is_some_and(|t| now >= t);
            (n.id, badge, class, n.title, done, total, late)
        })
        .collect();
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let view = DashboardPage {
        calls,
        legend,
        overdue,
        recent,
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        tiles: tiles(&d),
        trend: trend_svg(&d.trend),
        map,
        rows,
        categories,
        by_overdue,
        toggle,
        month: pq.q.month.clone().unwrap_or_default(),
        days: period.day_count(),
        query,
        d,
    };
    Ok((jar, render(&view)))
}

#[derive(Debug, Deserialize)]
struct ReportQuery {
    node: Option<String>,
    month: Option<String>,
    format: Option<String>,
}

/// The month's report to download (last month when none is chosen).
async fn report(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Query(q): Query<ReportQuery>,
) -> Result<Response, PageError> {
    let code = p.node_or_own(q.node.as_deref())?;
    let month = q
        .month
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| shanzhi_app::period::last_month(state.clock().today()));
    Ok(
        crate::api::dashboard::report_file(&state, &p.actor, &code, &month, q.format.as_deref())
            .await?,
    )
}

/// How long past a deadline, in the largest whole unit: 3 天, 5 小时, 20 分钟.
fn overdue_for(ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    match minutes {
        m if m >= 1440 => format!("{} 天", m / 1440),
        m if m >= 60 => format!("{} 小时", m / 60),
        m => format!("{m} 分钟"),
    }
}
