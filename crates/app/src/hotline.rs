//! 12345 hotline import: a CSV, xlsx or JSON export of work orders becomes cases. Every row is
//! checked first — the file's own rules, then categories and places against the database —
//! and either the whole file is written in one transaction or nothing is, with every bad row
//! reported by its number. Orders already imported are skipped, so a file can be sent twice.

use crate::cases::{Filing, HotlineTerms, Placed, check, file_in};
use crate::policy::{Ask, Resource, Verb};
use crate::regions::locate_codes;
use crate::{App, AppError};
use shanzhi_domain::auth::Actor;

use crate::audit;
use shanzhi_domain::case::Source;
pub use shanzhi_domain::case::hotline::mapped;
use shanzhi_domain::case::hotline::{Order, RowError, Table, read_orders};
use shanzhi_domain::geo::Crs;
use shanzhi_domain::personal::mask_phone;
use shanzhi_store::Conn;
use shanzhi_store::cases::{self, CategoryRow};
pub use shanzhi_store::pending_orders::PendingRow;
use shanzhi_store::pending_orders::{self, NewPending};
use shanzhi_store::regions::{self as region_store, NodeRow};
use shanzhi_store::vault::{Field, SealedValue};

/// The formats a hotline export comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A sheet: CSV (UTF-8 or GBK), xlsx, xls or ods, read as the registers' sheets are (the
    /// header row found below any title rows, totals rows skipped, rows numbered as shown).
    Sheet,
    /// An array of objects keyed by column name.
    Json,
}

impl Format {
    /// From a file name's extension or a content type.
    pub fn guess(name_or_type: &str) -> Option<Format> {
        let s = name_or_type.to_ascii_lowercase();
        if s.ends_with(".json") || s.contains("application/json") {
            Some(Format::Json)
        } else if [".csv", ".xlsx", ".xls", ".et", ".ods"]
            .iter()
            .any(|e| s.ends_with(e))
            || s.contains("text/csv")
            || s.contains("spreadsheetml")
            || s.contains("ms-excel")
            || s.contains("opendocument.spreadsheet")
        {
            Some(Format::Sheet)
        } else {
            None
        }
    }
}

fn unreadable(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::bad("unreadable_file", format!("无法读取{what}文件：{e}"))
}

/// Reads a sheet's bytes into a table with `columns` (which find the header row), through a
/// private temporary file (removed at once).
pub(crate) fn sheet_table(
    state: &App,
    name: &str,
    bytes: &[u8],
    columns: &'static [shanzhi_domain::register::sheet::Column],
) -> Result<Table, AppError> {
    use crate::registers::import::Upload;
    use crate::registers::source::{self, Item, Layout};
    let upload = Upload::save(&state.config().upload_dir, name, bytes)
        .map_err(|e| AppError::Internal(format!("hotline upload: {e}")))?;
    let layout = Layout {
        columns,
        header_row: None,
    };
    let mut table = Table::default();
    source::read(
        &upload.path,
        upload.format,
        &layout,
        &Default::default(),
        |item| {
            match item {
                Item::Headers(at, h) => {
                    table.header_row = at as usize;
                    table.headers = h.to_vec();
                }
                Item::Row((at, cells)) => table.rows.push((at as usize, cells)),
                Item::Note(_) => {}
            }
            true
        },
    )
    .map_err(|e| AppError::bad("unreadable_file", e.to_string()))?;
    Ok(table)
}

/// Reads the bytes into a table.
pub fn table(state: &App, format: Format, name: &str, bytes: &[u8]) -> Result<Table, AppError> {
    match format {
        Format::Sheet => sheet_table(state, name, bytes, shanzhi_domain::case::hotline::COLUMNS),
        Format::Json => {
            let items: Vec<serde_json::Map<String, serde_json::Value>> =
                serde_json::from_slice(bytes)
                    .map_err(|e| unreadable(" JSON ", format!("须为对象数组（{e}）")))?;
            let mut headers: Vec<String> = Vec::new();
            for item in &items {
                for k in item.keys() {
                    if !headers.contains(k) {
                        headers.push(k.clone());
                    }
                }
            }
            // Entry n is "row" n + 1, as if the keys were a header row.
            let rows = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let cells = headers
                        .iter()
                        .map(|h| match item.get(h) {
                            Some(serde_json::Value::String(s)) => s.clone(),
                            Some(serde_json::Value::Null) | None => String::new(),
                            Some(other) => other.to_string(),
                        })
                        .collect();
                    (i + 2, cells)
                })
                .collect();
            Ok(Table {
                header_row: 1,
                headers,
                rows,
            })
        }
    }
}

