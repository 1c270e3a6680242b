//! The four registers (四册) over the API: grid facts and counts, residents and households,
//! places and inspections, staff; sheet templates, imports (as jobs) and exports.

use super::extract::{Json as JsonIn, Path, Query};
use crate::auth::{ApiUser, Principal};
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shanzhi_app::AppError;
use shanzhi_app::registers::export;
use shanzhi_app::registers::grids::{self, GridRegister, StaffInput, TrainingInput};
use shanzhi_app::registers::grids::{GridFacts, StaffRow};
use shanzhi_app::registers::import::{Reading, Report, Upload};
use shanzhi_app::registers::jobs::{self, JobStatus};
use shanzhi_app::registers::places::{self, InspectionInput, PlaceInput};
use shanzhi_app::registers::places::{InspectionRow, PlaceRow};
use shanzhi_app::registers::reads::Purpose;
use shanzhi_app::registers::residents::PersonRow;
use shanzhi_app::registers::residents::{
    self as svc, Address, HouseholdInput, MemberInput, PersonDetail, PersonEdit, RevealField,
    SearchQuery,
};
use shanzhi_app::registers::source::Format;
use tokio_stream::StreamExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Largest register sheet accepted over HTTP (about two million residents as CSV).
pub const SHEET_LIMIT: u64 = 512 * 1024 * 1024;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(summary))
        .routes(routes!(put_facts))
        .routes(routes!(search))
        .routes(routes!(person, edit_person))
        .routes(routes!(reveal))
        .routes(routes!(create_household))
        .routes(routes!(add_member))
        .routes(routes!(move_household))
        .routes(routes!(list_places, create_place))
        .routes(routes!(place))
        .routes(routes!(inspect))
        .routes(routes!(list_staff, create_staff))
        .routes(routes!(train))
        .routes(routes!(template))
        .routes(routes!(export_sheet))
        .routes(routes!(import))
        .routes(routes!(job))
        .layer(DefaultBodyLimit::disable())
}

/// The id of what was created.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Created {
    /// Id.
    pub id: i64,
}

fn created(id: i64) -> (StatusCode, Json<Created>) {
    (StatusCode::CREATED, Json(Created { id }))
}

/// A node's registers at a glance: the grid's facts and live counts of households, residents
/// by status and tag, places by kind and risk, staff by role.
#[utoipa::path(get, path = "/registers/{code}", tag = "registers", security(("bearer" = [])), params(("code" = String, Path)),
    responses((status = 200, body = GridRegister), (status = 404, body = ErrorBody)))]
async fn summary(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(code): Path<String>,
) -> Result<Json<GridRegister>, ApiError> {
    Ok(Json(grids::summary(&state, &p, &code).await?))
}

/// Writes a grid's facts (area, party branch …); audited with before and after.
#[utoipa::path(put, path = "/registers/{code}/facts", tag = "registers", security(("bearer" = [])), params(("code" = String, Path)),
    request_body = GridFacts, responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn put_facts(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(code): Path<String>,
    JsonIn(f): JsonIn<GridFacts>,
) -> Result<StatusCode, ApiError> {
    grids::put_facts(&state, &p, &code, &f).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Searches residents in the caller's scope by name prefix, exact ID number or exact phone
/// (through the blind index), address or tag. ID and phone numbers come back masked.
#[utoipa::path(get, path = "/residents", tag = "registers", security(("bearer" = [])), params(SearchQuery),
    responses((status = 200, body = Vec<PersonRow>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn search(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<PersonRow>>, ApiError> {
    Ok(Json(svc::search(&state, &p, &q).await?))
}

/// A resident with household, tags, moves and the cases they reported.
///
/// Departments open only people carrying a tag of their duty, without household or cases.
/// Name the case or visit it is for with `case` or `visit`: the audit record keeps it.
#[utoipa::path(get, path = "/residents/{id}", tag = "registers", security(("bearer" = [])), params(("id" = i64, Path), Purpose),
    responses((status = 200, body = PersonDetail), (status = 404, body = ErrorBody)))]
async fn person(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Query(why): Query<Purpose>,
) -> Result<Json<PersonDetail>, ApiError> {
    Ok(Json(svc::detail(&state, &p, id, &why).await?))
}

/// Edits a resident (send the `updated_at` you read: a stale edit answers 409). A phone still
/// masked (with `*`) keeps the number on record.
#[utoipa::path(put, path = "/residents/{id}", tag = "registers", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = PersonEdit, responses((status = 204), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn edit_person(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    JsonIn(e): JsonIn<PersonEdit>,
) -> Result<StatusCode, ApiError> {
    svc::update_person(&state, &p, id, &e).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What to reveal.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RevealIn {
    /// `id_number` or `phone`.
    pub field: RevealField,
}

/// A revealed value.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Revealed {
    /// The full value.
    pub value: String,
}

/// Reveals a resident's full ID or phone number; recorded in the audit trail first.
#[utoipa::path(post, path = "/residents/{id}/reveal", tag = "registers", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = RevealIn, responses((status = 200, body = Revealed), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn reveal(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    JsonIn(r): JsonIn<RevealIn>,
) -> Result<Json<Revealed>, ApiError> {
    Ok(Json(Revealed {
        value: svc::reveal(&state, &p, id, r.field).await?,
    }))
}

