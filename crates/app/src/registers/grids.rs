//! The grid facts register (网格基础信息册) with its live counts, and the staff register
//! (网格长(员)信息册).

use crate::audit;
use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError, Principal};
use shanzhi_domain::personal::{mask_phone, normalize_phone};
use shanzhi_domain::register::resident::parse_date;
use shanzhi_domain::register::vocab::StaffRole;
use shanzhi_store::grid_facts;
pub use shanzhi_store::grid_facts::GridFacts;
use shanzhi_store::regions::{self as region_store, NodeRow};
use shanzhi_store::residents::{self, ResidentCounts};
pub use shanzhi_store::staff::StaffRow;
use shanzhi_store::staff::{self, NewStaff};
use shanzhi_store::vault::Field;
use shanzhi_store::{accounts, places};

/// A node's register summary: facts written down and counts kept live by the other registers.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GridRegister {
    /// The node's code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its level, in Chinese.
    pub level: String,
    /// Its feature (一网格一特色).
    pub feature: Option<String>,
    /// What is written down (grids only; empty elsewhere).
    pub facts: GridFacts,
    /// Households and residents by status and tag.
    pub residents: ResidentCounts,
    /// Places by (kind, risk).
    pub places: Vec<(String, String, i64)>,
    /// Staff serving here, by role.
    pub staff: Vec<(String, i64)>,
}

async fn visible_node(state: &App, k: &Principal, code: &str) -> Result<NodeRow, AppError> {
    k.must_see(code)?;
    let mut conn = state.store().conn().await?;
    region_store::get(&mut conn, code)
        .await?
        .filter(|n| n.retired_at.is_none())
        .ok_or_else(AppError::not_found)
}

/// The summary of `code`'s registers.
pub async fn summary(state: &App, k: &Principal, code: &str) -> Result<GridRegister, AppError> {
    k.may(Resource::GridFacts, Verb::Read)?;
    let node = visible_node(state, k, code).await?;
    let mut conn = state.store().conn().await?;
    Ok(GridRegister {
        facts: grid_facts::get(&mut conn, code).await?,
        residents: residents::counts(&mut conn, code).await?,
        places: places::counts(&mut conn, code).await?,
        staff: staff::counts(&mut conn, code).await?,
        level: node.level().label().to_owned(),
        code: node.code,
        name: node.name,
        feature: node.feature,
    })
}

/// Writes a grid's facts; the audit record keeps before and after.
pub async fn put_facts(
    state: &App,
    k: &Principal,
    code: &str,
    f: &GridFacts,
) -> Result<(), AppError> {
    k.may(Resource::GridFacts, Verb::Write)?;
    let node = visible_node(state, k, code).await?;
    if !node.level().is_grid() {
        return Err(AppError::bad("not_a_grid", "网格基础信息只能登记在网格上"));
    }
    if f.area_km2.is_some_and(|a| !(a.is_finite() && a > 0.0))
        || f.party_members.is_some_and(|m| m < 0)
    {
        return Err(AppError::bad(
            "invalid_facts",
            "面积须为正数，党员人数不能为负",
        ));
    }
    let mut tx = state.store().begin().await?;
    let before = grid_facts::get(&mut tx, code).await?;
    grid_facts::put(&mut tx, code, f, state.now_ms()).await?;
    let record = audit::entry(
        state.now_ms(),
        &crate::audit::Actor::of(k),
        "register.grid_facts",
        format!("node:{code}"),
        Some(code),
        serde_json::json!({"before": before, "after": f}),
    );
    audit::record(&mut tx, [record]);
    tx.commit().await?;
    Ok(())
}

/// A staff record as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
pub struct StaffInput {
    /// 姓名.
    pub name: String,
    /// 角色: 网格长, 专职网格员 …
    pub role: String,
    /// 联系电话.
    #[serde(default)]
    pub phone: String,
    /// 党员.
    #[serde(default)]
    pub party_member: bool,
    /// 职责.
    #[serde(default)]
    pub duties: String,
    /// The grids served (codes).
    pub grids: Vec<String>,
    /// Their login name, when they have an account.
    #[serde(default)]
    pub username: String,
}

