//! Server-rendered zh-CN pages (askama templates, no JavaScript framework): light enough for a
//! grid worker's phone and for government intranets without a CDN.

mod admin;
mod assessment;
mod audit;
mod boundaries;
mod case_clock;
mod case_dispute;
mod case_photos;
mod case_report;
mod cases;
mod charts;
mod contacts;
mod dashboard;
mod find;
mod hotline;
mod login;
mod map;
pub(crate) mod mode;
mod notices;
mod notices_public;
mod offline;
mod opinions_public;
mod participation;
mod patrols;
mod places;
mod policy;
mod poster;
mod public;
mod regions;
mod registers;
mod residents;
mod surveys;
mod todo;
mod topics;
mod visits;
mod wishes_public;

use crate::assets::STYLE_PATH;
use crate::auth::Principal;
use crate::{ApiError, WebState};
use askama::Template;
use axum::Router;
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use shanzhi_app::AppError;
use shanzhi_app::policy::{Ask, Reach, Resource, Verb};

pub fn router() -> Router<WebState> {
    login::router()
        .merge(regions::router())
        .merge(boundaries::router())
        .merge(public::router())
        .merge(mode::router())
        .merge(cases::router())
        .merge(case_clock::router())
        .merge(case_dispute::router())
        .merge(case_photos::router())
        .merge(case_report::router())
        .merge(poster::router())
        .merge(admin::router())
        .merge(policy::router())
        .merge(hotline::router())
        .merge(registers::router())
        .merge(residents::router())
        .merge(places::router())
        .merge(patrols::router())
        .merge(dashboard::router())
        .merge(assessment::router())
        .merge(visits::router())
        .merge(audit::router())
        .merge(participation::router())
        .merge(wishes_public::router())
        .merge(surveys::router())
        .merge(opinions_public::router())
        .merge(topics::router())
        .merge(notices::router())
        .merge(notices_public::router())
        .merge(todo::router())
        .merge(offline::router())
        .merge(find::router())
}

/// What every page's frame shows: who is logged in, the CSRF token for its forms.
pub struct Chrome {
    /// Real name.
    pub user: String,
    /// Role in Chinese.
    pub role: &'static str,
    /// Token for the forms on the page (logout included).
    pub csrf: String,
    /// The sections the account's role may open, as (link, name).
    pub links: Vec<(&'static str, &'static str)>,
    /// May import 12345 exports.
    pub imports_hotline: bool,
    /// The live-feed script, for roles that follow cases.
    pub live_js: Option<&'static str>,
}

/// The sections of the site: (link, name, whether the caller's role opens it). The policy
/// decides; a member's own page and the community's desk are the two reaches of participation.
fn sections(p: &Principal) -> Vec<(&'static str, &'static str)> {
    let own = p.may(Resource::Participation, Verb::List).ok();
    [
        ("/todo", "待办", shanzhi_app::todo::has_list(p)),
        ("/dashboard", "大屏", p.can(Resource::Figures, Verb::Read)),
        ("/cases", "事件", p.can(Resource::Case, Verb::List)),
        ("/regions", "区域", p.can(Resource::Region, Verb::List)),
        ("/registers", "四册", p.can(Resource::GridFacts, Verb::List)),
        (
            "/people",
            "职责人员",
            p.may(Resource::Resident, Verb::List).ok() == Some(Reach::Duty),
        ),
        ("/patrol", "巡查", p.can(Resource::Patrol, Verb::List)),
        (
            "/assessment",
            "考评",
            p.can(Resource::Assessment, Verb::Read),
        ),
        (
            "/participation",
            "群众参与",
            own.is_some_and(|r| r != Reach::Own),
        ),
        (
            "/surveys",
            "问卷",
            p.can(Resource::Consultation, Verb::List),
        ),
        ("/topics", "议事", p.can(Resource::Consultation, Verb::List)),
        ("/notices", "公告", p.can(Resource::Notice, Verb::List)),
        ("/me", "我的积分", own == Some(Reach::Own)),
        (
            "/admin/calendar",
            "设置",
            p.can(Resource::Calendar, Verb::Write),
        ),
        ("/admin/policy", "权限", p.can(Resource::Duty, Verb::Read)),
        ("/admin/audit", "审计", p.can(Resource::Audit, Verb::List)),
    ]
    .into_iter()
    .filter(|(_, _, open)| *open)
    .map(|(href, name, _)| (href, name))
    .collect()
}

