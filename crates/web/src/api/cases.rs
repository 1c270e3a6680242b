//! Cases: categories, reporting, listing, detail with timeline, and transitions.

use super::extract::{Json, Path, Query};
use super::page::{Page, PageParams};
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shanzhi_app::AppError;
use shanzhi_app::cases::{self as svc, CaseQuery, Move, ReportInput, Who};
use shanzhi_app::cases::{CaseRow, CategoryRow, CategorySettings, EventRow};
use shanzhi_domain::case::{Action, Satisfaction, Stage, Tier};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(categories))
        .routes(routes!(change_category))
        .routes(routes!(list, report))
        .routes(routes!(detail))
        .routes(routes!(reporter_phone))
        .routes(routes!(act))
        .routes(routes!(recategorise))
        .routes(routes!(texts))
        .routes(routes!(duplicates))
        .routes(routes!(summons_of, summon))
        .routes(routes!(report_in))
        .routes(routes!(summons_responses))
        .routes(routes!(rate))
}

/// A reporter's rating.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RatingRequest {
    /// 满意, 基本满意 or 不满意.
    pub satisfaction: Satisfaction,
    /// The case's version as the reporter saw it.
    pub version: i64,
}

/// 评价: the reporter rates a closed case by its tracking code (no login: the code is the
/// reporter's). 不满意 reopens it; a stale version is 409.
#[utoipa::path(post, path = "/public/cases/{tracking}/rating", tag = "cases", params(("tracking" = String, Path)),
    request_body = RatingRequest,
    responses((status = 200, body = CaseOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn rate(
    State(state): State<WebState>,
    Path(tracking): Path<String>,
    Json(r): Json<RatingRequest>,
) -> Result<axum::Json<CaseOut>, ApiError> {
    let row = svc::rate(&state, &tracking, r.satisfaction, r.version).await?;
    Ok(axum::Json(row.into()))
}

/// The category list.
#[utoipa::path(get, path = "/categories", tag = "cases", security(("bearer" = [])),
    responses((status = 200, body = Vec<CategoryRow>), (status = 401, body = ErrorBody)))]
async fn categories(
    State(state): State<WebState>,
    _user: ApiUser,
) -> Result<axum::Json<Vec<CategoryRow>>, ApiError> {
    Ok(axum::Json(state.categories().await?.to_vec()))
}

/// Changes a category of the 事项清单 (administrators): whether a matter handled on the spot by
/// the grid worker who found it still goes to the community's 核查. Every process uses the
/// change within a second.
#[utoipa::path(patch, path = "/categories/{code}", tag = "cases", security(("bearer" = [])),
    params(("code" = String, Path, description = "category code, e.g. 03")), request_body = CategorySettings,
    responses((status = 200, body = CategoryRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn change_category(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(code): Path<String>,
    Json(change): Json<CategorySettings>,
) -> Result<axum::Json<CategoryRow>, ApiError> {
    Ok(axum::Json(
        svc::change_category(&state, &p, &code, &change).await?,
    ))
}

/// A case, with its stage in Chinese.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaseOut {
    /// The stored case.
    #[serde(flatten)]
    pub case: CaseRow,
    /// Stage in Chinese.
    pub stage_label: String,
}

impl From<CaseRow> for CaseOut {
    fn from(case: CaseRow) -> Self {
        CaseOut {
            stage_label: case.stage.label().into(),
            case,
        }
    }
}

/// Reports a case. With lon/lat it is placed in the deepest grid containing the point.
#[utoipa::path(post, path = "/cases", tag = "cases", security(("bearer" = [])), request_body = ReportInput,
    responses((status = 201, body = CaseOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn report(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Json(input): Json<ReportInput>,
) -> Result<(StatusCode, axum::Json<CaseOut>), ApiError> {
    let row = svc::report(&state, &p.actor, &p.account, input, Vec::new()).await?;
    Ok((StatusCode::CREATED, axum::Json(row.into())))
}

/// Paging of a list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// Cursor from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–500.
    pub limit: Option<u32>,
}

/// Cases in the caller's scope (departments: cases dispatched to them), newest first,
/// filtered and searched: `q=漏水` finds every case whose title, description or address
/// contains it.
#[utoipa::path(get, path = "/cases", tag = "cases", security(("bearer" = [])), params(ListParams, CaseQuery),
    responses((status = 200, body = Page<CaseOut>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(paging): Query<ListParams>,
    Query(q): Query<CaseQuery>,
) -> Result<axum::Json<Page<CaseOut>>, ApiError> {
    let page = PageParams {
        cursor: paging.cursor,
        limit: paging.limit,
    };
    let limit = page.limit()?;
    let before = page
        .after()?
        .map(|c| c.parse::<i64>())
        .transpose()
        .map_err(|_| ApiError::bad("invalid_cursor", "cursor 无效"))?;
    let rows = svc::search(&state, &p.actor, &q, before, limit).await?;
    Ok(axum::Json(Page::new(
        rows.into_iter().map(CaseOut::from).collect(),
        limit,
        |c| c.case.id.to_string(),
    )))
}

/// A timeline entry.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventOut {
    /// When (ms).
    pub at: i64,
    /// Who, in words.
    pub actor: String,
    /// Action.
    pub action: String,
    /// Stage before.
    pub from_stage: Option<Stage>,
    /// Stage after.
    pub to_stage: Stage,
    /// Note, reason or result.
    pub note: String,
    /// Shown to the reporter.
    pub public: bool,
}

impl From<EventRow> for EventOut {
    fn from(e: EventRow) -> Self {
        EventOut {
            at: e.at,
            actor: e.actor_label,
            action: e.action,
            from_stage: e.from_stage,
            to_stage: e.to_stage,
            note: e.note,
            public: e.public,
        }
    }
}

/// A case with its timeline.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaseDetail {
    /// The case.
    pub case: CaseOut,
    /// Every step, oldest first.
    pub timeline: Vec<EventOut>,
    /// Times the command centre urged it (催办).
    pub urged: usize,
    /// Times it was put under supervision (督办).
    pub supervised: usize,
}

/// The reporter's phone number.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PhoneOut {
    /// The full number.
    pub phone: String,
}

