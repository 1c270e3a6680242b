//! Visit pages: the visits of a household or place (with the register changes made during
//! each) and the form to record one, shared by the person and place pages; and the list of
//! tagged residents due a visit.

use super::registers::back;
use super::{Chrome, PageError, render};
use crate::WebState;
use crate::auth::{CsrfForm, PageUser, csrf_token};
use crate::pages::{Path, Query};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shanzhi_app::visits::{self as svc, VisitInput};
use shanzhi_app::visits::{ChangeRow, DueRow, VisitRow, Visited};
use shanzhi_domain::case::Day;
use shanzhi_domain::patrol::{Due, standing};
use std::collections::BTreeMap;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/residents/{id}/visits", post(visit_household))
        .route("/places/{id}/visits", post(visit_place))
        .route("/visits/due", get(due))
}

/// A visit as the pages list it.
pub(super) struct VisitLine {
    pub day: String,
    pub purpose: &'static str,
    pub visitor: String,
    pub notes: String,
    pub findings: String,
    /// `居住状态：户籍 → 流动` for each register change made during it.
    pub changes: Vec<String>,
}

/// The visits to show, with the changes they carry.
pub(super) fn lines(visits: Vec<(VisitRow, Vec<ChangeRow>)>) -> Vec<VisitLine> {
    let mut out = Vec::with_capacity(visits.len());
    for (v, changes) in visits {
        let changes = changes
            .into_iter()
            .map(|c| format!("{}：{} → {}", c.field, c.before_value, c.after_value))
            .collect();
        out.push(VisitLine {
            day: v.day,
            purpose: v.purpose.label(),
            visitor: v.visitor_label,
            notes: v.notes,
            findings: v.findings,
            changes,
        });
    }
    out
}

/// The visit form's fields.
#[derive(Debug, Deserialize)]
struct VisitForm {
    purpose: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    findings: String,
}

impl VisitForm {
    fn input(self, what: Visited) -> VisitInput {
        let (household_id, place_id) = match what {
            Visited::Household(h) => (Some(h), None),
            Visited::Place(p) => (None, Some(p)),
        };
        VisitInput {
            household_id,
            place_id,
            purpose: self.purpose,
            notes: self.notes,
            findings: self.findings,
            day: Some(self.day),
        }
    }
}

/// A visit to the person's household; back to the person page, ready to record register
/// changes against the visit (信息核实).
async fn visit_household(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<VisitForm>,
) -> Result<Redirect, PageError> {
    let k = &p;
    let person = shanzhi_app::registers::residents::visible_person(&state, k, id).await?;
    match svc::record(&state, k, &f.input(Visited::Household(person.household_id))).await {
        Ok(v) => back(
            &format!("/residents/{id}?visit={}", v.id),
            Ok("已记录走访。如信息有变化，请在“修改信息”中更新，修改将记入这次走访".into()),
        ),
        Err(e) => back(&format!("/residents/{id}"), Err(e)),
    }
}

async fn visit_place(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<VisitForm>,
) -> Result<Redirect, PageError> {
    let result = svc::record(&state, &p, &f.input(Visited::Place(id)))
        .await
        .map(|_| "已记录走访".to_owned());
    back(&format!("/places/{id}"), result)
}

#[derive(Template)]
#[template(path = "visits_due.html")]
struct DuePage {
    style: &'static str,
    chrome: Chrome,
    node_code: String,
    node_name: String,
    summary: Vec<(String, String, usize)>,
    /// Each resident with how late the visit is, in words.
    rows: Vec<(DueRow, String)>,
    truncated: bool,
}

#[derive(Debug, Default, Deserialize)]
struct DueQuery {
    node: Option<String>,
}

const DUE_LIMIT: u32 = 500;

/// How late a visit due on `due` (ISO day; none: never visited) is today.
fn lateness(due: Option<&str>, today: Day) -> String {
    match due.and_then(Day::parse).map(|d| standing(d, today)) {
        None => "从未走访".into(),
        Some(Due::Overdue(0)) => "今天到期".into(),
        Some(Due::Overdue(n)) => format!("逾期 {n} 天"),
        Some(Due::On(d)) => format!("{d} 到期"),
    }
}

async fn due(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Query(q): Query<DueQuery>,
) -> Result<(CookieJar, Response), PageError> {
    let code = p.node_or_own(q.node.as_deref())?;
    let node = shanzhi_app::regions::visible(&state, &p.actor, &code).await?;
    let rows = svc::due(&state, &p, &node.code, DUE_LIMIT).await?;
    let mut summary: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in &rows {
        let carer = r.carer_name.clone().unwrap_or_else(|| "网格员".into());
        *summary.entry((r.node_code.clone(), carer)).or_default() += 1;
    }
    let today = state.clock().today();
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let view = DuePage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        node_code: node.code,
        node_name: node.name,
        summary: summary.into_iter().map(|((g, c), n)| (g, c, n)).collect(),
        truncated: rows.len() == DUE_LIMIT as usize,
        rows: rows
            .into_iter()
            .map(|r| {
                let late = lateness(r.next_visit.as_deref(), today);
                (r, late)
            })
            .collect(),
    };
    Ok((jar, render(&view)))
}
