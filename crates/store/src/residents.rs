//! The residents register (网格居民信息册): buildings → houses → households → persons, and the
//! attention tags on persons. ID and phone numbers arrive here already sealed by the
//! [`vault`](crate::vault); this module stores and finds them, never sees them in clear.

use crate::bulk::{Cell, insert_rows};
use crate::db::Target;
use crate::vault::SealedValue;
use crate::{Exec, Sql, StoreError};
use shanzhi_domain::personal::Sex;
use shanzhi_domain::register::vocab::{Attention, Relation, Residence};

/// Rows per multi-row insert (persons carry 18 values each).
const CHUNK: usize = 400;

fn within(q: &mut Sql, column: &str, root: Option<&str>) {
    if let Some(root) = root {
        q.push_bind(&format!(" AND {column} >= ?"), root)
            .push_bind(&format!(" AND {column} < ?"), format!("{root}:"));
    }
}

/// Finds or creates the building `name` in grid `node_code`; returns its id.
pub async fn building(
    ex: &mut impl Exec,
    node_code: &str,
    name: &str,
    address: &str,
    now: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO buildings (node_code, name, address, created_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (node_code, name) DO UPDATE SET address = CASE WHEN excluded.address = '' \
                 THEN buildings.address ELSE excluded.address END RETURNING id",
            )
            .bind(node_code)
            .bind(name)
            .bind(address)
            .bind(now),
        )
        .await?;
    Ok(id)
}

/// A house to find or create: (building, unit, floor, room).
pub type HouseKey = (i64, String, Option<i32>, String);

/// Finds or creates many houses (no key twice); returns their ids in order.
pub async fn houses(ex: &mut impl Exec, keys: &[HouseKey]) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<[Cell<'_>; 4]> = keys
        .iter()
        .map(|(b, unit, floor, room)| {
            [
                Cell::Int(Some(*b)),
                Cell::Text(Some(unit)),
                Cell::Int(floor.map(i64::from)),
                Cell::Text(Some(room)),
            ]
        })
        .collect();
    insert_rows(
        ex,
        (
            "INSERT INTO houses (building_id, unit, floor, room, use_kind) VALUES ",
            "(?, ?, ?, ?, 'residence')",
            " ON CONFLICT (building_id, unit, room) DO UPDATE \
             SET floor = COALESCE(excluded.floor, houses.floor)",
        ),
        &rows,
        true,
    )
    .await
}

/// A household to create: (house, grid, the register's household number, note).
pub type NewHousehold<'a> = (i64, &'a str, &'a str, &'a str);

/// Creates households; returns their ids in order.
pub async fn insert_households(
    ex: &mut impl Exec,
    items: &[NewHousehold<'_>],
    now: i64,
) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<[Cell<'_>; 6]> = items
        .iter()
        .map(|(house, node, r, note)| {
            [
                Cell::Int(Some(*house)),
                Cell::Text(Some(node)),
                Cell::Text(Some(r)),
                Cell::Text(Some(note)),
                Cell::Int(Some(now)),
                Cell::Int(Some(now)),
            ]
        })
        .collect();
    insert_rows(
        ex,
        (
            "INSERT INTO households (house_id, node_code, ref, kind, note, created_at, updated_at) \
             VALUES ",
            "(?, ?, ?, 'family', ?, ?, ?)",
            "",
        ),
        &rows,
        true,
    )
    .await
}

/// A person to store: checked, with the ID and phone sealed.
#[derive(Debug, Clone)]
pub struct NewPerson<'a> {
    /// The household.
    pub household_id: i64,
    /// The grid.
    pub node_code: &'a str,
    /// Name.
    pub name: &'a str,
    /// ID number, sealed.
    pub id: &'a SealedValue,
    /// Birth date (ISO).
    pub birth_date: String,
    /// `male` / `female`.
    pub sex: &'static str,
    /// Phone, sealed.
    pub phone: Option<&'a SealedValue>,
    /// Relation code.
    pub relation: &'static str,
    /// Residence status code.
    pub status: &'static str,
    /// Moved in (ISO).
    pub moved_in: Option<String>,
    /// Moved out (ISO).
    pub moved_out: Option<String>,
    /// Note.
    pub note: &'a str,
}

