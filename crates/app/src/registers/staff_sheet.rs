//! The staff register (网格长(员)信息册) in and out as a sheet: the same checks as the form,
//! every bad row reported by its number, the whole file written in one transaction or nothing.

use super::grids::{CheckedStaff, StaffInput, check_staff, write_staff};
use super::import::{
    self, Change, ChangeKind, Changes, FieldChange, Phase, Progress, Reading, Report, Upload,
    phone_change, read_rows,
};
use super::residents::grids_in_scope;
use crate::audit;
use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError, Principal};
use shanzhi_domain::register::sheet::STAFF_COLUMNS;
use shanzhi_domain::register::staff::{agreed, grid_codes, party_member};
use shanzhi_store::staff::StaffRow;
use shanzhi_store::vault::{Field, SealedValue};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Most rows a staff sheet may have (a district has a few thousand staff).
pub const MAX_ROWS: u64 = 20_000;

/// Imports a staff sheet: every row checked as the form checks it, people already on the
/// register (same name and grids, or the same account) and repeats within the file refused,
/// then all written in one transaction.
pub async fn import(
    state: &App,
    k: &Principal,
    upload: &Upload,
    reading: &Reading,
    check_only: bool,
    progress: &Arc<Progress>,
) -> Result<Report, AppError> {
    k.may(Resource::Staff, Verb::Write)?;
    progress.enter(Phase::Checking);
    let (mut report, mapping, rows) = read_rows(
        upload,
        reading,
        STAFF_COLUMNS,
        (MAX_ROWS, "人员表"),
        progress,
    )
    .await?;
    let Some(mapping) = mapping else {
        return Ok(report);
    };
    let mut tx = state.store().begin().await?;
    let in_scope = grids_in_scope(&mut tx, k).await?;
    let registered: Vec<_> = shanzhi_store::staff::list(&mut tx, k.actor.scope_root()).await?;
    let mut known: HashSet<(String, Vec<String>)> = HashSet::new();
    for s in &registered {
        let mut grids = grid_codes(s.grids.as_deref().unwrap_or_default());
        grids.sort();
        known.insert((s.name.clone(), grids));
    }
    let accounts: HashSet<i64> = registered.iter().filter_map(|s| s.account_id).collect();
    let mut refresh = if reading.update {
        let ids: Vec<i64> = registered.iter().map(|s| s.id).collect();
        let phones = shanzhi_store::staff::phones(&mut tx, &ids).await?;
        Some((Changes::default(), phones, HashSet::new()))
    } else {
        None
    };
    let present_phone = mapping.has("phone");
    let mut checked: Vec<CheckedStaff> = Vec::new();
    let mut updates: Vec<(
        &StaffRow,
        CheckedStaff,
        Option<SealedValue>,
        Vec<FieldChange>,
    )> = Vec::new();
    let mut seen: HashMap<(String, Vec<String>), u32> = HashMap::new();
    let mut seen_accounts: HashMap<i64, u32> = HashMap::new();
    for (row, cells) in &rows {
        let party = mapping.get(cells, "party_member");
        let public = mapping.get(cells, "phone_public");
        let consent = agreed(public);
        if consent.is_none() {
            report
                .problems
                .add(*row, "公开电话", format!("“{public}”请填写 是 或 否"));
        }
        let phone = mapping.get(cells, "phone");
        // A refresh keeps the phone on record where the sheet's is masked (an export's).
        let keep_phone = refresh.is_some() && (phone.contains('*') || !present_phone);
        let input = StaffInput {
            name: mapping.get(cells, "name").to_owned(),
            role: mapping.get(cells, "role").to_owned(),
            phone: if keep_phone { "" } else { phone }.to_owned(),
            // A phone kept from the record is made public below, once it is found.
            phone_public: consent == Some(true) && !keep_phone,
            party_member: party_member(party).unwrap_or(false),
            duties: mapping.get(cells, "duties").to_owned(),
            grids: grid_codes(mapping.get(cells, "grids")),
            username: mapping.get(cells, "username").to_owned(),
        };
        if party_member(party).is_none() {
            report.problems.add(
                *row,
                "党员",
                format!("“{party}”请填写 是 或 否（或政治面貌，如 中共党员、群众）"),
            );
        }
        let mut c = match check_staff(state, &mut tx, &in_scope, &input).await? {
            Err(problems) => {
                for (field, message) in problems {
                    report.problems.add(*row, field, message);
                }
                progress.rows.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            Ok(c) => c,
        };
        progress.rows.fetch_add(1, Ordering::Relaxed);
        let key = c.key();
        if let Some(first) = seen.get(&key) {
            report
                .problems
                .add(*row, "姓名", format!("与第 {first} 行重复"));
            continue;
        }
        seen.insert(key.clone(), *row);
        if let Some(first) = c.account().and_then(|a| seen_accounts.insert(a, *row)) {
            report
                .problems
                .add(*row, "用户名", format!("与第 {first} 行是同一个账号"));
            continue;
        }
        let on = refresh.as_ref().and_then(|_| on_record(&registered, &c));
        match (&mut refresh, on) {
            (Some((changes, phones, matched)), Some(r)) => {
                if !matched.insert(r.id) {
                    report.problems.add(
                        *row,
                        "姓名",
                        format!("与前面一行对应台账上的同一人（{}）", r.name),
                    );
                    continue;
                }
                let (sealed, index) = phones
                    .iter()
                    .find(|(id, _, _)| *id == r.id)
                    .map(|(_, s, i)| (s.clone(), i.clone()))
                    .unwrap_or_default();
                if keep_phone && consent == Some(true) {
                    match &sealed {
                        Some(s) => {
                            let plain = state
                                .vault()
                                .open(Field::Phone, s)
                                .map_err(|e| AppError::Internal(e.to_string()))?;
                            c.public_phone = Some(plain);
                        }
                        None => {
                            report.problems.add(
                                *row,
                                "公开电话",
                                "要向居民公开电话，请先填写联系电话",
                            );
                            continue;
                        }
                    }
                }
                let fields = differences(r, &c, index.as_deref(), keep_phone, &input.username);
                if fields.is_empty() {
                    changes.unchanged += 1;
                    continue;
                }
                changes.add(Change {
                    row: Some(*row),
                    kind: ChangeKind::Changed,
                    who: r.name.clone(),
                    fields: fields.clone(),
                });
                let kept = keep_phone
                    .then(|| {
                        Some(SealedValue {
                            sealed: sealed?,
                            index: index?,
                            masked: r.phone_masked.clone().unwrap_or_default(),
                        })
                    })
                    .flatten();
                updates.push((r, c, kept, fields));
                continue;
            }
            (None, _) if known.contains(&key) => {
                report.problems.add(
                    *row,
                    "姓名",
                    format!(
                        "{} 已登记在册（同名、同服务网格）：要更新已登记的人员，请选择“更新导入”",
                        key.0
                    ),
                );
                continue;
            }
            (Some((changes, _, _)), None) => changes.add(Change {
                row: Some(*row),
                kind: ChangeKind::New,
                who: c.name.clone(),
                fields: Vec::new(),
            }),
            (None, _) => {}
        }
        if c.account().is_some_and(|a| accounts.contains(&a)) {
            report
                .problems
                .add(*row, "用户名", "这个账号已登记在网格员台账中");
            continue;
        }
        checked.push(c);
    }
    report.problems.sort();
    if let Some((mut changes, _, matched)) = refresh {
        if reading.missing {
            changes.missing = Some(0);
            for r in registered.iter().filter(|r| !matched.contains(&r.id)) {
                changes.add(Change {
                    row: None,
                    kind: ChangeKind::Missing,
                    who: r.name.clone(),
                    fields: vec![FieldChange {
                        field: "服务网格".into(),
                        before: grid_list(r),
                        after: String::new(),
                    }],
                });
            }
        }
        report.changes = Some(changes);
    }
    if !report.problems.is_empty() || check_only {
        progress.enter(Phase::Done);
        return Ok(report);
    }
    progress.enter(Phase::Writing);
    let (now, actor) = (state.now_ms(), crate::audit::Actor::of(k));
    let mut ids = Vec::with_capacity(checked.len());
    for c in &checked {
        ids.push(write_staff(&mut tx, c, now).await?.0);
    }
    for (r, c, kept, fields) in &updates {
        let mut record = c.new_staff();
        if kept.is_some() {
            record.phone = kept.as_ref();
        }
        shanzhi_store::staff::update(&mut tx, r.id, &record, now).await?;
        ids.push(r.id);
        let entry = audit::entry(
            now,
            &actor,
            "register.staff_update",
            format!("staff:{}", r.id),
            Some(&r.node_code),
            serde_json::json!({"changes": fields, "source": "import"}),
        );
        audit::record(&mut tx, [entry]);
    }
    report.written = ids.len() as u64;
    let record = audit::entry(
        now,
        &actor,
        "register.import_staff",
        format!("file:{}", upload.name),
        k.actor.scope_root(),
        serde_json::json!({"rows": report.rows, "staff": ids}),
    );
    audit::record(&mut tx, [record]);
    tx.commit().await?;
    report.committed = true;
    progress.enter(Phase::Done);
    Ok(report)
}

/// The grids a record serves, sorted, in words.
fn grid_list(r: &StaffRow) -> String {
    let mut grids = grid_codes(r.grids.as_deref().unwrap_or_default());
    grids.sort();
    grids.join("、")
}

/// The record on the register a refreshed row stands for: the one with its account, else the
/// only one of its name, else the one of its name serving the same grids.
fn on_record<'a>(registered: &'a [StaffRow], c: &CheckedStaff) -> Option<&'a StaffRow> {
    if let Some(r) = c
        .account()
        .and_then(|a| registered.iter().find(|r| r.account_id == Some(a)))
    {
        return Some(r);
    }
    let named: Vec<&StaffRow> = registered.iter().filter(|r| r.name == c.name).collect();
    match named.as_slice() {
        [one] => Some(one),
        _ => named
            .into_iter()
            .find(|r| grid_list(r) == c.key().1.join("、")),
    }
}

