//! 双报到: members register in their residential community (a volunteer login registers
//! itself; staff register others), the community confirms them; co-building units and their
//! 三张清单; service members declare and the community verifies (申报 → 汇总 → 核实), which
//! credits points; and each year's record for the employer (双报告).

use crate::auth::Principal;
use crate::fields::{optional, text};
use crate::ledger::{self, Credit};
use crate::policy::{Ask, Reach, Resource, Verb};
use crate::regions;
use crate::{App, AppError};
use shanzhi_domain::auth::Actor;
use shanzhi_domain::case::Day;
use shanzhi_domain::participation::points::service_points;
use shanzhi_domain::participation::{
    MemberKind, PostingKind, ServiceCategory, ServiceStage, Standing, YearRecord,
};
use shanzhi_domain::personal::{mask_phone, normalize_phone};
use shanzhi_domain::region::Level;
use shanzhi_store::StoreError;
use shanzhi_store::members::{self as store, NewMember};
pub use shanzhi_store::members::{ListingRow, MemberRow, ServiceRow, UnitRow};
use shanzhi_store::regions::NodeRow;
use shanzhi_store::vault::{Field, SealedValue};

/// The community a code names (a grid or micro-grid names its community), if the actor sees
/// it; 404 otherwise.
pub async fn community_of(state: &App, actor: &Actor, code: &str) -> Result<NodeRow, AppError> {
    let community = code.get(..12).unwrap_or(code);
    let row = regions::visible(state, actor, community).await?;
    if row.level() != Level::Community || row.retired_at.is_some() {
        return Err(AppError::bad(
            "not_a_community",
            "请选择一个村（社区）或其下的网格",
        ));
    }
    Ok(row)
}

/// The actor as a resident or member: every community is open to them (a volunteer login's
/// node says where they serve, not where they live or shop).
pub fn anywhere(actor: &Actor) -> Actor {
    Actor {
        node: None,
        ..actor.clone()
    }
}

/// A phone number checked, sealed, indexed and masked.
pub(crate) fn sealed_phone(state: &App, phone: &str) -> Result<SealedValue, AppError> {
    let phone = normalize_phone(phone)
        .map_err(|e| AppError::bad("invalid_phone", format!("手机号码：{e}")))?;
    Ok(state
        .vault()
        .protect(Field::Phone, &phone, mask_phone(&phone)))
}

/// Refuses everyone but the community's participation desk.
fn runs(actor: &Actor) -> Result<(), AppError> {
    actor
        .may(Resource::ParticipationDesk, Verb::Write)
        .map(drop)
}

fn conflict(e: StoreError, message: &str) -> AppError {
    match e {
        StoreError::Conflict(_) => AppError::Conflict(message.into()),
        e => e.into(),
    }
}

/// A 双报到 registration.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct Registration {
    /// The residential community (or a grid in it).
    pub community: String,
    /// 在职党员 or 志愿者.
    pub kind: MemberKind,
    /// Name.
    pub name: String,
    /// Mobile number.
    pub phone: String,
    /// 工作单位 (required for 在职党员).
    #[serde(default)]
    pub employer: String,
    /// Categories of service offered.
    #[serde(default)]
    pub skills: Vec<ServiceCategory>,
    /// 亮承诺: what they commit to.
    pub commitment: String,
}

