//! 网格公告 and 预警 with their 叫应 calls: the notice, the grids it covers, and one call per
//! vulnerable household of those grids. Counts per grid are one GROUP BY on an indexed code.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::notice::attachment::FileKind;
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
/// where someone still living there carries a vulnerable tag, and counts them per grid.
/// Returns how many.
pub async fn call_vulnerable(ex: &mut impl Exec, notice_id: i64) -> Result<u64, StoreError> {
    let calls = ex.exec(
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
    .await?;
    ex.exec(
        Sql::new(
            "UPDATE notice_grids SET total = (SELECT COUNT(*) FROM notice_calls c WHERE \
             c.notice_id = notice_grids.notice_id AND c.node_code = notice_grids.node_code) \
             WHERE notice_id = ?",
        )
        .bind(notice_id),
    )
    .await?;
    Ok(calls)
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
            // PostgreSQL sums bigints into a numeric: cast back.
            "SELECT a.child AS node_code, r.name, a.total, a.reached, a.moved, a.unreached FROM \
             (SELECT substr(node_code, 1, ?) AS child, CAST(SUM(total) AS BIGINT) AS total, \
             CAST(SUM(reached) AS BIGINT) AS reached, CAST(SUM(moved) AS BIGINT) AS moved, \
             CAST(SUM(unreached) AS BIGINT) AS unreached \
             FROM notice_grids WHERE notice_id = ? AND node_code >= ? AND node_code < ? \
             GROUP BY 1) a JOIN region_nodes r ON r.code = a.child ORDER BY a.child",
        )
        .bind(len)
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

/// A call: its warning, its grid and where it stands.
pub async fn call(
    ex: &mut impl Exec,
    id: i64,
) -> Result<Option<(i64, String, CallOutcome)>, StoreError> {
    ex.opt(Sql::new("SELECT notice_id, node_code, outcome FROM notice_calls WHERE id = ?").bind(id))
        .await
}

/// The phones on record (sealed) of the household a call is for, with whose they are.
pub async fn household_phones(
    ex: &mut impl Exec,
    call_id: i64,
) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT p.name, p.phone_sealed FROM notice_calls c JOIN persons p ON \
             p.household_id = c.household_id WHERE c.id = ? AND p.moved_out IS NULL \
             AND p.phone_sealed IS NOT NULL ORDER BY p.id",
        )
        .bind(call_id),
    )
    .await
}

/// The grid counters an outcome adds to: (reached, moved, unreached).
fn counted(o: CallOutcome) -> [i64; 3] {
    match o {
        CallOutcome::Pending => [0, 0, 0],
        CallOutcome::Reached => [1, 0, 0],
        CallOutcome::Moved => [0, 1, 0],
        CallOutcome::Unreached => [0, 0, 1],
    }
}

