//! A residents sheet as a refresh (更新导入): the monthly register sent again, corrected. Each
//! row whose ID number is on record is compared with the record field by field; the person
//! is updated, or moved to the household the sheet puts them in, and a household whose
//! address changed moves. Columns the sheet leaves out (and masked phones) keep what is on
//! record. The preview is the same comparison without the writes.

use super::import::{Change, ChangeKind, Changes, FieldChange, differences, phone_change};
use super::resident_sheet::{HouseholdKey, IndexKey, SheetRow, index_key};
use super::residents::replace_tags;
use crate::AppError;
use crate::audit::{self, Actor};
use shanzhi_domain::register::sheet::Mapping;
use shanzhi_domain::register::vocab::Attention;
use shanzhi_store::Exec;
use shanzhi_store::audit::NewAudit;
use shanzhi_store::residents::{self as store, HouseholdRow, PersonTagRow, Registered};
use shanzhi_store::vault::SealedValue;
use std::collections::{HashMap, HashSet};

/// Which optional columns the sheet has: those it lacks keep what is on record.
#[derive(Debug, Clone, Copy)]
pub(super) struct Present {
    phone: bool,
    moved_in: bool,
    moved_out: bool,
    tags: bool,
    note: bool,
}

impl Present {
    /// Read from the sheet's mapping.
    pub(super) fn of(m: &Mapping) -> Present {
        Present {
            phone: m.has("phone"),
            moved_in: m.has("moved_in"),
            moved_out: m.has("moved_out"),
            tags: m.has("tags"),
            note: m.has("note"),
        }
    }
}

/// What a refresh knows while it goes through the sheet.
pub(super) struct Refresh {
    /// The sheet's people who are on record, by ID number's blind index.
    pub(super) existing: HashMap<IndexKey, Registered>,
    /// Their tags, by person.
    tags: HashMap<i64, Vec<PersonTagRow>>,
    /// Tag kind code → name, for the preview.
    tag_names: HashMap<String, String>,
    present: Present,
    /// The grids the sheet names (where people missing from it are looked for).
    pub(super) grids: HashSet<String>,
    /// Households of the sheet already looked up (on record or not).
    looked_up: HashSet<HouseholdKey>,
    /// What the refresh finds.
    pub(super) changes: Changes,
    /// Records written.
    pub(super) written: u64,
    /// The audit records of what was written, for the writer's transaction.
    pub(super) records: Vec<NewAudit>,
}

/// A person on record as a refresh shows them: name and masked ID number.
fn who(p: &Registered) -> String {
    format!(
        "{} {}",
        p.person.name,
        p.person.id_masked.as_deref().unwrap_or_default()
    )
}

fn place(grid: &str, reference: &str, building: &str, unit: &str, room: &str) -> String {
    let at: Vec<&str> = [building, unit, room]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    format!("{grid} 户编号 {reference}（{}）", at.join(" "))
}

impl Refresh {
    /// Starts a refresh of the people `existing` (with their `tags`), for a sheet mapped as
    /// `mapping`.
    pub(super) fn new(
        existing: HashMap<IndexKey, Registered>,
        tags: Vec<PersonTagRow>,
        tag_names: HashMap<String, String>,
        mapping: &Mapping,
    ) -> Refresh {
        let mut by_person: HashMap<i64, Vec<PersonTagRow>> = HashMap::new();
        for t in tags {
            by_person.entry(t.person_id).or_default().push(t);
        }
        Refresh {
            existing,
            tags: by_person,
            tag_names,
            present: Present::of(mapping),
            grids: HashSet::new(),
            looked_up: HashSet::new(),
            changes: Changes::default(),
            written: 0,
            records: Vec::new(),
        }
    }

    fn tag_text(&self, tags: impl Iterator<Item = (String, Attention)>) -> String {
        let mut words: Vec<String> = tags
            .map(|(code, level)| {
                let name = self.tag_names.get(&code).unwrap_or(&code);
                format!("{name}({})", level.label())
            })
            .collect();
        words.sort();
        words.join("；")
    }