/// Registers a member. A volunteer login registers itself (pending until the community
/// confirms); community staff register someone in person (confirmed at once).
pub async fn register(state: &App, p: &Principal, r: &Registration) -> Result<MemberRow, AppError> {
    let self_service = p.may(Resource::Participation, Verb::Write)? == Reach::Own;
    if !self_service {
        runs(&p.actor)?;
    }
    // Staff register only in their own scope.
    let community = if self_service {
        community_of(state, &anywhere(&p.actor), &r.community).await?
    } else {
        community_of(state, &p.actor, &r.community).await?
    };
    let name = text(&r.name, "姓名", 30)?;
    let employer = optional(&r.employer, "工作单位", 60)?;
    if r.kind == MemberKind::PartyMember && employer.is_empty() {
        return Err(AppError::bad(
            "invalid_field",
            "在职党员请填写工作单位，年度报告将反馈给单位",
        ));
    }
    let commitment = text(&r.commitment, "承诺", 200)?;
    let phone = sealed_phone(state, &r.phone)?;
    let skills: Vec<&str> = r.skills.iter().map(|s| s.as_str()).collect();
    let now = state.now_ms();
    let mut tx = state.store().begin().await?;
    if self_service && store::of_account(&mut tx, p.account.id).await?.is_some() {
        return Err(AppError::Conflict("您已经报到过了".into()));
    }
    let standing = if self_service {
        Standing::Pending
    } else {
        Standing::Confirmed
    };
    let member = store::insert(
        &mut tx,
        &NewMember {
            community: &community.code,
            kind: r.kind,
            name,
            phone: &phone,
            employer,
            skills: &skills.join(","),
            commitment,
            account_id: self_service.then_some(p.account.id),
            standing,
            at: now,
        },
    )
    .await
    .map_err(|e| conflict(e, "这个手机号已在该社区报到"))?;
    if standing == Standing::Confirmed {
        shanzhi_store::points::member_account(&mut tx, &community.code, member.id).await?;
    }
    tx.commit().await?;
    Ok(member)
}

/// A member the actor may see; 404 otherwise.
pub async fn visible(state: &App, actor: &Actor, id: i64) -> Result<MemberRow, AppError> {
    let m = store::get(&mut state.store().conn().await?, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !actor.sees(&m.community_code) {
        return Err(AppError::not_found());
    }
    Ok(m)
}

/// The member behind a volunteer login (403 when the login has not registered).
pub async fn me(state: &App, p: &Principal) -> Result<MemberRow, AppError> {
    store::of_account(&mut state.store().conn().await?, p.account.id)
        .await?
        .ok_or_else(|| AppError::Forbidden("请先到居住地社区报到（双报到）".into()))
}

/// Confirms or declines a pending registration; a confirmed member gets a points account.
pub async fn decide(
    state: &App,
    actor: &Actor,
    id: i64,
    confirm: bool,
) -> Result<MemberRow, AppError> {
    runs(actor)?;
    let m = visible(state, actor, id).await?;
    let standing = if confirm {
        Standing::Confirmed
    } else {
        Standing::Declined
    };
    let mut tx = state.store().begin().await?;
    if !store::decide(
        &mut tx,
        id,
        standing.as_str(),
        actor.account_id,
        state.now_ms(),
    )
    .await?
    {
        return Err(AppError::Conflict("这条报到已经处理过了".into()));
    }
    if confirm {
        shanzhi_store::points::member_account(&mut tx, &m.community_code, id).await?;
    }
    tx.commit().await?;
    visible(state, actor, id).await
}

/// Members under a node, optionally of one standing.
pub async fn list(
    state: &App,
    actor: &Actor,
    node: &str,
    standing: Option<Standing>,
) -> Result<Vec<MemberRow>, AppError> {
    if actor.may(Resource::Participation, Verb::List)? == Reach::Own {
        let own = store::of_account(&mut state.store().conn().await?, actor.account_id).await?;
        return Ok(own
            .into_iter()
            .filter(|m| standing.is_none_or(|s| s == m.standing))
            .collect());
    }
    regions::visible(state, actor, node).await?;
    Ok(store::under(
        &mut state.store().conn().await?,
        node,
        standing.map(Standing::as_str),
    )
    .await?)
}

/// A co-building unit's registration (by community staff, who sign the 共建协议).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct UnitInput {
    /// The community.
    pub community: String,
    /// Name.
    pub name: String,
    /// Contact person.
    pub contact: String,
    /// Contact's mobile.
    pub phone: String,
    /// 亮承诺.
    pub commitment: String,
}