/// Adds a staff record; it belongs to the community of its first grid.
pub async fn create_staff(state: &App, k: &Principal, s: &StaffInput) -> Result<i64, AppError> {
    k.may(Resource::Staff, Verb::Write)?;
    let mut problems: Vec<String> = Vec::new();
    if s.name.trim().is_empty() {
        problems.push("请填写姓名".into());
    }
    let role = StaffRole::from_typed(&s.role);
    if role.is_none() {
        problems.push(format!("角色请填写以下之一：{}", StaffRole::choices()));
    }
    let phone = if s.phone.trim().is_empty() {
        None
    } else {
        normalize_phone(&s.phone)
            .map_err(|e| problems.push(e.to_string()))
            .ok()
            .map(|p| state.vault().protect(Field::Phone, &p, mask_phone(&p)))
    };
    let grids: Vec<String> = s
        .grids
        .iter()
        .map(|g| g.trim().to_owned())
        .filter(|g| !g.is_empty())
        .collect();
    if grids.is_empty() {
        problems.push("请至少选择一个服务的网格".into());
    }
    let mut tx = state.store().begin().await?;
    let in_scope = region_store::grid_codes(&mut tx, k.actor.scope_root()).await?;
    for g in &grids {
        if !in_scope.contains(g) {
            problems.push(format!("网格 {g} 不在您的管辖范围内"));
        }
    }
    let account_id = if s.username.trim().is_empty() {
        None
    } else {
        match accounts::by_username(&mut tx, s.username.trim()).await? {
            Some(a) => Some(a.id),
            None => {
                problems.push(format!("没有用户名为“{}”的账号", s.username.trim()));
                None
            }
        }
    };
    let (Some(role), true) = (role, problems.is_empty()) else {
        return Err(AppError::bad("invalid_staff", problems.join("；")));
    };
    let node = &grids[0][..12.min(grids[0].len())];
    let id = staff::insert(
        &mut tx,
        &NewStaff {
            node_code: node,
            account_id,
            name: s.name.trim(),
            role: role.as_str(),
            phone: phone.as_ref(),
            party_member: s.party_member,
            duties: s.duties.trim(),
            grids: &grids,
        },
        state.now_ms(),
    )
    .await
    .map_err(|e| match e {
        shanzhi_store::StoreError::Conflict(_) => {
            AppError::Conflict("这个账号已登记在网格员台账中".into())
        }
        other => other.into(),
    })?;
    let record = audit::entry(
        state.now_ms(),
        &crate::audit::Actor::of(k),
        "register.staff_create",
        format!("staff:{id}"),
        Some(node),
        serde_json::json!({"after": {"name": s.name.trim(), "role": role.label(), "grids": grids,
            "phone": phone.as_ref().map(|p| &p.masked), "party_member": s.party_member}}),
    );
    audit::record(&mut tx, [record]);
    tx.commit().await?;
    Ok(id)
}

/// Staff serving grids under `code`.
pub async fn list_staff(state: &App, k: &Principal, code: &str) -> Result<Vec<StaffRow>, AppError> {
    k.may(Resource::Staff, Verb::List)?;
    k.must_see(code)?;
    let mut conn = state.store().conn().await?;
    Ok(staff::list(&mut conn, Some(code)).await?)
}

/// A training as typed.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, utoipa::ToSchema)]
pub struct TrainingInput {
    /// Day (YYYY-MM-DD).
    pub day: String,
    /// Topic.
    pub topic: String,
    /// Hours.
    pub hours: f64,
}

/// Records a training of a staff member in the keeper's scope.
pub async fn train(
    state: &App,
    k: &Principal,
    staff_id: i64,
    t: &TrainingInput,
) -> Result<(), AppError> {
    k.may(Resource::Staff, Verb::Write)?;
    let root = k.actor.scope_root().map(str::to_owned);
    let mut tx = state.store().begin().await?;
    let row = staff::list(&mut tx, root.as_deref())
        .await?
        .into_iter()
        .find(|s| s.id == staff_id)
        .ok_or_else(AppError::not_found)?;
    let day = parse_date(&t.day)
        .filter(|d| *d <= state.clock().date())
        .ok_or_else(|| AppError::bad("invalid_day", "培训日期应写成 2026-03-01，且不能晚于今天"))?;
    if t.topic.trim().is_empty() || !(t.hours > 0.0 && t.hours <= 24.0) {
        return Err(AppError::bad(
            "invalid_training",
            "请填写培训内容，学时须在 0~24 之间",
        ));
    }
    staff::train(&mut tx, staff_id, &day.to_string(), t.topic.trim(), t.hours).await?;
    let record = audit::entry(
        state.now_ms(),
        &crate::audit::Actor::of(k),
        "register.staff_training",
        format!("staff:{staff_id}"),
        Some(&row.node_code),
        serde_json::json!({"day": day.to_string(), "topic": t.topic.trim(), "hours": t.hours}),
    );
    audit::record(&mut tx, [record]);
    tx.commit().await?;
    Ok(())
}
