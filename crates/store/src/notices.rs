//! 网格公告 and 预警 with their 叫应 calls: the notice, the grids it covers, and one call per
//! vulnerable household of those grids. Counts per grid are one GROUP BY on an indexed code.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::notice::{CallOutcome, NoticeLevel, WarningColor};
use shanzhi_domain::region::Level;

/// A notice to store, checked.
#[derive(Debug, Clone)]
pub struct NewNotice<'a> {
    /// The subtree it is for.
    pub root_code: &'a str,
    /// Level.
    pub level: NoticeLevel,
    /// Colour, for a warning.
    pub color: Option<WarningColor>,
    /// Title.
    pub title: &'a str,
    /// Text.
    pub body: &'a str,
    /// Shown from (ms).
    pub starts_at: i64,
    /// Shown until (ms).
    pub ends_at: i64,
    /// 叫应 deadline, for a warning.
    pub respond_by: Option<i64>,
    /// Who made it.
    pub created_by: Option<i64>,
    /// Who made it, as shown.
    pub created_label: &'a str,
    /// The CAP message it was read from.
    pub cap_identifier: Option<&'a str>,
}

/// A stored notice.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct NoticeRow {
    /// Id.
    pub id: i64,
    /// The subtree it is for.
    pub root_code: String,
    /// Level.
    pub level: NoticeLevel,
    /// Colour, for a warning.
    pub color: Option<WarningColor>,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// Shown from (ms).
    pub starts_at: i64,
    /// Shown until (ms).
    pub ends_at: i64,
    /// 叫应 deadline, for a warning (ms).
    pub respond_by: Option<i64>,
    /// Who made it, as shown.
    pub created_label: String,
    /// When (ms).
    pub created_at: i64,
}

const COLUMNS: &str = "n.id, n.root_code, n.level, n.color, n.title, n.body, n.starts_at, \
                       n.ends_at, n.respond_by, n.created_label, n.created_at";

/// Stores a notice (its grids are added by [`cover_all`] or [`cover`]); returns its id.
pub async fn insert(ex: &mut impl Exec, n: &NewNotice<'_>, now: i64) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO notices (root_code, level, color, title, body, starts_at, ends_at, \
                 respond_by, created_by, created_label, created_at, cap_identifier) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(n.root_code)
            .bind(n.level.as_str())
            .bind(n.color.map(WarningColor::as_str))
            .bind(n.title)
            .bind(n.body)
            .bind(n.starts_at)
            .bind(n.ends_at)
            .bind(n.respond_by)
            .bind(n.created_by)
            .bind(n.created_label)
            .bind(now)
            .bind(n.cap_identifier),
        )
        .await?;
    Ok(id)
}

/// Has a notice cover every live grid under `root`; returns how many.
pub async fn cover_all(ex: &mut impl Exec, id: i64, root: &str) -> Result<u64, StoreError> {
    ex.exec(
        Sql::new(
            "INSERT INTO notice_grids (notice_id, node_code) SELECT ?, code FROM region_nodes \
             WHERE code >= ? AND code < ? AND level = ? AND retired_at IS NULL",
        )
        .bind(id)
        .bind(root)
        .bind(format!("{root}:"))
        .bind(Level::Grid.as_str()),
    )
    .await
}

/// Has a notice cover the grids `codes`.
pub async fn cover(ex: &mut impl Exec, id: i64, codes: &[String]) -> Result<u64, StoreError> {
    for c in codes {
        ex.exec(
            Sql::new("INSERT INTO notice_grids (notice_id, node_code) VALUES (?, ?)")
                .bind(id)
                .bind(c.as_str()),
        )
        .await?;
    }
    Ok(codes.len() as u64)
}

/// The notice read from the CAP message `identifier`, if any.
pub async fn by_cap(ex: &mut impl Exec, identifier: &str) -> Result<Option<NoticeRow>, StoreError> {
    ex.opt(
        Sql::new(format!(
            "SELECT {COLUMNS} FROM notices n WHERE n.cap_identifier = ?"
        ))
        .bind(identifier),
    )
    .await
}

