//! Case operations: reporting, listing within scope, and moving a case through the loop with
//! an optimistic version check.

pub use crate::case_scope::{by_tracking, party_of, visible};
use crate::policy::{Ask, Reach, Resource, Verb};
use crate::{App, AppError};
use crate::{audit, notify, regions};
use rand::Rng;
use shanzhi_domain::auth::{Actor, actor_label};
use shanzhi_domain::case::holding;
use shanzhi_domain::case::photo::Prepared;
use shanzhi_domain::case::voice::Voice;
use shanzhi_domain::case::{
    Action, Calendar, CaseFacts, Party, Satisfaction, Source, Stage, Tier, Urgency, WorkflowError,
    apply, holder_of,
};
use shanzhi_domain::geo::Crs;
use shanzhi_domain::personal::{mask_phone, normalize_phone};
use shanzhi_domain::texts::TextKind;
use shanzhi_store::accounts::AccountRow;
use shanzhi_store::cases::{self, CaseUpdate, NewCase, NewEvent};
pub use shanzhi_store::cases::{CaseRow, CategoryRow};
use shanzhi_store::regions::NodeRow;
use shanzhi_store::vault::Field;
use shanzhi_store::{Tx, regions as region_store, summons};

/// A report by a staff member (grid worker on patrol, officer, mobile reporter, API client).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ReportInput {
    /// Category code (事项清单).
    pub category: String,
    /// Short title, up to 100 characters.
    pub title: String,
    /// What happened, up to 4,000 characters.
    pub description: String,
    /// Longitude; with `lat`, the case is placed by `locate`.
    pub lon: Option<f64>,
    /// Latitude.
    pub lat: Option<f64>,
    /// Coordinate system of lon/lat (default wgs84).
    #[serde(default)]
    pub crs: Crs,
    /// The grid (or other node) when no location is given.
    pub node_code: Option<String>,
    /// Address text.
    pub address: Option<String>,
    /// grid_patrol (default), mobile, assignment, api …
    pub source: Option<String>,
}

/// Letters and digits that cannot be mistaken for one another when read aloud or retyped.
const TRACKING_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// Characters in a tracking code: short enough to read out on the phone, with 31⁸ (8.5 × 10¹¹)
/// codes to draw from.
const TRACKING_LEN: usize = 8;

/// A fresh tracking code: [`TRACKING_LEN`] characters of [`TRACKING_ALPHABET`].
pub(crate) fn tracking_code() -> String {
    let mut rng = rand::rng();
    (0..TRACKING_LEN)
        .map(|_| TRACKING_ALPHABET[rng.random_range(0..TRACKING_ALPHABET.len())] as char)
        .collect()
}

/// A report ready to be filed, whoever made it (owned: it travels to the intake writer).
#[derive(Debug, Clone)]
pub(crate) struct Filing {
    pub category: String,
    pub title: String,
    pub description: String,
    pub node: NodeRow,
    pub lon_lat: Option<(f64, f64)>,
    pub address: Option<String>,
    pub source: Source,
    pub reporter_account: Option<i64>,
    pub reporter_name: Option<String>,
    pub actor_label: String,
    pub client_id: Option<i64>,
    /// What a 12345 work order brings beyond a report.
    pub hotline: Option<HotlineTerms>,
    /// Photos taken with the report, already checked (shown to the reporter too).
    pub photos: Vec<shanzhi_domain::case::photo::Prepared>,
    /// A voice note with the report (staff only).
    pub voice: Option<Voice>,
    /// A resident's phone, sealed.
    pub reporter_phone: Option<shanzhi_store::vault::SealedValue>,
    /// Made without a signal and sent later: the receipt to keep with the case (its
    /// `counted_at` is the report time deadlines start from).
    pub field: Option<shanzhi_store::offline::Receipt>,
}

/// A 12345 work order's own terms.
#[derive(Debug, Clone)]
pub(crate) struct HotlineTerms {
    /// 工单编号 (a re-import skips it).
    pub order: String,
    /// When the caller reported it: the case's report time, and where its deadlines start.
    pub called_at: Option<i64>,
    /// The platform's deadline: the case keeps the stricter of it and its category's.
    pub due_at: Option<i64>,
    /// 紧急程度.
    pub urgency: Urgency,
}

/// Files a report: checks it, places it at the category's default tier, and writes the case
/// and its first timeline entry in one transaction.
pub(crate) async fn file(state: &App, f: Filing) -> Result<CaseRow, AppError> {
    let category = check(&f, &state.categories().await?)?;
    let (row, _) = state.intake().file(f, category, state.calendar()).await?;
    state.announced();
    Ok(row)
}

/// Checks a report before it is queued for writing: its text, source and place, and its
/// category among the active ones, which it returns.
pub(crate) fn check(f: &Filing, categories: &[CategoryRow]) -> Result<CategoryRow, AppError> {
    let category = categories
        .iter()
        .find(|c| c.code == f.category.trim())
        .cloned()
        .ok_or_else(|| AppError::bad("unknown_category", format!("未知事项类别 {}", f.category)))?;
    let (title, description) = (f.title.trim(), f.description.trim());
    // The description first: a resident's title is cut from it.
    // 4,000 characters: what Open311 clients may send.
    if description.is_empty() || description.chars().count() > 4000 {
        return Err(AppError::bad(
            "invalid_description",
            "事件描述不能为空，且不超过 4000 个字",
        ));
    }
    if title.is_empty() || title.chars().count() > 100 {
        return Err(AppError::bad(
            "invalid_title",
            "标题不能为空，且不超过 100 个字",
        ));
    }
    if f.node.retired_at.is_some() {
        return Err(retired_place());
    }
    if f.node.code.len() < 12 {
        return Err(AppError::bad(
            "invalid_node",
            "事件必须落在村社区、网格或微网格内",
        ));
    }
    Ok(category)
}

/// The refusal of a report placed in a retired node.
pub(crate) fn retired_place() -> AppError {
    AppError::bad("invalid_node", "所选网格已撤销：请刷新后重新选择位置")
}

/// A checked report with what its category decides: holder, tier and deadlines.
pub(crate) struct Placed<'a> {
    /// The report.
    pub filing: &'a Filing,
    /// Its category.
    pub category: &'a CategoryRow,
    /// The calendar its deadlines count against.
    pub calendar: &'a Calendar,
}

/// The computed parts of a new case that the row borrows.
struct Derived {
    tracking: String,
    holder: String,
    tier: Tier,
    clock: shanzhi_domain::case::Clock,
    accept_due: i64,
    handle_due: i64,
}

fn derive(p: &Placed<'_>, now: i64) -> Derived {
    let node = &p.filing.node;
    let hotline = p.filing.hotline.as_ref();
    // A call's deadlines run from the call, not from its import; a report made without a
    // signal, from when it was made.
    let start = reported_at(p.filing).unwrap_or(now);
    let limit = hotline.and_then(|h| h.due_at).unwrap_or(i64::MAX);
    let tier = shanzhi_domain::case::routed_tier(p.category.tier, &node.code);
    let clock = p.category.clock;
    Derived {
        tracking: tracking_code(),
        holder: holder_of(&node.code, tier).unwrap_or_else(|| node.code.clone()),
        tier,
        clock,
        accept_due: p
            .calendar
            .due(clock, start, p.category.accept_hours.into())
            .min(limit),
        handle_due: p
            .calendar
            .due(clock, start, p.category.handle_hours.into())
            .min(limit),
    }
}

/// When a report was made, when that is not when it arrived: a 12345 call's time, or the
/// counted field time of a report sent after a dropped signal.
fn reported_at(f: &Filing) -> Option<i64> {
    f.hotline
        .as_ref()
        .and_then(|h| h.called_at)
        .or(f.field.as_ref().map(|r| r.counted_at))
}

