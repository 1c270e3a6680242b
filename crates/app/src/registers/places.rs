//! The key places register (网格重点场所信息册): places located into their grid, with risk
//! levels and inspection records.

use super::import::{Phase, Problems, Progress, Report, Upload};
use super::invalid;
use super::place_refresh::{Outcome, PlaceRefresh, kept_phone};
use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError, Principal};
use crate::{audit, regions::locate_codes};
use shanzhi_domain::geo::Crs;
use shanzhi_domain::personal::{mask_phone, normalize_phone};
use shanzhi_domain::register::resident::parse_date;
use shanzhi_domain::register::sheet::PLACE_COLUMNS;
use shanzhi_domain::register::vocab::{PlaceKind, Risk};
use shanzhi_store::places::{self as store, NewPlace};
pub use shanzhi_store::places::{InspectionRow, PlaceRow};
use shanzhi_store::regions as region_store;
use shanzhi_store::vault::{Field, SealedValue};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;

/// Most rows a places sheet may have (a district has a few thousand places).
pub const MAX_ROWS: u64 = 100_000;

/// A place as typed.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, utoipa::ToSchema)]
pub struct PlaceInput {
    /// Grid code; may be empty when a position is given.
    #[serde(default)]
    pub grid: String,
    /// 场所名称.
    pub name: String,
    /// 场所类型.
    pub kind: String,
    /// 地址.
    pub address: String,
    /// 经度 (WGS-84).
    #[serde(default)]
    pub lon: Option<f64>,
    /// 纬度.
    #[serde(default)]
    pub lat: Option<f64>,
    /// 负责人.
    #[serde(default)]
    pub contact: String,
    /// 联系电话.
    #[serde(default)]
    pub contact_phone: String,
    /// 风险等级.
    pub risk: String,
    /// 备注.
    #[serde(default)]
    pub note: String,
}

/// A place that passed every check.
struct Checked {
    grid: String,
    input: PlaceInput,
    kind: PlaceKind,
    risk: Risk,
    phone: Option<SealedValue>,
}

impl Checked {
    fn new_place(&self) -> NewPlace<'_> {
        NewPlace {
            node_code: &self.grid,
            name: self.input.name.trim(),
            kind: self.kind.as_str(),
            address: self.input.address.trim(),
            lon_lat: self.input.lon.zip(self.input.lat),
            contact: self.input.contact.trim(),
            contact_phone: self.phone.as_ref(),
            risk: self.risk.as_str(),
            note: self.input.note.trim(),
        }
    }
}

