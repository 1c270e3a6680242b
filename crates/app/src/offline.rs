//! The grid worker's field app (外勤), made to work without a signal: what the phone keeps to read
//! offline ([`pack`]), and the work it queued, sent when the signal returns ([`apply`]). Each
//! item carries a key made on the phone: its receipt is written in the same transaction as
//! what it did, so an item sent twice is applied once. A case step whose case moved on while
//! the worker was offline is refused with the case as it now stands, never applied on top.

use crate::cases::{self as case_svc, FieldStep, Move, ReportInput, Who};
use crate::patrols::{self, FixInput, Found};
use crate::policy::{Ask, Resource, Verb};
use crate::visits::{self, VisitInput};
use crate::{App, AppError, Principal};
use shanzhi_domain::case::photo::Prepared;
use shanzhi_domain::case::{Action, Stage};
use shanzhi_domain::offline::{Counted, FieldKind, Implausible, Window, valid_key};
use shanzhi_domain::personal::mask_name;
use shanzhi_domain::register::vocab::VisitPurpose;
use shanzhi_store::offline::{self as store, Receipt};

/// Most open cases the phone keeps.
pub const CASES_KEPT: usize = 100;
/// Most residents due a visit the phone keeps.
pub const VISITS_KEPT: u32 = 100;

/// How a queued item came: its key, when the phone made it (the phone's clock, corrected by
/// the offset the app saw at its last sync) and where it was.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct Sent {
    /// The key the phone made (16–64 letters, digits, `-`, `_`); the same on every retry.
    pub key: String,
    /// When it was made (ms since the epoch).
    pub made_at: i64,
    /// Where (WGS-84), if the phone knew.
    pub lon: Option<f64>,
    /// Latitude.
    pub lat: Option<f64>,
}

/// What a queued item does.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    /// A new report; placed by the position sent, else by `node_code` or the address.
    Report(ReportInput),
    /// A problem found on a patrol, filed as a case in one step.
    Finding {
        /// The patrol.
        patrol_id: i64,
        /// What was seen.
        text: String,
        /// Category code.
        category: String,
    },
    /// A batch of the patrol's GPS fixes (each keeps its own time).
    Fixes {
        /// The patrol.
        patrol_id: i64,
        /// The fixes.
        fixes: Vec<FixInput>,
    },
    /// A visit; its day is the day it was made.
    Visit(VisitInput),
    /// A step on a case: `start`, `handle` or `resolve`, on the version the phone saw.
    Step {
        /// The case.
        case_id: i64,
        /// The version the phone had.
        version: i64,
        /// start, handle or resolve.
        action: String,
        /// What was done (handle, resolve).
        #[serde(default)]
        result: String,
    },
}

impl Item {
    fn kind(&self) -> FieldKind {
        match self {
            Item::Report(_) => FieldKind::Report,
            Item::Finding { .. } => FieldKind::Finding,
            Item::Fixes { .. } => FieldKind::Fixes,
            Item::Visit(_) => FieldKind::Visit,
            Item::Step { .. } => FieldKind::Step,
        }
    }
}

/// What an item did, as the phone shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Applied {
    /// The receipt.
    pub receipt: Receipt,
    /// It had been applied before (a retry): nothing was done again.
    pub replayed: bool,
    /// In words.
    pub said: String,
}

/// Steps the field app can take on a case without a signal.
const FIELD_STEPS: [&str; 3] = ["start", "handle", "resolve"];

/// Applies one item sent from the field, once per key.
pub async fn apply(
    state: &App,
    p: &Principal,
    sent: Sent,
    item: Item,
    photos: Vec<Prepared>,
) -> Result<Applied, AppError> {
    if !valid_key(&sent.key) {
        return Err(AppError::bad(
            "invalid_key",
            "离线记录的编号无效（应为 16 到 64 个字母、数字、- 或 _）",
        ));
    }
    if let Some(done) = receipt(state, p, &sent.key).await? {
        return Ok(replayed(done));
    }
    let kind = item.kind();
    let made = Made {
        state,
        p,
        sent: &sent,
        kind,
    };
    let result = match item {
        Item::Report(input) => report(&made, input, photos).await,
        Item::Finding {
            patrol_id,
            text,
            category,
        } => finding(&made, patrol_id, &text, &category, photos).await,
        Item::Fixes { patrol_id, fixes } => fixes_of(&made, patrol_id, &fixes).await,
        Item::Visit(v) => visit(&made, &v).await,
        Item::Step {
            case_id,
            version,
            action,
            result,
        } => step(&made, case_id, version, &action, result, photos).await,
    };
    match result {
        // The same key, sent again while the first was being written: the first's receipt.
        Err(AppError::Conflict(why)) => match receipt(state, p, &sent.key).await? {
            Some(done) => Ok(replayed(done)),
            None => Err(AppError::Conflict(why)),
        },
        other => other,
    }
}

