//! Cases (事件), their timeline and the category list.

use crate::bulk::runs;
use crate::vault::SealedValue;
use crate::{Backend, Exec, Sql, StoreError};
use shanzhi_domain::case::{CategorySpec, Clock, Satisfaction, Source, Stage, Tier, Urgency};

/// A stored category (also the API's answer, so the two cannot drift).
#[derive(
    Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct CategoryRow {
    /// Code.
    pub code: String,
    /// Parent code.
    pub parent_code: Option<String>,
    /// Name.
    pub name: String,
    /// Default tier.
    pub tier: Tier,
    /// Usual department kind.
    pub department_kind: Option<String>,
    /// Accept deadline, hours.
    pub accept_hours: i32,
    /// Handle deadline, hours.
    pub handle_hours: i32,
    /// On the grid duty list.
    pub grid_duty: bool,
    /// A dispute.
    pub dispute: bool,
    /// The clock its deadlines run on.
    pub clock: Clock,
    /// Whether a matter handled on the spot by the grid worker who found it (就地处置) still
    /// goes to the community's 核查.
    pub onsite_check: bool,
}

/// The columns a category is seeded with.
const SEEDED_COLUMNS: &str = "code, parent_code, name, tier, department_kind, accept_hours, handle_hours, grid_duty, dispute, clock";
const CATEGORY_COLUMNS: &str = "code, parent_code, name, tier, department_kind, accept_hours, handle_hours, grid_duty, dispute, clock, onsite_check";

/// Stores the given categories where their codes are not present yet (first start, upgrades).
pub async fn seed_categories(ex: &mut impl Exec, specs: &[CategorySpec]) -> Result<(), StoreError> {
    for c in specs {
        ex.exec(
            Sql::new(format!(
                "INSERT INTO categories ({SEEDED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING"
            ))
            .bind(c.code)
            .bind(c.parent())
            .bind(c.name)
            .bind(c.tier.as_str())
            .bind(c.department_kind)
            .bind(c.accept_hours as i32)
            .bind(c.handle_hours as i32)
            .bind(c.grid_duty)
            .bind(c.dispute)
            .bind(c.clock().as_str()),
        )
        .await?;
    }
    Ok(())
}

/// Active categories, in code order.
pub async fn categories(ex: &mut impl Exec) -> Result<Vec<CategoryRow>, StoreError> {
    ex.all(Sql::new(format!(
        "SELECT {CATEGORY_COLUMNS} FROM categories WHERE active ORDER BY code"
    )))
    .await
}

/// Sets whether a matter of active category `code` handled on the spot still goes to 核查;
/// false when there is no such category.
pub async fn set_onsite_check(
    ex: &mut impl Exec,
    code: &str,
    on: bool,
) -> Result<bool, StoreError> {
    let n = ex
        .exec(
            Sql::new("UPDATE categories SET onsite_check = ? WHERE code = ? AND active")
                .bind(on)
                .bind(code),
        )
        .await?;
    Ok(n == 1)
}

/// One active category.
pub async fn category(ex: &mut impl Exec, code: &str) -> Result<Option<CategoryRow>, StoreError> {
    ex.opt(
        Sql::new(format!(
            "SELECT {CATEGORY_COLUMNS} FROM categories WHERE code = ? AND active"
        ))
        .bind(code),
    )
    .await
}

const CASE_COLUMNS: &str = "id, tracking_code, source, category_code, title, description, node_code, lon, lat, \
                            address, stage, tier, holder_code, department_id, reporter_account, reporter_name, \
                            reopened, merged_into, satisfaction, accept_due, handle_due, version, created_at, updated_at, \
                            clock, suspended_at, extensions, hotline_order, reporter_phone_masked, urgency";

/// A stored case (also the body of the API's case answers).
#[derive(
    Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct CaseRow {
    /// Id.
    pub id: i64,
    /// Code the reporter tracks it with.
    pub tracking_code: String,
    /// Where it came from.
    pub source: Source,
    /// Category.
    pub category_code: String,
    /// Short title.
    pub title: String,
    /// What was reported.
    pub description: String,
    /// The grid (or deeper node) where it happened.
    pub node_code: String,
    /// Longitude (WGS-84).
    pub lon: Option<f64>,
    /// Latitude (WGS-84).
    pub lat: Option<f64>,
    /// Address text.
    pub address: Option<String>,
    /// Stage.
    pub stage: Stage,
    /// Holder tier.
    pub tier: Tier,
    /// Code of the node holding it (for departments: their jurisdiction).
    pub holder_code: String,
    /// Department holding it.
    pub department_id: Option<i64>,
    /// Staff account that reported it.
    pub reporter_account: Option<i64>,
    /// Reporter's name, if given.
    pub reporter_name: Option<String>,
    /// Times reopened by 不满意.
    pub reopened: i16,
    /// Surviving case, when merged.
    pub merged_into: Option<i64>,
    /// The reporter's rating.
    pub satisfaction: Option<Satisfaction>,
    /// Accept deadline (ms).
    pub accept_due: i64,
    /// Handle deadline (ms).
    pub handle_due: i64,
    /// Optimistic-concurrency version: send it back with a transition.
    pub version: i64,
    /// Created (ms).
    pub created_at: i64,
    /// Updated (ms).
    pub updated_at: i64,
    /// The clock its deadlines run on.
    pub clock: Clock,
    /// When its clock was stopped (挂起), if it is.
    pub suspended_at: Option<i64>,
    /// Extensions granted.
    pub extensions: i16,
    /// The 12345 hotline's work order number.
    pub hotline_order: Option<String>,
    /// The reporter's phone, masked (`138****2345`); the full number is sealed and only
    /// revealed on request, audited.
    pub reporter_phone_masked: Option<String>,
    /// How urgent (紧急程度), as the 12345 platform graded it.
    pub urgency: Urgency,
}

