//! A resident's page (居民详情): household, house, tags, moves and the cases they reported;
//! edits, new members, moves and audited reveals as forms.

use super::cases::RevealPage;
use super::registers::{MemberForm, back};
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
use shanzhi_app::AppError;
use shanzhi_app::policy::{Ask, Resource, Verb};
use shanzhi_app::registers::reads::Purpose;
use shanzhi_app::registers::residents::TagKindRow;
use shanzhi_app::registers::residents::{
    self as svc, Address, PersonDetail, PersonEdit, RevealField,
};
use shanzhi_domain::register::vocab::{Attention, Relation, Residence, VisitPurpose};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/residents/{id}", get(show).post(edit))
        .route("/residents/{id}/reveal/{field}", post(reveal))
        .route("/residents/{id}/notice-consent", post(consent))
        .route("/residents/{id}/members", post(add_member))
        .route("/residents/{id}/move", post(move_household))
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    style: &'static str,
    chrome: Chrome,
    d: PersonDetail,
    notice: Option<String>,
    error: Option<String>,
    keeps: bool,
    may_reveal: bool,
    /// When they agreed to notices by text, as shown.
    consent_since: Option<String>,
    sex: &'static str,
    age: Option<i32>,
    relation: &'static str,
    status: &'static str,
    members: Vec<(i64, String, &'static str, Option<String>)>,
    tags_text: String,
    tag_lines: Vec<(String, &'static str, String, String)>,
    relations: &'static [Relation],
    statuses: &'static [Residence],
    tag_kinds: Vec<TagKindRow>,
    visits: Vec<super::visits::VisitLine>,
    visit_action: String,
    purposes: &'static [VisitPurpose],
    /// The visit the edit form records its changes against (after recording one).
    visit_id: Option<i64>,
}

/// The person page's query: a notice, and the visit just recorded.
#[derive(Debug, Default, serde::Deserialize)]
struct PersonQuery {
    notice: Option<String>,
    error: Option<String>,
    visit: Option<i64>,
    /// The case the person is opened for (a department handling it).
    case: Option<i64>,
}

fn age_on(birth: &str, today: time::Date) -> Option<i32> {
    let b = shanzhi_domain::register::resident::parse_date(birth)?;
    let mut age = today.year() - b.year();
    if (today.month() as u8, today.day()) < (b.month() as u8, b.day()) {
        age -= 1;
    }
    Some(age)
}

async fn show(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Path(id): Path<i64>,
    Query(q): Query<PersonQuery>,
) -> Result<(CookieJar, Response), PageError> {
    let why = Purpose {
        case: q.case,
        visit: q.visit,
    };
    let d = svc::detail(&state, &p, id, &why).await?;
    let tag_kinds = svc::tag_kinds(&state).await?;
    // Departments see the person, not the household's visits.
    let visits = if p.can(Resource::Visit, Verb::List) {
        super::visits::lines(
            shanzhi_app::visits::history(
                &state,
                &p,
                shanzhi_app::visits::Visited::Household(d.person.household_id),
            )
            .await?,
        )
    } else {
        Vec::new()
    };
    let level = |a: Attention| a.label();
    let tags_text = d
        .tags
        .iter()
        .map(|t| format!("{}({})", t.name, level(t.level)))
        .collect::<Vec<_>>()
        .join("；");
    let tag_lines = d
        .tags
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                level(t.level),
                t.carer_name.clone().unwrap_or_default(),
                t.next_visit.clone().unwrap_or_default(),
            )
        })
        .collect();
    let members = d
        .household
        .iter()
        .map(|m| {
            (
                m.id,
                m.name.clone(),
                m.relation.label(),
                m.id_masked.clone(),
            )
        })
        .collect();
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let view = PersonPage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        notice: q.notice,
        error: q.error,
        keeps: p.can(Resource::Resident, Verb::Write),
        may_reveal: p.can(Resource::PersonalNumbers, Verb::Reveal),
        consent_since: d.person.notice_consent_at.map(super::beijing),
        sex: d
            .person
            .sex
            .map_or("", shanzhi_domain::personal::Sex::label),
        age: d
            .person
            .birth_date
            .as_deref()
            .and_then(|b| age_on(b, state.clock().date())),
        relation: d.person.relation.label(),
        status: d.person.status.label(),
        members,
        tags_text,
        tag_lines,
        relations: Relation::ALL,
        statuses: Residence::ALL,
        tag_kinds,
        visits,
        visit_action: format!("/residents/{id}/visits"),
        purposes: VisitPurpose::ALL,
        visit_id: q.visit,
        d,
    };
    Ok((jar, render(&view)))
}

#[derive(serde::Deserialize)]
struct ConsentForm {
    /// `1`: agreed; anything else: withdrawn.
    consent: String,
}

/// Records or withdraws the resident's consent to notices by text.
async fn consent(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ConsentForm>,
) -> Result<Redirect, PageError> {
    let agree = f.consent == "1";
    let result = shanzhi_app::notices::consent(&state, &p, id, agree)
        .await
        .map(|()| {
            if agree {
                "已记录本人同意接收网格公告短信"
            } else {
                "已撤回，不再发送网格公告短信"
            }
            .to_owned()
        });
    back(&format!("/residents/{id}"), result)
}

async fn edit(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(e): CsrfForm<PersonEdit>,
) -> Result<Redirect, PageError> {
    let result = svc::update_person(&state, &p, id, &e)
        .await
        .map(|()| "已保存".to_owned());
    back(&format!("/residents/{id}"), result)
}

async fn reveal(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Path((id, field)): Path<(i64, String)>,
    CsrfForm(()): CsrfForm<()>,
) -> Result<(CookieJar, Response), PageError> {
    let (which, label) = match field.as_str() {
        "id_number" => (RevealField::IdNumber, "身份证号"),
        "phone" => (RevealField::Phone, "联系电话"),
        _ => return Err(AppError::not_found().into()),
    };
    let value = svc::reveal(&state, &p, id, which).await?;
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let view = RevealPage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        back: format!("/residents/{id}"),
        label,
        value,
    };
    Ok((jar, render(&view)))
}

async fn add_member(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<MemberForm>,
) -> Result<Redirect, PageError> {
    let person = svc::visible_person(&state, &p, id).await?;
    let name = f.name.trim().to_owned();
    let result = svc::add_member(&state, &p, person.household_id, &f.into_member())
        .await
        .map(|_| format!("已添加 {name}"));
    back(&format!("/residents/{id}"), result)
}

#[derive(Debug, Deserialize)]
struct MoveForm {
    grid: String,
    building: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    floor: String,
    room: String,
}

async fn move_household(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<MoveForm>,
) -> Result<Redirect, PageError> {
    let person = svc::visible_person(&state, &p, id).await?;
    let to = Address {
        grid: f.grid,
        building: f.building,
        address: f.address,
        unit: f.unit,
        floor: f.floor.trim().parse().ok(),
        room: f.room,
    };
    let result = svc::move_household(&state, &p, person.household_id, &to)
        .await
        .map(|()| "已迁至新住址，原住址已记入历史".to_owned());
    back(&format!("/residents/{id}"), result)
}