impl NewPerson<'_> {
    /// The community the grid belongs to (the first 12 digits of its code).
    fn community(&self) -> &str {
        &self.node_code[..self.node_code.len().min(12)]
    }
}

/// Stores persons; returns their ids in order.
pub async fn insert_persons(
    ex: &mut impl Exec,
    persons: &[NewPerson<'_>],
    now: i64,
) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<[Cell<'_>; 19]> = persons
        .iter()
        .map(|p| {
            [
                Cell::Int(Some(p.household_id)),
                Cell::Text(Some(p.node_code)),
                Cell::Text(Some(p.community())),
                Cell::Text(Some(p.name)),
                Cell::Blob(Some(&p.id.sealed)),
                Cell::Blob(Some(&p.id.index)),
                Cell::Text(Some(&p.id.masked)),
                Cell::Text(Some(&p.birth_date)),
                Cell::Text(Some(p.sex)),
                Cell::Blob(p.phone.map(|v| v.sealed.as_slice())),
                Cell::Blob(p.phone.map(|v| v.index.as_slice())),
                Cell::Text(p.phone.map(|v| v.masked.as_str())),
                Cell::Text(Some(p.relation)),
                Cell::Text(Some(p.status)),
                Cell::Text(p.moved_in.as_deref()),
                Cell::Text(p.moved_out.as_deref()),
                Cell::Text(Some(p.note)),
                Cell::Int(Some(now)),
                Cell::Int(Some(now)),
            ]
        })
        .collect();
    insert_rows(
        ex,
        (
            "INSERT INTO persons (household_id, node_code, community_code, name, id_sealed, \
             id_index, id_masked, birth_date, sex, phone_sealed, phone_index, phone_masked, \
             relation, status, moved_in, moved_out, note, created_at, updated_at) VALUES ",
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            "",
        ),
        &rows,
        true,
    )
    .await
}

/// The persons and households tables' indexes, dropped for a bulk load and built again when it
/// ends.
#[derive(Debug, Default)]
#[must_use = "the indexes stay dropped until restored"]
pub struct DeferredIndexes(Vec<String>);

/// Drops the persons and households tables' indexes inside the caller's transaction when `rows`
/// more persons are about to be written and that is at least half as many as the register
/// holds: SQLite then builds each index once by sorting, instead of a random B-tree insert per row. SQLite
/// only — other connections keep reading their snapshot with the indexes, and the unique ID
/// index coming back at the end still refuses a duplicate. PostgreSQL keeps its indexes
/// (dropping one would lock every reader out for the whole import).
pub async fn defer_register_indexes(
    ex: &mut impl Exec,
    rows: u64,
) -> Result<DeferredIndexes, StoreError> {
    const BULK_ROWS: u64 = 20_000;
    const BULK_CACHE_KIB: u32 = 65_536;
    if rows < BULK_ROWS || !matches!(ex.target(), Target::Sqlite(_)) {
        return Ok(DeferredIndexes::default());
    }
    let (held,): (i64,) = ex.one(Sql::new("SELECT count(*) FROM persons")).await?;
    if rows.saturating_mul(2) < u64::try_from(held).unwrap_or(0) {
        return Ok(DeferredIndexes::default());
    }
    // The definitions are read back, so the migrations stay their only source.
    let indexes: Vec<(String, String)> = ex
        .all(Sql::new(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('persons', 'households') \
             AND sql IS NOT NULL ORDER BY name",
        ))
        .await?;
    for (name, _) in &indexes {
        ex.exec(Sql::new(format!("DROP INDEX \"{name}\""))).await?;
    }
    // A larger page cache spills fewer dirty pages to the WAL mid-transaction, and a second
    // thread sorts for the index builds; `restore_indexes` puts the connection back as the
    // pool made it (after a failed import it keeps these until it is closed: harmless).
    ex.exec(Sql::new(format!("PRAGMA cache_size = -{BULK_CACHE_KIB}")))
        .await?;
    ex.exec(Sql::new("PRAGMA threads = 2")).await?;
    Ok(DeferredIndexes(
        indexes.into_iter().map(|(_, sql)| sql).collect(),
    ))
}

/// Builds the indexes [`defer_register_indexes`] dropped.
pub async fn restore_indexes(
    ex: &mut impl Exec,
    deferred: DeferredIndexes,
) -> Result<(), StoreError> {
    if deferred.0.is_empty() {
        return Ok(());
    }
    for sql in deferred.0 {
        ex.exec(Sql::new(sql)).await?;
    }
    ex.exec(Sql::new(format!(
        "PRAGMA cache_size = -{}",
        crate::db::CACHE_KIB
    )))
    .await?;
    ex.exec(Sql::new("PRAGMA threads = 0")).await?;
    Ok(())
}

/// Of these blind indexes, the ones already registered, with the person's id.
pub async fn registered_ids(
    ex: &mut impl Exec,
    indexes: &[Vec<u8>],
) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
    let mut out = Vec::new();
    for chunk in indexes.chunks(CHUNK) {
        let mut q = Sql::new("SELECT id, id_index FROM persons WHERE id_index IN");
        q.push_list("", chunk.iter().cloned());
        out.extend(ex.all::<(i64, Vec<u8>)>(q).await?);
    }
    Ok(out)
}

