//! Visits (走访) to households and places: purpose, notes, findings; a household visit moves
//! every tagged member's next due day by their tag's frequency; register changes made during a
//! visit are recorded with it; the residents due a visit are listed per grid and carer.

use crate::audit;
use crate::policy::{Ask, Resource, Verb};
use crate::registers::sight::Sight;
use crate::registers::{places, residents};
use crate::{App, AppError, Principal};
use shanzhi_domain::case::Day;
use shanzhi_domain::patrol::{VISIT_BACKDATE_DAYS, next_due};
use shanzhi_domain::register::vocab::VisitPurpose;
use shanzhi_store::Tx;
use shanzhi_store::visits::{self as store, NewVisit};
pub use shanzhi_store::visits::{ChangeRow, DueRow, VisitRow, Visited};

/// A visit as entered.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct VisitInput {
    /// The household visited (or `place_id`).
    pub household_id: Option<i64>,
    /// The place visited (or `household_id`).
    pub place_id: Option<i64>,
    /// 走访事由: 关爱走访, 信息核实, 矛盾排查, 安全检查, 政策宣传, 帮扶服务 (or their codes).
    pub purpose: String,
    /// What was said and seen, up to 2,000 characters.
    #[serde(default)]
    pub notes: String,
    /// Problems found, up to 1,000 characters.
    #[serde(default)]
    pub findings: String,
    /// The day (ISO); today when omitted. At most 30 days back, never ahead.
    pub day: Option<String>,
}

fn visit_day(day: Option<&str>, today: Day) -> Result<Day, AppError> {
    let Some(text) = day.filter(|d| !d.trim().is_empty()) else {
        return Ok(today);
    };
    let d = Day::parse(text.trim()).ok_or_else(|| {
        AppError::bad(
            "invalid_day",
            format!("走访日期 {text} 无效，应写成 2026-10-01"),
        )
    })?;
    if d > today {
        return Err(AppError::bad("future_day", "走访日期不能晚于今天"));
    }
    if today.since(d) > VISIT_BACKDATE_DAYS {
        return Err(AppError::bad(
            "too_old",
            format!("只能补录 {VISIT_BACKDATE_DAYS} 天内的走访"),
        ));
    }
    Ok(d)
}

fn limited<'a>(text: &'a str, what: &str, max: usize) -> Result<&'a str, AppError> {
    let t = text.trim();
    if t.chars().count() > max {
        return Err(AppError::bad(
            "invalid_field",
            format!("{what}不超过 {max} 个字"),
        ));
    }
    Ok(t)
}

/// Records a visit; a household visit resets its tagged members' next due days.
pub async fn record(state: &App, k: &Principal, v: &VisitInput) -> Result<VisitRow, AppError> {
    record_made(state, k, v, None).await
}

/// [`record`], of a visit made without a signal when `field` holds its receipt: the visit's
/// day is the day of its counted time, and the receipt is kept in the same transaction.
pub(crate) async fn record_made(
    state: &App,
    k: &Principal,
    v: &VisitInput,
    field: Option<shanzhi_store::offline::Receipt>,
) -> Result<VisitRow, AppError> {
    k.may(Resource::Visit, Verb::Write)?;
    let purpose = VisitPurpose::from_typed(v.purpose.trim()).ok_or_else(|| {
        AppError::bad(
            "invalid_purpose",
            format!("请选择走访事由：{}", VisitPurpose::choices()),
        )
    })?;
    let notes = limited(&v.notes, "走访情况", 2_000)?;
    let findings = limited(&v.findings, "发现的问题", 1_000)?;
    if notes.is_empty() && findings.is_empty() {
        return Err(AppError::bad(
            "notes_required",
            "请填写走访情况或发现的问题",
        ));
    }
    let day = match &field {
        Some(r) => Day::of(r.counted_at),
        None => visit_day(v.day.as_deref(), state.clock().today())?,
    };
    let (node, target) = match (v.household_id, v.place_id) {
        (Some(h), None) => (
            residents::visible_household(state, k, h).await?.node_code,
            format!("household:{h}"),
        ),
        (None, Some(p)) => (
            places::visible(state, k, p).await?.node_code,
            format!("place:{p}"),
        ),
        _ => {
            return Err(AppError::bad(
                "target_required",
                "请指明走访的住户（household_id）或场所（place_id），二者选一",
            ));
        }
    };
    let label = crate::audit::Actor::of(k).label;
    let day_text = day.to_string();
    let mut tx = state.store().begin().await?;
    let id = store::insert(
        &mut tx,
        &NewVisit {
            node_code: &node,
            household_id: v.household_id,
            place_id: v.place_id,
            visitor: (k.account.id, &label),
            day: &day_text,
            at: state.now_ms(),
            purpose: purpose.as_str(),
            notes,
            findings,
        },
    )
    .await?;
    if let Some(h) = v.household_id {
        reset_due(&mut tx, h, day).await?;
    }
    if let Some(r) = field {
        let receipt = shanzhi_store::offline::Receipt { target_id: id, ..r };
        shanzhi_store::offline::insert(&mut tx, &receipt).await?;
    }
    let record = audit::entry(
        state.now_ms(),
        &crate::audit::Actor::of(k),
        "register.visit",
        target,
        Some(&node),
        serde_json::json!({"visit": id, "day": day_text, "purpose": purpose.as_str()}),
    );
    audit::record(&mut tx, [record]);
    let row = store::get(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::Internal("visit not written".into()))?;
    tx.commit().await?;
    Ok(row)
}

