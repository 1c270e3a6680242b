//! Deadlines beyond the plain loop: the working-day calendar, extension and suspension requests
//! approved by the level above, and resuming a suspended case.

use crate::case_scope::party_of;
use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError};
use shanzhi_domain::auth::Actor;
use shanzhi_domain::auth::actor_label;
use shanzhi_domain::case::{
    ClockError, ClockFacts, Day, DayKind, Request, RequestKind, may_decide, may_request, may_resume,
};
use shanzhi_store::accounts::AccountRow;
pub use shanzhi_store::calendar::CalendarDayRow;
pub use shanzhi_store::case_requests::RequestRow;
use shanzhi_store::cases::{self, CaseRow, CaseUpdate, NewEvent};
use shanzhi_store::{calendar, case_requests};

const HOUR_MS: i64 = 3_600_000;

fn clock_error(e: ClockError) -> AppError {
    match e {
        ClockError::NotHandler | ClockError::NotApprover => AppError::Forbidden(e.to_string()),
        ClockError::Pending
        | ClockError::NothingPending
        | ClockError::AlreadySuspended
        | ClockError::NotSuspended
        | ClockError::NotHandling => AppError::Conflict(e.to_string()),
        ClockError::BadHours => AppError::bad("invalid_hours", e.to_string()),
        ClockError::TooMany => AppError::Conflict(e.to_string()),
        ClockError::ReasonRequired => AppError::bad("reason_required", e.to_string()),
    }
}

fn parse_day(day: &str) -> Result<Day, AppError> {
    Day::parse(day.trim())
        .ok_or_else(|| AppError::bad("invalid_day", format!("日期 {day} 无效，格式为 2026-10-01")))
}

/// Whether `actor` keeps the calendar (for showing its forms).
pub fn edits_calendar(actor: &Actor) -> bool {
    may_edit_calendar(actor).is_ok()
}

/// The working-day calendar runs every deadline of the deployment: it is kept by the system
/// administrator or a command centre of a district or above, never by a street's.
fn may_edit_calendar(actor: &Actor) -> Result<(), AppError> {
    actor.may(Resource::Calendar, Verb::Write)?;
    let level = actor
        .scope_root()
        .and_then(|c| shanzhi_domain::region::RegionCode::parse(c).ok())
        .map(|c| c.level());
    use shanzhi_domain::region::Level;
    match level {
        None | Some(Level::Province | Level::City | Level::District) => Ok(()),
        Some(_) => Err(AppError::Forbidden(
            "工作日历影响全区时限，由区县综治中心或系统管理员维护".into(),
        )),
    }
}

/// The calendar's exceptions (optionally one year's).
pub async fn days(
    state: &App,
    actor: &Actor,
    year: Option<i32>,
) -> Result<Vec<CalendarDayRow>, AppError> {
    actor.may(Resource::Calendar, Verb::Read)?;
    Ok(calendar::days(&mut state.store().conn().await?, year).await?)
}

/// Marks a day a holiday or a make-up working day; deadlines computed from now on use it.
pub async fn set_day(
    state: &App,
    actor: &Actor,
    day: &str,
    kind: DayKind,
    name: &str,
) -> Result<(), AppError> {
    may_edit_calendar(actor)?;
    let day = parse_day(day)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(AppError::bad(
            "invalid_name",
            "请填写节日或调休名称（不超过 40 个字）",
        ));
    }
    let mut tx = state.store().begin().await?;
    calendar::set(&mut tx, day, kind, name).await?;
    calendar_changed(state, tx).await
}

/// Commits a calendar change with its change-feed entry (every process reloads its calendar)
/// and reloads this process's at once.
async fn calendar_changed(state: &App, mut tx: shanzhi_store::Tx) -> Result<(), AppError> {
    tx.publish(
        shanzhi_domain::notify::FeedKind::Calendar,
        "{}".into(),
        state.now_ms(),
    );
    tx.commit().await?;
    state.announced();
    state.reload_calendar().await
}

/// Returns a day to the weekly rule.
pub async fn remove_day(state: &App, actor: &Actor, day: &str) -> Result<(), AppError> {
    may_edit_calendar(actor)?;
    let day = parse_day(day)?;
    let mut tx = state.store().begin().await?;
    if !calendar::remove(&mut tx, day).await? {
        return Err(AppError::NotFound(format!("{day} 不是例外日期")));
    }
    calendar_changed(state, tx).await
}

fn facts(case: &CaseRow, pending: bool) -> Result<ClockFacts, AppError> {
    Ok(ClockFacts {
        stage: case.stage,
        pending,
        suspended: case.suspended_at.is_some(),
        extensions: u8::try_from(case.extensions).unwrap_or(u8::MAX),
    })
}

fn event<'a>(
    account: &AccountRow,
    label: &'a str,
    case: &'a CaseRow,
    action: &'a str,
    note: &'a str,
) -> NewEvent<'a> {
    NewEvent {
        actor_id: Some(account.id),
        actor_label: label,
        action,
        from_stage: Some(case.stage),
        to_stage: case.stage,
        note,
        public: false,
    }
}

