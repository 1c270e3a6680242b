//! The photos of a case's page: thumbnails, the photos themselves, and the form to add some
//! (evidence of the work, or more of the scene).

use super::cases::back;
use super::{PageError, beijing, form_photos};
use crate::auth::{Actor, CsrfMultipart, PageUser};
use crate::services::cases::visible;
use crate::services::photos as svc;
use crate::{ApiError, AppState};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use shanzhi_store::cases::CaseRow;
use shanzhi_store::photos;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/cases/{id}/photos",
            post(add).layer(DefaultBodyLimit::disable()),
        )
        .route("/cases/{id}/photos/{photo}", get(photo))
        .route("/cases/{id}/photos/{photo}/thumb", get(thumb))
}

/// What the panel shows.
pub struct PhotosPanel {
    /// Each photo: id, who added it and when, and whether the reporter sees it.
    pub photos: Vec<(i64, String, bool)>,
    /// The viewer may add photos.
    pub can_add: bool,
}

/// The panel for `actor` looking at `case`.
pub async fn panel(
    state: &AppState,
    actor: &Actor,
    case: &CaseRow,
) -> Result<PhotosPanel, ApiError> {
    let rows = photos::list(&mut state.store().conn().await?, case.id, false).await?;
    Ok(PhotosPanel {
        photos: rows
            .into_iter()
            .map(|p| {
                let by = format!("{} {}", beijing(p.added_at), p.added_label);
                (p.id, by, p.public)
            })
            .collect(),
        can_add: crate::services::cases::has_standing(actor, case),
    })
}

/// The form's text fields (checkbox: present when ticked).
#[derive(Deserialize)]
struct AddForm {
    #[serde(default)]
    internal: Option<String>,
}

async fn add(
    State(state): State<AppState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    upload: CsrfMultipart<AddForm>,
) -> Result<Redirect, PageError> {
    let case = visible(&state, &p.actor, id).await?;
    let added = match form_photos(&state, &upload).await {
        Ok(prepared) => {
            let public = upload.form.internal.is_none();
            svc::add(&state, &p.actor, &p.account, &case, prepared, public)
                .await
                .map(|rows| format!("已上传，共 {} 张照片", rows.len()))
        }
        Err(e) => Err(e),
    };
    Ok(back(id, added))
}

async fn image(
    state: &AppState,
    actor: &Actor,
    id: i64,
    photo: i64,
    thumb: bool,
) -> Result<Response, PageError> {
    let case = visible(state, actor, id).await?;
    let mut conn = state.store().conn().await?;
    Ok(crate::api::photos::jpeg(
        photos::bytes(&mut conn, case.id, photo, thumb, false).await?,
    )?)
}

async fn photo(
    State(state): State<AppState>,
    PageUser(p): PageUser,
    Path((id, photo)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    image(&state, &p.actor, id, photo, false).await
}

async fn thumb(
    State(state): State<AppState>,
    PageUser(p): PageUser,
    Path((id, photo)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    image(&state, &p.actor, id, photo, true).await
}