/// A registered person as a refresh compares them: the register's row with the blind indexes
/// of the ID number and phone.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Registered {
    /// The ID number's blind index.
    pub id_index: Vec<u8>,
    /// The phone's blind index.
    pub phone_index: Option<Vec<u8>>,
    /// The phone, sealed (kept as it is when a file leaves it out).
    pub phone_sealed: Option<Vec<u8>>,
    /// The person.
    #[sqlx(flatten)]
    pub person: PersonRow,
}

/// Of these blind indexes, the persons registered, as a refresh compares them.
pub async fn registered(
    ex: &mut impl Exec,
    indexes: &[Vec<u8>],
) -> Result<Vec<Registered>, StoreError> {
    let mut out = Vec::new();
    for chunk in indexes.chunks(CHUNK) {
        let mut q = Sql::new(format!(
            "SELECT p.id_index, p.phone_index, p.phone_sealed, {PERSON_COLUMNS}{PERSON_FROM} WHERE p.id_index IN"
        ));
        q.push_list("", chunk.iter().cloned());
        out.extend(ex.all::<Registered>(q).await?);
    }
    Ok(out)
}

/// A household found by its grid and number (户编号), and where it lives.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HouseholdByRef {
    /// The number asked for (`H` and the id when the register had none).
    pub asked: String,
    /// The household.
    #[sqlx(flatten)]
    pub household: HouseholdRow,
}

/// The households of grid `grid` with these numbers (户编号); a number `H<id>` (what exports
/// write for a household without one) also finds that household.
pub async fn households_by_ref(
    ex: &mut impl Exec,
    grid: &str,
    refs: &[String],
) -> Result<Vec<HouseholdByRef>, StoreError> {
    let mut out = Vec::new();
    for chunk in refs.chunks(CHUNK) {
        let ids: Vec<i64> = chunk
            .iter()
            .filter_map(|r| r.strip_prefix('H')?.parse().ok())
            .collect();
        let mut q = Sql::new(
            "SELECT CASE WHEN hh.ref = '' THEN 'H' || CAST(hh.id AS TEXT) ELSE hh.ref END AS asked, \
             hh.id, hh.node_code, h.id AS house_id, b.name AS building, b.address, h.unit, h.room, \
             hh.note FROM households hh JOIN houses h ON h.id = hh.house_id \
             JOIN buildings b ON b.id = h.building_id WHERE hh.node_code = ",
        );
        q.push_bind("? AND (hh.ref IN", grid);
        q.push_list("", chunk.iter().cloned());
        if !ids.is_empty() {
            q.push(" OR (hh.ref = '' AND hh.id IN");
            q.push_list("", ids);
            q.push(")");
        }
        q.push(") ORDER BY hh.id");
        out.extend(ex.all::<HouseholdByRef>(q).await?);
    }
    Ok(out)
}

/// Moves a person to another household (in grid `node_code`).
pub async fn move_person(
    ex: &mut impl Exec,
    id: i64,
    household_id: i64,
    node_code: &str,
    now: i64,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new(
            "UPDATE persons SET household_id = ?, node_code = ?, community_code = ?, \
             updated_at = ? WHERE id = ?",
        )
        .bind(household_id)
        .bind(node_code)
        .bind(&node_code[..node_code.len().min(12)])
        .bind(now)
        .bind(id),
    )
    .await?;
    Ok(())
}