impl CaseRow {
    /// Who holds it and who reported it, for the rules on who may see and act on it.
    pub fn holding(&self) -> shanzhi_domain::case::Holding<'_> {
        shanzhi_domain::case::Holding {
            node_code: &self.node_code,
            holder_code: &self.holder_code,
            tier: self.tier,
            department_id: self.department_id,
            reporter_account: self.reporter_account,
            stage: self.stage,
        }
    }

    /// Its clock and deadlines, for the deadline rules.
    pub fn timing(&self) -> shanzhi_domain::case::Timing {
        shanzhi_domain::case::Timing {
            clock: self.clock,
            created: self.created_at,
            accept_due: self.accept_due,
            handle_due: self.handle_due,
            suspended_at: self.suspended_at,
        }
    }
}

/// A case to insert.
#[derive(Debug, Clone)]
pub struct NewCase<'a> {
    /// Tracking code.
    pub tracking_code: &'a str,
    /// Source.
    pub source: Source,
    /// Category.
    pub category_code: &'a str,
    /// Title.
    pub title: &'a str,
    /// Description.
    pub description: &'a str,
    /// Node where it happened.
    pub node_code: &'a str,
    /// Location.
    pub lon_lat: Option<(f64, f64)>,
    /// Address.
    pub address: Option<&'a str>,
    /// Initial holder tier.
    pub tier: Tier,
    /// Initial holder node.
    pub holder_code: &'a str,
    /// Reporting staff account.
    pub reporter_account: Option<i64>,
    /// Reporter's name.
    pub reporter_name: Option<&'a str>,
    /// Accept deadline (ms).
    pub accept_due: i64,
    /// Handle deadline (ms).
    pub handle_due: i64,
    /// The clock the deadlines run on.
    pub clock: Clock,
    /// The Open311 client that filed it.
    pub client_id: Option<i64>,
    /// The 12345 hotline's work order number.
    pub hotline_order: Option<&'a str>,
    /// The reporter's phone, sealed, with its blind index and masked form.
    pub reporter_phone: Option<&'a SealedValue>,
    /// When it was reported, when that was before it was filed (a 12345 call); `None`: now.
    pub reported_at: Option<i64>,
    /// How urgent.
    pub urgency: Urgency,
}

/// One timeline entry to append.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    /// Acting account (None: reporter or system).
    pub actor_id: Option<i64>,
    /// Who, in words (name and role, 居民, 系统).
    pub actor_label: &'a str,
    /// Action name.
    pub action: &'a str,
    /// Stage before.
    pub from_stage: Option<Stage>,
    /// Stage after.
    pub to_stage: Stage,
    /// Note, reason or result.
    pub note: &'a str,
    /// Shown to the reporter.
    pub public: bool,
}

/// Inserts a case in stage `reported` with its first timeline entry; returns it as stored.
pub async fn insert(
    ex: &mut impl Exec,
    c: NewCase<'_>,
    first: NewEvent<'_>,
    now: i64,
) -> Result<CaseRow, StoreError> {
    let mut rows = insert_many_at(ex, &[(c, first)], now).await?;
    rows.pop()
        .ok_or_else(|| StoreError::Corrupt("insert returned no row".into()))
}

/// Inserts several reported cases with their first timeline entries in three statements
/// (cases, search terms, timeline) however many there are; returns them in the given order.
/// The intake writer files a whole batch of reports this way.
pub async fn insert_many(
    ex: &mut impl Exec,
    items: &[(NewCase<'_>, NewEvent<'_>)],
    now: i64,
) -> Result<Vec<CaseRow>, StoreError> {
    insert_many_at(ex, items, now).await
}

/// Rows per multi-row statement: well under SQLite's 32,766 and PostgreSQL's 65,535 bound
/// parameters.
const CHUNK: usize = 400;

