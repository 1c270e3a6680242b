//! 12345 orders waiting for a place (待定位): imported with an address that names no region,
//! kept until someone gives each a grid and its case is filed.

use crate::vault::SealedValue;
use crate::{Exec, Sql, StoreError};
use shanzhi_domain::case::Urgency;

/// An order to keep until it is placed.
#[derive(Debug, Clone)]
pub struct NewPending<'a> {
    /// 工单编号.
    pub order_no: &'a str,
    /// Category code.
    pub category: &'a str,
    /// Title.
    pub title: &'a str,
    /// 诉求内容.
    pub description: &'a str,
    /// 诉求地址.
    pub address: &'a str,
    /// 诉求人.
    pub caller: Option<&'a str>,
    /// Their phone, sealed.
    pub phone: Option<&'a SealedValue>,
    /// 来电时间 (ms).
    pub called_at: Option<i64>,
    /// 办理时限 (ms).
    pub due_at: Option<i64>,
    /// 紧急程度.
    pub urgency: Urgency,
    /// The importer's scope: who may place it.
    pub root: &'a str,
    /// The Open311 client that sent it (its order number is the client's token).
    pub client_id: Option<i64>,
    /// When the order named no category: how likely the suggested one is.
    pub category_likelihood: Option<f64>,
}

/// Keeps an order until it is placed.
pub async fn insert(ex: &mut impl Exec, p: &NewPending<'_>, now: i64) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO hotline_pending (order_no, category, title, description, address, \
                 caller, phone_sealed, phone_index, phone_masked, called_at, due_at, urgency, root, \
                 imported_at, client_id, category_likelihood) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 RETURNING id",
            )
            .bind(p.order_no)
            .bind(p.category)
            .bind(p.title)
            .bind(p.description)
            .bind(p.address)
            .bind(p.caller)
            .bind(p.phone.map(|v| v.sealed.clone()))
            .bind(p.phone.map(|v| v.index.clone()))
            .bind(p.phone.map(|v| v.masked.clone()))
            .bind(p.called_at)
            .bind(p.due_at)
            .bind(p.urgency.as_str())
            .bind(p.root)
            .bind(now)
            .bind(p.client_id)
            .bind(p.category_likelihood),
        )
        .await?;
    Ok(id)
}

/// An order waiting for a place, as listed (the phone masked).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct PendingRow {
    /// Id.
    pub id: i64,
    /// 工单编号.
    pub order_no: String,
    /// Category code.
    pub category: String,
    /// Title.
    pub title: String,
    /// 诉求内容.
    pub description: String,
    /// 诉求地址.
    pub address: String,
    /// 诉求人.
    pub caller: Option<String>,
    /// Their phone, masked.
    pub phone_masked: Option<String>,
    /// 来电时间 (ms).
    pub called_at: Option<i64>,
    /// 办理时限 (ms).
    pub due_at: Option<i64>,
    /// 紧急程度.
    pub urgency: Urgency,
    /// The importer's scope.
    pub root: String,
    /// When it was imported (ms).
    pub imported_at: i64,
    /// The Open311 client that sent it, if one did.
    pub client_id: Option<i64>,
    /// When the order named no category: how likely the suggested one is (a person confirms).
    pub category_likelihood: Option<f64>,
}

const COLUMNS: &str = "id, order_no, category, title, description, address, caller, phone_masked, \
     called_at, due_at, urgency, root, imported_at, client_id, category_likelihood";

/// The orders waiting whose scope lies within `within` (all when `None`), oldest call first.
pub async fn list(
    ex: &mut impl Exec,
    within: Option<&str>,
    limit: u32,
) -> Result<Vec<PendingRow>, StoreError> {
    let mut q = Sql::new(format!("SELECT {COLUMNS} FROM hotline_pending WHERE 1 = 1"));
    if let Some(root) = within {
        q.push_bind(" AND root >= ?", root)
            .push_bind(" AND root < ?", format!("{root}~"));
    }
    q.push_bind(
        " ORDER BY COALESCE(called_at, imported_at), id LIMIT ?",
        i64::from(limit),
    );
    ex.all(q).await
}

/// A waiting order with its phone sealed and indexed.
#[derive(sqlx::FromRow)]
struct Taken {
    phone_sealed: Option<Vec<u8>>,
    phone_index: Option<Vec<u8>>,
    #[sqlx(flatten)]
    row: PendingRow,
}

/// One waiting order with its phone sealed and indexed, removed (in the caller's transaction:
/// the case is filed in it, or the order stays).
pub async fn take(
    ex: &mut impl Exec,
    id: i64,
) -> Result<Option<(PendingRow, Option<SealedValue>)>, StoreError> {
    let taken: Option<Taken> = ex
        .opt(
            Sql::new(format!(
                "SELECT phone_sealed, phone_index, {COLUMNS} FROM hotline_pending WHERE id = ?"
            ))
            .bind(id),
        )
        .await?;
    let Some(Taken {
        phone_sealed: sealed,
        phone_index: index,
        row,
    }) = taken
    else {
        return Ok(None);
    };
    ex.exec(Sql::new("DELETE FROM hotline_pending WHERE id = ?").bind(id))
        .await?;
    let phone = sealed.zip(index).map(|(sealed, index)| SealedValue {
        sealed,
        index,
        masked: row.phone_masked.clone().unwrap_or_default(),
    });
    Ok(Some((row, phone)))
}

/// Of these order numbers, those waiting for a place.
pub async fn known(ex: &mut impl Exec, orders: &[String]) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for chunk in orders.chunks(500) {
        let mut q = Sql::new("SELECT order_no FROM hotline_pending WHERE order_no");
        q.push_list(" IN", chunk.iter().map(String::as_str));
        let rows: Vec<(String,)> = ex.all(q).await?;
        out.extend(rows.into_iter().map(|(o,)| o));
    }
    Ok(out)
}

/// Whether an order (or an Open311 token) waits for a place.
pub async fn waiting(ex: &mut impl Exec, order_no: &str) -> Result<bool, StoreError> {
    Ok(ex
        .opt::<(i64,)>(Sql::new("SELECT id FROM hotline_pending WHERE order_no = ?").bind(order_no))
        .await?
        .is_some())
}