/// Persons of grid `grid` after id `after` (at most `limit`), with their ID's blind index: a
/// refresh lists those its file leaves out.
pub async fn indexed_in(
    ex: &mut impl Exec,
    grid: &str,
    after: i64,
    limit: u32,
) -> Result<Vec<Registered>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT p.id_index, p.phone_index, p.phone_sealed, {PERSON_COLUMNS}{PERSON_FROM} \
             WHERE p.node_code = ? AND p.id > ? AND p.id_index IS NOT NULL ORDER BY p.id LIMIT ?"
        ))
        .bind(grid)
        .bind(after)
        .bind(i64::from(limit)),
    )
    .await
}

/// A tag to put on a person.
#[derive(Debug, Clone)]
pub struct NewTag<'a> {
    /// The person.
    pub person_id: i64,
    /// Tag kind code.
    pub tag: &'a str,
    /// Attention level code.
    pub level: &'static str,
    /// The staff account that looks after the person (帮扶人).
    pub carer_account_id: Option<i64>,
    /// Next visit due (ISO).
    pub next_visit: Option<String>,
    /// Note.
    pub note: &'a str,
}

/// Puts tags on persons (replacing the same tag's level, carer and next visit).
pub async fn put_tags(ex: &mut impl Exec, tags: &[NewTag<'_>]) -> Result<(), StoreError> {
    let rows: Vec<[Cell<'_>; 6]> = tags
        .iter()
        .map(|t| {
            [
                Cell::Int(Some(t.person_id)),
                Cell::Text(Some(t.tag)),
                Cell::Text(Some(t.level)),
                Cell::Int(t.carer_account_id),
                Cell::Text(t.next_visit.as_deref()),
                Cell::Text(Some(t.note)),
            ]
        })
        .collect();
    insert_rows(
        ex,
        (
            "INSERT INTO person_tags (person_id, tag, level, carer_account_id, next_visit, note) \
             VALUES ",
            "(?, ?, ?, ?, ?, ?)",
            " ON CONFLICT (person_id, tag) DO UPDATE SET level = excluded.level, \
             carer_account_id = excluded.carer_account_id, next_visit = excluded.next_visit, \
             note = excluded.note",
        ),
        &rows,
        false,
    )
    .await?;
    Ok(())
}

/// Takes a tag off a person; whether it was there.
pub async fn remove_tag(ex: &mut impl Exec, person_id: i64, tag: &str) -> Result<bool, StoreError> {
    Ok(ex
        .exec(
            Sql::new("DELETE FROM person_tags WHERE person_id = ? AND tag = ?")
                .bind(person_id)
                .bind(tag),
        )
        .await?
        > 0)
}

/// A configurable attention tag kind.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    sqlx::FromRow,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
pub struct TagKindRow {
    /// Code.
    pub code: String,
    /// Name (独居老人 …).
    pub name: String,
    /// Days between visits due, if visits are due.
    pub visit_days: Option<i32>,
    /// Display order.
    pub sort: i32,
}

/// Every tag kind, in display order.
pub async fn tag_kinds(ex: &mut impl Exec) -> Result<Vec<TagKindRow>, StoreError> {
    ex.all(Sql::new(
        "SELECT code, name, visit_days, sort FROM tag_kinds ORDER BY sort, code",
    ))
    .await
}

/// A person as lists and pages show them: masked, with where they live.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    sqlx::FromRow,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
pub struct PersonRow {
    /// Id.
    pub id: i64,
    /// Household.
    pub household_id: i64,
    /// The register's household number (户编号).
    pub household_ref: String,
    /// Grid.
    pub node_code: String,
    /// Name.
    pub name: String,
    /// ID number, masked.
    pub id_masked: Option<String>,
    /// Birth date.
    pub birth_date: Option<String>,
    /// `male` / `female`.
    pub sex: Option<Sex>,
    /// Phone, masked.
    pub phone_masked: Option<String>,
    /// Relation code.
    pub relation: Relation,
    /// Residence status code.
    pub status: Residence,
    /// Moved in.
    pub moved_in: Option<String>,
    /// Moved out.
    pub moved_out: Option<String>,
    /// Note.
    pub note: String,
    /// House.
    pub house_id: i64,
    /// Building name.
    pub building: String,
    /// Building address.
    pub address: String,
    /// Unit.
    pub unit: String,
    /// Floor.
    pub floor: Option<i32>,
    /// Room.
    pub room: String,
    /// Last change (ms), for optimistic edits.
    pub updated_at: i64,
    /// When they agreed to get the grid's notices by text (none: not agreed, or withdrawn).
    pub notice_consent_at: Option<i64>,
}

const PERSON_COLUMNS: &str = "p.id, p.household_id, hh.ref AS household_ref, p.node_code, p.name, p.id_masked, p.birth_date, \
     p.sex, p.phone_masked, p.relation, p.status, p.moved_in, p.moved_out, p.note, h.id AS house_id, \
     b.name AS building, b.address, h.unit, h.floor, h.room, p.updated_at, p.notice_consent_at";
const PERSON_FROM: &str = " FROM persons p JOIN households hh ON hh.id = p.household_id \
     JOIN houses h ON h.id = hh.house_id JOIN buildings b ON b.id = h.building_id";

/// How to look for residents.
#[derive(Debug, Clone, Default)]
pub struct PersonFilter<'a> {
    /// Only in this subtree.
    pub within: Option<&'a str>,
    /// Only in this community (makes a name prefix one index range).
    pub community: Option<&'a str>,
    /// Exact ID number, by its blind index.
    pub id_index: Option<Vec<u8>>,
    /// Exact phone, by its blind index.
    pub phone_index: Option<Vec<u8>>,
    /// Name starts with.
    pub name_prefix: Option<&'a str>,
    /// Building name or address contains.
    pub address: Option<&'a str>,
    /// Has this tag.
    pub tag: Option<&'a str>,
    /// Has one of these tags (a department's duties).
    pub any_tag: Option<&'a [String]>,
    /// Only this household.
    pub household_id: Option<i64>,
}

/// Residents matching `f`, by id after `after`, at most `limit`.
pub async fn search(
    ex: &mut impl Exec,
    f: &PersonFilter<'_>,
    after: i64,
    limit: u32,
) -> Result<Vec<PersonRow>, StoreError> {
    let mut q = Sql::new(format!(
        "SELECT {PERSON_COLUMNS}{PERSON_FROM} WHERE p.id > ?"
    ))
    .bind(after);
    within(&mut q, "p.node_code", f.within);
    if let Some(c) = f.community {
        q.push_bind(" AND p.community_code = ?", c);
    }
    if let Some(i) = &f.id_index {
        q.push_bind(" AND p.id_index = ?", i.clone());
    }
    if let Some(i) = &f.phone_index {
        q.push_bind(" AND p.phone_index = ?", i.clone());
    }
    if let Some(n) = f.name_prefix {
        // A range, not LIKE: it uses the (community_code, name) index on both backends.
        q.push_bind(" AND p.name >= ?", n)
            .push_bind(" AND p.name < ?", format!("{n}\u{10FFFF}"));
    }
    if let Some(a) = f.address {
        q.push_bind(
            " AND (b.name || ' ' || b.address || ' ' || h.unit || ' ' || h.room) LIKE ?",
            format!("%{}%", a.replace(['%', '_'], "")),
        );
    }
    if let Some(t) = f.tag {
        q.push_bind(
            " AND EXISTS (SELECT 1 FROM person_tags t WHERE t.person_id = p.id AND t.tag = ?)",
            t,
        );
    }
    if let Some(tags) = f.any_tag {
        if tags.is_empty() {
            q.push(" AND 1 = 0");
        } else {
            q.push(
                " AND EXISTS (SELECT 1 FROM person_tags t WHERE t.person_id = p.id AND t.tag IN",
            );
            q.push_list("", tags.iter().cloned());
            q.push(")");
        }
    }
    if let Some(h) = f.household_id {
        q.push_bind(" AND p.household_id = ?", h);
    }
    q.push_bind(" ORDER BY p.id LIMIT ?", i64::from(limit));
    ex.all(q).await
}

/// A person's id with their sealed ID number and sealed phone.
pub type SealedRow = (i64, Option<Vec<u8>>, Option<Vec<u8>>);

/// Persons' sealed ID and phone, for exports with full values.
pub async fn sealed_of(ex: &mut impl Exec, ids: &[i64]) -> Result<Vec<SealedRow>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new("SELECT id, id_sealed, phone_sealed FROM persons WHERE id IN");
    q.push_list("", ids.iter().copied());
    ex.all(q).await
}

