//! 微心愿: 群众点单、社区派单、党员接单. A resident posts a need (or a grid worker does for
//! them); the community reviews it and publishes it with a deadline and a points reward; one
//! confirmed member claims it, and the claim lapses if not completed in time; the member
//! completes it; the resident (or a grid worker for them) confirms, and the points are
//! credited.

use serde::{Deserialize, Serialize};

/// How long a claim holds before the wish goes back to the list, hours.
pub const CLAIM_HOURS: i64 = 72;

/// The most points a wish may carry.
pub const MAX_REWARD: i64 = 200;

/// Where a wish stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WishStage {
    /// 待审核: posted, waiting for the community.
    Submitted,
    /// 未采纳: the community declined it (with a reason).
    Declined,
    /// 待认领: published, open to claim.
    Published,
    /// 已认领: one member is on it.
    Claimed,
    /// 待确认: the member says it is done.
    Done,
    /// 已圆梦: the resident confirmed; points credited.
    Confirmed,
}

impl WishStage {
    /// All stages, in order.
    pub const ALL: [WishStage; 6] = [
        WishStage::Submitted,
        WishStage::Declined,
        WishStage::Published,
        WishStage::Claimed,
        WishStage::Done,
        WishStage::Confirmed,
    ];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            WishStage::Submitted => "submitted",
            WishStage::Declined => "declined",
            WishStage::Published => "published",
            WishStage::Claimed => "claimed",
            WishStage::Done => "done",
            WishStage::Confirmed => "confirmed",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            WishStage::Submitted => "待审核",
            WishStage::Declined => "未采纳",
            WishStage::Published => "待认领",
            WishStage::Claimed => "已认领",
            WishStage::Done => "待确认",
            WishStage::Confirmed => "已圆梦",
        }
    }

    /// The stage as it stands at `now`: a claim past its time is open again.
    pub fn at(self, claim_expires_at: Option<i64>, now: i64) -> WishStage {
        match (self, claim_expires_at) {
            (WishStage::Claimed, Some(t)) if t <= now => WishStage::Published,
            _ => self,
        }
    }
}

/// Who acts on a wish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WishActor {
    /// The resident, by the wish's tracking code.
    Resident,
    /// Staff of the wish's community (its officers, grid staff, or above).
    Community,
    /// A confirmed member; `holds` says whether the claim is theirs.
    Member {
        /// The live claim is this member's.
        holds: bool,
    },
}

/// What is done to a wish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WishAction {
    /// 派单: publish with a deadline and reward.
    Publish,
    /// Decline (未采纳).
    Decline,
    /// 接单.
    Claim,
    /// Give a claim back.
    Release,
    /// Report it done.
    Complete,
    /// Confirm it was done (圆梦).
    Confirm,
    /// Send back to the member: not done after all.
    Reopen,
}

impl WishAction {
    fn label(self) -> &'static str {
        match self {
            WishAction::Publish => "发布",
            WishAction::Decline => "不予采纳",
            WishAction::Claim => "认领",
            WishAction::Release => "放弃认领",
            WishAction::Complete => "完成",
            WishAction::Confirm => "确认",
            WishAction::Reopen => "退回",
        }
    }
}

/// Why a wish action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WishError {
    /// Not this actor's to do.
    #[error("无权{0}这个心愿")]
    NotAllowed(&'static str),
    /// Not in this stage.
    #[error("心愿当前为“{stage}”，不能{action}")]
    WrongStage {
        /// The stage now.
        stage: &'static str,
        /// What was tried.
        action: &'static str,
    },
    /// Someone else holds the claim.
    #[error("这个心愿已被其他人认领")]
    Taken,
    /// The reward is out of range.
    #[error("奖励积分须为 1 到 {MAX_REWARD} 分")]
    InvalidReward,
    /// The deadline is not in the future.
    #[error("完成期限须晚于现在")]
    PastDeadline,
}

/// Checks a publication's reward and deadline.
pub fn check_publication(points: i64, deadline: i64, now: i64) -> Result<(), WishError> {
    if !(1..=MAX_REWARD).contains(&points) {
        return Err(WishError::InvalidReward);
    }
    if deadline <= now {
        return Err(WishError::PastDeadline);
    }
    Ok(())
}