/// Records a call's outcome (it was `was`), and moves its grid's counts with it.
pub async fn record(
    ex: &mut impl Exec,
    id: i64,
    (notice_id, grid, was): (i64, &str, CallOutcome),
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
    let (new, old) = (counted(outcome), counted(was));
    ex.exec(
        Sql::new(
            "UPDATE notice_grids SET reached = reached + ?, moved = moved + ?, \
             unreached = unreached + ? WHERE notice_id = ? AND node_code = ?",
        )
        .bind(new[0] - old[0])
        .bind(new[1] - old[1])
        .bind(new[2] - old[2])
        .bind(notice_id)
        .bind(grid),
    )
    .await?;
    Ok(())
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

/// Queues a notice's text for every phone opted in to its grids on their page, and every
/// phone on the register whose owner agreed to notices (a phone once per grid), each with a
/// code of its own for the link, due at `due`; returns how many.
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
            "upper(substr(md5(random()::text || clock_timestamp()::text || ng.node_code || \
             src.phone_masked), 1, 16))"
        }
    };
    let head = format!(
        "INSERT INTO sms_outbox (code, kind, reason, phone_sealed, phone_index, phone_masked, \
         status, attempts, next_attempt_at, created_at, notice_id, node_code) \
         SELECT {code}, ?, ?, src.phone_sealed, src.phone_index, src.phone_masked, ?, 0, ?, ?, \
         ng.notice_id, ng.node_code FROM notice_grids ng "
    );
    let sources = [
        "JOIN notice_subscribers src ON src.node_code = ng.node_code AND src.ended_at IS NULL \
         WHERE ng.notice_id = ?",
        // Those who also opted in on the page already have theirs; a phone shared by a
        // household gets one.
        "JOIN persons src ON src.node_code >= ng.node_code AND src.node_code < ng.node_code || ':' \
         WHERE ng.notice_id = ? AND src.notice_consent_at IS NOT NULL AND src.moved_out IS NULL \
         AND src.phone_sealed IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sms_outbox o WHERE \
         o.notice_id = ng.notice_id AND o.node_code = ng.node_code AND o.phone_index = \
         src.phone_index) AND NOT EXISTS (SELECT 1 FROM persons q WHERE q.phone_index = \
         src.phone_index AND q.id < src.id AND q.notice_consent_at IS NOT NULL AND \
         q.moved_out IS NULL AND q.node_code >= ng.node_code AND q.node_code < ng.node_code || ':')",
    ];
    let mut queued = 0;
    for source in sources {
        queued += ex
            .exec(
                Sql::new(format!("{head}{source}"))
                    .bind(shanzhi_domain::texts::TextKind::Notice.as_str())
                    .bind(reason)
                    .bind(shanzhi_domain::notify::DeliveryStatus::Pending.as_str())
                    .bind(due)
                    .bind(now)
                    .bind(notice_id),
            )
            .await?;
    }
    recount_texts(ex, notice_id).await?;
    Ok(queued)
}

/// Counts a notice's texts per grid afresh from the outbox (after queueing them, or after
/// the demo wrote their history).
pub async fn recount_texts(ex: &mut impl Exec, notice_id: i64) -> Result<(), StoreError> {
    use shanzhi_domain::notify::DeliveryStatus;
    use shanzhi_domain::texts::Receipt;
    let of = |condition: &str| {
        format!(
            "(SELECT COUNT(*) FROM sms_outbox o WHERE o.notice_id = notice_grids.notice_id \
             AND o.node_code = notice_grids.node_code{condition})"
        )
    };
    ex.exec(
        Sql::new(format!(
            "UPDATE notice_grids SET texts = {}, texts_sent = {}, texts_delivered = {}, \
             texts_failed = {}, texts_read = {} WHERE notice_id = ?",
            of(""),
            of(" AND o.status = ?"),
            of(" AND o.receipt = ?"),
            of(" AND (o.status = ? OR o.receipt = ?)"),
            of(" AND o.read_at IS NOT NULL"),
        ))
        .bind(DeliveryStatus::Delivered.as_str())
        .bind(Receipt::Delivered.as_str())
        .bind(DeliveryStatus::Failed.as_str())
        .bind(Receipt::Undelivered.as_str())
        .bind(notice_id),
    )
    .await?;
    Ok(())
}

/// A step in a notice text's life, counted per grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextStep {
    /// The gateway took it.
    Sent,
    /// The carrier says it is on the handset.
    Delivered,
    /// Refused after every attempt, or reported undelivered.
    Failed,
    /// Its link was opened.
    Read,
}

/// Counts a step of the text `text_id` in its grid, when it is a notice's text.
pub async fn count_text(
    ex: &mut impl Exec,
    text_id: i64,
    step: TextStep,
) -> Result<(), StoreError> {
    let Some((Some(notice), Some(grid))): Option<(Option<i64>, Option<String>)> = ex
        .opt(Sql::new("SELECT notice_id, node_code FROM sms_outbox WHERE id = ?").bind(text_id))
        .await?
    else {
        return Ok(());
    };
    let column = match step {
        TextStep::Sent => "texts_sent",
        TextStep::Delivered => "texts_delivered",
        TextStep::Failed => "texts_failed",
        TextStep::Read => "texts_read",
    };
    ex.exec(
        Sql::new(format!(
            "UPDATE notice_grids SET {column} = {column} + 1 WHERE notice_id = ? AND node_code = ?"
        ))
        .bind(notice)
        .bind(grid),
    )
    .await?;
    Ok(())
}

