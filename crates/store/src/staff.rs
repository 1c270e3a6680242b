//! The staff register (网格长(员)信息册): the people who serve grids, linked to their
//! accounts where they have one, with the grids they serve and their training.

use crate::vault::SealedValue;
use crate::{Exec, Sql, StoreError};
use shanzhi_domain::register::vocab::StaffRole;

/// A staff record to store, checked.
#[derive(Debug, Clone)]
pub struct NewStaff<'a> {
    /// The node the record belongs to (usually the community).
    pub node_code: &'a str,
    /// Their account, if they have one.
    pub account_id: Option<i64>,
    /// Name.
    pub name: &'a str,
    /// Role code.
    pub role: &'static str,
    /// Phone, sealed.
    pub phone: Option<&'a SealedValue>,
    /// The same phone in plain text, when its owner agreed to show it to residents.
    pub public_phone: Option<&'a str>,
    /// Party member (党员).
    pub party_member: bool,
    /// Duties.
    pub duties: &'a str,
    /// The grids they serve.
    pub grids: &'a [String],
}

/// Stores a staff record and the grids it serves; returns its id.
pub async fn insert(ex: &mut impl Exec, s: &NewStaff<'_>, now: i64) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO staff (node_code, account_id, name, role, phone_sealed, phone_index, \
                 phone_masked, public_phone, party_member, duties, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(s.node_code)
            .bind(s.account_id)
            .bind(s.name)
            .bind(s.role)
            .bind(s.phone.map(|v| v.sealed.clone()))
            .bind(s.phone.map(|v| v.index.clone()))
            .bind(s.phone.map(|v| v.masked.clone()))
            .bind(s.public_phone)
            .bind(s.party_member)
            .bind(s.duties)
            .bind(now)
            .bind(now),
        )
        .await?;
    put_grids(ex, id, s.grids).await?;
    Ok(id)
}

async fn put_grids(ex: &mut impl Exec, id: i64, grids: &[String]) -> Result<(), StoreError> {
    for g in grids {
        ex.exec(
            Sql::new("INSERT INTO staff_grids (staff_id, node_code) VALUES (?, ?)")
                .bind(id)
                .bind(g.as_str()),
        )
        .await?;
    }
    Ok(())
}

/// Writes a staff record's fields and grids anew (a refresh).
pub async fn update(
    ex: &mut impl Exec,
    id: i64,
    s: &NewStaff<'_>,
    now: i64,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new(
            "UPDATE staff SET node_code = ?, account_id = ?, name = ?, role = ?, phone_sealed = ?, \
             phone_index = ?, phone_masked = ?, public_phone = ?, party_member = ?, duties = ?, \
             updated_at = ? WHERE id = ?",
        )
        .bind(s.node_code)
        .bind(s.account_id)
        .bind(s.name)
        .bind(s.role)
        .bind(s.phone.map(|v| v.sealed.clone()))
        .bind(s.phone.map(|v| v.index.clone()))
        .bind(s.phone.map(|v| v.masked.clone()))
        .bind(s.public_phone)
        .bind(s.party_member)
        .bind(s.duties)
        .bind(now)
        .bind(id),
    )
    .await?;
    ex.exec(Sql::new("DELETE FROM staff_grids WHERE staff_id = ?").bind(id))
        .await?;
    put_grids(ex, id, s.grids).await
}

/// Staff ids with their phone sealed and its blind index (a refresh compares and keeps them).
pub type PhoneRow = (i64, Option<Vec<u8>>, Option<Vec<u8>>);

/// The phones of staff `ids`, sealed and indexed.
pub async fn phones(ex: &mut impl Exec, ids: &[i64]) -> Result<Vec<PhoneRow>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new("SELECT id, phone_sealed, phone_index FROM staff WHERE id IN");
    q.push_list("", ids.iter().copied());
    ex.all(q).await
}

/// A staff record as shown.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct StaffRow {
    /// Id.
    pub id: i64,
    /// Node.
    pub node_code: String,
    /// Account.
    pub account_id: Option<i64>,
    /// Name.
    pub name: String,
    /// Role code.
    pub role: StaffRole,
    /// Phone, masked.
    pub phone_masked: Option<String>,
    /// The phone its owner agreed to show residents.
    pub public_phone: Option<String>,
    /// Party member.
    pub party_member: bool,
    /// Duties.
    pub duties: String,
    /// The grids served, comma-separated codes.
    pub grids: Option<String>,
    /// Training hours on record.
    pub training_hours: Option<f64>,
}