/// Registers a household and its members in one go (one head; an ID number already on the
/// register is refused: a person belongs to one household).
#[utoipa::path(post, path = "/households", tag = "registers", security(("bearer" = [])),
    request_body = HouseholdInput, responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
async fn create_household(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    JsonIn(h): JsonIn<HouseholdInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    Ok(created(svc::create_household(&state, &p, &h).await?))
}

/// Adds a member to a household.
#[utoipa::path(post, path = "/households/{id}/members", tag = "registers", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = MemberInput, responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
async fn add_member(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    JsonIn(m): JsonIn<MemberInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    Ok(created(svc::add_member(&state, &p, id, &m).await?))
}

/// Moves a household to another house; its past addresses are kept.
#[utoipa::path(post, path = "/households/{id}/move", tag = "registers", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = Address, responses((status = 204), (status = 422, body = ErrorBody)))]
async fn move_household(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    JsonIn(a): JsonIn<Address>,
) -> Result<StatusCode, ApiError> {
    svc::move_household(&state, &p, id, &a).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which places to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PlaceQuery {
    /// Under this node (default: the caller's scope).
    pub node: Option<String>,
    /// Only this kind (code).
    pub kind: Option<String>,
    /// Name contains.
    pub q: Option<String>,
    /// After this id.
    pub after: Option<i64>,
}

/// Key places in scope.
#[utoipa::path(get, path = "/places", tag = "registers", security(("bearer" = [])), params(PlaceQuery),
    responses((status = 200, body = Vec<PlaceRow>), (status = 404, body = ErrorBody)))]
async fn list_places(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<PlaceQuery>,
) -> Result<Json<Vec<PlaceRow>>, ApiError> {
    Ok(Json(
        places::list(
            &state,
            &p,
            q.node.as_deref(),
            q.kind.as_deref(),
            q.q.as_deref(),
            q.after.unwrap_or(0),
            200,
        )
        .await?,
    ))
}

/// Registers a place; a position places it in its grid.
#[utoipa::path(post, path = "/places", tag = "registers", security(("bearer" = [])),
    request_body = PlaceInput, responses((status = 201, body = Created), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_place(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    JsonIn(i): JsonIn<PlaceInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    Ok(created(places::create(&state, &p, &i).await?))
}

/// A place with its inspections.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlaceDetail {
    /// The place.
    pub place: PlaceRow,
    /// Its inspections, newest first.
    pub inspections: Vec<InspectionRow>,
}

/// One place.
#[utoipa::path(get, path = "/places/{id}", tag = "registers", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = PlaceDetail), (status = 404, body = ErrorBody)))]
async fn place(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<PlaceDetail>, ApiError> {
    let place = places::visible(&state, &p, id).await?;
    let inspections = places::inspections(&state, &p, id).await?;
    Ok(Json(PlaceDetail { place, inspections }))
}

/// Records an inspection of a place.
#[utoipa::path(post, path = "/places/{id}/inspections", tag = "registers", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = InspectionInput, responses((status = 201, body = Created), (status = 400, body = ErrorBody)))]
async fn inspect(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    JsonIn(i): JsonIn<InspectionInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    Ok(created(places::inspect(&state, &p, id, &i).await?))
}

/// Which node.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct NodeQuery {
    /// The node (default: the caller's own).
    pub node: Option<String>,
}

fn node_or_scope(p: &Principal, node: Option<String>) -> Result<String, AppError> {
    node.or_else(|| p.actor.scope_root().map(str::to_owned))
        .ok_or_else(|| AppError::bad("missing_node", "请用 ?node= 指定节点编码"))
}