/// Writes checked reports inside the caller's transaction, each placed at its category's
/// default tier, in a few statements whatever their number; queues them for webhooks when
/// `webhooks` (some are active). Returns the cases and the changes to publish once the
/// transaction commits.
pub(crate) async fn file_many(
    tx: &mut Tx,
    reports: &[Placed<'_>],
    webhooks: bool,
    now: i64,
) -> Result<Vec<(CaseRow, notify::CaseEvent)>, AppError> {
    let derived: Vec<Derived> = reports.iter().map(|p| derive(p, now)).collect();
    let items: Vec<(NewCase<'_>, NewEvent<'_>)> = reports
        .iter()
        .zip(&derived)
        .map(|(p, d)| {
            let f = p.filing;
            let new = NewCase {
                tracking_code: &d.tracking,
                source: f.source,
                category_code: &p.category.code,
                title: f.title.trim(),
                description: f.description.trim(),
                node_code: &f.node.code,
                lon_lat: f.lon_lat,
                address: f
                    .address
                    .as_deref()
                    .map(str::trim)
                    .filter(|a| !a.is_empty()),
                tier: d.tier,
                holder_code: &d.holder,
                reporter_account: f.reporter_account,
                reporter_name: f
                    .reporter_name
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty()),
                accept_due: d.accept_due,
                handle_due: d.handle_due,
                clock: d.clock,
                client_id: f.client_id,
                hotline_order: f.hotline.as_ref().map(|h| h.order.as_str()),
                reporter_phone: f.reporter_phone.as_ref(),
                reported_at: reported_at(f),
                urgency: f.hotline.as_ref().map(|h| h.urgency).unwrap_or_default(),
            };
            let first = NewEvent {
                actor_id: f.reporter_account,
                actor_label: &f.actor_label,
                action: "report",
                from_stage: None,
                to_stage: Stage::Reported,
                note: "",
                public: true,
            };
            (new, first)
        })
        .collect();
    let rows = cases::insert_many(tx, &items, now)
        .await
        .map_err(|e| match e {
            shanzhi_store::StoreError::Conflict(_) => {
                AppError::Conflict("12345 工单已导入，或查询码重复，请重试".into())
            }
            other => other.into(),
        })?;
    let told: Vec<i64> = rows
        .iter()
        .zip(reports)
        .filter(|(_, p)| p.filing.reporter_phone.is_some())
        .map(|(row, _)| row.id)
        .collect();
    shanzhi_store::sms::queue(tx, &told, TextKind::Filed, "", now).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (row, p) in rows.into_iter().zip(reports) {
        let f = p.filing;
        store_photos(
            tx,
            &row,
            &f.photos,
            true,
            f.reporter_account,
            &f.actor_label,
            now,
        )
        .await?;
        if let Some(v) = &f.voice {
            shanzhi_store::voices::insert(tx, row.id, v, f.reporter_account, &f.actor_label, now)
                .await?;
        }
        if let Some(r) = &f.field {
            let receipt = shanzhi_store::offline::Receipt {
                target_id: row.id,
                ..r.clone()
            };
            shanzhi_store::offline::insert(tx, &receipt).await?;
        }
        let event = notify::event_of(&row, "report", &p.filing.actor_label, now);
        if webhooks {
            notify::enqueue(tx, &event).await?;
        }
        notify::announce(tx, &event);
        out.push((row, event));
    }
    Ok(out)
}

/// Writes one checked report inside the caller's transaction (see [`file_many`]).
pub(crate) async fn file_in(
    tx: &mut Tx,
    report: Placed<'_>,
    webhooks: bool,
    now: i64,
) -> Result<(CaseRow, notify::CaseEvent), AppError> {
    file_many(tx, &[report], webhooks, now)
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal("no case written".into()))
}

/// What an administrator may change of a category.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct CategorySettings {
    /// Whether a matter the finding grid worker handled on the spot (就地处置) still goes to the
    /// community's 核查 (false: it counts as verified at once).
    pub onsite_check: bool,
}

/// Changes a category (事项清单), audited, and tells every process through the change feed.
pub async fn change_category(
    state: &App,
    p: &crate::Principal,
    code: &str,
    change: &CategorySettings,
) -> Result<CategoryRow, AppError> {
    p.may(Resource::Category, Verb::Write)?;
    let mut tx = state.store().begin().await?;
    let before = cases::category(&mut tx, code)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("没有事项类别 {code}")))?;
    cases::set_onsite_check(&mut tx, code, change.onsite_check).await?;
    let record = audit::entry(
        state.now_ms(),
        &audit::Actor::of(p),
        "category.change",
        format!("category:{code}"),
        None,
        serde_json::json!({"onsite_check": {"before": before.onsite_check, "after": change.onsite_check}}),
    );
    audit::record(&mut tx, [record]);
    tx.publish(
        shanzhi_domain::notify::FeedKind::Categories,
        "{}".into(),
        state.now_ms(),
    );
    tx.commit().await?;
    state.announced();
    state.forget_categories();
    Ok(CategoryRow {
        onsite_check: change.onsite_check,
        ..before
    })
}

/// Records a staff member's report, placed by location (`locate`) or by the chosen node, both
/// within the reporter's scope.
pub async fn report(
    state: &App,
    actor: &Actor,
    account: &AccountRow,
    input: ReportInput,
    photos: Vec<Prepared>,
) -> Result<CaseRow, AppError> {
    report_made(state, actor, account, input, photos, None).await
}

/// [`report`], of a report made without a signal when `field` holds its receipt.
pub(crate) async fn report_made(
    state: &App,
    actor: &Actor,
    account: &AccountRow,
    input: ReportInput,
    photos: Vec<Prepared>,
    field: Option<shanzhi_store::offline::Receipt>,
) -> Result<CaseRow, AppError> {
    actor.may(Resource::Case, Verb::Write)?;
    let (node, lon_lat) = match (input.lon, input.lat, &input.node_code) {
        (Some(lon), Some(lat), _) => {
            let (code, _) = regions::locate_codes(state, lon, lat, input.crs)?;
            let node = match code.filter(|c| actor.sees(c)) {
                Some(c) => regions::located(state, &c).await?,
                None => None,
            };
            let node = node.ok_or_else(|| {
                AppError::NotFound("该位置不在任何网格内，或不在您的管辖范围内".into())
            })?;
            (node, Some(input.crs.to_wgs84(lon, lat)))
        }
        (None, None, Some(code)) => (regions::visible(state, actor, code).await?, None),
        (None, None, None) if given(&input.address).is_some() => {
            let address = given(&input.address).unwrap_or_default();
            (placed_by_address(state, actor, address).await?, None)
        }
        _ => {
            return Err(AppError::bad(
                "location_required",
                "请提供经纬度（lon、lat）、选择所在网格（node_code），或填写地址（address）",
            ));
        }
    };
    let source = match input.source.as_deref().filter(|s| !s.trim().is_empty()) {
        None => Source::GridPatrol,
        Some(s) => s
            .trim()
            .parse()
            .map_err(|_| AppError::bad("invalid_source", format!("未知来源 {s}")))?,
    };
    let filing = Filing {
        category: input.category,
        title: input.title,
        description: input.description,
        node,
        lon_lat,
        address: input.address,
        source,
        reporter_account: Some(account.id),
        reporter_name: Some(account.display_name.clone()),
        actor_label: actor_label(&account.display_name, actor.role),
        client_id: None,
        hotline: None,
        photos,
        voice: None,
        reporter_phone: None,
        field,
    };
    file(state, filing).await
}

/// The grid a staff member's typed address places a report in: only when the gazetteer is
/// sure and the grid is the reporter's; otherwise they are asked to point at it instead,
/// with what the address could be.
async fn placed_by_address(state: &App, actor: &Actor, address: &str) -> Result<NodeRow, AppError> {
    let found = crate::geocode::locate(state, address).await?;
    if found.confidence >= crate::geocode::CONFIDENT
        && found.code.len() >= 12
        && actor.sees(&found.code)
        && let Some(node) =
            region_store::get_facts(&mut state.store().conn().await?, &found.code).await?
        && node.retired_at.is_none()
    {
        return Ok(node);
    }
    let maybe: Vec<&str> = found
        .candidates
        .iter()
        .filter(|c| actor.sees(&c.code))
        .map(|c| c.name.as_str())
        .take(3)
        .collect();
    let maybe = if maybe.is_empty() {
        String::new()
    } else {
        format!("（可能是：{}）", maybe.join("、"))
    };
    Err(AppError::bad(
        "address_unplaced",
        format!("无法从地址「{address}」确定所在网格{maybe}，请在地图上点出位置或选择网格"),
    ))
}

