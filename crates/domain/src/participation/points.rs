//! 积分: the rules of the volunteer-points ledger.
//!
//! Every posting is double-entry: its lines sum to zero, so points are only ever moved. Each
//! community has an issuer account (积分发放, whose balance is minus the points it has given
//! out), a store account (爱心超市, the points spent there) and one account per member, which
//! can never go below zero. Nothing is edited: a mistake is undone by a reversal (冲正), a new
//! posting of the opposite lines.

use serde::{Deserialize, Serialize};

/// The largest number of points one posting may move (a typo guard: a year of weekly service
/// is about 2,600).
pub const MAX_POSTING: i64 = 100_000;

/// Points for an hour of verified volunteer service (counted in whole half hours).
pub const POINTS_PER_HOUR: i64 = 10;

/// The most items of one good a single redemption may take.
pub const MAX_QUANTITY: i64 = 20;

/// What an account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A member's own points.
    Member,
    /// 积分发放: where earned points come from.
    Issuer,
    /// 爱心超市: where spent points go.
    Store,
}

impl AccountKind {
    /// Every kind.
    pub const ALL: [AccountKind; 3] =
        [AccountKind::Member, AccountKind::Issuer, AccountKind::Store];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Member => "member",
            AccountKind::Issuer => "issuer",
            AccountKind::Store => "store",
        }
    }

    /// Whether the balance may be below zero (only the issuer's, which counts what it gave).
    pub fn may_go_negative(self) -> bool {
        self == AccountKind::Issuer
    }
}

/// Why points moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PostingKind {
    /// 志愿服务: verified service (申报 → 汇总 → 社区核实).
    Service,
    /// 微心愿: a wish completed and confirmed.
    Wish,
    /// 兑换: goods taken from the 爱心超市.
    Redemption,
    /// 冲正: the exact opposite of an earlier posting.
    Reversal,
}

impl PostingKind {
    /// All kinds.
    pub const ALL: [PostingKind; 4] = [
        PostingKind::Service,
        PostingKind::Wish,
        PostingKind::Redemption,
        PostingKind::Reversal,
    ];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PostingKind::Service => "service",
            PostingKind::Wish => "wish",
            PostingKind::Redemption => "redemption",
            PostingKind::Reversal => "reversal",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            PostingKind::Service => "志愿服务",
            PostingKind::Wish => "微心愿",
            PostingKind::Redemption => "爱心超市兑换",
            PostingKind::Reversal => "冲正",
        }
    }
}

/// One line of a posting: points into (positive) or out of (negative) an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Line {
    /// The account.
    pub account: i64,
    /// Signed points.
    pub amount: i64,
}

/// Why a posting cannot be made, said so the user knows what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The points are zero, negative or above [`MAX_POSTING`].
    #[error("积分须为 1 到 {MAX_POSTING} 之间的整数")]
    InvalidPoints,
    /// The lines do not sum to zero (a bug, never a user's doing).
    #[error("记账不平：借贷之和须为零")]
    Unbalanced,
    /// The member has fewer points than the posting takes.
    #[error("积分不足：当前余额 {balance} 分，需要 {needed} 分")]
    Insufficient {
        /// What the account holds.
        balance: i64,
        /// What was asked.
        needed: i64,
    },
    /// Fewer items in stock than asked.
    #[error("库存不足：剩余 {stock} 件，想兑换 {wanted} 件")]
    OutOfStock {
        /// What is left.
        stock: i64,
        /// What was asked.
        wanted: i64,
    },
    /// The quantity is not 1 to [`MAX_QUANTITY`].
    #[error("兑换数量须为 1 到 {MAX_QUANTITY} 件")]
    InvalidQuantity,
    /// Service shorter than half an hour, or longer than a day.
    #[error("服务时长须在 30 分钟到 12 小时之间")]
    InvalidDuration,
    /// The posting was already reversed, or is itself a reversal.
    #[error("这笔积分已冲正过，或本身就是冲正，不能再冲正")]
    NotReversible,
}

/// Moves `points` from one account to another.
pub fn transfer(from: i64, to: i64, points: i64) -> Result<[Line; 2], LedgerError> {
    if !(1..=MAX_POSTING).contains(&points) {
        return Err(LedgerError::InvalidPoints);
    }
    Ok([
        Line {
            account: from,
            amount: -points,
        },
        Line {
            account: to,
            amount: points,
        },
    ])
}

/// Checks a posting's lines: none zero, summing to zero.
pub fn check(lines: &[Line]) -> Result<(), LedgerError> {
    let mut sum: i64 = 0;
    for l in lines {
        if l.amount == 0 {
            return Err(LedgerError::Unbalanced);
        }
        sum = sum.checked_add(l.amount).ok_or(LedgerError::Unbalanced)?;
    }
    if sum != 0 || lines.len() < 2 {
        return Err(LedgerError::Unbalanced);
    }
    Ok(())
}

