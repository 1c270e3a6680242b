//! 信息核实: register changes a keeper makes to a person during a visit, checked against the
//! visit and recorded beside it.

use crate::{AppError, Principal};
use shanzhi_domain::case::Day;
use shanzhi_domain::patrol::VISIT_BACKDATE_DAYS;
use shanzhi_store::Tx;
use shanzhi_store::visits::{self as store, ChangeRow};

/// The register changes a person edit makes during a visit, checked against the visit: the
/// keeper's own, to the person's household, on or after the visit's day.
pub async fn check_visit(
    tx: &mut Tx,
    k: &Principal,
    visit_id: i64,
    household_id: i64,
    today: Day,
) -> Result<(), AppError> {
    let v = store::get(tx, visit_id)
        .await?
        .ok_or_else(|| AppError::bad("invalid_visit", "所选走访记录不存在"))?;
    if v.account_id != k.account.id || v.household_id != Some(household_id) {
        return Err(AppError::bad(
            "invalid_visit",
            "只能把本人对该户的走访记为信息核实的来源",
        ));
    }
    if today.since(Day::parse(&v.day).unwrap_or(Day::of(0))) > VISIT_BACKDATE_DAYS {
        return Err(AppError::bad(
            "invalid_visit",
            "这次走访已超过 30 天，请记录一次新的走访",
        ));
    }
    Ok(())
}

/// Records the changed fields of a person edit against a visit.
pub async fn record_changes(
    tx: &mut Tx,
    visit_id: i64,
    person_id: i64,
    before: &serde_json::Value,
    after: &serde_json::Value,
) -> Result<(), AppError> {
    const FIELDS: [(&str, &str); 6] = [
        ("name", "姓名"),
        ("phone", "联系电话"),
        ("relation", "与户主关系"),
        ("status", "居住状态"),
        ("moved_out", "迁出日期"),
        ("tags", "重点人群标签"),
    ];
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let changes: Vec<ChangeRow> = FIELDS
        .iter()
        .filter(|(key, _)| before[key] != after[key])
        .map(|(key, label)| ChangeRow {
            person_id: Some(person_id),
            field: (*label).to_owned(),
            before_value: text(&before[key]),
            after_value: text(&after[key]),
        })
        .collect();
    Ok(store::add_changes(tx, visit_id, &changes).await?)
}