/// A resident's report from a grid's public page (reached by its QR code).
#[derive(Debug, Clone)]
pub struct PublicReport {
    /// Category code.
    pub category: String,
    /// What happened.
    pub description: String,
    /// Name, optional.
    pub name: Option<String>,
    /// Where, in words, optional.
    pub address: Option<String>,
    /// Phone, optional (for the call-back, 回访); stored sealed.
    pub phone: Option<String>,
    /// Photos, already checked.
    pub photos: Vec<Prepared>,
    /// A voice note, already checked.
    pub voice: Option<Voice>,
    /// Where, as picked on the page's map (WGS-84 longitude and latitude), optional.
    pub lon_lat: Option<(f64, f64)>,
}

/// A live node residents may report into: a community, grid or micro-grid (404 otherwise).
pub async fn public_node(state: &App, code: &str) -> Result<NodeRow, AppError> {
    region_store::get(&mut state.store().conn().await?, code)
        .await?
        .filter(|n| n.retired_at.is_none() && n.code.len() >= 12)
        .ok_or_else(|| AppError::NotFound("没有这个网格，或二维码已失效".into()))
}

/// The grid a resident's pin lies in, which must be one the page's map drew around `node`
/// (the pin is for placing the problem precisely, not for reaching another community).
async fn picked(state: &App, node: NodeRow, lon: f64, lat: f64) -> Result<NodeRow, AppError> {
    let (code, _) = regions::locate_codes(state, lon, lat, Crs::Wgs84)?;
    let code = code
        .filter(|c| c.starts_with(regions::map_root(&node)))
        .ok_or_else(|| {
            AppError::bad(
                "outside_map",
                "所选位置不在地图上的网格里，请在地图上的网格内重新点选",
            )
        })?;
    public_node(state, &code).await
}

/// Records a resident's report; no account needed. The title is the start of the description.
pub async fn report_public(
    state: &App,
    node_code: &str,
    r: PublicReport,
) -> Result<CaseRow, AppError> {
    let node = public_node(state, node_code).await?;
    let node = match (r.lon_lat, r.address.as_deref().map(str::trim)) {
        (Some((lon, lat)), _) => picked(state, node, lon, lat).await?,
        // A typed address moves the report to the grid it names, when the gazetteer is sure
        // and the grid is on the page's map; otherwise the QR code's grid takes it.
        (None, Some(address)) if !address.is_empty() => {
            let found = crate::geocode::locate(state, address).await?;
            if found.confidence >= crate::geocode::CONFIDENT
                && found.code.len() >= 12
                && found.code.starts_with(regions::map_root(&node))
            {
                public_node(state, &found.code).await.unwrap_or(node)
            } else {
                node
            }
        }
        _ => node,
    };
    let reporter_phone = match r.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => {
            let phone =
                normalize_phone(p).map_err(|e| AppError::bad("invalid_phone", e.to_string()))?;
            Some(
                state
                    .vault()
                    .protect(Field::Phone, &phone, mask_phone(&phone)),
            )
        }
        None => None,
    };
    // A photo or a voice note may say it all (报事不用打字): the report then says so in words
    // for the staff.
    let description = match (r.description.trim(), r.photos.len(), r.voice.is_some()) {
        ("", 0, false) => {
            return Err(AppError::bad(
                "invalid_description",
                "请写几句发生了什么，或拍一张现场照片，或录一段语音",
            ));
        }
        ("", 0, true) => "居民语音反映，没有写文字，请听语音留言".to_owned(),
        ("", n, false) => format!("居民拍照反映，没有写文字（现场照片 {n} 张）"),
        ("", n, true) => format!("居民拍照并语音反映，没有写文字（现场照片 {n} 张），请听语音留言"),
        (d, _, _) => d.to_owned(),
    };
    let title: String = description.chars().take(30).collect();
    let name = r.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    // 不清楚: the likeliest category for the words; the accepting officer re-categorises
    // it if wrong (改类), which is what the suggestions then learn.
    let category = match r.category.trim() {
        "" | "auto" if r.description.trim().is_empty() => {
            return Err(AppError::bad(
                "category_required",
                "请选择问题类别，或写几句发生了什么，以便判断类别",
            ));
        }
        "" | "auto" => crate::suggest::for_text(state, &description)
            .await?
            .categories
            .into_iter()
            .next()
            .map(|g| g.code)
            .unwrap_or_default(),
        chosen => chosen.to_owned(),
    };
    let filing = Filing {
        category,
        title,
        description,
        node,
        lon_lat: r.lon_lat,
        address: r.address,
        source: Source::ResidentQr,
        reporter_account: None,
        actor_label: name.map_or_else(|| "居民".to_owned(), |n| format!("居民 {n}")),
        reporter_name: name.map(str::to_owned),
        client_id: None,
        hotline: None,
        photos: r.photos,
        voice: r.voice,
        reporter_phone,
        field: None,
    };
    file(state, filing).await
}

/// What a case list or search asks for; every part is optional.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct CaseQuery {
    /// Words to search for in title, description and address (two characters at least: 漏水).
    pub q: Option<String>,
    /// Only this stage (reported, accepted, dispatched, in_progress, handled, verified, closed …).
    pub stage: Option<String>,
    /// Only this category and its sub-categories.
    pub category: Option<String>,
    /// Only from this source (grid_patrol, resident_qr, hotline, open311 …).
    pub source: Option<String>,
    /// Only under this node (within the caller's scope).
    pub node: Option<String>,
    /// Reported on or after this day (YYYY-MM-DD).
    pub from: Option<String>,
    /// Reported on or before this day (YYYY-MM-DD).
    pub to: Option<String>,
    /// Only cases past their deadline (true).
    pub overdue: Option<bool>,
}

/// A query field, when it holds more than whitespace.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn day_start(field: &str, value: Option<&str>) -> Result<Option<i64>, AppError> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            shanzhi_domain::case::Day::parse(v)
                .map(shanzhi_domain::case::Day::start_ms)
                .ok_or_else(|| {
                    AppError::bad(
                        "invalid_day",
                        format!("{field} 日期 {v} 无效，格式为 2026-10-01"),
                    )
                })
        })
        .transpose()
}

/// What a case query asks for, checked and with the actor's scope applied.
struct Criteria<'a> {
    within: Option<&'a str>,
    department: Option<i64>,
    stage: Option<&'a str>,
    terms: Option<Vec<String>>,
    category: Option<&'a str>,
    source: Option<&'a str>,
    from: Option<i64>,
    to: Option<i64>,
    overdue_at: Option<i64>,
}