/// The lines that undo `lines`.
pub fn reversal(lines: &[Line]) -> Vec<Line> {
    lines
        .iter()
        .map(|l| Line {
            account: l.account,
            amount: -l.amount,
        })
        .collect()
}

/// What `quantity` of a good priced `price` points costs.
pub fn cost(price: i64, quantity: i64) -> Result<i64, LedgerError> {
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(LedgerError::InvalidQuantity);
    }
    price
        .checked_mul(quantity)
        .filter(|c| (1..=MAX_POSTING).contains(c))
        .ok_or(LedgerError::InvalidPoints)
}

/// A member's balance after taking `amount` out, if it stays at zero or above.
pub fn debit(balance: i64, amount: i64) -> Result<i64, LedgerError> {
    match balance.checked_sub(amount) {
        Some(left) if left >= 0 => Ok(left),
        _ => Err(LedgerError::Insufficient {
            balance,
            needed: amount,
        }),
    }
}

/// The stock left after taking `wanted`, if there is enough.
pub fn take_stock(stock: i64, wanted: i64) -> Result<i64, LedgerError> {
    if wanted > stock {
        return Err(LedgerError::OutOfStock { stock, wanted });
    }
    Ok(stock - wanted)
}

/// Points for verified service of `minutes`: [`POINTS_PER_HOUR`] an hour, counted in whole
/// half hours (45 minutes earn what 30 do).
pub fn service_points(minutes: i64) -> Result<i64, LedgerError> {
    if !(30..=12 * 60).contains(&minutes) {
        return Err(LedgerError::InvalidDuration);
    }
    Ok(minutes / 30 * POINTS_PER_HOUR / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfers_balance_and_reversals_undo_them() {
        let lines = transfer(1, 2, 30).unwrap();
        assert_eq!(check(&lines), Ok(()));
        let back = reversal(&lines);
        assert_eq!(check(&back), Ok(()));
        let net: i64 = lines.iter().chain(&back).map(|l| l.amount).sum();
        assert_eq!(net, 0);
        assert_eq!(
            back[1],
            Line {
                account: 2,
                amount: -30
            }
        );
        assert_eq!(transfer(1, 2, 0), Err(LedgerError::InvalidPoints));
        assert_eq!(transfer(1, 2, -5), Err(LedgerError::InvalidPoints));
        assert_eq!(
            transfer(1, 2, MAX_POSTING + 1),
            Err(LedgerError::InvalidPoints)
        );
    }

    #[test]
    fn unbalanced_or_zero_lines_are_refused() {
        let one_sided = [
            Line {
                account: 1,
                amount: 5,
            },
            Line {
                account: 2,
                amount: -4,
            },
        ];
        assert_eq!(check(&one_sided), Err(LedgerError::Unbalanced));
        let zero = [
            Line {
                account: 1,
                amount: 0,
            },
            Line {
                account: 2,
                amount: 0,
            },
        ];
        assert_eq!(check(&zero), Err(LedgerError::Unbalanced));
        assert_eq!(check(&[]), Err(LedgerError::Unbalanced));
        let overflow = [
            Line {
                account: 1,
                amount: i64::MAX,
            },
            Line {
                account: 2,
                amount: i64::MAX,
            },
        ];
        assert_eq!(check(&overflow), Err(LedgerError::Unbalanced));
    }

    #[test]
    fn balances_never_go_negative_and_stock_never_below_zero() {
        assert_eq!(debit(50, 50), Ok(0));
        assert_eq!(
            debit(49, 50),
            Err(LedgerError::Insufficient {
                balance: 49,
                needed: 50
            })
        );
        assert_eq!(take_stock(3, 3), Ok(0));
        assert_eq!(
            take_stock(1, 2),
            Err(LedgerError::OutOfStock {
                stock: 1,
                wanted: 2
            })
        );
        assert!(AccountKind::Issuer.may_go_negative());
        assert!(!AccountKind::Member.may_go_negative());
        assert!(!AccountKind::Store.may_go_negative());
    }

    #[test]
    fn cost_is_price_times_a_sane_quantity() {
        assert_eq!(cost(30, 2), Ok(60));
        assert_eq!(cost(30, 0), Err(LedgerError::InvalidQuantity));
        assert_eq!(
            cost(30, MAX_QUANTITY + 1),
            Err(LedgerError::InvalidQuantity)
        );
        assert_eq!(cost(i64::MAX, 2), Err(LedgerError::InvalidPoints));
    }

    #[test]
    fn service_earns_ten_points_an_hour_in_half_hours() {
        assert_eq!(service_points(30), Ok(5));
        assert_eq!(service_points(45), Ok(5));
        assert_eq!(service_points(120), Ok(20));
        assert_eq!(service_points(29), Err(LedgerError::InvalidDuration));
        assert_eq!(service_points(13 * 60), Err(LedgerError::InvalidDuration));
    }

    #[test]
    fn posting_kinds_round_trip() {
        for k in PostingKind::ALL {
            assert_eq!(k.as_str().parse::<PostingKind>().ok(), Some(k));
        }
    }
}
