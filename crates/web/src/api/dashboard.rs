//! The command dashboard's figures for a node and a period.

use super::extract::Query;
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::extract::State;
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::dashboard::{self as svc, Dashboard};
use shanzhi_app::period::Period;
use shanzhi_domain::case::Day;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(dashboard))
        .routes(routes!(monthly_report))
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
    pub fn period(&self, today: Day) -> Result<Period, AppError> {
        match self.month.as_deref().filter(|m| !m.trim().is_empty()) {
            Some(m) => Period::month(m, today),
            None => Period::parse(self.from.as_deref(), self.to.as_deref(), today),
        }
    }
}

/// Cases reported in the period and what became of them (处置率, 按期办结率, 满意率), open and
/// overdue now, 吹哨报到 response, mediation success, patrol coverage, visits; by child node,
/// by category and by day.
#[utoipa::path(get, path = "/dashboard", tag = "dashboard", security(("bearer" = [])), params(DashboardQuery),
    responses((status = 200, body = Dashboard), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn dashboard(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<DashboardQuery>,
) -> Result<axum::Json<Dashboard>, ApiError> {
    let period = q.period(state.clock().today())?;
    let node = p.node_or_own(q.node.as_deref())?;
    Ok(axum::Json(
        svc::dashboard(&state, &p.actor, &node, period).await?,
    ))
}

/// Which report.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReportQuery {
    /// Node code; the caller's own when omitted.
    pub node: Option<String>,
    /// Month, `2026-10`.
    pub month: String,
    /// `xlsx` (default) or `pdf`.
    pub format: Option<String>,
}

/// The month's report of a node (月报) as xlsx or PDF: the figures, tables per child node and
/// category, the grid workers' ranking and the daily trend. Generated in-process.
#[utoipa::path(get, path = "/reports/monthly", tag = "dashboard", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, content_type = "application/pdf"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn monthly_report(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<ReportQuery>,
) -> Result<axum::response::Response, ApiError> {
    let node = p.node_or_own(q.node.as_deref())?;
    report_file(&state, &p.actor, &node, &q.month, q.format.as_deref()).await
}

/// The report as a download in the asked format.
pub(crate) async fn report_file(
    state: &WebState,
    actor: &crate::auth::Actor,
    node: &str,
    month: &str,
    format: Option<&str>,
) -> Result<axum::response::Response, ApiError> {
    use crate::download::{PDF, XLSX, file};
    use shanzhi_app::report;
    let r = report::monthly(state, actor, node, month).await?;
    match format.unwrap_or("xlsx") {
        "xlsx" => Ok(file(
            &format!("{}.xlsx", r.file_stem),
            XLSX,
            report::xlsx::write(&r)?,
        )),
        "pdf" => {
            // Laying out and subsetting the font is CPU work: off the async threads.
            let bytes = tokio::task::spawn_blocking(move || {
                report::pdf::write(&r).map(|b| (r.file_stem, b))
            })
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
            Ok(file(&format!("{}.pdf", bytes.0), PDF, bytes.1))
        }
        other => Err(ApiError::bad(
            "invalid_format",
            format!("格式 {other} 无效：应为 xlsx 或 pdf"),
        )),
    }
}