impl<'a> Criteria<'a> {
    /// The cases the actor may list that match `q`: those that happened in its subtree, or
    /// for departments, those dispatched to it.
    fn of(state: &App, actor: &'a Actor, q: &'a CaseQuery) -> Result<Criteria<'a>, AppError> {
        let reach = actor.may(Resource::Case, Verb::List)?;
        let stage = given(&q.stage);
        if let Some(s) = stage {
            s.parse::<Stage>()
                .map_err(|_| AppError::bad("invalid_stage", format!("未知状态 {s}")))?;
        }
        let source = given(&q.source);
        if let Some(s) = source {
            s.parse::<Source>()
                .map_err(|_| AppError::bad("invalid_source", format!("未知来源 {s}")))?;
        }
        let terms = given(&q.q)
            .map(shanzhi_domain::case::query_terms)
            .transpose()
            .map_err(|e| AppError::bad("query_too_short", e.to_string()))?;
        // A department lists the cases dispatched to it, wherever they are.
        let department = actor.department_id.filter(|_| reach == Reach::Department);
        let node = given(&q.node);
        if let Some(n) = node.filter(|n| !actor.sees(n) && department.is_none()) {
            return Err(AppError::NotFound(format!(
                "没有区域 {n}，或不在您的管辖范围内"
            )));
        }
        let within = node.or(if department.is_some() {
            None
        } else {
            actor.scope_root()
        });
        Ok(Criteria {
            within,
            department,
            stage,
            terms,
            category: given(&q.category),
            source,
            from: day_start("from", given(&q.from))?,
            to: day_start("to", given(&q.to))?.map(|t| t + 86_400_000),
            overdue_at: q.overdue.unwrap_or(false).then(|| state.now_ms()),
        })
    }

    fn filter(&self) -> cases::CaseFilter<'_> {
        cases::CaseFilter {
            within: self.within,
            department_id: self.department,
            stage: self.stage,
            terms: self.terms.as_deref(),
            category: self.category,
            source: self.source,
            from: self.from,
            to: self.to,
            overdue_at: self.overdue_at,
        }
    }
}

/// The cases the actor may list that match the query, newest first, before the `before` id:
/// those that happened in its subtree, or for departments, those dispatched to it.
pub async fn search(
    state: &App,
    actor: &Actor,
    q: &CaseQuery,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<CaseRow>, AppError> {
    let c = Criteria::of(state, actor, q)?;
    Ok(cases::page(&mut state.store().conn().await?, &c.filter(), before, limit).await?)
}

/// How many of the cases [`search`] would list there are in each stage, whatever stage the
/// query names (the list's tabs).
pub async fn stage_counts(
    state: &App,
    actor: &Actor,
    q: &CaseQuery,
) -> Result<Vec<(Stage, i64)>, AppError> {
    let mut c = Criteria::of(state, actor, q)?;
    c.stage = None;
    Ok(cases::stage_counts(&mut state.store().conn().await?, &c.filter()).await?)
}

/// The categories a case can be filed under, as (code, name), in their order: every one
/// without subcategories — a subcategory, or a category that has none (环境卫生).
pub fn choosable(categories: &[CategoryRow]) -> Vec<(String, String)> {
    categories
        .iter()
        .filter(|c| {
            !categories
                .iter()
                .any(|o| o.parent_code.as_deref() == Some(c.code.as_str()))
        })
        .map(|c| (c.code.clone(), c.name.clone()))
        .collect()
}

/// Whether the actor may blow the whistle on the case (for showing the form).
pub fn may_summon(actor: &Actor, case: &CaseRow) -> bool {
    let (stage, _tier) = (case.stage, case.tier);
    holding::relation(actor, &case.holding()).is_some_and(|relation| {
        shanzhi_domain::case::may_summon(
            stage,
            Party::Staff {
                role: actor.role,
                relation,
            },
        )
        .is_ok()
    })
}

/// A 吹哨 as the street or community blows it (also the API's request).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct Whistle {
    /// Departments to summon.
    pub department_ids: Vec<i64>,
    /// Why they are summoned, up to 200 characters.
    #[serde(default)]
    pub reason: String,
    /// Where to meet, up to 100 characters (default: the case's address).
    pub place: Option<String>,
    /// When to meet, Beijing time (`2026-11-18 15:00`); none: as soon as they can.
    pub meet_at: Option<String>,
    /// Hours they have to report in (default 2, 1–72).
    pub hours: Option<i64>,
}

/// 吹哨: summons departments to a case, saying why, where and when to meet; each must report
/// in within the hours given.
pub async fn summon(
    state: &App,
    actor: &Actor,
    account: &AccountRow,
    case: &CaseRow,
    w: &Whistle,
) -> Result<Vec<summons::SummonsRow>, AppError> {
    let (department_ids, hours) = (&w.department_ids, w.hours);
    actor.may(Resource::Case, Verb::Write)?;
    let stage = case.stage;
    let _tier = case.tier;
    let relation = holding::relation(actor, &case.holding())
        .ok_or_else(|| AppError::Forbidden("您与此事件无关".into()))?;
    shanzhi_domain::case::may_summon(
        stage,
        Party::Staff {
            role: actor.role,
            relation,
        },
    )
    .map_err(workflow_error)?;
    if department_ids.is_empty() {
        return Err(AppError::bad("departments_required", "请选择要召集的部门"));
    }
    let hours = hours.unwrap_or(shanzhi_domain::case::REPORT_IN_HOURS);
    if !(1..=72).contains(&hours) {
        return Err(AppError::bad(
            "invalid_hours",
            "报到时限须在 1 到 72 小时之间",
        ));
    }
    let reason = w.reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(AppError::bad(
            "reason_required",
            "请写明吹哨事由（200 字以内），部门据此准备",
        ));
    }
    let place = w
        .place
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .or(case.address.as_deref());
    if place.is_some_and(|p| p.chars().count() > 100) {
        return Err(AppError::bad("invalid_place", "碰头地点不超过 100 字"));
    }
    let now = state.now_ms();
    let meet_at = match w
        .meet_at
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => None,
        Some(t) => Some(
            shanzhi_domain::case::parse_beijing(t)
                .filter(|at| *at >= now - 3_600_000)
                .ok_or_else(|| {
                    AppError::bad(
                        "invalid_meet_at",
                        format!("碰头时间“{t}”看不懂或已过去，请写成 2026-11-18 15:00"),
                    )
                })?,
        ),
    };
    let call = summons::Call {
        reason,
        place,
        meet_at,
    };
    let mut tx = state.store().begin().await?;
    let mut names = Vec::new();
    for d in department_ids {
        let dep = shanzhi_store::accounts::department(&mut tx, *d)
            .await?
            .filter(|dep| case.node_code.starts_with(&dep.node_code))
            .ok_or_else(|| {
                AppError::bad(
                    "unknown_department",
                    format!("部门 {d} 不存在，或事件不在其辖区内"),
                )
            })?;
        summons::insert(
            &mut tx,
            case.id,
            dep.id,
            account.id,
            now,
            now + hours * 3_600_000,
            call,
        )
        .await
        .map_err(|e| match e {
            shanzhi_store::StoreError::Conflict(_) => {
                AppError::Conflict(format!("{} 已被召集", dep.name))
            }
            other => other.into(),
        })?;
        names.push(dep.name);
    }
    let label = actor_label(&account.display_name, actor.role);
    let mut note = format!(
        "吹哨召集：{}（{} 小时内报到）。事由：{reason}",
        names.join("、"),
        hours
    );
    if let Some(p) = place {
        note.push_str(&format!("；地点：{p}"));
    }
    if let Some(at) = meet_at {
        note.push_str(&format!(
            "；碰头时间：{}",
            shanzhi_domain::case::beijing_minutes(at)
        ));
    }
    let event = NewEvent {
        actor_id: Some(account.id),
        actor_label: &label,
        action: "summon",
        from_stage: Some(case.stage),
        to_stage: case.stage,
        note: &note,
        public: false,
    };
    cases::append_event(&mut tx, case.id, event, state.now_ms()).await?;
    let rows = summons::of_case(&mut tx, case.id).await?;
    tx.commit().await?;
    Ok(rows)
}

