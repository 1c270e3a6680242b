//! The residents register (网格居民信息册): households and persons entered by form or by sheet,
//! searched within scope, shown masked, revealed on record.

use super::invalid;
use super::reads::Purpose;
use super::sight::Sight;
use crate::audit;
use crate::policy::{Ask, Reach, Resource, Verb};
use crate::registers::verification;
use crate::{App, AppError, Principal};
use shanzhi_domain::personal::{IdNumber, mask_id_number, mask_phone, normalize_phone};
use shanzhi_domain::register::resident::{
    Person, PersonInput, check_floor, check_household, check_person, parse_tags,
};
use shanzhi_domain::register::vocab::Relation;
use shanzhi_store::residents::{self as store, NewPerson, NewTag, PersonFilter, Sealed};
pub use shanzhi_store::residents::{PersonRow, PersonTagRow, TagKindRow};
use shanzhi_store::vault::{Field, SealedValue, Vault};
use shanzhi_store::{Exec, Tx, regions as region_store};
use std::collections::{HashMap, HashSet};

/// Seals a checked person's ID number and phone.
/// How much of a checked person's numbers to protect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sealing {
    /// Sealed, indexed and masked: ready to store.
    Full,
    /// The ID number's blind index only, for a sheet's first pass, which matches people
    /// and never stores them (sealing costs as much as all the other checks together).
    IndexOnly,
}

fn seal(vault: &Vault, p: &Person, sealing: Sealing) -> (SealedValue, Option<SealedValue>) {
    if sealing == Sealing::IndexOnly {
        let id = SealedValue {
            sealed: Vec::new(),
            index: vault.index(Field::IdNumber, &p.id.number),
            masked: String::new(),
        };
        return (id, None);
    }
    let id = vault.protect(Field::IdNumber, &p.id.number, mask_id_number(&p.id.number));
    let phone = p
        .phone
        .as_ref()
        .map(|ph| vault.protect(Field::Phone, ph, mask_phone(ph)));
    (id, phone)
}

/// The tag kinds: name → code and code → code, so sheets may write either.
pub(super) async fn tag_codes(ex: &mut impl Exec) -> Result<HashMap<String, String>, AppError> {
    Ok(store::tag_kinds(ex)
        .await?
        .into_iter()
        .flat_map(|k| [(k.name, k.code.clone()), (k.code.clone(), k.code)])
        .collect())
}

/// Grid-level nodes the keeper may enter residents in.
pub(super) async fn grids_in_scope(
    ex: &mut impl Exec,
    k: &Principal,
) -> Result<HashSet<String>, AppError> {
    Ok(region_store::grid_codes(ex, k.actor.scope_root())
        .await?
        .into_iter()
        .collect())
}

/// The grid `code` if it is a live grid or micro-grid in the keeper's scope: one lookup for a
/// form, where a sheet needs the whole scope's list.
async fn grid_in_scope(
    ex: &mut impl Exec,
    k: &Principal,
    code: &str,
) -> Result<HashSet<String>, AppError> {
    let code = code.trim();
    let live = k.actor.sees(code)
        && region_store::get(ex, code)
            .await?
            .is_some_and(|n| n.retired_at.is_none() && n.level().is_grid());
    Ok(if live {
        HashSet::from([code.to_owned()])
    } else {
        HashSet::new()
    })
}

/// Where a household lives, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
pub struct Address {
    /// The grid's code.
    pub grid: String,
    /// Building (楼栋), e.g. `金港花园3栋`.
    pub building: String,
    /// Street address of the building.
    #[serde(default)]
    pub address: String,
    /// Unit (单元), may be empty.
    #[serde(default)]
    pub unit: String,
    /// Floor.
    #[serde(default)]
    pub floor: Option<i32>,
    /// Room (房号).
    pub room: String,
}

