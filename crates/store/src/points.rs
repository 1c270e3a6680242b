//! The volunteer-points ledger (积分) and the 爱心超市's stock: postings with their entries,
//! balances and stock kept as running sums in the same transaction, and the reconciliation
//! that proves those sums equal the entries.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::participation::PostingKind;
use shanzhi_domain::participation::{AccountKind, Line};

/// A posting to write.
#[derive(Debug, Clone, Copy)]
pub struct NewPosting<'a> {
    /// The community whose ledger it is.
    pub community: &'a str,
    /// Its kind's stored name.
    pub kind: PostingKind,
    /// The caller's idempotency key: the same key posts once.
    pub key: &'a str,
    /// What it is for (`wish:12`, `service:7`, `item:3x2` …).
    pub source: &'a str,
    /// The posting it reverses.
    pub reverses: Option<i64>,
    /// The staff account that made it, if any.
    pub operator_id: Option<i64>,
    /// Who made it, in words.
    pub operator_label: &'a str,
    /// Free words.
    pub note: &'a str,
    /// When (ms).
    pub at: i64,
}

/// What posting did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    /// Written now, with this id.
    New(i64),
    /// The key had been posted before, as this posting: nothing written.
    Replayed(i64),
    /// An account that may not go negative would have: nothing should be committed.
    Short {
        /// What the account holds.
        balance: i64,
        /// What the posting takes out of it.
        needed: i64,
    },
}

/// The posting an idempotency key was used for.
pub async fn by_key(ex: &mut impl Exec, key: &str) -> Result<Option<i64>, StoreError> {
    Ok(ex
        .opt::<(i64,)>(
            Sql::new("SELECT id FROM point_postings WHERE idempotency_key = ?").bind(key),
        )
        .await?
        .map(|(id,)| id))
}

/// Writes a posting and moves the balances, in the caller's transaction. Accounts are
/// updated in id order, so concurrent postings lock rows in one order and cannot deadlock.
/// On [`Posted::Short`] the caller must roll back: entries before the short line are written.
pub async fn post(
    ex: &mut impl Exec,
    p: &NewPosting<'_>,
    lines: &[Line],
) -> Result<Posted, StoreError> {
    if let Some(id) = by_key(ex, p.key).await? {
        return Ok(Posted::Replayed(id));
    }
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO point_postings (community_code, kind, idempotency_key, source, reverses, \
                 operator_id, operator_label, note, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(p.community)
            .bind(p.kind.as_str())
            .bind(p.key)
            .bind(p.source)
            .bind(p.reverses)
            .bind(p.operator_id)
            .bind(p.operator_label)
            .bind(p.note)
            .bind(p.at),
        )
        .await?;
    let mut ordered = lines.to_vec();
    ordered.sort_by_key(|l| l.account);
    for l in &ordered {
        let moved = ex
            .exec(
                Sql::new(
                    "UPDATE point_accounts SET balance = balance + ? \
                     WHERE id = ? AND (kind = 'issuer' OR balance + ? >= 0)",
                )
                .bind(l.amount)
                .bind(l.account)
                .bind(l.amount),
            )
            .await?;
        if moved == 0 {
            let (balance,): (i64,) = ex
                .one(Sql::new("SELECT balance FROM point_accounts WHERE id = ?").bind(l.account))
                .await?;
            return Ok(Posted::Short {
                balance,
                needed: -l.amount,
            });
        }
        ex.exec(
            Sql::new("INSERT INTO point_entries (posting_id, account_id, amount) VALUES (?, ?, ?)")
                .bind(id)
                .bind(l.account)
                .bind(l.amount),
        )
        .await?;
    }
    Ok(Posted::New(id))
}

/// The community's issuer or store account, created on first use.
pub async fn system_account(
    ex: &mut impl Exec,
    community: &str,
    kind: AccountKind,
) -> Result<i64, StoreError> {
    ex.exec(
        Sql::new(
            "INSERT INTO point_accounts (community_code, kind) VALUES (?, ?) \
             ON CONFLICT (community_code, kind) WHERE kind <> 'member' DO NOTHING",
        )
        .bind(community)
        .bind(kind.as_str()),
    )
    .await?;
    let (id,): (i64,) = ex
        .one(
            Sql::new("SELECT id FROM point_accounts WHERE community_code = ? AND kind = ?")
                .bind(community)
                .bind(kind.as_str()),
        )
        .await?;
    Ok(id)
}

/// A member's account, created on first use.
pub async fn member_account(
    ex: &mut impl Exec,
    community: &str,
    member_id: i64,
) -> Result<i64, StoreError> {
    ex.exec(
        Sql::new(
            "INSERT INTO point_accounts (community_code, kind, member_id) VALUES (?, 'member', ?) \
             ON CONFLICT (member_id) DO NOTHING",
        )
        .bind(community)
        .bind(member_id),
    )
    .await?;
    let (id,): (i64,) = ex
        .one(Sql::new("SELECT id FROM point_accounts WHERE member_id = ?").bind(member_id))
        .await?;
    Ok(id)
}