/// What an import did.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = HotlineImportReport)]
pub struct ImportReport {
    /// Cases created.
    pub imported: usize,
    /// Orders already imported before (skipped).
    pub already_imported: Vec<String>,
    /// Ids of the new cases.
    pub case_ids: Vec<i64>,
    /// Orders whose address names no region, or that named no category and whose suggested
    /// category was not sure enough: kept for the command centre (待定位).
    pub pending: Vec<String>,
    /// Orders that named no category, filed under the suggested one.
    pub categorised: Vec<Categorised>,
}

/// An order filed under a suggested category.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Categorised {
    /// 工单编号.
    pub order_no: String,
    /// The category's code.
    pub category: String,
    /// How likely the suggestion was.
    pub likelihood: f64,
}

/// How sure a suggested category must be, by default, for an order that named none to be
/// filed under it without a person (the rest wait in 待定位 with the suggestion); a
/// deployment sets its own (`AppConfig::auto_category`).
pub const AUTO_CATEGORY: f64 = 0.6;

/// Where an order goes: a case in its grid, or the queue of orders waiting for a place (or
/// a person's choice of category), with the likelihood of a suggested category.
enum Placement {
    Case(Checked, Option<f64>),
    Pending(Waiting),
}

/// An order kept for a person: its category (maybe suggested, with its likelihood) and the
/// lowest node known to hold it (None: the importer's whole area).
struct Waiting {
    order: Order,
    category: CategoryRow,
    suggested: Option<f64>,
    within: Option<String>,
}

/// An order checked against the database: where it goes and under which category.
struct Checked {
    order: Order,
    category: CategoryRow,
    node: NodeRow,
}

/// Checks an order against the categories and the region tree: the order's problem as text
/// (a row error), or a database failure (which is not the row's fault).
/// What placing an order reads besides the database: the category list and the gazetteer.
#[derive(Clone, Copy)]
struct Known<'a> {
    categories: &'a [CategoryRow],
    gazetteer: &'a shanzhi_domain::geocode::Gazetteer,
}

async fn place(
    state: &App,
    conn: &mut Conn,
    actor: &Actor,
    order: Order,
    Known {
        categories,
        gazetteer,
    }: Known<'_>,
) -> Result<Result<Placement, String>, AppError> {
    let (category, suggested) = if order.category.is_empty() {
        let text = format!("{} {}", order.title, order.description);
        let best = crate::suggest::for_text(state, &text)
            .await?
            .categories
            .into_iter()
            .next();
        match best.and_then(|g| {
            let c = categories.iter().find(|c| c.code == g.code)?;
            Some((c.clone(), g.likelihood))
        }) {
            Some((c, likelihood)) => (c, Some(likelihood)),
            None => return Ok(Err("事项类别为空，且无法从诉求内容判断".into())),
        }
    } else {
        match categories
            .iter()
            .find(|c| c.code == order.category || c.name == order.category)
        {
            Some(c) => (c.clone(), None),
            None => return Ok(Err(format!("未知事项类别「{}」", order.category))),
        }
    };
    let unsure = suggested.is_some_and(|l| l < state.config().auto_category);
    if order.called_at.is_some_and(|at| at > state.now_ms()) {
        return Ok(Err("来电时间晚于现在，请核对".into()));
    }
    let code = match (&order.node_code, order.lon_lat) {
        (Some(code), _) => code.clone(),
        // Already converted to WGS-84 by the caller.
        (None, Some((lon, lat))) => match locate_codes(state, lon, lat, Crs::Wgs84) {
            Ok((Some(code), _)) => code,
            Ok((None, _)) => return Ok(Err("该经纬度不在任何网格内".into())),
            Err(e) => return Ok(Err(e.to_string())),
        },
        (None, None) => {
            let Some(address) = order.address.as_deref().filter(|a| !a.trim().is_empty()) else {
                return Ok(Err("须填写网格编码、经纬度或诉求地址".into()));
            };
            // The gazetteer's node when it is a community or below (a grid when sure, else
            // the community holding every candidate, which places it); otherwise the order
            // waits in the command centre's 待定位.
            let found = gazetteer.locate(address);
            if found.code.len() >= 12 && actor.sees(&found.code) && !unsure {
                found.code
            } else {
                // Waiting at the lowest node holding every candidate, when that is ours.
                let within = Some(found.code).filter(|c| !c.is_empty() && actor.sees(c));
                return Ok(Ok(Placement::Pending(Waiting {
                    order,
                    category,
                    suggested,
                    within,
                })));
            }
        }
    };
    if unsure {
        let within = Some(code).filter(|c| actor.sees(c));
        return Ok(Ok(Placement::Pending(Waiting {
            order,
            category,
            suggested,
            within,
        })));
    }
    let node = region_store::get_facts(conn, &code)
        .await?
        .filter(|n| n.retired_at.is_none() && n.code.len() >= 12 && actor.sees(&n.code));
    Ok(match node {
        Some(node) => Ok(Placement::Case(
            Checked {
                order,
                category,
                node,
            },
            suggested,
        )),
        None => Err(format!("网格编码 {code} 不存在、已撤销或不在您的辖区内")),
    })
}