async fn insert_many_at(
    ex: &mut impl Exec,
    items: &[(NewCase<'_>, NewEvent<'_>)],
    now: i64,
) -> Result<Vec<CaseRow>, StoreError> {
    let backend = ex.backend();
    let terms: Vec<String> = items
        .iter()
        .map(|(c, _)| {
            let text = format!(
                "{} {} {}",
                c.title,
                c.description,
                c.address.unwrap_or_default()
            );
            shanzhi_domain::case::index_terms(&text).join(" ")
        })
        .collect();
    let mut rows = Vec::with_capacity(items.len());
    for (chunk, chunk_terms) in runs(items, CHUNK).zip(runs(&terms, CHUNK)) {
        // PostgreSQL keeps the search terms in the row; SQLite in its FTS table (below).
        let (extra_column, extra_value) = match backend {
            Backend::Postgres => (", search_terms", ", string_to_array(?, ' ')"),
            Backend::Sqlite => ("", ""),
        };
        let mut q = Sql::new(format!(
            "INSERT INTO cases (tracking_code, source, category_code, title, description, node_code, lon, lat, \
             address, stage, tier, holder_code, reporter_account, reporter_name, accept_due, handle_due, \
             created_at, updated_at, clock, client_id, hotline_order, reporter_phone_sealed, \
             reporter_phone_index, reporter_phone_masked, urgency{extra_column}) VALUES "
        ));
        for (i, ((c, _), t)) in chunk.iter().zip(chunk_terms).enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.push_bind("?", c.tracking_code)
                .push_bind(", ?", c.source.as_str())
                .push_bind(", ?", c.category_code)
                .push_bind(", ?", c.title)
                .push_bind(", ?", c.description)
                .push_bind(", ?", c.node_code)
                .push_bind(", ?", c.lon_lat.map(|p| p.0))
                .push_bind(", ?", c.lon_lat.map(|p| p.1))
                .push_bind(", ?", c.address)
                .push(", 'reported'")
                .push_bind(", ?", c.tier.as_str())
                .push_bind(", ?", c.holder_code)
                .push_bind(", ?", c.reporter_account)
                .push_bind(", ?", c.reporter_name)
                .push_bind(", ?", c.accept_due)
                .push_bind(", ?", c.handle_due)
                .push_bind(", ?", c.reported_at.unwrap_or(now))
                .push_bind(", ?", now)
                .push_bind(", ?", c.clock.as_str())
                .push_bind(", ?", c.client_id)
                .push_bind(", ?", c.hotline_order)
                .push_bind(", ?", c.reporter_phone.map(|p| p.sealed.clone()))
                .push_bind(", ?", c.reporter_phone.map(|p| p.index.clone()))
                .push_bind(", ?", c.reporter_phone.map(|p| p.masked.as_str()))
                .push_bind(", ?", c.urgency.as_str());
            if backend == Backend::Postgres {
                q.push_bind(extra_value, t.as_str());
            }
            q.push(")");
        }
        q.push(&format!(" RETURNING {CASE_COLUMNS}"));
        let mut got: Vec<CaseRow> = ex.all(q).await?;
        // RETURNING promises no order: put the rows back in ours by their tracking codes.
        for (c, _) in chunk {
            let at = got
                .iter()
                .position(|r| r.tracking_code == c.tracking_code)
                .ok_or_else(|| StoreError::Corrupt("inserted case missing".into()))?;
            rows.push(got.swap_remove(at));
        }
    }
    for ((chunk, chunk_terms), chunk_rows) in runs(items, CHUNK)
        .zip(runs(&terms, CHUNK))
        .zip(runs(&rows, CHUNK))
    {
        if backend == Backend::Sqlite {
            let mut q = Sql::new("INSERT INTO case_terms (rowid, terms) VALUES ");
            for (i, (t, r)) in chunk_terms.iter().zip(chunk_rows).enumerate() {
                q.push_bind(if i == 0 { "(?" } else { ", (?" }, r.id)
                    .push_bind(", ?)", t.as_str());
            }
            ex.exec(q).await?;
        }
        let events: Vec<(i64, &NewEvent<'_>)> = chunk_rows
            .iter()
            .zip(chunk)
            .map(|(r, (_, e))| (r.id, e))
            .collect();
        append_events_at(ex, &events, now).await?;
    }
    Ok(rows)
}

/// Indexes a case's text for search.
async fn index_terms(ex: &mut impl Exec, id: i64, text: &str) -> Result<(), StoreError> {
    let terms = shanzhi_domain::case::index_terms(text).join(" ");
    let sql = match ex.backend() {
        Backend::Sqlite => Sql::new("INSERT INTO case_terms (rowid, terms) VALUES (?, ?)")
            .bind(id)
            .bind(terms),
        Backend::Postgres => {
            Sql::new("UPDATE cases SET search_terms = string_to_array(?, ' ') WHERE id = ?")
                .bind(terms)
                .bind(id)
        }
    };
    ex.exec(sql).await.map(drop)
}

