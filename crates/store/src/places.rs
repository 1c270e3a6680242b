//! The key places register (网格重点场所信息册): places with their risk level and the
//! inspections made of them.

use crate::vault::SealedValue;
use crate::{Exec, Sql, StoreError};
use shanzhi_domain::register::vocab::{PlaceKind, Risk};

/// A place to store, checked.
#[derive(Debug, Clone)]
pub struct NewPlace<'a> {
    /// The grid it lies in.
    pub node_code: &'a str,
    /// Name.
    pub name: &'a str,
    /// Kind code.
    pub kind: &'static str,
    /// Address.
    pub address: &'a str,
    /// Position (WGS-84), if known.
    pub lon_lat: Option<(f64, f64)>,
    /// The person in charge.
    pub contact: &'a str,
    /// Their phone, sealed.
    pub contact_phone: Option<&'a SealedValue>,
    /// Risk code.
    pub risk: &'static str,
    /// Note.
    pub note: &'a str,
}

/// Rows per multi-row insert.
const CHUNK: usize = 400;

/// Stores places; returns their ids.
pub async fn insert(
    ex: &mut impl Exec,
    places: &[NewPlace<'_>],
    now: i64,
) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::with_capacity(places.len());
    for chunk in places.chunks(CHUNK) {
        let mut q = Sql::new(
            "INSERT INTO places (node_code, name, kind, address, lon, lat, contact, contact_phone_sealed, \
             contact_phone_index, contact_phone_masked, risk, note, created_at, updated_at) VALUES ",
        );
        for (i, p) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.push_bind("?", p.node_code)
                .push_bind(", ?", p.name)
                .push_bind(", ?", p.kind)
                .push_bind(", ?", p.address)
                .push_bind(", ?", p.lon_lat.map(|c| c.0))
                .push_bind(", ?", p.lon_lat.map(|c| c.1))
                .push_bind(", ?", p.contact)
                .push_bind(", ?", p.contact_phone.map(|v| v.sealed.clone()))
                .push_bind(", ?", p.contact_phone.map(|v| v.index.clone()))
                .push_bind(", ?", p.contact_phone.map(|v| v.masked.clone()))
                .push_bind(", ?", p.risk)
                .push_bind(", ?", p.note)
                .push_bind(", ?", now)
                .push_bind(", ?)", now);
        }
        q.push(" RETURNING id");
        ids.extend(ex.all::<(i64,)>(q).await?.into_iter().map(|(id,)| id));
    }
    Ok(ids)
}

/// A place as shown (phone masked).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct PlaceRow {
    /// Id.
    pub id: i64,
    /// Grid.
    pub node_code: String,
    /// Name.
    pub name: String,
    /// Kind code.
    pub kind: PlaceKind,
    /// Address.
    pub address: String,
    /// Longitude.
    pub lon: Option<f64>,
    /// Latitude.
    pub lat: Option<f64>,
    /// Person in charge.
    pub contact: String,
    /// Their phone, masked.
    pub contact_phone_masked: Option<String>,
    /// Risk code.
    pub risk: Risk,
    /// Note.
    pub note: String,
    /// Last inspection day.
    pub last_inspected: Option<String>,
}

const COLUMNS: &str = "p.id, p.node_code, p.name, p.kind, p.address, p.lon, p.lat, p.contact, \
     p.contact_phone_masked, p.risk, p.note, \
     (SELECT MAX(day) FROM place_inspections i WHERE i.place_id = p.id) AS last_inspected";

/// Places under `root` (optionally of one kind, or whose name contains `q`), by id after `after`.
pub async fn list(
    ex: &mut impl Exec,
    root: Option<&str>,
    kind: Option<&str>,
    name: Option<&str>,
    after: i64,
    limit: u32,
) -> Result<Vec<PlaceRow>, StoreError> {
    let mut q = Sql::new(format!("SELECT {COLUMNS} FROM places p WHERE p.id > ?")).bind(after);
    if let Some(root) = root {
        q.push_bind(" AND p.node_code >= ?", root)
            .push_bind(" AND p.node_code < ?", format!("{root}:"));
    }
    if let Some(k) = kind {
        q.push_bind(" AND p.kind = ?", k);
    }
    if let Some(n) = name {
        q.push_bind(
            " AND p.name LIKE ?",
            format!("%{}%", n.replace(['%', '_'], "")),
        );
    }
    q.push_bind(" ORDER BY p.id LIMIT ?", i64::from(limit));
    ex.all(q).await
}