/// Records (or, with `None`, withdraws) a resident's consent to notices by text.
pub async fn consent(ex: &mut impl Exec, person: i64, at: Option<i64>) -> Result<(), StoreError> {
    ex.exec(
        Sql::new("UPDATE persons SET notice_consent_at = ? WHERE id = ?")
            .bind(at)
            .bind(person),
    )
    .await?;
    Ok(())
}

/// The notice a text's link opens, marking the text read the first time; `None` for a code
/// no notice text carries.
pub async fn read(ex: &mut impl Exec, code: &str, now: i64) -> Result<Option<i64>, StoreError> {
    let Some((id, notice)): Option<(i64, i64)> = ex
        .opt(
            Sql::new(
                "SELECT id, notice_id FROM sms_outbox WHERE code = ? AND notice_id IS NOT NULL",
            )
            .bind(code),
        )
        .await?
    else {
        return Ok(None);
    };
    let first = ex
        .exec(
            Sql::new("UPDATE sms_outbox SET read_at = ? WHERE id = ? AND read_at IS NULL")
                .bind(now)
                .bind(id),
        )
        .await?;
    if first > 0 {
        count_text(ex, id, TextStep::Read).await?;
    }
    Ok(Some(notice))
}

/// The phone (blind index) and grid a notice text went to; `None` when the code is no
/// notice text's.
pub async fn text_phone(
    ex: &mut impl Exec,
    code: &str,
) -> Result<Option<(Vec<u8>, String)>, StoreError> {
    ex.opt(
        Sql::new(
            "SELECT phone_index, node_code FROM sms_outbox WHERE code = ? AND notice_id IS NOT NULL \
             AND phone_index IS NOT NULL",
        )
        .bind(code),
    )
    .await
}

/// Stops notices by text to a phone (its blind index): ends its page subscriptions and
/// withdraws its owners' consent on the register, in the grid `grid` or everywhere. Returns
/// how many subscriptions and consents ended.
pub async fn stop_phone(
    ex: &mut impl Exec,
    index: &[u8],
    grid: Option<&str>,
    now: i64,
) -> Result<u64, StoreError> {
    let mut subscriptions = Sql::new(
        "UPDATE notice_subscribers SET ended_at = ? WHERE phone_index = ? AND ended_at IS NULL",
    )
    .bind(now)
    .bind(index.to_vec());
    let mut consents = Sql::new(
        "UPDATE persons SET notice_consent_at = NULL WHERE phone_index = ? \
         AND notice_consent_at IS NOT NULL",
    )
    .bind(index.to_vec());
    if let Some(g) = grid {
        for q in [&mut subscriptions, &mut consents] {
            q.push_bind(" AND node_code >= ?", g)
                .push_bind(" AND node_code < ?", format!("{g}:"));
        }
    }
    let ended = ex.exec(subscriptions).await? + ex.exec(consents).await?;
    Ok(ended)
}

/// How a notice's texts went in one grid.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct GridTexts {
    /// The grid.
    pub node_code: String,
    /// Texts queued.
    pub total: i64,
    /// Accepted by the gateway.
    pub sent: i64,
    /// Reported by the gateway as on the handset.
    pub delivered: i64,
    /// Refused by the gateway after every attempt, or reported undelivered.
    pub failed: i64,
    /// Whose link was opened.
    pub read: i64,
}