    /// The fields of `e` that row `r` changes, before and after.
    fn differences(&self, r: &SheetRow, e: &Registered) -> Vec<FieldChange> {
        let p = &r.member.person;
        let on = &e.person;
        let date = |d: Option<time::Date>| d.map(|d| d.to_string()).unwrap_or_default();
        let mut pairs = vec![
            ("姓名", on.name.clone(), p.name.clone()),
            (
                "与户主关系",
                on.relation.label().to_owned(),
                p.relation.label().to_owned(),
            ),
            (
                "居住状态",
                on.status.label().to_owned(),
                p.status.label().to_owned(),
            ),
        ];
        if self.present.phone
            && !r.keep_phone
            && let Some((before, after)) = phone_change(
                e.phone_index.as_deref(),
                on.phone_masked.as_deref(),
                r.member.phone.as_ref(),
            )
        {
            pairs.push(("联系电话", before, after));
        }
        if self.present.moved_in {
            pairs.push((
                "迁入日期",
                on.moved_in.clone().unwrap_or_default(),
                date(p.moved_in),
            ));
        }
        if self.present.moved_out {
            pairs.push((
                "迁出日期",
                on.moved_out.clone().unwrap_or_default(),
                date(p.moved_out),
            ));
        }
        if self.present.tags {
            let old = self
                .tags
                .get(&on.id)
                .into_iter()
                .flatten()
                .map(|t| (t.tag.clone(), t.level));
            let new =
                r.member.tags.iter().filter_map(|(code, level)| {
                    Some((code.clone(), level.parse::<Attention>().ok()?))
                });
            pairs.push(("重点人群标签", self.tag_text(old), self.tag_text(new)));
        }
        if self.present.note {
            pairs.push(("备注", on.note.clone(), p.note.clone()));
        }
        differences(pairs)
    }

    /// Finds the batch's households on record (by grid and 户编号) and puts them in
    /// `households`; a household whose address the sheet changes is moved (when `write`) and
    /// listed. Returns nothing new for households the sheet makes.
    pub(super) async fn look_up(
        &mut self,
        ex: &mut impl Exec,
        rows: &[&SheetRow],
        keys: &[HouseholdKey],
        households: &mut HashMap<HouseholdKey, i64>,
        write: Option<(&Actor, i64)>,
    ) -> Result<(), AppError> {
        let mut asked: HashMap<&str, Vec<String>> = HashMap::new();
        let mut first: HashMap<(&str, &str), (&SheetRow, HouseholdKey)> = HashMap::new();
        for (r, k) in rows.iter().zip(keys) {
            self.grids.insert(r.grid.clone());
            if self.looked_up.insert(*k) {
                asked
                    .entry(r.grid.as_str())
                    .or_default()
                    .push(r.reference.clone());
                first.insert((r.grid.as_str(), r.reference.as_str()), (r, *k));
            }
        }
        for (grid, refs) in asked {
            for found in store::households_by_ref(ex, grid, &refs).await? {
                let Some((r, k)) = first.get(&(grid, found.asked.as_str())) else {
                    continue;
                };
                // Two households with one number: the first registered is taken.
                if households.contains_key(k) {
                    continue;
                }
                households.insert(*k, found.household.id);
                self.rehouse(ex, r, &found.household, write).await?;
            }
        }
        Ok(())
    }

    /// Moves household `h` to the address row `r` gives it, when that differs.
    async fn rehouse(
        &mut self,
        ex: &mut impl Exec,
        r: &SheetRow,
        h: &HouseholdRow,
        write: Option<(&Actor, i64)>,
    ) -> Result<(), AppError> {
        if (h.building.as_str(), h.unit.as_str(), h.room.as_str())
            == (r.building.as_str(), r.unit.as_str(), r.room.as_str())
        {
            return Ok(());
        }
        let before = place(&h.node_code, &r.reference, &h.building, &h.unit, &h.room);
        let after = place(&r.grid, &r.reference, &r.building, &r.unit, &r.room);
        if let Some((actor, now)) = write {
            let building = store::building(ex, &r.grid, &r.building, &r.address, now).await?;
            let house = store::houses(ex, &[(building, r.unit.clone(), r.floor, r.room.clone())])
                .await?
                .pop()
                .ok_or_else(|| AppError::Internal("house not written".into()))?;
            store::move_household(ex, h.id, h.house_id, house, &r.grid, actor.id, now).await?;
            self.written += 1;
            self.records.push(audit::entry(
                now,
                actor,
                "register.household_move",
                format!("household:{}", h.id),
                Some(&r.grid),
                serde_json::json!({"before": {"address": before}, "after": {"address": after}, "source": "import"}),
            ));
        }
        self.changes.add(Change {
            row: None,
            kind: ChangeKind::Moved,
            who: format!("户编号 {}", r.reference),
            fields: vec![FieldChange {
                field: "住址".into(),
                before,
                after,
            }],
        });
        Ok(())
    }

