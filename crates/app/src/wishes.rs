//! 微心愿: a resident posts a wish (or a grid worker for them), the community publishes it
//! with a deadline and reward (派单), a confirmed member claims it (接单) and completes it, the
//! resident or a grid worker confirms, and the reward is credited in the same transaction.

use crate::auth::Principal;
use crate::fields::{optional, text};
use crate::ledger::Credit;
use crate::members::{self, anywhere, community_of, sealed_phone};
use crate::policy::{Ask, Reach, Resource, Verb};
use crate::{App, AppError};
use shanzhi_domain::auth::{Actor, Role};
use shanzhi_domain::case::Day;
use shanzhi_domain::participation::wish::{CLAIM_HOURS, check_publication, next};
use shanzhi_domain::participation::{
    PostingKind, ServiceCategory, Standing, WishAction, WishActor, WishError, WishStage,
};
use shanzhi_domain::texts::TextKind;
use shanzhi_store::Exec;
use shanzhi_store::members::{ListingRow, MemberRow};
use shanzhi_store::wishes::{self as store, NewWish, WishChange, WishEventRow, WishRow};

/// A wish to post.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct WishInput {
    /// The grid or community the resident lives in.
    pub node: String,
    /// Category.
    pub category: ServiceCategory,
    /// What is wished for.
    pub title: String,
    /// More words.
    #[serde(default)]
    pub detail: String,
    /// The resident's name (or how to address them: 李阿姨).
    pub name: String,
    /// The resident's mobile (sealed; masked everywhere).
    pub phone: String,
}

/// What the resident gets back.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Posted {
    /// The wish's id.
    pub id: i64,
    /// The code to follow it with.
    pub tracking_code: String,
}

/// A wish with what the reader may see of it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct WishView {
    /// The wish.
    pub wish: WishRow,
    /// Its stage now (a lapsed claim reads as open).
    pub stage: WishStage,
    /// The stage in Chinese.
    pub stage_label: &'static str,
    /// Who claimed it (name only).
    pub claimant: Option<String>,
    /// Its timeline.
    pub events: Vec<WishEventRow>,
    /// Co-building units' resources that match it (same category, same community).
    pub resources: Vec<ListingRow>,
}

fn wish_error(e: WishError) -> AppError {
    match e {
        WishError::NotAllowed(_) => AppError::Forbidden(e.to_string()),
        WishError::InvalidReward => AppError::bad("invalid_points", e.to_string()),
        WishError::PastDeadline => AppError::bad("invalid_deadline", e.to_string()),
        WishError::WrongStage { .. } | WishError::Taken => AppError::Conflict(e.to_string()),
    }
}

/// Posts a wish: from the public page (no staff) or by a grid worker for a resident (代填).
pub async fn post(state: &App, by: Option<&Principal>, w: &WishInput) -> Result<Posted, AppError> {
    // A resident may post in any community; staff for residents of the grids they see.
    let actor = match by {
        Some(p) if p.may(Resource::Participation, Verb::Write)? == Reach::Subtree => {
            p.actor.clone()
        }
        Some(_) => return Err(AppError::Forbidden("您的角色不能代居民提交心愿".into())),
        None => Actor {
            account_id: 0,
            role: Role::Volunteer,
            node: None,
            department_id: None,
        },
    };
    let grid = (w.node.len() >= 15).then(|| w.node[..15].to_owned());
    crate::regions::visible(state, &actor, grid.as_deref().unwrap_or(&w.node)).await?;
    let community = community_of(state, &anywhere(&actor), &w.node).await?;
    let phone = sealed_phone(state, &w.phone)?;
    let title = text(&w.title, "心愿", 60)?;
    let detail = optional(&w.detail, "说明", 500)?;
    let name = text(&w.name, "称呼", 30)?;
    let code = crate::opinions::tracking_code('W');
    let now = state.now_ms();
    let mut tx = state.store().begin().await?;
    let row = store::insert(
        &mut tx,
        &NewWish {
            community: &community.code,
            grid: grid.as_deref(),
            category: w.category,
            title,
            detail,
            requester_name: name,
            phone_sealed: &phone.sealed,
            phone_masked: &phone.masked,
            tracking_code: &code,
            entered_by: by.map(|p| p.account.id),
            at: now,
        },
    )
    .await?;
    let who = match by {
        Some(p) => format!("{}代居民提交", p.label()),
        None => "居民".to_owned(),
    };
    store::log(&mut tx, row.id, "提交心愿", &who, "", now).await?;
    tx.commit().await?;
    Ok(Posted {
        id: row.id,
        tracking_code: code,
    })
}