/// Imports a hotline export (command centre, admin); its coordinates are in `crs` (city
/// platforms take them from AMap or Baidu: GCJ-02 or BD-09) and are kept as WGS-84; headers no
/// alias knows are read as `mapping` (field key → header) says.
pub async fn import(
    state: &App,
    actor: &Actor,
    file: (Format, &str, &[u8]),
    crs: Crs,
    mapping: &[(String, String)],
) -> Result<ImportReport, AppError> {
    actor.may(Resource::Hotline, Verb::Write)?;
    let (format, name, bytes) = file;
    let table = table(state, format, name, bytes)?;
    let reject = |errors: Vec<RowError>| {
        let n = errors.len();
        let first = errors
            .first()
            .map(|e| format!("第 {} 行：{}", e.row, e.message));
        AppError::Unprocessable {
            code: "invalid_rows",
            message: format!(
                "{} 等共 {n} 行有误，未导入任何工单，请改正后重新导入",
                first.unwrap_or_default()
            ),
            details: serde_json::to_value(&errors).unwrap_or_default(),
        }
    };
    let (mut orders, mut errors) = read_orders(&table, mapping);
    for o in &mut orders {
        o.lon_lat = o.lon_lat.map(|(lon, lat)| crs.to_wgs84(lon, lat));
    }
    if errors.iter().any(|e| e.row == table.header_row) {
        return Err(reject(errors));
    }
    let numbers: Vec<String> = orders.iter().map(|o| o.order_no.clone()).collect();
    let mut conn = state.store().conn().await?;
    let mut known = cases::known_hotline_orders(&mut conn, &numbers).await?;
    known.extend(pending_orders::known(&mut conn, &numbers).await?);
    let skip: std::collections::HashSet<&str> = known.iter().map(String::as_str).collect();
    let categories = state.categories().await?;
    let gazetteer = crate::geocode::gazetteer(state).await?;
    let (mut placed, mut waiting, mut categorised) = (Vec::new(), Vec::new(), Vec::new());
    for order in orders
        .into_iter()
        .filter(|o| !skip.contains(o.order_no.as_str()))
    {
        let (row, order_no) = (order.row, order.order_no.clone());
        let known = Known {
            categories: &categories,
            gazetteer: &gazetteer,
        };
        match place(state, &mut conn, actor, order, known).await? {
            Ok(Placement::Case(p, suggested)) => {
                if let Some(likelihood) = suggested {
                    categorised.push(Categorised {
                        order_no: p.order.order_no.clone(),
                        category: p.category.code.clone(),
                        likelihood,
                    });
                }
                placed.push(p);
            }
            Ok(Placement::Pending(w)) => waiting.push(w),
            Err(message) => errors.push(RowError {
                row,
                order_no: Some(order_no),
                message,
            }),
        }
    }
    drop(conn);
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.row);
        return Err(reject(errors));
    }
    let calendar = state.calendar();
    let mut tx = state.store().begin().await?;
    let webhooks = shanzhi_store::webhooks::any_active(&mut tx).await?;
    let (mut ids, mut events) = (Vec::new(), Vec::new());
    for p in &placed {
        let o = &p.order;
        let phone = sealed_phone(state, o);
        let filing = filing_of(o, &p.category, p.node.clone(), phone);
        let written = match check(&filing, &categories) {
            Ok(category) => {
                let placed = Placed {
                    filing: &filing,
                    category: &category,
                    calendar: &calendar,
                };
                file_in(&mut tx, placed, webhooks, state.now_ms()).await
            }
            Err(e) => Err(e),
        };
        let (row, event) = written.map_err(|e| match e {
            AppError::BadRequest { message, .. } => reject(vec![RowError {
                row: o.row,
                order_no: Some(o.order_no.clone()),
                message,
            }]),
            other => other,
        })?;
        ids.push(row.id);
        events.push(event);
    }
    let root = actor.scope_root().unwrap_or_default();
    let mut pending = Vec::new();
    for Waiting {
        order: o,
        category,
        suggested,
        within,
    } in &waiting
    {
        let phone = sealed_phone(state, o);
        let new = NewPending {
            order_no: &o.order_no,
            category: &category.code,
            title: &o.title,
            description: &o.description,
            address: o.address.as_deref().unwrap_or_default(),
            caller: o.caller.as_deref(),
            phone: phone.as_ref(),
            called_at: o.called_at,
            due_at: o.due_at,
            urgency: o.urgency,
            root: within.as_deref().unwrap_or(root),
            client_id: None,
            category_likelihood: *suggested,
        };
        pending_orders::insert(&mut tx, &new, state.now_ms()).await?;
        pending.push(o.order_no.clone());
    }
    if !pending.is_empty() {
        let who = audit::Actor::of_account(&mut tx, actor).await?;
        let record = audit::entry(
            state.now_ms(),
            &who,
            "hotline.pending",
            format!("file:{name}"),
            actor.scope_root(),
            serde_json::json!({"orders": pending}),
        );
        audit::record(&mut tx, [record]);
    }
    tx.commit().await?;
    if !events.is_empty() {
        state.announced();
    }
    Ok(ImportReport {
        imported: ids.len(),
        already_imported: known,
        case_ids: ids,
        pending,
        categorised,
    })
}

