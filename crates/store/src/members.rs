//! 双报到: registered members and co-building units (with their 三张清单), and the service
//! members declare for the community to verify.

use crate::vault::SealedValue;
use crate::{Exec, Sql, StoreError};
use shanzhi_domain::participation::{
    ListKind, MemberKind, ServiceCategory, ServiceStage, Standing,
};

/// A registered member (phone masked; the sealed value stays in storage).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct MemberRow {
    /// Id.
    pub id: i64,
    /// The residential community registered in.
    pub community_code: String,
    /// `party_member` or `volunteer`.
    pub kind: MemberKind,
    /// Name.
    pub name: String,
    /// Masked phone.
    pub phone_masked: String,
    /// 工作单位 (for 在职党员: who the year's record is reported to).
    pub employer: String,
    /// Service categories offered, comma-separated codes.
    pub skills: String,
    /// 亮承诺.
    pub commitment: String,
    /// The volunteer login, if one is linked.
    pub account_id: Option<i64>,
    /// `pending`, `confirmed` or `declined`.
    pub standing: Standing,
    /// When registered (ms).
    pub registered_at: i64,
}

const MEMBER: &str = "id, community_code, kind, name, phone_masked, employer, skills, commitment, \
                      account_id, standing, registered_at";

/// A registration to write.
#[derive(Debug, Clone, Copy)]
pub struct NewMember<'a> {
    /// Community.
    pub community: &'a str,
    /// Kind's stored name.
    pub kind: MemberKind,
    /// Name.
    pub name: &'a str,
    /// Sealed phone.
    pub phone: &'a SealedValue,
    /// Employer.
    pub employer: &'a str,
    /// Skill codes, comma-separated.
    pub skills: &'a str,
    /// Commitment.
    pub commitment: &'a str,
    /// Linked login.
    pub account_id: Option<i64>,
    /// Initial standing.
    pub standing: Standing,
    /// When (ms).
    pub at: i64,
}

/// Registers a member; the same phone twice in one community is a conflict.
pub async fn insert(ex: &mut impl Exec, m: &NewMember<'_>) -> Result<MemberRow, StoreError> {
    ex.one(
        Sql::new(format!(
            "INSERT INTO members (community_code, kind, name, phone_sealed, phone_index, phone_masked, \
             employer, skills, commitment, account_id, standing, registered_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {MEMBER}"
        ))
        .bind(m.community)
        .bind(m.kind.as_str())
        .bind(m.name)
        .bind(m.phone.sealed.clone())
        .bind(m.phone.index.clone())
        .bind(m.phone.masked.clone())
        .bind(m.employer)
        .bind(m.skills)
        .bind(m.commitment)
        .bind(m.account_id)
        .bind(m.standing.as_str())
        .bind(m.at),
    )
    .await
}

/// One member.
pub async fn get(ex: &mut impl Exec, id: i64) -> Result<Option<MemberRow>, StoreError> {
    ex.opt(Sql::new(format!("SELECT {MEMBER} FROM members WHERE id = ?")).bind(id))
        .await
}

/// The member a volunteer login belongs to.
pub async fn of_account(ex: &mut impl Exec, account: i64) -> Result<Option<MemberRow>, StoreError> {
    ex.opt(Sql::new(format!("SELECT {MEMBER} FROM members WHERE account_id = ?")).bind(account))
        .await
}

/// Members registered under a node (its code range), optionally of one standing, by id.
pub async fn under(
    ex: &mut impl Exec,
    node: &str,
    standing: Option<&str>,
) -> Result<Vec<MemberRow>, StoreError> {
    let mut q = Sql::new(format!(
        "SELECT {MEMBER} FROM members WHERE community_code >= ? AND community_code < ?"
    ))
    .bind(node)
    .bind(format!("{node}~"));
    if let Some(s) = standing {
        q.push_bind(" AND standing = ?", s);
    }
    q.push(" ORDER BY id");
    ex.all(q).await
}

/// Confirms or declines a pending registration; false if it was not pending.
pub async fn decide(
    ex: &mut impl Exec,
    id: i64,
    standing: &str,
    by: i64,
    at: i64,
) -> Result<bool, StoreError> {
    Ok(ex
        .exec(
            Sql::new(
                "UPDATE members SET standing = ?, decided_by = ?, decided_at = ? \
                 WHERE id = ? AND standing = 'pending'",
            )
            .bind(standing)
            .bind(by)
            .bind(at)
            .bind(id),
        )
        .await?
        == 1)
}

