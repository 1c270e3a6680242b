//! 积分 and the 爱心超市: crediting points for verified service and confirmed wishes,
//! redemptions that take points and stock in one transaction, reversals, restocking, and
//! reconciliation (对账). Every write names its operator; every request carries an
//! idempotency key, so a retried request posts once.

use crate::auth::Principal;
use crate::fields::text;
use crate::members::{self, anywhere, community_of};
use crate::policy::{Ask, Reach, Resource, Verb};
use crate::{App, AppError};
use shanzhi_domain::auth::Actor;
use shanzhi_domain::participation::points::{self as rules, MAX_POSTING};
use shanzhi_domain::participation::{AccountKind, LedgerError, PostingKind, Standing};
use shanzhi_store::points::{self as store, NewPosting, StockMove};
pub use shanzhi_store::points::{ItemRow, Posted, PostingRow, Reconciliation, StatementRow};
use shanzhi_store::{StoreError, Tx};

use crate::ledger::ledger_error;

/// A redemption to make.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct RedeemInput {
    /// The member (staff at the counter); a volunteer login redeems for itself.
    pub member_id: Option<i64>,
    /// The good.
    pub item_id: i64,
    /// How many.
    pub quantity: i64,
}

/// What a redemption did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Receipt {
    /// The posting.
    pub posting_id: i64,
    /// Whether this request had been made before (nothing posted now).
    pub replayed: bool,
    /// The good.
    pub item: ItemRow,
    /// How many.
    pub quantity: i64,
    /// Points taken.
    pub points: i64,
    /// The member's balance now.
    pub balance: i64,
}

/// Who may act on a member's points: the member's own login, or the community's staff.
async fn member_for(
    state: &App,
    p: &Principal,
    member_id: Option<i64>,
) -> Result<shanzhi_store::members::MemberRow, AppError> {
    let m = match (p.may(Resource::Participation, Verb::Write)?, member_id) {
        (Reach::Own, _) => members::me(state, p).await?,
        (_, Some(id)) if p.can(Resource::ParticipationDesk, Verb::Write) => {
            members::visible(state, &p.actor, id).await?
        }
        (_, Some(_)) => return Err(AppError::Forbidden("只有社区干部可以代为兑换".into())),
        (_, None) => return Err(AppError::bad("member_required", "请选择兑换的党员或志愿者")),
    };
    if m.standing != Standing::Confirmed {
        return Err(AppError::Conflict(
            "报到尚未经社区确认，暂无积分账户".into(),
        ));
    }
    Ok(m)
}

fn check_key(key: &str) -> Result<&str, AppError> {
    let k = key.trim();
    if k.is_empty() || k.len() > 100 {
        return Err(AppError::bad(
            "idempotency_key_required",
            "请求须带 Idempotency-Key（1 到 100 个字符），重试时沿用同一个",
        ));
    }
    Ok(k)
}

/// Redeems goods: the member's points go to the store account and the stock goes down, in
/// one transaction; not enough points or stock refuses it with nothing written. The same key
/// sent again returns the first receipt.
pub async fn redeem(
    state: &App,
    p: &Principal,
    r: &RedeemInput,
    key: &str,
) -> Result<Receipt, AppError> {
    let member = member_for(state, p, r.member_id).await?;
    let key = format!("redeem:{}:{}", member.id, check_key(key)?);
    let source = format!("item:{}x{}", r.item_id, r.quantity);
    let label = p.label();
    match redeem_once(state, p, &member, r, &key, &source, &label).await {
        // Two requests with one key raced past the replay check: the loser's insert hit the
        // key's unique index. The winner has committed; answer as a replay.
        Err(AppError::Conflict(_)) if store_has(state, &key).await? => {
            replay(state, &member, &key, &source).await
        }
        other => other,
    }
}

async fn store_has(state: &App, key: &str) -> Result<bool, AppError> {
    Ok(store::by_key(&mut state.store().conn().await?, key)
        .await?
        .is_some())
}

