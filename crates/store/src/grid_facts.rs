//! The grid facts register (网格基础信息册): what is written down about a grid (its feature,
//! 一网格一特色, is kept on the region node); its live counts come from the other registers.

use crate::{Exec, Sql, StoreError};

/// What is written down about a grid.
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    sqlx::FromRow,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
pub struct GridFacts {
    /// Area (km²).
    pub area_km2: Option<f64>,
    /// Party branch (网格党支部/党小组).
    pub party_branch: String,
    /// Its secretary.
    pub party_secretary: String,
    /// Party members in the grid.
    pub party_members: Option<i32>,
    /// Note.
    pub note: String,
}

/// A grid's facts (empty if none written yet).
pub async fn get(ex: &mut impl Exec, code: &str) -> Result<GridFacts, StoreError> {
    Ok(ex
        .opt(
            Sql::new(
                "SELECT area_km2, party_branch, party_secretary, party_members, note \
                 FROM grid_facts WHERE node_code = ?",
            )
            .bind(code),
        )
        .await?
        .unwrap_or_default())
}

/// Writes a grid's facts.
pub async fn put(
    ex: &mut impl Exec,
    code: &str,
    f: &GridFacts,
    now: i64,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new(
            "INSERT INTO grid_facts (node_code, area_km2, party_branch, party_secretary, \
             party_members, note, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (node_code) \
             DO UPDATE SET area_km2 = excluded.area_km2, \
             party_branch = excluded.party_branch, party_secretary = excluded.party_secretary, \
             party_members = excluded.party_members, note = excluded.note, updated_at = excluded.updated_at",
        )
        .bind(code)
        .bind(f.area_km2)
        .bind(f.party_branch.as_str())
        .bind(f.party_secretary.as_str())
        .bind(f.party_members)
        .bind(f.note.as_str())
        .bind(now),
    )
    .await?;
    Ok(())
}