/// Ends a notice now (a warning lifted): it leaves the pages and the 待办.
pub async fn end(ex: &mut impl Exec, id: i64, now: i64) -> Result<(), StoreError> {
    ex.exec(
        Sql::new("UPDATE notices SET ends_at = ? WHERE id = ? AND ends_at > ?")
            .bind(now)
            .bind(id)
            .bind(now),
    )
    .await?;
    Ok(())
}

/// Creates the 叫应 calls of a warning: one per household of its grids (micro-grids included)
/// where someone still living there carries a vulnerable tag. Returns how many.
pub async fn call_vulnerable(ex: &mut impl Exec, notice_id: i64) -> Result<u64, StoreError> {
    ex.exec(
        Sql::new(
            "INSERT INTO notice_calls (notice_id, household_id, node_code, outcome) \
             SELECT DISTINCT ng.notice_id, h.id, ng.node_code, ? FROM notice_grids ng \
             JOIN households h ON h.node_code >= ng.node_code AND h.node_code < ng.node_code || ':' \
             WHERE ng.notice_id = ? AND EXISTS (SELECT 1 FROM persons p JOIN person_tags t ON \
             t.person_id = p.id JOIN tag_kinds k ON k.code = t.tag WHERE p.household_id = h.id \
             AND p.moved_out IS NULL AND k.vulnerable)",
        )
        .bind(CallOutcome::Pending.as_str())
        .bind(notice_id),
    )
    .await
}

/// One notice.
pub async fn get(ex: &mut impl Exec, id: i64) -> Result<Option<NoticeRow>, StoreError> {
    ex.opt(Sql::new(format!("SELECT {COLUMNS} FROM notices n WHERE n.id = ?")).bind(id))
        .await
}

/// The notices shown at `now` on the page of node `code`: those covering its grid (or, for a
/// community or above, any grid under it) or made for a node above it; warnings first, then
/// the newest.
pub async fn shown_at(
    ex: &mut impl Exec,
    code: &str,
    now: i64,
    limit: i64,
) -> Result<Vec<NoticeRow>, StoreError> {
    let grid = code.get(..15).unwrap_or(code);
    ex.all(
        Sql::new(format!(
            "SELECT {COLUMNS} FROM notices n WHERE n.starts_at <= ? AND n.ends_at > ? AND \
             EXISTS (SELECT 1 FROM notice_grids g WHERE g.notice_id = n.id AND g.node_code >= ? \
             AND g.node_code < ?) ORDER BY CASE n.level WHEN ? THEN 0 WHEN ? THEN 1 ELSE 2 END, \
             n.id DESC LIMIT ?"
        ))
        .bind(now)
        .bind(now)
        .bind(grid)
        .bind(format!("{grid}:"))
        .bind(NoticeLevel::Warning.as_str())
        .bind(NoticeLevel::Important.as_str())
        .bind(limit),
    )
    .await
}

/// The notices made for `root` or anything under it, newest first (the staff list).
pub async fn under(
    ex: &mut impl Exec,
    root: &str,
    limit: i64,
) -> Result<Vec<NoticeRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {COLUMNS} FROM notices n WHERE n.root_code >= ? AND n.root_code < ? \
             ORDER BY n.id DESC LIMIT ?"
        ))
        .bind(root)
        .bind(format!("{root}:"))
        .bind(limit),
    )
    .await
}

/// How far a warning's 叫应 has got in one area (a grid, or everything under a community,
/// street or district).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct GridProgress {
    /// The area's code.
    pub node_code: String,
    /// Its name.
    pub name: String,
    /// Households to call.
    pub total: i64,
    /// Reached.
    pub reached: i64,
    /// Moved to safety.
    pub moved: i64,
    /// Called, nobody found.
    pub unreached: i64,
}