async fn receipt(state: &App, p: &Principal, key: &str) -> Result<Option<Receipt>, AppError> {
    Ok(store::get(&mut state.store().conn().await?, p.account.id, key).await?)
}

fn replayed(receipt: Receipt) -> Applied {
    Applied {
        said: format!("{}此前已提交，未重复记录", label(receipt.kind)),
        receipt,
        replayed: true,
    }
}

/// What a kind of item is called on the phone.
pub fn label(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Report => "上报的事件",
        FieldKind::Finding => "巡查发现",
        FieldKind::Fixes => "巡查轨迹",
        FieldKind::Visit => "走访记录",
        FieldKind::Step => "事件处置",
    }
}

/// One item being applied: who sent it, and how.
struct Made<'a> {
    state: &'a App,
    p: &'a Principal,
    sent: &'a Sent,
    kind: FieldKind,
}

impl Made<'_> {
    /// The receipt to write, the time counted from `after` (what it cannot precede).
    fn receipt(&self, after: Option<i64>) -> Receipt {
        let now = self.state.now_ms();
        let window = Window::hours(self.state.config().field_hours);
        let Counted { at, set_aside } = window.count(self.sent.made_at, now, after);
        let finite = |v: Option<f64>| v.filter(|v| v.is_finite());
        Receipt {
            account_id: self.p.account.id,
            idem_key: self.sent.key.clone(),
            kind: self.kind,
            made_at: self.sent.made_at,
            arrived_at: now,
            counted_at: at,
            set_aside,
            lon: finite(self.sent.lon),
            lat: finite(self.sent.lat),
            target_id: 0,
        }
    }

    fn applied(&self, receipt: Receipt, target_id: i64, said: String) -> Applied {
        let said = match receipt.set_aside {
            Some(why) => format!("{said}（{}，按送达时间记）", Implausible::says(why)),
            None => said,
        };
        Applied {
            receipt: Receipt {
                target_id,
                ..receipt
            },
            replayed: false,
            said,
        }
    }
}

async fn report(
    m: &Made<'_>,
    input: ReportInput,
    photos: Vec<Prepared>,
) -> Result<Applied, AppError> {
    let r = m.receipt(None);
    let (actor, account) = (&m.p.actor, &m.p.account);
    let case =
        case_svc::report_made(m.state, actor, account, input, photos, Some(r.clone())).await?;
    let said = format!("事件已上报，查询码 {}", case.tracking_code);
    Ok(m.applied(r, case.id, said))
}

async fn finding(
    m: &Made<'_>,
    patrol_id: i64,
    text: &str,
    category: &str,
    photos: Vec<Prepared>,
) -> Result<Applied, AppError> {
    let (actor, account) = (&m.p.actor, &m.p.account);
    let patrol = patrols::own(m.state, actor, patrol_id).await?;
    let r = m.receipt(Some(patrol.started_at));
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 1_000 {
        return Err(AppError::bad(
            "invalid_field",
            "发现的问题不能为空，且不超过 1000 个字",
        ));
    }
    let found = Found {
        text,
        lon_lat: r.lon.zip(r.lat),
        category,
    };
    let case = patrols::file_finding(
        m.state,
        (actor, account),
        &patrol,
        found,
        photos,
        Some(r.clone()),
    )
    .await?;
    patrols::note_filed(m.state, patrol_id, r.counted_at, found, case.id).await?;
    let said = format!("巡查发现已上报为事件，查询码 {}", case.tracking_code);
    Ok(m.applied(r, case.id, said))
}

