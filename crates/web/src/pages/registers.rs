//! The four registers (四册) as pages: one page per node with the four 册 as tabs, the forms
//! a grid worker fills on a phone, sheet imports with progress, templates and exports.

use super::{Chrome, PageError, render, url_encode};
use crate::WebState;
use crate::api::registers::{export_for, template_for};
use crate::auth::{CsrfForm, CsrfMultipart, PageUser, csrf_token};
use crate::pages::{Path, Query};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::policy::{Ask, Resource, Verb};
use shanzhi_app::registers::grids::{self, GridRegister, StaffInput};
use shanzhi_app::registers::grids::{GridFacts, StaffRow};
use shanzhi_app::registers::import::{MappedColumn, Phase, Reading, Upload};
use shanzhi_app::registers::jobs::{self, JobStatus};
use shanzhi_app::registers::places::PlaceRow;
use shanzhi_app::registers::places::{self, PlaceInput};
use shanzhi_app::registers::residents::{
    self as svc, Address, HouseholdInput, MemberInput, SearchQuery,
};
use shanzhi_app::registers::residents::{PersonRow, TagKindRow};
use shanzhi_domain::personal::Sex;
use shanzhi_domain::register::resident::PersonInput;
use shanzhi_domain::register::vocab::{PlaceKind, Residence, Risk, StaffRole};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/registers", get(mine))
        .route("/registers/{code}", get(show))
        .route("/registers/{code}/facts", post(save_facts))
        .route("/registers/{code}/staff", post(add_staff))
        .route("/registers/{code}/places", post(add_place))
        .route("/registers/{code}/households", post(add_household))
        .route("/registers/{code}/households/new", get(household_form))
        .route("/registers/{code}/import", post(import))
        .route("/registers/{code}/export/{register}", get(export))
        .route("/registers/{code}/template/{register}", get(template))
        .route("/registers/imports/{job}", get(job))
        .route("/registers/imports/{job}/confirm", post(confirm))
        .layer(DefaultBodyLimit::disable())
}