/// A notice's texts under `root`, rolled up to codes `child_len` long (the areas with none
/// left out).
pub async fn texts(
    ex: &mut impl Exec,
    notice_id: i64,
    root: &str,
    child_len: usize,
) -> Result<Vec<GridTexts>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT substr(node_code, 1, ?) AS node_code, CAST(SUM(texts) AS BIGINT) AS total, \
             CAST(SUM(texts_sent) AS BIGINT) AS sent, \
             CAST(SUM(texts_delivered) AS BIGINT) AS delivered, \
             CAST(SUM(texts_failed) AS BIGINT) AS failed, CAST(SUM(texts_read) AS BIGINT) AS read \
             FROM notice_grids WHERE notice_id = ? AND node_code >= ? AND node_code < ? \
             GROUP BY 1 HAVING SUM(texts) > 0 ORDER BY 1",
        )
        .bind(i32::try_from(child_len).unwrap_or(15))
        .bind(notice_id)
        .bind(root)
        .bind(format!("{root}:")),
    )
    .await
}

/// Warnings valid at `now` with households to call under `root`: (warning, households, of
/// which reached or moved), the nearest deadline first — the wall screen's line and, where
/// some are still open, the 待办's.
pub async fn tallies(
    ex: &mut impl Exec,
    root: &str,
    now: i64,
) -> Result<Vec<(NoticeRow, i64, i64)>, StoreError> {
    // From the few warnings in force to their grids under the root (the primary key).
    let counts: Vec<(i64, i64, i64)> = ex
        .all(
            Sql::new(
                "SELECT n.id, CAST(SUM(ng.total) AS BIGINT), \
                 CAST(SUM(ng.reached + ng.moved) AS BIGINT) FROM notices n \
                 JOIN notice_grids ng ON ng.notice_id = n.id AND ng.node_code >= ? \
                 AND ng.node_code < ? WHERE n.level = ? AND n.starts_at <= ? AND n.ends_at > ? \
                 GROUP BY n.id HAVING SUM(ng.total) > 0",
            )
            .bind(root)
            .bind(format!("{root}:"))
            .bind(NoticeLevel::Warning.as_str())
            .bind(now)
            .bind(now),
        )
        .await?;
    let mut out = Vec::with_capacity(counts.len());
    for (id, a, b) in counts {
        if let Some(n) = get(ex, id).await? {
            out.push((n, a, b));
        }
    }
    out.sort_by_key(|(n, _, _)| n.respond_by);
    Ok(out)
}

/// An attachment of a notice, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct FileRow {
    /// Id.
    pub id: i64,
    /// The notice.
    pub notice_id: i64,
    /// Its name as sent.
    pub name: String,
    /// What it is.
    pub kind: FileKind,
    /// Its size in bytes.
    pub size_bytes: i64,
}

/// Stores an attachment of `notice_id`; returns its id.
pub async fn attach(
    ex: &mut impl Exec,
    notice_id: i64,
    (name, kind, content): (&str, FileKind, &[u8]),
    added_label: &str,
    now: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO notice_files (notice_id, name, kind, content, size_bytes, \
                 added_label, added_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(notice_id)
            .bind(name)
            .bind(kind.as_str())
            .bind(content.to_vec())
            .bind(i64::try_from(content.len()).unwrap_or(i64::MAX))
            .bind(added_label)
            .bind(now),
        )
        .await?;
    Ok(id)
}

/// The attachments of the notices `ids`, in order.
pub async fn files(ex: &mut impl Exec, ids: &[i64]) -> Result<Vec<FileRow>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q =
        Sql::new("SELECT id, notice_id, name, kind, size_bytes FROM notice_files WHERE notice_id");
    q.push_list(" IN", ids.iter().copied());
    q.push(" ORDER BY notice_id, id");
    ex.all(q).await
}

/// An attachment's name, kind and bytes with its notice.
pub async fn file(
    ex: &mut impl Exec,
    id: i64,
) -> Result<Option<(i64, String, FileKind, Vec<u8>)>, StoreError> {
    ex.opt(
        Sql::new("SELECT notice_id, name, kind, content FROM notice_files WHERE id = ?").bind(id),
    )
    .await
}
