//! 网格公告 and 预警: a community or command centre tells the people of a subtree something;
//! a warning also sets the grid staff to call every vulnerable household (叫应) before a
//! deadline, and the command centre follows the calls grid by grid. The notice, its grids and
//! its calls are written in one transaction with its audit record.

use crate::audit;
use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError, Principal};
use shanzhi_domain::case::parse_beijing;
use shanzhi_domain::notice::{self as rules, CallOutcome, Draft, NoticeLevel, WarningColor};
use shanzhi_store::notices::{self as store, NewNotice};
pub use shanzhi_store::notices::{CallRow, FileRow, GridProgress, GridTexts, NoticeRow};

/// A notice as typed (times in Beijing time, `2026-11-18 14:00`).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NoticeInput {
    /// The subtree it is for (default: the caller's own node).
    #[serde(default)]
    pub node: Option<String>,
    /// 一般 / 重要 / 预警 (or normal, important, warning).
    pub level: String,
    /// For a warning: 蓝色 / 黄色 / 橙色 / 红色.
    #[serde(default)]
    pub color: Option<String>,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// Shown from (default: now).
    #[serde(default)]
    pub starts: Option<String>,
    /// Shown until.
    pub ends: String,
    /// For a warning: when every vulnerable household must have been called.
    #[serde(default)]
    pub respond_by: Option<String>,
}

/// What making a notice did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Made {
    /// The notice.
    pub notice: NoticeRow,
    /// Grids it covers.
    pub grids: u64,
    /// Households to call (a warning's 叫应).
    pub calls: u64,
    /// Texts queued to the residents who opted in to its grids.
    pub texts: u64,
    /// The notice was there already (the same CAP message again, or one it lifted).
    pub existing: bool,
}

/// Which grids a new notice covers.
enum Grids<'a> {
    /// Every live grid under its root.
    All,
    /// These.
    Only(&'a [String]),
}

/// Writes a checked notice with its grids, a warning's calls and the audit record, in one
/// transaction.
async fn write(
    state: &App,
    k: &Principal,
    new: &NewNotice<'_>,
    grids: Grids<'_>,
) -> Result<Made, AppError> {
    let now = state.now_ms();
    let mut tx = state.store().begin().await?;
    let id = store::insert(&mut tx, new, now).await?;
    let grids = match grids {
        Grids::All => store::cover_all(&mut tx, id, new.root_code).await?,
        Grids::Only(codes) => store::cover(&mut tx, id, codes).await?,
    };
    if grids == 0 {
        return Err(AppError::bad(
            "no_grids",
            "这个区域下没有网格，公告无处发布",
        ));
    }
    let calls = if new.level == NoticeLevel::Warning {
        store::call_vulnerable(&mut tx, id).await?
    } else {
        0
    };
    let quoted = format!(
        "{}：{}",
        rules::level_words(new.level, new.color),
        new.title
    );
    let texts = store::queue_texts(&mut tx, id, &quoted, new.starts_at.max(now), now).await?;
    let record = audit::entry(
        now,
        &audit::Actor::of(k),
        "notice.create",
        format!("notice:{id}"),
        Some(new.root_code),
        serde_json::json!({"level": new.level.as_str(), "color": new.color.map(WarningColor::as_str),
            "title": new.title, "grids": grids, "calls": calls, "texts": texts,
            "cap": new.cap_identifier}),
    );
    audit::record(&mut tx, [record]);
    let notice = store::get(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::Internal("notice not written".into()))?;
    tx.commit().await?;
    Ok(Made {
        notice,
        grids,
        calls,
        texts,
        existing: false,
    })
}

/// A time as typed, or what to fix.
fn time(field: &'static str, text: &str) -> Result<i64, (&'static str, String)> {
    parse_beijing(text).ok_or((field, format!("“{text}”不是时间，请写成 2026-11-18 14:00")))
}

