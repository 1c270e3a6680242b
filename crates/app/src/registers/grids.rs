//! The grid facts register (网格基础信息册) with its live counts, and the staff register
//! (网格长(员)信息册).

use crate::audit;
use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError, Principal};
use shanzhi_domain::personal::{mask_phone, normalize_phone};
use shanzhi_domain::register::resident::MAX_NAME_CHARS;
use shanzhi_domain::register::resident::parse_date;
use shanzhi_domain::register::vocab::StaffRole;
use shanzhi_store::grid_facts;
pub use shanzhi_store::grid_facts::GridFacts;
use shanzhi_store::regions::{self as region_store, NodeRow};
use shanzhi_store::residents::{self, ResidentCounts};
pub use shanzhi_store::staff::StaffRow;
use shanzhi_store::staff::{self, NewStaff};
use shanzhi_store::vault::{Field, SealedValue};
use shanzhi_store::{accounts, places};
use std::collections::HashSet;

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
    /// 公开电话: the owner agrees to show the phone to residents (resident pages, the poster).
    #[serde(default)]
    pub phone_public: bool,
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

/// A staff record that passed every check.
pub(super) struct CheckedStaff {
    pub(super) name: String,
    pub(super) role: StaffRole,
    pub(super) phone: Option<SealedValue>,
    /// The phone in plain text, when its owner agreed to show it to residents.
    pub(super) public_phone: Option<String>,
    pub(super) party_member: bool,
    pub(super) duties: String,
    pub(super) grids: Vec<String>,
    pub(super) account_id: Option<i64>,
}

impl CheckedStaff {
    /// Name and grids: what tells one person on the register from another.
    pub(super) fn key(&self) -> (String, Vec<String>) {
        let mut grids = self.grids.clone();
        grids.sort();
        (self.name.clone(), grids)
    }

    /// Their account, when they have one.
    pub(super) fn account(&self) -> Option<i64> {
        self.account_id
    }

    /// The node the record belongs to: the community of its first grid.
    fn node(&self) -> &str {
        let first = &self.grids[0];
        &first[..12.min(first.len())]
    }

    /// The record as stored.
    pub(super) fn new_staff(&self) -> NewStaff<'_> {
        NewStaff {
            node_code: self.node(),
            account_id: self.account_id,
            name: &self.name,
            role: self.role.as_str(),
            phone: self.phone.as_ref(),
            public_phone: self.public_phone.as_deref(),
            party_member: self.party_member,
            duties: &self.duties,
            grids: &self.grids,
        }
    }
}

/// Checks a typed staff record against the grids in the keeper's scope (`in_scope`) and the
/// accounts: the record, or every problem as (field, message).
pub(super) async fn check_staff(
    state: &App,
    ex: &mut impl shanzhi_store::Exec,
    in_scope: &HashSet<String>,
    s: &StaffInput,
) -> Result<Result<CheckedStaff, Vec<(&'static str, String)>>, AppError> {
    let mut problems: Vec<(&'static str, String)> = Vec::new();
    let name = s.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        problems.push((
            "姓名",
            format!("请填写姓名（不超过 {MAX_NAME_CHARS} 个字）"),
        ));
    }
    let role = StaffRole::from_typed(&s.role);
    if role.is_none() {
        problems.push(("角色", format!("请填写以下之一：{}", StaffRole::choices())));
    }
    let plain = if s.phone.trim().is_empty() {
        None
    } else {
        normalize_phone(&s.phone)
            .map_err(|e| problems.push(("联系电话", e.to_string())))
            .ok()
    };
    if s.phone_public && s.phone.trim().is_empty() {
        problems.push(("公开电话", "要向居民公开电话，请先填写联系电话".into()));
    }
    let phone = plain
        .as_ref()
        .map(|p| state.vault().protect(Field::Phone, p, mask_phone(p)));
    let public_phone = plain.filter(|_| s.phone_public);
    let grids: Vec<String> = s
        .grids
        .iter()
        .map(|g| g.trim().to_owned())
        .filter(|g| !g.is_empty())
        .collect();
    if grids.is_empty() {
        problems.push(("服务网格", "请至少选择一个服务的网格".into()));
    }
    for g in &grids {
        if !in_scope.contains(g) {
            problems.push(("服务网格", format!("网格 {g} 不存在或不在您的管辖范围内")));
        }
    }
    let account_id = if s.username.trim().is_empty() {
        None
    } else {
        match accounts::by_username(ex, s.username.trim()).await? {
            Some(a) => Some(a.id),
            None => {
                problems.push((
                    "用户名",
                    format!("没有用户名为“{}”的账号", s.username.trim()),
                ));
                None
            }
        }
    };
    Ok(match role {
        Some(role) if problems.is_empty() => Ok(CheckedStaff {
            name: name.to_owned(),
            role,
            phone,
            public_phone,
            party_member: s.party_member,
            duties: s.duties.trim().to_owned(),
            grids,
            account_id,
        }),
        _ => Err(problems),
    })
}

/// Writes a checked staff record (it belongs to the community of its first grid); returns its
/// id and the audit record's detail.
pub(super) async fn write_staff(
    tx: &mut shanzhi_store::Tx,
    s: &CheckedStaff,
    now: i64,
) -> Result<(i64, serde_json::Value), AppError> {
    let id = staff::insert(tx, &s.new_staff(), now)
        .await
        .map_err(|e| match e {
            shanzhi_store::StoreError::Conflict(_) => {
                AppError::Conflict("这个账号已登记在网格员台账中".into())
            }
            other => other.into(),
        })?;
    let detail = serde_json::json!({"after": {"name": s.name, "role": s.role.label(),
        "grids": s.grids, "phone": s.phone.as_ref().map(|p| &p.masked),
        "phone_public": s.public_phone.is_some(), "party_member": s.party_member}});
    Ok((id, detail))
}

/// Adds a staff record; it belongs to the community of its first grid.
pub async fn create_staff(state: &App, k: &Principal, s: &StaffInput) -> Result<i64, AppError> {
    k.may(Resource::Staff, Verb::Write)?;
    let mut tx = state.store().begin().await?;
    let in_scope = super::residents::grids_in_scope(&mut tx, k).await?;
    let checked = check_staff(state, &mut tx, &in_scope, s)
        .await?
        .map_err(|problems| {
            let text: Vec<String> = problems.into_iter().map(|(_, m)| m).collect();
            AppError::bad("invalid_staff", text.join("；"))
        })?;
    let (id, detail) = write_staff(&mut tx, &checked, state.now_ms()).await?;
    let record = audit::entry(
        state.now_ms(),
        &crate::audit::Actor::of(k),
        "register.staff_create",
        format!("staff:{id}"),
        Some(checked.node()),
        detail,
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
