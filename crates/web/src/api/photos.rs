//! Photos of a case: upload one (the request body is the image), list them, fetch one.

use super::extract::{Path, Query};
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::cases::visible;
use shanzhi_app::photos as svc;
use shanzhi_app::photos::PhotoRow;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list, upload))
        .routes(routes!(image))
}

/// A stored photo as an HTTP answer. Photos never change once stored, so browsers may keep
/// them; `private` keeps shared caches from holding a resident's photo.
pub(crate) fn jpeg(bytes: Option<Vec<u8>>) -> Result<Response, AppError> {
    let bytes = bytes.ok_or_else(|| AppError::NotFound("照片不存在".into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, max-age=604800, immutable"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response())
}

/// Options of an upload.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct UploadParams {
    /// Whether the reporter sees it on the tracking page (default true); false for internal
    /// photos such as a party's documents.
    pub public: Option<bool>,
}

/// Adds one photo to a case (for staff who are a party to it). The body is the image itself
/// (JPEG, PNG or WebP, up to the server's limit, 10 MB by default); it is stored upright,
/// without its EXIF data, at most 2048 px on its longer side.
#[utoipa::path(post, path = "/cases/{id}/photos", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path), UploadParams),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 201, body = Vec<PhotoRow>), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn upload(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Query(params): Query<UploadParams>,
    body: Body,
) -> Result<(StatusCode, axum::Json<Vec<PhotoRow>>), ApiError> {
    let case = visible(&state, &p.actor, id).await?;
    let max = state.config().photo_max_bytes;
    let bytes: Bytes = axum::body::to_bytes(body, max.saturating_add(1))
        .await
        .map_err(|_| {
            svc::rejected(
                "",
                &shanzhi_domain::case::photo::PhotoError::TooLarge { max_bytes: max },
            )
        })?;
    let prepared = svc::prepare(&state, vec![bytes]).await?;
    let rows = svc::add(
        &state,
        &p.actor,
        &p.account,
        &case,
        prepared,
        params.public.unwrap_or(true),
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(rows)))
}

/// The photos of a case in the caller's scope, oldest first.
#[utoipa::path(get, path = "/cases/{id}/photos", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<PhotoRow>), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<Vec<PhotoRow>>, ApiError> {
    Ok(axum::Json(svc::of_case(&state, &p.actor, id).await?))
}

/// Which size of a photo.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImageParams {
    /// The thumbnail (at most 320 px) instead of the photo.
    pub thumb: Option<bool>,
}

/// One photo of a case in the caller's scope, as JPEG.
#[utoipa::path(get, path = "/cases/{id}/photos/{photo_id}", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path), ("photo_id" = i64, Path), ImageParams),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 404, body = ErrorBody)))]
async fn image(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path((id, photo_id)): Path<(i64, i64)>,
    Query(params): Query<ImageParams>,
) -> Result<Response, ApiError> {
    let thumb = params.thumb.unwrap_or(false);
    Ok(jpeg(
        svc::image(&state, &p.actor, id, photo_id, thumb).await?,
    )?)
}