/// Reveals the reporter's full phone number for a call-back (回访); for staff with standing on
/// the case, and recorded in the audit trail.
#[utoipa::path(post, path = "/cases/{id}/reporter-phone", tag = "cases", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = PhoneOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn reporter_phone(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<PhoneOut>, ApiError> {
    let case = svc::visible(&state, &p.actor, id).await?;
    let phone = svc::reveal_reporter_phone(&state, &p.actor, &p.account, &case).await?;
    Ok(axum::Json(PhoneOut { phone }))
}

/// One case with its whole timeline.
#[utoipa::path(get, path = "/cases/{id}", tag = "cases", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = CaseDetail), (status = 404, body = ErrorBody)))]
async fn detail(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<CaseDetail>, ApiError> {
    let (case, timeline) = svc::with_timeline(&state, &p.actor, id).await?;
    let count = |a: &str| timeline.iter().filter(|e| e.action == a).count();
    let (urged, supervised) = (count("urge"), count("supervise"));
    Ok(axum::Json(CaseDetail {
        case: case.into(),
        timeline: timeline.into_iter().map(EventOut::from).collect(),
        urged,
        supervised,
    }))
}

/// A transition request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ActionRequest {
    /// accept, reject, merge, dispatch, start, return, escalate, handle, resolve (就地处置: the
    /// grid worker who reported a matter on the grid duty list deals with it on the spot),
    /// verify_pass, verify_fail, close, follow_up, urge (催办), supervise (督办).
    pub action: String,
    /// The case version you saw; a stale version is refused with 409.
    pub version: i64,
    /// Reason (reject, merge, return, escalate, verify_fail).
    pub reason: Option<String>,
    /// What was done (handle, resolve).
    pub result: Option<String>,
    /// Note (follow_up, urge, supervise).
    pub note: Option<String>,
    /// Dispatch target tier.
    pub to: Option<Tier>,
    /// Dispatch target department.
    pub department_id: Option<i64>,
    /// Merge target case.
    pub into: Option<i64>,
    /// Rating (reporters only).
    pub satisfaction: Option<Satisfaction>,
}

fn action_of(r: &ActionRequest) -> Result<Action, AppError> {
    let text = r
        .reason
        .clone()
        .or_else(|| r.result.clone())
        .or_else(|| r.note.clone())
        .unwrap_or_default();
    svc::parse_action(&r.action, text, r.to, r.into, r.satisfaction)
}

