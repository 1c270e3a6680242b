//! 公告 pages: the notices of the caller's area with the form to publish one; a warning's
//! 叫应 grid by grid (reached x of y, overdue in red); and the households to call, each with
//! the form to record how the call went.

use super::{Chrome, Flash, PageError, beijing, render, with_flash};
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
use shanzhi_app::notices::{self as svc, CallRow, GridProgress, NoticeInput, NoticeRow};
use shanzhi_app::policy::{Ask, Resource, Verb};
use shanzhi_domain::notice::{CallOutcome, NoticeLevel, WarningColor, overdue};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/notices", get(list).post(create))
        .route("/notices/{id}", get(progress))
        .route(
            "/notices/{id}/files",
            post(attach).layer(axum::extract::DefaultBodyLimit::max(
                shanzhi_domain::notice::attachment::MAX_BYTES + 64 * 1024,
            )),
        )
        .route("/notice-files/{id}", get(download))
        .route("/notices/{id}/calls", get(calls))
        .route("/notice-calls/{id}", post(record))
        .route("/notice-calls/{id}/phones", post(phones))
}

/// How a notice's level reads on a page: its words and its colour class.
pub(super) fn badge(n: &NoticeRow) -> (String, &'static str) {
    let class = match (n.level, n.color) {
        (NoticeLevel::Warning, Some(c)) => c.as_str(),
        (level, _) => level.as_str(),
    };
    (shanzhi_domain::notice::level_words(n.level, n.color), class)
}

#[derive(Template)]
#[template(path = "notices.html")]
struct ListPage {
    style: &'static str,
    chrome: Chrome,
    node: String,
    /// (id, badge, badge class, title, valid from–to, by).
    notices: Vec<(i64, String, &'static str, String, String, String)>,
    can_write: bool,
    levels: Vec<(&'static str, &'static str)>,
    colors: Vec<(&'static str, &'static str)>,
    flash: Flash,
}

#[derive(Deserialize)]
struct ListQuery {
    node: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

async fn list(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Query(q): Query<ListQuery>,
) -> Result<(CookieJar, Response), PageError> {
    let node = p.node_or_own(q.node.as_deref())?;
    let notices = svc::list(&state, &p, Some(&node))
        .await?
        .into_iter()
        .map(|n| {
            let (b, class) = badge(&n);
            let when = format!("{} 至 {}", beijing(n.starts_at), beijing(n.ends_at));
            (n.id, b, class, n.title, when, n.created_label)
        })
        .collect();
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = ListPage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        can_write: p.can(Resource::Notice, Verb::Write),
        levels: NoticeLevel::ALL
            .iter()
            .map(|l| (l.as_str(), l.label()))
            .collect(),
        colors: WarningColor::ALL
            .iter()
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        node,
        notices,
        flash: Flash {
            notice: q.notice,
            error: q.error,
        },
    };
    Ok((jar, render(&page)))
}

#[derive(Deserialize)]
struct NoticeForm {
    node: String,
    level: String,
    #[serde(default)]
    color: String,
    title: String,
    body: String,
    #[serde(default)]
    starts: String,
    ends: String,
    #[serde(default)]
    respond_by: String,
}

/// A `datetime-local` value (`2026-11-18T14:00`) as the operations read times.
fn local(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.replace('T', " "))
}

async fn create(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    CsrfForm(f): CsrfForm<NoticeForm>,
) -> Result<Redirect, PageError> {
    let input = NoticeInput {
        node: Some(f.node.clone()),
        level: f.level,
        color: local(&f.color),
        title: f.title,
        body: f.body,
        starts: local(&f.starts),
        ends: local(&f.ends).unwrap_or_default(),
        respond_by: local(&f.respond_by),
    };
    match svc::create(&state, &p, &input).await {
        Ok(made) => {
            let said = if made.calls > 0 {
                format!("已发布到 {} 个网格，需叫应 {} 户", made.grids, made.calls)
            } else {
                format!("已发布到 {} 个网格", made.grids)
            };
            Ok(with_flash(
                &format!("/notices/{}", made.notice.id),
                Ok(said),
            ))
        }
        Err(e) => Ok(with_flash(&format!("/notices?node={}", f.node), Err(e))),
    }
}

