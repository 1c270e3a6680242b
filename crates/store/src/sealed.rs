//! Every column that holds a sealed personal value, for re-sealing them all under a new key
//! after a rotation.

use crate::vault::Field;
use crate::{Exec, Sql, StoreError};

/// A column of sealed values and what they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealedColumn {
    /// The table.
    pub table: &'static str,
    /// The column.
    pub column: &'static str,
    /// What it holds (the AEAD's associated data).
    pub field: Field,
}

/// All of them. Table and column names come only from here, never from input.
pub const SEALED_COLUMNS: [SealedColumn; 11] = [
    SealedColumn {
        table: "persons",
        column: "id_sealed",
        field: Field::IdNumber,
    },
    SealedColumn {
        table: "persons",
        column: "phone_sealed",
        field: Field::Phone,
    },
    SealedColumn {
        table: "cases",
        column: "reporter_phone_sealed",
        field: Field::Phone,
    },
    SealedColumn {
        table: "staff",
        column: "phone_sealed",
        field: Field::Phone,
    },
    SealedColumn {
        table: "places",
        column: "contact_phone_sealed",
        field: Field::Phone,
    },
    SealedColumn {
        table: "members",
        column: "phone_sealed",
        field: Field::Phone,
    },
    SealedColumn {
        table: "units",
        column: "phone_sealed",
        field: Field::Phone,
    },
    SealedColumn {
        table: "topics",
        column: "proposer_phone_sealed",
        field: Field::Phone,
    },
    SealedColumn {
        table: "topic_followers",
        column: "phone_sealed",
        field: Field::Phone,
    },
    SealedColumn {
        table: "opinions",
        column: "phone_sealed",
        field: Field::Phone,
    },
    SealedColumn {
        table: "wishes",
        column: "phone_sealed",
        field: Field::Phone,
    },
];

/// Rows of `c` after id `after` that hold a value, by id.
pub async fn page(
    ex: &mut impl Exec,
    c: &SealedColumn,
    after: i64,
    limit: u32,
) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT id, {col} FROM {table} WHERE id > ? AND {col} IS NOT NULL ORDER BY id LIMIT ?",
            col = c.column,
            table = c.table
        ))
        .bind(after)
        .bind(i64::from(limit)),
    )
    .await
}

/// Replaces one row's sealed value.
pub async fn set(
    ex: &mut impl Exec,
    c: &SealedColumn,
    id: i64,
    value: Vec<u8>,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new(format!(
            "UPDATE {} SET {} = ? WHERE id = ?",
            c.table, c.column
        ))
        .bind(value)
        .bind(id),
    )
    .await?;
    Ok(())
}

/// The sealed values of `column` in `table` (one of [`SEALED_COLUMNS`]) for the rows `ids`,
/// by row id: what an export with full numbers opens.
pub(crate) async fn of_rows(
    ex: &mut impl Exec,
    table: &'static str,
    column: &'static str,
    ids: &[i64],
) -> Result<Vec<(i64, Option<Vec<u8>>)>, StoreError> {
    debug_assert!(
        SEALED_COLUMNS
            .iter()
            .any(|c| c.table == table && c.column == column)
    );
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(format!("SELECT id, {column} FROM {table} WHERE id IN"));
    q.push_list("", ids.iter().copied());
    ex.all(q).await
}