/// One person.
pub async fn get(ex: &mut impl Exec, id: i64) -> Result<Option<PersonRow>, StoreError> {
    ex.opt(
        Sql::new(format!(
            "SELECT {PERSON_COLUMNS}{PERSON_FROM} WHERE p.id = ?"
        ))
        .bind(id),
    )
    .await
}

/// A tag on a person, as shown.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    sqlx::FromRow,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
pub struct PersonTagRow {
    /// The person.
    pub person_id: i64,
    /// Tag kind code.
    pub tag: String,
    /// Tag kind name.
    pub name: String,
    /// Attention level code.
    pub level: Attention,
    /// Carer account.
    pub carer_account_id: Option<i64>,
    /// Carer's name.
    pub carer_name: Option<String>,
    /// Next visit due.
    pub next_visit: Option<String>,
    /// Note.
    pub note: String,
}

/// The tags on these persons.
pub async fn tags_of(
    ex: &mut impl Exec,
    person_ids: &[i64],
) -> Result<Vec<PersonTagRow>, StoreError> {
    if person_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(
        "SELECT t.person_id, t.tag, k.name, t.level, t.carer_account_id, a.display_name AS carer_name, \
         t.next_visit, t.note FROM person_tags t JOIN tag_kinds k ON k.code = t.tag \
         LEFT JOIN accounts a ON a.id = t.carer_account_id WHERE t.person_id IN",
    );
    q.push_list("", person_ids.iter().copied());
    q.push(" ORDER BY t.person_id, k.sort");
    ex.all(q).await
}

