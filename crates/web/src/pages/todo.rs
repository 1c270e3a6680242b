//! 我的待办: the start page of every staff role that works cases — what waits on the caller,
//! counted, the most urgent first, each item one tap from the page where it is done.

use super::cases::light_of;
use super::{Chrome, PageError, beijing, render};
use crate::WebState;
use crate::auth::{PageUser, csrf_token};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;
use shanzhi_app::todo::{self as svc, Todo};
use std::collections::HashMap;

pub fn router() -> Router<WebState> {
    Router::new().route("/todo", get(page))
}

/// One line of the list: what it is, where it is done, how its deadline stands.
struct Line {
    href: String,
    title: String,
    detail: String,
    light: Option<(&'static str, &'static str)>,
}

/// A heading with its count and first lines.
struct Group {
    id: &'static str,
    label: &'static str,
    count: i64,
    overdue: i64,
    lines: Vec<Line>,
    /// Where every item of the heading is listed, when the page shows only the first.
    more: Option<String>,
}

#[derive(Template)]
#[template(path = "todo.html")]
struct TodoPage {
    style: &'static str,
    chrome: Chrome,
    total: i64,
    groups: Vec<Group>,
    /// Today's patrols: (counted, needed).
    patrols: Option<(u32, u32)>,
    /// Counts with the page they are worked on: (id, label, count, link).
    others: Vec<(&'static str, &'static str, i64, &'static str)>,
    /// Notices valid now: (id, badge, badge class, title).
    notices: Vec<(i64, String, &'static str, String)>,
}

/// The light of a deadline with no clock of its own (a summons' report-in time).
fn due_light(due: i64, now: i64) -> (&'static str, &'static str) {
    if due < now {
        ("超时", "red")
    } else {
        ("未超时", "green")
    }
}

async fn page(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
) -> Result<(CookieJar, Response), PageError> {
    let todo = svc::mine(&state, &p).await?;
    let names: HashMap<String, String> = state
        .categories()
        .await?
        .iter()
        .map(|c| (c.code.clone(), c.name.clone()))
        .collect();
    let cal = state.calendar();
    let now = state.now_ms();
    let total = todo.total();
    let Todo {
        cases,
        summonses,
        requests,
        visits_due,
        patrols,
        wishes,
        services,
        unplaced,
        calls,
        notices,
    } = todo;
    let mut groups: Vec<Group> = cases
        .into_iter()
        .map(|g| {
            let stage = g.step.stage();
            Group {
                id: stage.as_str(),
                label: g.step.label(),
                count: g.count,
                overdue: g.overdue,
                more: (g.count > g.items.len() as i64)
                    .then(|| format!("/cases?stage={}", stage.as_str())),
                lines: g
                    .items
                    .iter()
                    .map(|c| {
                        let due = if stage == shanzhi_domain::case::Stage::Reported {
                            c.accept_due
                        } else {
                            c.handle_due
                        };
                        Line {
                            href: format!("/cases/{}", c.id),
                            title: c.title.clone(),
                            detail: format!(
                                "{} · 时限 {}",
                                names.get(&c.category_code).map_or("", String::as_str),
                                beijing(due)
                            ),
                            light: light_of(&cal, c, now),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    if !summonses.is_empty() {
        groups.push(Group {
            id: "summons",
            label: "吹哨待报到",
            count: summonses.len() as i64,
            overdue: summonses.iter().filter(|s| s.due_at < now).count() as i64,
            more: None,
            lines: summonses
                .iter()
                .take(svc::SHOWN)
                .map(|s| Line {
                    href: format!("/cases/{}", s.case_id),
                    title: s.title.clone(),
                    detail: format!("报到时限 {} · 事由：{}", beijing(s.due_at), s.reason),
                    light: Some(due_light(s.due_at, now)),
                })
                .collect(),
        });
    }
    if !requests.is_empty() {
        groups.push(Group {
            id: "requests",
            label: "待审批延期/挂起",
            count: requests.len() as i64,
            overdue: 0,
            more: None,
            lines: requests
                .iter()
                .take(svc::SHOWN)
                .map(|r| Line {
                    href: format!("/cases/{}", r.case_id),
                    title: r.title.clone(),
                    detail: match r.hours {
                        Some(h) => format!("申请延期 {h} 小时 · {}", beijing(r.requested_at)),
                        None => format!("申请挂起 · {}", beijing(r.requested_at)),
                    },
                    light: None,
                })
                .collect(),
        });
    }
    if !calls.is_empty() {
        groups.insert(
            0,
            Group {
                id: "calls",
                label: "预警叫应（户）",
                count: calls.iter().map(|(_, open, _)| open).sum(),
                overdue: calls.iter().map(|(_, _, late)| late).sum(),
                more: None,
                lines: calls
                    .iter()
                    .take(svc::SHOWN)
                    .map(|(n, open, late)| Line {
                        href: format!("/notices/{}/calls", n.id),
                        title: format!("{}：{}", super::notices::badge(n).0, n.title),
                        detail: format!(
                            "待联系 {open} 户 · 叫应时限 {}",
                            n.respond_by.map(beijing).unwrap_or_default()
                        ),
                        light: Some(if *late > 0 {
                            ("超时", "red")
                        } else {
                            due_light(n.respond_by.unwrap_or(i64::MAX), now)
                        }),
                    })
                    .collect(),
            },
        );
    }
    let notices = notices
        .into_iter()
        .map(|n| {
            let (badge, class) = super::notices::badge(&n);
            (n.id, badge, class, n.title)
        })
        .collect();
    let others = [
        ("visits", "待走访（人）", visits_due, "/visits/due"),
        ("wishes", "待审核心愿", wishes, "/participation"),
        ("services", "待核实服务", services, "/participation"),
        ("unplaced", "待定位工单", unplaced, "/cases/import#pending"),
    ]
    .into_iter()
    .filter_map(|(id, label, n, href)| n.map(|n| (id, label, n, href)))
    .collect();
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let view = TodoPage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        total,
        groups,
        patrols: patrols.map(|d| (d.counted, d.needed)),
        others,
        notices,
    };
    Ok((jar, render(&view)))
}
