//! The staff register (网格长(员)信息册) in and out as a sheet: the same checks as the form,
//! every bad row reported by its number, the whole file written in one transaction or nothing.

use super::grids::{CheckedStaff, StaffInput, check_staff, write_staff};
use super::import::{Phase, Progress, Reading, Report, Upload, read_rows};
use super::residents::grids_in_scope;
use crate::audit;
use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError, Principal};
use shanzhi_domain::register::sheet::STAFF_COLUMNS;
use shanzhi_domain::register::staff::{grid_codes, party_member};
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
    let mut checked: Vec<CheckedStaff> = Vec::new();
    let mut seen: HashMap<(String, Vec<String>), u32> = HashMap::new();
    let mut seen_accounts: HashMap<i64, u32> = HashMap::new();
    for (row, cells) in &rows {
        let party = mapping.get(cells, "party_member");
        let input = StaffInput {
            name: mapping.get(cells, "name").to_owned(),
            role: mapping.get(cells, "role").to_owned(),
            phone: mapping.get(cells, "phone").to_owned(),
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
        match check_staff(state, &mut tx, &in_scope, &input).await? {
            Err(problems) => {
                for (field, message) in problems {
                    report.problems.add(*row, field, message);
                }
            }
            Ok(c) => {
                let key = c.key();
                if known.contains(&key) {
                    report.problems.add(
                        *row,
                        "姓名",
                        format!("{} 已登记在册（同名、同服务网格），无需再导入", key.0),
                    );
                } else if let Some(first) = seen.get(&key) {
                    report
                        .problems
                        .add(*row, "姓名", format!("与第 {first} 行重复"));
                } else if let Some(a) = c.account() {
                    if accounts.contains(&a) {
                        report
                            .problems
                            .add(*row, "用户名", "这个账号已登记在网格员台账中");
                    } else if let Some(first) = seen_accounts.insert(a, *row) {
                        report
                            .problems
                            .add(*row, "用户名", format!("与第 {first} 行是同一个账号"));
                    }
                }
                seen.entry(key).or_insert(*row);
                checked.push(c);
            }
        }
        progress.rows.fetch_add(1, Ordering::Relaxed);
    }
    report.problems.sort();
    if !report.problems.is_empty() || check_only {
        progress.enter(Phase::Done);
        return Ok(report);
    }
    progress.enter(Phase::Writing);
    let now = state.now_ms();
    let mut ids = Vec::with_capacity(checked.len());
    for c in &checked {
        ids.push(write_staff(&mut tx, c, now).await?.0);
    }
    report.written = ids.len() as u64;
    let record = audit::entry(
        now,
        &crate::audit::Actor::of(k),
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
