//! Assessment pages: the month's ranking of grid workers with their parts and the forms for
//! peer and organisation evaluations; and the public page where residents rate their grid
//! worker (reached from the grid's QR page).

use super::registers::back;
use super::{Chrome, PageError, render};
use crate::WebState;
use crate::assets::STYLE_PATH;
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
use shanzhi_app::assessment::{self as svc, EvaluationInput, RatingInput, UnitScore};
use shanzhi_app::cases::public_node;
use shanzhi_app::period::last_month;
use shanzhi_app::policy::{Ask, Resource, Verb};
use shanzhi_domain::assessment::{Weights, quarter_of};
use shanzhi_domain::region::Level;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/assessment", get(show))
        .route("/assessment/workers/{account}", post(evaluate))
        .route("/assessment/weights", post(set_weights))
        .route("/r/{code}/rate", get(rate_form).post(rate))
        .route("/r/{code}/rate/code", post(rate_code))
}

#[derive(Debug, Default, Deserialize)]
struct MonthQuery {
    node: Option<String>,
    month: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

/// One row of the ranking.
struct Line {
    account_id: i64,
    place: usize,
    street_place: usize,
    name: String,
    grid_name: String,
    total: String,
    parts: Vec<String>,
    red_flag: bool,
    mass: String,
    peer: String,
    org: String,
}

#[derive(Template)]
#[template(path = "assessment.html")]
struct AssessmentPage {
    style: &'static str,
    chrome: Chrome,
    code: String,
    name: String,
    month: String,
    heads: Vec<String>,
    lines: Vec<Line>,
    evaluates: bool,
    /// The district whose weights apply, and whether this viewer may change them.
    district: String,
    sets_weights: bool,
    /// (form field, label, value).
    weights: Vec<(&'static str, &'static str, String)>,
    quarter: String,
    /// The quarter's communities by their workers' mean score (streets and above only).
    units: Vec<UnitScore>,
    notice: Option<String>,
    error: Option<String>,
}

fn one(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |x| format!("{x:.1}"))
}

async fn show(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Query(q): Query<MonthQuery>,
) -> Result<(CookieJar, Response), PageError> {
    let code = p.node_or_own(q.node.as_deref())?;
    let month = q
        .month
        .clone()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| last_month(state.clock().today()));
    let a = svc::month(&state, &p.actor, &code, &month).await?;
    let heads = a
        .workers
        .first()
        .map(|w| {
            w.score
                .parts
                .iter()
                .map(|part| format!("{}（{}）", part.name, part.weight))
                .collect()
        })
        .unwrap_or_default();
    let lines = a
        .workers
        .iter()
        .map(|w| Line {
            account_id: w.account_id,
            place: w.community_place,
            street_place: w.street_place,
            name: w.name.clone(),
            grid_name: w.grid_name.clone(),
            total: format!("{:.1}", w.score.total),
            parts: w.score.parts.iter().map(|part| one(part.score)).collect(),
            red_flag: w.red_flag,
            mass: match w.evaluations.mass_stars {
                Some(s) => format!("{s:.1} 星 / {} 人", w.evaluations.mass_count),
                None => "暂无".into(),
            },
            peer: w
                .evaluations
                .peer
                .map(|v| format!("{v:.0}"))
                .unwrap_or_default(),
            org: w
                .evaluations
                .org
                .map(|v| format!("{v:.0}"))
                .unwrap_or_default(),
        })
        .collect();
    let weights = svc::weights(&state, &p.actor, &a.code).await?;
    let quarter = quarter_of(&a.month).unwrap_or_default();
    let units = if a.code.len() <= Level::Street.code_len() {
        svc::quarter(&state, &p.actor, &a.code, &quarter).await?
    } else {
        Vec::new()
    };
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let view = AssessmentPage {
        district: a.code.chars().take(Level::District.code_len()).collect(),
        sets_weights: p.can(Resource::Setting, Verb::Write)
            && a.code.len() >= Level::District.code_len(),
        weights: WEIGHT_FIELDS
            .iter()
            .zip(weights.all())
            .map(|((field, label), v)| (*field, *label, format!("{v}")))
            .chain([(
                "found_target",
                "每月发现上报目标（件）",
                weights.found_target.to_string(),
            )])
            .collect(),
        quarter,
        units,
        style: STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        code: a.code,
        name: a.name,
        month: a.month,
        heads,
        lines,
        evaluates: p.can(Resource::Assessment, Verb::Write),
        notice: q.notice,
        error: q.error,
    };
    Ok((jar, render(&view)))
}

/// The weight fields in the order of `Weights::all`, with their labels.
const WEIGHT_FIELDS: [(&str, &str); 8] = [
    ("found", "发现上报"),
    ("on_time", "按期办结"),
    ("patrol", "巡查覆盖"),
    ("visits", "走访完成"),
    ("satisfaction", "办结满意"),
    ("mass", "群众评价"),
    ("peer", "同事互评"),
    ("org", "组织评价"),
];

#[derive(Debug, Deserialize)]
struct WeightsForm {
    month: String,
    node: String,
    #[serde(flatten)]
    fields: std::collections::HashMap<String, String>,
}

