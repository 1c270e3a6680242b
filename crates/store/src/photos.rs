//! Photos of a case (现场照片): their bytes, already re-encoded by the domain's photo rules,
//! and what is known of each.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::case::Stage;

/// What is known of a stored photo (also the API's answer).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct PhotoRow {
    /// Id.
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// The case's stage when the photo was added (`reported` for the report's own photos,
    /// `handled` for evidence of the work …).
    pub stage: Stage,
    /// Whether the reporter sees it on the tracking page.
    pub public: bool,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
    /// Who added it, as the timeline names them.
    pub added_label: String,
    /// When (ms).
    pub added_at: i64,
}

/// A photo to store.
#[derive(Debug, Clone, Copy)]
pub struct NewPhoto<'a> {
    /// The case's stage now.
    pub stage: Stage,
    /// Whether the reporter may see it.
    pub public: bool,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The JPEG.
    pub photo: &'a [u8],
    /// Its thumbnail, as JPEG.
    pub thumb: &'a [u8],
    /// The staff account that added it, if any.
    pub added_by: Option<i64>,
    /// Who added it, as the timeline names them.
    pub added_label: &'a str,
}

/// Stores a photo of `case_id` (the caller's transaction) and returns its id.
pub async fn insert(
    ex: &mut impl Exec,
    case_id: i64,
    p: &NewPhoto<'_>,
    now: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO case_photos (case_id, stage, public, width, height, photo, thumb, \
                 added_by, added_label, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(case_id)
            .bind(p.stage.as_str())
            .bind(p.public)
            .bind(i64::from(p.width))
            .bind(i64::from(p.height))
            .bind(p.photo.to_vec())
            .bind(p.thumb.to_vec())
            .bind(p.added_by)
            .bind(p.added_label)
            .bind(now),
        )
        .await?;
    Ok(id)
}

/// A case's photos, oldest first (only the public ones when `public_only`).
pub async fn list(
    ex: &mut impl Exec,
    case_id: i64,
    public_only: bool,
) -> Result<Vec<PhotoRow>, StoreError> {
    let mut q = Sql::new(
        "SELECT id, case_id, stage, public, width, height, added_label, added_at \
         FROM case_photos WHERE case_id = ?",
    )
    .bind(case_id);
    if public_only {
        q.push(" AND public");
    }
    q.push(" ORDER BY id");
    ex.all(q).await
}

/// How many photos a case has.
pub async fn count(ex: &mut impl Exec, case_id: i64) -> Result<usize, StoreError> {
    let (n,): (i64,) = ex
        .one(Sql::new("SELECT COUNT(*) FROM case_photos WHERE case_id = ?").bind(case_id))
        .await?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The JPEG of one photo of `case_id`, or its thumbnail; `None` when there is no such photo
/// (or, with `public_only`, it is internal).
pub async fn bytes(
    ex: &mut impl Exec,
    case_id: i64,
    photo_id: i64,
    thumb: bool,
    public_only: bool,
) -> Result<Option<Vec<u8>>, StoreError> {
    let mut q = Sql::new(if thumb {
        "SELECT thumb FROM case_photos WHERE id = ? AND case_id = ?"
    } else {
        "SELECT photo FROM case_photos WHERE id = ? AND case_id = ?"
    })
    .bind(photo_id)
    .bind(case_id);
    if public_only {
        q.push(" AND public");
    }
    Ok(ex.opt::<(Vec<u8>,)>(q).await?.map(|(b,)| b))
}
