//! The access policy on a page: the table every role is held to, the tag duties the security
//! administrator keeps, and role changes; and a department's list of the people its duty
//! covers (职责人员).

use super::{Chrome, Flash, PageError, render, with_flash};
use crate::WebState;
use crate::auth::{CsrfForm, PageUser, csrf_token};
use crate::pages::Query;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shanzhi_app::duties::{self, DutyInput, DutyRow};
use shanzhi_app::policy::{self, Ask, Resource, Verb};
use shanzhi_app::registers::residents::{self, PersonRow, SearchQuery, TagKindRow};
use shanzhi_app::{AppError, accounts};
use shanzhi_domain::auth::Role;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/admin/policy", get(show))
        .route("/admin/policy/duties", post(set_duty))
        .route("/admin/policy/roles", post(set_role))
        .route("/people", get(people))
}

#[derive(Template)]
#[template(path = "admin_policy.html")]
struct PolicyPage {
    style: &'static str,
    chrome: Chrome,
    notice: Option<String>,
    error: Option<String>,
    roles: Vec<&'static str>,
    rows: Vec<(&'static str, Vec<String>)>,
    duties: Vec<DutyRow>,
    edits: bool,
    grants_roles: bool,
    assignable: Vec<Role>,
}

async fn show(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Query(flash): Query<Flash>,
) -> Result<(CookieJar, Response), PageError> {
    let duties = duties::list(&state, &p).await?;
    let rows = Resource::ALL
        .into_iter()
        .map(|r| {
            (
                r.label(),
                Role::ALL
                    .into_iter()
                    .map(|role| policy::cell(role, r))
                    .collect(),
            )
        })
        .collect();
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = PolicyPage {
        style: crate::assets::STYLE_PATH.as_str(),
        edits: p.can(Resource::Duty, Verb::Write),
        grants_roles: p.can(Resource::Grant, Verb::Write),
        chrome: Chrome::new(&p, csrf),
        notice: flash.notice,
        error: flash.error,
        roles: Role::ALL.into_iter().map(Role::label).collect(),
        rows,
        duties,
        assignable: Role::ALL.into_iter().filter(|r| !r.administers()).collect(),
    };
    Ok((jar, render(&page)))
}

#[derive(Deserialize)]
struct DutyForm {
    tag: String,
    #[serde(default)]
    sensitive: Option<String>,
    #[serde(default)]
    departments: String,
}

async fn set_duty(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    CsrfForm(f): CsrfForm<DutyForm>,
) -> Result<Redirect, PageError> {
    let input = DutyInput {
        sensitive: f.sensitive.is_some(),
        departments: f
            .departments
            .split(['，', ',', '、', ' '])
            .map(str::to_owned)
            .collect(),
    };
    let result = duties::set(&state, &p, f.tag.trim(), &input)
        .await
        .map(|d| format!("已保存“{}”的职责", d.name));
    Ok(with_flash("/admin/policy", result))
}

#[derive(Deserialize)]
struct RoleForm {
    username: String,
    role: String,
}

async fn set_role(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    CsrfForm(f): CsrfForm<RoleForm>,
) -> Result<Redirect, PageError> {
    let result = match Role::parse(&f.role) {
        Some(role) => accounts::set_role(&state, &p, f.username.trim(), role)
            .await
            .map(|a| format!("{} 的角色已改为{}", a.display_name, a.role.label())),
        None => Err(AppError::bad("invalid_role", "请选择角色")),
    };
    Ok(with_flash("/admin/policy", result))
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    style: &'static str,
    chrome: Chrome,
    tags: Vec<TagKindRow>,
    tag: String,
    q: String,
    people: Vec<PersonRow>,
    next_after: Option<i64>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct PeopleQuery {
    #[serde(default)]
    tag: String,
    #[serde(default)]
    q: String,
    after: Option<i64>,
}

/// The people the caller's duty covers, found by tag and name (a department's 职责人员).
async fn people(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Query(q): Query<PeopleQuery>,
) -> Result<(CookieJar, Response), PageError> {
    const PAGE: u32 = 50;
    let tags = residents::listable_tags(&state, &p).await?;
    let found = residents::search(
        &state,
        &p,
        &SearchQuery {
            node: None,
            q: Some(q.q.clone()).filter(|s| !s.trim().is_empty()),
            address: None,
            tag: Some(q.tag.clone()).filter(|t| !t.is_empty()),
            household: None,
            after: q.after,
            limit: Some(PAGE),
            case: None,
            visit: None,
        },
    )
    .await;
    let (people, error) = match found {
        Ok(people) => (people, None),
        Err(e @ (AppError::BadRequest { .. } | AppError::NotPermitted(_))) => {
            (Vec::new(), Some(e.to_string()))
        }
        Err(e) => return Err(e.into()),
    };
    let next_after = (people.len() == PAGE as usize)
        .then(|| people.last().map(|p| p.id))
        .flatten();
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = PeoplePage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        tags,
        tag: q.tag,
        q: q.q,
        people,
        next_after,
        error,
    };
    Ok((jar, render(&page)))
}
