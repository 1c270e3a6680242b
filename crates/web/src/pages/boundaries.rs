//! A node's boundaries for those who keep them: the coverage check drawn on the map (gaps
//! numbered, overlaps and parts outside listed), the subtree's boundary file out as GeoJSON,
//! KML or a zipped Shapefile, and a boundary file in — new nodes, or a revision of the
//! registered ones previewed (areas, what lands in another grid) before it is written.

use super::map::{Mark, child_shapes, svg_marked};
use super::{Chrome, PageError, render};
use crate::WebState;
use crate::auth::{CsrfMultipart, PageUser, csrf_token};
use crate::pages::{Path, Query};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::Response;
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::regions::{self as svc, ImportHow, ImportReport};
use shanzhi_domain::geo::{Coverage, Crs};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/regions/{code}/boundaries", get(show).post(import))
        .route("/regions/{code}/boundaries/export", get(export))
        .layer(DefaultBodyLimit::disable())
}

#[derive(Template)]
#[template(path = "boundaries.html")]
struct BoundariesPage {
    style: &'static str,
    chrome: Chrome,
    code: String,
    name: String,
    map: Option<String>,
    coverage: Option<Coverage>,
    /// Names of the children, for the coverage lists.
    names: std::collections::HashMap<String, String>,
    /// An import's outcome.
    report: Option<ImportReport>,
    /// The previewed file, to write it without choosing it again.
    previewed: Option<Previewed>,
    error: Option<String>,
    problems: Vec<String>,
    /// The mapping step: the file (to send back), its property names, and for each field the
    /// property chosen.
    mapping: Option<PropertyStep>,
}

/// A file whose properties name no code or name the aliases know.
struct PropertyStep {
    doc: String,
    crs: &'static str,
    revise: bool,
    names: Vec<String>,
    fields: Vec<(&'static str, &'static str, bool)>,
}

/// A previewed file and how it was to be taken in.
struct Previewed {
    doc: String,
    crs: &'static str,
    revise: bool,
    replace: bool,
}

impl BoundariesPage {
    /// Square metres in words.
    fn area(&self, m2: &f64) -> String {
        if *m2 >= 1_000_000.0 {
            format!("{:.2} 平方公里", m2 / 1_000_000.0)
        } else {
            format!("{m2:.0} 平方米")
        }
    }
}

async fn page(
    state: &WebState,
    p: &crate::auth::Principal,
    jar: CookieJar,
    code: &str,
    outcome: Outcome,
) -> Result<(CookieJar, Response), PageError> {
    let row = svc::visible(state, &p.actor, code).await?;
    let kids = svc::children(state, &p.actor, code).await?;
    let coverage = svc::coverage(state, &p.actor, code).await?;
    let mut parsed = Vec::with_capacity(kids.len());
    for k in &kids {
        parsed.push(svc::outline(k)?);
    }
    let shapes = child_shapes(
        &row.name,
        &kids,
        &parsed,
        |_| 0,
        |k| format!("{} {}", k.name, k.code),
    );
    let own = svc::outline(&row)?;
    let marks: Vec<Mark> = coverage
        .iter()
        .flat_map(|c| {
            let gaps = c.gaps.iter().map(|g| (g.near, false));
            let overlaps = c.overlaps.iter().map(|o| (o.near, true));
            gaps.enumerate()
                .chain(overlaps.enumerate())
                .map(|(i, (at, overlap))| Mark {
                    at,
                    overlap,
                    number: i + 1,
                })
        })
        .collect();
    let map = svg_marked(own.as_ref(), &shapes, |c| format!("/regions/{c}"), &marks);
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let view = BoundariesPage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(p, csrf),
        code: row.code.clone(),
        name: row.name.clone(),
        map,
        coverage,
        names: kids
            .iter()
            .map(|k| (k.code.clone(), k.name.clone()))
            .collect(),
        report: outcome.report,
        previewed: outcome.previewed,
        error: outcome.error,
        problems: outcome.problems,
        mapping: outcome.mapping,
    };
    Ok((jar, render(&view)))
}

/// What an import left to show.
#[derive(Default)]
struct Outcome {
    report: Option<ImportReport>,
    previewed: Option<Previewed>,
    error: Option<String>,
    problems: Vec<String>,
    mapping: Option<PropertyStep>,
}