/// A warning's 叫应 under `root`, rolled up to the areas whose codes are `child_len` long (the
/// root's children; grids when the root is a community or a grid). Every covered area is
/// listed, also those with no one to call.
pub async fn progress(
    ex: &mut impl Exec,
    notice_id: i64,
    root: &str,
    child_len: usize,
) -> Result<Vec<GridProgress>, StoreError> {
    // PostgreSQL's substr takes an integer, not a bigint.
    let len = i32::try_from(child_len).unwrap_or(15);
    ex.all(
        Sql::new(
            "SELECT a.child AS node_code, r.name, a.total, a.reached, a.moved, a.unreached FROM \
             (SELECT substr(ng.node_code, 1, ?) AS child, COUNT(c.id) AS total, \
             COALESCE(SUM(CASE WHEN c.outcome = ? THEN 1 ELSE 0 END), 0) AS reached, \
             COALESCE(SUM(CASE WHEN c.outcome = ? THEN 1 ELSE 0 END), 0) AS moved, \
             COALESCE(SUM(CASE WHEN c.outcome = ? THEN 1 ELSE 0 END), 0) AS unreached \
             FROM notice_grids ng LEFT JOIN notice_calls c ON c.notice_id = ng.notice_id \
             AND c.node_code = ng.node_code \
             WHERE ng.notice_id = ? AND ng.node_code >= ? AND ng.node_code < ? GROUP BY 1) a \
             JOIN region_nodes r ON r.code = a.child ORDER BY a.child",
        )
        .bind(len)
        .bind(CallOutcome::Reached.as_str())
        .bind(CallOutcome::Moved.as_str())
        .bind(CallOutcome::Unreached.as_str())
        .bind(notice_id)
        .bind(root)
        .bind(format!("{root}:")),
    )
    .await
}

/// A household to call, as the grid worker's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct CallRow {
    /// The call's id.
    pub id: i64,
    /// The warning.
    pub notice_id: i64,
    /// The grid.
    pub node_code: String,
    /// The household.
    pub household_id: i64,
    /// Where: building and room.
    pub address: String,
    /// Who lives there, names as one line.
    pub people: Option<String>,
    /// A phone on record, masked.
    pub phone_masked: Option<String>,
    /// Where the call stands.
    pub outcome: CallOutcome,
    /// What the caller noted.
    pub note: String,
    /// Who recorded it, as shown.
    pub done_label: Option<String>,
    /// When (ms).
    pub done_at: Option<i64>,
}

/// The calls of `notice_id` in grids under `root`, open ones first (all of them when
/// `open_only` is false).
pub async fn calls(
    ex: &mut impl Exec,
    notice_id: i64,
    root: &str,
    open_only: bool,
) -> Result<Vec<CallRow>, StoreError> {
    let names = match ex.backend() {
        crate::Backend::Sqlite => "group_concat(p.name, '、')",
        crate::Backend::Postgres => "string_agg(p.name, '、' ORDER BY p.id)",
    };
    let mut q = Sql::new(format!(
        "SELECT c.id, c.notice_id, c.node_code, c.household_id, \
         b.name || ' ' || hs.unit || '单元' || hs.room AS address, \
         (SELECT {names} FROM persons p WHERE p.household_id = c.household_id AND \
          p.moved_out IS NULL) AS people, \
         (SELECT MIN(p.phone_masked) FROM persons p WHERE p.household_id = c.household_id AND \
          p.moved_out IS NULL) AS phone_masked, \
         c.outcome, c.note, c.done_label, c.done_at FROM notice_calls c \
         JOIN households h ON h.id = c.household_id JOIN houses hs ON hs.id = h.house_id \
         JOIN buildings b ON b.id = hs.building_id \
         WHERE c.notice_id = ? AND c.node_code >= ? AND c.node_code < ?"
    ))
    .bind(notice_id)
    .bind(root)
    .bind(format!("{root}:"));
    if open_only {
        q.push_list(
            " AND c.outcome IN",
            [
                CallOutcome::Pending.as_str(),
                CallOutcome::Unreached.as_str(),
            ],
        );
    }
    q.push_bind(
        " ORDER BY CASE WHEN c.outcome = ? THEN 0 ELSE 1 END, c.node_code, address",
        CallOutcome::Pending.as_str(),
    );
    ex.all(q).await
}

/// One call.
pub async fn call(ex: &mut impl Exec, id: i64) -> Result<Option<(i64, String)>, StoreError> {
    ex.opt(Sql::new("SELECT notice_id, node_code FROM notice_calls WHERE id = ?").bind(id))
        .await
}