async fn view(ex: &mut impl Exec, wish: WishRow, now: i64) -> Result<WishView, AppError> {
    let stage = stage_of(&wish, now)?;
    let claimant = match (stage, wish.claimant_id) {
        (WishStage::Claimed | WishStage::Done | WishStage::Confirmed, Some(m)) => {
            shanzhi_store::members::get(ex, m).await?.map(|m| m.name)
        }
        _ => None,
    };
    Ok(WishView {
        events: store::events(ex, wish.id).await?,
        resources: shanzhi_store::members::resources_for(
            ex,
            &wish.community_code,
            wish.category.as_str(),
        )
        .await?,
        stage,
        stage_label: stage.label(),
        claimant,
        wish,
    })
}

fn stage_of(w: &WishRow, now: i64) -> Result<WishStage, AppError> {
    Ok(w.stage.at(w.claim_expires_at, now))
}

/// A wish by its tracking code (the resident's view).
pub async fn tracked(state: &App, code: &str) -> Result<WishView, AppError> {
    let mut conn = state.store().conn().await?;
    let w = store::by_tracking(&mut conn, code.trim())
        .await?
        .ok_or_else(|| AppError::NotFound("没有这个心愿编号，请核对".into()))?;
    view(&mut conn, w, state.now_ms()).await
}

/// A wish staff or members may see: staff within scope; members in the community they
/// registered in.
pub async fn visible(state: &App, p: &Principal, id: i64) -> Result<WishView, AppError> {
    let mut conn = state.store().conn().await?;
    let w = store::get(&mut conn, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let now = state.now_ms();
    if p.may(Resource::Participation, Verb::Read)? == Reach::Own {
        // A member sees the wishes open to claim in their community and those they hold.
        let m = members::me(state, p).await?;
        let open = stage_of(&w, now)? == WishStage::Published;
        if m.community_code != w.community_code || !(open || w.claimant_id == Some(m.id)) {
            return Err(AppError::not_found());
        }
        return Ok(without_phone(view(&mut conn, w, now).await?));
    }
    if !p.actor.sees(&w.community_code) {
        return Err(AppError::not_found());
    }
    view(&mut conn, w, now).await
}

/// A wish as a member sees it: the resident's name, never their phone (the community
/// arranges the contact).
fn without_phone(mut v: WishView) -> WishView {
    v.wish.phone_masked.clear();
    v
}

/// Wishes under a node, newest first, optionally of one stage as it stands now: for staff,
/// those of the area; for a member, those open to them and those they hold.
pub async fn list(
    state: &App,
    p: &Principal,
    node: &str,
    stage: Option<WishStage>,
) -> Result<Vec<WishView>, AppError> {
    if p.may(Resource::Participation, Verb::List)? == Reach::Own {
        let (_, open, mine) = for_member(state, p).await?;
        return Ok(open
            .into_iter()
            .chain(mine)
            .filter(|v| stage.is_none_or(|s| s == v.stage))
            .collect());
    }
    crate::regions::visible(state, &p.actor, node).await?;
    let stored: Vec<&str> = match stage {
        // A lapsed claim is stored as claimed but reads as open.
        Some(WishStage::Published) => vec!["published", "claimed"],
        Some(s) => vec![s.as_str()],
        None => Vec::new(),
    };
    lines(state, node, &stored, stage).await
}

async fn lines(
    state: &App,
    node: &str,
    stored: &[&str],
    stage: Option<WishStage>,
) -> Result<Vec<WishView>, AppError> {
    let now = state.now_ms();
    let mut conn = state.store().conn().await?;
    let mut out = Vec::new();
    for w in store::under(&mut conn, node, stored, 300).await? {
        let s = stage_of(&w, now)?;
        if stage.is_none_or(|want| want == s) {
            out.push(WishView {
                stage: s,
                stage_label: s.label(),
                claimant: None,
                events: Vec::new(),
                resources: Vec::new(),
                wish: w,
            });
        }
    }
    Ok(out)
}

/// The wishes open to a member to claim (their community's), and the ones they hold.
pub async fn for_member(
    state: &App,
    p: &Principal,
) -> Result<(MemberRow, Vec<WishView>, Vec<WishView>), AppError> {
    p.may(Resource::Participation, Verb::Read)?;
    let m = members::me(state, p).await?;
    let open = lines(
        state,
        &m.community_code,
        &["published", "claimed"],
        Some(WishStage::Published),
    )
    .await?;
    let now = state.now_ms();
    let mut conn = state.store().conn().await?;
    let mut mine = Vec::new();
    for w in store::of_member(&mut conn, m.id).await? {
        let s = stage_of(&w, now)?;
        // A lapsed claim is no longer the member's.
        if s != WishStage::Published {
            mine.push(WishView {
                stage: s,
                stage_label: s.label(),
                claimant: Some(m.name.clone()),
                events: Vec::new(),
                resources: Vec::new(),
                wish: w,
            });
        }
    }
    let open = open.into_iter().map(without_phone).collect();
    let mine = mine.into_iter().map(without_phone).collect();
    Ok((m, open, mine))
}

/// An action on a wish, with what it needs.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum WishStep {
    /// 派单 (community).
    Publish {
        /// Reward points.
        points: i64,
        /// Last day to complete, YYYY-MM-DD.
        deadline: String,
    },
    /// 不予采纳 (community), with the reason the resident will read.
    Decline {
        /// Why.
        reason: String,
    },
    /// 接单 (member).
    Claim,
    /// Give the claim back (member).
    Release,
    /// Done (member).
    Complete {
        /// What was done.
        note: String,
    },
    /// Confirm done (resident by code, or staff for them); credits the reward.
    Confirm,
    /// Not done after all: back to the member (resident or staff).
    Reopen {
        /// What is missing.
        reason: String,
    },
}

