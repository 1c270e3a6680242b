//! Staff case pages: the lists by stage with deadline lights, and a case's page with its
//! timeline and the actions the viewer may take, as forms.

use super::case_clock::ClockPanel;
use super::case_dispute::DisputePanel;
use super::{Chrome, Flash, PageError, back, beijing, render, url_encode};
use crate::WebState;
use crate::auth::{CsrfForm, PageUser, csrf_token};
use crate::pages::{Path, Query};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::cases::CaseRow;
use shanzhi_app::cases::{self as svc, CaseQuery, Move, Who, parse_action};
use shanzhi_domain::case::Source;
use shanzhi_domain::case::{Action, Calendar, Light, Tier, Urgency, case_light};
use shanzhi_domain::notify::DeliveryStatus;
use std::collections::HashMap;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/cases", get(list))
        .route("/cases/events", get(events))
        .route("/cases/{id}", get(show))
        .route("/cases/{id}/act", post(act))
        .route("/cases/{id}/category", post(recategorise))
        .route("/cases/{id}/summon", post(summon))
        .route("/cases/{id}/reporter-phone", post(reveal_phone))
        .route("/cases/{id}/report-in", post(report_in))
}

const TABS: [(&str, &str); 8] = [
    ("", "全部"),
    ("reported", "待受理"),
    ("accepted", "待交办"),
    ("dispatched", "待签收"),
    ("in_progress", "处置中"),
    ("handled", "待核查"),
    ("verified", "待结案"),
    ("closed", "待评价"),
];

pub(super) fn light_of(
    cal: &Calendar,
    c: &CaseRow,
    now: i64,
) -> Option<(&'static str, &'static str)> {
    let stage = c.stage;
    if c.suspended_at.is_some() && !stage.is_final() {
        return Some(("挂起", "grey"));
    }
    case_light(cal, stage, &c.timing(), now).map(|l| {
        let class = match l {
            Light::Green => "green",
            Light::Yellow => "yellow",
            Light::Red => "red",
        };
        (l.label(), class)
    })
}

