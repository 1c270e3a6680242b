//! Dispute mediation: facts, sittings, outcome, follow-ups, success rate.

use super::extract::{Json, Path, Query};
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::extract::State;
use serde::Deserialize;
use shanzhi_app::cases as case_svc;
use shanzhi_app::disputes::{self as svc, AreaRate, DisputeDetail, FactsInput};
use shanzhi_domain::case::{Day, Outcome, Referral};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(detail, set_facts))
        .routes(routes!(add_session))
        .routes(routes!(conclude))
        .routes(routes!(follow_up))
        .routes(routes!(success_rate))
}

/// What is recorded about a dispute case's mediation.
#[utoipa::path(get, path = "/cases/{id}/dispute", tag = "disputes", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = DisputeDetail), (status = 404, body = ErrorBody)))]
async fn detail(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<DisputeDetail>, ApiError> {
    Ok(axum::Json(svc::detail(&state, &p.actor, id).await?))
}

/// Records or corrects the dispute's type, amount, parties and mediators.
#[utoipa::path(put, path = "/cases/{id}/dispute", tag = "disputes", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = FactsInput,
    responses((status = 200, body = DisputeDetail), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn set_facts(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(input): Json<FactsInput>,
) -> Result<axum::Json<DisputeDetail>, ApiError> {
    let case = case_svc::visible(&state, &p.actor, id).await?;
    Ok(axum::Json(
        svc::set_facts(&state, &p.actor, &p.account, &case, input).await?,
    ))
}

/// A mediation sitting.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SessionInput {
    /// When it was held (ms); now when omitted.
    pub held_at: Option<i64>,
    /// Where.
    pub place: String,
    /// What happened.
    pub notes: String,
}

/// Records a mediation sitting.
#[utoipa::path(post, path = "/cases/{id}/dispute/sessions", tag = "disputes", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = SessionInput,
    responses((status = 200, body = DisputeDetail), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn add_session(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(s): Json<SessionInput>,
) -> Result<axum::Json<DisputeDetail>, ApiError> {
    let case = case_svc::visible(&state, &p.actor, id).await?;
    let held_at = s.held_at.unwrap_or_else(|| state.now_ms());
    Ok(axum::Json(
        svc::add_session(
            &state, &p.actor, &p.account, &case, held_at, &s.place, &s.notes,
        )
        .await?,
    ))
}

/// How the mediation ended.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum OutcomeInput {
    /// 调解成功.
    Settled {
        /// The agreement (调解协议).
        agreement: String,
    },
    /// 调解不成.
    Referred {
        /// Where the parties are referred.
        referral: Referral,
        /// Why mediation failed.
        reason: String,
    },
}

/// Records the outcome (once).
#[utoipa::path(post, path = "/cases/{id}/dispute/outcome", tag = "disputes", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = OutcomeInput,
    responses((status = 200, body = DisputeDetail), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn conclude(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(o): Json<OutcomeInput>,
) -> Result<axum::Json<DisputeDetail>, ApiError> {
    let case = case_svc::visible(&state, &p.actor, id).await?;
    let outcome = match o {
        OutcomeInput::Settled { agreement } => Outcome::Settled { agreement },
        OutcomeInput::Referred { referral, reason } => Outcome::Referred {
            to: referral,
            reason,
        },
    };
    Ok(axum::Json(
        svc::conclude(&state, &p.actor, &p.account, &case, outcome).await?,
    ))
}

/// A follow-up visit.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct FollowUpInput {
    /// What was found.
    pub note: String,
    /// The parties are stable.
    pub stable: bool,
}

/// Records a follow-up (稳控回访) after the outcome.
#[utoipa::path(post, path = "/cases/{id}/dispute/followups", tag = "disputes", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = FollowUpInput,
    responses((status = 200, body = DisputeDetail), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn follow_up(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(f): Json<FollowUpInput>,
) -> Result<axum::Json<DisputeDetail>, ApiError> {
    let case = case_svc::visible(&state, &p.actor, id).await?;
    Ok(axum::Json(
        svc::follow_up(&state, &p.actor, &p.account, &case, &f.note, f.stable).await?,
    ))
}

/// Area and period.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RateParams {
    /// The area (default: the caller's scope root).
    pub node: Option<String>,
    /// First day, YYYY-MM-DD (default: 30 days ago).
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD, inclusive (default: today).
    pub to: Option<String>,
}

/// 调解成功率 for mediations concluded in the period: the area's total first, then each child
/// area.
#[utoipa::path(get, path = "/disputes/success-rate", tag = "disputes", security(("bearer" = [])), params(RateParams),
    responses((status = 200, body = Vec<AreaRate>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn success_rate(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<RateParams>,
) -> Result<axum::Json<Vec<AreaRate>>, ApiError> {
    let node = q
        .node
        .or_else(|| p.actor.scope_root().map(str::to_owned))
        .ok_or_else(|| ApiError::bad("node_required", "请指定区域 node"))?;
    let day = |s: Option<String>, default: i64| -> Result<i64, ApiError> {
        match s {
            None => Ok(default),
            Some(s) => Day::parse(&s).map(Day::start_ms).ok_or_else(|| {
                ApiError::bad("invalid_day", format!("日期 {s} 无效，格式为 2026-10-01"))
            }),
        }
    };
    let today = state.clock().today().start_ms();
    let from = day(q.from, today - 30 * 86_400_000)?;
    let to = day(q.to, today)? + 86_400_000;
    if to <= from {
        return Err(ApiError::bad("invalid_period", "结束日期不能早于开始日期"));
    }
    Ok(axum::Json(
        svc::success_by_area(&state, &p.actor, &node, from, to).await?,
    ))
}
