//! A places sheet as a refresh (更新导入): each row names a place by grid and name; a place on
//! record is compared field by field and updated, a new one added, and (when asked) places of
//! the sheet's grids that it leaves out are listed. Columns the sheet lacks and masked phones
//! keep what is on record.

use super::import::{Change, ChangeKind, Changes, FieldChange, differences, phone_change};
use shanzhi_domain::register::sheet::Mapping;
use shanzhi_domain::register::vocab::{PlaceKind, Risk};
use shanzhi_store::places::{NewPlace, RegisteredPlace};
use shanzhi_store::vault::SealedValue;
use std::collections::{HashMap, HashSet};

/// A place's key in the register: its grid and name.
pub(super) type PlaceKey = (String, String);

/// Which optional columns the sheet has.
#[derive(Debug, Clone, Copy)]
struct Present {
    position: bool,
    contact: bool,
    phone: bool,
    note: bool,
}

/// The places on record in the sheet's grids, and what the refresh finds.
pub(super) struct PlaceRefresh {
    on_record: HashMap<PlaceKey, RegisteredPlace>,
    present: Present,
    seen: HashSet<PlaceKey>,
    /// What the sheet adds, changes, leaves out.
    pub(super) changes: Changes,
}

/// What one sheet row does to the register.
pub(super) enum Outcome<'a> {
    /// A place not on record.
    New,
    /// A place on record, the same.
    Unchanged,
    /// A place on record to update (its id), with the fields that change.
    Changed(i64, &'a RegisteredPlace, Vec<FieldChange>),
}

fn position(lon: Option<f64>, lat: Option<f64>) -> String {
    lon.zip(lat)
        .map(|(lon, lat)| format!("{lon:.6}, {lat:.6}"))
        .unwrap_or_default()
}

impl PlaceRefresh {
    /// Starts a refresh against `on_record`, for a sheet mapped as `mapping`.
    pub(super) fn new(on_record: Vec<RegisteredPlace>, mapping: &Mapping) -> PlaceRefresh {
        PlaceRefresh {
            on_record: on_record
                .into_iter()
                .map(|p| ((p.place.node_code.clone(), p.place.name.clone()), p))
                .collect(),
            present: Present {
                position: mapping.has("lon") && mapping.has("lat"),
                contact: mapping.has("contact"),
                phone: mapping.has("contact_phone"),
                note: mapping.has("note"),
            },
            seen: HashSet::new(),
            changes: Changes::default(),
        }
    }

    /// The key on record of the sheet's place named `name`, placed in `grid` by its position
    /// and typed in grid `typed`: a place is registered in either (a grid's register may hold
    /// places that lie in its micro-grids).
    pub(super) fn on_record_key(&self, grid: &str, typed: &str, name: &str) -> Option<PlaceKey> {
        [grid, typed]
            .into_iter()
            .map(|g| (g.to_owned(), name.to_owned()))
            .find(|k| self.on_record.contains_key(k))
    }

    /// Compares the sheet's place `new` (at `row`, on record as `key` if at all; `keep_phone`
    /// when its phone was masked) with the record, counts it, and says what writing it means.
    pub(super) fn compare(
        &mut self,
        row: u32,
        key: Option<PlaceKey>,
        new: &NewPlace<'_>,
        keep_phone: bool,
    ) -> Outcome<'_> {
        let Some(key) = key else {
            self.changes.add(Change {
                row: Some(row),
                kind: ChangeKind::New,
                who: new.name.to_owned(),
                fields: Vec::new(),
            });
            return Outcome::New;
        };
        self.seen.insert(key.clone());
        let Some(on) = self.on_record.get(&key) else {
            return Outcome::New;
        };
        let p = &on.place;
        let label = |k: &str| {
            k.parse::<PlaceKind>()
                .map(|k| k.label())
                .unwrap_or_default()
        };
        let risk = |r: &str| r.parse::<Risk>().map(|r| r.label()).unwrap_or_default();
        let mut pairs = vec![
            (
                "场所类型",
                p.kind.label().to_owned(),
                label(new.kind).to_owned(),
            ),
            ("地址", p.address.clone(), new.address.to_owned()),
            (
                "风险等级",
                p.risk.label().to_owned(),
                risk(new.risk).to_owned(),
            ),
        ];
        if self.present.position {
            pairs.push((
                "经纬度",
                position(p.lon, p.lat),
                position(new.lon_lat.map(|c| c.0), new.lon_lat.map(|c| c.1)),
            ));
        }
        if self.present.contact {
            pairs.push(("负责人", p.contact.clone(), new.contact.to_owned()));
        }
        if self.present.phone
            && !keep_phone
            && let Some((before, after)) = phone_change(
                on.contact_phone_index.as_deref(),
                p.contact_phone_masked.as_deref(),
                new.contact_phone,
            )
        {
            pairs.push(("联系电话", before, after));
        }
        if self.present.note {
            pairs.push(("备注", p.note.clone(), new.note.to_owned()));
        }
        let fields = differences(pairs);
        if fields.is_empty() {
            self.changes.unchanged += 1;
            return Outcome::Unchanged;
        }
        self.changes.add(Change {
            row: Some(row),
            kind: ChangeKind::Changed,
            who: key.1,
            fields: fields.clone(),
        });
        Outcome::Changed(p.id, on, fields)
    }

    /// What the sheet's row writes over the record `on`: the sheet's values, but the record's
    /// for columns the sheet lacks and for a masked phone.
    pub(super) fn merged<'a>(
        &self,
        new: &NewPlace<'a>,
        on: &'a RegisteredPlace,
        kept_phone: &'a Option<SealedValue>,
        keep_phone: bool,
    ) -> NewPlace<'a> {
        let p = &on.place;
        NewPlace {
            lon_lat: if self.present.position {
                new.lon_lat
            } else {
                p.lon.zip(p.lat)
            },
            contact: if self.present.contact {
                new.contact
            } else {
                &p.contact
            },
            contact_phone: if self.present.phone && !keep_phone {
                new.contact_phone
            } else {
                kept_phone.as_ref()
            },
            note: if self.present.note { new.note } else { &p.note },
            ..new.clone()
        }
    }

    /// Lists the places on record the sheet left out.
    pub(super) fn missing(&mut self) {
        self.changes.missing = Some(0);
        let mut left: Vec<&RegisteredPlace> = self
            .on_record
            .iter()
            .filter(|(k, _)| !self.seen.contains(*k))
            .map(|(_, p)| p)
            .collect();
        left.sort_by_key(|p| p.place.id);
        let listed: Vec<Change> = left
            .into_iter()
            .map(|p| Change {
                row: None,
                kind: ChangeKind::Missing,
                who: p.place.name.clone(),
                fields: vec![FieldChange {
                    field: "地址".into(),
                    before: p.place.address.clone(),
                    after: String::new(),
                }],
            })
            .collect();
        for c in listed {
            self.changes.add(c);
        }
    }
}

/// A place's phone on record, as a value to write back unchanged.
pub(super) fn kept_phone(on: &RegisteredPlace) -> Option<SealedValue> {
    Some(SealedValue {
        sealed: on.contact_phone_sealed.clone()?,
        index: on.contact_phone_index.clone()?,
        masked: on.place.contact_phone_masked.clone().unwrap_or_default(),
    })
}