/// Staff serving grids under a node.
#[utoipa::path(get, path = "/staff", tag = "registers", security(("bearer" = [])), params(NodeQuery),
    responses((status = 200, body = Vec<StaffRow>), (status = 404, body = ErrorBody)))]
async fn list_staff(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<NodeQuery>,
) -> Result<Json<Vec<StaffRow>>, ApiError> {
    let node = node_or_scope(&p, q.node)?;
    Ok(Json(grids::list_staff(&state, &p, &node).await?))
}

/// Adds a staff record (one person may serve several grids).
#[utoipa::path(post, path = "/staff", tag = "registers", security(("bearer" = [])),
    request_body = StaffInput, responses((status = 201, body = Created), (status = 400, body = ErrorBody)))]
async fn create_staff(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    JsonIn(s): JsonIn<StaffInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    Ok(created(grids::create_staff(&state, &p, &s).await?))
}

/// Records a training of a staff member.
#[utoipa::path(post, path = "/staff/{id}/trainings", tag = "registers", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = TrainingInput, responses((status = 204), (status = 400, body = ErrorBody)))]
async fn train(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    JsonIn(t): JsonIn<TrainingInput>,
) -> Result<StatusCode, ApiError> {
    grids::train(&state, &p, id, &t).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An xlsx answer to download.
pub(crate) fn xlsx(name: &str, bytes: Vec<u8>) -> Response {
    crate::download::file(&format!("{name}.xlsx"), crate::download::XLSX, bytes)
}

/// The blank template of a register (`residents` or `places`), with examples and a guide sheet.
#[utoipa::path(get, path = "/registers/templates/{register}", tag = "registers", security(("bearer" = [])), params(("register" = String, Path)),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = ErrorBody)))]
async fn template(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(register): Path<String>,
) -> Result<Response, ApiError> {
    template_for(&state, &p, &register).await
}

/// The template file for a register (shared with the pages).
pub(crate) async fn template_for(
    state: &WebState,
    p: &Principal,
    register: &str,
) -> Result<Response, ApiError> {
    let grid = export::example_grid(state, p).await?;
    match register {
        "residents" => {
            let tags: Vec<String> = svc::tag_kinds(state)
                .await?
                .into_iter()
                .map(|t| t.name)
                .collect();
            Ok(xlsx(
                "residents-template",
                export::residents_template(&tags, &grid)?,
            ))
        }
        "places" => Ok(xlsx("places-template", export::places_template(&grid)?)),
        "staff" => Ok(xlsx("staff-template", export::staff_template(&grid)?)),
        _ => Err(ApiError::not_found()),
    }
}

/// A register under a node as xlsx, in the template's columns: full ID and phone numbers for
/// community officers (who hand the register upward), masked for everyone else; audited.
#[utoipa::path(get, path = "/registers/export/{register}", tag = "registers", security(("bearer" = [])), params(("register" = String, Path), NodeQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn export_sheet(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(register): Path<String>,
    Query(q): Query<NodeQuery>,
) -> Result<Response, ApiError> {
    let node = node_or_scope(&p, q.node)?;
    export_for(&state, &p, &register, &node).await
}

/// The export file for a register (shared with the pages).
pub(crate) async fn export_for(
    state: &WebState,
    p: &Principal,
    register: &str,
    node: &str,
) -> Result<Response, ApiError> {
    match register {
        "residents" => Ok(xlsx(
            &format!("residents-{node}"),
            export::residents(state, p, node).await?,
        )),
        "places" => Ok(xlsx(
            &format!("places-{node}"),
            export::places(state, p, node).await?,
        )),
        "staff" => Ok(xlsx(
            &format!("staff-{node}"),
            export::staff(state, p, node).await?,
        )),
        _ => Err(ApiError::not_found()),
    }
}

/// How to import.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ImportParams {
    /// The file's name (its extension tells CSV from xlsx; xlsx is also known by content).
    pub name: Option<String>,
    /// Only check, write nothing.
    #[serde(default)]
    pub check_only: bool,
    /// Wait for the outcome instead of answering 202 with a job to follow.
    #[serde(default)]
    pub wait: bool,
    /// Columns whose header the guess gets wrong: `name:名字,id_number:证件号`.
    pub mapping: Option<String>,
    /// The header's row number, when the guess (the row naming most columns) is wrong.
    pub header_row: Option<u32>,
    /// A refresh (residents): people already registered are compared by ID number and
    /// updated (with `check_only`, only the preview of what would change).
    #[serde(default)]
    pub update: bool,
    /// In a refresh, also list who is registered in the file's grids but not in the file.
    #[serde(default)]
    pub missing: bool,
    /// The grid of rows without one (a grid's own register, with no 网格编码 column).
    pub grid: Option<String>,
}