/// A grid's line on the progress table.
struct GridLine {
    code: String,
    name: String,
    total: i64,
    done: i64,
    unreached: i64,
    late: bool,
    /// Where its own parts are counted, when it has parts (a community's grids …).
    drill: Option<String>,
}

impl GridLine {
    fn of(g: GridProgress, late: bool, notice: i64) -> GridLine {
        let done = g.reached + g.moved;
        GridLine {
            drill: (g.node_code.len() < GRID_LEN)
                .then(|| format!("/notices/{notice}?node={}", g.node_code)),
            late: late && done < g.total,
            code: g.node_code,
            name: g.name,
            total: g.total,
            done,
            unreached: g.unreached,
        }
    }
}

/// Calls are kept per grid: a grid has no parts to open.
const GRID_LEN: usize = 15;

/// The notice page's query: the part of the area to count, and what was just done.
#[derive(Deserialize)]
struct NoticeQuery {
    node: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    style: &'static str,
    chrome: Chrome,
    notice: NoticeRow,
    badge: (String, &'static str),
    when: String,
    respond_by: Option<String>,
    grids: Vec<GridLine>,
    /// All grids together: (done, total).
    sum: (i64, i64),
    /// Texts per grid: (grid name, queued, accepted by the gateway, on the handset, failed,
    /// read).
    texts: Vec<(String, i64, i64, i64, i64, i64)>,
    /// The area's parts on a map, shaded by households still to call.
    map: Option<String>,
    /// The area counted, when it is narrower than the caller's (a way back up).
    up: Option<String>,
    /// Its attachments.
    files: Vec<svc::FileRow>,
    /// Whether the caller may add one.
    can_attach: bool,
    flash: Flash,
}

async fn progress(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> Result<(CookieJar, Response), PageError> {
    let svc::Progress {
        notice,
        area,
        grids: rows,
        texts,
    } = svc::progress(&state, &p, id, q.node.as_deref()).await?;
    let now = state.now_ms();
    let late = notice.respond_by.is_some_and(|t| now >= t);
    let grids: Vec<GridLine> = rows
        .into_iter()
        .map(|g| GridLine::of(g, late, id))
        .collect();
    let map = if notice.respond_by.is_some() {
        progress_map(&state, &p, &area, &grids, id).await?
    } else {
        None
    };
    let sum = grids
        .iter()
        .fold((0, 0), |(d, t), g| (d + g.done, t + g.total));
    let texts = texts
        .into_iter()
        .map(|t| {
            let name = grids
                .iter()
                .find(|g| g.code == t.node_code)
                .map_or(t.node_code.clone(), |g| g.name.clone());
            (name, t.total, t.sent, t.delivered, t.failed, t.read)
        })
        .collect();
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = NoticePage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        badge: badge(&notice),
        when: format!(
            "{} 至 {}",
            beijing(notice.starts_at),
            beijing(notice.ends_at)
        ),
        respond_by: notice.respond_by.map(beijing),
        notice,
        grids,
        sum,
        texts,
        map,
        up: q.node.is_some().then(|| format!("/notices/{id}")),
        files: svc::attachments(&state, &[id]).await?,
        can_attach: p.can(Resource::Notice, Verb::Write),
        flash: Flash {
            notice: q.notice,
            error: q.error,
        },
    };
    Ok((jar, render(&page)))
}

/// The area's parts drawn from their boundaries, darker where more households are still to be
/// called, each captioned with its count and opening its own parts.
async fn progress_map(
    state: &WebState,
    p: &crate::auth::Principal,
    area: &str,
    lines: &[GridLine],
    notice: i64,
) -> Result<Option<String>, AppError> {
    let (node, kids) = shanzhi_app::regions::with_children(state, &p.actor, area).await?;
    let parsed = kids
        .iter()
        .map(shanzhi_app::regions::outline)
        .collect::<Result<Vec<_>, _>>()?;
    let line = |code: &str| lines.iter().find(|l| l.code == code);
    let shapes = super::map::child_shapes(
        &node.name,
        &kids,
        &parsed,
        |code| line(code).map_or(0, |l| l.total - l.done),
        |k| {
            line(&k.code).map_or(k.name.clone(), |l| {
                format!("{}：已叫应 {}/{}", k.name, l.done, l.total)
            })
        },
    );
    let outline = shanzhi_app::regions::outline(&node)?;
    Ok(super::map::svg(outline.as_ref(), &shapes, |c| {
        if c.len() < GRID_LEN {
            format!("/notices/{notice}?node={c}")
        } else {
            format!("/notices/{notice}/calls")
        }
    }))
}

#[derive(Template)]
#[template(path = "notice_calls.html")]
struct CallsPage {
    style: &'static str,
    chrome: Chrome,
    notice: NoticeRow,
    badge: (String, &'static str),
    respond_by: Option<String>,
    /// (call, whether it is late now, its household's phones when asked for to dial).
    calls: Vec<(CallRow, bool, Option<Phones>)>,
    outcomes: Vec<(&'static str, &'static str)>,
    can_record: bool,
    flash: Flash,
}

async fn calls(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Path(id): Path<i64>,
    Query(flash): Query<Flash>,
) -> Result<(CookieJar, Response), PageError> {
    calls_page(&state, &p, jar, id, None, flash).await
}

/// The 叫应 list again, with one household's phones in full to dial.
async fn phones(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Path(call): Path<i64>,
    CsrfForm(()): CsrfForm<()>,
) -> Result<(CookieJar, Response), PageError> {
    let (notice, phones) = svc::phones(&state, &p, call).await?;
    calls_page(
        &state,
        &p,
        jar,
        notice,
        Some((call, phones)),
        Flash::default(),
    )
    .await
}

/// A household's phones to dial: (whose, phone).
type Phones = Vec<(String, String)>;

async fn calls_page(
    state: &WebState,
    p: &shanzhi_app::Principal,
    jar: CookieJar,
    id: i64,
    dial: Option<(i64, Phones)>,
    flash: Flash,
) -> Result<(CookieJar, Response), PageError> {
    let (notice, rows) = svc::calls(state, p, id, false).await?;
    let now = state.now_ms();
    let mut dial = dial;
    let calls = rows
        .into_iter()
        .map(|c| {
            let late = notice
                .respond_by
                .is_some_and(|t| overdue(c.outcome, t, now));
            let phones = dial
                .take_if(|(call, _)| *call == c.id)
                .map(|(_, phones)| phones);
            (c, late, phones)
        })
        .collect();
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = CallsPage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(p, csrf),
        badge: badge(&notice),
        respond_by: notice.respond_by.map(beijing),
        notice,
        calls,
        outcomes: CallOutcome::ALL
            .iter()
            .filter(|o| o.recordable())
            .map(|o| (o.as_str(), o.label()))
            .collect(),
        can_record: p.can(Resource::NoticeCall, Verb::Write),
        flash,
    };
    Ok((jar, render(&page)))
}

#[derive(Deserialize)]
struct CallForm {
    notice: String,
    outcome: String,
    #[serde(default)]
    note: String,
}

async fn record(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<CallForm>,
) -> Result<Redirect, PageError> {
    let result = svc::record(&state, &p, id, &f.outcome, &f.note)
        .await
        .map(|()| "已记录".to_owned());
    let notice: i64 = f.notice.trim().parse().unwrap_or(0);
    Ok(with_flash(&format!("/notices/{notice}/calls"), result))
}

/// Adds an attachment to a notice.
async fn attach(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    upload: crate::auth::CsrfMultipart<()>,
) -> Result<Redirect, PageError> {
    let result = match upload.file("file") {
        Some(f) if f.cut => Err(AppError::bad(
            "invalid_attachment",
            "附件超过 10 MB，请压缩后再上传",
        )),
        Some(f) => svc::attach(&state, &p, id, &f.file_name, &f.bytes)
            .await
            .map(|_| format!("已添加附件“{}”", f.file_name)),
        None => Err(AppError::bad("invalid_attachment", "请选择要上传的文件")),
    };
    Ok(with_flash(&format!("/notices/{id}"), result))
}

/// An attachment, for anyone while its notice is shown.
async fn download(
    State(state): State<WebState>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (name, kind, bytes) = svc::attachment(&state, id).await?;
    Ok(crate::download::file(&name, kind.content_type(), bytes))
}