impl Address {
    pub(super) fn check(
        &self,
        grids: &HashSet<String>,
        problems: &mut Vec<(&'static str, String)>,
    ) {
        if !grids.contains(self.grid.trim()) {
            problems.push((
                "网格编码",
                format!("网格编码“{}”不是您管辖范围内的网格", self.grid.trim()),
            ));
        }
        if self.building.trim().is_empty() {
            problems.push(("楼栋", "请填写楼栋".into()));
        }
        if self.room.trim().is_empty() {
            problems.push(("房号", "请填写房号".into()));
        }
        if let Some(Err(e)) = self.floor.map(check_floor) {
            problems.push(("楼层", e));
        }
    }
}

/// A member as a form sends them: the person and their tags as one line
/// (`独居老人(重点)；残疾人`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
pub struct MemberInput {
    /// The person.
    #[serde(flatten)]
    #[schema(inline)]
    pub person: PersonInput,
    /// Tags, written as in the sheet.
    #[serde(default)]
    pub tags: String,
}

/// A household to register.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
pub struct HouseholdInput {
    /// Where it lives.
    #[serde(flatten)]
    pub address: Address,
    /// The register's household number (户编号), optional.
    #[serde(default)]
    pub reference: String,
    /// Note.
    #[serde(default)]
    pub note: String,
    /// Its members (one is the head).
    pub members: Vec<MemberInput>,
}

/// A member, checked, sealed and with tag codes.
pub(super) struct Checked {
    pub(super) person: Person,
    pub(super) id: SealedValue,
    pub(super) phone: Option<SealedValue>,
    pub(super) tags: Vec<(String, &'static str)>,
}

pub(super) fn check_member(
    m: &MemberInput,
    (vault, sealing): (&Vault, Sealing),
    tags: &HashMap<String, String>,
    today: time::Date,
    problems: &mut Vec<(&'static str, String)>,
) -> Option<Checked> {
    let person = check_person(&m.person, today)
        .map_err(|ps| problems.extend(ps.into_iter().map(|p| (p.field, p.message))))
        .ok();
    let tag_list = match parse_tags(&m.tags) {
        Ok(list) => list
            .into_iter()
            .filter_map(|t| match tags.get(&t.name) {
                Some(code) => Some((code.clone(), t.level.as_str())),
                None => {
                    problems.push(("重点人群标签", unknown_tag(&t.name, tags)));
                    None
                }
            })
            .collect(),
        Err(e) => {
            problems.push(("重点人群标签", e));
            Vec::new()
        }
    };
    let person = person?;
    let (id, phone) = seal(vault, &person, sealing);
    Some(Checked {
        person,
        id,
        phone,
        tags: tag_list,
    })
}

fn unknown_tag(name: &str, tags: &HashMap<String, String>) -> String {
    // Names, not codes: codes are ASCII.
    let mut names: Vec<&str> = tags
        .keys()
        .filter(|k| !k.is_ascii())
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    format!("没有“{name}”这个标签，可用：{}", names.join("、"))
}

/// Refuses ID numbers already registered, naming where.
async fn refuse_registered(
    tx: &mut Tx,
    members: &[Checked],
    problems: &mut Vec<(&'static str, String)>,
) -> Result<(), AppError> {
    let idx: Vec<Vec<u8>> = members.iter().map(|m| m.id.index.clone()).collect();
    for (pid, _) in store::registered_ids(tx, &idx).await? {
        let at = store::get(tx, pid).await?;
        problems.push((
            "公民身份号码",
            format!(
                "此人已登记在{}，一人只能属于一户：请先从原户迁出",
                at.map_or_else(
                    || "其他户".to_owned(),
                    |p| format!("{} {}", p.building, p.room)
                )
            ),
        ));
    }
    Ok(())
}

pub(super) fn new_person<'a>(household_id: i64, grid: &'a str, c: &'a Checked) -> NewPerson<'a> {
    NewPerson {
        household_id,
        node_code: grid,
        name: &c.person.name,
        id: &c.id,
        birth_date: c.person.id.birth_date.to_string(),
        sex: c.person.id.sex.as_str(),
        phone: c.phone.as_ref(),
        relation: c.person.relation.as_str(),
        status: c.person.status.as_str(),
        moved_in: c.person.moved_in.map(|d| d.to_string()),
        moved_out: c.person.moved_out.map(|d| d.to_string()),
        note: &c.person.note,
    }
}

fn masked_view(c: &Checked) -> serde_json::Value {
    serde_json::json!({
        "name": c.person.name, "id": c.id.masked, "phone": c.phone.as_ref().map(|p| &p.masked),
        "relation": c.person.relation.label(), "status": c.person.status.label(),
        "moved_in": c.person.moved_in.map(|d| d.to_string()),
        "moved_out": c.person.moved_out.map(|d| d.to_string()),
        "tags": c.tags.iter().map(|(t, l)| format!("{t}:{l}")).collect::<Vec<_>>(),
    })
}

async fn insert_checked(
    tx: &mut Tx,
    household_id: i64,
    grid: &str,
    members: &[Checked],
    now: i64,
) -> Result<Vec<i64>, AppError> {
    let rows: Vec<NewPerson<'_>> = members
        .iter()
        .map(|c| new_person(household_id, grid, c))
        .collect();
    let ids = store::insert_persons(tx, &rows, now).await?;
    let mut tags = Vec::new();
    for (c, pid) in members.iter().zip(&ids) {
        tags.extend(c.tags.iter().map(|(t, level)| NewTag {
            person_id: *pid,
            tag: t,
            level,
            carer_account_id: None,
            next_visit: None,
            note: "",
        }));
    }
    store::put_tags(tx, &tags).await?;
    Ok(ids)
}

/// Registers a household with its members in one transaction; returns its id.
pub async fn create_household(
    state: &App,
    k: &Principal,
    input: &HouseholdInput,
) -> Result<i64, AppError> {
    k.may(Resource::Resident, Verb::Write)?;
    let mut tx = state.store().begin().await?;
    let grids = grid_in_scope(&mut tx, k, &input.address.grid).await?;
    let tags = tag_codes(&mut tx).await?;
    let mut problems = Vec::new();
    input.address.check(&grids, &mut problems);
    if input.members.is_empty() {
        problems.push(("成员", "一户至少要有一名成员（户主）".into()));
    }
    let members: Vec<Checked> = input
        .members
        .iter()
        .filter_map(|m| {
            check_member(
                m,
                (state.vault(), Sealing::Full),
                &tags,
                state.clock().date(),
                &mut problems,
            )
        })
        .collect();
    if problems.is_empty() {
        let relations: Vec<Relation> = members.iter().map(|m| m.person.relation).collect();
        if let Err(e) = check_household(&relations) {
            problems.push(("与户主关系", e));
        }
        let mut seen = HashSet::new();
        for m in &members {
            if !seen.insert(m.id.index.clone()) {
                problems.push((
                    "公民身份号码",
                    format!("{} 在这一户中填了两次", m.id.masked),
                ));
            }
        }
        refuse_registered(&mut tx, &members, &mut problems).await?;
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let now = state.now_ms();
    let a = &input.address;
    let grid = a.grid.trim();
    let building = store::building(&mut tx, grid, a.building.trim(), a.address.trim(), now).await?;
    let house = store::houses(
        &mut tx,
        &[(
            building,
            a.unit.trim().to_owned(),
            a.floor,
            a.room.trim().to_owned(),
        )],
    )
    .await?
    .pop()
    .ok_or_else(|| AppError::Internal("house not written".into()))?;
    let household = store::insert_households(
        &mut tx,
        &[(house, grid, input.reference.trim(), input.note.trim())],
        now,
    )
    .await?
    .pop()
    .ok_or_else(|| AppError::Internal("household not written".into()))?;
    insert_checked(&mut tx, household, grid, &members, now).await?;
    let record = audit::entry(
        state.now_ms(),
        &crate::audit::Actor::of(k),
        "register.household_create",
        format!("household:{household}"),
        Some(grid),
        serde_json::json!({"after": {
            "address": format!("{} {} {}", a.building.trim(), a.unit.trim(), a.room.trim()),
            "members": members.iter().map(masked_view).collect::<Vec<_>>(),
        }}),
    );
    audit::record(&mut tx, [record]);
    tx.commit().await?;
    Ok(household)
}

/// A household the caller may see (a department opens people, not households).
pub async fn visible_household(
    state: &App,
    k: &Principal,
    id: i64,
) -> Result<store::HouseholdRow, AppError> {
    if k.may(Resource::Resident, Verb::Read)? == Reach::Duty {
        return Err(AppError::not_found());
    }
    let mut conn = state.store().conn().await?;
    let h = store::household(&mut conn, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    k.must_see(&h.node_code)?;
    Ok(h)
}

/// Adds a member to a household.
pub async fn add_member(
    state: &App,
    k: &Principal,
    household_id: i64,
    m: &MemberInput,
) -> Result<i64, AppError> {
    k.may(Resource::Resident, Verb::Write)?;
    let h = visible_household(state, k, household_id).await?;
    let mut tx = state.store().begin().await?;
    let tags = tag_codes(&mut tx).await?;
    let mut problems = Vec::new();
    let checked = check_member(
        m,
        (state.vault(), Sealing::Full),
        &tags,
        state.clock().date(),
        &mut problems,
    );
    if let Some(c) = &checked {
        let mut relations: Vec<Relation> = store::search(
            &mut tx,
            &PersonFilter {
                household_id: Some(household_id),
                ..PersonFilter::default()
            },
            0,
            200,
        )
        .await?
        .iter()
        .map(|p| p.relation)
        .collect();
        relations.push(c.person.relation);
        if let Err(e) = check_household(&relations) {
            problems.push(("与户主关系", e));
        }
        refuse_registered(&mut tx, std::slice::from_ref(c), &mut problems).await?;
    }
    let Some(c) = checked.filter(|_| problems.is_empty()) else {
        return Err(invalid(problems));
    };
    let now = state.now_ms();
    let ids = insert_checked(
        &mut tx,
        household_id,
        &h.node_code,
        std::slice::from_ref(&c),
        now,
    )
    .await?;
    let pid = ids.first().copied().unwrap_or_default();
    let record = audit::entry(
        state.now_ms(),
        &crate::audit::Actor::of(k),
        "register.person_create",
        format!("person:{pid}"),
        Some(&h.node_code),
        serde_json::json!({"household": household_id, "after": masked_view(&c)}),
    );
    audit::record(&mut tx, [record]);
    tx.commit().await?;
    Ok(pid)
}

/// A person the caller may see: in its subtree and, for a department, only someone carrying
/// a tag of its duty; 404 otherwise.
pub async fn visible_person(state: &App, k: &Principal, id: i64) -> Result<PersonRow, AppError> {
    let mut conn = state.store().conn().await?;
    let sight = Sight::of(&mut conn, k, Verb::Read).await?;
    visible_in(&mut conn, k, &sight, id).await
}

async fn visible_in(
    ex: &mut impl Exec,
    k: &Principal,
    sight: &Sight,
    id: i64,
) -> Result<PersonRow, AppError> {
    let p = store::get(ex, id).await?.ok_or_else(AppError::not_found)?;
    k.must_see(&p.node_code)?;
    if sight.duty().is_some() {
        let tags = store::tags_of(ex, &[id]).await?;
        if !sight.reaches(tags.iter().map(|t| t.tag.as_str())) {
            return Err(AppError::not_found());
        }
    }
    Ok(p)
}

/// A person's edit (the ID number is fixed; a wrong one is a new entry).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
pub struct PersonEdit {
    /// 姓名.
    pub name: String,
    /// 联系电话; empty removes it; a masked value (with `*`) keeps the one on record.
    #[serde(default)]
    pub phone: String,
    /// 与户主关系.
    pub relation: String,
    /// 居住状态.
    pub status: String,
    /// 迁入日期.
    #[serde(default)]
    pub moved_in: String,
    /// 迁出日期.
    #[serde(default)]
    pub moved_out: String,
    /// 备注.
    #[serde(default)]
    pub note: String,
    /// Tags, written as in the sheet; replaces the person's tags.
    #[serde(default)]
    pub tags: String,
    /// The `updated_at` the edit was made from: a stale edit is refused, not merged.
    #[serde(deserialize_with = "crate::input::int_field")]
    pub updated_at: i64,
    /// The visit during which the change was made (信息核实), the editor's own to this
    /// household; the changed fields are then recorded with the visit.
    #[serde(default, deserialize_with = "crate::input::optional_int_field")]
    pub visit_id: Option<i64>,
}

/// Edits a person; the audit record keeps before and after (masked).
pub async fn update_person(
    state: &App,
    k: &Principal,
    id: i64,
    e: &PersonEdit,
) -> Result<(), AppError> {
    k.may(Resource::Resident, Verb::Write)?;
    let before = visible_person(state, k, id).await?;
    let mut tx = state.store().begin().await?;
    let tags = tag_codes(&mut tx).await?;
    let keep_phone = e.phone.contains('*');
    let id_number = match store::sealed(&mut tx, id, Sealed::IdNumber).await? {
        Some(s) => state
            .vault()
            .open(Field::IdNumber, &s)
            .map_err(|e| AppError::Internal(e.to_string()))?,
        None => String::new(),
    };
    let member = MemberInput {
        person: PersonInput {
            name: e.name.clone(),
            id_number,
            phone: if keep_phone {
                String::new()
            } else {
                e.phone.clone()
            },
            relation: e.relation.clone(),
            status: e.status.clone(),
            moved_in: e.moved_in.clone(),
            moved_out: e.moved_out.clone(),
            note: e.note.clone(),
        },
        tags: e.tags.clone(),
    };
    let mut problems = Vec::new();
    let checked = check_member(
        &member,
        (state.vault(), Sealing::Full),
        &tags,
        state.clock().date(),
        &mut problems,
    );
    let Some(c) = checked.filter(|_| problems.is_empty()) else {
        return Err(invalid(problems));
    };
    let kept_phone = if keep_phone {
        match store::sealed(&mut tx, id, Sealed::Phone).await? {
            Some(sealed) => {
                let plain = state
                    .vault()
                    .open(Field::Phone, &sealed)
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                Some(
                    state
                        .vault()
                        .protect(Field::Phone, &plain, mask_phone(&plain)),
                )
            }
            None => None,
        }
    } else {
        None
    };
    let phone = kept_phone.as_ref().or(c.phone.as_ref());
    let now = state.now_ms();
    let update = store::PersonUpdate {
        name: &c.person.name,
        phone,
        relation: c.person.relation.as_str(),
        status: c.person.status.as_str(),
        moved_in: c.person.moved_in.map(|d| d.to_string()),
        moved_out: c.person.moved_out.map(|d| d.to_string()),
        note: &c.person.note,
    };
    if !store::update_person(&mut tx, id, e.updated_at, &update, now).await? {
        return Err(AppError::Conflict(
            "此人信息已被他人修改，请刷新后重新填写".into(),
        ));
    }
    let old_tags = store::tags_of(&mut tx, &[id]).await?;
    replace_tags(&mut tx, id, &c.tags, &old_tags).await?;
    let mut after = masked_view(&c);
    after["phone"] = serde_json::json!(phone.map(|p| &p.masked));
    let before_view = serde_json::json!({
        "name": before.name, "id": before.id_masked, "phone": before.phone_masked,
        "relation": before.relation.label(),
        "status": before.status.label(),
        "moved_in": before.moved_in, "moved_out": before.moved_out,
        "tags": old_tags.iter().map(|t| format!("{}:{}", t.tag, t.level)).collect::<Vec<_>>(),
    });
    if let Some(visit) = e.visit_id {
        verification::check_visit(
            &mut tx,
            k,
            visit,
            before.household_id,
            state.clock().today(),
        )
        .await?;
        verification::record_changes(&mut tx, visit, id, &before_view, &after).await?;
    }
    let record = audit::entry(
        state.now_ms(),
        &crate::audit::Actor::of(k),
        "register.person_update",
        format!("person:{id}"),
        Some(&before.node_code),
        serde_json::json!({"before": before_view, "after": after, "visit": e.visit_id}),
    );
    audit::record(&mut tx, [record]);
    tx.commit().await?;
    Ok(())
}

/// Replaces person `id`'s tags (`old`) with `tags`; a tag kept keeps its carer, next visit
/// and note.
pub(super) async fn replace_tags(
    ex: &mut impl Exec,
    id: i64,
    tags: &[(String, &'static str)],
    old: &[PersonTagRow],
) -> Result<(), AppError> {
    for t in old {
        if !tags.iter().any(|(code, _)| *code == t.tag) {
            store::remove_tag(ex, id, &t.tag).await?;
        }
    }
    let new_tags: Vec<NewTag<'_>> = tags
        .iter()
        .map(|(t, level)| {
            let old = old.iter().find(|o| o.tag == *t);
            NewTag {
                person_id: id,
                tag: t,
                level,
                carer_account_id: old.and_then(|o| o.carer_account_id),
                next_visit: old.and_then(|o| o.next_visit.clone()),
                note: old.map_or("", |o| o.note.as_str()),
            }
        })
        .collect();
    store::put_tags(ex, &new_tags).await?;
    Ok(())
}

/// Moves a household to another house (in any grid in scope); the old address stays in its history.
pub async fn move_household(
    state: &App,
    k: &Principal,
    id: i64,
    to: &Address,
) -> Result<(), AppError> {
    k.may(Resource::Resident, Verb::Write)?;
    let h = visible_household(state, k, id).await?;
    let mut tx = state.store().begin().await?;
    let grids = grid_in_scope(&mut tx, k, &to.grid).await?;
    let mut problems = Vec::new();
    to.check(&grids, &mut problems);
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let now = state.now_ms();
    let grid = to.grid.trim();
    let building =
        store::building(&mut tx, grid, to.building.trim(), to.address.trim(), now).await?;
    let house = store::houses(
        &mut tx,
        &[(
            building,
            to.unit.trim().to_owned(),
            to.floor,
            to.room.trim().to_owned(),
        )],
    )
    .await?
    .pop()
    .ok_or_else(|| AppError::Internal("house not written".into()))?;
    if house == h.house_id {
        return Err(AppError::bad("same_house", "新地址与现住址相同"));
    }
    store::move_household(
        &mut tx,
        id,
        h.house_id,
        house,
        grid,
        Some(k.account.id),
        now,
    )
    .await?;
    let record = audit::entry(
        state.now_ms(),
        &crate::audit::Actor::of(k),
        "register.household_move",
        format!("household:{id}"),
        Some(grid),
        serde_json::json!({
            "before": {"grid": h.node_code, "address": format!("{} {} {}", h.building, h.unit, h.room)},
            "after": {"grid": grid, "address": format!("{} {} {}", to.building.trim(), to.unit.trim(), to.room.trim())},
        }),
    );
    audit::record(&mut tx, [record]);
    tx.commit().await?;
    Ok(())
}

/// A search of the register.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct SearchQuery {
    /// Only under this node (default: the searcher's whole scope).
    pub node: Option<String>,
    /// A name (prefix), an exact ID number or an exact phone number.
    pub q: Option<String>,
    /// Building, unit or room contains.
    pub address: Option<String>,
    /// Has this tag (code or name).
    pub tag: Option<String>,
    /// Only this household.
    pub household: Option<i64>,
    /// Resume after this person id.
    pub after: Option<i64>,
    /// Page size (default 50, at most 200).
    pub limit: Option<u32>,
    /// The case the search is for (recorded with it).
    pub case: Option<i64>,
    /// The visit the search is for (recorded with it).
    pub visit: Option<i64>,
}

/// Searches the register within the searcher's reach: its subtree, or for a department the
/// people carrying a tag of its duty. Everything comes back masked; the search and whom it
/// listed go on the audit record.
pub async fn search(
    state: &App,
    k: &Principal,
    s: &SearchQuery,
) -> Result<Vec<PersonRow>, AppError> {
    let root = match s.node.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => {
            k.must_see(n)?;
            Some(n.to_owned())
        }
        None => k.actor.scope_root().map(str::to_owned),
    };
    let mut conn = state.store().conn().await?;
    let sight = Sight::of(&mut conn, k, Verb::List).await?;
    let purpose = Purpose {
        case: s.case,
        visit: s.visit,
    }
    .checked(state, k)
    .await?;
    let mut f = PersonFilter {
        within: root.as_deref(),
        any_tag: sight.duty(),
        address: s
            .address
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty()),
        household_id: s.household,
        ..PersonFilter::default()
    };
    let tag_code;
    if let Some(t) = s.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        tag_code = tag_codes(&mut conn)
            .await?
            .get(t)
            .cloned()
            .ok_or_else(|| AppError::bad("unknown_tag", format!("没有“{t}”这个标签")))?;
        if let Err(e) = sight.may_list_by(k, &tag_code) {
            audit::record_alone(
                state,
                k,
                "access.refused",
                format!("tag:{tag_code}"),
                root.as_deref(),
                serde_json::json!({"resource": Resource::SensitiveTag, "purpose": purpose}),
            )
            .await?;
            return Err(e);
        }
        f.tag = Some(&tag_code);
    }
    if let Some(q) = s.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        if let Ok(id) = IdNumber::parse(q, state.clock().date()) {
            f.id_index = Some(state.vault().index(Field::IdNumber, &id.number));
        } else if q.chars().filter(char::is_ascii_digit).count() >= 7 {
            let phone = normalize_phone(q).map_err(|_| {
                AppError::bad(
                    "invalid_query",
                    "按号码查找须输入完整的 18 位身份证号或完整的电话号码",
                )
            })?;
            f.phone_index = Some(state.vault().index(Field::Phone, &phone));
        } else {
            f.name_prefix = Some(q);
        }
    }
    // A name prefix inside one community is one index range.
    let community: Option<String> = root
        .as_deref()
        .filter(|r| r.len() >= 12)
        .map(|r| r[..12].to_owned());
    if f.name_prefix.is_some() {
        f.community = community.as_deref();
    }
    let limit = crate::input::page_size(s.limit, 50, 200)?;
    let found = store::search(&mut conn, &f, s.after.unwrap_or(0), limit).await?;
    audit::record_alone(
        state,
        k,
        "register.person_list",
        "persons".into(),
        root.as_deref(),
        serde_json::json!({
            "purpose": purpose,
            "tag": f.tag,
            "duty": sight.duty(),
            "persons": found.iter().map(|p| p.id).collect::<Vec<_>>(),
        }),
    )
    .await?;
    Ok(found)
}

/// Which personal value to reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RevealField {
    /// 公民身份号码.
    IdNumber,
    /// 联系电话.
    Phone,
}

/// A person's full ID or phone number: for roles that need it, in their scope, recorded in
/// the audit trail before it is shown.
pub async fn reveal(
    state: &App,
    k: &Principal,
    id: i64,
    field: RevealField,
) -> Result<String, AppError> {
    k.may(Resource::PersonalNumbers, Verb::Reveal)?;
    let p = visible_person(state, k, id).await?;
    let (which, f, masked, action) = match field {
        RevealField::IdNumber => (
            Sealed::IdNumber,
            Field::IdNumber,
            &p.id_masked,
            "register.reveal_id_number",
        ),
        RevealField::Phone => (
            Sealed::Phone,
            Field::Phone,
            &p.phone_masked,
            "register.reveal_phone",
        ),
    };
    let mut tx = state.store().begin().await?;
    let sealed = store::sealed(&mut tx, id, which)
        .await?
        .ok_or_else(|| AppError::NotFound("没有登记这一项".into()))?;
    let record = audit::entry(
        state.now_ms(),
        &crate::audit::Actor::of(k),
        action,
        format!("person:{id}"),
        Some(&p.node_code),
        serde_json::json!({"name": p.name, "masked": masked}),
    );
    audit::record(&mut tx, [record]);
    tx.commit().await?;
    state
        .vault()
        .open(f, &sealed)
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// A person with their household, tags and history.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PersonDetail {
    /// The person (masked).
    pub person: PersonRow,
    /// Their tags.
    pub tags: Vec<PersonTagRow>,
    /// Everyone in their household (masked), with the person.
    pub household: Vec<PersonRow>,
    /// Where the household lived before.
    pub moves: Vec<store::MoveRow>,
    /// Cases this person reported (matched by phone through the blind index).
    pub cases: Vec<shanzhi_store::cases::CaseRow>,
}

/// A person's page: the person, the tags the caller may see, and — within the subtree — the
/// household, its moves and the cases the person reported. The opening and why go on the
/// audit record first.
pub async fn detail(
    state: &App,
    k: &Principal,
    id: i64,
    purpose: &Purpose,
) -> Result<PersonDetail, AppError> {
    let mut conn = state.store().conn().await?;
    let sight = Sight::of(&mut conn, k, Verb::Read).await?;
    let why = purpose.checked(state, k).await?;
    let person = visible_in(&mut conn, k, &sight, id).await?;
    let tags = sight.visible_tags(store::tags_of(&mut conn, &[id]).await?);
    let (household, moves, cases) = if sight.duty().is_some() {
        (vec![person.clone()], Vec::new(), Vec::new())
    } else {
        let household = store::search(
            &mut conn,
            &PersonFilter {
                household_id: Some(person.household_id),
                ..PersonFilter::default()
            },
            0,
            200,
        )
        .await?;
        let moves = store::moves(&mut conn, person.household_id).await?;
        let cases = match store::phone_index(&mut conn, id).await? {
            Some(ix) => {
                shanzhi_store::cases::by_reporter_phone(&mut conn, &ix, k.actor.scope_root(), 20)
                    .await?
            }
            None => Vec::new(),
        };
        (household, moves, cases)
    };
    drop(conn);
    audit::record_alone(
        state,
        k,
        "register.person_read",
        format!("person:{id}"),
        Some(&person.node_code),
        serde_json::json!({
            "name": person.name,
            "purpose": why,
            "tags": tags.iter().map(|t| t.tag.as_str()).collect::<Vec<_>>(),
        }),
    )
    .await?;
    Ok(PersonDetail {
        person,
        tags,
        household,
        moves,
        cases,
    })
}

/// The tags the caller may list people by (a register's filter): every tag within a subtree
/// that shows sensitive ones, the non-sensitive ones elsewhere, a department's duties.
pub async fn listable_tags(state: &App, k: &Principal) -> Result<Vec<TagKindRow>, AppError> {
    let mut conn = state.store().conn().await?;
    let sight = Sight::of(&mut conn, k, Verb::List).await?;
    Ok(store::tag_kinds(&mut conn)
        .await?
        .into_iter()
        .filter(|t| sight.may_list_by(k, &t.code).is_ok())
        .collect())
}

/// The configured list of tags (重点人群) with their attention levels.
pub async fn tag_kinds(state: &App) -> Result<Vec<TagKindRow>, AppError> {
    Ok(store::tag_kinds(&mut state.store().conn().await?).await?)
}