impl ImportParams {
    /// How to read the file.
    pub(crate) fn reading(&self) -> Reading {
        Reading {
            header_row: self.header_row,
            mapping: parse_mapping(self.mapping.as_deref()),
            update: self.update,
            missing: self.missing,
            grid: self.grid.clone(),
        }
    }
}

/// Reads `key:header,key:header`.
pub(crate) fn parse_mapping(text: Option<&str>) -> Vec<(String, String)> {
    text.unwrap_or_default()
        .split([',', '，'])
        .filter_map(|pair| pair.split_once([':', '：']))
        .map(|(k, h)| (k.trim().to_owned(), h.trim().to_owned()))
        .collect()
}

/// Streams a request body to a temporary file, refusing more than [`SHEET_LIMIT`] bytes.
async fn receive(state: &WebState, name: &str, body: Body) -> Result<Upload, ApiError> {
    use tokio::io::AsyncWriteExt;
    let io = |e: std::io::Error| AppError::Internal(format!("upload: {e}"));
    let mut upload = Upload::save(&state.config().upload_dir, name, &[]).map_err(io)?;
    let mut file = tokio::fs::File::create(&upload.path).await.map_err(io)?;
    let mut stream = body.into_data_stream();
    let mut size = 0u64;
    let mut head = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad("upload_failed", format!("上传中断：{e}")))?;
        size += chunk.len() as u64;
        if size > SHEET_LIMIT {
            return Err(AppError::TooLarge(format!(
                "文件超过 {} MB，请分批导入",
                SHEET_LIMIT >> 20
            ))
            .into());
        }
        if head.len() < Format::HEAD {
            let more = (Format::HEAD - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..more]);
        }
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    upload.size = size;
    upload.format = Format::guess(name, &head);
    Ok(upload)
}

/// Imports a register sheet (`residents` or `places`; CSV or xlsx as the request body). Every
/// row is checked first and the file is written only if none is wrong, in one transaction. By
/// default the answer is 202 with a job to follow at `/registers/imports/{job}`; with
/// `wait=true` it is the report itself (422 listing every bad row when there are any).
#[utoipa::path(post, path = "/registers/import/{register}", tag = "registers", security(("bearer" = [])), params(("register" = String, Path), ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = Report), (status = 202, body = JobStatus), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(register): Path<String>,
    Query(q): Query<ImportParams>,
    body: Body,
) -> Result<Response, ApiError> {
    let name = q.name.clone().unwrap_or_else(|| "upload.csv".to_owned());
    let upload = receive(&state, &name, body).await?;
    let job = jobs::start(&state, &p, &register, upload, q.reading(), q.check_only).await?;
    if !q.wait {
        let s = jobs::status(&state, &job.id, p.account.id).await?;
        return Ok((StatusCode::ACCEPTED, Json(s)).into_response());
    }
    let s = job
        .finished
        .await
        .map_err(|e| AppError::Internal(format!("import job: {e}")))?;
    match (s.report, s.error) {
        (Some(r), _) if !r.problems.is_empty() => Err(rejected(&r).into()),
        (Some(r), _) => Ok(Json(r).into_response()),
        (None, e) => Err(ApiError::bad("import_failed", e.unwrap_or_default())),
    }
}

/// A report with bad rows as the one error shape (422).
pub(crate) fn rejected(r: &Report) -> AppError {
    let first = r
        .problems
        .listed
        .first()
        .map(|e| format!("第 {} 行 {}：{}", e.row, e.field, e.message))
        .unwrap_or_default();
    AppError::Unprocessable {
        code: "invalid_rows",
        message: format!(
            "{first}。共 {} 处错误，未导入任何数据，请改正后重新导入",
            r.problems.total
        ),
        details: serde_json::to_value(r).unwrap_or_default(),
    }
}

/// Where an import stands; its report once it is done.
#[utoipa::path(get, path = "/registers/imports/{job}", tag = "registers", security(("bearer" = [])), params(("job" = String, Path)),
    responses((status = 200, body = JobStatus), (status = 404, body = ErrorBody)))]
async fn job(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(job): Path<String>,
) -> Result<Json<JobStatus>, ApiError> {
    Ok(Json(jobs::status(&state, &job, p.account.id).await?))
}
