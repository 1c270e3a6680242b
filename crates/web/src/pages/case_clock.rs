//! The deadline panel of a case's page: its clock, extension and suspension requests, and the
//! forms to ask, decide and resume.

use super::back;
use super::{PageError, beijing};
use crate::WebState;
use crate::auth::{Actor, CsrfForm, PageUser};
use crate::pages::Path;
use axum::Router;
use axum::extract::State;
use axum::response::Redirect;
use axum::routing::post;
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::cases::CaseRow;
use shanzhi_app::cases::{self as svc, party_of};
use shanzhi_app::deadlines;
use shanzhi_domain::case::{ClockFacts, Request, may_decide, may_request, may_resume};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/cases/{id}/request", post(request))
        .route("/cases/{id}/decide", post(decide))
        .route("/cases/{id}/resume", post(resume))
}

/// What the panel shows.
pub struct ClockPanel {
    /// 自然时 or 工作日.
    pub clock: &'static str,
    /// Since when the clock stands still.
    pub suspended: Option<String>,
    /// Requests: what was asked, and what became of it.
    pub requests: Vec<(String, String)>,
    /// The viewer may ask for an extension or suspension.
    pub can_request: bool,
    /// The viewer may decide the pending request.
    pub can_decide: bool,
    /// The viewer may restart the clock.
    pub can_resume: bool,
}

/// The panel for `actor` looking at `case`.
pub async fn panel(
    state: &WebState,
    actor: &Actor,
    case: &CaseRow,
) -> Result<ClockPanel, AppError> {
    let rows = shanzhi_app::deadlines::requests_of(state, actor, case.id).await?;
    let pending = rows.iter().any(|r| r.decided_at.is_none());
    let facts = ClockFacts {
        stage: case.stage,
        pending,
        suspended: case.suspended_at.is_some(),
        extensions: u8::try_from(case.extensions).unwrap_or(u8::MAX),
    };
    let party = party_of(actor, case).ok();
    let allowed = |check: &dyn Fn(shanzhi_domain::case::Party) -> bool| party.is_some_and(check);
    let requests = rows
        .iter()
        .map(|r| {
            let asked = match r.hours {
                Some(h) => format!(
                    "{} 申请延期 {h} 小时：{}",
                    beijing(r.requested_at),
                    r.reason
                ),
                None => format!("{} 申请挂起：{}", beijing(r.requested_at), r.reason),
            };
            let status = match (r.approved, &r.decision_note) {
                (None, _) => "待审批".to_owned(),
                (Some(ok), note) => format!(
                    "{}{}",
                    if ok { "已同意" } else { "未同意" },
                    note.as_deref()
                        .filter(|n| !n.is_empty())
                        .map(|n| format!("（{n}）"))
                        .unwrap_or_default()
                ),
            };
            (asked, status)
        })
        .collect();
    Ok(ClockPanel {
        clock: case.clock.label(),
        suspended: case.suspended_at.map(beijing),
        requests,
        can_request: allowed(&|p| {
            may_request(facts, p, Request::Suspend, "x").is_ok()
                || may_request(facts, p, Request::Extend { hours: 1 }, "x").is_ok()
        }),
        can_decide: allowed(&|p| may_decide(facts, p).is_ok()),
        can_resume: allowed(&|p| may_resume(facts, p).is_ok()),
    })
}

/// Form fields arrive as text (see the CSRF wrapper).
#[derive(Deserialize)]
struct RequestForm {
    kind: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    reason: String,
}

async fn request(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<RequestForm>,
) -> Result<Redirect, PageError> {
    let case = svc::visible(&state, &p.actor, id).await?;
    let result = async {
        let request = if f.kind == "suspend" {
            Request::Suspend
        } else {
            Request::Extend {
                hours: f.hours.trim().parse().map_err(|_| {
                    AppError::bad("invalid_hours", "请填写延期小时数（1 到 240 的整数）")
                })?,
            }
        };
        deadlines::request(&state, &p.actor, &p.account, &case, request, &f.reason).await?;
        Ok(format!(
            "已提交{}申请，等待上一级审批",
            request.kind().label()
        ))
    }
    .await;
    Ok(back(id, result))
}

#[derive(Deserialize)]
struct DecideForm {
    approve: String,
    #[serde(default)]
    note: String,
}

async fn decide(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<DecideForm>,
) -> Result<Redirect, PageError> {
    let case = svc::visible(&state, &p.actor, id).await?;
    let approve = f.approve == "1";
    let result = deadlines::decide(&state, &p.actor, &p.account, &case, approve, &f.note)
        .await
        .map(|_| {
            if approve {
                "已同意申请"
            } else {
                "已驳回申请"
            }
            .to_owned()
        });
    Ok(back(id, result))
}

async fn resume(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> Result<Redirect, PageError> {
    let case = svc::visible(&state, &p.actor, id).await?;
    let result = deadlines::resume(&state, &p.actor, &p.account, &case)
        .await
        .map(|c| format!("已恢复计时，办理时限 {}", beijing(c.handle_due)));
    Ok(back(id, result))
}