/// An account's balance.
pub async fn balance(ex: &mut impl Exec, account: i64) -> Result<i64, StoreError> {
    let (b,): (i64,) = ex
        .one(Sql::new("SELECT balance FROM point_accounts WHERE id = ?").bind(account))
        .await?;
    Ok(b)
}

/// A stored posting.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct PostingRow {
    /// Id.
    pub id: i64,
    /// The community.
    pub community_code: String,
    /// `service`, `wish`, `redemption` or `reversal`.
    pub kind: PostingKind,
    /// What it is for.
    pub source: String,
    /// The posting it reverses.
    pub reverses: Option<i64>,
    /// Who made it.
    pub operator_label: String,
    /// Words.
    pub note: String,
    /// When (ms).
    pub at: i64,
}

const POSTING: &str =
    "p.id, p.community_code, p.kind, p.source, p.reverses, p.operator_label, p.note, p.at";

/// One posting.
pub async fn posting(ex: &mut impl Exec, id: i64) -> Result<Option<PostingRow>, StoreError> {
    ex.opt(
        Sql::new(format!(
            "SELECT {POSTING} FROM point_postings p WHERE p.id = ?"
        ))
        .bind(id),
    )
    .await
}

/// A posting's lines.
pub async fn lines(ex: &mut impl Exec, posting: i64) -> Result<Vec<Line>, StoreError> {
    let rows: Vec<(i64, i64)> = ex
        .all(
            Sql::new(
                "SELECT account_id, amount FROM point_entries WHERE posting_id = ? ORDER BY id",
            )
            .bind(posting),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(account, amount)| Line { account, amount })
        .collect())
}

/// Whether a posting has been reversed.
pub async fn reversed(ex: &mut impl Exec, posting: i64) -> Result<bool, StoreError> {
    Ok(ex
        .opt::<(i64,)>(Sql::new("SELECT id FROM point_postings WHERE reverses = ?").bind(posting))
        .await?
        .is_some())
}

/// A line of an account's statement.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct StatementRow {
    /// The posting.
    pub posting_id: i64,
    /// Its kind.
    pub kind: PostingKind,
    /// What it is for.
    pub source: String,
    /// Words.
    pub note: String,
    /// Who made it.
    pub operator_label: String,
    /// Signed points.
    pub amount: i64,
    /// When (ms).
    pub at: i64,
}

/// An account's entries, newest first.
pub async fn statement(
    ex: &mut impl Exec,
    account: i64,
    limit: i64,
) -> Result<Vec<StatementRow>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT p.id AS posting_id, p.kind, p.source, p.note, p.operator_label, e.amount, p.at \
             FROM point_entries e JOIN point_postings p ON p.id = e.posting_id \
             WHERE e.account_id = ? ORDER BY e.id DESC LIMIT ?",
        )
        .bind(account)
        .bind(limit),
    )
    .await
}

/// The community's postings, newest first.
pub async fn postings(
    ex: &mut impl Exec,
    community: &str,
    limit: i64,
) -> Result<Vec<PostingRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {POSTING} FROM point_postings p WHERE p.community_code = ? ORDER BY p.id DESC LIMIT ?"
        ))
        .bind(community)
        .bind(limit),
    )
    .await
}

/// A good in the 爱心超市.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ItemRow {
    /// Id.
    pub id: i64,
    /// The community.
    pub community_code: String,
    /// Name.
    pub name: String,
    /// Points per item.
    pub price: i64,
    /// Items left.
    pub stock: i64,
}

const ITEM: &str = "id, community_code, name, price, stock";

/// Adds a good (no stock yet).
pub async fn add_item(
    ex: &mut impl Exec,
    community: &str,
    name: &str,
    price: i64,
    at: i64,
) -> Result<ItemRow, StoreError> {
    ex.one(
        Sql::new(format!(
            "INSERT INTO shop_items (community_code, name, price, created_at) VALUES (?, ?, ?, ?) \
             RETURNING {ITEM}"
        ))
        .bind(community)
        .bind(name)
        .bind(price)
        .bind(at),
    )
    .await
}

/// One good.
pub async fn item(ex: &mut impl Exec, id: i64) -> Result<Option<ItemRow>, StoreError> {
    ex.opt(Sql::new(format!("SELECT {ITEM} FROM shop_items WHERE id = ?")).bind(id))
        .await
}

/// The community's goods, by name.
pub async fn items(ex: &mut impl Exec, community: &str) -> Result<Vec<ItemRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {ITEM} FROM shop_items WHERE community_code = ? ORDER BY price, name"
        ))
        .bind(community),
    )
    .await
}

/// A change of stock to write.
#[derive(Debug, Clone, Copy)]
pub struct StockMove<'a> {
    /// The good.
    pub item: i64,
    /// Items in (positive) or out (negative).
    pub delta: i64,
    /// The redemption's posting, if it is one.
    pub posting: Option<i64>,
    /// Why (`入库`, `兑换`, `冲正` …).
    pub reason: &'a str,
    /// The staff account, if any.
    pub operator_id: Option<i64>,
    /// Who, in words.
    pub operator_label: &'a str,
    /// When (ms).
    pub at: i64,
}