async fn replay(
    state: &App,
    member: &shanzhi_store::members::MemberRow,
    key: &str,
    source: &str,
) -> Result<Receipt, AppError> {
    let mut conn = state.store().conn().await?;
    let id = store::by_key(&mut conn, key)
        .await?
        .ok_or_else(|| AppError::Internal(format!("posting {key} vanished")))?;
    let posting = store::posting(&mut conn, id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("posting {id} vanished")))?;
    if posting.source != source {
        return Err(AppError::Conflict(
            "这个 Idempotency-Key 已用于另一笔兑换，请换一个".into(),
        ));
    }
    let (item_id, quantity) = parse_source(source)?;
    let item = store::item(&mut conn, item_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let account = store::member_account(&mut conn, &member.community_code, member.id).await?;
    Ok(Receipt {
        posting_id: id,
        replayed: true,
        points: item.price * quantity,
        quantity,
        balance: store::balance(&mut conn, account).await?,
        item,
    })
}

fn parse_source(source: &str) -> Result<(i64, i64), AppError> {
    source
        .strip_prefix("item:")
        .and_then(|s| s.split_once('x'))
        .and_then(|(i, q)| Some((i.parse().ok()?, q.parse().ok()?)))
        .ok_or_else(|| AppError::Internal(format!("bad redemption source {source}")))
}

async fn redeem_once(
    state: &App,
    p: &Principal,
    member: &shanzhi_store::members::MemberRow,
    r: &RedeemInput,
    key: &str,
    source: &str,
    label: &str,
) -> Result<Receipt, AppError> {
    let now = state.now_ms();
    let mut tx = state.store().begin().await?;
    let item = store::item(&mut tx, r.item_id)
        .await?
        .filter(|i| i.community_code == member.community_code)
        .ok_or_else(|| AppError::NotFound("本社区爱心超市没有这件物品".into()))?;
    let points = rules::cost(item.price, r.quantity).map_err(ledger_error)?;
    let account = store::member_account(&mut tx, &member.community_code, member.id).await?;
    let shop = store::system_account(&mut tx, &member.community_code, AccountKind::Store).await?;
    let lines = rules::transfer(account, shop, points).map_err(ledger_error)?;
    let note = format!("{} × {}", item.name, r.quantity);
    let posting = NewPosting {
        community: &member.community_code,
        kind: PostingKind::Redemption,
        key,
        source,
        reverses: None,
        operator_id: Some(p.account.id),
        operator_label: label,
        note: &note,
        at: now,
    };
    let id = match store::post(&mut tx, &posting, &lines)
        .await
        .map_err(key_conflict)?
    {
        Posted::New(id) => id,
        Posted::Replayed(_) => {
            drop(tx);
            return replay(state, member, key, source).await;
        }
        Posted::Short { balance, needed } => {
            return Err(ledger_error(LedgerError::Insufficient { balance, needed }));
        }
    };
    let taken = StockMove {
        item: item.id,
        delta: -r.quantity,
        posting: Some(id),
        reason: "兑换",
        operator_id: Some(p.account.id),
        operator_label: label,
        at: now,
    };
    if store::move_stock(&mut tx, &taken).await?.is_none() {
        let stock = store::item(&mut tx, item.id).await?.map_or(0, |i| i.stock);
        return Err(ledger_error(LedgerError::OutOfStock {
            stock,
            wanted: r.quantity,
        }));
    }
    let balance = store::balance(&mut tx, account).await?;
    tx.commit().await?;
    Ok(Receipt {
        posting_id: id,
        replayed: false,
        quantity: r.quantity,
        points,
        balance,
        item: ItemRow {
            stock: item.stock - r.quantity,
            ..item
        },
    })
}

/// A unique violation on the idempotency key: another request with the key won the race.
fn key_conflict(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(m) => AppError::Conflict(m),
        e => e.into(),
    }
}

