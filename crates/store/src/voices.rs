//! Voice notes of a case (语音留言), kept as sent after the domain's checks.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::case::voice::AudioFormat;

/// What is known of a stored voice note.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct VoiceRow {
    /// Id.
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// Its format.
    pub format: AudioFormat,
    /// Its size in bytes.
    pub size_bytes: i64,
    /// Who added it, as the timeline names them.
    pub added_label: String,
    /// When (ms).
    pub added_at: i64,
}

/// Stores a voice note of `case_id` (the caller's transaction) and returns its id.
pub async fn insert(
    ex: &mut impl Exec,
    case_id: i64,
    voice: &shanzhi_domain::case::voice::Voice,
    added_by: Option<i64>,
    added_label: &str,
    now: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO case_voices (case_id, format, audio, size_bytes, added_by, \
                 added_label, added_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(case_id)
            .bind(voice.format.as_str())
            .bind(voice.bytes.clone())
            .bind(i64::try_from(voice.bytes.len()).unwrap_or(i64::MAX))
            .bind(added_by)
            .bind(added_label)
            .bind(now),
        )
        .await?;
    Ok(id)
}

/// A case's voice notes, oldest first.
pub async fn list(ex: &mut impl Exec, case_id: i64) -> Result<Vec<VoiceRow>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT id, case_id, format, size_bytes, added_label, added_at FROM case_voices \
             WHERE case_id = ? ORDER BY id",
        )
        .bind(case_id),
    )
    .await
}

/// One voice note of `case_id` with its format, or `None` when the case has no such note.
pub async fn audio(
    ex: &mut impl Exec,
    case_id: i64,
    voice_id: i64,
) -> Result<Option<(AudioFormat, Vec<u8>)>, StoreError> {
    ex.opt(
        Sql::new("SELECT format, audio FROM case_voices WHERE id = ? AND case_id = ?")
            .bind(voice_id)
            .bind(case_id),
    )
    .await
}