/// Indexes cases stored before search existed; returns how many.
pub async fn index_unindexed(ex: &mut impl Exec) -> Result<usize, StoreError> {
    let query = Sql::new(match ex.backend() {
        Backend::Sqlite => {
            "SELECT id, title, description, address FROM cases WHERE id NOT IN (SELECT rowid FROM case_terms)"
        }
        Backend::Postgres => {
            "SELECT id, title, description, address FROM cases WHERE search_terms IS NULL"
        }
    });
    let missing: Vec<(i64, String, String, Option<String>)> = ex.all(query).await?;
    for (id, title, description, address) in &missing {
        let text = format!(
            "{title} {description} {}",
            address.as_deref().unwrap_or_default()
        );
        index_terms(ex, *id, &text).await?;
    }
    Ok(missing.len())
}

/// Appends a timeline entry.
pub async fn append_event(
    ex: &mut impl Exec,
    case_id: i64,
    e: NewEvent<'_>,
    now: i64,
) -> Result<(), StoreError> {
    append_event_at(ex, case_id, now, e).await
}

async fn append_event_at(
    ex: &mut impl Exec,
    case_id: i64,
    at: i64,
    e: NewEvent<'_>,
) -> Result<(), StoreError> {
    append_events_at(ex, &[(case_id, &e)], at).await
}

/// Appends entries to several cases' timelines in one statement.
async fn append_events_at(
    ex: &mut impl Exec,
    events: &[(i64, &NewEvent<'_>)],
    at: i64,
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut q = Sql::new(
        "INSERT INTO case_events (case_id, at, actor_id, actor_label, action, from_stage, to_stage, note, public) VALUES ",
    );
    for (i, (case_id, e)) in events.iter().enumerate() {
        q.push_bind(if i == 0 { "(?" } else { ", (?" }, *case_id)
            .push_bind(", ?", at)
            .push_bind(", ?", e.actor_id)
            .push_bind(", ?", e.actor_label)
            .push_bind(", ?", e.action)
            .push_bind(", ?", e.from_stage.map(Stage::as_str))
            .push_bind(", ?", e.to_stage.as_str())
            .push_bind(", ?", e.note)
            .push_bind(", ?)", e.public);
    }
    ex.exec(q).await.map(drop)
}

/// One case by id.
pub async fn get(ex: &mut impl Exec, id: i64) -> Result<Option<CaseRow>, StoreError> {
    ex.opt(Sql::new(format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = ?")).bind(id))
        .await
}

/// One case by tracking code.
pub async fn by_tracking_code(
    ex: &mut impl Exec,
    code: &str,
) -> Result<Option<CaseRow>, StoreError> {
    ex.opt(
        Sql::new(format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE tracking_code = ?"
        ))
        .bind(code),
    )
    .await
}

/// Which cases a list may show.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter<'a> {
    /// Cases that happened in this subtree (None: all).
    pub within: Option<&'a str>,
    /// Cases held by this department or to which it is summoned (吹哨报到).
    pub department_id: Option<i64>,
    /// Only this stage.
    pub stage: Option<&'a str>,
    /// Only cases whose text has all these search terms.
    pub terms: Option<&'a [String]>,
    /// Only this category and its sub-categories.
    pub category: Option<&'a str>,
    /// Only from this source.
    pub source: Option<&'a str>,
    /// Reported at or after (ms).
    pub from: Option<i64>,
    /// Reported before (ms).
    pub to: Option<i64>,
    /// Only cases past their deadline at this instant.
    pub overdue_at: Option<i64>,
}

/// A page of cases, newest first, before the `before` id.
pub async fn page(
    ex: &mut impl Exec,
    f: &CaseFilter<'_>,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<CaseRow>, StoreError> {
    let q = Sql::new(format!("SELECT {CASE_COLUMNS} FROM cases WHERE id < ?"))
        .bind(before.unwrap_or(i64::MAX));
    let mut q = f.narrow(q, ex.backend());
    q.push_bind(" ORDER BY id DESC LIMIT ?", i64::from(limit));
    ex.all(q).await
}

/// How many cases the filter lets through, per stage (the list's tabs).
pub async fn stage_counts(
    ex: &mut impl Exec,
    f: &CaseFilter<'_>,
) -> Result<Vec<(Stage, i64)>, StoreError> {
    let mut q = f.narrow(
        Sql::new("SELECT stage, count(*) FROM cases WHERE 1 = 1"),
        ex.backend(),
    );
    q.push(" GROUP BY stage");
    ex.all(q).await
}

impl CaseFilter<'_> {
    /// Adds the filter's conditions to a query whose WHERE clause is open.
    fn narrow(&self, mut q: Sql, backend: Backend) -> Sql {
        let f = self;
        if let Some(root) = f.within {
            q.push_bind(" AND node_code >= ?", root)
                .push_bind(" AND node_code < ?", format!("{root}:"));
        }
        if let Some(d) = f.department_id {
            q.push_bind(" AND (department_id = ?", d).push_bind(
                " OR id IN (SELECT case_id FROM case_summons WHERE department_id = ?))",
                d,
            );
        }
        if let Some(s) = f.stage {
            q.push_bind(" AND stage = ?", s);
        }
        if let Some(terms) = f.terms {
            match backend {
                Backend::Sqlite => {
                    // Each term quoted: FTS5 reads them as phrases, all of which must occur.
                    let phrase: Vec<String> = terms.iter().map(|t| format!("\"{t}\"")).collect();
                    q.push_bind(
                        " AND id IN (SELECT rowid FROM case_terms WHERE case_terms MATCH ?)",
                        phrase.join(" "),
                    )
                }
                Backend::Postgres => q.push_bind(
                    " AND search_terms @> string_to_array(?, ' ')",
                    terms.join(" "),
                ),
            };
        }
        if let Some(c) = f.category {
            q.push_bind(" AND category_code >= ?", c)
                .push_bind(" AND category_code < ?", format!("{c}:"));
        }
        if let Some(s) = f.source {
            q.push_bind(" AND source = ?", s);
        }
        if let Some(t) = f.from {
            q.push_bind(" AND created_at >= ?", t);
        }
        if let Some(t) = f.to {
            q.push_bind(" AND created_at < ?", t);
        }
        if let Some(now) = f.overdue_at {
            q.push_bind(
                " AND suspended_at IS NULL AND ((stage = 'reported' AND accept_due < ?)",
                now,
            )
            .push_bind(
                " OR (stage IN ('accepted', 'dispatched', 'in_progress') AND handle_due < ?))",
                now,
            );
        }
        q
    }
}

/// The cases waiting on one unit (我的待办): those it holds that are not yet handled, and
/// those held one level below it that wait for verification, closing or follow-up.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mine<'a> {
    /// Held by the region unit at this node.
    pub held_at: Option<&'a str>,
    /// Held by this department.
    pub department_id: Option<i64>,
    /// Held at these tiers under this node (the level below).
    pub below: Option<(&'a str, &'a [Tier])>,
}