/// Where an account lands after logging in: the first section its role opens.
pub(crate) fn home_of(p: &Principal) -> &'static str {
    sections(p).first().map_or("/login", |(href, _)| href)
}

impl Chrome {
    fn new(p: &Principal, csrf: String) -> Chrome {
        Chrome {
            user: p.account.display_name.clone(),
            role: p.actor.role.label(),
            csrf,
            links: sections(p),
            imports_hotline: p.can(Resource::Hotline, Verb::Write),
            live_js: p
                .can(Resource::Case, Verb::List)
                .then(|| crate::assets::LIVE_PATH.as_str()),
        }
    }
}

/// Renders a template, or a 500 if the template fails.
fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => ([(header::CACHE_CONTROL, "no-cache")], Html(html)).into_response(),
        Err(e) => PageError::App(AppError::Internal(e.to_string())).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    style: &'a str,
    status: u16,
    title: &'a str,
    message: String,
}

/// A failure on a page: rendered as a page (or a redirect to the login page).
#[derive(Debug)]
pub enum PageError {
    /// Not logged in: go to the login page, then come back to `next`.
    Login(String),
    /// The form's CSRF token did not match; from our own pages, with what was sent, to send
    /// again with a fresh token.
    Csrf(Option<Box<crate::auth::Stale>>),
    /// Bad form input.
    BadRequest(String),
    /// Anything from the operations.
    App(AppError),
}

/// `axum::extract::Query` for pages: a link with a query that cannot be read (typed by hand,
/// cut short) gets a page that says what to do, never the parser's English.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(PageError))]
pub struct Query<T>(pub T);

/// `axum::extract::Path` for pages, rejecting as [`Query`] does.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(PageError))]
pub struct Path<T>(pub T);

impl From<axum::extract::rejection::QueryRejection> for PageError {
    fn from(_: axum::extract::rejection::QueryRejection) -> Self {
        PageError::BadRequest(
            "网址里的查询条件看不懂，可能是手工输入或复制不完整。请从页面上的链接或按钮进入。"
                .into(),
        )
    }
}

impl From<axum::extract::rejection::PathRejection> for PageError {
    fn from(_: axum::extract::rejection::PathRejection) -> Self {
        PageError::App(AppError::not_found())
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError::App(e)
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError::App(e.0)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            PageError::Login(next) => {
                let next: String = url_encode(&next);
                return Redirect::to(&format!("/login?next={next}")).into_response();
            }
            PageError::Csrf(Some(stale)) => return resend(*stale),
            PageError::Csrf(None) => (
                StatusCode::FORBIDDEN,
                "表单已失效",
                "表单已过期或来源不明，请返回上一页刷新后重试。".to_owned(),
            ),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, "输入有误", m),
            PageError::App(e) => {
                let status = crate::error::status_of(&e).0;
                let title = match status {
                    StatusCode::NOT_FOUND => "未找到",
                    StatusCode::FORBIDDEN => "无权操作",
                    StatusCode::TOO_MANY_REQUESTS => "请稍后再试",
                    s if s.is_server_error() => "系统出错",
                    _ => "操作未完成",
                };
                if let AppError::Internal(detail) = &e {
                    tracing::error!(%detail, "page error");
                }
                (status, title, e.to_string())
            }
        };
        let page = ErrorPage {
            style: STYLE_PATH.as_str(),
            status: status.as_u16(),
            title,
            message,
        };
        let html = page.render().unwrap_or_else(|_| "系统出错".to_owned());
        (status, Html(html)).into_response()
    }
}