/// Every problem of a refused entry, one line: `公民身份号码：…；联系电话：…`.
pub(super) fn problem_text(e: &AppError) -> String {
    match e {
        AppError::Unprocessable { details, .. } if details.is_array() => details
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| {
                format!(
                    "{}：{}",
                    d["field"].as_str().unwrap_or_default(),
                    d["message"].as_str().unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("；"),
        other => other.to_string(),
    }
}

/// Where a form goes after it is sent: back with a notice, or back with what to fix. Only
/// input errors come back to the form; anything else is an error page.
pub(super) fn back(to: &str, result: Result<String, AppError>) -> Result<Redirect, PageError> {
    let sep = if to.contains('?') { '&' } else { '?' };
    match result {
        Ok(notice) => Ok(Redirect::to(&format!(
            "{to}{sep}notice={}",
            url_encode(&notice)
        ))),
        Err(
            e @ (AppError::BadRequest { .. }
            | AppError::Unprocessable { .. }
            | AppError::Conflict(_)),
        ) => Ok(Redirect::to(&format!(
            "{to}{sep}error={}",
            url_encode(&problem_text(&e))
        ))),
        Err(e) => Err(e.into()),
    }
}

async fn mine(PageUser(p): PageUser) -> Redirect {
    Redirect::to(&format!(
        "/registers/{}",
        p.actor.scope_root().unwrap_or("45")
    ))
}

/// What the register page shows.
#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    tab: Option<String>,
    q: Option<String>,
    tag: Option<String>,
    address: Option<String>,
    after: Option<i64>,
    notice: Option<String>,
    error: Option<String>,
}

const TABS: [(&str, &str); 4] = [
    ("facts", "网格基础信息"),
    ("staff", "网格长(员)"),
    ("residents", "居民"),
    ("places", "重点场所"),
];

/// A resident line of the list.
struct PersonLine {
    p: PersonRow,
    sex: &'static str,
    relation: &'static str,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    style: &'static str,
    chrome: Chrome,
    tab: String,
    tabs: Vec<(&'static str, &'static str)>,
    summary: GridRegister,
    is_grid: bool,
    keeps: bool,
    /// Whether this user may export the tab's register.
    exports: bool,
    notice: Option<String>,
    error: Option<String>,
    statuses: Vec<(String, i64)>,
    places_count: Vec<(String, String, i64)>,
    staff_count: Vec<(String, i64)>,
    staff: Vec<(StaffRow, &'static str)>,
    roles: &'static [StaffRole],
    people: Vec<PersonLine>,
    next_after: Option<i64>,
    q: String,
    tag: String,
    address: String,
    tag_kinds: Vec<TagKindRow>,
    places: Vec<(PlaceRow, &'static str, &'static str)>,
    place_kinds: &'static [PlaceKind],
    risks: &'static [Risk],
}

/// The label of a stored form the figures are grouped by ("" for one no longer known).
fn label_of<T: std::str::FromStr>(code: &str, label: fn(T) -> &'static str) -> &'static str {
    code.parse().map_or("", label)
}

async fn show(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Path(code): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<(CookieJar, Response), PageError> {
    let k = &p;
    let summary = grids::summary(&state, k, &code).await?;
    let tab = q
        .tab
        .clone()
        .filter(|t| TABS.iter().any(|(k, _)| k == t))
        .unwrap_or_else(|| "facts".into());
    let mut people = Vec::new();
    let mut next_after = None;
    let mut staff = Vec::new();
    let mut places_list = Vec::new();
    let tag_kinds = svc::listable_tags(&state, &p).await?;
    match tab.as_str() {
        "residents" => {
            let found = svc::search(
                &state,
                k,
                &SearchQuery {
                    node: Some(code.clone()),
                    q: q.q.clone(),
                    address: q.address.clone(),
                    tag: q.tag.clone().filter(|t| !t.is_empty()),
                    household: None,
                    after: q.after,
                    limit: Some(50),
                    case: None,
                    visit: None,
                },
            )
            .await;
            let found = match found {
                Ok(f) => f,
                Err(e @ AppError::BadRequest { .. }) => {
                    let to = format!("/registers/{code}?tab=residents");
                    return Ok((jar, back(&to, Err(e))?.into_response()));
                }
                Err(e) => return Err(e.into()),
            };
            next_after = (found.len() == 50)
                .then(|| found.last().map(|p| p.id))
                .flatten();
            people = found
                .into_iter()
                .map(|p| PersonLine {
                    sex: p.sex.map_or("", Sex::label),
                    relation: p.relation.label(),
                    status: p.status.label(),
                    p,
                })
                .collect();
        }
        "staff" => {
            staff = grids::list_staff(&state, k, &code)
                .await?
                .into_iter()
                .map(|s| {
                    let role = s.role.label();
                    (s, role)
                })
                .collect();
        }
        "places" => {
            places_list = places::list(
                &state,
                k,
                Some(&code),
                None,
                q.q.as_deref(),
                q.after.unwrap_or(0),
                200,
            )
            .await?
            .into_iter()
            .map(|pl| {
                let (kind, risk) = (pl.kind.label(), pl.risk.label());
                (pl, kind, risk)
            })
            .collect();
        }
        _ => {}
    }
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let statuses = summary
        .residents
        .by_status
        .iter()
        .map(|(s, n)| (label_of(s, Residence::label).to_owned(), *n))
        .collect();
    let places_count = summary
        .places
        .iter()
        .map(|(kind, risk, n)| {
            (
                label_of(kind, PlaceKind::label).to_owned(),
                label_of(risk, Risk::label).to_owned(),
                *n,
            )
        })
        .collect();
    let staff_count = summary
        .staff
        .iter()
        .map(|(r, n)| (label_of(r, StaffRole::label).to_owned(), *n))
        .collect();
    let is_grid = summary.code.len() >= 15;
    // What the tab's register lets this user do.
    let resource = match tab.as_str() {
        "staff" => Resource::Staff,
        "places" => Resource::Place,
        "facts" => Resource::GridFacts,
        _ => Resource::Resident,
    };
    let view = RegisterPage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        tab,
        tabs: TABS.to_vec(),
        is_grid,
        keeps: p.can(resource, Verb::Write),
        exports: p.can(resource, Verb::Export),
        notice: q.notice,
        error: q.error,
        statuses,
        places_count,
        staff_count,
        staff,
        roles: StaffRole::ALL,
        people,
        next_after,
        q: q.q.unwrap_or_default(),
        tag: q.tag.unwrap_or_default(),
        address: q.address.unwrap_or_default(),
        tag_kinds,
        places: places_list,
        place_kinds: PlaceKind::ALL,
        risks: Risk::ALL,
        summary,
    };
    Ok((jar, render(&view)))
}

/// The facts form (empty fields are left empty).
#[derive(Debug, Deserialize)]
struct FactsForm {
    #[serde(default)]
    area_km2: String,
    #[serde(default)]
    party_branch: String,
    #[serde(default)]
    party_secretary: String,
    #[serde(default)]
    party_members: String,
    #[serde(default)]
    note: String,
}

async fn save_facts(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<FactsForm>,
) -> Result<Redirect, PageError> {
    let to = format!("/registers/{code}?tab=facts");
    let parsed = (|| {
        let area = match f.area_km2.trim() {
            "" => None,
            t => Some(
                t.parse::<f64>()
                    .map_err(|_| AppError::bad("invalid_facts", "面积须为数字（平方千米）"))?,
            ),
        };
        let members = match f.party_members.trim() {
            "" => None,
            t => Some(
                t.parse::<i32>()
                    .map_err(|_| AppError::bad("invalid_facts", "党员人数须为整数"))?,
            ),
        };
        Ok(GridFacts {
            area_km2: area,
            party_branch: f.party_branch.trim().to_owned(),
            party_secretary: f.party_secretary.trim().to_owned(),
            party_members: members,
            note: f.note.trim().to_owned(),
        })
    })();
    let result = match parsed {
        Ok(facts) => grids::put_facts(&state, &p, &code, &facts)
            .await
            .map(|()| "已保存".to_owned()),
        Err(e) => Err(e),
    };
    back(&to, result)
}

#[derive(Debug, Deserialize)]
struct StaffForm {
    name: String,
    role: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    phone_public: Option<String>,
    #[serde(default)]
    party_member: Option<String>,
    #[serde(default)]
    duties: String,
    #[serde(default)]
    grids: String,
    #[serde(default)]
    username: String,
}

async fn add_staff(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<StaffForm>,
) -> Result<Redirect, PageError> {
    let grids: Vec<String> = f
        .grids
        .split([',', '，', ' ', '、'])
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_owned)
        .collect();
    let input = StaffInput {
        name: f.name,
        role: f.role,
        phone: f.phone,
        phone_public: f.phone_public.is_some(),
        party_member: f.party_member.is_some(),
        duties: f.duties,
        grids: if grids.is_empty() {
            vec![code.clone()]
        } else {
            grids
        },
        username: f.username,
    };
    let result = grids::create_staff(&state, &p, &input)
        .await
        .map(|_| format!("已登记 {}", input.name.trim()));
    back(&format!("/registers/{code}?tab=staff"), result)
}

#[derive(Debug, Deserialize)]
struct PlaceForm {
    name: String,
    kind: String,
    address: String,
    #[serde(default)]
    lon: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    contact_phone: String,
    risk: String,
    #[serde(default)]
    note: String,
}

async fn add_place(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<PlaceForm>,
) -> Result<Redirect, PageError> {
    let to = format!("/registers/{code}?tab=places");
    let num = |t: &str| t.trim().parse::<f64>().ok();
    let input = PlaceInput {
        // A position decides the grid; without one the place is in this page's grid.
        grid: if f.lon.trim().is_empty() {
            code.clone()
        } else {
            String::new()
        },
        name: f.name,
        kind: f.kind,
        address: f.address,
        lon: num(&f.lon),
        lat: num(&f.lat),
        contact: f.contact,
        contact_phone: f.contact_phone,
        risk: f.risk,
        note: f.note,
    };
    let result = places::create(&state, &p, &input)
        .await
        .map(|_| format!("已登记 {}", input.name.trim()));
    back(&to, result)
}

#[derive(Template)]
#[template(path = "household_new.html")]
struct HouseholdPage {
    style: &'static str,
    chrome: Chrome,
    code: String,
    name: String,
    error: Option<String>,
    statuses: &'static [Residence],
    tag_kinds: Vec<TagKindRow>,
}

/// What a form's redirect brings back to its page.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Notice {
    pub notice: Option<String>,
    pub error: Option<String>,
}

async fn household_form(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Path(code): Path<String>,
    Query(q): Query<Notice>,
) -> Result<(CookieJar, Response), PageError> {
    let summary = grids::summary(&state, &p, &code).await?;
    let tag_kinds = svc::tag_kinds(&state).await?;
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let view = HouseholdPage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        code,
        name: summary.name,
        error: q.error,
        statuses: Residence::ALL,
        tag_kinds,
    };
    Ok((jar, render(&view)))
}