/// Records a call's outcome.
pub async fn record(
    ex: &mut impl Exec,
    id: i64,
    outcome: CallOutcome,
    note: &str,
    by: (i64, &str),
    now: i64,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new(
            "UPDATE notice_calls SET outcome = ?, note = ?, done_by = ?, done_label = ?, \
             done_at = ? WHERE id = ?",
        )
        .bind(outcome.as_str())
        .bind(note)
        .bind(by.0)
        .bind(by.1)
        .bind(now)
        .bind(id),
    )
    .await?;
    Ok(())
}

/// Warnings with calls still open under `root`: (notice, open calls, of which past the
/// deadline at `now`), the nearest deadline first — a grid worker's or a community's 待办.
pub async fn open_calls(
    ex: &mut impl Exec,
    root: &str,
    now: i64,
) -> Result<Vec<(NoticeRow, i64, i64)>, StoreError> {
    let counts: Vec<(i64, i64, i64)> = ex
        .all(
            Sql::new(
                "SELECT c.notice_id, COUNT(*), \
                 COALESCE(SUM(CASE WHEN n.respond_by <= ? THEN 1 ELSE 0 END), 0) \
                 FROM notice_calls c JOIN notices n ON n.id = c.notice_id \
                 WHERE c.node_code >= ? AND c.node_code < ? AND c.outcome IN (?, ?) \
                 AND n.ends_at > ? GROUP BY c.notice_id",
            )
            .bind(now)
            .bind(root)
            .bind(format!("{root}:"))
            .bind(CallOutcome::Pending.as_str())
            .bind(CallOutcome::Unreached.as_str())
            .bind(now),
        )
        .await?;
    with_notices(ex, counts).await
}

/// Opts a phone in to a grid's notices (again, if it had opted out).
pub async fn subscribe(
    ex: &mut impl Exec,
    grid: &str,
    phone: &crate::vault::SealedValue,
    now: i64,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new(
            "INSERT INTO notice_subscribers (node_code, phone_sealed, phone_index, phone_masked, \
             created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (node_code, phone_index) DO UPDATE \
             SET ended_at = NULL, phone_sealed = excluded.phone_sealed",
        )
        .bind(grid)
        .bind(phone.sealed.clone())
        .bind(phone.index.clone())
        .bind(phone.masked.as_str())
        .bind(now),
    )
    .await?;
    Ok(())
}

/// Queues a notice's text for every phone opted in to its grids, each with a code of its own
/// for the link, due at `due`; returns how many.
pub async fn queue_texts(
    ex: &mut impl Exec,
    notice_id: i64,
    reason: &str,
    due: i64,
    now: i64,
) -> Result<u64, StoreError> {
    let code = match ex.backend() {
        crate::Backend::Sqlite => "upper(hex(randomblob(8)))",
        crate::Backend::Postgres => {
            "upper(substr(md5(random()::text || clock_timestamp()::text || s.id::text), 1, 16))"
        }
    };
    ex.exec(
        Sql::new(format!(
            "INSERT INTO sms_outbox (code, kind, reason, phone_sealed, phone_masked, status, \
             attempts, next_attempt_at, created_at, notice_id, node_code) \
             SELECT {code}, ?, ?, s.phone_sealed, s.phone_masked, ?, 0, ?, ?, ng.notice_id, \
             ng.node_code FROM notice_grids ng JOIN notice_subscribers s ON s.node_code = \
             ng.node_code AND s.ended_at IS NULL WHERE ng.notice_id = ?"
        ))
        .bind(shanzhi_domain::texts::TextKind::Notice.as_str())
        .bind(reason)
        .bind(shanzhi_domain::notify::DeliveryStatus::Pending.as_str())
        .bind(due)
        .bind(now)
        .bind(notice_id),
    )
    .await
}

/// The notice a text's link opens, marking the text read the first time; `None` for a code
/// no notice text carries.
pub async fn read(ex: &mut impl Exec, code: &str, now: i64) -> Result<Option<i64>, StoreError> {
    ex.exec(
        Sql::new(
            "UPDATE sms_outbox SET read_at = ? WHERE code = ? AND notice_id IS NOT NULL \
             AND read_at IS NULL",
        )
        .bind(now)
        .bind(code),
    )
    .await?;
    Ok(ex
        .opt::<(i64,)>(
            Sql::new("SELECT notice_id FROM sms_outbox WHERE code = ? AND notice_id IS NOT NULL")
                .bind(code),
        )
        .await?
        .map(|(id,)| id))
}

