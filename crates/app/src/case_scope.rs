//! Which cases an account may see and how it stands to them: the reads the case operations,
//! their deadlines and photos share, so none of them needs another.

use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError};
use shanzhi_domain::auth::{Actor, Role};
use shanzhi_domain::case::{Party, holding};
use shanzhi_store::cases::{self, CaseRow};
use shanzhi_store::summons;

/// A case the actor may see (departments also see cases they are summoned to); 404 otherwise.
pub async fn visible(state: &App, actor: &Actor, id: i64) -> Result<CaseRow, AppError> {
    actor.may(Resource::Case, Verb::Read)?;
    let mut conn = state.store().conn().await?;
    let case = cases::get(&mut conn, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if holding::sees(actor, &case.holding()) {
        return Ok(case);
    }
    match actor
        .department_id
        .filter(|_| actor.role == Role::DepartmentHandler)
    {
        Some(d) if summons::summoned(&mut conn, id, d).await? => Ok(case),
        _ => Err(AppError::not_found()),
    }
}

/// The case a reporter follows by its tracking code (typed in any case); 404 names the code as
/// unknown.
pub async fn by_tracking(state: &App, tracking: &str) -> Result<CaseRow, AppError> {
    cases::by_tracking_code(&mut state.store().conn().await?, &tracking_typed(tracking))
        .await?
        .ok_or_else(|| AppError::NotFound("查询码不存在，请核对后重试".into()))
}

/// A tracking code as typed or read out: upper case, without the spaces and dashes people
/// put in to read it in groups.
pub fn tracking_typed(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The actor as a party to the case (403 when its role does not act on cases, or when it has
/// no standing).
pub fn party_of(actor: &Actor, case: &CaseRow) -> Result<Party, AppError> {
    actor.may(Resource::Case, Verb::Write)?;
    holding::party_of(actor, &case.holding())
        .ok_or_else(|| AppError::Forbidden("您与此事件无关，不能办理".into()))
}
