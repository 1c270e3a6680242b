//! Residents sheets (居民信息表) in: the first pass checks every row and remembers only what
//! cross-row rules need (one blind index per person, one entry per household); the second pass
//! reads the file again, seals, and writes it all in one transaction.

use super::import::{Changes, Phase, Problems, Progress, Reading, Report, Upload, describe};
use super::resident_refresh::{Refresh, names};
use super::residents::{
    Address, Checked, MemberInput, Sealing, check_member, grids_in_scope, new_person, tag_codes,
};
use super::source::{self, Notice};
use crate::audit::{self, Actor};
use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError, Principal};
use shanzhi_domain::personal::Sex;
use shanzhi_domain::register::home::{Home, parse_home};
use shanzhi_domain::register::resident::{PersonInput, check_floor, check_household_counts};
use shanzhi_domain::register::sheet::{Mapping, RESIDENT_COLUMNS, resident_columns_by_address};
use shanzhi_domain::register::vocab::Relation;
use shanzhi_store::Exec;
use shanzhi_store::residents::{self as store, HouseKey, NewHousehold, NewPerson, NewTag};
use shanzhi_store::vault::Vault;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// A resident row of a sheet, checked and sealed, ready to write.
pub(super) struct SheetRow {
    pub(super) grid: String,
    pub(super) building: String,
    pub(super) address: String,
    pub(super) unit: String,
    pub(super) floor: Option<i32>,
    pub(super) room: String,
    pub(super) reference: String,
    pub(super) member: Checked,
    /// A refresh keeps the phone on record (the sheet's is masked).
    pub(super) keep_phone: bool,
}

/// Context for checking sheet rows.
struct SheetRules {
    mapping: Mapping,
    grids: HashSet<String>,
    tags: HashMap<String, String>,
    vault: Arc<Vault>,
    sealing: Sealing,
    today: time::Date,
    /// A refresh: masked phones keep the one on record.
    update: bool,
    /// How the sheet says where people live.
    source: Whereabouts,
}

/// Where a sheet says people live: in columns, or (a grid's own register) only in 现住址,
/// the grid given at import and the households told apart by 与户主关系.
#[derive(Debug, Clone, Default)]
pub(super) struct Whereabouts {
    /// The grid for rows without one (`--grid`, the page's grid).
    grid: Option<String>,
    /// Building, unit and room are read from 现住址.
    by_address: bool,
    /// No 户编号 column: households are told apart by [`Households`].
    households: bool,
}

impl Whereabouts {
    /// How a sheet mapped as `m` says where people live, or what is missing to tell it.
    fn of(m: &Mapping, grid: Option<&str>) -> Result<Whereabouts, String> {
        let by_address = !(m.has("building") && m.has("room"));
        if by_address && !m.has("address") {
            return Err("缺少必填列“楼栋”“房号”：或有“现住址”一列，从中分出楼栋和房号".into());
        }
        let grid = grid.map(str::trim).filter(|g| !g.is_empty());
        if !m.has("grid") && grid.is_none() {
            return Err(
                "表中没有“网格编码”列：请在网格的台账页导入（命令行加 --grid），或加上这一列"
                    .into(),
            );
        }
        Ok(Whereabouts {
            grid: grid.map(str::to_owned),
            by_address,
            households: !m.has("household"),
        })
    }

    /// What it says, for the report.
    fn notices(&self, households: usize) -> Vec<Notice> {
        let mut said = Vec::new();
        if self.by_address {
            said.push("楼栋、单元和房号从“现住址”中分出".to_owned());
        }
        if self.households {
            said.push(format!(
                "表中没有户编号：按“与户主关系”和住址分为 {households} 户（同一住址为一户，再遇“户主”另起一户）"
            ));
        }
        if let Some(g) = self
            .grid
            .as_ref()
            .filter(|_| self.by_address || self.households)
        {
            said.push(format!("没有网格编码的行记入网格 {g}"));
        }
        said.into_iter()
            .map(|message| Notice { row: None, message })
            .collect()
    }
}

/// Households told apart in a sheet without 户编号, the same way in both passes: one per home,
/// and a new one at each further 户主 in the same home; each is numbered by its address.
#[derive(Default)]
struct Households(HashMap<u64, (u16, u16)>);