/// Registers a co-building unit, confirmed (the agreement is signed in person).
pub async fn add_unit(state: &App, actor: &Actor, u: &UnitInput) -> Result<UnitRow, AppError> {
    runs(actor)?;
    let community = community_of(state, actor, &u.community).await?;
    let phone = sealed_phone(state, &u.phone)?;
    let mut conn = state.store().conn().await?;
    store::insert_unit(
        &mut conn,
        &community.code,
        text(&u.name, "单位名称", 60)?,
        text(&u.contact, "联系人", 30)?,
        &phone,
        text(&u.commitment, "承诺", 200)?,
        Standing::Confirmed.as_str(),
        state.now_ms(),
    )
    .await
    .map_err(|e| conflict(e, "该社区已有同名共建单位"))
}

pub use shanzhi_domain::participation::ListKind;

/// An entry for a unit's lists.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ListingInput {
    /// Which list.
    pub list: ListKind,
    /// Category.
    pub category: ServiceCategory,
    /// Title.
    pub title: String,
    /// Detail.
    #[serde(default)]
    pub detail: String,
}

/// Adds to a unit's 三张清单.
pub async fn add_listing(
    state: &App,
    actor: &Actor,
    unit: i64,
    l: &ListingInput,
) -> Result<i64, AppError> {
    runs(actor)?;
    let mut conn = state.store().conn().await?;
    let u = store::unit(&mut conn, unit)
        .await?
        .filter(|u| actor.sees(&u.community_code))
        .ok_or_else(AppError::not_found)?;
    Ok(store::add_listing(
        &mut conn,
        u.id,
        l.list.as_str(),
        l.category.as_str(),
        text(&l.title, "标题", 60)?,
        optional(&l.detail, "说明", 500)?,
        state.now_ms(),
    )
    .await?)
}

/// A service to declare.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ServiceInput {
    /// The member (staff declaring for someone); a volunteer login declares for itself.
    pub member_id: Option<i64>,
    /// Category.
    pub category: ServiceCategory,
    /// What was done.
    pub activity: String,
    /// The day, YYYY-MM-DD (not in the future).
    pub served_on: String,
    /// Minutes served (30 to 720).
    pub minutes: i64,
}

/// Declares a service (申报): by the member, or by staff for them.
pub async fn declare(state: &App, p: &Principal, s: &ServiceInput) -> Result<ServiceRow, AppError> {
    let member = match (p.may(Resource::Participation, Verb::Write)?, s.member_id) {
        (Reach::Own, _) => me(state, p).await?,
        (_, Some(id)) => {
            runs(&p.actor)?;
            visible(state, &p.actor, id).await?
        }
        (_, None) => return Err(AppError::bad("member_required", "请选择服务的党员或志愿者")),
    };
    if member.standing != Standing::Confirmed {
        return Err(AppError::Conflict(
            "报到尚未经社区确认，暂不能申报服务".into(),
        ));
    }
    let day = Day::parse(&s.served_on)
        .ok_or_else(|| AppError::bad("invalid_day", "服务日期格式为 2026-10-01"))?;
    if day > Day::of(state.now_ms()) {
        return Err(AppError::bad("invalid_day", "服务日期不能晚于今天"));
    }
    service_points(s.minutes).map_err(|e| AppError::bad("invalid_minutes", e.to_string()))?;
    let mut conn = state.store().conn().await?;
    let id = store::declare(
        &mut conn,
        member.id,
        s.category.as_str(),
        text(&s.activity, "服务内容", 200)?,
        &day.to_string(),
        s.minutes,
        state.now_ms(),
    )
    .await?;
    service(state, &p.actor, id).await
}

