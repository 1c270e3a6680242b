//! The photos of a case's page: thumbnails, the photos themselves, and the form to add some
//! (evidence of the work, or more of the scene); and the voice notes a resident left.

use super::back;
use super::{PageError, beijing, form_photos};
use crate::WebState;
use crate::auth::{Actor, CsrfMultipart, PageUser};
use crate::pages::Path;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::cases::CaseRow;
use shanzhi_app::cases::visible;
use shanzhi_app::photos as svc;

pub fn router() -> Router<WebState> {
    Router::new()
        .route(
            "/cases/{id}/photos",
            post(add).layer(DefaultBodyLimit::disable()),
        )
        .route("/cases/{id}/photos/{photo}", get(photo))
        .route("/cases/{id}/photos/{photo}/thumb", get(thumb))
        .route("/cases/{id}/voices/{voice}", get(voice))
}

/// A voice note on the panel: its id, who left it and when, its size in KB, and its media
/// type when the browser can play it in the page.
pub type VoiceLine = (i64, String, i64, Option<&'static str>);

/// A photo on the panel: its id, who added it and when, and whether the reporter sees it.
pub type PhotoLine = (i64, String, bool);

/// What the panel shows.
pub struct PhotosPanel {
    /// By phase (处置前/中/后): the heading and its photos.
    pub photos: Vec<(&'static str, Vec<PhotoLine>)>,
    /// The voice notes, oldest first.
    pub voices: Vec<VoiceLine>,
    /// The viewer may add photos.
    pub can_add: bool,
}

/// The panel for `actor` looking at `case`.
pub async fn panel(
    state: &WebState,
    actor: &Actor,
    case: &CaseRow,
) -> Result<PhotosPanel, AppError> {
    let rows = svc::of_case(state, actor, case.id).await?;
    let voices = shanzhi_app::voices::of_case(state, actor, case.id)
        .await?
        .into_iter()
        .map(|v| {
            let by = format!("{} {}", beijing(v.added_at), v.added_label);
            let plays = v.format.plays_in_browser().then(|| v.format.media_type());
            (v.id, by, (v.size_bytes + 1023) / 1024, plays)
        })
        .collect();
    Ok(PhotosPanel {
        voices,
        photos: shanzhi_domain::case::photo::by_phase(rows.into_iter().map(|p| {
            let by = format!("{} {}", beijing(p.added_at), p.added_label);
            (p.stage, (p.id, by, p.public))
        }))
        .into_iter()
        .map(|(phase, photos)| (phase.label(), photos))
        .collect(),
        can_add: shanzhi_domain::case::holding::has_standing(actor, &case.holding()),
    })
}

/// The form's text fields (checkbox: present when ticked).
#[derive(Deserialize)]
struct AddForm {
    #[serde(default)]
    internal: Option<String>,
}

async fn add(
    State(state): State<WebState>,
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
    state: &WebState,
    actor: &Actor,
    id: i64,
    photo: i64,
    thumb: bool,
) -> Result<Response, PageError> {
    Ok(crate::api::photos::jpeg(
        svc::image(state, actor, id, photo, thumb).await?,
    )?)
}

async fn photo(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path((id, photo)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    image(&state, &p.actor, id, photo, false).await
}

async fn thumb(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path((id, photo)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    image(&state, &p.actor, id, photo, true).await
}

/// A voice note as sent, in its own media type (AMR is offered as a download).
async fn voice(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path((id, voice)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let (format, bytes) = shanzhi_app::voices::audio(&state, &p.actor, id, voice)
        .await?
        .ok_or_else(|| AppError::NotFound("语音不存在".into()))?;
    let name = format!(
        "attachment; filename=\"voice-{id}-{voice}.{}\"",
        format.as_str()
    );
    let disposition = if format.plays_in_browser() {
        "inline".to_owned()
    } else {
        name
    };
    Ok((
        [
            (header::CONTENT_TYPE, format.media_type().to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::CACHE_CONTROL,
                "private, max-age=604800, immutable".to_owned(),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