impl Households {
    fn assign(&mut self, r: &mut SheetRow) {
        let (heads, number) = self.0.entry(house_hash(r)).or_insert((0, 1));
        if r.member.person.relation == Relation::Head {
            if *heads > 0 {
                *number += 1;
            }
            *heads += 1;
        }
        let home: Vec<&str> = [r.building.as_str(), r.unit.as_str(), r.room.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        r.reference = match *number {
            1 => home.join("-"),
            n => format!("{}#{n}", home.join("-")),
        };
    }
}

impl SheetRules {
    /// Checks one row: its problems go to `problems` with the row number.
    fn check(&self, row: u32, cells: &[String], problems: &mut Problems) -> Option<SheetRow> {
        let m = &self.mapping;
        let get = |k: &str| m.get(cells, k).to_owned();
        let mut list = Vec::new();
        let mut grid = get("grid");
        if grid.is_empty() {
            grid = self.source.grid.clone().unwrap_or_default();
        }
        let home = if self.source.by_address {
            let written = get("address");
            parse_home(&written).unwrap_or_else(|| {
                list.push((
                    "现住址",
                    format!(
                        "现住址“{written}”分不出楼栋和房号：请写成“小区+栋+单元+室”或“村+组+号”，或加上楼栋、房号列"
                    ),
                ));
                // Placeholders: the row is refused for its address alone.
                Home {
                    building: "-".into(),
                    unit: String::new(),
                    room: "-".into(),
                }
            })
        } else {
            Home {
                building: get("building"),
                unit: get("unit"),
                room: get("room"),
            }
        };
        let address = Address {
            grid,
            building: home.building,
            address: get("address"),
            unit: home.unit,
            floor: None,
            room: home.room,
        };
        address.check(&self.grids, &mut list);
        let floor_text = get("floor");
        let floor = if floor_text.is_empty() {
            None
        } else {
            let f = floor_text
                .trim_end_matches(['层', '楼'])
                .parse::<i32>()
                .ok();
            match f.map(check_floor) {
                None => list.push(("楼层", format!("楼层“{floor_text}”应为整数"))),
                Some(Err(e)) => list.push(("楼层", e)),
                Some(Ok(())) => {}
            }
            f
        };
        let reference = get("household");
        if reference.is_empty() && !self.source.households {
            list.push(("户编号", "请填写户编号：同一户的成员填同一个编号".into()));
        }
        let id_text = get("id_number");
        let phone = get("phone");
        let keep_phone = self.update && phone.contains('*');
        let member = MemberInput {
            person: PersonInput {
                name: get("name"),
                id_number: id_text.clone(),
                phone: if keep_phone { String::new() } else { phone },
                relation: get("relation"),
                status: get("status"),
                moved_in: get("moved_in"),
                moved_out: get("moved_out"),
                note: get("note"),
            },
            tags: get("tags"),
        };
        let mut person_problems = Vec::new();
        let checked = check_member(
            &member,
            (&self.vault, self.sealing),
            &self.tags,
            self.today,
            &mut person_problems,
        );
        for (field, message) in person_problems {
            let message = if field == "公民身份号码" && id_text.contains(['e', 'E']) {
                "身份证号被 Excel 存成了数字，后几位已经丢失：请把这一列设为“文本”后重新填写"
                    .to_owned()
            } else {
                message
            };
            list.push((field, message));
        }
        let sex = get("sex");
        if !sex.is_empty() {
            match (Sex::from_typed(&sex), &checked) {
                (None, _) => list.push(("性别", format!("性别“{sex}”应填写“男”或“女”"))),
                (Some(typed), Some(c)) if typed != c.person.id.sex => list.push((
                    "性别",
                    format!(
                        "性别“{sex}”与身份证号不符（按身份证号应为{}）：请核对性别或身份证号",
                        c.person.id.sex.label()
                    ),
                )),
                _ => {}
            }
        }
        for (field, message) in &list {
            problems.add(row, field, message.clone());
        }
        let member = checked.filter(|_| list.is_empty())?;
        Some(SheetRow {
            grid: address.grid.trim().to_owned(),
            building: address.building.trim().to_owned(),
            address: address.address.trim().to_owned(),
            unit: address.unit.trim().to_owned(),
            floor,
            room: address.room.trim().to_owned(),
            reference,
            member,
            keep_phone,
        })
    }
}

/// What the first pass remembers of each household, kept small (a city's sheet has hundreds
/// of thousands): where its number is in [`Seen::numbers`], its first row, a hash of its
/// address, its heads and spouses.
struct HouseholdSeen {
    number: (u32, u32),
    first_row: u32,
    house: u64,
    heads: u16,
    spouses: u16,
    members: u16,
}

/// The households of a sheet's first pass. Their numbers share one string: a box each would
/// cost an allocation and 16 bytes more per household.
#[derive(Default)]
struct Seen {
    households: HashMap<HouseholdKey, HouseholdSeen>,
    numbers: String,
}

impl Seen {
    /// The household `r` belongs to, counted as a member of it.
    fn member(&mut self, key: HouseholdKey, r: &SheetRow, row: u32) -> &HouseholdSeen {
        let numbers = &mut self.numbers;
        let seen = self.households.entry(key).or_insert_with(|| {
            let start = numbers.len() as u32;
            numbers.push_str(&r.reference);
            HouseholdSeen {
                number: (start, numbers.len() as u32),
                first_row: row,
                house: house_hash(r),
                heads: 0,
                spouses: 0,
                members: 0,
            }
        });
        seen.members = seen.members.saturating_add(1);
        match r.member.person.relation {
            Relation::Head => seen.heads = seen.heads.saturating_add(1),
            Relation::Spouse => seen.spouses = seen.spouses.saturating_add(1),
            _ => {}
        }
        seen
    }

