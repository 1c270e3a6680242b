//! 我的待办, the start page of every staff role: what waits on the caller — the cases whose
//! next step is theirs, summonses to report in to, requests to decide, residents due a visit,
//! today's patrols, wishes and service declarations to review — each with a count and the
//! most urgent first. Only what the caller could act on is listed: each case step is decided
//! by the workflow's own rules ([`waiting_on`]).

use crate::patrols::{GridDay, coverage};
use crate::period::Period;
use crate::policy::{Ask, Reach, Resource, Verb};
use crate::registers::sight::Sight;
use crate::{App, AppError, Principal};
use shanzhi_domain::case::{Step, Tier, own_tier, reporting_to, waiting_on};
use shanzhi_domain::participation::{ServiceStage, WishStage};
use shanzhi_domain::patrol::DailyRule;
use shanzhi_store::case_requests::{self, Undecided};
use shanzhi_store::cases::{self, CaseRow, Mine};
use shanzhi_store::summons::{self, Unanswered};

/// Items listed under each heading; the count says how many there are in all.
pub const SHOWN: usize = 10;
/// Cases read to fill the headings (the nearest deadlines).
const READ: u32 = 300;

/// The cases waiting for one step.
#[derive(Debug, Clone)]
pub struct CaseGroup {
    /// The step.
    pub step: Step,
    /// How many cases wait for it.
    pub count: i64,
    /// Of which past their deadline.
    pub overdue: i64,
    /// The nearest deadlines first, at most [`SHOWN`].
    pub items: Vec<CaseRow>,
}

/// What waits on the caller.
#[derive(Debug, Clone, Default)]
pub struct Todo {
    /// Case steps, in loop order; only steps with cases.
    pub cases: Vec<CaseGroup>,
    /// Summonses (吹哨) the caller's department has not reported in to.
    pub summonses: Vec<Unanswered>,
    /// Extension and suspension requests from the level below.
    pub requests: Vec<Undecided>,
    /// Residents due a visit in the caller's area (None: the role does not visit).
    pub visits_due: Option<i64>,
    /// Today's patrols of the caller's grid (None: the role does not patrol).
    pub patrols: Option<GridDay>,
    /// Wishes waiting for review (待审核), for the community desk.
    pub wishes: Option<i64>,
    /// Service declarations waiting to be verified (待核实), for the community desk.
    pub services: Option<i64>,
    /// 12345 and Open311 reports waiting for a place or a category (待定位), for those who
    /// place them (None: the role does not).
    pub unplaced: Option<i64>,
    /// Warnings with households still to call (叫应) in the caller's area: (warning, not yet
    /// accounted for, of which past the deadline).
    pub calls: Vec<(crate::notices::NoticeRow, i64, i64)>,
    /// Notices valid now for the caller's area (read, not worked: not counted).
    pub notices: Vec<crate::notices::NoticeRow>,
}

impl Todo {
    /// How many things wait in all.
    pub fn total(&self) -> i64 {
        let n = |v: Option<i64>| v.unwrap_or(0);
        self.cases.iter().map(|g| g.count).sum::<i64>()
            + self.summonses.len() as i64
            + self.requests.len() as i64
            + n(self.visits_due)
            + n(self.wishes)
            + n(self.services)
            + n(self.unplaced)
            + self.calls.iter().map(|(_, open, _)| open).sum::<i64>()
            + self
                .patrols
                .as_ref()
                .map_or(0, |d| i64::from(d.needed.saturating_sub(d.counted)))
    }
}

/// Whether the caller has a to-do list (every role that works cases or visits households).
pub fn has_list(p: &Principal) -> bool {
    p.can(Resource::Case, Verb::List) && own_tier(&p.actor).is_some()
}

/// What waits on the caller now.
pub async fn mine(state: &App, p: &Principal) -> Result<Todo, AppError> {
    p.may(Resource::Case, Verb::List)?;
    let actor = &p.actor;
    let Some(tier) = own_tier(actor) else {
        return Ok(Todo::default());
    };
    let below = reporting_to(tier);
    let node = actor.scope_root();
    let region_node = node.filter(|_| tier != Tier::Department);
    let mine = Mine {
        held_at: region_node,
        department_id: actor.department_id.filter(|_| tier == Tier::Department),
        below: region_node.map(|n| (n, below.as_slice())),
    };
    let now = state.now_ms();
    let mut conn = state.store().conn().await?;
    let held = |t: Tier| t == tier;
    let mut groups: Vec<CaseGroup> = Vec::new();
    for (stage, t, count, overdue) in cases::waiting_counts(&mut conn, &mine, now).await? {
        let Some(step) = waiting_on(actor.role, stage, t, held(t)) else {
            continue;
        };
        match groups.iter_mut().find(|g| g.step == step) {
            Some(g) => {
                g.count += count;
                g.overdue += overdue;
            }
            None => groups.push(CaseGroup {
                step,
                count,
                overdue,
                items: Vec::new(),
            }),
        }
    }
    groups.sort_by_key(|g| g.step);
    for case in cases::waiting(&mut conn, &mine, READ).await? {
        let step = waiting_on(actor.role, case.stage, case.tier, held(case.tier));
        if let Some(g) = groups.iter_mut().find(|g| Some(g.step) == step)
            && g.items.len() < SHOWN
        {
            g.items.push(case);
        }
    }
    let summonses = match mine.department_id {
        Some(d) => summons::unanswered(&mut conn, d, SHOWN as u32 * 10).await?,
        None => Vec::new(),
    };
    let requests = match region_node {
        Some(n) if p.can(Resource::Case, Verb::Write) => {
            case_requests::undecided_below(&mut conn, n, &below, SHOWN as u32 * 10).await?
        }
        _ => Vec::new(),
    };
    let visits_due = match region_node {
        Some(n) if p.can(Resource::Visit, Verb::List) => {
            let tags = Sight::of(&mut conn, p, Verb::List).await?.shown_codes();
            let today = state.clock().today().to_string();
            Some(shanzhi_store::visits::due_count(&mut conn, n, &today, &tags).await?)
        }
        _ => None,
    };
    let patrols = match region_node {
        Some(grid) if tier == Tier::Grid && p.can(Resource::Patrol, Verb::Write) => {
            let today = state.clock().today();
            let period = Period {
                from: today,
                to: today,
            };
            coverage(&mut conn, grid, period, &DailyRule::default(), today)
                .await?
                .into_iter()
                .next()
        }
        _ => None,
    };
    drop(conn);
    let desk = p
        .may(Resource::Participation, Verb::Write)
        .is_ok_and(|r| r != Reach::Own)
        && tier == Tier::Community;
    let (wishes, services) = match region_node.filter(|_| desk) {
        Some(n) => (
            Some(
                crate::wishes::list(state, p, n, Some(WishStage::Submitted))
                    .await?
                    .len() as i64,
            ),
            Some(
                crate::members::services(state, actor, n, Some(ServiceStage::Declared))
                    .await?
                    .len() as i64,
            ),
        ),
        None => (None, None),
    };
    let unplaced = if p.can(Resource::Hotline, Verb::Write) {
        Some(crate::hotline::pending(state, actor).await?.len() as i64)
    } else {
        None
    };
    let calls = crate::notices::open_calls(state, p).await?;
    let notices = match node {
        Some(n) if p.can(Resource::Notice, Verb::List) => {
            crate::notices::shown_at(state, n).await?
        }
        _ => Vec::new(),
    };
    Ok(Todo {
        calls,
        notices,
        cases: groups,
        summonses,
        requests,
        visits_due,
        patrols,
        wishes,
        services,
        unplaced,
    })
}