/// A person's fields as forms send them, with the tag picker (`tag` checkboxes, one level).
#[derive(Debug, Deserialize)]
pub(super) struct MemberForm {
    pub name: String,
    pub id_number: String,
    #[serde(default)]
    pub phone: String,
    pub relation: String,
    pub status: String,
    #[serde(default)]
    pub moved_in: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub tags: String,
}

impl MemberForm {
    pub(super) fn into_member(self) -> MemberInput {
        MemberInput {
            person: PersonInput {
                name: self.name,
                id_number: self.id_number,
                phone: self.phone,
                relation: self.relation,
                status: self.status,
                moved_in: self.moved_in,
                moved_out: String::new(),
                note: self.note,
            },
            tags: self.tags,
        }
    }
}

#[derive(Debug, Deserialize)]
struct HouseholdForm {
    grid: String,
    building: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    floor: String,
    room: String,
    #[serde(default)]
    reference: String,
    #[serde(flatten)]
    head: MemberForm,
}

async fn add_household(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<HouseholdForm>,
) -> Result<Redirect, PageError> {
    let input = HouseholdInput {
        address: Address {
            grid: f.grid,
            building: f.building,
            address: f.address,
            unit: f.unit,
            floor: f.floor.trim().parse().ok(),
            room: f.room,
        },
        reference: f.reference,
        note: String::new(),
        members: vec![f.head.into_member()],
    };
    match svc::create_household(&state, &p, &input).await {
        Ok(household) => {
            let head = svc::search(
                &state,
                &p,
                &SearchQuery {
                    household: Some(household),
                    ..SearchQuery::default()
                },
            )
            .await?;
            let to = head
                .first()
                .map_or(format!("/registers/{code}?tab=residents"), |h| {
                    format!("/residents/{}", h.id)
                });
            back(&to, Ok("已登记新户，可继续添加家庭成员".into()))
        }
        Err(e) => back(&format!("/registers/{code}/households/new"), Err(e)),
    }
}