async fn service(state: &App, actor: &Actor, id: i64) -> Result<ServiceRow, AppError> {
    let s = store::service(&mut state.store().conn().await?, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    visible(state, actor, s.member_id).await?;
    Ok(s)
}

/// Declarations under a node (汇总), optionally of one stage.
pub async fn services(
    state: &App,
    actor: &Actor,
    node: &str,
    stage: Option<ServiceStage>,
) -> Result<Vec<ServiceRow>, AppError> {
    let mut conn = state.store().conn().await?;
    let stage = stage.map(ServiceStage::as_str);
    if actor.may(Resource::Participation, Verb::List)? == Reach::Own {
        let Some(me) = store::of_account(&mut conn, actor.account_id).await? else {
            return Ok(Vec::new());
        };
        let mut rows = store::services_under(&mut conn, &me.community_code, stage).await?;
        rows.retain(|r| r.member_id == me.id);
        return Ok(rows);
    }
    regions::visible(state, actor, node).await?;
    Ok(store::services_under(&mut conn, node, stage).await?)
}

/// The community verifies (crediting the points, in the same transaction) or rejects a
/// declaration.
pub async fn verify(
    state: &App,
    p: &Principal,
    id: i64,
    approve: bool,
    note: &str,
) -> Result<ServiceRow, AppError> {
    runs(&p.actor)?;
    let s = service(state, &p.actor, id).await?;
    let member = visible(state, &p.actor, s.member_id).await?;
    let note = optional(note, "核实意见", 200)?;
    if !approve && note.is_empty() {
        return Err(AppError::bad("reason_required", "请写明未核实的原因"));
    }
    let now = state.now_ms();
    let mut tx = state.store().begin().await?;
    let (stage, points, posting) = if approve {
        let points = service_points(s.minutes)
            .map_err(|e| AppError::bad("invalid_minutes", e.to_string()))?;
        let posting = ledger::credit(
            &mut tx,
            &Credit {
                community: &member.community_code,
                member: member.id,
                points,
                kind: PostingKind::Service,
                key: &format!("service:{id}"),
                source: &format!("service:{id}"),
                operator: (Some(p.account.id), &p.label()),
                note: &format!("{} {}", s.served_on, s.activity),
                at: now,
            },
        )
        .await?;
        (ServiceStage::Verified, Some(points), Some(posting))
    } else {
        (ServiceStage::Rejected, None, None)
    };
    if !store::decide_service(
        &mut tx,
        id,
        stage.as_str(),
        points,
        posting,
        note,
        p.account.id,
        now,
    )
    .await?
    {
        return Err(AppError::Conflict("这条申报已经核实过了".into()));
    }
    tx.commit().await?;
    service(state, &p.actor, id).await
}

/// A member's year for the 双报告.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct YearLine {
    /// The member.
    pub member: MemberRow,
    /// What they did.
    pub record: YearRecord,
    /// Whether they met the once-a-year minimum.
    pub met_minimum: bool,
}

/// Every confirmed member's year under a node: wishes done, activities, hours, and whether
/// each met the minimum.
pub async fn year_report(
    state: &App,
    actor: &Actor,
    node: &str,
    year: i32,
) -> Result<Vec<YearLine>, AppError> {
    actor.may(Resource::ParticipationDesk, Verb::Export)?;
    regions::visible(state, actor, node).await?;
    let bounds = |y: i32| {
        Day::parse(&format!("{y}-01-01"))
            .map(Day::start_ms)
            .ok_or_else(|| AppError::bad("invalid_year", "年份无效"))
    };
    if !(2000..=2100).contains(&year) {
        return Err(AppError::bad("invalid_year", "年份须在 2000 到 2100 之间"));
    }
    let mut conn = state.store().conn().await?;
    let members = store::under(&mut conn, node, Some(Standing::Confirmed.as_str())).await?;
    let rows = store::year_under(&mut conn, node, year, bounds(year)?, bounds(year + 1)?).await?;
    let rows: std::collections::HashMap<i64, YearRecord> = rows
        .into_iter()
        .map(|r| {
            let record = YearRecord {
                wishes: r.wishes,
                activities: r.activities,
                minutes: r.minutes,
            };
            (r.member_id, record)
        })
        .collect();
    Ok(members
        .into_iter()
        .map(|member| {
            let record = rows.get(&member.id).copied().unwrap_or_default();
            YearLine {
                met_minimum: record.meets_minimum(),
                member,
                record,
            }
        })
        .collect())
}

