//! Voice notes of a case (语音留言): checked by content on the way in, heard by the staff who
//! may see the case's photos (the same policy: both are what the reporter recorded on the spot).

use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError};
use shanzhi_domain::auth::Actor;
use shanzhi_domain::case::voice::{self, AudioFormat, Voice, VoiceError};
pub use shanzhi_store::voices::VoiceRow;

/// Checks an uploaded voice note: too large is 413, anything else 400.
pub fn check(bytes: &[u8]) -> Result<Voice, AppError> {
    voice::check(bytes).map_err(|e| match e {
        VoiceError::TooLarge => AppError::TooLarge(e.to_string()),
        VoiceError::TooShort | VoiceError::NotAudio => {
            AppError::bad("invalid_voice", e.to_string())
        }
    })
}

/// The voice notes of a case the caller may see, oldest first.
pub async fn of_case(state: &App, actor: &Actor, id: i64) -> Result<Vec<VoiceRow>, AppError> {
    actor.may(Resource::Photo, Verb::List)?;
    let case = crate::case_scope::visible(state, actor, id).await?;
    Ok(shanzhi_store::voices::list(&mut state.store().conn().await?, case.id).await?)
}

/// One voice note of a case the caller may see, with its format.
pub async fn audio(
    state: &App,
    actor: &Actor,
    id: i64,
    voice_id: i64,
) -> Result<Option<(AudioFormat, Vec<u8>)>, AppError> {
    actor.may(Resource::Photo, Verb::Read)?;
    let case = crate::case_scope::visible(state, actor, id).await?;
    Ok(shanzhi_store::voices::audio(&mut state.store().conn().await?, case.id, voice_id).await?)
}