#[derive(Debug, Deserialize)]
struct ImportForm {
    register: String,
    #[serde(default)]
    check_only: Option<String>,
    /// The mapping step's choices: `map_<field>` = the file's header, and `header_row`.
    #[serde(flatten)]
    choices: std::collections::HashMap<String, String>,
}

async fn import(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(code): Path<String>,
    form: CsrfMultipart<ImportForm>,
) -> Result<Redirect, PageError> {
    let to = format!("/registers/{code}?tab={}", form.form.register);
    let Some(file) = form.file("file") else {
        return back(&to, Err(AppError::bad("no_file", "请选择要导入的文件")));
    };
    if file.cut {
        return back(
            &to,
            Err(AppError::bad(
                "too_large",
                format!(
                    "网页上传最大 {} MB；更大的文件请用接口或命令行导入",
                    crate::auth::FILE_LIMIT >> 20
                ),
            )),
        );
    }
    let upload = Upload::save(&state.config().upload_dir, &file.file_name, &file.bytes)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let choices = &form.form.choices;
    let checked = |name: &str| choices.get(name).is_some_and(|v| !v.is_empty());
    let reading = Reading {
        header_row: choices
            .get("header_row")
            .and_then(|r| r.trim().parse().ok()),
        mapping: choices
            .iter()
            .filter_map(|(k, h)| Some((k.strip_prefix("map_")?.to_owned(), h.clone())))
            .filter(|(_, h)| !h.is_empty())
            .collect(),
        update: checked("update"),
        missing: checked("missing"),
        grid: choices
            .get("grid")
            .filter(|g| !g.trim().is_empty())
            .cloned(),
    };
    // A refresh always shows what it would change first; the user confirms on the job's page.
    let check_only = form.form.check_only.is_some() || reading.update;
    let register = &form.form.register;
    let job = jobs::start(&state, &p, register, upload, reading.clone(), check_only).await?;
    if check_only {
        jobs::keep_for_confirmation(
            &state,
            &job.id,
            register,
            &file.file_name,
            &file.bytes,
            &reading,
        )
        .await?;
    }
    Ok(Redirect::to(&format!(
        "/registers/imports/{}?node={code}",
        job.id
    )))
}