/// Moves a case through the loop. Refused with a clear error when the stage, the caller or a
/// missing reason does not allow it; 409 when someone else moved the case first.
#[utoipa::path(post, path = "/cases/{id}/actions", tag = "cases", security(("bearer" = [])), params(("id" = i64, Path)), request_body = ActionRequest,
    responses((status = 200, body = CaseOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn act(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<ActionRequest>,
) -> Result<axum::Json<CaseOut>, ApiError> {
    let m = Move {
        action: action_of(&r)?,
        version: r.version,
        department_id: r.department_id,
    };
    let case = svc::visible(&state, &p.actor, id).await?;
    let row = svc::transition(
        &state,
        Who::Staff {
            actor: &p.actor,
            account: &p.account,
        },
        case,
        m,
    )
    .await?;
    Ok(axum::Json(row.into()))
}

/// A re-categorisation (改类).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CategoryChange {
    /// The right category: a leaf of the list (a subcategory, or a category without any).
    pub category: String,
    /// Why the case was under the wrong one.
    pub reason: String,
    /// The case version you saw; a stale version is refused with 409.
    pub version: i64,
}

/// 改类: the level that accepts the case puts it under the right category, before dispatch;
/// routing and deadlines are worked out again (from the report time), and a case that now
/// belongs to another level goes back to 待受理 there.
#[utoipa::path(post, path = "/cases/{id}/category", tag = "cases", security(("bearer" = [])), params(("id" = i64, Path)), request_body = CategoryChange,
    responses((status = 200, body = CaseOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn recategorise(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<CategoryChange>,
) -> Result<axum::Json<CaseOut>, ApiError> {
    let case = svc::visible(&state, &p.actor, id).await?;
    let row = svc::recategorise(
        &state,
        &p.actor,
        &p.account,
        case,
        r.version,
        &r.category,
        &r.reason,
    )
    .await?;
    Ok(axum::Json(row.into()))
}

/// The texts sent to the reporter about the case (短信通知), oldest first: what each said, to
/// which masked phone, and whether the gateway took it.
#[utoipa::path(get, path = "/cases/{id}/texts", tag = "cases", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<shanzhi_app::sms::TextRow>), (status = 404, body = ErrorBody)))]
async fn texts(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<Vec<shanzhi_app::sms::TextRow>>, ApiError> {
    Ok(axum::Json(
        shanzhi_app::sms::of_case(&state, &p.actor, id).await?,
    ))
}

/// A case that may be the same problem, and why.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DuplicateOut {
    /// The case.
    #[serde(flatten)]
    pub case: CaseOut,
    /// Why, in words: 同类事项，相距 120 米 / 同一地址，文字相似 0.82.
    pub why: String,
}

/// Possible duplicates of a case (一件多诉), open and reported within a week of it: the same
/// category within 200 m, or alike in words (any category) within 200 m, at the same
/// address, or in the same grid when one has no position.
#[utoipa::path(get, path = "/cases/{id}/duplicates", tag = "cases", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<DuplicateOut>), (status = 404, body = ErrorBody)))]
async fn duplicates(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<Vec<DuplicateOut>>, ApiError> {
    let case = svc::visible(&state, &p.actor, id).await?;
    let rows = svc::possible_duplicates(&state, &p.actor, &case).await?;
    Ok(axum::Json(
        rows.into_iter()
            .map(|(c, why)| DuplicateOut {
                case: CaseOut::from(c),
                why,
            })
            .collect(),
    ))
}

/// 吹哨: a street or community summons departments to a case.
#[utoipa::path(post, path = "/cases/{id}/summons", tag = "cases", security(("bearer" = [])), params(("id" = i64, Path)), request_body = svc::Whistle,
    responses((status = 201, body = Vec<svc::SummonsRow>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn summon(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<svc::Whistle>,
) -> Result<(StatusCode, axum::Json<Vec<svc::SummonsRow>>), ApiError> {
    let case = svc::visible(&state, &p.actor, id).await?;
    let rows = svc::summon(&state, &p.actor, &p.account, &case, &r).await?;
    Ok((StatusCode::CREATED, axum::Json(rows)))
}

/// The departments summoned to a case and whether they reported in.
#[utoipa::path(get, path = "/cases/{id}/summons", tag = "cases", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<svc::SummonsRow>), (status = 404, body = ErrorBody)))]
async fn summons_of(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<Vec<svc::SummonsRow>>, ApiError> {
    Ok(axum::Json(svc::summonses(&state, &p.actor, id).await?))
}

/// A department's report-in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReportInRequest {
    /// What the department takes on (its part).
    pub part: String,
}

/// 报到: a summoned department reports in with its part.
#[utoipa::path(post, path = "/cases/{id}/summons/report-in", tag = "cases", security(("bearer" = [])), params(("id" = i64, Path)), request_body = ReportInRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn report_in(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<ReportInRequest>,
) -> Result<StatusCode, ApiError> {
    let case = svc::visible(&state, &p.actor, id).await?;
    svc::report_in(&state, &p.actor, &p.account, &case, &r.part).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Period for response figures.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ResponsesParams {
    /// Look back this many days (default 30).
    pub days: Option<i64>,
}

/// 吹哨报到 response figures per department: summoned, reported in, late, average minutes.
#[utoipa::path(get, path = "/summons/responses", tag = "cases", security(("bearer" = [])), params(ResponsesParams),
    responses((status = 200, body = Vec<svc::DepartmentResponse>), (status = 403, body = ErrorBody)))]
async fn summons_responses(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<ResponsesParams>,
) -> Result<axum::Json<Vec<svc::DepartmentResponse>>, ApiError> {
    Ok(axum::Json(
        svc::summons_responses(&state, &p.actor, q.days.unwrap_or(30)).await?,
    ))
}