struct Item {
    id: i64,
    title: String,
    category: String,
    stage: &'static str,
    light: Option<(&'static str, &'static str)>,
    created: String,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct ListPage {
    style: &'static str,
    chrome: Chrome,
    /// (stage, label, how many).
    tabs: Vec<(&'static str, &'static str, i64)>,
    stage: String,
    items: Vec<Item>,
    next: Option<i64>,
    q: String,
    category: String,
    categories: Vec<(String, String)>,
    source: String,
    sources: Vec<(&'static str, &'static str)>,
    overdue: bool,
    /// The filters as a query string, for the next page's link.
    filters: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct Before {
    before: Option<i64>,
}

const PAGE: u32 = 50;

/// The live feed for the banner on staff pages.
async fn events(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    headers: axum::http::HeaderMap,
) -> impl IntoResponse {
    crate::api::events::feed(&state, p.actor, &headers).await
}

async fn list(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Query(paging): Query<Before>,
    Query(q): Query<CaseQuery>,
) -> Result<(CookieJar, Response), PageError> {
    let stage = q
        .stage
        .clone()
        .filter(|s| TABS.iter().any(|(v, _)| v == s) && !s.is_empty());
    let query = CaseQuery {
        stage: stage.clone(),
        ..q.clone()
    };
    let listed = match svc::search(&state, &p.actor, &query, paging.before, PAGE).await {
        Ok(rows) => Ok((rows, svc::stage_counts(&state, &p.actor, &query).await?)),
        Err(e) => Err(e),
    };
    let ((rows, counts), error) = match listed {
        Ok(found) => (found, None),
        Err(e @ (AppError::BadRequest { .. } | AppError::NotFound(_))) => {
            ((Vec::new(), Vec::new()), Some(e.to_string()))
        }
        Err(e) => return Err(e.into()),
    };
    let count_of = |value: &str| -> i64 {
        counts
            .iter()
            .filter(|(s, _)| value.is_empty() || s.as_str() == value)
            .map(|(_, n)| n)
            .sum()
    };
    let all_categories = state.categories().await?;
    let names: HashMap<String, String> = all_categories
        .iter()
        .map(|c| (c.code.clone(), c.name.clone()))
        .collect();
    let next = (rows.len() == PAGE as usize)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let cal = state.calendar();
    let now = state.now_ms();
    let items = rows
        .iter()
        .map(|c| Item {
            id: c.id,
            title: c.title.clone(),
            category: names.get(&c.category_code).cloned().unwrap_or_default(),
            stage: c.stage.label(),
            light: light_of(&cal, c, now),
            created: beijing(c.created_at),
        })
        .collect();
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = ListPage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        tabs: TABS
            .iter()
            .map(|&(value, label)| (value, label, count_of(value)))
            .collect(),
        stage: stage.clone().unwrap_or_default(),
        items,
        next,
        filters: [
            ("stage", stage.unwrap_or_default()),
            ("q", q.q.clone().unwrap_or_default()),
            ("category", q.category.clone().unwrap_or_default()),
            ("source", q.source.clone().unwrap_or_default()),
            (
                "overdue",
                if q.overdue == Some(true) {
                    "true".into()
                } else {
                    String::new()
                },
            ),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}&", url_encode(v)))
        .collect(),
        q: q.q.unwrap_or_default(),
        category: q.category.unwrap_or_default(),
        categories: all_categories
            .iter()
            .map(|c| {
                let indent = if c.code.len() > 2 { "　" } else { "" };
                (c.code.clone(), format!("{indent}{}", c.name))
            })
            .collect(),
        source: q.source.unwrap_or_default(),
        sources: Source::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        overdue: q.overdue == Some(true),
        error,
    };
    Ok((jar, render(&page)))
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    style: &'static str,
    chrome: Chrome,
    id: i64,
    version: i64,
    tracking: String,
    title: String,
    description: String,
    stage: &'static str,
    light: Option<(&'static str, &'static str)>,
    category: String,
    place: String,
    address: Option<String>,
    source: String,
    reported: String,
    urgency: Option<&'static str>,
    holder: String,
    /// For a viewer below the level that holds the case: where it went and why, read-only.
    routed_note: Option<String>,
    accept_due: String,
    handle_due: String,
    timeline: Vec<(String, &'static str, String, String, bool)>,
    actions: Vec<(&'static str, &'static str, bool)>,
    tiers: Vec<(&'static str, &'static str)>,
    departments: Vec<(i64, String)>,
    /// The department suggested for the case's words: id, likelihood as shown.
    suggested_department: Option<(i64, String)>,
    /// Cases that may be the same problem: id, title, stage, source, why.
    duplicates: Vec<(i64, String, String, String, String)>,
    /// Reports merged into this case: id, title, source, when.
    merged: Vec<(i64, String, String, String)>,
    can_merge: bool,
    summoned: Vec<(String, String, String, String)>,
    can_summon: bool,
    summon_choices: Vec<(i64, String)>,
    /// The categories the case may be moved to (改类); empty when the viewer may not.
    recategorise: Vec<(String, String)>,
    can_report_in: bool,
    deadlines: ClockPanel,
    dispute: Option<DisputePanel>,
    photos: super::case_photos::PhotosPanel,
    reporter_phone: Option<String>,
    /// Residents who added themselves to the report (我也遇到了).
    supporters: i64,
    /// Texts to the reporter: (queued, kind, masked phone, how it stands, what it said).
    texts: Vec<(String, &'static str, String, String, String)>,
    notice: Option<String>,
    error: Option<String>,
}

pub(super) fn action_label(name: &str) -> &'static str {
    match name {
        "report" => "上报",
        "accept" => "受理",
        "reject" => "不予受理",
        "merge" => "合并重复",
        "dispatch" => "分流交办",
        "start" => "开始处置",
        "return" => "退回",
        "escalate" => "上报上级",
        "handle" => "办结",
        "resolve" => "就地处置",
        svc::RECATEGORISE => "改类",
        "verify_pass" => "核查通过",
        "verify_fail" => "核查不通过",
        "close" => "结案",
        "rate" => "评价",
        "follow_up" => "回访",
        "urge" => "催办",
        "supervise" => "督办",
        _ => "变更",
    }
}

async fn show(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Path(id): Path<i64>,
    Query(flash): Query<Flash>,
) -> Result<(CookieJar, Response), PageError> {
    let d = svc::desk(&state, &p.actor, id).await?;
    let case = d.case;
    let timeline = d
        .timeline
        .into_iter()
        .map(|e| {
            (
                beijing(e.at),
                action_label(&e.action),
                e.actor_label,
                e.note,
                e.public,
            )
        })
        .collect();
    let duplicates = d
        .duplicates
        .into_iter()
        .map(|(c, why)| {
            let from = c.source.label().to_owned();
            (c.id, c.title, c.stage.label().to_owned(), from, why)
        })
        .collect();
    let merged = d
        .merged
        .into_iter()
        .map(|c| {
            (
                c.id,
                c.title,
                c.source.label().to_owned(),
                beijing(c.created_at),
            )
        })
        .collect();
    let can_merge = d.actions.iter().any(|a| matches!(a, Action::Accept));
    let now = state.now_ms();
    let summoned = d
        .summonses
        .into_iter()
        .map(|(r, department)| {
            let status = match r.reported_at {
                Some(at) if at > r.due_at => format!("{} 报到（超时）", beijing(at)),
                Some(at) => format!("{} 报到", beijing(at)),
                None if r.due_at < now => "超时未报到".to_owned(),
                None => format!("待报到（{} 前）", beijing(r.due_at)),
            };
            let mut call = Vec::new();
            if !r.reason.is_empty() {
                call.push(format!("事由：{}", r.reason));
            }
            if let Some(p) = &r.place {
                call.push(format!("地点：{p}"));
            }
            if let Some(at) = r.meet_at {
                call.push(format!("碰头：{}", beijing(at)));
            }
            (
                department,
                status,
                r.part.unwrap_or_default(),
                call.join("；"),
            )
        })
        .collect();
    let needs_text = |a: &Action| {
        !matches!(
            a,
            Action::Accept | Action::Start | Action::VerifyPass | Action::Close
        )
    };
    let is_dispute = d.category.as_ref().is_some_and(|c| c.dispute);
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = CasePage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        id,
        version: case.version,
        tracking: case.tracking_code.clone(),
        title: case.title.clone(),
        description: case.description.clone(),
        stage: case.stage.label(),
        light: light_of(&state.calendar(), &case, now),
        category: d
            .category
            .as_ref()
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        place: d.place,
        address: case.address.clone(),
        source: match &case.hotline_order {
            Some(order) => format!("{}（工单 {order}）", case.source.label()),
            None => case.source.label().to_owned(),
        },
        reported: beijing(case.created_at),
        urgency: (case.urgency != Urgency::Normal).then(|| case.urgency.label()),
        routed_note: (d.actions.is_empty()
            && !case.stage.is_final()
            && shanzhi_domain::case::own_tier(&p.actor).is_some_and(|t| t < case.tier))
        .then(|| {
            format!(
                "按类别「{}」，此事件由{}办理，您可以在这里查看进度；如类别有误，可请其改类。",
                d.category.as_ref().map_or("", |c| c.name.as_str()),
                d.holder
            )
        }),
        holder: format!("{}（{}）", d.holder, case.tier.label()),
        accept_due: beijing(case.accept_due),
        handle_due: beijing(case.handle_due),
        timeline,
        actions: d
            .actions
            .iter()
            .map(|a| (a.name(), a.label(), needs_text(a)))
            .collect(),
        tiers: d.tiers.iter().map(|t| (t.as_str(), t.label())).collect(),
        departments: d.departments,
        suggested_department: d
            .suggested_department
            .map(|(id, l)| (id, format!("{:.0}%", l * 100.0))),
        duplicates,
        merged,
        can_merge,
        summoned,
        can_summon: d.can_summon,
        summon_choices: d.summon_choices,
        recategorise: if svc::may_recategorise(&p.actor, &case) {
            svc::choosable(&state.categories().await?)
                .into_iter()
                .filter(|(code, _)| *code != case.category_code)
                .collect()
        } else {
            Vec::new()
        },
        can_report_in: d.can_report_in,
        deadlines: super::case_clock::panel(&state, &p.actor, &case).await?,
        dispute: super::case_dispute::panel(&state, &p.actor, &case, is_dispute).await?,
        photos: super::case_photos::panel(&state, &p.actor, &case).await?,
        reporter_phone: case.reporter_phone_masked.clone(),
        supporters: shanzhi_app::supporters::count_of(&state, &p.actor, id).await?,
        texts: shanzhi_app::sms::of_case(&state, &p.actor, id)
            .await?
            .into_iter()
            .map(|t| {
                let status = match (t.status, t.sent_at) {
                    (DeliveryStatus::Delivered, Some(at)) => format!("{} 已发出", beijing(at)),
                    (DeliveryStatus::Failed, _) => format!(
                        "发送失败（{}）",
                        t.last_error.as_deref().unwrap_or("原因不明")
                    ),
                    (_, _) if t.attempts > 0 => format!("待重发（已试 {} 次）", t.attempts),
                    _ => "待发送".to_owned(),
                };
                (
                    beijing(t.created_at),
                    t.kind.label(),
                    t.phone_masked.unwrap_or_default(),
                    status,
                    t.body.unwrap_or_default(),
                )
            })
            .collect(),
        notice: flash.notice,
        error: flash.error,
    };
    Ok((jar, render(&page)))
}

/// Form fields arrive as text (see the CSRF wrapper), numbers are parsed here.
#[derive(Deserialize)]
struct ActForm {
    action: String,
    version: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    into: String,
}

async fn act(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ActForm>,
) -> Result<Redirect, PageError> {
    let case = svc::visible(&state, &p.actor, id).await?;
    let result = async {
        let version = version_of(&f.version)?;
        let to = f.to.parse::<Tier>().ok();
        let action = parse_action(&f.action, f.text, to, f.into.trim().parse().ok(), None)?;
        let department_id = f.department_id.trim().parse().ok();
        let m = Move {
            action,
            version,
            department_id,
        };
        svc::transition(
            &state,
            Who::Staff {
                actor: &p.actor,
                account: &p.account,
            },
            case,
            m,
        )
        .await
    }
    .await;
    Ok(back(
        id,
        result.map(|c| format!("已办理，当前状态：{}", c.stage.label())),
    ))
}

/// The case version a form carries (one filled in before someone else moved the case is
/// refused as stale further on).
fn version_of(text: &str) -> Result<i64, AppError> {
    text.trim()
        .parse()
        .map_err(|_| AppError::bad("invalid_version", "表单已过期，请刷新后重试"))
}

#[derive(Deserialize)]
struct CategoryForm {
    version: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    reason: String,
}

/// 改类 from the case page.
async fn recategorise(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<CategoryForm>,
) -> Result<Redirect, PageError> {
    let case = svc::visible(&state, &p.actor, id).await?;
    let result = async {
        let version = version_of(&f.version)?;
        svc::recategorise(
            &state,
            &p.actor,
            &p.account,
            case,
            version,
            &f.category,
            &f.reason,
        )
        .await
    }
    .await;
    Ok(back(
        id,
        result.map(|c| {
            format!(
                "已改类，现由{}办理，当前状态：{}",
                c.tier.label(),
                c.stage.label()
            )
        }),
    ))
}

/// Redirects back to the case page with what happened.
/// The summon form: one checkbox per department, named `d_<id>`.
async fn summon(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> Result<Redirect, PageError> {
    let case = svc::visible(&state, &p.actor, id).await?;
    let mut departments: Vec<i64> = f
        .keys()
        .filter_map(|k| k.strip_prefix("d_")?.parse().ok())
        .collect();
    departments.sort_unstable();
    let text = |k: &str| f.get(k).cloned().filter(|v| !v.trim().is_empty());
    let whistle = svc::Whistle {
        department_ids: departments,
        reason: text("reason").unwrap_or_default(),
        place: text("place"),
        // The browser's datetime-local value (2026-11-18T15:00) is read as Beijing time.
        meet_at: text("meet_at"),
        hours: text("hours").and_then(|h| h.trim().parse().ok()),
    };
    let result = svc::summon(&state, &p.actor, &p.account, &case, &whistle).await;
    Ok(back(
        id,
        result.map(|rows| format!("已吹哨召集 {} 个部门", rows.len())),
    ))
}

#[derive(Deserialize)]
struct ReportInForm {
    part: String,
}

async fn report_in(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ReportInForm>,
) -> Result<Redirect, PageError> {
    let case = svc::visible(&state, &p.actor, id).await?;
    let result = svc::report_in(&state, &p.actor, &p.account, &case, &f.part).await;
    Ok(back(id, result.map(|()| "已报到".to_owned())))
}

#[derive(Template)]
#[template(path = "reveal.html")]
pub(super) struct RevealPage {
    pub style: &'static str,
    pub chrome: Chrome,
    pub back: String,
    pub label: &'static str,
    pub value: String,
}

/// Shows the reporter's full phone once, on its own page (never in a URL), after recording the
/// reveal in the audit trail.
async fn reveal_phone(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Path(id): Path<i64>,
    CsrfForm(()): CsrfForm<()>,
) -> Result<(CookieJar, Response), PageError> {
    let case = svc::visible(&state, &p.actor, id).await?;
    let value = svc::reveal_reporter_phone(&state, &p.actor, &p.account, &case).await?;
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = RevealPage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        back: format!("/cases/{id}"),
        label: "报告人电话",
        value,
    };
    Ok((jar, render(&page)))
}