#[derive(Template)]
#[template(path = "register_import.html")]
struct JobPage {
    style: &'static str,
    chrome: Chrome,
    node: String,
    s: JobStatus,
    phase: String,
    mapping: Vec<MappedColumn>,
    /// Why a confirmation was refused.
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct JobQuery {
    node: Option<String>,
    error: Option<String>,
}

async fn job(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Path(job): Path<String>,
    Query(q): Query<JobQuery>,
) -> Result<(CookieJar, Response), PageError> {
    let s = jobs::status(&state, &job, p.account.id).await?;
    let phase = match s.phase {
        Phase::Done => Phase::Done.label().to_owned(),
        running => format!("正在{}", running.label()),
    };
    let mapping = s
        .report
        .as_ref()
        .map(|r| r.mapping.clone())
        .unwrap_or_default();
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let view = JobPage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        node: q
            .node
            .or_else(|| p.actor.scope_root().map(str::to_owned))
            .unwrap_or_default(),
        s,
        phase,
        mapping,
        error: q.error,
    };
    Ok((jar, render(&view)))
}

#[derive(Debug, Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    node: String,
}

/// Writes what a check-only import checked, from the kept file.
async fn confirm(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(job): Path<String>,
    form: CsrfForm<ConfirmForm>,
) -> Result<Redirect, PageError> {
    // Only a region code goes back into the address.
    let node: String = form.0.node.chars().filter(char::is_ascii_digit).collect();
    match jobs::confirm(&state, &p, &job).await {
        Ok(started) => Ok(Redirect::to(&format!(
            "/registers/imports/{}?node={node}",
            started.id
        ))),
        Err(e) => back(&format!("/registers/imports/{job}?node={node}"), Err(e)),
    }
}

async fn export(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path((code, register)): Path<(String, String)>,
) -> Result<Response, PageError> {
    Ok(export_for(&state, &p, &register, &code).await?)
}

async fn template(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path((_code, register)): Path<(String, String)>,
) -> Result<Response, PageError> {
    Ok(template_for(&state, &p, &register).await?)
}