    /// Compares the batch's people on record (row numbers in `at`) with the sheet; updates
    /// and moves them when `write`. Returns the rows of people not on record (to add).
    pub(super) async fn compare<'r>(
        &mut self,
        ex: &mut impl Exec,
        rows: &'r [(u32, SheetRow)],
        keys: &[HouseholdKey],
        households: &HashMap<HouseholdKey, i64>,
        write: Option<(&Actor, i64)>,
    ) -> Result<Vec<&'r SheetRow>, AppError> {
        let mut new = Vec::new();
        for ((at, r), k) in rows.iter().zip(keys) {
            let Some(e) = self.existing.get(&index_key(&r.member.id.index)) else {
                self.changes.add(Change {
                    row: Some(*at),
                    kind: ChangeKind::New,
                    who: r.member.person.name.clone(),
                    fields: Vec::new(),
                });
                new.push(r);
                continue;
            };
            let mut fields = self.differences(r, e);
            let to = households.get(k).copied();
            let moved = to != Some(e.person.household_id);
            if moved {
                fields.push(FieldChange {
                    field: "所在户".into(),
                    before: place(
                        &e.person.node_code,
                        &e.person.household_ref,
                        &e.person.building,
                        &e.person.unit,
                        &e.person.room,
                    ),
                    after: place(&r.grid, &r.reference, &r.building, &r.unit, &r.room),
                });
            }
            if fields.is_empty() {
                self.changes.unchanged += 1;
                continue;
            }
            if let Some((actor, now)) = write {
                let record = self
                    .write_person(ex, r, e, to.filter(|_| moved), (actor, now), &fields)
                    .await?;
                self.records.push(record);
                self.written += 1;
            }
            self.changes.add(Change {
                row: Some(*at),
                kind: if moved {
                    ChangeKind::Moved
                } else {
                    ChangeKind::Changed
                },
                who: who(e),
                fields,
            });
        }
        Ok(new)
    }

    /// Writes one person's changes: their fields, tags and household; returns the audit
    /// record of every field before and after.
    async fn write_person(
        &self,
        ex: &mut impl Exec,
        r: &SheetRow,
        e: &Registered,
        to: Option<i64>,
        (actor, now): (&Actor, i64),
        fields: &[FieldChange],
    ) -> Result<NewAudit, AppError> {
        let (p, on) = (&r.member.person, &e.person);
        let kept_phone = match (&e.phone_sealed, &e.phone_index) {
            (Some(sealed), Some(index)) => Some(SealedValue {
                sealed: sealed.clone(),
                index: index.clone(),
                masked: on.phone_masked.clone().unwrap_or_default(),
            }),
            _ => None,
        };
        let keep_phone = !self.present.phone || r.keep_phone;
        let date = |d: Option<time::Date>| d.map(|d| d.to_string());
        let update = store::PersonUpdate {
            name: &p.name,
            phone: if keep_phone {
                kept_phone.as_ref()
            } else {
                r.member.phone.as_ref()
            },
            relation: p.relation.as_str(),
            status: p.status.as_str(),
            moved_in: if self.present.moved_in {
                date(p.moved_in)
            } else {
                on.moved_in.clone()
            },
            moved_out: if self.present.moved_out {
                date(p.moved_out)
            } else {
                on.moved_out.clone()
            },
            note: if self.present.note { &p.note } else { &on.note },
        };
        if !store::update_person(ex, on.id, on.updated_at, &update, now).await? {
            return Err(AppError::Conflict(format!(
                "{} 的信息在导入期间被他人修改，没有写入任何数据：请重新导入",
                p.name
            )));
        }
        if self.present.tags {
            let old = self.tags.get(&on.id).map(Vec::as_slice).unwrap_or_default();
            replace_tags(ex, on.id, &r.member.tags, old).await?;
        }
        if let Some(household) = to {
            store::move_person(ex, on.id, household, &r.grid, now).await?;
        }
        Ok(audit::entry(
            now,
            actor,
            "register.person_update",
            format!("person:{}", on.id),
            Some(&r.grid),
            serde_json::json!({"changes": fields, "source": "import"}),
        ))
    }

    /// Lists who is registered in the sheet's grids but not in the sheet.
    pub(super) async fn missing(&mut self, ex: &mut impl Exec) -> Result<(), AppError> {
        const PAGE: u32 = 2000;
        let mut grids: Vec<&String> = self.grids.iter().collect();
        grids.sort();
        let mut found = Vec::new();
        for grid in grids {
            let mut after = 0;
            loop {
                let page = store::indexed_in(ex, grid, after, PAGE).await?;
                let Some(last) = page.last() else {
                    break;
                };
                after = last.person.id;
                found.extend(
                    page.into_iter()
                        .filter(|p| !self.existing.contains_key(&index_key(&p.id_index)))
                        .map(|p| Change {
                            row: None,
                            kind: ChangeKind::Missing,
                            who: who(&p),
                            fields: vec![FieldChange {
                                field: "所在户".into(),
                                before: place(
                                    &p.person.node_code,
                                    &p.person.household_ref,
                                    &p.person.building,
                                    &p.person.unit,
                                    &p.person.room,
                                ),
                                after: String::new(),
                            }],
                        }),
                );
            }
        }
        self.changes.missing = Some(0);
        for c in found {
            self.changes.add(c);
        }
        Ok(())
    }
}

/// Tag kind code → name.
pub(super) fn names(kinds: &[shanzhi_store::residents::TagKindRow]) -> HashMap<String, String> {
    kinds
        .iter()
        .map(|k| (k.code.clone(), k.name.clone()))
        .collect()
}