/// The fields of record `r` that row `c` changes (`index`: the phone on record's blind index;
/// `keep_phone`: the row leaves the phone as it is; `username`: the row's account).
fn differences(
    r: &StaffRow,
    c: &CheckedStaff,
    index: Option<&[u8]>,
    keep_phone: bool,
    username: &str,
) -> Vec<FieldChange> {
    let yes_no = |b: bool| if b { "是" } else { "否" }.to_owned();
    let mut pairs = vec![
        ("姓名", r.name.clone(), c.name.clone()),
        ("角色", r.role.label().to_owned(), c.role.label().to_owned()),
        ("党员", yes_no(r.party_member), yes_no(c.party_member)),
        (
            "公开电话",
            yes_no(r.public_phone.is_some()),
            yes_no(c.public_phone.is_some()),
        ),
        ("职责", r.duties.clone(), c.duties.clone()),
        ("服务网格", grid_list(r), c.key().1.join("、")),
    ];
    if !keep_phone
        && let Some((before, after)) =
            phone_change(index, r.phone_masked.as_deref(), c.phone.as_ref())
    {
        pairs.push(("联系电话", before, after));
    }
    if c.account().is_some() && c.account() != r.account_id {
        let before = if r.account_id.is_some() {
            "另一账号"
        } else {
            "未关联账号"
        };
        pairs.push(("用户名", before.to_owned(), username.trim().to_owned()));
    }
    import::differences(pairs)
}