    /// A household's 户编号.
    fn number(&self, h: &HouseholdSeen) -> &str {
        self.numbers
            .get(h.number.0 as usize..h.number.1 as usize)
            .unwrap_or_default()
    }
}

/// How many households a sheet without 户编号 shows in its report, as the grouping made them.
const SHOWN_HOUSEHOLDS: usize = 20;

/// A blind index as a fixed array: 16 bytes in the map instead of a heap vector.
pub(super) type IndexKey = [u8; 16];

/// The map key of a blind index.
pub(super) fn index_key(index: &[u8]) -> IndexKey {
    let mut k = [0u8; 16];
    let n = index.len().min(16);
    k[..n].copy_from_slice(&index[..n]);
    k
}

fn house_hash(r: &SheetRow) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    (&r.grid, &r.building, &r.unit, &r.room).hash(&mut h);
    h.finish()
}

/// Rows handed from the reading thread to the writer at a time.
const WRITE_BATCH: usize = 2000;

/// Imports a residents sheet: checks every row, then (unless `check_only`) writes all of it in
/// one transaction, read as the user said (`reading`).
pub async fn import(
    state: &App,
    k: &Principal,
    upload: &Upload,
    reading: &Reading,
    check_only: bool,
    progress: &Arc<Progress>,
) -> Result<Report, AppError> {
    k.may(Resource::Resident, Verb::Write)?;
    let (grids, tags) = {
        let mut conn = state.store().conn().await?;
        (
            grids_in_scope(&mut conn, k).await?,
            tag_codes(&mut conn).await?,
        )
    };
    let vault = state.config().vault.clone();
    // Pass 1, on a blocking thread: read, check, seal nothing but index ID numbers.
    progress.enter(Phase::Checking);
    let first = {
        let (path, format, reading) = (upload.path.clone(), upload.format, reading.clone());
        let progress = progress.clone();
        let (vault, today, update) = (vault.clone(), state.clock().date(), reading.update);
        // A second pass follows unless only checking (a refresh's preview compares in one).
        let again = !check_only || update;
        let rules_of = move |mapping, source| SheetRules {
            mapping,
            grids,
            tags,
            vault,
            sealing: Sealing::IndexOnly,
            today,
            update,
            source,
        };
        tokio::task::spawn_blocking(move || {
            first_pass((&path, format, again), &reading, rules_of, &progress)
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??
    };
    let FirstPass {
        mut report,
        rules,
        ids,
        seen,
        kept,
    } = first;
    let Some(rules) = rules.map(|r| SheetRules {
        sealing: Sealing::Full,
        ..r
    }) else {
        return Ok(report);
    };
    // Households: one head, at most one spouse, one address.
    for h in seen.households.values() {
        if let Err(e) = check_household_counts(h.heads.into(), h.spouses.into()) {
            report.problems.add(
                h.first_row,
                "户编号",
                format!("户编号 {}：{e}", seen.number(h)),
            );
        }
    }
    // ID numbers already in the register: refused, or in a refresh compared.
    progress.enter(Phase::Matching);
    let mut refresh = None;
    {
        let mut conn = state.store().conn().await?;
        let mut existing = HashMap::new();
        for chunk in ids.0.chunks(4000) {
            // Made a chunk at a time: all at once, a city's sheet would hold 5,000,000 vectors.
            let asked: Vec<Vec<u8>> = chunk.iter().map(|(k, _)| k.to_vec()).collect();
            for r in store::registered(&mut conn, &asked).await? {
                let key = index_key(&r.id_index);
                let Some(row) = ids.row_of(&key) else {
                    continue;
                };
                if !reading.update {
                    report.problems.add(
                        row,
                        "公民身份号码",
                        "此人已登记在册（一人只能属于一户）：请删去这一行，或先将其从原户迁出；要更新已登记的人员，请选择“更新导入”",
                    );
                } else if !rules.grids.contains(&r.person.node_code) {
                    report.problems.add(
                        row,
                        "公民身份号码",
                        format!(
                            "此人登记在网格 {}，不在您负责的范围：不能在这里修改，请联系其所在社区",
                            r.person.node_code
                        ),
                    );
                } else {
                    existing.insert(key, r);
                }
            }
            progress
                .rows
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
        if reading.update {
            let people: Vec<i64> = existing.values().map(|r| r.person.id).collect();
            let mut tags = Vec::new();
            for chunk in people.chunks(4000) {
                tags.extend(store::tags_of(&mut conn, chunk).await?);
            }
            let kinds = store::tag_kinds(&mut conn).await?;
            refresh = Some(Refresh::new(existing, tags, names(&kinds), &rules.mapping));
        }
    }
    drop(ids);
    drop(seen);
    report.problems.sort();
    if !report.problems.is_empty() || (check_only && refresh.is_none()) {
        progress.enter(Phase::Done);
        return Ok(report);
    }
    // Pass 2: read again, seal, and write everything in one transaction (a refresh's preview
    // compares and writes nothing).
    progress.enter(Phase::Writing);
    let (tx_rows, mut rx_rows) = tokio::sync::mpsc::channel::<Vec<(u32, SheetRow)>>(4);
    let reader = {
        let (path, format, layout) = (
            upload.path.clone(),
            upload.format,
            reading.layout(RESIDENT_COLUMNS),
        );
        let progress = progress.clone();
        tokio::task::spawn_blocking(move || {
            second_pass((&path, format, &layout, kept), &rules, &progress, &tx_rows)
        })
    };
    let read = |r: Result<Result<(), source::SourceError>, tokio::task::JoinError>| {
        r.map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| AppError::bad("unreadable_file", e.to_string()))
    };
    let mut writer = Writer {
        refresh,
        ..Writer::default()
    };
    let actor = crate::audit::Actor::of(k);
    if check_only {
        let mut conn = state.store().conn().await?;
        writer
            .drain(&mut conn, &mut rx_rows, None, progress)
            .await?;
        read(reader.await)?;
        report.households = writer.created;
        report.changes = writer.finish(&mut conn, reading.missing).await?;
        progress.enter(Phase::Done);
        return Ok(report);
    }
    let mut tx = state.store().begin().await?;
    let bulk = if writer.refresh.is_some() {
        0
    } else {
        report.rows
    };
    let deferred = store::defer_register_indexes(&mut tx, bulk).await?;
    let now = state.now_ms();
    writer
        .drain(&mut tx, &mut rx_rows, Some((&actor, now)), progress)
        .await?;
    read(reader.await)?;
    progress.enter(Phase::Indexing);
    store::restore_indexes(&mut tx, deferred).await?;
    report.households = writer.created;
    let (action, mut detail) = match &mut writer.refresh {
        Some(refresh) => {
            audit::record(&mut tx, std::mem::take(&mut refresh.records));
            (
                "register.refresh_residents",
                serde_json::json!({"new": refresh.changes.new, "changed": refresh.changes.changed, "moved": refresh.changes.moved, "unchanged": refresh.changes.unchanged}),
            )
        }
        None => ("register.import_residents", serde_json::json!({})),
    };
    report.written = writer.persons + writer.refresh.as_ref().map_or(0, |r| r.written);
    detail["rows"] = report.rows.into();
    detail["persons"] = report.written.into();
    detail["households"] = report.households.into();
    let record = audit::entry(
        state.now_ms(),
        &actor,
        action,
        format!("file:{}", upload.name),
        k.actor.scope_root(),
        detail,
    );
    audit::record(&mut tx, [record]);
    report.changes = writer.finish(&mut tx, reading.missing).await?;
    tx.commit().await?;
    report.committed = true;
    progress.enter(Phase::Done);
    Ok(report)
}

struct FirstPass {
    report: Report,
    rules: Option<SheetRules>,
    ids: Ids,
    seen: Seen,
    /// A spreadsheet's rows, for the second pass.
    kept: Option<source::Kept>,
}

/// The sheet's ID numbers (blind index, first row), sorted by index with each once. A sorted
/// array: 20 bytes a person, where a hash map took twice that and more while it grew.
struct Ids(Vec<(IndexKey, u32)>);

impl Ids {
    /// Sorts the rows' indexes; every row repeating an earlier row's ID number is a problem.
    fn of(mut all: Vec<(IndexKey, u32)>, problems: &mut Problems) -> Ids {
        all.sort_unstable();
        all.dedup_by(|later, first| {
            let same = later.0 == first.0;
            if same {
                problems.add(
                    later.1,
                    "公民身份号码",
                    format!("与第 {} 行的身份证号相同：一人只能登记一次", first.1),
                );
            }
            same
        });
        Ids(all)
    }

    /// The first row with this index.
    fn row_of(&self, key: &IndexKey) -> Option<u32> {
        let at = self.0.binary_search_by_key(key, |(k, _)| *k).ok()?;
        Some(self.0[at].1)
    }
}

/// Reads the sheet at `path` in `format`, keeping its rows when `again` (a second pass follows).
fn first_pass(
    (path, format, again): (&std::path::Path, source::Format, bool),
    reading: &Reading,
    rules_of: impl FnOnce(Mapping, Whereabouts) -> SheetRules,
    progress: &Progress,
) -> Result<FirstPass, AppError> {
    let mut report = Report::default();
    let mut rules: Option<SheetRules> = None;
    let mut ids: Vec<(IndexKey, u32)> = Vec::new();
    let mut seen = Seen::default();
    let mut derived = Households::default();
    let mut shown: Vec<(HouseholdKey, String)> = Vec::new();
    // The rules are made once, when the headers are known.
    let mut rules_of = Some(rules_of);
    let layout = reading.layout(RESIDENT_COLUMNS);
    let kept = source::read_ahead(path, format, &layout, &progress.read, again, |item| {
        let (row, cells) = match item {
            source::Item::Note(n) => {
                report.notices.push(n);
                return true;
            }
            source::Item::Headers(at, headers) => {
                report.header_row = at;
                report.headers = headers.to_vec();
                return match Mapping::new(resident_columns_by_address(), headers, &reading.mapping)
                {
                    Ok(m) => {
                        report.mapping = describe(&m, headers);
                        match Whereabouts::of(&m, reading.grid.as_deref()) {
                            Ok(w) => {
                                rules = rules_of.take().map(|make| make(m, w));
                                true
                            }
                            Err(e) => {
                                report.problems.add(at, "表头", e);
                                false
                            }
                        }
                    }
                    Err(u) => {
                        report.mapping = describe(&u.partial, headers);
                        for e in u.errors {
                            report.problems.add(at, "表头", e);
                        }
                        false
                    }
                };
            }
            source::Item::Row(r) => r,
        };
        report.rows += 1;
        progress.rows.fetch_add(1, Ordering::Relaxed);
        let Some(r) = rules.as_ref() else {
            return false;
        };
        let Some(mut sheet_row) = r.check(row, &cells, &mut report.problems) else {
            return true;
        };
        if r.source.households {
            derived.assign(&mut sheet_row);
        }
        ids.push((index_key(&sheet_row.member.id.index), row));
        let key = household_key(&sheet_row);
        let house = house_hash(&sheet_row);
        let seen = seen.member(key, &sheet_row, row);
        if r.source.households && seen.members == 1 && shown.len() < SHOWN_HOUSEHOLDS {
            shown.push((key, sheet_row.member.person.name.clone()));
        }
        if seen.house != house {
            report.problems.add(
                row,
                "户编号",
                format!(
                    "户编号 {} 在第 {} 行的住址与这一行不同：同一户只能住一处",
                    sheet_row.reference, seen.first_row
                ),
            );
        }
        true
    })
    .map_err(|e| AppError::bad("unreadable_file", e.to_string()))?;
    if report.rows == 0 && rules.is_some() {
        report
            .problems
            .add(report.header_row + 1, "", "文件只有表头，没有数据行");
    }
    let ids = Ids::of(ids, &mut report.problems);
    if let Some(r) = &rules {
        report
            .notices
            .extend(r.source.notices(seen.households.len()));
        // The grouping as it came out, household by household, for the preview.
        report
            .notices
            .extend(shown.iter().filter_map(|(key, first)| {
                let h = seen.households.get(key)?;
                Some(Notice {
                    row: Some(h.first_row),
                    message: format!(
                        "户编号 {}（第 {} 行起）：{first}{}",
                        seen.number(h),
                        h.first_row,
                        if h.members > 1 {
                            format!(" 等 {} 人", h.members)
                        } else {
                            String::new()
                        }
                    ),
                })
            }));
    }
    report.households = seen.households.len() as u64;
    Ok(FirstPass {
        report,
        rules,
        ids,
        seen,
        kept,
    })
}

/// The sheet (its path, format and layout) or the rows the first pass kept of it.
type Again<'a> = (
    &'a std::path::Path,
    source::Format,
    &'a source::Layout,
    Option<source::Kept>,
);

fn second_pass(
    (path, format, layout, kept): Again<'_>,
    rules: &SheetRules,
    progress: &Progress,
    out: &tokio::sync::mpsc::Sender<Vec<(u32, SheetRow)>>,
) -> Result<(), source::SourceError> {
    let mut batch = Vec::with_capacity(WRITE_BATCH);
    let mut ignored = Problems::default();
    let mut derived = Households::default();
    let mut open = true;
    let mut each = |(row, cells): source::Row| {
        if let Some(mut r) = rules.check(row, &cells, &mut ignored) {
            if rules.source.households {
                derived.assign(&mut r);
            }
            batch.push((row, r));
        }
        if batch.len() == WRITE_BATCH {
            open = out.blocking_send(std::mem::take(&mut batch)).is_ok();
        }
        open
    };
    match kept {
        Some(rows) => rows.replay(&progress.read, each)?,
        None => source::read(path, format, layout, &progress.read, |item| match item {
            source::Item::Row(r) => each(r),
            _ => true,
        })?,
    }
    if !batch.is_empty() {
        let _ = out.blocking_send(batch);
    }
    Ok(())
}

/// A household's key in the writer's map: 16 bytes of SHA-256 over its grid and number. A
/// city's sheet has hundreds of thousands of households; two strings each would cost about
/// 100 MB, and a 128-bit digest never confuses two of them in practice.
pub(super) type HouseholdKey = [u8; 16];

fn household_key(r: &SheetRow) -> HouseholdKey {
    use sha2::Digest;
    let digest = sha2::Sha256::new()
        .chain_update(r.grid.as_bytes())
        .chain_update([0])
        .chain_update(r.reference.as_bytes())
        .finalize();
    let mut k = [0u8; 16];
    k.copy_from_slice(&digest[..16]);
    k
}

/// The second pass's writer: remembers the buildings and households it has made (houses are
/// found again by the database's unique key when a new household needs one); in a refresh,
/// also what it compares.
#[derive(Default)]
struct Writer {
    /// Grid → building name → id (looked up per row without building a key).
    buildings: HashMap<String, HashMap<String, i64>>,
    households: HashMap<HouseholdKey, i64>,
    /// A preview's households that writing would create.
    planned: HashSet<HouseholdKey>,
    /// Households created (or, in a preview, to be).
    created: u64,
    persons: u64,
    refresh: Option<Refresh>,
}

impl Writer {
    fn building(&self, r: &SheetRow) -> Option<i64> {
        self.buildings.get(&r.grid)?.get(&r.building).copied()
    }

    /// Takes every batch of the second pass: writes it when `write` says who writes and when,
    /// else (a refresh's preview) only compares.
    async fn drain(
        &mut self,
        ex: &mut impl Exec,
        rows: &mut tokio::sync::mpsc::Receiver<Vec<(u32, SheetRow)>>,
        write: Option<(&Actor, i64)>,
        progress: &Progress,
    ) -> Result<(), AppError> {
        while let Some(batch) = rows.recv().await {
            let sheet: Vec<&SheetRow> = batch.iter().map(|(_, r)| r).collect();
            let keys: Vec<HouseholdKey> = sheet.iter().map(|r| household_key(r)).collect();
            let mut new = sheet.clone();
            if let Some(refresh) = &mut self.refresh {
                refresh
                    .look_up(ex, &sheet, &keys, &mut self.households, write)
                    .await?;
            }
            self.households_for(ex, &sheet, &keys, write.map(|(_, now)| now))
                .await?;
            if let Some(refresh) = &mut self.refresh {
                new = refresh
                    .compare(ex, &batch, &keys, &self.households, write)
                    .await?;
            }
            if let Some((_, now)) = write {
                self.insert(ex, &new, now).await?;
            }
            progress
                .rows
                .fetch_add(batch.len() as u64, Ordering::Relaxed);
        }
        Ok(())
    }

    /// The refresh's changes, with who is missing from the sheet when asked.
    async fn finish(
        &mut self,
        ex: &mut impl Exec,
        missing: bool,
    ) -> Result<Option<Changes>, AppError> {
        let Some(refresh) = &mut self.refresh else {
            return Ok(None);
        };
        if missing {
            refresh.missing(ex).await?;
        }
        refresh
            .changes
            .listed
            .sort_by_key(|c| c.row.unwrap_or(u32::MAX));
        Ok(Some(std::mem::take(&mut refresh.changes)))
    }

    /// Makes the batch's buildings and households not yet known (at `now`; a preview, with
    /// none, only counts the households).
    async fn households_for(
        &mut self,
        ex: &mut impl Exec,
        rows: &[&SheetRow],
        keys: &[HouseholdKey],
        now: Option<i64>,
    ) -> Result<(), AppError> {
        let Some(now) = now else {
            for k in keys {
                if !self.households.contains_key(k) && self.planned.insert(*k) {
                    self.created += 1;
                }
            }
            return Ok(());
        };
        for (r, k) in rows.iter().zip(keys) {
            if self.building(r).is_none() && !self.households.contains_key(k) {
                let id = store::building(ex, &r.grid, &r.building, &r.address, now).await?;
                self.buildings
                    .entry(r.grid.clone())
                    .or_default()
                    .insert(r.building.clone(), id);
            }
        }
        // Households new in this batch (their first row), and the houses they live in, each
        // house once.
        let mut fresh: Vec<(&SheetRow, HouseholdKey, usize)> = Vec::new();
        let mut asked = HashSet::new();
        let mut house_at: HashMap<(i64, &str, &str), usize> = HashMap::new();
        let mut house_keys: Vec<HouseKey> = Vec::new();
        for (r, k) in rows.iter().zip(keys) {
            if self.households.contains_key(k) || !asked.insert(*k) {
                continue;
            }
            let b = self.building(r).unwrap_or_default();
            let house = *house_at
                .entry((b, r.unit.as_str(), r.room.as_str()))
                .or_insert_with(|| {
                    house_keys.push((b, r.unit.clone(), r.floor, r.room.clone()));
                    house_keys.len() - 1
                });
            fresh.push((r, *k, house));
        }
        let house_ids = store::houses(ex, &house_keys).await?;
        let new_households: Vec<NewHousehold<'_>> = fresh
            .iter()
            .map(|(r, _, house)| (house_ids[*house], r.grid.as_str(), r.reference.as_str(), ""))
            .collect();
        let ids = store::insert_households(ex, &new_households, now).await?;
        self.created += ids.len() as u64;
        self.households
            .extend(fresh.iter().zip(ids).map(|((_, k, _), id)| (*k, id)));
        Ok(())
    }

    /// Registers people not on record, in the households made for them.
    async fn insert(
        &mut self,
        ex: &mut impl Exec,
        rows: &[&SheetRow],
        now: i64,
    ) -> Result<(), AppError> {
        let persons: Vec<NewPerson<'_>> = rows
            .iter()
            .map(|r| {
                let household = self.households.get(&household_key(r)).copied();
                new_person(household.unwrap_or_default(), &r.grid, &r.member)
            })
            .collect();
        let ids = store::insert_persons(ex, &persons, now).await?;
        let tags: Vec<NewTag<'_>> = rows
            .iter()
            .zip(ids)
            .flat_map(|(r, pid)| {
                r.member.tags.iter().map(move |(t, level)| NewTag {
                    person_id: pid,
                    tag: t,
                    level,
                    carer_account_id: None,
                    next_visit: None,
                    note: "",
                })
            })
            .collect();
        store::put_tags(ex, &tags).await?;
        self.persons += rows.len() as u64;
        Ok(())
    }
}