/// Makes a notice for a subtree the caller keeps; a warning's calls are made with it.
pub async fn create(state: &App, k: &Principal, n: &NoticeInput) -> Result<Made, AppError> {
    k.may(Resource::Notice, Verb::Write)?;
    let root = k.node_or_own(n.node.as_deref())?;
    k.must_see(&root)?;
    let now = state.now_ms();
    let mut problems: Vec<(&'static str, String)> = Vec::new();
    let level = NoticeLevel::from_typed(&n.level).unwrap_or_else(|| {
        problems.push(("level", format!("级别请选：{}", NoticeLevel::choices())));
        NoticeLevel::Normal
    });
    let color = match n.color.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => WarningColor::from_typed(c).or_else(|| {
            problems.push(("color", format!("颜色请选：{}", WarningColor::choices())));
            None
        }),
    };
    let mut at = |field, text: Option<&str>, default: Option<i64>| match text
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(t) => time(field, t).map_err(|p| problems.push(p)).ok(),
        None => default,
    };
    let starts_at = at("starts", n.starts.as_deref(), Some(now)).unwrap_or(now);
    let ends_at = at("ends", Some(&n.ends), None).unwrap_or(starts_at);
    let respond_by = at("respond_by", n.respond_by.as_deref(), None);
    let draft = Draft {
        level,
        color,
        title: &n.title,
        body: &n.body,
        starts_at,
        ends_at,
        respond_by,
    };
    problems.extend(rules::problems(&draft));
    if !problems.is_empty() {
        let message = problems
            .iter()
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("；");
        return Err(AppError::bad("invalid_notice", message));
    }
    let label = k.label();
    let new = NewNotice {
        root_code: &root,
        level,
        color,
        title: n.title.trim(),
        body: n.body.trim(),
        starts_at,
        ends_at,
        respond_by,
        created_by: Some(k.account.id),
        created_label: &label,
        cap_identifier: None,
    };
    write(state, k, &new, Grids::All).await
}

/// The first `max` characters of `text`, trimmed.
fn cut(text: &str, max: usize) -> String {
    text.trim().chars().take(max).collect()
}

/// Reads a CAP 1.2 warning (a county's meteorological feed) into a 预警 for the grids its area
/// covers within the caller's area, with 叫应 due by its colour. The same message again
/// answers the warning already made; a Cancel ends the warnings it refers to.
pub async fn import_cap(state: &App, k: &Principal, xml: &str) -> Result<Made, AppError> {
    k.may(Resource::Notice, Verb::Write)?;
    let root = k.node_or_own(None)?;
    let w = rules::cap::read(xml).map_err(|m| AppError::bad("invalid_cap", m))?;
    let now = state.now_ms();
    let mut conn = state.store().conn().await?;
    let known = |n: &NoticeRow| k.actor.sees(&n.root_code);
    if w.cancel {
        drop(conn);
        let mut tx = state.store().begin().await?;
        let mut ended = None;
        for r in &w.references {
            if let Some(n) = store::by_cap(&mut tx, r).await?.filter(known) {
                store::end(&mut tx, n.id, now).await?;
                let entry = audit::entry(
                    now,
                    &audit::Actor::of(k),
                    "notice.end",
                    format!("notice:{}", n.id),
                    Some(&n.root_code),
                    serde_json::json!({"cap": w.identifier, "lifts": r}),
                );
                audit::record(&mut tx, [entry]);
                ended = store::get(&mut tx, n.id).await?;
            }
        }
        let notice = ended.ok_or_else(|| {
            AppError::bad("unknown_warning", "要撤销的预警不在本辖区，或从未导入")
        })?;
        tx.commit().await?;
        return Ok(Made {
            notice,
            grids: 0,
            calls: 0,
            texts: 0,
            existing: true,
        });
    }
    if let Some(notice) = store::by_cap(&mut conn, &w.identifier).await?.filter(known) {
        return Ok(Made {
            notice,
            grids: 0,
            calls: 0,
            texts: 0,
            existing: true,
        });
    }
    let mut grids = Vec::new();
    for g in shanzhi_store::regions::grids_with_boundaries(&mut conn, &root).await? {
        if crate::regions::outline(&g)?.is_some_and(|shape| w.covers(&shape)) {
            grids.push(g.code);
        }
    }
    drop(conn);
    if grids.is_empty() {
        return Err(AppError::bad(
            "outside_area",
            format!("预警区域（{}）不在本辖区任何网格内", w.area),
        ));
    }
    let starts_at = w.effective.unwrap_or(now);
    let ends_at = w
        .expires
        .filter(|e| *e > starts_at)
        .unwrap_or(starts_at + 86_400_000);
    let respond_by = (starts_at.max(now) + rules::respond_within_ms(w.color)).min(ends_at);
    let label = k.label();
    let (title, body) = (cut(&w.headline, rules::MAX_TITLE), w.text.clone());
    let body = if body.trim().is_empty() {
        w.headline.clone()
    } else {
        cut(&body, rules::MAX_BODY)
    };
    let new = NewNotice {
        root_code: &root,
        level: NoticeLevel::Warning,
        color: Some(w.color),
        title: &title,
        body: &body,
        starts_at,
        ends_at,
        respond_by: Some(respond_by),
        created_by: Some(k.account.id),
        created_label: &label,
        cap_identifier: Some(&w.identifier),
    };
    write(state, k, &new, Grids::Only(&grids)).await
}