/// The sealed contact phones of `ids` (for an export with full numbers), by place id.
pub async fn phones_of(
    ex: &mut impl Exec,
    ids: &[i64],
) -> Result<Vec<(i64, Option<Vec<u8>>)>, StoreError> {
    crate::sealed::of_rows(ex, "places", "contact_phone_sealed", ids).await
}

/// One place.
pub async fn get(ex: &mut impl Exec, id: i64) -> Result<Option<PlaceRow>, StoreError> {
    ex.opt(Sql::new(format!("SELECT {COLUMNS} FROM places p WHERE p.id = ?")).bind(id))
        .await
}

/// Names of places already registered in these grids (to refuse a second entry by name).
pub async fn names_in(
    ex: &mut impl Exec,
    codes: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new("SELECT node_code, name FROM places WHERE node_code IN");
    q.push_list("", codes.iter().cloned());
    ex.all(q).await
}

/// A place on record as a refresh compares it: the row with its contact phone sealed and
/// indexed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegisteredPlace {
    /// The contact phone's blind index.
    pub contact_phone_index: Option<Vec<u8>>,
    /// The contact phone, sealed.
    pub contact_phone_sealed: Option<Vec<u8>>,
    /// The place.
    #[sqlx(flatten)]
    pub place: PlaceRow,
}

/// The places registered in these grids, as a refresh compares them.
pub async fn on_record(
    ex: &mut impl Exec,
    codes: &[String],
) -> Result<Vec<RegisteredPlace>, StoreError> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(format!(
        "SELECT p.contact_phone_index, p.contact_phone_sealed, {COLUMNS} FROM places p \
         WHERE p.node_code IN"
    ));
    q.push_list("", codes.iter().cloned());
    q.push(" ORDER BY p.id");
    ex.all(q).await
}

/// Writes a place's fields anew (a refresh).
pub async fn update(
    ex: &mut impl Exec,
    id: i64,
    p: &NewPlace<'_>,
    now: i64,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new(
            "UPDATE places SET kind = ?, address = ?, lon = ?, lat = ?, contact = ?, \
             contact_phone_sealed = ?, contact_phone_index = ?, contact_phone_masked = ?, risk = ?, \
             note = ?, updated_at = ? WHERE id = ?",
        )
        .bind(p.kind)
        .bind(p.address)
        .bind(p.lon_lat.map(|c| c.0))
        .bind(p.lon_lat.map(|c| c.1))
        .bind(p.contact)
        .bind(p.contact_phone.map(|v| v.sealed.clone()))
        .bind(p.contact_phone.map(|v| v.index.clone()))
        .bind(p.contact_phone.map(|v| v.masked.clone()))
        .bind(p.risk)
        .bind(p.note)
        .bind(now)
        .bind(id),
    )
    .await?;
    Ok(())
}

/// An inspection (检查记录).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct InspectionRow {
    /// Id.
    pub id: i64,
    /// Day (ISO).
    pub day: String,
    /// Who inspected.
    pub inspector_label: String,
    /// Result: 合格 / 整改 …
    pub result: String,
    /// Hazards found.
    pub hazards: String,
}

/// Records an inspection.
pub async fn inspect(
    ex: &mut impl Exec,
    place_id: i64,
    day: &str,
    inspector: (Option<i64>, &str),
    result: &str,
    hazards: &str,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO place_inspections (place_id, day, inspector_id, inspector_label, result, hazards) \
                 VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(place_id)
            .bind(day)
            .bind(inspector.0)
            .bind(inspector.1)
            .bind(result)
            .bind(hazards),
        )
        .await?;
    Ok(id)
}

/// A place's inspections, newest first.
pub async fn inspections(
    ex: &mut impl Exec,
    place_id: i64,
) -> Result<Vec<InspectionRow>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT id, day, inspector_label, result, hazards FROM place_inspections \
             WHERE place_id = ? ORDER BY day DESC, id DESC",
        )
        .bind(place_id),
    )
    .await
}

/// Places under `root` by (kind, risk): live counts for the grid facts.
pub async fn counts(
    ex: &mut impl Exec,
    root: &str,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT kind, risk, COUNT(*) FROM places WHERE node_code >= ? AND node_code < ? \
             GROUP BY kind, risk ORDER BY kind, risk",
        )
        .bind(root)
        .bind(format!("{root}:")),
    )
    .await
}
