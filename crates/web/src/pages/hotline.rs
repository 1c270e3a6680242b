//! The 12345 import page: upload the hotline's export, see what was imported, or every bad row.

use super::{Chrome, PageError, render};
use crate::WebState;
use crate::auth::CsrfForm;
use crate::auth::{CsrfMultipart, PageUser, csrf_token};
use crate::pages::{Path, Query};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use shanzhi_app::AppError;
use shanzhi_app::hotline::PendingRow;
use shanzhi_app::hotline::{self, Format};
use shanzhi_domain::region::Level;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/cases/import", get(form).post(upload))
        .route("/cases/import/pending/{id}", post(place))
        .route("/cases/import/pending/{id}/map", get(map_page))
        .layer(DefaultBodyLimit::disable())
}

/// An order waiting in 待定位, the grids it could be in, the categories it likely is.
type Waiting = (PendingRow, Vec<(String, String)>, Option<String>);

#[derive(Template)]
#[template(path = "hotline.html")]
struct ImportPage {
    style: &'static str,
    chrome: Chrome,
    /// Orders imported, skipped as imported before, and left waiting for a place.
    imported: Option<(usize, usize, usize)>,
    error: Option<String>,
    bad_rows: Vec<(usize, String, String)>,
    /// Orders waiting for a place (待定位), each with the grids its address could be in
    /// (code, what to call it) for a one-click choice and, when it came without a category,
    /// the likeliest three.
    pending: Vec<Waiting>,
    /// The categories an order may be filed under: code, name.
    categories: Vec<(String, String)>,
    /// The communities and grids an order may be placed in: code and name.
    places: Vec<(String, String)>,
    /// What placing an order did.
    notice: Option<String>,
    /// The mapping step, when the file's headers left required fields unread.
    mapping: Option<MappingStep>,
}

/// The file's headers and, for each field, the header it is read from.
#[derive(Default)]
struct MappingStep {
    headers: Vec<String>,
    /// Field key, its name, whether required, the header it is read from.
    fields: Vec<(&'static str, &'static str, bool, Option<String>)>,
}

/// What the page shows besides the queue.
#[derive(Default)]
struct Outcome {
    imported: Option<(usize, usize, usize)>,
    error: Option<String>,
    bad_rows: Vec<(usize, String, String)>,
    notice: Option<String>,
    mapping: Option<MappingStep>,
}

async fn page(
    state: &WebState,
    p: &crate::auth::Principal,
    jar: CookieJar,
    outcome: Outcome,
) -> Result<(CookieJar, Response), PageError> {
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let waiting = hotline::pending(state, &p.actor).await?;
    let mut places = Vec::new();
    if !waiting.is_empty() {
        for level in [Level::Community, Level::Grid] {
            let nodes =
                shanzhi_app::regions::subtree_page(state, &p.actor, None, Some(level), None, 2000)
                    .await?;
            places.extend(nodes.into_iter().map(|n| (n.code, n.name)));
        }
        places.sort();
    }
    let mut pending = Vec::with_capacity(waiting.len());
    for o in waiting {
        let choices = hotline::choices(state, &p.actor, &o.address).await?;
        let named = |code: &str| {
            places
                .binary_search_by(|(c, _)| c.as_str().cmp(code))
                .ok()
                .map(|i| places[i].1.clone())
        };
        let choices = choices
            .into_iter()
            .filter_map(|(code, what)| {
                let grid = named(&code)?;
                Some((code, what.map_or(grid.clone(), |w| format!("{grid} · {w}"))))
            })
            .collect();
        // An order that came without a category: the three likeliest, as the import weighed them.
        let guesses = match o.category_likelihood {
            Some(_) => {
                let text = format!("{} {}", o.title, o.description);
                let s = shanzhi_app::suggest::suggest(state, p, &text).await?;
                let named: Vec<String> = s
                    .categories
                    .iter()
                    .map(|g| format!("{} {:.0}%", g.name, g.likelihood * 100.0))
                    .collect();
                Some(named.join("、"))
            }
            None => None,
        };
        pending.push((o, choices, guesses));
    }
    let categories = state
        .categories()
        .await?
        .iter()
        .map(|c| (c.code.clone(), c.name.clone()))
        .collect();
    let view = ImportPage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(p, csrf),
        imported: outcome.imported,
        error: outcome.error,
        bad_rows: outcome.bad_rows,
        pending,
        categories,
        places,
        notice: outcome.notice,
        mapping: outcome.mapping,
    };
    Ok((jar, render(&view)))
}

#[derive(Debug, Default, serde::Deserialize)]
struct Said {
    notice: Option<String>,
    error: Option<String>,
}

async fn form(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Query(said): Query<Said>,
) -> Result<(CookieJar, Response), PageError> {
    let outcome = Outcome {
        notice: said.notice,
        error: said.error,
        ..Outcome::default()
    };
    page(&state, &p, jar, outcome).await
}

#[derive(Debug, serde::Deserialize)]
struct PlaceForm {
    /// The grid chosen with one click (a button's value) …
    #[serde(default)]
    node: String,
    /// … or typed (`code 名称` from the list).
    #[serde(default)]
    other: String,
    /// The category's code (the file's or suggested one when empty).
    #[serde(default)]
    category: String,
    /// Or where it is, pointed at on the map (WGS-84).
    #[serde(default)]
    lon: String,
    #[serde(default)]
    lat: String,
}