/// The notices made in the caller's area (or under `node`), newest first.
pub async fn list(
    state: &App,
    k: &Principal,
    node: Option<&str>,
) -> Result<Vec<NoticeRow>, AppError> {
    k.may(Resource::Notice, Verb::List)?;
    let root = k.node_or_own(node)?;
    k.must_see(&root)?;
    Ok(store::under(&mut state.store().conn().await?, &root, 200).await?)
}

/// The notices a public page of `code` shows now (no login: notices are public).
pub async fn shown_at(state: &App, code: &str) -> Result<Vec<NoticeRow>, AppError> {
    // A page shows a few: the newest and most urgent.
    const SHOWN: i64 = 5;
    Ok(store::shown_at(
        &mut state.store().conn().await?,
        code,
        state.now_ms(),
        SHOWN,
    )
    .await?)
}

/// A notice whose area meets the caller's: made above it and covering part of it, or made
/// within it (404 otherwise).
async fn visible(state: &App, k: &Principal, id: i64) -> Result<NoticeRow, AppError> {
    let mut conn = state.store().conn().await?;
    let n = store::get(&mut conn, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let root = k.actor.scope_root().unwrap_or("");
    let meets = k.actor.sees(&n.root_code) || root.starts_with(&n.root_code);
    if !meets {
        return Err(AppError::not_found());
    }
    Ok(n)
}

/// How a notice went in an area, part by part: a warning's 叫应, and the texts.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Progress {
    /// The notice.
    pub notice: NoticeRow,
    /// The area counted: the narrower of the caller's and the notice's, or the one asked for
    /// within it.
    pub area: String,
    /// 叫应 per part of the area (its grids under a community; its communities under a
    /// street …), every covered part listed.
    pub grids: Vec<GridProgress>,
    /// Texts per part (those with someone opted in).
    pub texts: Vec<GridTexts>,
}

/// The length of the codes an area's figures are rolled up to: its children's, down to grids
/// (calls are kept per grid).
fn parts_of(root: &str) -> usize {
    const GRID: usize = 15;
    shanzhi_domain::region::RegionCode::parse(root)
        .ok()
        .and_then(|c| c.level().child())
        .map_or(GRID, |l| l.code_len())
        .min(GRID)
}

/// A notice's 叫应 and texts in the caller's area (or the part of it `node` names), rolled up
/// to the area's children.
pub async fn progress(
    state: &App,
    k: &Principal,
    id: i64,
    node: Option<&str>,
) -> Result<Progress, AppError> {
    k.may(Resource::NoticeCall, Verb::List)?;
    let notice = visible(state, k, id).await?;
    let mut root = area(k, &notice);
    // A part of the area narrows it; the area itself or anything above it leaves it whole.
    if let Some(n) = node.map(str::trim).filter(|n| !n.is_empty()) {
        if n.starts_with(&root) {
            root = n.to_owned();
        } else if !root.starts_with(n) {
            return Err(AppError::not_found());
        }
    }
    let parts = parts_of(&root);
    let mut conn = state.store().conn().await?;
    let grids = store::progress(&mut conn, id, &root, parts).await?;
    let texts = store::texts(&mut conn, id, &root, parts).await?;
    Ok(Progress {
        notice,
        area: root,
        grids,
        texts,
    })
}

/// The narrower of the caller's area and the notice's.
fn area(k: &Principal, n: &NoticeRow) -> String {
    match k.actor.scope_root() {
        Some(r) if r.starts_with(&n.root_code) => r.to_owned(),
        _ => n.root_code.clone(),
    }
}