const HELD_STAGES: [Stage; 4] = [
    Stage::Reported,
    Stage::Accepted,
    Stage::Dispatched,
    Stage::InProgress,
];
const ABOVE_STAGES: [Stage; 3] = [Stage::Handled, Stage::Verified, Stage::Rated];

/// The deadline a case waiting in its stage runs against, in SQL.
const DUE: &str = "CASE WHEN stage = ? THEN accept_due ELSE handle_due END";

impl Mine<'_> {
    fn push_where(&self, q: &mut Sql) {
        let stages = |q: &mut Sql, list: &[Stage]| {
            q.push_list(" AND stage IN", list.iter().map(|s| s.as_str()));
        };
        q.push(" WHERE (1 = 0");
        if let Some(node) = self.held_at {
            q.push_bind(" OR (holder_code = ?", node)
                .push_bind(" AND tier <> ?", Tier::Department.as_str());
            stages(q, &HELD_STAGES);
            q.push(")");
        }
        if let Some(d) = self.department_id {
            q.push_bind(" OR (tier = ?", Tier::Department.as_str())
                .push_bind(" AND department_id = ?", d);
            stages(q, &HELD_STAGES);
            q.push(")");
        }
        if let Some((root, tiers)) = self.below.filter(|(_, t)| !t.is_empty()) {
            q.push_bind(" OR (holder_code >= ?", root)
                .push_bind(" AND holder_code < ?", format!("{root}:"))
                .push_list(" AND tier IN", tiers.iter().map(|t| t.as_str()));
            stages(q, &ABOVE_STAGES);
            q.push(")");
        }
        q.push(")");
    }
}

/// How many cases wait on the unit, by stage and holding tier: (stage, tier, cases, of which
/// past their deadline at `now`; a stopped clock is never past).
pub async fn waiting_counts(
    ex: &mut impl Exec,
    mine: &Mine<'_>,
    now: i64,
) -> Result<Vec<(Stage, Tier, i64, i64)>, StoreError> {
    let mut q = Sql::new(format!(
        "SELECT stage, tier, count(*), \
         sum(CASE WHEN suspended_at IS NULL AND {DUE} < ? THEN 1 ELSE 0 END) FROM cases"
    ))
    .bind(Stage::Reported.as_str())
    .bind(now);
    mine.push_where(&mut q);
    q.push(" GROUP BY stage, tier");
    ex.all(q).await
}