/// Moves stock, in the caller's transaction; `None` (nothing written) if it would go below
/// zero, else the stock left. The conditional update locks the item's row, so racing
/// redemptions of the last item queue here and only one gets it.
pub async fn move_stock(ex: &mut impl Exec, m: &StockMove<'_>) -> Result<Option<i64>, StoreError> {
    let left: Option<(i64,)> = ex
        .opt(
            Sql::new(
                "UPDATE shop_items SET stock = stock + ? WHERE id = ? AND stock + ? >= 0 RETURNING stock",
            )
            .bind(m.delta)
            .bind(m.item)
            .bind(m.delta),
        )
        .await?;
    let Some((left,)) = left else {
        return Ok(None);
    };
    ex.exec(
        Sql::new(
            "INSERT INTO stock_moves (item_id, delta, posting_id, reason, operator_id, operator_label, at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(m.item)
        .bind(m.delta)
        .bind(m.posting)
        .bind(m.reason)
        .bind(m.operator_id)
        .bind(m.operator_label)
        .bind(m.at),
    )
    .await?;
    Ok(Some(left))
}

/// The stock moves of a posting: (item, delta).
pub async fn moves_of(ex: &mut impl Exec, posting: i64) -> Result<Vec<(i64, i64)>, StoreError> {
    ex.all(
        Sql::new("SELECT item_id, delta FROM stock_moves WHERE posting_id = ? ORDER BY id")
            .bind(posting),
    )
    .await
}

/// What reconciliation found (对账).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Reconciliation {
    /// Accounts checked.
    pub accounts: i64,
    /// Accounts whose balance differs from the sum of their entries: (account, balance, sum).
    pub balance_mismatches: Vec<(i64, i64, i64)>,
    /// Goods checked.
    pub items: i64,
    /// Goods whose stock differs from the sum of their moves: (item, stock, sum).
    pub stock_mismatches: Vec<(i64, i64, i64)>,
    /// Postings whose entries do not sum to zero.
    pub unbalanced_postings: Vec<i64>,
    /// Accounts that may not go negative but are.
    pub negative_accounts: Vec<i64>,
    /// Sum of every entry (zero when the books balance).
    pub total: i64,
}

/// Checks a community's books: every balance equals the sum of its entries, every stock the
/// sum of its moves, every posting sums to zero, and no member account is negative.
pub async fn reconcile(ex: &mut impl Exec, community: &str) -> Result<Reconciliation, StoreError> {
    let accounts: Vec<(i64, String, i64, i64)> = ex
        .all(
            Sql::new(
                "SELECT a.id, a.kind, a.balance, CAST(COALESCE(SUM(e.amount), 0) AS BIGINT) \
                 FROM point_accounts a LEFT JOIN point_entries e ON e.account_id = a.id \
                 WHERE a.community_code = ? GROUP BY a.id, a.kind, a.balance ORDER BY a.id",
            )
            .bind(community),
        )
        .await?;
    let items: Vec<(i64, i64, i64)> = ex
        .all(
            Sql::new(
                "SELECT i.id, i.stock, CAST(COALESCE(SUM(m.delta), 0) AS BIGINT) \
                 FROM shop_items i LEFT JOIN stock_moves m ON m.item_id = i.id \
                 WHERE i.community_code = ? GROUP BY i.id, i.stock ORDER BY i.id",
            )
            .bind(community),
        )
        .await?;
    let unbalanced: Vec<(i64,)> = ex
        .all(
            Sql::new(
                "SELECT p.id FROM point_postings p JOIN point_entries e ON e.posting_id = p.id \
                 WHERE p.community_code = ? GROUP BY p.id HAVING SUM(e.amount) <> 0 ORDER BY p.id",
            )
            .bind(community),
        )
        .await?;
    let mut r = Reconciliation {
        accounts: accounts.len() as i64,
        items: items.len() as i64,
        unbalanced_postings: unbalanced.into_iter().map(|(id,)| id).collect(),
        ..Reconciliation::default()
    };
    for (id, kind, balance, sum) in accounts {
        r.total += sum;
        if balance != sum {
            r.balance_mismatches.push((id, balance, sum));
        }
        if balance < 0 && kind != AccountKind::Issuer.as_str() {
            r.negative_accounts.push(id);
        }
    }
    r.stock_mismatches = items
        .into_iter()
        .filter(|(_, stock, sum)| stock != sum)
        .collect();
    Ok(r)
}

impl Reconciliation {
    /// Whether the books are exact.
    pub fn exact(&self) -> bool {
        self.balance_mismatches.is_empty()
            && self.stock_mismatches.is_empty()
            && self.unbalanced_postings.is_empty()
            && self.negative_accounts.is_empty()
            && self.total == 0
    }
}