/// The stage `action` by `actor` leads to from `stage` (already read at the current time
/// with [`WishStage::at`]).
pub fn next(
    stage: WishStage,
    action: WishAction,
    actor: WishActor,
) -> Result<WishStage, WishError> {
    use WishAction as A;
    use WishStage as S;
    let allowed = match action {
        A::Publish | A::Decline => actor == WishActor::Community,
        A::Claim | A::Release | A::Complete => matches!(actor, WishActor::Member { .. }),
        A::Confirm | A::Reopen => matches!(actor, WishActor::Resident | WishActor::Community),
    };
    if !allowed {
        return Err(WishError::NotAllowed(action.label()));
    }
    let holds = matches!(actor, WishActor::Member { holds: true });
    let wrong = || WishError::WrongStage {
        stage: stage.label(),
        action: action.label(),
    };
    match (action, stage) {
        (A::Publish, S::Submitted) => Ok(S::Published),
        (A::Decline, S::Submitted) => Ok(S::Declined),
        (A::Claim, S::Published) => Ok(S::Claimed),
        (A::Claim, S::Claimed | S::Done) if !holds => Err(WishError::Taken),
        (A::Release | A::Complete, S::Claimed) if !holds => Err(WishError::Taken),
        (A::Release, S::Claimed) => Ok(S::Published),
        (A::Complete, S::Claimed) => Ok(S::Done),
        (A::Confirm, S::Done) => Ok(S::Confirmed),
        (A::Reopen, S::Done) => Ok(S::Claimed),
        _ => Err(wrong()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use WishAction as A;
    use WishStage as S;

    const MINE: WishActor = WishActor::Member { holds: true };
    const OTHER: WishActor = WishActor::Member { holds: false };

    #[test]
    fn a_wish_goes_from_posted_to_confirmed() {
        let mut s = S::Submitted;
        for (action, actor, to) in [
            (A::Publish, WishActor::Community, S::Published),
            (A::Claim, OTHER, S::Claimed),
            (A::Complete, MINE, S::Done),
            (A::Reopen, WishActor::Resident, S::Claimed),
            (A::Complete, MINE, S::Done),
            (A::Confirm, WishActor::Resident, S::Confirmed),
        ] {
            s = next(s, action, actor).unwrap();
            assert_eq!(s, to);
        }
        assert!(matches!(
            next(s, A::Confirm, WishActor::Community),
            Err(WishError::WrongStage { .. })
        ));
    }

    #[test]
    fn only_one_member_holds_a_claim() {
        assert_eq!(next(S::Claimed, A::Claim, OTHER), Err(WishError::Taken));
        assert_eq!(next(S::Claimed, A::Complete, OTHER), Err(WishError::Taken));
        assert_eq!(next(S::Claimed, A::Release, OTHER), Err(WishError::Taken));
        assert_eq!(next(S::Claimed, A::Release, MINE), Ok(S::Published));
        assert!(matches!(
            next(S::Claimed, A::Claim, MINE),
            Err(WishError::WrongStage { .. })
        ));
    }

    #[test]
    fn each_party_does_only_its_part() {
        assert_eq!(
            next(S::Submitted, A::Publish, MINE),
            Err(WishError::NotAllowed("发布"))
        );
        assert_eq!(
            next(S::Published, A::Claim, WishActor::Community),
            Err(WishError::NotAllowed("认领"))
        );
        assert_eq!(
            next(S::Done, A::Confirm, MINE),
            Err(WishError::NotAllowed("确认"))
        );
        assert_eq!(
            next(S::Submitted, A::Decline, WishActor::Community),
            Ok(S::Declined)
        );
    }

    #[test]
    fn a_lapsed_claim_is_open_again() {
        assert_eq!(S::Claimed.at(Some(100), 99), S::Claimed);
        assert_eq!(S::Claimed.at(Some(100), 100), S::Published);
        assert_eq!(S::Done.at(Some(100), 500), S::Done);
        assert_eq!(
            next(S::Claimed.at(Some(100), 200), A::Claim, OTHER),
            Ok(S::Claimed)
        );
    }

    #[test]
    fn publications_need_a_reward_and_a_future_deadline() {
        assert_eq!(check_publication(20, 2, 1), Ok(()));
        assert_eq!(check_publication(0, 2, 1), Err(WishError::InvalidReward));
        assert_eq!(
            check_publication(MAX_REWARD + 1, 2, 1),
            Err(WishError::InvalidReward)
        );
        assert_eq!(check_publication(20, 1, 1), Err(WishError::PastDeadline));
    }

    #[test]
    fn stages_round_trip() {
        for s in S::ALL {
            assert_eq!(s.as_str().parse::<S>(), Ok(s));
        }
    }
}
