//! Photos of a case: checked and re-encoded off the async runtime (the domain's photo rules),
//! then stored with the case — with the report itself, or added later as evidence.

use crate::auth::Actor;
use crate::services::cases::{actor_label, has_standing};
use crate::{ApiError, AppState};
use axum::body::Bytes;
use shanzhi_domain::case::photo::{self, MAX_PER_CASE, MAX_PER_UPLOAD, PhotoError, Prepared};
use shanzhi_store::accounts::AccountRow;
use shanzhi_store::cases::{self, CaseRow, NewEvent};
use shanzhi_store::photos::{self as store, NewPhoto, PhotoRow};
use shanzhi_store::{Exec, now_ms};

/// Checks and prepares uploaded photos (at most [`MAX_PER_UPLOAD`]); the first bad one names
/// itself by its place in the upload.
pub async fn prepare(state: &AppState, files: Vec<Bytes>) -> Result<Vec<Prepared>, ApiError> {
    if files.len() > MAX_PER_UPLOAD {
        return Err(ApiError::bad(
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
    .map_err(|e| ApiError::Internal(format!("photo worker: {e}")))?
}

/// A refused photo as an API error: too large is 413, anything else 400.
pub fn rejected(which: &str, e: &PhotoError) -> ApiError {
    match e {
        PhotoError::TooLarge { .. } => ApiError::TooLarge(format!("{which}{e}")),
        _ => ApiError::bad("invalid_photo", format!("{which}{e}")),
    }
}

/// Stores prepared photos of a case the caller may see (the caller's transaction), up to
/// [`MAX_PER_CASE`] in all.
pub(crate) async fn store_all(
    ex: &mut impl Exec,
    case: &CaseRow,
    photos: &[Prepared],
    public: bool,
    added_by: Option<i64>,
    added_label: &str,
) -> Result<(), ApiError> {
    let had = if photos.is_empty() {
        0
    } else {
        store::count(ex, case.id).await?
    };
    if had + photos.len() > MAX_PER_CASE {
        return Err(ApiError::bad(
            "too_many_photos",
            format!("每件事件最多 {MAX_PER_CASE} 张照片，已有 {had} 张"),
        ));
    }
    let now = now_ms();
    for p in photos {
        let new = NewPhoto {
            stage: &case.stage,
            public,
            width: p.width,
            height: p.height,
            photo: &p.jpeg,
            thumb: &p.thumb,
            added_by,
            added_label,
        };
        store::insert(ex, case.id, &new, now).await?;
    }
    Ok(())
}

/// Adds photos to a case (现场照片, or evidence of the work) for a staff member who
/// [`has_standing`] them, with a timeline entry; `public` ones show on the reporter's tracking page.
pub async fn add(
    state: &AppState,
    actor: &Actor,
    account: &AccountRow,
    case: &CaseRow,
    photos: Vec<Prepared>,
    public: bool,
) -> Result<Vec<PhotoRow>, ApiError> {
    if !has_standing(actor, case) {
        return Err(ApiError::Forbidden("您与此事件无关，不能上传照片".into()));
    }
    if photos.is_empty() {
        return Err(ApiError::bad("photo_required", "请选择要上传的照片"));
    }
    let label = actor_label(account, actor.role);
    let mut tx = state.store().begin().await?;
    store_all(&mut tx, case, &photos, public, Some(account.id), &label).await?;
    let note = format!("上传照片 {} 张", photos.len());
    let event = NewEvent {
        actor_id: Some(account.id),
        actor_label: &label,
        action: "photo",
        from_stage: Some(&case.stage),
        to_stage: &case.stage,
        note: &note,
        public,
    };
    cases::append_event(&mut tx, case.id, event).await?;
    let rows = store::list(&mut tx, case.id, false).await?;
    tx.commit().await?;
    Ok(rows)
}