async fn show(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Path(code): Path<String>,
) -> Result<(CookieJar, Response), PageError> {
    page(&state, &p, jar, &code, Outcome::default()).await
}

#[derive(Debug, Deserialize)]
struct ImportForm {
    #[serde(default)]
    crs: Crs,
    #[serde(default)]
    revise: Option<String>,
    #[serde(default)]
    replace: Option<String>,
    #[serde(default)]
    check_only: Option<String>,
    /// A previewed file sent back to be written (instead of a file part).
    #[serde(default)]
    doc: Option<String>,
    /// The mapping step's choices: `map_<field>` = the property's name.
    #[serde(flatten)]
    choices: std::collections::HashMap<String, String>,
}

fn crs_text(crs: Crs) -> &'static str {
    match crs {
        Crs::Wgs84 => "wgs84",
        Crs::Gcj02 => "gcj02",
        Crs::Bd09 => "bd09",
    }
}

async fn import(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Path(code): Path<String>,
    form: CsrfMultipart<ImportForm>,
) -> Result<(CookieJar, Response), PageError> {
    let f = &form.form;
    let failed = |e: String| Outcome {
        error: Some(e),
        ..Outcome::default()
    };
    let bytes = match (form.file("file"), &f.doc) {
        (Some(file), _) if file.cut => {
            let e = format!(
                "文件不能超过 {} MB",
                crate::auth::FILE_LIMIT / (1024 * 1024)
            );
            return page(&state, &p, jar, &code, failed(e)).await;
        }
        (Some(file), _) => file.bytes.to_vec(),
        (None, Some(doc)) => doc.clone().into_bytes(),
        (None, None) => {
            let e = "请选择边界文件".to_owned();
            return page(&state, &p, jar, &code, failed(e)).await;
        }
    };
    let how = ImportHow {
        revise: f.revise.is_some(),
        replace: f.replace.is_some(),
        check_only: f.check_only.is_some(),
    };
    let mut doc = match shanzhi_app::boundary_files::boundary_document(&bytes) {
        Ok(d) => d,
        Err(e) => return page(&state, &p, jar, &code, failed(e.to_string())).await,
    };
    let chosen: Vec<(String, String)> = f
        .choices
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("map_")?.to_owned(), v.clone())))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    shanzhi_domain::region::map_properties(&mut doc, &chosen);
    let outcome = match svc::import(&state, &p.actor, &doc, f.crs, how).await {
        Ok(report) => Outcome {
            previewed: (!report.committed).then(|| Previewed {
                doc: doc.to_string(),
                crs: crs_text(f.crs),
                revise: how.revise,
                replace: how.replace,
            }),
            report: Some(report),
            ..Outcome::default()
        },
        Err(AppError::Unprocessable {
            message, details, ..
        }) => Outcome {
            // No code or name under a property name the aliases know: the mapping step.
            mapping: details
                .to_string()
                .contains("缺少编码")
                .then(|| PropertyStep {
                    doc: doc.to_string(),
                    crs: crs_text(f.crs),
                    revise: how.revise,
                    names: shanzhi_domain::region::property_names(&doc),
                    fields: shanzhi_domain::region::PROPERTY_FIELDS.to_vec(),
                }),
            problems: details
                .as_array()
                .into_iter()
                .flatten()
                .map(|d| {
                    let at = d["index"]
                        .as_u64()
                        .map(|i| format!("第 {} 个要素", i + 1))
                        .unwrap_or_default();
                    let code = d["code"].as_str().unwrap_or_default();
                    format!("{at} {code}：{}", d["message"].as_str().unwrap_or_default())
                })
                .collect(),
            ..failed(message)
        },
        Err(e @ AppError::BadRequest { .. }) => failed(e.to_string()),
        Err(e) => return Err(e.into()),
    };
    page(&state, &p, jar, &code, outcome).await
}

#[derive(Debug, Deserialize)]
struct ExportQuery {
    format: Option<String>,
}

async fn export(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(code): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    Ok(crate::api::regions::export_file(&state, &p, Some(&code), q.format.as_deref()).await?)
}