/// A co-building unit (共建单位).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct UnitRow {
    /// Id.
    pub id: i64,
    /// The community it serves.
    pub community_code: String,
    /// Name.
    pub name: String,
    /// Contact person.
    pub contact: String,
    /// Masked phone.
    pub phone_masked: String,
    /// 亮承诺.
    pub commitment: String,
    /// `pending`, `confirmed` or `declined`.
    pub standing: Standing,
}

const UNIT: &str = "id, community_code, name, contact, phone_masked, commitment, standing";

/// Registers a unit; the same name twice in a community is a conflict.
#[allow(clippy::too_many_arguments)]
pub async fn insert_unit(
    ex: &mut impl Exec,
    community: &str,
    name: &str,
    contact: &str,
    phone: &SealedValue,
    commitment: &str,
    standing: &str,
    at: i64,
) -> Result<UnitRow, StoreError> {
    ex.one(
        Sql::new(format!(
            "INSERT INTO units (community_code, name, contact, phone_sealed, phone_index, phone_masked, \
             commitment, standing, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {UNIT}"
        ))
        .bind(community)
        .bind(name)
        .bind(contact)
        .bind(phone.sealed.clone())
        .bind(phone.index.clone())
        .bind(phone.masked.clone())
        .bind(commitment)
        .bind(standing)
        .bind(at),
    )
    .await
}

/// One unit.
pub async fn unit(ex: &mut impl Exec, id: i64) -> Result<Option<UnitRow>, StoreError> {
    ex.opt(Sql::new(format!("SELECT {UNIT} FROM units WHERE id = ?")).bind(id))
        .await
}

/// Units under a node, by id.
pub async fn units_under(ex: &mut impl Exec, node: &str) -> Result<Vec<UnitRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {UNIT} FROM units WHERE community_code >= ? AND community_code < ? ORDER BY id"
        ))
        .bind(node)
        .bind(format!("{node}~")),
    )
    .await
}

/// An entry of a unit's 三张清单.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ListingRow {
    /// Id.
    pub id: i64,
    /// The unit.
    pub unit_id: i64,
    /// The unit's name.
    pub unit_name: String,
    /// `problem`, `need` or `resource`.
    pub list: ListKind,
    /// Service category code.
    pub category: ServiceCategory,
    /// Title.
    pub title: String,
    /// Detail.
    pub detail: String,
}

const LISTING: &str = "l.id, l.unit_id, u.name AS unit_name, l.list, l.category, l.title, l.detail";

/// Adds an entry to a unit's lists.
pub async fn add_listing(
    ex: &mut impl Exec,
    unit: i64,
    list: &str,
    category: &str,
    title: &str,
    detail: &str,
    at: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO unit_listings (unit_id, list, category, title, detail, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(unit)
            .bind(list)
            .bind(category)
            .bind(title)
            .bind(detail)
            .bind(at),
        )
        .await?;
    Ok(id)
}

/// The lists of the units under a node.
pub async fn listings_under(ex: &mut impl Exec, node: &str) -> Result<Vec<ListingRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {LISTING} FROM unit_listings l JOIN units u ON u.id = l.unit_id \
             WHERE u.community_code >= ? AND u.community_code < ? ORDER BY l.id"
        ))
        .bind(node)
        .bind(format!("{node}~")),
    )
    .await
}

/// Confirmed units' resources of a category that serve a community: matching a need.
pub async fn resources_for(
    ex: &mut impl Exec,
    community: &str,
    category: &str,
) -> Result<Vec<ListingRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {LISTING} FROM unit_listings l JOIN units u ON u.id = l.unit_id \
             WHERE u.community_code = ? AND u.standing = 'confirmed' AND l.list = 'resource' \
             AND l.category = ? ORDER BY l.id"
        ))
        .bind(community)
        .bind(category),
    )
    .await
}

/// A declared service (志愿服务申报).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ServiceRow {
    /// Id.
    pub id: i64,
    /// The member.
    pub member_id: i64,
    /// The member's name.
    pub member_name: String,
    /// Category code.
    pub category: ServiceCategory,
    /// What was done.
    pub activity: String,
    /// The day served, YYYY-MM-DD.
    pub served_on: String,
    /// Minutes served.
    pub minutes: i64,
    /// `declared`, `verified` or `rejected`.
    pub stage: ServiceStage,
    /// Points credited when verified.
    pub points: Option<i64>,
    /// The community's words on it.
    pub note: String,
}

const SERVICE: &str = "s.id, s.member_id, m.name AS member_name, s.category, s.activity, \
                       s.served_on, s.minutes, s.stage, s.points, s.note";

