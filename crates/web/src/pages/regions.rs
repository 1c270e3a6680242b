//! The region browser: the tree on one side; for the selected node, an SVG map of its
//! children with names, codes and counts, its staff, its history and (for those allowed) the
//! forms to add, rename and retire nodes.

use super::map::{child_shapes, svg};
use super::{Chrome, Flash, PageError, beijing, render, url_encode};
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
use shanzhi_app::regions::NodeRow;
use shanzhi_app::regions::{self as svc, CreateNode, UpdateNode};
use shanzhi_domain::region::{DedicatedKind, GridClass, Level, RegionCode};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/regions", get(home))
        .route("/regions/{code}", get(show))
        .route("/regions/{code}/children", post(add_child))
        .route("/regions/{code}/rename", post(rename))
        .route("/regions/{code}/retire", post(retire))
        .route("/regions/{code}/restore", post(restore))
}

/// A node as the page shows it.
struct NodeView {
    code: String,
    name: String,
    level: &'static str,
    class: &'static str,
    kind: Option<&'static str>,
    stat_code: Option<String>,
    feature: Option<String>,
    retired: bool,
}

impl From<&NodeRow> for NodeView {
    fn from(r: &NodeRow) -> Self {
        NodeView {
            code: r.code.clone(),
            name: r.name.clone(),
            level: r.level().label(),
            class: if r.level().is_grid() {
                r.class().label()
            } else {
                ""
            },
            kind: r.dedicated_kind().map(DedicatedKind::label),
            stat_code: RegionCode::parse(&r.code).ok().and_then(|c| c.stat_code()),
            feature: r.feature.clone(),
            retired: r.retired_at.is_some(),
        }
    }
}

struct TreeRow {
    code: String,
    name: String,
    depth: usize,
    current: bool,
    level: &'static str,
}

struct ChildView {
    code: String,
    name: String,
    level: &'static str,
    class: &'static str,
    counts: String,
}

struct StaffView {
    name: String,
    role: &'static str,
    username: String,
}

struct EventView {
    at: String,
    action: &'static str,
    detail: String,
}

/// The form for adding a child, when the viewer may.
struct AddChild {
    level: &'static str,
    prefix: String,
    digits: usize,
    is_grid: bool,
}

#[derive(Template)]
#[template(path = "region.html")]
struct RegionPage {
    style: &'static str,
    chrome: Chrome,
    node: Option<NodeView>,
    trail: Vec<(String, String)>,
    tree: Vec<TreeRow>,
    children: Vec<ChildView>,
    map: Option<String>,
    staff: Vec<StaffView>,
    history: Vec<EventView>,
    add: Option<AddChild>,
    can_edit: bool,
    can_restore: bool,
    kinds: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    error: Option<String>,
}

async fn home(State(state): State<WebState>, PageUser(p): PageUser) -> Result<Redirect, PageError> {
    let root = svc::home(&state, &p.actor)
        .await?
        .ok_or_else(|| AppError::NotFound("尚无区域数据：请通过 API 导入 GeoJSON（POST /api/v1/regions/import），或以 --demo 启动".into()))?;
    Ok(Redirect::to(&format!("/regions/{root}")))
}

fn counts_text(counts: &[(String, i64)]) -> String {
    counts
        .iter()
        .filter_map(|(l, n)| Level::from_typed(l).map(|l| format!("{} {n}", l.label())))
        .collect::<Vec<_>>()
        .join(" · ")
}