/// The caller's phone, sealed like a resident's own report's (the 回访 calls this number).
fn sealed_phone(state: &App, o: &Order) -> Option<SealedValue> {
    o.phone.as_ref().map(|phone| {
        state
            .vault()
            .protect(Field::Phone, phone, mask_phone(phone))
    })
}

/// The case an order files in `node`, the caller's phone sealed.
fn filing_of(
    o: &Order,
    category: &CategoryRow,
    node: NodeRow,
    phone: Option<SealedValue>,
) -> Filing {
    Filing {
        category: category.code.clone(),
        title: o.title.clone(),
        description: o.description.clone(),
        node,
        lon_lat: o.lon_lat,
        address: o.address.clone(),
        source: Source::Hotline,
        reporter_account: None,
        reporter_name: o.caller.clone(),
        actor_label: format!("12345热线（工单 {}）", o.order_no),
        client_id: None,
        hotline: Some(HotlineTerms {
            order: o.order_no.clone(),
            called_at: o.called_at,
            due_at: o.due_at,
            urgency: o.urgency,
        }),
        photos: Vec::new(),
        voice: None,
        // Sealed like a resident's own report: the 回访 calls this number.
        reporter_phone: phone,
        field: None,
    }
}

/// The grids a waiting order's address could be in, for a one-click choice: (code, the
/// building or place it names), the gazetteer's best first.
pub async fn choices(
    state: &App,
    actor: &Actor,
    address: &str,
) -> Result<Vec<(String, Option<String>)>, AppError> {
    actor.may(Resource::Hotline, Verb::Write)?;
    let found = crate::geocode::locate(state, address).await?;
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    if found.code.len() >= 12 {
        out.push((found.code, found.target.map(|t| t.name)));
    }
    for c in found.candidates {
        if !out.iter().any(|(code, _)| *code == c.code) {
            out.push((c.code, Some(c.name)));
        }
    }
    out.retain(|(code, _)| actor.sees(code));
    out.truncate(4);
    Ok(out)
}