/// Moves each tagged member's next due day to a frequency after `day`, unless a later visit
/// already set it further (a back-dated entry never pulls a due day earlier).
async fn reset_due(tx: &mut Tx, household_id: i64, day: Day) -> Result<(), AppError> {
    let tags = store::household_tags(tx, household_id).await?;
    for (person, tag, every, current) in tags {
        let due = next_due(Some(day), day, u32::try_from(every).unwrap_or(0));
        let keeps_later = current
            .as_deref()
            .and_then(Day::parse)
            .is_some_and(|c| c > due);
        if !keeps_later {
            store::set_next_visit(tx, person, &tag, &due.to_string()).await?;
        }
    }
    Ok(())
}

/// A visit the keeper may see.
pub async fn visible(state: &App, k: &Principal, id: i64) -> Result<VisitRow, AppError> {
    k.may(Resource::Visit, Verb::Read)?;
    let v = store::get(&mut state.store().conn().await?, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    k.must_see(&v.node_code)?;
    Ok(v)
}

/// Visits to a household or a place the keeper may see, newest first.
pub async fn of(state: &App, k: &Principal, what: Visited) -> Result<Vec<VisitRow>, AppError> {
    k.may(Resource::Visit, Verb::List)?;
    match what {
        Visited::Household(h) => {
            residents::visible_household(state, k, h).await?;
        }
        Visited::Place(p) => {
            places::visible(state, k, p).await?;
        }
    }
    Ok(store::of(&mut state.store().conn().await?, what).await?)
}

/// Visits that carry their register changes in a history: the newest ten (older ones rarely
/// matter, and each costs a read).
const HISTORY_WITH_CHANGES: usize = 10;

/// Visits to a household or a place the keeper may see, newest first, the newest with the
/// register changes made during them (信息核实).
pub async fn history(
    state: &App,
    k: &Principal,
    what: Visited,
) -> Result<Vec<(VisitRow, Vec<ChangeRow>)>, AppError> {
    let visits = of(state, k, what).await?;
    let mut conn = state.store().conn().await?;
    let mut out = Vec::with_capacity(visits.len());
    for (i, v) in visits.into_iter().enumerate() {
        let changes = if i < HISTORY_WITH_CHANGES {
            store::changes(&mut conn, v.id).await?
        } else {
            Vec::new()
        };
        out.push((v, changes));
    }
    Ok(out)
}

/// A visit the keeper may see, with the register changes made during it.
pub async fn with_changes(
    state: &App,
    k: &Principal,
    id: i64,
) -> Result<(VisitRow, Vec<ChangeRow>), AppError> {
    let visit = visible(state, k, id).await?;
    let changes = store::changes(&mut state.store().conn().await?, id).await?;
    Ok((visit, changes))
}

/// Tagged residents in scope due a visit by today: never visited first, then the longest overdue.
pub async fn due(
    state: &App,
    k: &Principal,
    node: &str,
    limit: u32,
) -> Result<Vec<DueRow>, AppError> {
    k.may(Resource::Visit, Verb::List)?;
    k.must_see(node)?;
    let today = Day::of(state.now_ms()).to_string();
    let mut conn = state.store().conn().await?;
    // Who is due is a list of tagged people: only the tags the caller sees by person.
    let tags = Sight::of(&mut conn, k, Verb::List).await?.shown_codes();
    let due = store::due(&mut conn, node, &today, &tags, limit).await?;
    drop(conn);
    audit::record_alone(
        state,
        k,
        "visit.due_list",
        format!("node:{node}"),
        Some(node),
        serde_json::json!({"persons": due.iter().map(|d| d.person_id).collect::<Vec<_>>()}),
    )
    .await?;
    Ok(due)
}
