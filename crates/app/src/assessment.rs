//! The monthly assessment (考评): each grid worker's measured figures read from the month's
//! records, the residents', peers' and community's evaluations, the weighted score, the places
//! in their community and street, and the month's 红旗网格员. Computed on request from stored
//! data, so it is the same however often it is asked for.

use crate::patrols;
use crate::period::Period;
use crate::policy::{Ask, Reach, Resource, Verb};
use crate::regions;
use crate::{App, AppError};
use shanzhi_domain::assessment::{Evaluations, Measured, Score, Weights, places, red_flag, score};
use shanzhi_domain::auth::Actor;
use shanzhi_domain::auth::Role;
use shanzhi_domain::case::Day;
use shanzhi_domain::patrol::{DailyRule, expected_in};
use shanzhi_domain::personal::normalize_phone;
use shanzhi_domain::region::Level;
use shanzhi_store::Exec;
use shanzhi_store::assessment as store;
use std::collections::HashMap;

/// One worker's month.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct WorkerScore {
    /// Account.
    pub account_id: i64,
    /// Name.
    pub name: String,
    /// Grid code.
    pub grid: String,
    /// Grid name.
    pub grid_name: String,
    /// What the records say.
    pub measured: Measured,
    /// The evaluations.
    pub evaluations: Evaluations,
    /// The score.
    pub score: Score,
    /// Place among the community's workers.
    pub community_place: usize,
    /// Place among the street's workers.
    pub street_place: usize,
    /// The month's 红旗网格员 of the community.
    pub red_flag: bool,
}

/// A month's assessment under a node.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MonthAssessment {
    /// Node code.
    pub code: String,
    /// Node name.
    pub name: String,
    /// Month, `2026-10`.
    pub month: String,
    /// The weights applied.
    pub weights: Weights,
    /// Workers, best first.
    pub workers: Vec<WorkerScore>,
}

/// The workers under `code` for `month`, scored and ranked.
pub async fn month(
    state: &App,
    actor: &Actor,
    code: &str,
    month: &str,
) -> Result<MonthAssessment, AppError> {
    let reach = actor.may(Resource::Assessment, Verb::Read)?;
    let node = regions::visible(state, actor, code).await?;
    let period = Period::month(month, state.clock().today())?;
    let month = period.from.to_string()[..7].to_owned();
    // Places are within the street, so the whole street is scored (only `code`'s are shown).
    let root: String = node.code.chars().take(9).collect();
    let ms = period.bounds_ms();
    let now = state.now_ms();
    let mut conn = state.store().conn().await?;
    let workers = store::workers(&mut conn, &root).await?;
    let found: HashMap<i64, i64> = store::found(&mut conn, &root, ms)
        .await?
        .into_iter()
        .collect();
    let days = period.day_numbers();
    let cases: HashMap<String, _> =
        shanzhi_store::dashboard::child_tallies(&mut conn, &root, Level::Grid.code_len(), days)
            .await?
            .into_iter()
            .collect();
    let today = Day::of(now).to_string();
    let mut patrol: HashMap<String, (i64, i64)> = HashMap::new();
    for g in patrols::coverage(
        &mut conn,
        &root,
        period,
        &DailyRule::default(),
        state.clock().today(),
    )
    .await?
    {
        if g.day < today {
            let e = patrol.entry(g.grid).or_default();
            e.0 += 1;
            e.1 += i64::from(g.counted >= g.needed);
        }
    }
    let done: HashMap<i64, i64> = shanzhi_store::visits::done_by_visitor(
        &mut conn,
        &root,
        &period.from.to_string(),
        &period.to.to_string(),
    )
    .await?
    .into_iter()
    .collect();
    let days = u32::try_from(period.day_count()).unwrap_or(0);
    let mut due: HashMap<String, i64> = HashMap::new();
    for (grid, every, households) in store::visit_duty(&mut conn, &root).await? {
        let each = i64::from(expected_in(days, u32::try_from(every).unwrap_or(0)));
        *due.entry(grid).or_default() += each * households;
    }
    let mut evaluations: HashMap<i64, Evaluations> = HashMap::new();
    for (account, stars, count) in store::ratings(&mut conn, &root, &month).await? {
        let e = evaluations.entry(account).or_default();
        e.mass_stars = Some(stars);
        e.mass_count = count;
    }
    for (account, kind, value) in store::evaluations(&mut conn, &root, &month).await? {
        let e = evaluations.entry(account).or_default();
        match kind.as_str() {
            "peer" => e.peer = Some(value),
            _ => e.org = Some(value),
        }
    }
    let weights = weights_of(&mut conn, &node.code).await?;
    let mut scored: Vec<WorkerScore> = workers
        .into_iter()
        .map(|w| {
            let c = cases.get(&w.grid).copied().unwrap_or_default();
            let (patrol_days, patrol_days_met) = patrol.get(&w.grid).copied().unwrap_or_default();
            let measured = Measured {
                found: found.get(&w.account_id).copied().unwrap_or(0),
                handled: c.handled,
                handled_on_time: c.handled_on_time,
                patrol_days,
                patrol_days_met,
                visits_done: done.get(&w.account_id).copied().unwrap_or(0),
                visits_due: due.get(&w.grid).copied().unwrap_or(0),
                rated: c.rated,
                satisfied: c.satisfied,
            };
            let evaluations = evaluations.get(&w.account_id).copied().unwrap_or_default();
            WorkerScore {
                score: score(&measured, &evaluations, &weights),
                account_id: w.account_id,
                name: w.name,
                grid: w.grid,
                grid_name: w.grid_name,
                measured,
                evaluations,
                community_place: 0,
                street_place: 0,
                red_flag: false,
            }
        })
        .collect();
    rank(&mut scored);
    scored.retain(|w| w.grid.starts_with(&node.code));
    if reach == Reach::Own {
        // A worker sees their own score and places, not their colleagues'.
        scored.retain(|w| w.account_id == actor.account_id);
    }
    Ok(MonthAssessment {
        code: node.code,
        name: node.name,
        month,
        weights,
        workers: scored,
    })
}