async fn fixes_of(m: &Made<'_>, patrol_id: i64, fixes: &[FixInput]) -> Result<Applied, AppError> {
    // Fixes keep their own times (the track's rules drop those outside the patrol) and a
    // repeated fix is ignored, so a batch needs no transaction of its own with its receipt.
    let summary = patrols::add_fixes(m.state, &m.p.actor, patrol_id, fixes).await?;
    let r = Receipt {
        target_id: patrol_id,
        ..m.receipt(None)
    };
    store::insert(&mut m.state.store().conn().await?, &r).await?;
    let said = format!("巡查轨迹已上传 {} 个定位点", summary.received);
    Ok(m.applied(r, patrol_id, said))
}

async fn visit(m: &Made<'_>, v: &VisitInput) -> Result<Applied, AppError> {
    let r = m.receipt(None);
    let row = visits::record_made(m.state, m.p, v, Some(r.clone())).await?;
    Ok(m.applied(r, row.id, format!("走访已记录（{}）", row.day)))
}

async fn step(
    m: &Made<'_>,
    case_id: i64,
    version: i64,
    action: &str,
    result: String,
    photos: Vec<Prepared>,
) -> Result<Applied, AppError> {
    let (actor, account) = (&m.p.actor, &m.p.account);
    if !FIELD_STEPS.contains(&action) {
        return Err(AppError::bad(
            "unknown_action",
            "离线只能开始处置、办结或就地处置",
        ));
    }
    let case = match case_svc::visible(m.state, actor, case_id).await {
        Ok(c) => c,
        Err(AppError::NotFound(_)) => {
            return Err(AppError::Conflict(
                "这件事件已转到别处办理，不再由您处理；您离线时的操作未提交".into(),
            ));
        }
        Err(e) => return Err(e),
    };
    if case.version != version {
        return Err(AppError::Conflict(moved_on(m.state, actor, &case).await?));
    }
    let action = case_svc::parse_action(action, result, None, None, None)?;
    let name = action.name();
    let r = m.receipt(Some(case.updated_at));
    let who = Who::Staff { actor, account };
    let field = FieldStep {
        receipt: r.clone(),
        photos,
    };
    let step = Move {
        action,
        version,
        department_id: None,
    };
    let row = case_svc::transition_made(m.state, who, case, step, Some(field)).await?;
    let said = format!(
        "「{}」已{}，现为{}",
        row.title,
        step_label(name),
        row.stage.label()
    );
    Ok(m.applied(r, row.id, said))
}

fn step_label(name: &str) -> &'static str {
    match name {
        "start" => "开始处置",
        "handle" => "办结",
        _ => "就地处置",
    }
}

/// What a worker is told when a step made offline finds its case moved on: how it stands now,
/// who moved it last and when, and what to do.
async fn moved_on(
    state: &App,
    actor: &shanzhi_domain::auth::Actor,
    case: &case_svc::CaseRow,
) -> Result<String, AppError> {
    let (_, timeline) = case_svc::with_timeline(state, actor, case.id).await?;
    let last = timeline
        .last()
        .map(|e| {
            format!(
                "（{} 由{}操作）",
                shanzhi_domain::case::beijing_minutes(e.at),
                e.actor_label
            )
        })
        .unwrap_or_default();
    let now = match case.stage {
        Stage::Handled | Stage::Verified | Stage::Closed | Stage::Rated | Stage::FollowedUp => {
            "已经办结，无需再处理"
        }
        _ => "请打开事件，按现在的状态重新处理",
    };
    Ok(format!(
        "「{}」在您离线期间已变为「{}」{last}；您离线时的操作未提交，{now}",
        case.title,
        case.stage.label()
    ))
}

/// What the field app keeps to read offline.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Pack {
    /// Now, by the server (the phone corrects its clock by it).
    pub now: i64,
    /// The worker.
    pub name: String,
    /// The worker's account (the phone keeps one account's work).
    pub account_id: i64,
    /// The grid and its outline, rings of [lon, lat].
    pub grid: Option<GridOutline>,
    /// Open cases whose next step is the worker's, the nearest deadline first.
    pub cases: Vec<OpenCase>,
    /// Residents due a visit, names masked.
    pub visits: Vec<VisitDue>,
    /// The patrol under way, if any.
    pub patrol: Option<Patrol>,
    /// Patrols today that count, of those the daily rule asks (一日双巡).
    pub patrols_today: Option<(u32, u32)>,
    /// Categories to report under: (code, name).
    pub categories: Vec<(String, String)>,
    /// Visit purposes: (code, name).
    pub purposes: Vec<(String, String)>,
}