/// Checks a place and places it in its grid: a position decides the grid; a grid typed beside
/// a position must be the one the position lies in.
fn check(
    state: &App,
    grids: &HashSet<String>,
    p: &PlaceInput,
    problems: &mut Vec<(&'static str, String)>,
) -> Option<Checked> {
    let before = problems.len();
    if p.name.trim().is_empty() {
        problems.push(("场所名称", "请填写场所名称".into()));
    }
    if p.address.trim().is_empty() {
        problems.push(("地址", "请填写地址".into()));
    }
    let kind = PlaceKind::from_typed(&p.kind);
    if kind.is_none() {
        problems.push((
            "场所类型",
            format!("请填写以下之一：{}", PlaceKind::choices()),
        ));
    }
    let risk = Risk::from_typed(&p.risk);
    if risk.is_none() {
        problems.push(("风险等级", format!("请填写以下之一：{}", Risk::choices())));
    }
    let phone = if p.contact_phone.trim().is_empty() {
        None
    } else {
        match normalize_phone(&p.contact_phone) {
            Ok(ph) => Some(state.vault().protect(Field::Phone, &ph, mask_phone(&ph))),
            Err(e) => {
                problems.push(("联系电话", e.to_string()));
                None
            }
        }
    };
    let typed = p.grid.trim();
    let grid = match (p.lon, p.lat) {
        (Some(lon), Some(lat)) => match locate_codes(state, lon, lat, Crs::Wgs84) {
            Ok((Some(found), _)) if typed.is_empty() || found.starts_with(typed) => Some(found),
            Ok((Some(found), _)) => {
                problems.push((
                    "经度",
                    format!("位置不在网格 {typed} 内（落在网格 {found}）：请核对坐标或网格编码"),
                ));
                None
            }
            Ok((None, _)) => {
                problems.push(("经度", "位置不在任何网格内：请核对坐标".into()));
                None
            }
            Err(e) => {
                problems.push(("经度", e.to_string()));
                None
            }
        },
        (None, None) if typed.is_empty() => {
            problems.push(("网格编码", "请填写网格编码，或填写经纬度自动落格".into()));
            None
        }
        (None, None) => Some(typed.to_owned()),
        _ => {
            problems.push(("经度", "经度和纬度须同时填写".into()));
            None
        }
    };
    if let Some(g) = &grid
        && !grids.contains(g)
    {
        problems.push(("网格编码", format!("网格 {g} 不在您的管辖范围内")));
    }
    match (grid, kind, risk) {
        (Some(grid), Some(kind), Some(risk)) if problems.len() == before => Some(Checked {
            grid,
            input: p.clone(),
            kind,
            risk,
            phone,
        }),
        _ => None,
    }
}

async fn grids(state: &App, k: &Principal) -> Result<HashSet<String>, AppError> {
    let mut conn = state.store().conn().await?;
    Ok(region_store::grid_codes(&mut conn, k.actor.scope_root())
        .await?
        .into_iter()
        .collect())
}

/// Registers one place.
pub async fn create(state: &App, k: &Principal, p: &PlaceInput) -> Result<i64, AppError> {
    k.may(Resource::Place, Verb::Write)?;
    let grids = grids(state, k).await?;
    let mut problems = Vec::new();
    let checked = check(state, &grids, p, &mut problems);
    let Some(c) = checked.filter(|_| problems.is_empty()) else {
        return Err(invalid(problems));
    };
    let mut tx = state.store().begin().await?;
    if !store::names_in(&mut tx, std::slice::from_ref(&c.grid))
        .await?
        .iter()
        .all(|(_, n)| n != c.input.name.trim())
    {
        return Err(AppError::Conflict(format!(
            "网格 {} 已有名为“{}”的场所",
            c.grid,
            c.input.name.trim()
        )));
    }
    let id = store::insert(&mut tx, &[c.new_place()], state.now_ms())
        .await?
        .first()
        .copied()
        .ok_or_else(|| AppError::Internal("place not written".into()))?;
    let record = audit::entry(
        state.now_ms(),
        &crate::audit::Actor::of(k),
        "register.place_create",
        format!("place:{id}"),
        Some(&c.grid),
        serde_json::json!({"after": {"name": c.input.name.trim(), "kind": c.kind.label(), "risk": c.risk.label(),
            "phone": c.phone.as_ref().map(|p| &p.masked)}}),
    );
    audit::record(&mut tx, [record]);
    tx.commit().await?;
    Ok(id)
}

/// An inspection as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
pub struct InspectionInput {
    /// Day (YYYY-MM-DD); today when empty.
    #[serde(default)]
    pub day: String,
    /// 检查结果: 合格 / 限期整改 / 停业整顿 …
    pub result: String,
    /// 发现的隐患.
    #[serde(default)]
    pub hazards: String,
}

/// A place the keeper may see.
pub async fn visible(state: &App, k: &Principal, id: i64) -> Result<PlaceRow, AppError> {
    k.may(Resource::Place, Verb::Read)?;
    let mut conn = state.store().conn().await?;
    let p = store::get(&mut conn, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    k.must_see(&p.node_code)?;
    Ok(p)
}

/// Records an inspection of a place.
pub async fn inspect(
    state: &App,
    k: &Principal,
    id: i64,
    i: &InspectionInput,
) -> Result<i64, AppError> {
    k.may(Resource::Place, Verb::Write)?;
    let place = visible(state, k, id).await?;
    let today = state.clock().date();
    let day = if i.day.trim().is_empty() {
        today
    } else {
        parse_date(&i.day).filter(|d| *d <= today).ok_or_else(|| {
            AppError::bad("invalid_day", "检查日期应写成 2026-03-01，且不能晚于今天")
        })?
    };
    if i.result.trim().is_empty() {
        return Err(AppError::bad("missing_result", "请填写检查结果"));
    }
    let who = crate::audit::Actor::of(k);
    let mut tx = state.store().begin().await?;
    let iid = store::inspect(
        &mut tx,
        id,
        &day.to_string(),
        (Some(k.account.id), &who.label),
        i.result.trim(),
        i.hazards.trim(),
    )
    .await?;
    let record = audit::entry(
        state.now_ms(),
        &who,
        "register.place_inspect",
        format!("place:{id}"),
        Some(&place.node_code),
        serde_json::json!({"day": day.to_string(), "result": i.result.trim(), "hazards": i.hazards.trim()}),
    );
    audit::record(&mut tx, [record]);
    tx.commit().await?;
    Ok(iid)
}

/// Imports a places sheet: every row checked (and located), then all written in one transaction.
pub async fn import(
    state: &App,
    k: &Principal,
    upload: &Upload,
    reading: &super::import::Reading,
    check_only: bool,
    progress: &std::sync::Arc<Progress>,
) -> Result<Report, AppError> {
    k.may(Resource::Place, Verb::Write)?;
    progress.enter(Phase::Checking);
    let (mut report, mapping, rows) = super::import::read_rows(
        upload,
        reading,
        PLACE_COLUMNS,
        (MAX_ROWS, "场所表"),
        progress,
    )
    .await?;
    let Some(mapping) = mapping else {
        return Ok(report);
    };
    let grids = grids(state, k).await?;
    let mut checked = Vec::new();
    let mut seen: HashMap<(String, String), u32> = HashMap::new();
    for (row, cells) in &rows {
        let num = |key: &str, problems: &mut Problems| -> Option<f64> {
            let t = mapping.get(cells, key);
            if t.is_empty() {
                return None;
            }
            let v = t.parse::<f64>().ok();
            if v.is_none() {
                problems.add(
                    *row,
                    if key == "lon" { "经度" } else { "纬度" },
                    format!("“{t}”不是数字"),
                );
            }
            v
        };
        let phone = mapping.get(cells, "contact_phone");
        // A refresh keeps the phone on record where the sheet's is masked (an export's).
        let keep_phone = reading.update && phone.contains('*');
        let input = PlaceInput {
            grid: mapping.get(cells, "grid").to_owned(),
            name: mapping.get(cells, "name").to_owned(),
            kind: mapping.get(cells, "kind").to_owned(),
            address: mapping.get(cells, "address").to_owned(),
            lon: num("lon", &mut report.problems),
            lat: num("lat", &mut report.problems),
            contact: mapping.get(cells, "contact").to_owned(),
            contact_phone: if keep_phone { "" } else { phone }.to_owned(),
            risk: mapping.get(cells, "risk").to_owned(),
            note: mapping.get(cells, "note").to_owned(),
        };
        let mut problems = Vec::new();
        if let Some(c) = check(state, &grids, &input, &mut problems) {
            let key = (c.grid.clone(), c.input.name.trim().to_owned());
            if let Some(first) = seen.insert(key.clone(), *row) {
                seen.insert(key, first);
                report.problems.add(
                    *row,
                    "场所名称",
                    format!("与第 {first} 行重复：同一网格内场所名称不能相同"),
                );
            } else {
                checked.push((*row, c, keep_phone));
            }
        }
        for (f, m) in problems {
            report.problems.add(*row, f, m);
        }
        progress.rows.fetch_add(1, Ordering::Relaxed);
    }
    let mut tx = state.store().begin().await?;
    let codes: Vec<String> = checked
        .iter()
        .flat_map(|(_, c, _)| [c.grid.clone(), c.input.grid.trim().to_owned()])
        .filter(|g| !g.is_empty())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut refresh = PlaceRefresh::new(store::on_record(&mut tx, &codes).await?, &mapping);
    let mut fresh = Vec::new();
    let mut updates = Vec::new();
    for (row, c, keep_phone) in &checked {
        let key = refresh.on_record_key(&c.grid, c.input.grid.trim(), c.input.name.trim());
        if let Some((grid, name)) = key.as_ref().filter(|_| !reading.update) {
            report.problems.add(
                *row,
                "场所名称",
                format!(
                    "网格 {grid} 已登记名为“{name}”的场所：要更新已登记的场所，请选择“更新导入”"
                ),
            );
            continue;
        }
        let new = c.new_place();
        match refresh.compare(*row, key, &new, *keep_phone) {
            Outcome::New => fresh.push(new),
            Outcome::Unchanged => {}
            Outcome::Changed(id, on, fields) => {
                updates.push((id, on.clone(), new, *keep_phone, fields))
            }
        }
    }
    if reading.missing {
        refresh.missing();
    }
    report.problems.sort();
    if reading.update {
        report.changes = Some(refresh.changes.clone());
    }
    if !report.problems.is_empty() || check_only {
        progress.enter(Phase::Done);
        return Ok(report);
    }
    progress.enter(Phase::Writing);
    let (now, actor) = (state.now_ms(), crate::audit::Actor::of(k));
    report.written = store::insert(&mut tx, &fresh, now).await?.len() as u64;
    for (id, on, new, keep_phone, fields) in &updates {
        let kept = kept_phone(on);
        store::update(
            &mut tx,
            *id,
            &refresh.merged(new, on, &kept, *keep_phone),
            now,
        )
        .await?;
        let record = audit::entry(
            now,
            &actor,
            "register.place_update",
            format!("place:{id}"),
            Some(&on.place.node_code),
            serde_json::json!({"changes": fields, "source": "import"}),
        );
        audit::record(&mut tx, [record]);
    }
    report.written += updates.len() as u64;
    let record = audit::entry(
        now,
        &actor,
        "register.import_places",
        format!("file:{}", upload.name),
        k.actor.scope_root(),
        serde_json::json!({"rows": report.rows, "places": report.written, "new": fresh.len(), "changed": updates.len()}),
    );
    audit::record(&mut tx, [record]);
    tx.commit().await?;
    report.committed = true;
    progress.enter(Phase::Done);
    Ok(report)
}

/// Places under `node` (the keeper's whole scope when none), by id after `after`, at most
/// `limit`; optionally of one kind and with a name containing `name`.
pub async fn list(
    state: &App,
    k: &Principal,
    node: Option<&str>,
    kind: Option<&str>,
    name: Option<&str>,
    after: i64,
    limit: u32,
) -> Result<Vec<PlaceRow>, AppError> {
    k.may(Resource::Place, Verb::List)?;
    let root = match node {
        Some(n) => {
            k.must_see(n)?;
            Some(n)
        }
        None => k.actor.scope_root(),
    };
    Ok(store::list(
        &mut state.store().conn().await?,
        root,
        kind,
        name,
        after,
        limit,
    )
    .await?)
}

/// The inspections of a place the keeper may see, newest first.
pub async fn inspections(
    state: &App,
    k: &Principal,
    id: i64,
) -> Result<Vec<InspectionRow>, AppError> {
    visible(state, k, id).await?;
    Ok(store::inspections(&mut state.store().conn().await?, id).await?)
}