/// Places within each community (first 12 digits) and street (first 9), best first.
fn rank(workers: &mut [WorkerScore]) {
    for len in [12, 9] {
        let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, w) in workers.iter().enumerate() {
            groups
                .entry(w.grid[..len.min(w.grid.len())].to_owned())
                .or_default()
                .push(i);
        }
        for members in groups.values() {
            let totals: Vec<f64> = members.iter().map(|&i| workers[i].score.total).collect();
            for (&i, place) in members.iter().zip(places(&totals)) {
                if len == 12 {
                    workers[i].community_place = place;
                    workers[i].red_flag = red_flag(place, workers[i].score.total);
                } else {
                    workers[i].street_place = place;
                }
            }
        }
    }
    workers.sort_by(|a, b| {
        b.score
            .total
            .total_cmp(&a.score.total)
            .then_with(|| a.grid.cmp(&b.grid))
    });
}

/// The weights of the district `code` lies in: as it entered them, or the domain's defaults.
async fn weights_of(ex: &mut impl Exec, code: &str) -> Result<Weights, AppError> {
    let Some(district) = code.get(..Level::District.code_len()) else {
        return Ok(Weights::default());
    };
    Ok(store::weights(ex, district).await?.unwrap_or_default())
}

/// The weights that score the workers under `code` (in the actor's scope).
/// Whoever reads assessments may read the weights its scores are made with.
pub async fn weights(state: &App, actor: &Actor, code: &str) -> Result<Weights, AppError> {
    if !actor.can(Resource::Setting, Verb::Read) {
        actor.may(Resource::Assessment, Verb::Read)?;
    }
    let node = regions::visible(state, actor, code).await?;
    weights_of(&mut state.store().conn().await?, &node.code).await
}