/// The cases waiting on the unit, the nearest deadline first, at most `limit`.
pub async fn waiting(
    ex: &mut impl Exec,
    mine: &Mine<'_>,
    limit: u32,
) -> Result<Vec<CaseRow>, StoreError> {
    let mut q = Sql::new(format!("SELECT {CASE_COLUMNS} FROM cases"));
    mine.push_where(&mut q);
    q.push_bind(&format!(" ORDER BY {DUE}, id"), Stage::Reported.as_str())
        .push_bind(" LIMIT ?", i64::from(limit));
    ex.all(q).await
}

/// Open cases under `root` past their deadline at `now` (a stopped clock is never past), the
/// longest overdue first, at most `limit` (the wall screen's list).
pub async fn overdue_oldest(
    ex: &mut impl Exec,
    root: &str,
    now: i64,
    limit: u32,
) -> Result<Vec<CaseRow>, StoreError> {
    let mut q = Sql::new(format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE node_code >= ? AND node_code < ? \
         AND suspended_at IS NULL AND ((stage = ? AND accept_due < ?) OR (stage IN (?, ?, ?) AND handle_due < ?))"
    ))
    .bind(root)
    .bind(format!("{root}:"))
    .bind(Stage::Reported.as_str())
    .bind(now);
    for s in [Stage::Accepted, Stage::Dispatched, Stage::InProgress] {
        q = q.bind(s.as_str());
    }
    q = q.bind(now);
    q.push_bind(&format!(" ORDER BY {DUE}, id"), Stage::Reported.as_str())
        .push_bind(" LIMIT ?", i64::from(limit));
    ex.all(q).await
}

/// A step on a case, for a running list of what happened (the wall screen's feed).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RecentStep {
    /// The case.
    pub case_id: i64,
    /// Its title.
    pub title: String,
    /// The step's name on the timeline.
    pub action: String,
    /// Who took it.
    pub actor_label: String,
    /// When (ms).
    pub at: i64,
}

/// The latest steps on cases under `root` since `since`, newest first, at most `limit`.
pub async fn recent_steps(
    ex: &mut impl Exec,
    root: &str,
    since: i64,
    limit: u32,
) -> Result<Vec<RecentStep>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT e.case_id, c.title, e.action, e.actor_label, e.at FROM case_events e \
             JOIN cases c ON c.id = e.case_id \
             WHERE e.at >= ? AND c.node_code >= ? AND c.node_code < ? ORDER BY e.id DESC LIMIT ?",
        )
        .bind(since)
        .bind(root)
        .bind(format!("{root}:"))
        .bind(i64::from(limit)),
    )
    .await
}

/// The new state of a case after a transition.
#[derive(Debug, Clone)]
pub struct CaseUpdate<'a> {
    /// Stage.
    pub stage: Stage,
    /// Holder tier.
    pub tier: Tier,
    /// Holder node.
    pub holder_code: &'a str,
    /// Department holding it.
    pub department_id: Option<i64>,
    /// Times reopened.
    pub reopened: i16,
    /// Surviving case, when merged.
    pub merged_into: Option<i64>,
    /// Rating.
    pub satisfaction: Option<Satisfaction>,
    /// Accept deadline (ms).
    pub accept_due: i64,
    /// Handle deadline (ms).
    pub handle_due: i64,
    /// When the clock stopped, while suspended.
    pub suspended_at: Option<i64>,
    /// Extensions granted.
    pub extensions: i16,
}

impl<'a> CaseUpdate<'a> {
    /// The case as it stands, to change a field or two.
    pub fn from_row(c: &'a CaseRow) -> CaseUpdate<'a> {
        CaseUpdate {
            stage: c.stage,
            tier: c.tier,
            holder_code: &c.holder_code,
            department_id: c.department_id,
            reopened: c.reopened,
            merged_into: c.merged_into,
            satisfaction: c.satisfaction,
            accept_due: c.accept_due,
            handle_due: c.handle_due,
            suspended_at: c.suspended_at,
            extensions: c.extensions,
        }
    }
}

/// Puts a case under another category and the clock that category runs on (改类; the
/// caller moves holder, stage and deadlines in the same transaction).
pub async fn set_category(
    ex: &mut impl Exec,
    id: i64,
    category_code: &str,
    clock: Clock,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new("UPDATE cases SET category_code = ?, clock = ? WHERE id = ?")
            .bind(category_code)
            .bind(clock.as_str())
            .bind(id),
    )
    .await?;
    Ok(())
}

