//! Photos of a case: checked and re-encoded off the async runtime (the domain's photo rules),
//! then stored with the case — with the report itself, or added later as evidence.

use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError};
use bytes::Bytes;
use shanzhi_domain::auth::Actor;
use shanzhi_domain::auth::actor_label;
use shanzhi_domain::case::holding::has_standing;
use shanzhi_domain::case::photo::{self, MAX_PER_UPLOAD, PhotoError, Prepared};
use shanzhi_store::accounts::AccountRow;
use shanzhi_store::cases::{self, CaseRow, NewEvent};
pub use shanzhi_store::photos::PhotoRow;
use shanzhi_store::photos::{self as store};

/// Checks and prepares uploaded photos (at most [`MAX_PER_UPLOAD`]); the first bad one names
/// itself by its place in the upload.
pub async fn prepare(state: &App, files: Vec<Bytes>) -> Result<Vec<Prepared>, AppError> {
    if files.len() > MAX_PER_UPLOAD {
        return Err(AppError::bad(
            "too_many_photos",
            format!("一次最多上传 {MAX_PER_UPLOAD} 张照片"),
        ));
    }
    let max_bytes = state.config().photo_max_bytes;
    let several = files.len() > 1;
    tokio::task::spawn_blocking(move || {
        files
            .iter()
            .enumerate()
            .map(|(i, bytes)| {
                photo::prepare(bytes, max_bytes).map_err(|e| {
                    let which = if several {
                        format!("第 {} 张照片：", i + 1)
                    } else {
                        String::new()
                    };
                    rejected(&which, &e)
                })
            })
            .collect()
    })
    .await
    .map_err(|e| AppError::Internal(format!("photo worker: {e}")))?
}

/// A refused photo as an API error: too large is 413, anything else 400.
pub fn rejected(which: &str, e: &PhotoError) -> AppError {
    match e {
        PhotoError::TooLarge { .. } => AppError::TooLarge(format!("{which}{e}")),
        _ => AppError::bad("invalid_photo", format!("{which}{e}")),
    }
}

/// Adds photos to a case (现场照片, or evidence of the work) for a staff member who
/// [`has_standing`] them, with a timeline entry; `public` ones show on the reporter's tracking page.
pub async fn add(
    state: &App,
    actor: &Actor,
    account: &AccountRow,
    case: &CaseRow,
    photos: Vec<Prepared>,
    public: bool,
) -> Result<Vec<PhotoRow>, AppError> {
    actor.may(Resource::Photo, Verb::Write)?;
    if !has_standing(actor, &case.holding()) {
        return Err(AppError::Forbidden("您与此事件无关，不能上传照片".into()));
    }
    if photos.is_empty() {
        return Err(AppError::bad("photo_required", "请选择要上传的照片"));
    }
    let label = actor_label(&account.display_name, actor.role);
    let mut tx = state.store().begin().await?;
    crate::cases::store_photos(
        &mut tx,
        case,
        &photos,
        public,
        Some(account.id),
        &label,
        state.now_ms(),
    )
    .await?;
    let note = format!("上传照片 {} 张", photos.len());
    let event = NewEvent {
        actor_id: Some(account.id),
        actor_label: &label,
        action: "photo",
        from_stage: Some(case.stage),
        to_stage: case.stage,
        note: &note,
        public,
    };
    cases::append_event(&mut tx, case.id, event, state.now_ms()).await?;
    let rows = store::list(&mut tx, case.id, false).await?;
    tx.commit().await?;
    Ok(rows)
}

/// The photos of a case the caller may see, oldest first (public and internal).
pub async fn of_case(state: &App, actor: &Actor, id: i64) -> Result<Vec<PhotoRow>, AppError> {
    actor.may(Resource::Photo, Verb::List)?;
    let case = crate::case_scope::visible(state, actor, id).await?;
    Ok(store::list(&mut state.store().conn().await?, case.id, false).await?)
}

/// One photo (or its thumbnail) of a case the caller may see.
pub async fn image(
    state: &App,
    actor: &Actor,
    id: i64,
    photo_id: i64,
    thumb: bool,
) -> Result<Option<Vec<u8>>, AppError> {
    actor.may(Resource::Photo, Verb::Read)?;
    let case = crate::case_scope::visible(state, actor, id).await?;
    Ok(store::bytes(
        &mut state.store().conn().await?,
        case.id,
        photo_id,
        thumb,
        false,
    )
    .await?)
}

/// One public photo (or its thumbnail) of the case a reporter tracks by its code.
pub async fn public_image(
    state: &App,
    tracking: &str,
    photo_id: i64,
    thumb: bool,
) -> Result<Option<Vec<u8>>, AppError> {
    let case = crate::case_scope::by_tracking(state, tracking).await?;
    Ok(store::bytes(
        &mut state.store().conn().await?,
        case.id,
        photo_id,
        thumb,
        true,
    )
    .await?)
}