/// The year `today` falls in.
pub fn this_year(today: Day) -> i32 {
    today.to_string()[..4].parse().unwrap_or(2026)
}

/// The year's record as an xlsx sheet (双报告): one row per member, with whether they met the
/// once-a-year minimum.
pub fn report_sheet(lines: &[YearLine], year: i32) -> Result<Vec<u8>, AppError> {
    let sheet_error = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(format!("{year}年双报到"))
        .map_err(sheet_error)?;
    let head = [
        "姓名",
        "类别",
        "工作单位",
        "报到社区",
        "手机",
        "完成心愿",
        "服务次数",
        "服务时长（小时）",
        "是否达标（每年至少 1 次）",
    ];
    for (c, h) in head.iter().enumerate() {
        ws.write_string(0, c as u16, *h).map_err(sheet_error)?;
    }
    for (i, l) in lines.iter().enumerate() {
        let r = i as u32 + 1;
        let m = &l.member;
        let kind = m.kind.label();
        for (c, v) in [
            &m.name,
            kind,
            &m.employer,
            &m.community_code,
            &m.phone_masked,
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(r, c as u16, *v).map_err(sheet_error)?;
        }
        ws.write_number(r, 5, l.record.wishes as f64)
            .map_err(sheet_error)?;
        ws.write_number(r, 6, l.record.activities as f64)
            .map_err(sheet_error)?;
        ws.write_number(r, 7, l.record.minutes as f64 / 60.0)
            .map_err(sheet_error)?;
        ws.write_string(r, 8, if l.met_minimum { "达标" } else { "未达标" })
            .map_err(sheet_error)?;
    }
    book.save_to_buffer().map_err(sheet_error)
}

/// Co-building units under an area, with their 三张清单.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Units {
    /// The units.
    pub units: Vec<UnitRow>,
    /// Their lists' entries.
    pub listings: Vec<ListingRow>,
}

/// The co-building units (共建单位) under a node the actor sees, with their 问题、需求、资源
/// lists.
pub async fn units(state: &App, actor: &Actor, node: &str) -> Result<Units, AppError> {
    actor.may(Resource::ParticipationDesk, Verb::List)?;
    regions::visible(state, actor, node).await?;
    let mut conn = state.store().conn().await?;
    Ok(Units {
        units: store::units_under(&mut conn, node).await?,
        listings: store::listings_under(&mut conn, node).await?,
    })
}

/// Whether the actor works in (or above) `community`: grid staff of its grids serve it too.
fn serves(actor: &Actor, community: &str) -> bool {
    actor.sees(community) || actor.scope_root().is_some_and(|n| n.starts_with(community))
}

/// The resources the co-building units of the actor's community offer in a category (三张清单
/// matched against a wish); 404 outside it.
pub async fn resources_for(
    state: &App,
    actor: &Actor,
    community: &str,
    category: &str,
) -> Result<Vec<ListingRow>, AppError> {
    actor.may(Resource::Participation, Verb::List)?;
    if !serves(actor, community) {
        return Err(AppError::not_found());
    }
    Ok(store::resources_for(&mut state.store().conn().await?, community, category).await?)
}

/// The caller's own 双报到 record, if they registered.
pub async fn own(state: &App, p: &Principal) -> Result<Option<MemberRow>, AppError> {
    p.may(Resource::Participation, Verb::Read)?;
    Ok(store::of_account(&mut state.store().conn().await?, p.account.id).await?)
}

/// The communities (code, name) a member may register in: those of the street their login
/// serves (people register where they live, usually near where they serve).
pub async fn communities_near(
    state: &App,
    p: &Principal,
) -> Result<Vec<(String, String)>, AppError> {
    p.may(Resource::Participation, Verb::Read)?;
    let street = p
        .account
        .node_code
        .as_deref()
        .and_then(|c| c.get(..9))
        .unwrap_or("");
    Ok(store::communities(&mut state.store().conn().await?, street).await?)
}