/// Which personal field to read sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sealed {
    /// 公民身份号码.
    IdNumber,
    /// 联系电话.
    Phone,
}

/// A person's sealed value, if they have one.
pub async fn sealed(
    ex: &mut impl Exec,
    id: i64,
    which: Sealed,
) -> Result<Option<Vec<u8>>, StoreError> {
    let q = match which {
        Sealed::IdNumber => "SELECT id_sealed FROM persons WHERE id = ?",
        Sealed::Phone => "SELECT phone_sealed FROM persons WHERE id = ?",
    };
    Ok(ex
        .opt::<(Option<Vec<u8>>,)>(Sql::new(q).bind(id))
        .await?
        .and_then(|(v,)| v))
}

/// A person's phone blind index, if they have a phone.
pub async fn phone_index(ex: &mut impl Exec, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(ex
        .opt::<(Option<Vec<u8>>,)>(
            Sql::new("SELECT phone_index FROM persons WHERE id = ?").bind(id),
        )
        .await?
        .and_then(|(v,)| v))
}

/// What a person's edit changes (the ID number is not editable: a wrong one means a new entry).
#[derive(Debug, Clone)]
pub struct PersonUpdate<'a> {
    /// Name.
    pub name: &'a str,
    /// Phone, sealed (`None`: removed).
    pub phone: Option<&'a SealedValue>,
    /// Relation code.
    pub relation: &'static str,
    /// Residence status code.
    pub status: &'static str,
    /// Moved in.
    pub moved_in: Option<String>,
    /// Moved out.
    pub moved_out: Option<String>,
    /// Note.
    pub note: &'a str,
}

/// Updates a person if nobody changed them since `expected_updated_at`; whether it did.
pub async fn update_person(
    ex: &mut impl Exec,
    id: i64,
    expected_updated_at: i64,
    u: &PersonUpdate<'_>,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(ex
        .exec(
            Sql::new(
                "UPDATE persons SET name = ?, phone_sealed = ?, phone_index = ?, phone_masked = ?, \
                 relation = ?, status = ?, moved_in = ?, moved_out = ?, note = ?, updated_at = ? \
                 WHERE id = ? AND updated_at = ?",
            )
            .bind(u.name)
            .bind(u.phone.map(|v| v.sealed.clone()))
            .bind(u.phone.map(|v| v.index.clone()))
            .bind(u.phone.map(|v| v.masked.clone()))
            .bind(u.relation)
            .bind(u.status)
            .bind(u.moved_in.clone())
            .bind(u.moved_out.clone())
            .bind(u.note)
            .bind(now)
            .bind(id)
            .bind(expected_updated_at),
        )
        .await?
        == 1)
}