/// Reverses a posting (冲正): the opposite lines, and for a redemption the stock back. A
/// member who has already spent credited points cannot be reversed below zero.
pub async fn reverse(
    state: &App,
    p: &Principal,
    posting_id: i64,
    reason: &str,
) -> Result<PostingRow, AppError> {
    p.may(Resource::ParticipationDesk, Verb::Write)?;
    let reason = text(reason, "冲正原因", 200)?;
    let label = p.label();
    let now = state.now_ms();
    let mut tx = state.store().begin().await?;
    let original = store::posting(&mut tx, posting_id)
        .await?
        .filter(|o| p.actor.sees(&o.community_code))
        .ok_or_else(AppError::not_found)?;
    if original.kind == PostingKind::Reversal || store::reversed(&mut tx, posting_id).await? {
        return Err(ledger_error(LedgerError::NotReversible));
    }
    let lines = rules::reversal(&store::lines(&mut tx, posting_id).await?);
    rules::check(&lines).map_err(ledger_error)?;
    let key = format!("reverse:{posting_id}");
    let posting = NewPosting {
        community: &original.community_code,
        kind: PostingKind::Reversal,
        key: &key,
        source: &format!("posting:{posting_id}"),
        reverses: Some(posting_id),
        operator_id: Some(p.account.id),
        operator_label: &label,
        note: reason,
        at: now,
    };
    let id = match store::post(&mut tx, &posting, &lines)
        .await
        .map_err(key_conflict)?
    {
        Posted::New(id) => id,
        Posted::Replayed(_) => return Err(ledger_error(LedgerError::NotReversible)),
        Posted::Short { balance, needed } => {
            return Err(AppError::Conflict(format!(
                "积分已被使用，余额 {balance} 分不足以冲回 {needed} 分"
            )));
        }
    };
    for (item, delta) in store::moves_of(&mut tx, posting_id).await? {
        let back = StockMove {
            item,
            delta: -delta,
            posting: Some(id),
            reason: "冲正",
            operator_id: Some(p.account.id),
            operator_label: &label,
            at: now,
        };
        if store::move_stock(&mut tx, &back).await?.is_none() {
            return Err(AppError::Conflict("库存不足以冲正".into()));
        }
    }
    tx.commit().await?;
    store::posting(&mut state.store().conn().await?, id)
        .await?
        .ok_or_else(AppError::not_found)
}

/// A good for the 爱心超市.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ItemInput {
    /// The community.
    pub community: String,
    /// Name.
    pub name: String,
    /// Points per item.
    pub price: i64,
    /// Items put on the shelf now.
    #[serde(default)]
    pub stock: i64,
}

/// Adds a good, with its first stock as a stock move.
pub async fn add_item(state: &App, p: &Principal, i: &ItemInput) -> Result<ItemRow, AppError> {
    p.may(Resource::ParticipationDesk, Verb::Write)?;
    let community = community_of(state, &p.actor, &i.community).await?;
    if !(1..=MAX_POSTING).contains(&i.price) {
        return Err(AppError::bad(
            "invalid_points",
            format!("所需积分须为 1 到 {MAX_POSTING}"),
        ));
    }
    if !(0..=100_000).contains(&i.stock) {
        return Err(AppError::bad("invalid_stock", "库存须为 0 到 100000 件"));
    }
    let name = text(&i.name, "物品名称", 40)?;
    let label = p.label();
    let now = state.now_ms();
    let mut tx = state.store().begin().await?;
    let item = store::add_item(&mut tx, &community.code, name, i.price, now)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => AppError::Conflict("爱心超市已有同名物品".into()),
            e => e.into(),
        })?;
    if i.stock > 0 {
        restock_in(&mut tx, p, &label, item.id, i.stock, "入库", now).await?;
    }
    tx.commit().await?;
    Ok(ItemRow {
        stock: i.stock,
        ..item
    })
}

