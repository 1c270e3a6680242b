//! The 12345 import page: upload the hotline's export, see what was imported, or every bad row.

use super::{Chrome, PageError, render};
use crate::WebState;
use crate::auth::{CsrfMultipart, PageUser, csrf_token};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::Response;
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;
use shanzhi_app::AppError;
use shanzhi_app::hotline::{self, Format};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/cases/import", get(form).post(upload))
        .layer(DefaultBodyLimit::disable())
}

#[derive(Template)]
#[template(path = "hotline.html")]
struct ImportPage {
    style: &'static str,
    chrome: Chrome,
    imported: Option<(usize, usize)>,
    error: Option<String>,
    bad_rows: Vec<(usize, String, String)>,
}

fn page(
    state: &WebState,
    p: &crate::auth::Principal,
    jar: CookieJar,
    imported: Option<(usize, usize)>,
    error: Option<String>,
    bad_rows: Vec<(usize, String, String)>,
) -> Result<(CookieJar, Response), PageError> {
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let view = ImportPage {
        style: crate::assets::STYLE_PATH.as_str(),
        chrome: Chrome::new(p, csrf),
        imported,
        error,
        bad_rows,
    };
    Ok((jar, render(&view)))
}

async fn form(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
) -> Result<(CookieJar, Response), PageError> {
    page(&state, &p, jar, None, None, Vec::new())
}

/// The upload form's fields besides the file.
#[derive(Debug, serde::Deserialize)]
struct HotlineForm {
    /// The coordinates' system.
    #[serde(default)]
    crs: shanzhi_domain::geo::Crs,
}

async fn upload(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    form: CsrfMultipart<HotlineForm>,
) -> Result<(CookieJar, Response), PageError> {
    let crs = form.form.crs;
    let Some(upload) = form.file("file") else {
        let e = "请选择要上传的文件".to_owned();
        return page(&state, &p, jar, None, Some(e), Vec::new());
    };
    if upload.cut {
        let e = format!(
            "文件不能超过 {} MB",
            crate::auth::FILE_LIMIT / (1024 * 1024)
        );
        return page(&state, &p, jar, None, Some(e), Vec::new());
    }
    let Some(format) = Format::guess(&upload.file_name) else {
        let e = "请上传 .csv、.xlsx、.xls、.ods 或 .json 文件".to_owned();
        return page(&state, &p, jar, None, Some(e), Vec::new());
    };
    match hotline::import(
        &state,
        &p.actor,
        (format, &upload.file_name, &upload.bytes),
        crs,
    )
    .await
    {
        Ok(r) => page(
            &state,
            &p,
            jar,
            Some((r.imported, r.already_imported.len())),
            None,
            Vec::new(),
        ),
        Err(AppError::Unprocessable {
            message, details, ..
        }) => {
            let rows = details
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
            page(&state, &p, jar, None, Some(message), rows)
        }
        Err(e @ AppError::BadRequest { .. }) => {
            page(&state, &p, jar, None, Some(e.to_string()), Vec::new())
        }
        Err(e) => Err(e.into()),
    }
}