/// The orders waiting for a place that `actor` may place, oldest call first.
pub async fn pending(state: &App, actor: &Actor) -> Result<Vec<PendingRow>, AppError> {
    actor.may(Resource::Hotline, Verb::Write)?;
    Ok(pending_orders::list(&mut state.store().conn().await?, actor.scope_root(), 500).await?)
}

/// Gives a waiting order its grid (a node `actor` sees, or where `lon_lat` lies) and files
/// its case, dated from the call; returns the case's id. 404 for an order `actor` may not
/// place.
pub async fn place_pending(
    state: &App,
    actor: &Actor,
    id: i64,
    node: Option<&str>,
    lon_lat: Option<(f64, f64)>,
    category: Option<&str>,
) -> Result<i64, AppError> {
    actor.may(Resource::Hotline, Verb::Write)?;
    let code = match (node.map(str::trim).filter(|c| !c.is_empty()), lon_lat) {
        (Some(code), _) => code.to_owned(),
        (None, Some((lon, lat))) => locate_codes(state, lon, lat, Crs::Wgs84)?
            .0
            .ok_or_else(|| AppError::bad("outside_area", "该位置不在任何网格内"))?,
        (None, None) => {
            return Err(AppError::bad(
                "location_required",
                "请选择网格，或给出经度和纬度",
            ));
        }
    };
    let categories = state.categories().await?;
    let calendar = state.calendar();
    let mut tx = state.store().begin().await?;
    let (row, phone) = pending_orders::take(&mut tx, id)
        .await?
        .filter(|(r, _)| {
            actor
                .scope_root()
                .is_none_or(|root| r.root.starts_with(root))
        })
        .ok_or_else(AppError::not_found)?;
    let node = region_store::get_facts(&mut tx, &code)
        .await?
        .filter(|n| n.retired_at.is_none() && actor.sees(&n.code))
        .ok_or_else(|| {
            AppError::bad(
                "invalid_node",
                format!("网格编码 {code} 不存在、已撤销或不在您的辖区内"),
            )
        })?;
    // A person's choice of category wins over the file's or the suggestion.
    let chosen = category
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or(&row.category);
    let category = categories
        .iter()
        .find(|c| c.code == chosen)
        .ok_or_else(|| AppError::bad("unknown_category", format!("未知事项类别 {chosen}")))?;
    let order = Order {
        row: 0,
        order_no: row.order_no.clone(),
        category: category.code.clone(),
        title: row.title.clone(),
        description: row.description.clone(),
        node_code: Some(code),
        lon_lat,
        address: Some(row.address.clone()),
        caller: row.caller.clone(),
        phone: None,
        called_at: row.called_at,
        due_at: row.due_at,
        urgency: row.urgency,
    };
    let mut filing = filing_of(&order, category, node, phone);
    if let Some(client) = row.client_id {
        // An Open311 request that waited: the case is the client's, as if placed at once.
        filing.source = Source::Open311;
        filing.client_id = Some(client);
        filing.actor_label = format!("Open311（待定位 {}）", row.order_no);
    }
    let category = check(&filing, &categories)?;
    let placed = Placed {
        filing: &filing,
        category: &category,
        calendar: &calendar,
    };
    let webhooks = shanzhi_store::webhooks::any_active(&mut tx).await?;
    let (case, _event) = file_in(&mut tx, placed, webhooks, state.now_ms()).await?;
    let who = audit::Actor::of_account(&mut tx, actor).await?;
    let record = audit::entry(
        state.now_ms(),
        &who,
        "hotline.placed",
        format!("case:{}", case.id),
        Some(&case.node_code),
        serde_json::json!({"order": row.order_no, "address": row.address}),
    );
    audit::record(&mut tx, [record]);
    tx.commit().await?;
    state.announced();
    Ok(case.id)
}