/// The households to call in a warning, in the caller's area (the open ones first).
pub async fn calls(
    state: &App,
    k: &Principal,
    id: i64,
    open_only: bool,
) -> Result<(NoticeRow, Vec<CallRow>), AppError> {
    k.may(Resource::NoticeCall, Verb::List)?;
    let n = visible(state, k, id).await?;
    let root = area(k, &n);
    let rows = store::calls(&mut state.store().conn().await?, id, &root, open_only).await?;
    Ok((n, rows))
}

/// Records how a household's call went.
pub async fn record(
    state: &App,
    k: &Principal,
    call_id: i64,
    outcome: &str,
    note: &str,
) -> Result<(), AppError> {
    k.may(Resource::NoticeCall, Verb::Write)?;
    let outcome = CallOutcome::from_typed(outcome)
        .filter(|o| o.recordable())
        .ok_or_else(|| AppError::bad("invalid_outcome", "请选择：已叫应、已转移或未联系上"))?;
    let note = note.trim();
    if note.chars().count() > 200 {
        return Err(AppError::bad("invalid_note", "备注不超过 200 字"));
    }
    if outcome == CallOutcome::Unreached && note.is_empty() {
        return Err(AppError::bad(
            "note_required",
            "未联系上时请写明打过几次电话、是否上门，社区据此跟进",
        ));
    }
    let now = state.now_ms();
    let label = k.label();
    let mut tx = state.store().begin().await?;
    let (notice, node, was) = store::call(&mut tx, call_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    k.must_see(&node)?;
    store::record(
        &mut tx,
        call_id,
        (notice, &node, was),
        outcome,
        note,
        (k.account.id, &label),
        now,
    )
    .await?;
    let entry = audit::entry(
        now,
        &audit::Actor::of(k),
        "notice.call",
        format!("notice_call:{call_id}"),
        Some(&node),
        serde_json::json!({"notice": notice, "outcome": outcome.as_str()}),
    );
    audit::record(&mut tx, [entry]);
    tx.commit().await?;
    Ok(())
}

/// The phones of the household a call is for, in full so they can be dialled: for those who
/// record calls, in their area, with the opening on the audit trail before they are shown.
/// Returns the call's warning and (whose, phone) pairs.
pub async fn phones(
    state: &App,
    k: &Principal,
    call_id: i64,
) -> Result<(i64, Vec<(String, String)>), AppError> {
    k.may(Resource::NoticeCall, Verb::Write)?;
    let mut tx = state.store().begin().await?;
    let (notice, node, _) = store::call(&mut tx, call_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    k.must_see(&node)?;
    let sealed = store::household_phones(&mut tx, call_id).await?;
    let entry = audit::entry(
        state.now_ms(),
        &audit::Actor::of(k),
        "notice.call_phones",
        format!("notice_call:{call_id}"),
        Some(&node),
        serde_json::json!({"notice": notice, "phones": sealed.len()}),
    );
    audit::record(&mut tx, [entry]);
    tx.commit().await?;
    let phones = sealed
        .into_iter()
        .map(|(name, s)| {
            state
                .vault()
                .open(shanzhi_store::vault::Field::Phone, &s)
                .map(|phone| (name, phone))
                .map_err(|e| AppError::Internal(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    Ok((notice, phones))
}

/// Warnings with households still to call in the caller's area: (notice, open, overdue).
pub async fn open_calls(
    state: &App,
    k: &Principal,
) -> Result<Vec<(NoticeRow, i64, i64)>, AppError> {
    let root = k.actor.scope_root().unwrap_or("").to_owned();
    let now = state.now_ms();
    Ok(active_calls(state, k, &root)
        .await?
        .into_iter()
        .filter(|(_, total, done)| total > done)
        .map(|(n, total, done)| {
            let late = if n.respond_by.is_some_and(|t| t <= now) {
                total - done
            } else {
                0
            };
            (n, total - done, late)
        })
        .collect())
}

/// The grid a resident on the page of `code` opts in to (a micro-grid's page: its grid).
async fn grid_of(state: &App, code: &str) -> Result<String, AppError> {
    let node = crate::cases::public_node(state, code).await?;
    node.code
        .get(..15)
        .map(str::to_owned)
        .ok_or_else(|| AppError::bad("grid_only", "请在所住网格的二维码页面订阅公告短信"))
}

/// Texts a code to a resident who asks for the grid's notices on the page of `code`.
pub async fn offer(state: &App, code: &str, phone: &str, ip: &str) -> Result<(), AppError> {
    let grid = grid_of(state, code).await?;
    crate::codes::send(
        state,
        ip,
        phone,
        &format!("notices:{grid}"),
        "您正在订阅本网格公告短信",
    )
    .await
}

/// Opts a resident in to the grid's notices with the code texted to the phone.
pub async fn subscribe(state: &App, code: &str, phone: &str, otp: &str) -> Result<(), AppError> {
    let grid = grid_of(state, code).await?;
    let normalized = shanzhi_domain::personal::normalize_phone(phone)
        .map_err(|e| AppError::bad("invalid_phone", format!("手机号码：{e}")))?;
    let mut tx = state.store().begin().await?;
    let Some(_) =
        crate::codes::take(&mut tx, state, &normalized, &format!("notices:{grid}"), otp).await?
    else {
        tx.commit().await?;
        return Err(crate::codes::refused());
    };
    let sealed = state.vault().protect(
        shanzhi_store::vault::Field::Phone,
        &normalized,
        shanzhi_domain::personal::mask_phone(&normalized),
    );
    let now = state.now_ms();
    store::subscribe(&mut tx, &grid, &sealed, now).await?;
    let entry = audit::entry(
        now,
        &resident(&sealed.masked),
        "notice.subscribe",
        format!("grid:{grid}"),
        Some(&grid),
        serde_json::json!({"phone": sealed.masked}),
    );
    audit::record(&mut tx, [entry]);
    tx.commit().await?;
    Ok(())
}

/// A resident, named on the trail by the phone they acted with (masked).
fn resident(masked: &str) -> audit::Actor {
    audit::Actor {
        id: None,
        label: format!("居民 {masked}"),
    }
}

/// The notice a text's link opens (counted as read); 404 for a code no text carries.
pub async fn opened(state: &App, code: &str) -> Result<NoticeRow, AppError> {
    let mut tx = state.store().begin().await?;
    let id = store::read(&mut tx, code.trim(), state.now_ms())
        .await?
        .ok_or_else(|| AppError::NotFound("链接无效，请核对短信里的网址".into()))?;
    let notice = store::get(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::NotFound("公告已不存在".into()))?;
    tx.commit().await?;
    Ok(notice)
}

/// Opts out the phone a text went to, from its grid's notices (the link proves the phone):
/// its page subscription ends and its consent on the register is withdrawn.
pub async fn stop(state: &App, code: &str) -> Result<(), AppError> {
    let mut tx = state.store().begin().await?;
    let (index, grid) = store::text_phone(&mut tx, code.trim())
        .await?
        .ok_or_else(|| AppError::NotFound("链接无效，请核对短信里的网址".into()))?;
    let now = state.now_ms();
    let ended = store::stop_phone(&mut tx, &index, Some(&grid), now).await?;
    let entry = audit::entry(
        now,
        &resident("（短信链接）"),
        "notice.unsubscribe",
        format!("grid:{grid}"),
        Some(&grid),
        serde_json::json!({"ended": ended, "by": "link"}),
    );
    audit::record(&mut tx, [entry]);
    tx.commit().await?;
    Ok(())
}

/// A resident's reply to a text, as the gateway passes it on (上行短信): an opt-out word
/// (退订, TD …) stops notices to that phone in every grid; any other reply is left for people
/// to read in the gateway's console. Returns whether it opted out.
pub async fn reply(state: &App, phone: &str, text: &str) -> Result<bool, AppError> {
    if !rules::opts_out(text) {
        return Ok(false);
    }
    let normalized = shanzhi_domain::personal::normalize_phone(phone)
        .map_err(|e| AppError::bad("invalid_phone", format!("手机号码：{e}")))?;
    let index = state
        .vault()
        .index(shanzhi_store::vault::Field::Phone, &normalized);
    let masked = shanzhi_domain::personal::mask_phone(&normalized);
    let now = state.now_ms();
    let mut tx = state.store().begin().await?;
    let ended = store::stop_phone(&mut tx, &index, None, now).await?;
    let entry = audit::entry(
        now,
        &resident(&masked),
        "notice.unsubscribe",
        format!("phone:{masked}"),
        None,
        serde_json::json!({"ended": ended, "by": "reply"}),
    );
    audit::record(&mut tx, [entry]);
    tx.commit().await?;
    Ok(true)
}

/// Records on the register that a resident agreed to get the grid's notices by text (or
/// withdrew); only someone with a phone on record can agree.
pub async fn consent(state: &App, k: &Principal, person: i64, agree: bool) -> Result<(), AppError> {
    k.may(Resource::Resident, Verb::Write)?;
    let p = crate::registers::residents::visible_person(state, k, person).await?;
    if agree && p.phone_masked.is_none() {
        return Err(AppError::bad(
            "no_phone",
            "此人没有登记联系电话，请先补录电话再记录同意",
        ));
    }
    let now = state.now_ms();
    let mut tx = state.store().begin().await?;
    store::consent(&mut tx, person, agree.then_some(now)).await?;
    let entry = audit::entry(
        now,
        &audit::Actor::of(k),
        "register.notice_consent",
        format!("person:{person}"),
        Some(&p.node_code),
        serde_json::json!({"name": p.name, "phone": p.phone_masked, "consent": agree}),
    );
    audit::record(&mut tx, [entry]);
    tx.commit().await?;
    Ok(())
}

/// Warnings valid now with households to call under `root` (within the caller's area):
/// (warning, households, of which reached or moved).
pub async fn active_calls(
    state: &App,
    k: &Principal,
    root: &str,
) -> Result<Vec<(NoticeRow, i64, i64)>, AppError> {
    if !k.can(Resource::NoticeCall, Verb::List) {
        return Ok(Vec::new());
    }
    k.must_see(root)?;
    Ok(store::tallies(&mut state.store().conn().await?, root, state.now_ms()).await?)
}

/// Attaches a file to a notice made in the caller's area (checked by its first bytes, at
/// most [`rules::attachment::MAX_PER_NOTICE`]); returns its id.
pub async fn attach(
    state: &App,
    k: &Principal,
    id: i64,
    name: &str,
    bytes: &[u8],
) -> Result<i64, AppError> {
    k.may(Resource::Notice, Verb::Write)?;
    let n = visible(state, k, id).await?;
    k.must_see(&n.root_code)?;
    // The name as the browser sent it, without a path; what a resident downloads it as.
    let name: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .trim()
        .chars()
        .take(100)
        .collect();
    let name = if name.is_empty() {
        "附件".to_owned()
    } else {
        name
    };
    let kind = rules::attachment::check(bytes, &name)
        .map_err(|m| AppError::bad("invalid_attachment", m))?;
    let now = state.now_ms();
    let mut tx = state.store().begin().await?;
    if store::files(&mut tx, &[id]).await?.len() >= rules::attachment::MAX_PER_NOTICE {
        return Err(AppError::bad(
            "too_many_attachments",
            format!("一条公告最多 {} 个附件", rules::attachment::MAX_PER_NOTICE),
        ));
    }
    let file = store::attach(&mut tx, id, (&name, kind, bytes), &k.label(), now).await?;
    let entry = audit::entry(
        now,
        &audit::Actor::of(k),
        "notice.attach",
        format!("notice:{id}"),
        Some(&n.root_code),
        serde_json::json!({"file": file, "name": name, "bytes": bytes.len()}),
    );
    audit::record(&mut tx, [entry]);
    tx.commit().await?;
    Ok(file)
}

/// The attachments of the notices `ids` (notices shown on public pages: anyone may list them).
pub async fn attachments(state: &App, ids: &[i64]) -> Result<Vec<FileRow>, AppError> {
    Ok(store::files(&mut state.store().conn().await?, ids).await?)
}

/// An attachment to download: (name, kind, bytes) while its notice is shown; 404 before and
/// after, like the notice.
pub async fn attachment(
    state: &App,
    file: i64,
) -> Result<(String, rules::attachment::FileKind, Vec<u8>), AppError> {
    let mut conn = state.store().conn().await?;
    let (notice, name, kind, bytes) = store::file(&mut conn, file)
        .await?
        .ok_or_else(AppError::not_found)?;
    let now = state.now_ms();
    store::get(&mut conn, notice)
        .await?
        .filter(|n| n.starts_at <= now && now < n.ends_at)
        .ok_or_else(|| AppError::NotFound("公告已过期，附件不再提供".into()))?;
    Ok((name, kind, bytes))
}