/// Sets a district's weights: by its command centre (or an administrator).
pub async fn set_weights(
    state: &App,
    actor: &Actor,
    code: &str,
    w: &Weights,
) -> Result<(), AppError> {
    actor.may(Resource::Setting, Verb::Write)?;
    let node = regions::visible(state, actor, code).await?;
    if node.level() != Level::District {
        return Err(AppError::bad(
            "not_a_district",
            format!("{}（{}）不是区县：考评权重按区县设置", node.name, node.code),
        ));
    }
    w.check().map_err(|m| AppError::bad("invalid_weights", m))?;
    let mut conn = state.store().conn().await?;
    store::set_weights(&mut conn, &node.code, w, (actor.account_id, state.now_ms())).await?;
    Ok(())
}

/// A peer or organisation evaluation as entered.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct EvaluationInput {
    /// Month, `2026-10`.
    pub month: String,
    /// `peer` (同事互评) or `org` (组织评价).
    pub kind: String,
    /// 0–100.
    pub score: f64,
    /// Why, optional.
    #[serde(default)]
    pub note: String,
}

/// Enters a peer or organisation evaluation: by the community (or above) over the worker's grid.
pub async fn evaluate(
    state: &App,
    actor: &Actor,
    account_id: i64,
    e: &EvaluationInput,
) -> Result<(), AppError> {
    actor.may(Resource::Assessment, Verb::Write)?;
    let kind = match e.kind.as_str() {
        "peer" | "同事互评" => "peer",
        "org" | "组织评价" => "org",
        other => {
            return Err(AppError::bad(
                "invalid_kind",
                format!("评价类别 {other} 无效：应为 peer（同事互评）或 org（组织评价）"),
            ));
        }
    };
    if !e.score.is_finite() || !(0.0..=100.0).contains(&e.score) {
        return Err(AppError::bad("invalid_score", "评分应在 0 到 100 之间"));
    }
    let period = Period::month(&e.month, state.clock().today())?;
    let month = &period.from.to_string()[..7];
    let mut tx = state.store().begin().await?;
    let worker = shanzhi_store::accounts::by_id(&mut tx, account_id)
        .await?
        .filter(|a| a.role == Role::GridWorker)
        .filter(|a| a.node_code.as_deref().is_some_and(|n| actor.sees(n)))
        .ok_or_else(AppError::not_found)?;
    store::evaluate(
        &mut tx,
        (worker.id, month, kind),
        e.score,
        e.note.trim(),
        (actor.account_id, state.now_ms()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A resident's rating of their grid worker from the grid's public page.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct RatingInput {
    /// The grid worker's account.
    pub worker: i64,
    /// The resident's mobile number (kept only as a blind index: one rating a month).
    pub phone: String,
    /// The one-time code texted to that phone ([`send_rating_code`]): one rating per real
    /// person, not per number typed.
    #[serde(default)]
    pub code: String,
    /// 1–5 stars.
    pub stars: i16,
    /// Optional words.
    #[serde(default)]
    pub comment: String,
}

/// Texts a one-time code to the phone of a resident about to rate a grid's workers, asked
/// from the client at `ip`.
pub async fn send_rating_code(
    state: &App,
    grid: &str,
    phone: &str,
    ip: &str,
) -> Result<(), AppError> {
    if raters_choice(state, grid).await?.is_empty() {
        return Err(AppError::NotFound("该网格没有可以评价的网格员".into()));
    }
    crate::codes::send(
        state,
        ip,
        phone,
        &format!("rating:{grid}"),
        "您正在评价网格员",
    )
    .await
}

/// The grid workers a resident can rate on a grid's public page: (account, name).
pub async fn raters_choice(state: &App, grid: &str) -> Result<Vec<(i64, String)>, AppError> {
    let mut conn = state.store().conn().await?;
    // Workers are bound to grid-level nodes, so the grid's range holds only its own.
    Ok(store::workers(&mut conn, grid)
        .await?
        .into_iter()
        .map(|w| (w.account_id, w.name))
        .collect())
}

/// Records a resident's rating for this month: one per phone per worker.
pub async fn rate(state: &App, grid: &str, r: &RatingInput) -> Result<(), AppError> {
    if !(1..=5).contains(&r.stars) {
        return Err(AppError::bad("invalid_stars", "请选择 1 到 5 颗星"));
    }
    let phone = normalize_phone(&r.phone)
        .map_err(|e| AppError::bad("invalid_phone", format!("手机号码：{e}")))?;
    if r.comment.chars().count() > 500 {
        return Err(AppError::bad("invalid_field", "留言不超过 500 个字"));
    }
    if !raters_choice(state, grid)
        .await?
        .iter()
        .any(|(id, _)| *id == r.worker)
    {
        return Err(AppError::NotFound("该网格没有这位网格员".into()));
    }
    let now = state.now_ms();
    let month = &Day::of(now).to_string()[..7];
    let mut tx = state.store().begin().await?;
    let Some(index) =
        crate::codes::take(&mut tx, state, &phone, &format!("rating:{grid}"), &r.code).await?
    else {
        // The wrong try is counted even though the rating is refused.
        tx.commit().await?;
        return Err(crate::codes::refused());
    };
    if !store::rate(
        &mut tx,
        r.worker,
        month,
        &index,
        r.stars,
        r.comment.trim(),
        now,
    )
    .await?
    {
        return Err(AppError::Conflict(
            "这个手机号本月已经评价过这位网格员，下个月可以再评".into(),
        ));
    }
    tx.commit().await?;
    Ok(())
}

/// A community's quarter.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct UnitScore {
    /// Community code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Mean of its workers' monthly totals over the quarter's months that have ended (while
    /// none has, over its first month so far).
    pub score: Option<f64>,
    /// Worker-months scored.
    pub scored: usize,
    /// Place among the street's communities.
    pub street_place: usize,
    /// The quarter's 红旗单位 of the street.
    pub red_flag: bool,
}

/// The communities under a node for a quarter (`2026-Q3`), ranked within their street; the
/// first of each street at the pass mark or above is its 红旗单位.
pub async fn quarter(
    state: &App,
    actor: &Actor,
    code: &str,
    quarter: &str,
) -> Result<Vec<UnitScore>, AppError> {
    actor.may(Resource::Assessment, Verb::Read)?;
    use shanzhi_domain::assessment::{RED_FLAG_UNIT_MIN, quarter_months, unit_score};
    let months = quarter_months(quarter).ok_or_else(|| {
        AppError::bad(
            "invalid_quarter",
            format!("季度 {quarter} 无效，应写成 2026-Q3"),
        )
    })?;
    // A month under way would count days not yet worked as failures: the quarter is scored on
    // its months that have ended, and only while none has on the first one so far.
    let today = state.clock().today();
    let ended: Vec<&String> = months
        .iter()
        .filter(|m| Period::month(m, today).is_ok_and(|p| p.to < today))
        .collect();
    let counted = if ended.is_empty() {
        vec![&months[0]]
    } else {
        ended
    };
    let mut totals: HashMap<String, Vec<f64>> = HashMap::new();
    for m in counted {
        let scored = month(state, actor, code, m).await?;
        for w in scored.workers {
            totals
                .entry(w.grid.chars().take(12).collect())
                .or_default()
                .push(w.score.total);
        }
    }
    let mut conn = state.store().conn().await?;
    let mut units = Vec::with_capacity(totals.len());
    for (community, list) in totals {
        let name = shanzhi_store::regions::get(&mut conn, &community)
            .await?
            .map(|n| n.name)
            .unwrap_or_default();
        units.push(UnitScore {
            score: unit_score(&list),
            scored: list.len(),
            code: community,
            name,
            street_place: 0,
            red_flag: false,
        });
    }
    let mut streets: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, u) in units.iter().enumerate() {
        streets
            .entry(u.code.chars().take(9).collect())
            .or_default()
            .push(i);
    }
    for members in streets.values() {
        let scores: Vec<f64> = members
            .iter()
            .map(|&i| units[i].score.unwrap_or(0.0))
            .collect();
        for (&i, place) in members.iter().zip(places(&scores)) {
            units[i].street_place = place;
            units[i].red_flag =
                place == 1 && units[i].score.is_some_and(|s| s >= RED_FLAG_UNIT_MIN);
        }
    }
    units.sort_by(|a, b| {
        a.code[..9.min(a.code.len())]
            .cmp(&b.code[..9.min(b.code.len())])
            .then(a.street_place.cmp(&b.street_place))
    });
    Ok(units)
}