#[derive(Template)]
#[template(path = "pending_map.html")]
struct PendingMapPage {
    style: &'static str,
    chrome: Chrome,
    order: PendingRow,
    map: Option<String>,
}

/// 在地图上定位: one waiting order and the caller's area to point at; the pin's position files
/// it in the grid it falls in.
async fn map_page(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    jar: CookieJar,
) -> Result<(CookieJar, Response), PageError> {
    let order = hotline::pending(&state, &p.actor)
        .await?
        .into_iter()
        .find(|o| o.id == id)
        .ok_or_else(AppError::not_found)?;
    let map = match shanzhi_app::regions::pick_area(&state, &p.actor).await? {
        Some(area) => super::map::pick_map(&state, &area, &[], None, ("lon", "lat"))?,
        None => None,
    };
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let view = PendingMapPage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        order,
        map,
    };
    Ok((jar, render(&view)))
}

/// Gives a waiting order its grid and files its case.
async fn place(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    form: CsrfForm<PlaceForm>,
) -> Result<Redirect, PageError> {
    // The datalist's choice reads `code 名称`: the code is the first word.
    let f = &form.0;
    let chosen = if f.node.trim().is_empty() {
        &f.other
    } else {
        &f.node
    };
    let code = chosen
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    let point = match (f.lon.trim().parse::<f64>(), f.lat.trim().parse::<f64>()) {
        (Ok(lon), Ok(lat)) if code.is_empty() => Some((lon, lat)),
        _ => None,
    };
    let node = Some(code.as_str()).filter(|c| !c.is_empty());
    let placed = hotline::place_pending(&state, &p.actor, id, node, point, Some(&f.category));
    let said = match placed.await {
        Ok(case) => format!(
            "notice={}",
            super::url_encode(&format!("已定位并立案：事件 {case}"))
        ),
        Err(e @ (AppError::BadRequest { .. } | AppError::Unprocessable { .. })) => {
            format!("error={}", super::url_encode(&e.to_string()))
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Redirect::to(&format!("/cases/import?{said}#pending")))
}

/// The upload form's fields besides the file.
#[derive(Debug, serde::Deserialize)]
struct HotlineForm {
    /// The coordinates' system.
    #[serde(default)]
    crs: shanzhi_domain::geo::Crs,
    /// The mapping step's choices: `map_<field>` = the file's header.
    #[serde(flatten)]
    choices: std::collections::HashMap<String, String>,
}

async fn upload(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    form: CsrfMultipart<HotlineForm>,
) -> Result<(CookieJar, Response), PageError> {
    let crs = form.form.crs;
    let mapping: Vec<(String, String)> = form
        .form
        .choices
        .iter()
        .filter_map(|(k, h)| Some((k.strip_prefix("map_")?.to_owned(), h.clone())))
        .collect();
    let Some(upload) = form.file("file") else {
        let e = "请选择要上传的文件".to_owned();
        return page(&state, &p, jar, failed(e)).await;
    };
    if upload.cut {
        let e = format!(
            "文件不能超过 {} MB",
            crate::auth::FILE_LIMIT / (1024 * 1024)
        );
        return page(&state, &p, jar, failed(e)).await;
    }
    let Some(format) = Format::guess(&upload.file_name) else {
        let e = "请上传 .csv、.xlsx、.xls、.ods 或 .json 文件".to_owned();
        return page(&state, &p, jar, failed(e)).await;
    };
    match hotline::import(
        &state,
        &p.actor,
        (format, &upload.file_name, &upload.bytes),
        crs,
        &mapping,
    )
    .await
    {
        Ok(r) => {
            let imported = Some((r.imported, r.already_imported.len(), r.pending.len()));
            let outcome = Outcome {
                imported,
                ..Outcome::default()
            };
            page(&state, &p, jar, outcome).await
        }
        Err(AppError::Unprocessable {
            message, details, ..
        }) => {
            let rows: Vec<(usize, String, String)> = details
                .as_array()
                .into_iter()
                .flatten()
                .map(|d| {
                    (
                        d["row"].as_u64().unwrap_or_default() as usize,
                        d["order_no"].as_str().unwrap_or_default().to_owned(),
                        d["message"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            // A header the aliases do not know: offer the mapping step.
            let step = rows
                .iter()
                .any(|(_, _, m)| m.starts_with("表头缺少"))
                .then(|| hotline::table(&state, format, &upload.file_name, &upload.bytes).ok())
                .flatten()
                .map(|t| MappingStep {
                    fields: hotline::mapped(&t.headers, &mapping)
                        .into_iter()
                        .map(|(c, h)| (c.key, c.header, c.required, h.map(str::to_owned)))
                        .collect(),
                    headers: t.headers,
                });
            let outcome = Outcome {
                bad_rows: rows,
                mapping: step,
                ..failed(message)
            };
            page(&state, &p, jar, outcome).await
        }
        Err(e @ AppError::BadRequest { .. }) => page(&state, &p, jar, failed(e.to_string())).await,
        Err(e) => Err(e.into()),
    }
}

fn failed(error: String) -> Outcome {
    Outcome {
        error: Some(error),
        ..Outcome::default()
    }
}