/// A grid's outline.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GridOutline {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Rings of [lon, lat] (outer rings of each part).
    pub rings: Vec<Vec<[f64; 2]>>,
}

/// An open case as the phone keeps it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OpenCase {
    /// Id.
    pub id: i64,
    /// Version (a step sent later names it).
    pub version: i64,
    /// Tracking code.
    pub tracking: String,
    /// Title.
    pub title: String,
    /// Description, its first 300 characters.
    pub description: String,
    /// Stage, in words.
    pub stage: String,
    /// Address, if given.
    pub address: Option<String>,
    /// Position, if known.
    pub lon_lat: Option<[f64; 2]>,
    /// The deadline of its next step (ms).
    pub due: i64,
    /// Steps the phone may take: start, handle, resolve.
    pub actions: Vec<String>,
}

/// A resident due a visit, as the phone keeps them (the register's card, masked).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct VisitDue {
    /// Household.
    pub household_id: i64,
    /// Name, masked (覃*琳).
    pub name: String,
    /// Why they are visited (the tag's name).
    pub tag: String,
    /// Every how many days.
    pub every_days: i32,
    /// Due since (none: never visited).
    pub due: Option<String>,
}

/// The patrol under way.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Patrol {
    /// Id.
    pub id: i64,
    /// Started (ms).
    pub started_at: i64,
}

/// What the worker's phone keeps to read offline: their grid, their open cases, the residents
/// due a visit (masked), today's patrol and the lists the forms need.
pub async fn pack(state: &App, p: &Principal) -> Result<Pack, AppError> {
    p.may(Resource::Patrol, Verb::Write)?;
    let actor = &p.actor;
    let grid = match p.account.node_code.as_deref() {
        Some(code) => {
            let row = crate::regions::visible(state, actor, code).await?;
            let rings = crate::regions::outline(&row)?
                .map(|shape| {
                    shape
                        .0
                        .iter()
                        .map(|poly| poly.exterior().coords().map(|c| [c.x, c.y]).collect())
                        .collect()
                })
                .unwrap_or_default();
            Some(GridOutline {
                code: row.code,
                name: row.name,
                rings,
            })
        }
        None => None,
    };
    let todo = crate::todo::mine(state, p).await?;
    let categories = state.categories().await?;
    let mut cases: Vec<OpenCase> = Vec::new();
    for group in &todo.cases {
        for c in &group.items {
            let category = categories.iter().find(|k| k.code == c.category_code);
            let (actions, _) = case_svc::available_actions(actor, c, category);
            let actions: Vec<String> = actions
                .iter()
                .map(Action::name)
                .filter(|a| FIELD_STEPS.contains(a))
                .map(str::to_owned)
                .collect();
            cases.push(OpenCase {
                id: c.id,
                version: c.version,
                tracking: c.tracking_code.clone(),
                title: c.title.clone(),
                description: c.description.chars().take(300).collect(),
                stage: c.stage.label().to_owned(),
                address: c.address.clone(),
                lon_lat: c.lon.zip(c.lat).map(|(x, y)| [x, y]),
                due: if c.stage == Stage::Reported {
                    c.accept_due
                } else {
                    c.handle_due
                },
                actions,
            });
        }
    }
    cases.sort_by_key(|c| c.due);
    cases.truncate(CASES_KEPT);
    let visits = match &grid {
        Some(g) if p.can(Resource::Visit, Verb::List) => {
            visits::due(state, p, &g.code, VISITS_KEPT)
                .await?
                .into_iter()
                .map(|d| VisitDue {
                    household_id: d.household_id,
                    name: mask_name(&d.name),
                    tag: d.tag_name,
                    every_days: d.visit_days,
                    due: d.next_visit,
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let patrol = patrols::current(state, &p.account).await?.map(|r| Patrol {
        id: r.id,
        started_at: r.started_at,
    });
    Ok(Pack {
        now: state.now_ms(),
        name: p.account.display_name.clone(),
        account_id: p.account.id,
        grid,
        cases,
        visits,
        patrol,
        patrols_today: todo.patrols.map(|d| (d.counted, d.needed)),
        categories: case_svc::choosable(&categories),
        purposes: VisitPurpose::ALL
            .iter()
            .map(|v| (v.as_str().to_owned(), v.label().to_owned()))
            .collect(),
    })
}