/// A household and where it lives.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    sqlx::FromRow,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
pub struct HouseholdRow {
    /// Id.
    pub id: i64,
    /// The grid.
    pub node_code: String,
    /// House.
    pub house_id: i64,
    /// Building.
    pub building: String,
    /// Address.
    pub address: String,
    /// Unit.
    pub unit: String,
    /// Room.
    pub room: String,
    /// Note.
    pub note: String,
}

/// One household.
pub async fn household(ex: &mut impl Exec, id: i64) -> Result<Option<HouseholdRow>, StoreError> {
    ex.opt(
        Sql::new(
            "SELECT hh.id, hh.node_code, h.id AS house_id, b.name AS building, b.address, h.unit, \
             h.room, hh.note FROM households hh JOIN houses h ON h.id = hh.house_id \
             JOIN buildings b ON b.id = h.building_id WHERE hh.id = ?",
        )
        .bind(id),
    )
    .await
}

/// Moves a household (and its members) to another house in grid `node_code`, keeping the
/// old address in the household's history.
pub async fn move_household(
    ex: &mut impl Exec,
    id: i64,
    from_house: i64,
    to_house: i64,
    node_code: &str,
    actor_id: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new(
            "INSERT INTO household_moves (household_id, from_house_id, to_house_id, at, actor_id) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(from_house)
        .bind(to_house)
        .bind(now)
        .bind(actor_id),
    )
    .await?;
    ex.exec(
        Sql::new("UPDATE households SET house_id = ?, node_code = ?, updated_at = ? WHERE id = ?")
            .bind(to_house)
            .bind(node_code)
            .bind(now)
            .bind(id),
    )
    .await?;
    ex.exec(
        Sql::new("UPDATE persons SET node_code = ?, community_code = ?, updated_at = ? WHERE household_id = ?")
            .bind(node_code)
            .bind(&node_code[..node_code.len().min(12)])
            .bind(now)
            .bind(id),
    )
    .await?;
    Ok(())
}

/// A past address of a household.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    sqlx::FromRow,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
pub struct MoveRow {
    /// When (ms).
    pub at: i64,
    /// The address it left: building, unit, room.
    pub from_address: String,
    /// The address it moved to.
    pub to_address: String,
}

/// A household's moves, oldest first.
pub async fn moves(ex: &mut impl Exec, household_id: i64) -> Result<Vec<MoveRow>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT m.at, fb.name || ' ' || fh.unit || ' ' || fh.room AS from_address, \
             tb.name || ' ' || th.unit || ' ' || th.room AS to_address FROM household_moves m \
             JOIN houses fh ON fh.id = m.from_house_id JOIN buildings fb ON fb.id = fh.building_id \
             JOIN houses th ON th.id = m.to_house_id JOIN buildings tb ON tb.id = th.building_id \
             WHERE m.household_id = ? ORDER BY m.id",
        )
        .bind(household_id),
    )
    .await
}

/// Live counts of a subtree's residents register.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ResidentCounts {
    /// Households.
    pub households: i64,
    /// Residents living here (not moved out), by residence status code.
    pub by_status: Vec<(String, i64)>,
    /// Tagged residents, by tag name.
    pub by_tag: Vec<(String, i64)>,
}

/// Counts the residents register under `root`.
pub async fn counts(ex: &mut impl Exec, root: &str) -> Result<ResidentCounts, StoreError> {
    let mut q = Sql::new("SELECT COUNT(*) FROM households WHERE 1 = 1");
    within(&mut q, "node_code", Some(root));
    let (households,): (i64,) = ex.one(q).await?;
    let mut q = Sql::new("SELECT status, COUNT(*) FROM persons WHERE moved_out IS NULL");
    within(&mut q, "node_code", Some(root));
    q.push(" GROUP BY status ORDER BY status");
    let by_status = ex.all(q).await?;
    let mut q = Sql::new(
        "SELECT k.name, COUNT(*) FROM person_tags t JOIN tag_kinds k ON k.code = t.tag \
         JOIN persons p ON p.id = t.person_id WHERE p.moved_out IS NULL",
    );
    within(&mut q, "p.node_code", Some(root));
    q.push(" GROUP BY k.name, k.sort ORDER BY k.sort");
    let by_tag = ex.all(q).await?;
    Ok(ResidentCounts {
        households,
        by_status,
        by_tag,
    })
}