/// Opts out the phone a notice text went to, from that text's grid; false when the code is
/// no notice text's.
pub async fn stop(ex: &mut impl Exec, code: &str, now: i64) -> Result<bool, StoreError> {
    let Some((grid, sealed)): Option<(String, Vec<u8>)> = ex
        .opt(
            Sql::new(
                "SELECT node_code, phone_sealed FROM sms_outbox WHERE code = ? \
                 AND notice_id IS NOT NULL",
            )
            .bind(code),
        )
        .await?
    else {
        return Ok(false);
    };
    // The text carries the subscription's own sealed bytes, so they find it again.
    ex.exec(
        Sql::new(
            "UPDATE notice_subscribers SET ended_at = ? WHERE node_code = ? AND phone_sealed = ? \
             AND ended_at IS NULL",
        )
        .bind(now)
        .bind(grid.as_str())
        .bind(sealed),
    )
    .await?;
    Ok(true)
}

/// How a notice's texts went in one grid.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct GridTexts {
    /// The grid.
    pub node_code: String,
    /// Texts queued.
    pub total: i64,
    /// Accepted by the gateway.
    pub delivered: i64,
    /// Given up on.
    pub failed: i64,
    /// Whose link was opened.
    pub read: i64,
}

/// A notice's texts under `root`, rolled up to codes `child_len` long.
pub async fn texts(
    ex: &mut impl Exec,
    notice_id: i64,
    root: &str,
    child_len: usize,
) -> Result<Vec<GridTexts>, StoreError> {
    use shanzhi_domain::notify::DeliveryStatus;
    ex.all(
        Sql::new(
            "SELECT substr(node_code, 1, ?) AS node_code, COUNT(*) AS total, \
             COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0) AS delivered, \
             COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0) AS failed, \
             COALESCE(SUM(CASE WHEN read_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS read \
             FROM sms_outbox WHERE notice_id = ? AND node_code >= ? AND node_code < ? \
             GROUP BY 1 ORDER BY 1",
        )
        .bind(i32::try_from(child_len).unwrap_or(15))
        .bind(DeliveryStatus::Delivered.as_str())
        .bind(DeliveryStatus::Failed.as_str())
        .bind(notice_id)
        .bind(root)
        .bind(format!("{root}:")),
    )
    .await
}

/// Warnings valid at `now` with households to call under `root`: (warning, households, of
/// which reached or moved), the nearest deadline first — the wall screen's line.
pub async fn active_calls(
    ex: &mut impl Exec,
    root: &str,
    now: i64,
) -> Result<Vec<(NoticeRow, i64, i64)>, StoreError> {
    let counts: Vec<(i64, i64, i64)> = ex
        .all(
            Sql::new(
                "SELECT c.notice_id, COUNT(*), \
                 COALESCE(SUM(CASE WHEN c.outcome IN (?, ?) THEN 1 ELSE 0 END), 0) \
                 FROM notice_calls c JOIN notices n ON n.id = c.notice_id \
                 WHERE c.node_code >= ? AND c.node_code < ? AND n.starts_at <= ? AND n.ends_at > ? \
                 GROUP BY c.notice_id",
            )
            .bind(CallOutcome::Reached.as_str())
            .bind(CallOutcome::Moved.as_str())
            .bind(root)
            .bind(format!("{root}:"))
            .bind(now)
            .bind(now),
        )
        .await?;
    with_notices(ex, counts).await
}

/// Counts per notice id with their notices, the nearest 叫应 deadline first.
async fn with_notices(
    ex: &mut impl Exec,
    counts: Vec<(i64, i64, i64)>,
) -> Result<Vec<(NoticeRow, i64, i64)>, StoreError> {
    let mut out = Vec::with_capacity(counts.len());
    for (id, a, b) in counts {
        if let Some(n) = get(ex, id).await? {
            out.push((n, a, b));
        }
    }
    out.sort_by_key(|(n, _, _)| n.respond_by);
    Ok(out)
}