/// The page offering a form again after its token went stale: what was typed rides along in
/// hidden fields under a fresh token. A 403 with the fix in `.alert.error` and the token in
/// `_csrf`, so upload.js keeps a form with files as it is and only swaps in the token.
#[derive(Template)]
#[template(path = "resend.html")]
struct ResendPage {
    style: &'static str,
    action: String,
    fields: Vec<(String, String)>,
    files_dropped: bool,
    token: String,
}

fn resend(stale: crate::auth::Stale) -> Response {
    let page = ResendPage {
        style: STYLE_PATH.as_str(),
        action: stale.action,
        fields: stale.fields,
        files_dropped: stale.files_dropped,
        token: stale.token,
    };
    let html = page.render().unwrap_or_else(|_| "系统出错".to_owned());
    (StatusCode::FORBIDDEN, stale.jar, Html(html)).into_response()
}

/// Percent-encodes a string for a query parameter value.
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Back to `to` after a form, with the outcome as the one-line message (`?notice=` or `?error=`).
pub(crate) fn with_flash(to: &str, result: Result<String, AppError>) -> Redirect {
    let sep = if to.contains('?') { '&' } else { '?' };
    match result {
        Ok(notice) => Redirect::to(&format!("{to}{sep}notice={}", url_encode(&notice))),
        Err(e) => Redirect::to(&format!("{to}{sep}error={}", url_encode(&e.to_string()))),
    }
}

/// Back to a case's page after one of its forms.
pub(crate) fn back(id: i64, result: Result<String, AppError>) -> Redirect {
    with_flash(&format!("/cases/{id}"), result)
}

/// The fallback: the JSON error shape under `/api/`, a page elsewhere.
pub async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError(AppError::NotFound(format!("没有这个接口：{}", uri.path()))).into_response()
    } else {
        PageError::App(AppError::NotFound("页面不存在".into())).into_response()
    }
}

/// Beijing time, minutes.
pub(crate) use shanzhi_domain::case::beijing_minutes as beijing;

/// The one-line message a page shows after a redirect (`?notice=` or `?error=`).
#[derive(serde::Deserialize, Default)]
pub(crate) struct Flash {
    pub notice: Option<String>,
    pub error: Option<String>,
}

impl Flash {
    /// A notice that something was done.
    pub fn said(notice: impl Into<String>) -> Flash {
        Flash {
            notice: Some(notice.into()),
            error: None,
        }
    }

    /// An error: what to fix.
    pub fn failed(error: impl Into<String>) -> Flash {
        Flash {
            notice: None,
            error: Some(error.into()),
        }
    }
}

/// The voice note sent in a form's `voice` field, checked; `None` when none was sent.
pub(crate) fn form_voice<T>(
    form: &crate::auth::CsrfMultipart<T>,
) -> Result<Option<shanzhi_domain::case::voice::Voice>, AppError> {
    match form.file("voice") {
        None => Ok(None),
        Some(f) if f.cut => Err(AppError::TooLarge(
            shanzhi_domain::case::voice::VoiceError::TooLarge.to_string(),
        )),
        Some(f) => shanzhi_app::voices::check(&f.bytes).map(Some),
    }
}

/// The photos sent in a form's `photos` field, checked and prepared.
pub(crate) async fn form_photos<T>(
    state: &WebState,
    form: &crate::auth::CsrfMultipart<T>,
) -> Result<Vec<shanzhi_domain::case::photo::Prepared>, AppError> {
    let max_bytes = state.config().photo_max_bytes;
    let mut files = Vec::new();
    for f in form.files.iter().filter(|f| f.field == "photos") {
        if f.cut {
            let e = shanzhi_domain::case::photo::PhotoError::TooLarge { max_bytes };
            return Err(shanzhi_app::photos::rejected("", &e));
        }
        files.push(f.bytes.clone());
    }
    shanzhi_app::photos::prepare(state, files).await
}