async fn restock_in(
    tx: &mut Tx,
    p: &Principal,
    label: &str,
    item: i64,
    delta: i64,
    reason: &str,
    at: i64,
) -> Result<i64, AppError> {
    let m = StockMove {
        item,
        delta,
        posting: None,
        reason,
        operator_id: Some(p.account.id),
        operator_label: label,
        at,
    };
    store::move_stock(tx, &m)
        .await?
        .ok_or_else(|| AppError::Conflict("库存不能少于零".into()))
}

/// Puts goods on the shelf (positive) or writes off broken ones (negative, with a reason).
pub async fn restock(
    state: &App,
    p: &Principal,
    item: i64,
    delta: i64,
    reason: &str,
) -> Result<ItemRow, AppError> {
    p.may(Resource::ParticipationDesk, Verb::Write)?;
    if delta == 0 || delta.abs() > 100_000 {
        return Err(AppError::bad(
            "invalid_stock",
            "数量须为非零整数，绝对值不超过 100000",
        ));
    }
    let reason = text(reason, "原因", 60)?;
    let label = p.label();
    let mut tx = state.store().begin().await?;
    let row = store::item(&mut tx, item)
        .await?
        .filter(|i| p.actor.sees(&i.community_code))
        .ok_or_else(AppError::not_found)?;
    let stock = restock_in(&mut tx, p, &label, item, delta, reason, state.now_ms()).await?;
    tx.commit().await?;
    Ok(ItemRow { stock, ..row })
}

/// The goods of a community: the one named, else a member's own, else the caller's.
pub async fn items(
    state: &App,
    p: &Principal,
    community: Option<&str>,
) -> Result<Vec<ItemRow>, AppError> {
    let c = if p.may(Resource::Participation, Verb::List)? == Reach::Own {
        let own = members::me(state, p).await?.community_code;
        community_of(state, &anywhere(&p.actor), community.unwrap_or(&own)).await?
    } else {
        community_of(state, &p.actor, &p.node_or_own(community)?).await?
    };
    Ok(store::items(&mut state.store().conn().await?, &c.code).await?)
}

/// A member's balance and latest entries.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Statement {
    /// The member.
    pub member_id: i64,
    /// Points held.
    pub balance: i64,
    /// Entries, newest first (at most 200).
    pub entries: Vec<StatementRow>,
}

/// A member's statement: the member's own login, or staff who see the member.
pub async fn statement(
    state: &App,
    p: &Principal,
    member_id: Option<i64>,
) -> Result<Statement, AppError> {
    let m = match (p.may(Resource::Participation, Verb::Read)?, member_id) {
        (Reach::Own, _) => members::me(state, p).await?,
        (_, Some(id)) => members::visible(state, &p.actor, id).await?,
        (_, None) => return Err(AppError::bad("member_required", "请指定党员或志愿者")),
    };
    let mut conn = state.store().conn().await?;
    let account = store::member_account(&mut conn, &m.community_code, m.id).await?;
    Ok(Statement {
        member_id: m.id,
        balance: store::balance(&mut conn, account).await?,
        entries: store::statement(&mut conn, account, 200).await?,
    })
}

/// The community's postings, newest first.
pub async fn postings(
    state: &App,
    actor: &Actor,
    community: &str,
) -> Result<Vec<PostingRow>, AppError> {
    actor.may(Resource::ParticipationDesk, Verb::List)?;
    let c = community_of(state, actor, community).await?;
    Ok(store::postings(&mut state.store().conn().await?, &c.code, 500).await?)
}

/// Reconciles the community's books (对账).
pub async fn reconcile(
    state: &App,
    actor: &Actor,
    community: &str,
) -> Result<Reconciliation, AppError> {
    actor.may(Resource::ParticipationDesk, Verb::Read)?;
    let c = community_of(state, actor, community).await?;
    Ok(store::reconcile(&mut state.store().conn().await?, &c.code).await?)
}
