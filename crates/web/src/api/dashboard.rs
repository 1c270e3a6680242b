//! The command dashboard's figures for a node and a period.

use super::extract::Query;
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::services::dashboard::{self as svc, Dashboard};
use crate::services::period::Period;
use crate::{ApiError, AppState};
use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(dashboard))
}

/// Which node and period.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct DashboardQuery {
    /// Node code; the caller's own when omitted.
    pub node: Option<String>,
    /// A month, `2026-10` (instead of from/to).
    pub month: Option<String>,
    /// First day (ISO); 6 days before `to` when omitted.
    pub from: Option<String>,
    /// Last day (ISO); today when omitted.
    pub to: Option<String>,
}

impl DashboardQuery {
    /// The period asked for: the month, or from/to.
    pub fn period(&self) -> Result<Period, ApiError> {
        match self.month.as_deref().filter(|m| !m.trim().is_empty()) {
            Some(m) => Period::month(m),
            None => Period::parse(self.from.as_deref(), self.to.as_deref()),
        }
    }
}

/// Cases reported in the period and what became of them (处置率, 按期办结率, 满意率), open and
/// overdue now, 吹哨报到 response, mediation success, patrol coverage, visits; by child node,
/// by category and by day.
#[utoipa::path(get, path = "/dashboard", tag = "dashboard", security(("bearer" = [])), params(DashboardQuery),
    responses((status = 200, body = Dashboard), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn dashboard(
    State(state): State<AppState>,
    ApiUser(p): ApiUser,
    Query(q): Query<DashboardQuery>,
) -> Result<axum::Json<Dashboard>, ApiError> {
    let period = q.period()?;
    let node = q
        .node
        .clone()
        .or_else(|| p.account.node_code.clone())
        .ok_or_else(|| ApiError::bad("node_required", "请指定区域（node）"))?;
    Ok(axum::Json(
        svc::dashboard(&state, &p.actor, &node, period).await?,
    ))
}