/// Applies a transition if the case is still at `version`; false when someone else moved it
/// first (the caller reports a conflict and nothing is written).
pub async fn update_if_version(
    ex: &mut impl Exec,
    id: i64,
    version: i64,
    u: &CaseUpdate<'_>,
    now: i64,
) -> Result<bool, StoreError> {
    let n = ex
        .exec(
            Sql::new(
                "UPDATE cases SET stage = ?, tier = ?, holder_code = ?, department_id = ?, reopened = ?, \
                 merged_into = ?, satisfaction = ?, accept_due = ?, handle_due = ?, suspended_at = ?, extensions = ?, \
                 handled_at = CASE WHEN ? = 'handled' THEN ? WHEN ? IN ('reported', 'accepted', 'dispatched', 'in_progress') THEN NULL WHEN handled_at IS NULL AND ? = 'verified' THEN ? ELSE handled_at END, \
                 closed_at = CASE WHEN ? = 'closed' THEN ? WHEN ? IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified') THEN NULL ELSE closed_at END, \
                 version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
            )
            .bind(u.stage.as_str())
            .bind(u.tier.as_str())
            .bind(u.holder_code)
            .bind(u.department_id)
            .bind(u.reopened)
            .bind(u.merged_into)
            .bind(u.satisfaction.map(Satisfaction::as_str))
            .bind(u.accept_due)
            .bind(u.handle_due)
            .bind(u.suspended_at)
            .bind(u.extensions)
            // A case handled again after a failed check, or reopened after closing, takes the
            // latest time; one sent back to work has none until it is handled again; one
            // resolved on the spot with no 核查 goes straight to 核查通过, handled then.
            .bind(u.stage.as_str())
            .bind(now)
            .bind(u.stage.as_str())
            .bind(u.stage.as_str())
            .bind(now)
            .bind(u.stage.as_str())
            .bind(now)
            .bind(u.stage.as_str())
            .bind(now)
            .bind(id)
            .bind(version),
        )
        .await?;
    Ok(n == 1)
}

/// A timeline entry.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EventRow {
    /// When (ms).
    pub at: i64,
    /// Acting account.
    pub actor_id: Option<i64>,
    /// Who, in words.
    pub actor_label: String,
    /// Action name.
    pub action: String,
    /// Stage before.
    pub from_stage: Option<Stage>,
    /// Stage after.
    pub to_stage: Stage,
    /// Note.
    pub note: String,
    /// Shown to the reporter.
    pub public: bool,
}

/// The sealed phone of a case's reporter, if one was given.
pub async fn reporter_phone(ex: &mut impl Exec, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
    let row: Option<(Option<Vec<u8>>,)> = ex
        .opt(Sql::new("SELECT reporter_phone_sealed FROM cases WHERE id = ?").bind(id))
        .await?;
    Ok(row.and_then(|(p,)| p))
}

/// Cases reported by whoever left the phone with this blind index, newest first, within a subtree.
pub async fn by_reporter_phone(
    ex: &mut impl Exec,
    phone_index: &[u8],
    within: Option<&str>,
    limit: u32,
) -> Result<Vec<CaseRow>, StoreError> {
    let mut q = Sql::new(format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE reporter_phone_index = ?"
    ))
    .bind(phone_index.to_vec());
    if let Some(root) = within {
        q.push_bind(" AND node_code >= ?", root)
            .push_bind(" AND node_code < ?", format!("{root}:"));
    }
    q.push_bind(" ORDER BY id DESC LIMIT ?", i64::from(limit));
    ex.all(q).await
}

/// A case's timeline, oldest first (only public entries when `public_only`).
pub async fn events(
    ex: &mut impl Exec,
    case_id: i64,
    public_only: bool,
) -> Result<Vec<EventRow>, StoreError> {
    let mut q = Sql::new(
        "SELECT at, actor_id, actor_label, action, from_stage, to_stage, note, public FROM case_events WHERE case_id = ?",
    )
    .bind(case_id);
    if public_only {
        q.push(" AND public");
    }
    q.push(" ORDER BY id");
    ex.all(q).await
}

/// A case with its whole past, for loading history (the demo district, migrations from older
/// systems): explicit timestamps instead of "now".
#[derive(Debug, Clone)]
pub struct PastCase<'a> {
    /// The case as first reported.
    pub case: NewCase<'a>,
    /// Its state now.
    pub now: CaseUpdate<'a>,
    /// Reported at (ms).
    pub created_at: i64,
    /// Every step after the report, with its time (ms).
    pub steps: Vec<(i64, NewEvent<'a>)>,
}

/// Writes a past case with its timeline (the caller owns the transaction).
pub async fn insert_past(
    ex: &mut impl Exec,
    p: &PastCase<'_>,
    report: NewEvent<'_>,
) -> Result<i64, StoreError> {
    let id = insert_many_at(ex, &[(p.case.clone(), report)], p.created_at)
        .await?
        .pop()
        .ok_or_else(|| StoreError::Corrupt("insert returned no row".into()))?
        .id;
    let last = p.steps.last().map_or(p.created_at, |(at, _)| *at);
    update_if_version(ex, id, 1, &p.now, last).await?;
    for (at, e) in &p.steps {
        append_event_at(ex, id, *at, e.clone()).await?;
    }
    // The handled and closed times come from the timeline written above, not the clock.
    ex.exec(
        Sql::new(
            "UPDATE cases SET updated_at = ?, \
             handled_at = CASE WHEN stage IN ('handled', 'verified', 'closed', 'rated', 'followed_up') THEN \
               (SELECT MAX(e.at) FROM case_events e WHERE e.case_id = cases.id AND e.to_stage = 'handled') END, \
             closed_at = CASE WHEN stage IN ('closed', 'rated', 'followed_up') THEN \
               (SELECT MAX(e.at) FROM case_events e WHERE e.case_id = cases.id AND e.to_stage = 'closed') END \
             WHERE id = ?",
        )
        .bind(last)
        .bind(id),
    )
    .await?;
    Ok(id)
}