async fn show(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Path(code): Path<String>,
    Query(flash): Query<Flash>,
) -> Result<(CookieJar, Response), PageError> {
    let svc::Overview {
        row,
        trail: trail_rows,
        tree,
        children: kids,
        per_child,
        staff,
        history,
    } = svc::overview(&state, &p.actor, &code).await?;
    let tree = tree
        .into_iter()
        .map(|t| TreeRow {
            level: t.row.level().label(),
            code: t.row.code,
            name: t.row.name,
            depth: t.depth,
            current: t.current,
        })
        .collect();
    // Colour each child by how many nodes of the deepest counted level lie below it.
    let value_of = |c: &str| {
        per_child
            .get(c)
            .and_then(|v| {
                v.iter()
                    .max_by_key(|(l, _)| Level::from_typed(l))
                    .map(|(_, n)| *n)
            })
            .unwrap_or(0)
    };
    let mut parsed = Vec::with_capacity(kids.len());
    for k in &kids {
        parsed.push(shanzhi_app::regions::outline(k)?);
    }
    let shapes = child_shapes(&row.name, &kids, &parsed, value_of, |k| {
        let counts = per_child
            .get(&k.code)
            .map(|c| counts_text(c))
            .unwrap_or_default();
        format!("{} {} {}", k.name, k.code, counts)
    });
    let own = shanzhi_app::regions::outline(&row)?;
    let map = svg(own.as_ref(), &shapes, |code| format!("/regions/{code}"));
    let children = kids
        .iter()
        .map(|k| ChildView {
            code: k.code.clone(),
            name: k.name.clone(),
            level: k.level().label(),
            class: match (k.level().is_grid(), k.dedicated_kind()) {
                (true, Some(kind)) => kind.label(),
                (true, None) => "综合",
                _ => "",
            },
            counts: per_child
                .get(&k.code)
                .map(|c| counts_text(c))
                .unwrap_or_default(),
        })
        .collect();
    let staff = staff
        .into_iter()
        .map(|a| StaffView {
            role: a.role.label(),
            name: a.display_name,
            username: a.username,
        })
        .collect();
    let history = history
        .into_iter()
        .rev()
        .take(20)
        .map(|e| EventView {
            at: beijing(e.at),
            action: e.action.label(),
            detail: e.detail,
        })
        .collect();
    let level = row.level();
    let add = level.child().filter(|child| {
        row.retired_at.is_none()
            && p.can(Resource::Region, Verb::Write)
            && p.actor.may_manage_node(&format!("{code}001"), *child)
    });
    let add = add.map(|child| AddChild {
        level: child.label(),
        prefix: code.clone(),
        digits: child.code_len() - level.code_len(),
        is_grid: child.is_grid(),
    });
    let manages = p.can(Resource::Region, Verb::Write)
        && p.actor.may_manage_node(&code, level)
        && p.actor.scope_root() != Some(code.as_str());
    let can_edit = manages && row.retired_at.is_none();
    let can_restore = manages && row.retired_at.is_some();
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = RegionPage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        node: Some(NodeView::from(&row)),
        trail: trail_rows
            .iter()
            .map(|r| (r.code.clone(), r.name.clone()))
            .collect(),
        tree,
        children,
        map,
        staff,
        history,
        add,
        can_edit,
        can_restore,
        kinds: DedicatedKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        notice: flash.notice,
        error: flash.error,
    };
    Ok((jar, render(&page)))
}

fn back(code: &str, result: Result<String, AppError>) -> Result<Redirect, PageError> {
    match result {
        Ok(notice) => Ok(Redirect::to(&format!(
            "/regions/{code}?notice={}",
            url_encode(&notice)
        ))),
        // Not-found stays a page of its own: a redirect would confirm the node exists.
        Err(e @ AppError::NotFound(_)) => Err(e.into()),
        Err(e) => Ok(Redirect::to(&format!(
            "/regions/{code}?error={}",
            url_encode(&e.to_string())
        ))),
    }
}

#[derive(Deserialize)]
struct ChildForm {
    suffix: String,
    name: String,
    #[serde(default)]
    class: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    feature: String,
}

async fn add_child(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<ChildForm>,
) -> Result<Redirect, PageError> {
    svc::visible(&state, &p.actor, &code).await?;
    let class = GridClass::from_typed(&f.class).unwrap_or(GridClass::Comprehensive);
    let input = CreateNode {
        code: format!("{code}{}", f.suffix.trim()),
        name: f.name,
        class: Some(class),
        dedicated_kind: DedicatedKind::from_typed(&f.kind)
            .filter(|_| class == GridClass::Dedicated),
        feature: Some(f.feature),
        boundary: None,
        crs: Default::default(),
    };
    match svc::create(&state, &p.actor, input).await {
        Ok(row) => Ok(Redirect::to(&format!(
            "/regions/{}?notice={}",
            row.code,
            url_encode("已新建")
        ))),
        Err(e) => back(&code, Err(e)),
    }
}

#[derive(Deserialize)]
struct RenameForm {
    name: String,
}

async fn rename(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<RenameForm>,
) -> Result<Redirect, PageError> {
    let change = UpdateNode {
        name: Some(f.name),
        ..Default::default()
    };
    back(
        &code,
        svc::update(&state, &p.actor, &code, change)
            .await
            .map(|_| "已更名".to_owned()),
    )
}

#[derive(Deserialize)]
struct RetireForm {
    reason: String,
    #[serde(default)]
    move_to: String,
}

async fn retire(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<RetireForm>,
) -> Result<Redirect, PageError> {
    let row = svc::visible(&state, &p.actor, &code).await?;
    match svc::retire(&state, &p.actor, &code, &f.reason, Some(&f.move_to)).await {
        Ok(r) => {
            let to = row.parent_code.filter(|c| p.actor.sees(c)).unwrap_or(code);
            let moved = match &r.moved_to {
                Some(m) => format!(
                    "，在办事件 {} 件、居民 {} 人、场所 {} 处已转交 {m}，账号 {} 个已停用",
                    r.moved.open_cases, r.moved.persons, r.moved.places, r.moved.accounts
                ),
                None => String::new(),
            };
            Ok(Redirect::to(&format!(
                "/regions/{to}?notice={}",
                url_encode(&format!("已撤销 {} 个节点{moved}", r.retired.len()))
            )))
        }
        Err(e) => back(&code, Err(e)),
    }
}

async fn restore(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(code): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Redirect, PageError> {
    let result = svc::restore(&state, &p.actor, &code)
        .await
        .map(|codes| format!("已恢复 {} 个节点", codes.len()));
    back(&code, result)
}

#[derive(Deserialize)]
struct Empty {}