/// Saves the district's weights typed on the page.
async fn set_weights(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    CsrfForm(f): CsrfForm<WeightsForm>,
) -> Result<Redirect, PageError> {
    let number = |field: &str| {
        f.fields
            .get(field)
            .and_then(|v| v.trim().parse::<f64>().ok())
            .ok_or_else(|| AppError::bad("invalid_weights", "每项权重都应填写 0 到 100 的数字"))
    };
    let parsed = (|| {
        let mut v = [0.0; 8];
        for (slot, (field, _)) in v.iter_mut().zip(WEIGHT_FIELDS) {
            *slot = number(field)?;
        }
        let target = f
            .fields
            .get("found_target")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .ok_or_else(|| AppError::bad("invalid_weights", "每月发现上报目标应填写整数（件）"))?;
        Ok::<_, AppError>(Weights {
            found: v[0],
            on_time: v[1],
            patrol: v[2],
            visits: v[3],
            satisfaction: v[4],
            mass: v[5],
            peer: v[6],
            org: v[7],
            found_target: target,
        })
    })();
    let district: String = f.node.chars().take(Level::District.code_len()).collect();
    let result = match parsed {
        Ok(w) => svc::set_weights(&state, &p.actor, &district, &w)
            .await
            .map(|()| "已保存考评权重，排名已按新权重重算".to_owned()),
        Err(e) => Err(e),
    };
    back(
        &format!("/assessment?node={}&month={}", f.node, f.month),
        result,
    )
}

#[derive(Debug, Deserialize)]
struct EvaluationForm {
    month: String,
    node: String,
    #[serde(default)]
    peer: String,
    #[serde(default)]
    org: String,
}

/// Saves the peer and organisation scores typed for one worker (blank ones are left as they are).
async fn evaluate(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(account): Path<i64>,
    CsrfForm(f): CsrfForm<EvaluationForm>,
) -> Result<Redirect, PageError> {
    let mut result = Ok("已保存评价".to_owned());
    for (kind, text) in [("peer", &f.peer), ("org", &f.org)] {
        if text.trim().is_empty() {
            continue;
        }
        let Ok(score) = text.trim().parse::<f64>() else {
            result = Err(AppError::bad("invalid_score", "评分应为 0 到 100 的数字"));
            break;
        };
        let input = EvaluationInput {
            month: f.month.clone(),
            kind: kind.into(),
            score,
            note: String::new(),
        };
        if let Err(e) = svc::evaluate(&state, &p.actor, account, &input).await {
            result = Err(e);
            break;
        }
    }
    back(
        &format!("/assessment?node={}&month={}", f.node, f.month),
        result,
    )
}

#[derive(Template)]
#[template(path = "rate_worker.html")]
struct RatePage {
    style: &'static str,
    csrf: String,
    code: String,
    place: String,
    workers: Vec<(i64, String)>,
    phone: String,
    notice: Option<String>,
    error: Option<String>,
}

/// The rating page's query: a message, and the phone a code was just sent to.
#[derive(Debug, Default, Deserialize)]
struct RateQuery {
    notice: Option<String>,
    error: Option<String>,
    #[serde(default)]
    phone: String,
}

async fn rate_form(
    State(state): State<WebState>,
    jar: CookieJar,
    Path(code): Path<String>,
    Query(q): Query<RateQuery>,
) -> Result<(CookieJar, Response), PageError> {
    let node = public_node(&state, &code).await?;
    let workers = svc::raters_choice(&state, &node.code).await?;
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = RatePage {
        style: STYLE_PATH.as_str(),
        csrf,
        code: node.code,
        place: node.name,
        workers,
        phone: q.phone,
        notice: q.notice,
        error: q.error,
    };
    Ok((jar, render(&page)))
}

#[derive(Debug, Deserialize)]
struct CodeForm {
    phone: String,
}

async fn rate_code(
    State(state): State<WebState>,
    addr: crate::client::Client,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<CodeForm>,
) -> Result<Response, PageError> {
    let to = format!("/r/{code}/rate?phone={}", super::url_encode(f.phone.trim()));
    let sent = svc::send_rating_code(&state, &code, &f.phone, &addr.ip().to_string())
        .await
        .map(|()| "验证码已发送，请查看短信，10 分钟内有效".to_owned());
    Ok(back(&to, sent)?.into_response())
}

#[derive(Debug, Deserialize)]
struct RateForm {
    worker: String,
    phone: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    stars: String,
    #[serde(default)]
    comment: String,
}

async fn rate(
    State(state): State<WebState>,
    addr: crate::client::Client,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<RateForm>,
) -> Result<Response, PageError> {
    state
        .allow_public_report(&format!("rating:{}", addr.ip()))
        .await?;
    let input = RatingInput {
        worker: f.worker.trim().parse().unwrap_or(0),
        phone: f.phone.clone(),
        code: f.code,
        stars: f.stars.trim().parse().unwrap_or(0),
        comment: f.comment,
    };
    let result = svc::rate(&state, &code, &input)
        .await
        .map(|()| "感谢您的评价！".to_owned());
    // A refused rating keeps the phone, so the code just sent can still be typed.
    let to = match &result {
        Ok(_) => format!("/r/{code}/rate"),
        Err(_) => format!("/r/{code}/rate?phone={}", super::url_encode(f.phone.trim())),
    };
    Ok(back(&to, result)?.into_response())
}