/// Cases past their deadline that can still go up a tier (not yet at the district, not
/// suspended), oldest deadline first. Each stage group is read by the index on the deadline
/// that applies to it, so the read grows with the late cases, not the open ones.
pub async fn overdue(ex: &mut impl Exec, now: i64, limit: u32) -> Result<Vec<CaseRow>, StoreError> {
    let late = |stages: &str, due: &str| {
        format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE {stages} AND {due} < ? \
             AND tier <> 'district' AND suspended_at IS NULL"
        )
    };
    ex.all(
        Sql::new(format!(
            "{} UNION ALL {} ORDER BY handle_due LIMIT ?",
            late("stage = 'reported'", "accept_due"),
            late(
                "stage IN ('accepted', 'dispatched', 'in_progress')",
                "handle_due"
            )
        ))
        .bind(now)
        .bind(now)
        .bind(i64::from(limit)),
    )
    .await
}

/// Open cases reported since `since` inside the subtree `within`, of any category, newest
/// first: the candidates for duplicate detection (一件多诉 crosses categories).
pub async fn open_candidates(
    ex: &mut impl Exec,
    since: i64,
    within: &str,
) -> Result<Vec<CaseRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE created_at >= ? \
             AND node_code >= ? AND node_code < ? \
             AND stage NOT IN ('rejected', 'merged', 'closed', 'rated', 'followed_up') ORDER BY id DESC LIMIT 500"
        ))
        .bind(since)
        .bind(within)
        .bind(format!("{within}:")),
    )
    .await
}

/// The cases merged into `id` (the same problem reported again), oldest first.
pub async fn merged_into(ex: &mut impl Exec, id: i64) -> Result<Vec<CaseRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE merged_into = ? ORDER BY id"
        ))
        .bind(id),
    )
    .await
}

/// Which of these hotline order numbers are already cases.
pub async fn known_hotline_orders(
    ex: &mut impl Exec,
    orders: &[String],
) -> Result<Vec<String>, StoreError> {
    let mut known = Vec::new();
    // Bounded IN lists: SQLite allows 32,766 parameters, PostgreSQL 65,535.
    for chunk in orders.chunks(500) {
        let mut q = Sql::new("SELECT hotline_order FROM cases WHERE hotline_order");
        q.push_list(" IN", chunk.iter().map(String::as_str));
        let rows: Vec<(String,)> = ex.all(q).await?;
        known.extend(rows.into_iter().map(|(o,)| o));
    }
    Ok(known)
}

/// The case filed for a 12345 order (or an Open311 request that waited for a place).
pub async fn by_hotline_order(ex: &mut impl Exec, order: &str) -> Result<Option<i64>, StoreError> {
    Ok(ex
        .opt::<(i64,)>(Sql::new("SELECT id FROM cases WHERE hotline_order = ?").bind(order))
        .await?
        .map(|(id,)| id))
}

/// What an Open311 `GET requests` asks for.
#[derive(Debug, Clone, Default)]
pub struct PublicQuery<'a> {
    /// Only these ids (then the other filters still apply).
    pub ids: Option<&'a [i64]>,
    /// Only these categories (the public services, or the one asked for).
    pub categories: &'a [String],
    /// Only these stages.
    pub stages: Option<&'a [&'a str]>,
    /// Reported at or after (ms).
    pub from: i64,
    /// Reported before (ms).
    pub to: i64,
    /// At most this many, newest first.
    pub limit: u32,
}

/// Cases matching an Open311 query, newest first.
pub async fn public_requests(
    ex: &mut impl Exec,
    q: &PublicQuery<'_>,
) -> Result<Vec<CaseRow>, StoreError> {
    if q.categories.is_empty() || q.ids.is_some_and(<[i64]>::is_empty) {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE created_at >= ? AND created_at < ?"
    ))
    .bind(q.from)
    .bind(q.to);
    sql.push_list(
        " AND category_code IN",
        q.categories.iter().map(String::as_str),
    );
    if let Some(ids) = q.ids {
        sql.push_list(" AND id IN", ids.iter().copied());
    }
    if let Some(stages) = q.stages {
        sql.push_list(" AND stage IN", stages.iter().copied());
    }
    sql.push_bind(" ORDER BY id DESC LIMIT ?", i64::from(q.limit));
    ex.all(sql).await
}