impl WishStep {
    fn action(&self) -> WishAction {
        match self {
            WishStep::Publish { .. } => WishAction::Publish,
            WishStep::Decline { .. } => WishAction::Decline,
            WishStep::Claim => WishAction::Claim,
            WishStep::Release => WishAction::Release,
            WishStep::Complete { .. } => WishAction::Complete,
            WishStep::Confirm => WishAction::Confirm,
            WishStep::Reopen { .. } => WishAction::Reopen,
        }
    }
}

/// Who acts: staff, a member, or the resident holding the tracking code.
pub enum Acting<'a> {
    /// A logged-in account.
    Account(&'a Principal),
    /// The resident.
    Resident,
}

/// Carries a wish one step; the reward is credited in the same transaction as the
/// confirmation. `photo` is the completion photo (pages only).
pub async fn act(
    state: &App,
    who: Acting<'_>,
    id: i64,
    step: &WishStep,
    photo: Option<Vec<u8>>,
) -> Result<WishView, AppError> {
    let now = state.now_ms();
    let mut tx = state.store().begin().await?;
    let w = store::get(&mut tx, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let stage = stage_of(&w, now)?;
    let (actor, label, member, operator) = match who {
        Acting::Resident => (WishActor::Resident, "居民".to_owned(), None, None),
        Acting::Account(p) if p.may(Resource::Participation, Verb::Write)? == Reach::Own => {
            let m = shanzhi_store::members::of_account(&mut tx, p.account.id)
                .await?
                .filter(|m| m.community_code == w.community_code)
                .ok_or_else(AppError::not_found)?;
            if m.standing != Standing::Confirmed {
                return Err(AppError::Conflict("报到尚未经社区确认，暂不能接单".into()));
            }
            let holds = stage != WishStage::Published && w.claimant_id == Some(m.id);
            let label = format!("{}（{}）", m.name, p.actor.role.label());
            (
                WishActor::Member { holds },
                label,
                Some(m),
                Some(p.account.id),
            )
        }
        Acting::Account(p) => {
            if !p.actor.sees(&w.community_code) {
                return Err(AppError::not_found());
            }
            let may = match step.action() {
                WishAction::Confirm | WishAction::Reopen => {
                    p.can(Resource::Participation, Verb::Write)
                }
                _ => p.can(Resource::ParticipationDesk, Verb::Write),
            };
            if !may {
                return Err(AppError::Forbidden("您的角色不能办理这一步".into()));
            }
            let label = p.label();
            (WishActor::Community, label, None, Some(p.account.id))
        }
    };
    let to = next(stage, step.action(), actor).map_err(wish_error)?;
    let mut change = WishChange::to(to);
    let (action, note) = match step {
        WishStep::Publish { points, deadline } => {
            let day = Day::parse(deadline)
                .ok_or_else(|| AppError::bad("invalid_deadline", "完成期限格式为 2026-10-01"))?;
            let until = day.start_ms() + 86_400_000;
            check_publication(*points, until, now).map_err(wish_error)?;
            change.points = Some(*points);
            change.deadline_at = Some(until);
            ("派单", format!("奖励 {points} 分，{deadline} 前完成"))
        }
        WishStep::Decline { reason } => {
            let reason = text(reason, "原因", 200)?;
            change.decline_reason = Some(reason.to_owned());
            ("不予采纳", reason.to_owned())
        }
        WishStep::Claim => {
            let m = member.as_ref().ok_or_else(AppError::not_found)?;
            change.claimant = Some(Some(m.id));
            change.claim = Some(Some((now, now + CLAIM_HOURS * 3_600_000)));
            (
                "接单",
                format!("须在 {CLAIM_HOURS} 小时内完成，否则心愿重新开放"),
            )
        }
        WishStep::Release => {
            change.claimant = Some(None);
            change.claim = Some(None);
            ("放弃认领", String::new())
        }
        WishStep::Complete { note } => {
            let note = text(note, "完成情况", 500)?;
            change.done = Some((note.to_owned(), now));
            change.photo = photo;
            ("完成", note.to_owned())
        }
        WishStep::Reopen { reason } => {
            let reason = text(reason, "原因", 200)?;
            // The member gets a fresh claim period to finish.
            change.claim = Some(Some((now, now + CLAIM_HOURS * 3_600_000)));
            ("退回", reason.to_owned())
        }
        WishStep::Confirm => {
            let (member, points) = w
                .claimant_id
                .zip(w.points)
                .ok_or_else(|| AppError::Internal(format!("wish {id} done without claimant")))?;
            let posting = crate::ledger::credit(
                &mut tx,
                &Credit {
                    community: &w.community_code,
                    member,
                    points,
                    kind: PostingKind::Wish,
                    key: &format!("wish:{id}"),
                    source: &format!("wish:{id}"),
                    operator: (operator, &label),
                    note: &w.title,
                    at: now,
                },
            )
            .await?;
            change.confirmed = Some((now, posting));
            ("确认圆梦", format!("奖励 {points} 分已计入"))
        }
    };
    if !store::change(&mut tx, id, w.version, &change).await? {
        return Err(AppError::Conflict("心愿刚被他人更新，请刷新后重试".into()));
    }
    store::log(&mut tx, id, action, &label, &note, now).await?;
    if let Some(kind) = TextKind::after_wish(stage, to) {
        let subject = shanzhi_store::sms::Subject::Wish(id);
        let reason = change.decline_reason.as_deref().unwrap_or("");
        shanzhi_store::sms::queue_about(&mut tx, subject, kind, reason, now).await?;
    }
    tx.commit().await?;
    let mut conn = state.store().conn().await?;
    let w = store::get(&mut conn, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    view(&mut conn, w, now).await
}

/// The completion photo of a wish the reader may see.
pub async fn photo(state: &App, p: &Principal, id: i64) -> Result<Option<Vec<u8>>, AppError> {
    visible(state, p, id).await?;
    Ok(store::photo(&mut state.store().conn().await?, id).await?)
}