/// The handler asks the level above for more time or to stop the clock.
pub async fn request(
    state: &App,
    actor: &Actor,
    account: &AccountRow,
    case: &CaseRow,
    request: Request,
    reason: &str,
) -> Result<RequestRow, AppError> {
    let party = party_of(actor, case)?;
    let mut tx = state.store().begin().await?;
    let pending = case_requests::pending(&mut tx, case.id).await?.is_some();
    may_request(facts(case, pending)?, party, request, reason).map_err(clock_error)?;
    let hours = match request {
        Request::Extend { hours } => Some(hours),
        Request::Suspend => None,
    };
    let id = case_requests::insert(
        &mut tx,
        case.id,
        request.kind(),
        hours,
        reason.trim(),
        account.id,
        state.now_ms(),
    )
    .await?;
    let label = actor_label(&account.display_name, actor.role);
    let note = match hours {
        Some(h) => format!("申请延期 {h} 小时：{}", reason.trim()),
        None => format!("申请挂起：{}", reason.trim()),
    };
    cases::append_event(
        &mut tx,
        case.id,
        event(account, &label, case, "request", &note),
        state.now_ms(),
    )
    .await?;
    let rows = case_requests::of_case(&mut tx, case.id).await?;
    tx.commit().await?;
    rows.into_iter()
        .find(|r| r.id == id)
        .ok_or_else(AppError::not_found)
}

/// The level above approves or refuses the pending request. An approved extension moves the
/// handle deadline on by the hours granted (on the case's clock); an approved suspension stops
/// the clock now.
pub async fn decide(
    state: &App,
    actor: &Actor,
    account: &AccountRow,
    case: &CaseRow,
    approve: bool,
    note: &str,
) -> Result<CaseRow, AppError> {
    let party = party_of(actor, case)?;
    let mut tx = state.store().begin().await?;
    let pending = case_requests::pending(&mut tx, case.id).await?;
    may_decide(facts(case, pending.is_some())?, party).map_err(clock_error)?;
    let Some(req) = pending else {
        return Err(clock_error(ClockError::NothingPending));
    };
    if !approve && note.trim().is_empty() {
        return Err(AppError::bad("reason_required", "不同意时请说明理由"));
    }
    let now = state.now_ms();
    if !case_requests::decide(&mut tx, req.id, account.id, now, approve, note.trim()).await? {
        return Err(AppError::Conflict("申请已被他人审批".into()));
    }
    let cal = state.calendar();
    let mut update = CaseUpdate::from_row(case);
    let what = req.kind.label();
    if approve {
        match req.hours {
            Some(h) if req.kind == RequestKind::Extend => {
                update.handle_due = cal.add(case.clock, case.handle_due, h * HOUR_MS);
                update.extensions += 1;
            }
            _ => update.suspended_at = Some(now),
        }
    }
    if !cases::update_if_version(&mut tx, case.id, case.version, &update, state.now_ms()).await? {
        return Err(AppError::Conflict("事件已被他人更新，请刷新后重试".into()));
    }
    let label = actor_label(&account.display_name, actor.role);
    let verdict = if approve { "同意" } else { "不同意" };
    let text = format!(
        "{verdict}{what}申请{}{}",
        if note.trim().is_empty() { "" } else { "：" },
        note.trim()
    );
    cases::append_event(
        &mut tx,
        case.id,
        event(account, &label, case, "decide", &text),
        state.now_ms(),
    )
    .await?;
    let row = cases::get(&mut tx, case.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    tx.commit().await?;
    Ok(row)
}

/// Restarts the clock of a suspended case; its deadlines move on by the time it stood still.
pub async fn resume(
    state: &App,
    actor: &Actor,
    account: &AccountRow,
    case: &CaseRow,
) -> Result<CaseRow, AppError> {
    let party = party_of(actor, case)?;
    may_resume(facts(case, false)?, party).map_err(clock_error)?;
    let now = state.now_ms();
    let mut update = CaseUpdate::from_row(case);
    (update.accept_due, update.handle_due) = crate::cases::resumed(state, case, now);
    update.suspended_at = None;
    let mut tx = state.store().begin().await?;
    if !cases::update_if_version(&mut tx, case.id, case.version, &update, state.now_ms()).await? {
        return Err(AppError::Conflict("事件已被他人更新，请刷新后重试".into()));
    }
    let label = actor_label(&account.display_name, actor.role);
    cases::append_event(
        &mut tx,
        case.id,
        event(account, &label, case, "resume", "恢复计时"),
        state.now_ms(),
    )
    .await?;
    let row = cases::get(&mut tx, case.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    tx.commit().await?;
    Ok(row)
}

/// The extension and suspension requests of a case the caller may see.
pub async fn requests_of(state: &App, actor: &Actor, id: i64) -> Result<Vec<RequestRow>, AppError> {
    crate::case_scope::visible(state, actor, id).await?;
    Ok(case_requests::of_case(&mut state.store().conn().await?, id).await?)
}