/// Records a declaration.
pub async fn declare(
    ex: &mut impl Exec,
    member: i64,
    category: &str,
    activity: &str,
    served_on: &str,
    minutes: i64,
    at: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO service_records (member_id, category, activity, served_on, minutes, stage, \
                 declared_at) VALUES (?, ?, ?, ?, ?, 'declared', ?) RETURNING id",
            )
            .bind(member)
            .bind(category)
            .bind(activity)
            .bind(served_on)
            .bind(minutes)
            .bind(at),
        )
        .await?;
    Ok(id)
}

/// One declaration.
pub async fn service(ex: &mut impl Exec, id: i64) -> Result<Option<ServiceRow>, StoreError> {
    ex.opt(
        Sql::new(format!(
            "SELECT {SERVICE} FROM service_records s JOIN members m ON m.id = s.member_id WHERE s.id = ?"
        ))
        .bind(id),
    )
    .await
}

/// Declarations of the members under a node, optionally of one stage (汇总), oldest first.
pub async fn services_under(
    ex: &mut impl Exec,
    node: &str,
    stage: Option<&str>,
) -> Result<Vec<ServiceRow>, StoreError> {
    let mut q = Sql::new(format!(
        "SELECT {SERVICE} FROM service_records s JOIN members m ON m.id = s.member_id \
         WHERE m.community_code >= ? AND m.community_code < ?"
    ))
    .bind(node)
    .bind(format!("{node}~"));
    if let Some(s) = stage {
        q.push_bind(" AND s.stage = ?", s);
    }
    q.push(" ORDER BY s.id");
    ex.all(q).await
}

/// Decides a declaration still awaiting it; false if it was already decided.
#[allow(clippy::too_many_arguments)]
pub async fn decide_service(
    ex: &mut impl Exec,
    id: i64,
    stage: &str,
    points: Option<i64>,
    posting: Option<i64>,
    note: &str,
    by: i64,
    at: i64,
) -> Result<bool, StoreError> {
    Ok(ex
        .exec(
            Sql::new(
                "UPDATE service_records SET stage = ?, points = ?, posting_id = ?, note = ?, \
                 decided_by = ?, decided_at = ? WHERE id = ? AND stage = 'declared'",
            )
            .bind(stage)
            .bind(points)
            .bind(posting)
            .bind(note)
            .bind(by)
            .bind(at)
            .bind(id),
        )
        .await?
        == 1)
}

/// One member's year (报到服务台账), from verified service and confirmed wishes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct YearRow {
    /// The member.
    pub member_id: i64,
    /// Wishes completed and confirmed in the year.
    pub wishes: i64,
    /// Verified activities served in the year.
    pub activities: i64,
    /// Verified minutes.
    pub minutes: i64,
}

/// The year's record of every confirmed member under a node (members with none included).
pub async fn year_under(
    ex: &mut impl Exec,
    node: &str,
    year: i32,
    year_start_ms: i64,
    year_end_ms: i64,
) -> Result<Vec<YearRow>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT m.id AS member_id, \
             (SELECT count(*) FROM wishes w WHERE w.claimant_id = m.id AND w.stage = 'confirmed' \
               AND w.confirmed_at >= ? AND w.confirmed_at < ?) AS wishes, \
             (SELECT count(*) FROM service_records s WHERE s.member_id = m.id AND s.stage = 'verified' \
               AND s.served_on >= ? AND s.served_on < ?) AS activities, \
             (SELECT CAST(COALESCE(SUM(s.minutes), 0) AS BIGINT) FROM service_records s \
               WHERE s.member_id = m.id AND s.stage = 'verified' \
               AND s.served_on >= ? AND s.served_on < ?) AS minutes \
             FROM members m WHERE m.community_code >= ? AND m.community_code < ? \
             AND m.standing = 'confirmed' ORDER BY m.id",
        )
        .bind(year_start_ms)
        .bind(year_end_ms)
        .bind(format!("{year}-01-01"))
        .bind(format!("{}-01-01", year + 1))
        .bind(format!("{year}-01-01"))
        .bind(format!("{}-01-01", year + 1))
        .bind(node)
        .bind(format!("{node}~")),
    )
    .await
}

/// The live communities under a code prefix (a street), by code: where people register.
pub async fn communities(
    ex: &mut impl Exec,
    under: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT code, name FROM region_nodes WHERE level = 'community' AND retired_at IS NULL \
             AND code >= ? AND code < ? ORDER BY code LIMIT 500",
        )
        .bind(under)
        .bind(format!("{under}~")),
    )
    .await
}