/// 报到: a summoned department reports in with its part.
pub async fn report_in(
    state: &App,
    actor: &Actor,
    account: &AccountRow,
    case: &CaseRow,
    part: &str,
) -> Result<(), AppError> {
    let reach = actor.may(Resource::Case, Verb::Write)?;
    let department = actor
        .department_id
        .filter(|_| reach == Reach::Department)
        .ok_or_else(|| AppError::Forbidden("只有被召集的职能部门可以报到".into()))?;
    if part.trim().is_empty() {
        return Err(AppError::bad(
            "reason_required",
            "报到时请说明本部门承担的工作",
        ));
    }
    let mut tx = state.store().begin().await?;
    if !summons::summoned(&mut tx, case.id, department).await? {
        return Err(AppError::Forbidden("本部门未被召集".into()));
    }
    if !summons::report_in(
        &mut tx,
        case.id,
        department,
        account.id,
        state.now_ms(),
        part.trim(),
    )
    .await?
    {
        return Err(AppError::Conflict("本部门已报到".into()));
    }
    let label = actor_label(&account.display_name, actor.role);
    let note = format!("报到：{}", part.trim());
    let event = NewEvent {
        actor_id: Some(account.id),
        actor_label: &label,
        action: "report_in",
        from_stage: Some(case.stage),
        to_stage: case.stage,
        note: &note,
        public: false,
    };
    cases::append_event(&mut tx, case.id, event, state.now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

/// The reporter's full phone number, for a call-back (回访): an explicit act by someone with
/// standing, recorded in the audit trail before it is shown.
pub async fn reveal_reporter_phone(
    state: &App,
    actor: &Actor,
    account: &AccountRow,
    case: &CaseRow,
) -> Result<String, AppError> {
    actor.may(Resource::ReporterContact, Verb::Reveal)?;
    if !holding::has_standing(actor, &case.holding()) {
        return Err(AppError::Forbidden(
            "您与此事件无关，不能查看报告人电话".into(),
        ));
    }
    let mut tx = state.store().begin().await?;
    let sealed = cases::reporter_phone(&mut tx, case.id)
        .await?
        .ok_or_else(|| AppError::NotFound("报告人没有留下电话".into()))?;
    let who = audit::Actor {
        id: Some(account.id),
        label: actor_label(&account.display_name, actor.role),
    };
    let record = audit::entry(
        state.now_ms(),
        &who,
        "case.reveal_reporter_phone",
        format!("case:{}", case.id),
        Some(&case.node_code),
        serde_json::json!({"masked": case.reporter_phone_masked}),
    );
    audit::record(&mut tx, [record]);
    tx.commit().await?;
    state
        .vault()
        .open(Field::Phone, &sealed)
        .map_err(|e| AppError::Internal(e.to_string()))
}

fn workflow_error(e: WorkflowError) -> AppError {
    match e {
        WorkflowError::NotAllowed(_) => AppError::Forbidden(e.to_string()),
        WorkflowError::WrongStage { .. } => AppError::Conflict(e.to_string()),
        WorkflowError::ReasonRequired(_) => AppError::bad("reason_required", e.to_string()),
        WorkflowError::BadTarget { .. } | WorkflowError::AtTop => {
            AppError::bad("invalid_target", e.to_string())
        }
    }
}

/// Escalates every overdue case one tier up (the deadline scheduler's work; run periodically,
/// and safe to run from several processes: the version check lets only one win per case).
/// Returns how many were escalated.
pub async fn escalate_overdue(state: &App) -> Result<usize, AppError> {
    let due = cases::overdue(&mut state.store().conn().await?, state.now_ms(), 500).await?;
    let mut escalated = 0;
    for case in due {
        let version = case.version;
        let m = Move {
            action: Action::Escalate {
                reason: "超过办理时限，系统自动上报上级".into(),
            },
            version,
            department_id: None,
        };
        match transition(state, Who::System, case, m).await {
            Ok(_) => escalated += 1,
            // Someone moved it meanwhile; the next round looks again.
            Err(AppError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(escalated)
}

/// Who moves a case.
#[derive(Debug, Clone, Copy)]
pub enum Who<'a> {
    /// A staff member (scope and standing are checked).
    Staff {
        /// Scope facts.
        actor: &'a Actor,
        /// The account, for the timeline.
        account: &'a AccountRow,
    },
    /// The reporter, who proved it with the tracking code.
    Reporter,
    /// The deadline scheduler.
    System,
}

/// A requested transition, with the version the caller saw.
#[derive(Debug, Clone)]
pub struct Move {
    /// What to do.
    pub action: Action,
    /// The case version the caller acted on.
    pub version: i64,
    /// Department to dispatch to (with `Dispatch { to: Department }`).
    pub department_id: Option<i64>,
}

/// Applies a transition: domain rules, then one transaction that writes only if nobody else
/// moved the case since `version` was read.
pub async fn transition(
    state: &App,
    who: Who<'_>,
    case: CaseRow,
    m: Move,
) -> Result<CaseRow, AppError> {
    transition_made(state, who, case, m, None).await
}

/// A step taken without a signal and sent later: its receipt, whose `counted_at` the timeline
/// records, and the photos taken with it.
#[derive(Debug, Clone)]
pub(crate) struct FieldStep {
    /// The receipt, kept in the step's transaction.
    pub receipt: shanzhi_store::offline::Receipt,
    /// Photos of the work (shown to the reporter, as 处置后).
    pub photos: Vec<Prepared>,
}

/// [`transition`], of a step made without a signal when `field` holds it.
pub(crate) async fn transition_made(
    state: &App,
    who: Who<'_>,
    case: CaseRow,
    m: Move,
    field: Option<FieldStep>,
) -> Result<CaseRow, AppError> {
    if let Who::Staff { actor, .. } = &who {
        actor.may(Resource::Case, Verb::Write)?;
    }
    let id = case.id;
    let stage = case.stage;
    let tier = case.tier;
    let mut conn = state.store().conn().await?;
    let category = cases::category(&mut conn, &case.category_code).await?;
    let facts = CaseFacts {
        stage,
        tier,
        reopened: u8::try_from(case.reopened).unwrap_or(u8::MAX),
        grid_duty: category.as_ref().is_some_and(|c| c.grid_duty),
        onsite_check: category.as_ref().is_none_or(|c| c.onsite_check),
    };
    let party = match who {
        Who::Staff { actor, .. } => party_of(actor, &case)?,
        Who::Reporter => Party::Reporter,
        Who::System => Party::System,
    };
    let change = apply(facts, party, &m.action).map_err(workflow_error)?;

    let mut holder = case.holder_code.clone();
    let mut department_id = case.department_id;
    // Named on the timeline, which the reporter reads too.
    let mut department_name = None;
    if let Some(new_tier) = change.tier {
        if new_tier == Tier::Department {
            let dep_id = m.department_id.ok_or_else(|| {
                AppError::bad("department_required", "交办到职能部门时必须选择部门")
            })?;
            let dep = shanzhi_store::accounts::department(&mut conn, dep_id)
                .await?
                .filter(|d| case.node_code.starts_with(&d.node_code))
                .ok_or_else(|| {
                    AppError::bad("unknown_department", "部门不存在，或事件不在其辖区内")
                })?;
            holder = dep.node_code;
            department_id = Some(dep.id);
            department_name = Some(dep.name);
        } else {
            holder = holder_of(&case.node_code, new_tier)
                .ok_or_else(|| AppError::bad("invalid_target", "事件所在位置没有这一层级"))?;
            department_id = None;
        }
    }
    let merged_into = match (&m.action, who) {
        (Action::Merge { into, .. }, Who::Staff { actor, .. }) => {
            let target = visible(state, actor, *into).await?;
            if target.id == case.id || target.stage.is_final() {
                return Err(AppError::bad(
                    "invalid_merge",
                    "只能合并到另一件未办结的事件",
                ));
            }
            Some(target.id)
        }
        _ => case.merged_into,
    };
    let satisfaction = match &m.action {
        Action::Rate { satisfaction } => Some(*satisfaction),
        _ => case.satisfaction,
    };
    drop(conn);
    let to = change.to;
    let now = state.now_ms();
    // Moving on ends a suspension: the clock runs again, the deadlines moved by the pause.
    let (mut accept_due, mut handle_due) = if change.to != stage {
        resumed(state, &case, now)
    } else {
        (case.accept_due, case.handle_due)
    };
    let suspended_at = case.suspended_at.filter(|_| change.to == stage);
    // A case escalated by the scheduler starts a fresh clock at its new level.
    if let (Who::System, Some(c)) = (who, &category) {
        let cal = state.calendar();
        accept_due = cal.due(c.clock, now, c.accept_hours.into());
        handle_due = cal.due(c.clock, now, c.handle_hours.into());
    }
    let update = CaseUpdate {
        stage: to,
        tier: change.tier.unwrap_or(tier),
        holder_code: &holder,
        department_id,
        reopened: case.reopened + i16::from(change.reopens),
        merged_into,
        satisfaction,
        accept_due,
        handle_due,
        suspended_at,
        extensions: case.extensions,
    };
    let (actor_id, label) = match who {
        Who::Staff { actor, account } => (
            Some(account.id),
            actor_label(&account.display_name, actor.role),
        ),
        Who::Reporter => (None, "居民".to_owned()),
        Who::System => (None, "系统".to_owned()),
    };
    let note = match &m.action {
        Action::Dispatch { to } => match &department_name {
            Some(name) => format!("交办至{name}"),
            None => format!("交办至{}", to.label()),
        },
        Action::Reject { reason }
        | Action::Return { reason }
        | Action::Escalate { reason }
        | Action::VerifyFail { reason } => reason.clone(),
        Action::Merge { into, reason } => format!("并入事件 {into}：{reason}"),
        Action::Handle { result } | Action::Resolve { result } => result.clone(),
        Action::FollowUp { note } | Action::Urge { note } | Action::Supervise { note } => {
            note.clone()
        }
        _ => String::new(),
    };
    // A step made without a signal counts (handled_at, the timeline) from when it was made.
    let at = field.as_ref().map_or(now, |f| f.receipt.counted_at);
    let mut tx = state.store().begin().await?;
    if !cases::update_if_version(&mut tx, id, m.version, &update, at).await? {
        return Err(AppError::Conflict("事件已被他人更新，请刷新后重试".into()));
    }
    let event = NewEvent {
        actor_id,
        actor_label: &label,
        action: m.action.name(),
        from_stage: Some(case.stage),
        to_stage: to,
        note: note.trim(),
        public: m.action.is_public(),
    };
    if let Some(f) = &field {
        store_photos(&mut tx, &case, &f.photos, true, actor_id, &label, at).await?;
        let receipt = shanzhi_store::offline::Receipt {
            target_id: id,
            ..f.receipt.clone()
        };
        shanzhi_store::offline::insert(&mut tx, &receipt).await?;
    }
    cases::append_event(&mut tx, id, event, at).await?;
    // The reporter who left a phone is told of the steps that matter to them, and so is
    // everyone whose report of the same problem was merged into this one.
    if let Some(kind) = TextKind::after(&m.action) {
        let reason = match &m.action {
            Action::Reject { reason } => reason.as_str(),
            _ => "",
        };
        let mut told: Vec<i64> = cases::merged_into(&mut tx, id)
            .await?
            .into_iter()
            .filter(|c| c.reporter_phone_masked.is_some())
            .map(|c| c.id)
            .collect();
        if case.reporter_phone_masked.is_some() {
            told.insert(0, id);
        }
        if !told.is_empty() {
            shanzhi_store::sms::queue(&mut tx, &told, kind, reason, now).await?;
        }
    }
    let row = cases::get(&mut tx, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    notify::queue(&mut tx, &row, m.action.name(), &label, state.now_ms()).await?;
    tx.commit().await?;
    state.announced();
    Ok(row)
}

/// 改类: the level that accepts a case puts it under the right category, with a reason. Its
/// routing and deadlines are worked out again as if it had been reported so (from the report
/// time): a case that now belongs to another level goes back to 待受理 there.
pub async fn recategorise(
    state: &App,
    actor: &Actor,
    account: &AccountRow,
    case: CaseRow,
    version: i64,
    category_code: &str,
    reason: &str,
) -> Result<CaseRow, AppError> {
    actor.may(Resource::Case, Verb::Write)?;
    let categories = state.categories().await?;
    let old = categories.iter().find(|c| c.code == case.category_code);
    let new = choosable(&categories)
        .into_iter()
        .find(|(code, _)| code == category_code.trim())
        .and_then(|(code, _)| categories.iter().find(|c| c.code == code))
        .ok_or_else(|| {
            AppError::bad(
                "unknown_category",
                format!("请选择一个具体的事项类别（{category_code} 不可选）"),
            )
        })?;
    if new.code == case.category_code {
        return Err(AppError::bad(
            "same_category",
            "新类别与原类别相同，无需改类",
        ));
    }
    let facts = CaseFacts {
        stage: case.stage,
        tier: case.tier,
        reopened: u8::try_from(case.reopened).unwrap_or(u8::MAX),
        grid_duty: old.is_some_and(|c| c.grid_duty),
        onsite_check: old.is_none_or(|c| c.onsite_check),
    };
    let routed = shanzhi_domain::case::routed_tier(new.tier, &case.node_code);
    let change = shanzhi_domain::case::recategorise(facts, party_of(actor, &case)?, routed, reason)
        .map_err(workflow_error)?;
    let holder = holder_of(&case.node_code, routed)
        .ok_or_else(|| AppError::bad("invalid_target", "事件所在位置没有这一层级"))?;
    let cal = state.calendar();
    let mut update = CaseUpdate::from_row(&case);
    update.stage = change.to;
    update.tier = routed;
    update.holder_code = &holder;
    update.department_id = None;
    update.accept_due = cal.due(new.clock, case.created_at, new.accept_hours.into());
    update.handle_due = cal.due(new.clock, case.created_at, new.handle_hours.into());
    let label = actor_label(&account.display_name, actor.role);
    let old_name = old.map_or(case.category_code.as_str(), |c| c.name.as_str());
    let note = format!("{old_name} → {}：{}", new.name, reason.trim());
    let now = state.now_ms();
    let mut tx = state.store().begin().await?;
    if !cases::update_if_version(&mut tx, case.id, version, &update, now).await? {
        return Err(AppError::Conflict("事件已被他人更新，请刷新后重试".into()));
    }
    cases::set_category(&mut tx, case.id, &new.code, new.clock).await?;
    let event = NewEvent {
        actor_id: Some(account.id),
        actor_label: &label,
        action: RECATEGORISE,
        from_stage: Some(case.stage),
        to_stage: change.to,
        note: &note,
        public: false,
    };
    cases::append_event(&mut tx, case.id, event, now).await?;
    let row = cases::get(&mut tx, case.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    notify::queue(&mut tx, &row, RECATEGORISE, &label, now).await?;
    tx.commit().await?;
    state.announced();
    Ok(row)
}

/// The timeline's name for 改类.
pub const RECATEGORISE: &str = "recategorise";

/// Whether the actor may put the case under another category now (for showing the form).
pub fn may_recategorise(actor: &Actor, case: &CaseRow) -> bool {
    let facts = CaseFacts {
        stage: case.stage,
        tier: case.tier,
        reopened: 0,
        grid_duty: false,
        onsite_check: true,
    };
    party_of(actor, case)
        .is_ok_and(|party| shanzhi_domain::case::recategorise(facts, party, case.tier, "x").is_ok())
}

/// Makes sure the standard categories and the holiday calendar exist (first start and upgrades
/// add new ones only).
pub async fn seed_baseline(store: &shanzhi_store::Store) -> Result<(), AppError> {
    let mut tx = store.begin().await?;
    cases::seed_categories(&mut tx, &shanzhi_domain::case::STANDARD_CATEGORIES).await?;
    shanzhi_store::calendar::seed(&mut tx, shanzhi_domain::case::CHINA_HOLIDAYS).await?;
    // Cases stored by a version without search get their terms now.
    cases::index_unindexed(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Builds an action from its name and the one free-text field every form has (reason, result
/// or note, whichever the action takes).
pub fn parse_action(
    name: &str,
    text: String,
    to: Option<Tier>,
    into: Option<i64>,
    satisfaction: Option<shanzhi_domain::case::Satisfaction>,
) -> Result<Action, AppError> {
    Ok(match name {
        "accept" => Action::Accept,
        "reject" => Action::Reject { reason: text },
        "merge" => Action::Merge {
            into: into
                .ok_or_else(|| AppError::bad("into_required", "合并时必须指定保留的事件 into"))?,
            reason: text,
        },
        "dispatch" => Action::Dispatch {
            to: to.ok_or_else(|| AppError::bad("to_required", "交办时必须指定 to"))?,
        },
        "start" => Action::Start,
        "return" => Action::Return { reason: text },
        "escalate" => Action::Escalate { reason: text },
        "handle" => Action::Handle { result: text },
        "resolve" => Action::Resolve { result: text },
        "verify_pass" => Action::VerifyPass,
        "verify_fail" => Action::VerifyFail { reason: text },
        "close" => Action::Close,
        "rate" => Action::Rate {
            satisfaction: satisfaction
                .ok_or_else(|| AppError::bad("satisfaction_required", "评价必须选择满意度"))?,
        },
        "follow_up" => Action::FollowUp { note: text },
        "urge" => Action::Urge { note: text },
        "supervise" => Action::Supervise { note: text },
        other => return Err(AppError::bad("unknown_action", format!("未知操作 {other}"))),
    })
}

/// The actions the actor could take on the case right now (for the buttons on its page), with
/// the tiers it could be dispatched to.
pub fn available_actions(
    actor: &Actor,
    case: &CaseRow,
    category: Option<&CategoryRow>,
) -> (Vec<Action>, Vec<Tier>) {
    let (stage, tier) = (case.stage, case.tier);
    let Some(relation) = holding::relation(actor, &case.holding()) else {
        return (Vec::new(), Vec::new());
    };
    let facts = CaseFacts {
        stage,
        tier,
        reopened: u8::try_from(case.reopened).unwrap_or(u8::MAX),
        grid_duty: category.is_some_and(|c| c.grid_duty),
        onsite_check: category.is_none_or(|c| c.onsite_check),
    };
    let party = Party::Staff {
        role: actor.role,
        relation,
    };
    let x = || "x".to_owned();
    let candidates = [
        Action::Accept,
        Action::Reject { reason: x() },
        Action::Start,
        Action::Handle { result: x() },
        Action::Resolve { result: x() },
        Action::Return { reason: x() },
        Action::Escalate { reason: x() },
        Action::VerifyPass,
        Action::VerifyFail { reason: x() },
        Action::Close,
        Action::FollowUp { note: x() },
        Action::Urge { note: x() },
        Action::Supervise { note: x() },
    ];
    let actions = candidates
        .into_iter()
        .filter(|a| apply(facts, party, a).is_ok())
        .collect();
    let tiers = [
        Tier::Grid,
        Tier::Community,
        Tier::Street,
        Tier::District,
        Tier::Department,
    ]
    .into_iter()
    .filter(|t| apply(facts, party, &Action::Dispatch { to: *t }).is_ok())
    .collect();
    (actions, tiers)
}

/// Open cases that may be the same problem as `case` (一件多诉: the same kind near it, or
/// alike in words near it, at its address or in its grid; a week apart at most), among those
/// the actor may see, newest first, each with why in words ("同一地址，文字相似 0.82").
pub async fn possible_duplicates(
    state: &App,
    actor: &Actor,
    case: &CaseRow,
) -> Result<Vec<(CaseRow, String)>, AppError> {
    use shanzhi_domain::case::{Sighting, WINDOW_MS, possible_duplicate};
    use shanzhi_domain::classify::Text;
    use shanzhi_domain::geocode::address;
    struct Read {
        text: Text,
        address: String,
    }
    fn read(c: &CaseRow) -> Read {
        Read {
            text: Text::new(&format!("{} {}", c.title, c.description)),
            address: c
                .address
                .as_deref()
                .map(|a| address::read(a).text)
                .unwrap_or_default(),
        }
    }
    fn sighting<'a>(c: &'a CaseRow, r: &'a Read) -> Sighting<'a> {
        Sighting {
            category: &c.category_code,
            at: c.created_at,
            lon_lat: c.lon.zip(c.lat),
            open: !c.stage.is_final() && !matches!(c.stage, Stage::Closed | Stage::Rated),
            text: &r.text,
            address: &r.address,
            node: &c.node_code,
        }
    }
    // The same problem rarely crosses a street's boundary; searching the street keeps the
    // scan small.
    let street = &case.node_code[..case.node_code.len().min(9)];
    let candidates = cases::open_candidates(
        &mut state.store().conn().await?,
        case.created_at - WINDOW_MS,
        street,
    )
    .await?;
    let mine = read(case);
    let me = sighting(case, &mine);
    Ok(candidates
        .into_iter()
        .filter(|c| c.id != case.id && holding::sees(actor, &c.holding()))
        .filter_map(|c| {
            let theirs = read(&c);
            let why = possible_duplicate(&me, &sighting(&c, &theirs))?;
            Some((c, why.to_string()))
        })
        .collect())
}

pub use shanzhi_store::cases::EventRow;
pub use shanzhi_store::summons::{DepartmentResponse, SummonsRow};

/// A case the caller may see, with its whole timeline (public and internal entries).
pub async fn with_timeline(
    state: &App,
    actor: &Actor,
    id: i64,
) -> Result<(CaseRow, Vec<EventRow>), AppError> {
    let case = visible(state, actor, id).await?;
    let timeline = cases::events(&mut state.store().conn().await?, id, false).await?;
    Ok((case, timeline))
}

/// The departments summoned to a case the caller may see, and whether they reported in.
pub async fn summonses(state: &App, actor: &Actor, id: i64) -> Result<Vec<SummonsRow>, AppError> {
    visible(state, actor, id).await?;
    Ok(summons::of_case(&mut state.store().conn().await?, id).await?)
}

/// 吹哨报到 response figures of the departments in the caller's scope over the last `days`
/// days (1–366, refused outside): summoned, reported in, late, average minutes.
pub async fn summons_responses(
    state: &App,
    actor: &Actor,
    days: i64,
) -> Result<Vec<DepartmentResponse>, AppError> {
    actor.may(Resource::Figures, Verb::Read)?;
    if !(1..=366).contains(&days) {
        return Err(AppError::bad(
            "invalid_days",
            format!("days {days} 超出范围：须在 1 到 366 之间"),
        ));
    }
    let now = state.now_ms();
    let mut conn = state.store().conn().await?;
    let visible: std::collections::HashSet<i64> =
        shanzhi_store::accounts::departments(&mut conn, actor.scope_root())
            .await?
            .into_iter()
            .map(|d| d.id)
            .collect();
    let rows = summons::responses(&mut conn, now - days * 86_400_000, now).await?;
    Ok(rows
        .into_iter()
        .filter(|r| visible.contains(&r.department_id))
        .collect())
}

/// What a reporter sees of their case: its public timeline and photos, and where it went
/// when it was merged.
#[derive(Debug, Clone)]
pub struct Tracked {
    /// The case.
    pub case: CaseRow,
    /// Its category's name.
    pub category: String,
    /// The name of the node it was placed in.
    pub place: String,
    /// The public timeline entries, oldest first.
    pub timeline: Vec<EventRow>,
    /// The tracking code of the case a merged report carries on in.
    pub merged_into: Option<String>,
    /// The ids of its public photos, with the stage each was added at.
    pub photos: Vec<(i64, Stage)>,
}

/// The reporter's view of the case with tracking code `tracking`.
pub async fn tracked(state: &App, tracking: &str) -> Result<Tracked, AppError> {
    let case = by_tracking(state, tracking).await?;
    let mut conn = state.store().conn().await?;
    let category = cases::category(&mut conn, &case.category_code)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let place = region_store::get(&mut conn, &case.node_code)
        .await?
        .map(|n| n.name)
        .unwrap_or_default();
    let timeline = cases::events(&mut conn, case.id, true).await?;
    let merged_into = match case.merged_into {
        Some(id) => cases::get(&mut conn, id).await?.map(|c| c.tracking_code),
        None => None,
    };
    let photos = shanzhi_store::photos::list(&mut conn, case.id, true)
        .await?
        .into_iter()
        .map(|p| (p.id, p.stage))
        .collect();
    Ok(Tracked {
        case,
        category,
        place,
        timeline,
        merged_into,
        photos,
    })
}

/// Most grids a staff report form offers.
const MAX_PLACES: u32 = 2000;

/// Where a staff member may place a report by hand: their own community or grid, then the
/// grids in their scope.
pub async fn report_places(state: &App, actor: &Actor) -> Result<Vec<(String, String)>, AppError> {
    actor.may(Resource::Case, Verb::Write)?;
    let mut conn = state.store().conn().await?;
    let root = actor
        .scope_root()
        .and_then(|r| shanzhi_domain::region::RegionCode::parse(r).ok());
    let mut out = Vec::new();
    if let Some(r) = &root
        && r.as_str().len() >= 12
        && let Some(own) = region_store::get(&mut conn, r.as_str()).await?
    {
        out.push((own.code, own.name));
    }
    let grids = region_store::subtree_page(
        &mut conn,
        root.as_ref(),
        Some(shanzhi_domain::region::Level::Grid),
        None,
        MAX_PLACES,
    )
    .await?;
    let own = out.first().map(|(c, _)| c.clone());
    out.extend(
        grids
            .into_iter()
            .filter(|g| own.as_ref() != Some(&g.code))
            .map(|g| (g.code, g.name)),
    );
    Ok(out)
}

/// Everything the case page shows a staff member: the case with its names, its whole
/// timeline, and what this caller may do to it.
#[derive(Debug, Clone)]
pub struct Desk {
    /// The case.
    pub case: CaseRow,
    /// Its category.
    pub category: Option<CategoryRow>,
    /// The name of the node it was placed in.
    pub place: String,
    /// The name of its holder (a department or a node).
    pub holder: String,
    /// The whole timeline, oldest first.
    pub timeline: Vec<EventRow>,
    /// The steps this caller may take.
    pub actions: Vec<Action>,
    /// The tiers this caller may dispatch or escalate to.
    pub tiers: Vec<Tier>,
    /// Departments it may be dispatched to (id, name): those whose area holds the case.
    pub departments: Vec<(i64, String)>,
    /// Of those, the one the district's closed cases suggest for its words, and how likely
    /// (the dispatcher chooses).
    pub suggested_department: Option<(i64, f64)>,
    /// Open cases that may be the same problem, each with why.
    pub duplicates: Vec<(CaseRow, String)>,
    /// The reports merged into this one (the same problem reported again).
    pub merged: Vec<CaseRow>,
    /// 吹哨报到 so far, each with the department's name.
    pub summonses: Vec<(SummonsRow, String)>,
    /// Whether this caller may blow the whistle.
    pub can_summon: bool,
    /// Departments this caller may still summon (id, name).
    pub summon_choices: Vec<(i64, String)>,
    /// Whether this caller's department was summoned and has yet to report in.
    pub can_report_in: bool,
}

/// The case page's view of a case the caller may see.
pub async fn desk(state: &App, actor: &Actor, id: i64) -> Result<Desk, AppError> {
    let case = visible(state, actor, id).await?;
    let mut conn = state.store().conn().await?;
    let category = cases::category(&mut conn, &case.category_code).await?;
    let name_of = async |conn: &mut shanzhi_store::Conn, code: &str| -> Result<String, AppError> {
        Ok(region_store::get(conn, code)
            .await?
            .map(|n| n.name)
            .unwrap_or_default())
    };
    let place = name_of(&mut conn, &case.node_code).await?;
    let all_departments = shanzhi_store::accounts::departments(&mut conn, None).await?;
    let department_name = |d: i64| {
        all_departments
            .iter()
            .find(|x| x.id == d)
            .map_or_else(String::new, |x| x.name.clone())
    };
    let holder = match case.department_id {
        Some(d) => department_name(d),
        None => name_of(&mut conn, &case.holder_code).await?,
    };
    let timeline = cases::events(&mut conn, id, false).await?;
    let (actions, tiers) = available_actions(actor, &case, category.as_ref());
    let in_area =
        |d: &&shanzhi_store::accounts::DepartmentRow| case.node_code.starts_with(&d.node_code);
    let departments = if tiers.contains(&Tier::Department) {
        all_departments
            .iter()
            .filter(in_area)
            .map(|d| (d.id, d.name.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let summons_rows = summons::of_case(&mut conn, id).await?;
    let merged = cases::merged_into(&mut conn, id).await?;
    drop(conn);
    let suggested_department = if departments.is_empty() {
        None
    } else {
        let text = format!("{} {}", case.title, case.description);
        let guess = crate::suggest::for_text(state, &text).await?;
        guess.departments.into_iter().find_map(|g| {
            let kind = g.kind?;
            all_departments
                .iter()
                .filter(in_area)
                .find(|d| d.kind == kind)
                .map(|d| (d.id, g.likelihood))
        })
    };
    let duplicates = possible_duplicates(state, actor, &case).await?;
    let can_summon = may_summon(actor, &case);
    let summon_choices = if can_summon {
        all_departments
            .iter()
            .filter(in_area)
            .filter(|d| summons_rows.iter().all(|r| r.department_id != d.id))
            .map(|d| (d.id, d.name.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let can_report_in = actor.may(Resource::Case, Verb::Write).ok() == Some(Reach::Department)
        && summons_rows
            .iter()
            .any(|r| Some(r.department_id) == actor.department_id && r.reported_at.is_none());
    let summonses = summons_rows
        .into_iter()
        .map(|r| {
            let name = department_name(r.department_id);
            (r, name)
        })
        .collect();
    Ok(Desk {
        case,
        category,
        place,
        holder,
        timeline,
        actions,
        tiers,
        departments,
        suggested_department,
        duplicates,
        merged,
        summonses,
        can_summon,
        summon_choices,
        can_report_in,
    })
}

/// 评价: the reporter of the case with tracking code `tracking` rates how it was handled, on
/// the version they saw. 不满意 reopens it (once; then the command centre takes it).
pub async fn rate(
    state: &App,
    tracking: &str,
    satisfaction: Satisfaction,
    version: i64,
) -> Result<CaseRow, AppError> {
    let case = by_tracking(state, tracking).await?;
    let m = Move {
        action: Action::Rate { satisfaction },
        version,
        department_id: None,
    };
    transition(state, Who::Reporter, case, m).await
}

/// The case's deadlines after its clock restarts at `now` (the time it stood still is added).
pub fn resumed(state: &App, case: &CaseRow, now: i64) -> (i64, i64) {
    match case.suspended_at {
        Some(since) => {
            let (cal, clock) = (state.calendar(), case.clock);
            (
                shanzhi_domain::case::resumed_due(&cal, clock, case.accept_due, since, now),
                shanzhi_domain::case::resumed_due(&cal, clock, case.handle_due, since, now),
            )
        }
        None => (case.accept_due, case.handle_due),
    }
}

/// Stores prepared photos of a case the caller may see (the caller's transaction), up to
/// [`MAX_PER_CASE`](shanzhi_domain::case::photo::MAX_PER_CASE) in all.
pub(crate) async fn store_photos(
    ex: &mut impl shanzhi_store::Exec,
    case: &CaseRow,
    photos: &[Prepared],
    public: bool,
    added_by: Option<i64>,
    added_label: &str,
    now: i64,
) -> Result<(), AppError> {
    let had = if photos.is_empty() {
        0
    } else {
        shanzhi_store::photos::count(ex, case.id).await?
    };
    if had + photos.len() > shanzhi_domain::case::photo::MAX_PER_CASE {
        return Err(AppError::bad(
            "too_many_photos",
            format!(
                "每件事件最多 {} 张照片，已有 {had} 张",
                shanzhi_domain::case::photo::MAX_PER_CASE
            ),
        ));
    }
    for p in photos {
        let new = shanzhi_store::photos::NewPhoto {
            stage: case.stage,
            public,
            width: p.width,
            height: p.height,
            photo: &p.jpeg,
            thumb: &p.thumb,
            added_by,
            added_label,
        };
        shanzhi_store::photos::insert(ex, case.id, &new, now).await?;
    }
    Ok(())
}