/// Staff serving any grid under `root`, or recorded under it.
pub async fn list(ex: &mut impl Exec, root: Option<&str>) -> Result<Vec<StaffRow>, StoreError> {
    let (lo, hi) = root.map_or((String::new(), "~".to_owned()), |r| {
        (r.to_owned(), format!("{r}:"))
    });
    let group = match ex.backend() {
        crate::Backend::Sqlite => "group_concat(g.node_code, ',')",
        crate::Backend::Postgres => "string_agg(g.node_code, ',' ORDER BY g.node_code)",
    };
    ex.all(
        Sql::new(format!(
            "SELECT s.id, s.node_code, s.account_id, s.name, s.role, s.phone_masked, s.public_phone, \
             s.party_member, \
             s.duties, (SELECT {group} FROM staff_grids g WHERE g.staff_id = s.id) AS grids, \
             (SELECT SUM(hours) FROM staff_trainings t WHERE t.staff_id = s.id) AS training_hours \
             FROM staff s WHERE (s.node_code >= ? AND s.node_code < ?) OR EXISTS (SELECT 1 FROM \
             staff_grids g WHERE g.staff_id = s.id AND g.node_code >= ? AND g.node_code < ?) ORDER BY s.id"
        ))
        .bind(lo.as_str())
        .bind(hi.as_str())
        .bind(lo.as_str())
        .bind(hi.as_str()),
    )
    .await
}

/// The sealed phones of `ids` (for an export with full numbers), by staff id.
pub async fn phones_of(
    ex: &mut impl Exec,
    ids: &[i64],
) -> Result<Vec<(i64, Option<Vec<u8>>)>, StoreError> {
    crate::sealed::of_rows(ex, "staff", "phone_sealed", ids).await
}

/// Records a training.
pub async fn train(
    ex: &mut impl Exec,
    staff_id: i64,
    day: &str,
    topic: &str,
    hours: f64,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new("INSERT INTO staff_trainings (staff_id, day, topic, hours) VALUES (?, ?, ?, ?)")
            .bind(staff_id)
            .bind(day)
            .bind(topic)
            .bind(hours),
    )
    .await?;
    Ok(())
}

/// Staff serving grids under `root`, by role: live counts for the grid facts.
pub async fn counts(ex: &mut impl Exec, root: &str) -> Result<Vec<(String, i64)>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT s.role, COUNT(DISTINCT s.id) FROM staff s JOIN staff_grids g ON g.staff_id = s.id \
             WHERE g.node_code >= ? AND g.node_code < ? GROUP BY s.role ORDER BY s.role",
        )
        .bind(root)
        .bind(format!("{root}:")),
    )
    .await
}

/// Someone residents may call about a place: a staff member who agreed to show their number.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PublicContact {
    /// Name.
    pub name: String,
    /// Role.
    pub role: StaffRole,
    /// The number they agreed to show.
    pub phone: String,
}

/// Who residents of `code` may call, nearest first: staff serving the node itself or its grid
/// (`grid`, the same as `code` for a grid), then the community's 网格长 (`community`); at most
/// `limit`.
pub async fn public_contacts(
    ex: &mut impl Exec,
    code: &str,
    grid: &str,
    community: &str,
    limit: i64,
) -> Result<Vec<PublicContact>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT s.name, s.role, s.public_phone AS phone FROM staff s WHERE s.public_phone IS \
             NOT NULL AND (EXISTS (SELECT 1 FROM staff_grids g WHERE g.staff_id = s.id AND \
             g.node_code IN (?, ?)) OR (s.node_code = ? AND s.role = ?)) ORDER BY CASE WHEN \
             EXISTS (SELECT 1 FROM staff_grids g WHERE g.staff_id = s.id AND g.node_code IN (?, \
             ?)) THEN 0 ELSE 1 END, s.role, s.id LIMIT ?",
        )
        .bind(code)
        .bind(grid)
        .bind(community)
        .bind(StaffRole::Leader.as_str())
        .bind(code)
        .bind(grid)
        .bind(limit),
    )
    .await
}
