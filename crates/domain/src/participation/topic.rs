//! 协商议事: topics (议题) raised by residents or staff and settled by consultation —
//! 大事大议 (a formal meeting of the four parties or CPPCC members, minutes and a vote),
//! 小事小议 (a grid-level discussion), 急事快议 (a fast online round with a short deadline).
//! Resolutions yield suggestions, each adopted by someone, turned into a case, or sent upward
//! (转提案), and tracked to done with evidence (跟踪问效); progress rolls up from suggestions
//! to resolutions to the topic.

use serde::{Deserialize, Serialize};

/// The longest an urgent topic's online round may run, hours.
pub const URGENT_MAX_HOURS: i64 = 72;

/// How big a matter is, which decides how it is consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// 大事: a formal meeting with minutes and a vote.
    Major,
    /// 小事: a grid-level discussion.
    Minor,
    /// 急事: a fast online round.
    Urgent,
}

impl Scale {
    /// Every scale.
    pub const ALL: [Scale; 3] = [Scale::Major, Scale::Minor, Scale::Urgent];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scale::Major => "major",
            Scale::Minor => "minor",
            Scale::Urgent => "urgent",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Scale::Major => "大事大议",
            Scale::Minor => "小事小议",
            Scale::Urgent => "急事快议",
        }
    }

    /// Whether a resolution needs a vote that passed first.
    pub fn needs_vote(self) -> bool {
        self == Scale::Major
    }
}

/// Where a topic stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TopicStage {
    /// 待受理.
    Proposed,
    /// 不予受理 (with a reason).
    Declined,
    /// 协商中: accepted, meetings under way.
    Consulting,
    /// 落实中: resolved; suggestions being carried out.
    Implementing,
    /// 已办结: every suggestion done.
    Done,
}

impl TopicStage {
    /// All stages.
    pub const ALL: [TopicStage; 5] = [
        TopicStage::Proposed,
        TopicStage::Declined,
        TopicStage::Consulting,
        TopicStage::Implementing,
        TopicStage::Done,
    ];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TopicStage::Proposed => "proposed",
            TopicStage::Declined => "declined",
            TopicStage::Consulting => "consulting",
            TopicStage::Implementing => "implementing",
            TopicStage::Done => "done",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            TopicStage::Proposed => "待受理",
            TopicStage::Declined => "不予受理",
            TopicStage::Consulting => "协商中",
            TopicStage::Implementing => "落实中",
            TopicStage::Done => "已办结",
        }
    }
}

/// Whose side a participant speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// 居委会 / 村委会.
    Committee,
    /// 业委会.
    Owners,
    /// 物业.
    Property,
    /// 居民.
    Resident,
    /// 政协委员.
    Cppcc,
    /// 党员.
    PartyMember,
}

impl Side {
    /// All sides.
    pub const ALL: [Side; 6] = [
        Side::Committee,
        Side::Owners,
        Side::Property,
        Side::Resident,
        Side::Cppcc,
        Side::PartyMember,
    ];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Committee => "committee",
            Side::Owners => "owners",
            Side::Property => "property",
            Side::Resident => "resident",
            Side::Cppcc => "cppcc",
            Side::PartyMember => "party_member",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Side::Committee => "居委会",
            Side::Owners => "业委会",
            Side::Property => "物业",
            Side::Resident => "居民",
            Side::Cppcc => "政协委员",
            Side::PartyMember => "党员",
        }
    }
}

/// A vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// 赞成.
    For,
    /// 反对.
    Against,
    /// 弃权.
    Abstain,
}

impl Choice {
    /// Every choice.
    pub const ALL: [Choice; 3] = [Choice::For, Choice::Against, Choice::Abstain];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Choice::For => "for",
            Choice::Against => "against",
            Choice::Abstain => "abstain",
        }
    }
}

/// A vote's count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Tally {
    /// 赞成.
    pub for_: i64,
    /// 反对.
    pub against: i64,
    /// 弃权.
    pub abstain: i64,
    /// Participants present (who could vote).
    pub present: i64,
}

impl Tally {
    /// Passed: more than half of those present voted for (abstaining or not voting counts
    /// as not for), and at least one vote was cast.
    pub fn passed(&self) -> bool {
        self.for_ > 0 && self.for_ * 2 > self.present
    }
}

/// What became of a suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// 采纳: someone takes it on.
    Adopted,
    /// 转事件: it needs handling in the case loop.
    Case,
    /// 转提案: sent upward.
    Upward,
}

impl Disposition {
    /// Every disposition.
    pub const ALL: [Disposition; 3] =
        [Disposition::Adopted, Disposition::Case, Disposition::Upward];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Adopted => "adopted",
            Disposition::Case => "case",
            Disposition::Upward => "upward",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Disposition::Adopted => "采纳落实",
            Disposition::Case => "转为事件",
            Disposition::Upward => "转提案",
        }
    }
}

/// Why a topic step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    /// Not in the stage the step needs.
    #[error("议题当前为“{0}”，不能进行这一步")]
    WrongStage(&'static str),
    /// A 大事 resolution without a passed vote.
    #[error("大事须经会议表决通过后才能形成决议")]
    VoteNotPassed,
    /// Progress outside 0–100, or going backwards.
    #[error("进度须在 0 到 100 之间，且不能倒退")]
    BadProgress,
    /// Done without evidence.
    #[error("办结须说明落实情况（跟踪问效）")]
    NoEvidence,
    /// An urgent topic's deadline is too far.
    #[error("急事快议的截止时间须在 {URGENT_MAX_HOURS} 小时内")]
    UrgentTooLong,
}

/// Checks that a topic is in `want` before a step.
pub fn expect(stage: TopicStage, want: &[TopicStage]) -> Result<(), TopicError> {
    if want.contains(&stage) {
        Ok(())
    } else {
        Err(TopicError::WrongStage(stage.label()))
    }
}

/// Checks an urgent topic's deadline (`None` for other scales).
pub fn check_deadline(scale: Scale, created: i64, deadline: Option<i64>) -> Result<(), TopicError> {
    match (scale, deadline) {
        (Scale::Urgent, Some(d)) if d > created && d - created <= URGENT_MAX_HOURS * 3_600_000 => {
            Ok(())
        }
        (Scale::Urgent, _) => Err(TopicError::UrgentTooLong),
        _ => Ok(()),
    }
}

/// Checks a progress update: 0–100, never backwards; 100 needs evidence.
pub fn check_progress(before: i64, after: i64, evidence: &str) -> Result<(), TopicError> {
    if !(0..=100).contains(&after) || after < before {
        return Err(TopicError::BadProgress);
    }
    if after == 100 && evidence.trim().is_empty() {
        return Err(TopicError::NoEvidence);
    }
    Ok(())
}

/// The mean of parts' progress (0 when there are none): how a resolution stands from its
/// suggestions, and a topic from its resolutions.
pub fn roll_up(parts: &[i64]) -> i64 {
    if parts.is_empty() {
        return 0;
    }
    parts.iter().sum::<i64>() / parts.len() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vote_passes_with_more_than_half_of_those_present() {
        let t = |f, a, ab, p| Tally {
            for_: f,
            against: a,
            abstain: ab,
            present: p,
        };
        assert!(t(4, 1, 1, 7).passed());
        assert!(!t(3, 1, 2, 6).passed(), "half is not more than half");
        assert!(!t(0, 0, 0, 0).passed());
        assert!(t(1, 0, 0, 1).passed());
        assert!(Scale::Major.needs_vote() && !Scale::Minor.needs_vote());
    }

    #[test]
    fn progress_only_moves_forward_and_done_needs_evidence() {
        assert_eq!(check_progress(20, 50, ""), Ok(()));
        assert_eq!(check_progress(50, 20, ""), Err(TopicError::BadProgress));
        assert_eq!(check_progress(0, 101, "x"), Err(TopicError::BadProgress));
        assert_eq!(check_progress(50, 100, " "), Err(TopicError::NoEvidence));
        assert_eq!(check_progress(50, 100, "已安装完毕，照片见附件"), Ok(()));
    }

    #[test]
    fn progress_rolls_up_as_the_mean() {
        assert_eq!(roll_up(&[]), 0);
        assert_eq!(roll_up(&[100, 50, 0]), 50);
        assert_eq!(roll_up(&[roll_up(&[100, 100]), roll_up(&[50])]), 75);
    }

    #[test]
    fn urgent_topics_need_a_deadline_within_three_days() {
        let h = 3_600_000;
        assert_eq!(check_deadline(Scale::Urgent, 0, Some(48 * h)), Ok(()));
        assert_eq!(
            check_deadline(Scale::Urgent, 0, Some(80 * h)),
            Err(TopicError::UrgentTooLong)
        );
        assert_eq!(
            check_deadline(Scale::Urgent, 0, None),
            Err(TopicError::UrgentTooLong)
        );
        assert_eq!(check_deadline(Scale::Major, 0, None), Ok(()));
    }

    #[test]
    fn steps_need_their_stage() {
        assert_eq!(
            expect(TopicStage::Proposed, &[TopicStage::Proposed]),
            Ok(())
        );
        assert_eq!(
            expect(TopicStage::Done, &[TopicStage::Consulting]),
            Err(TopicError::WrongStage("已办结"))
        );
        for s in TopicStage::ALL {
            assert_eq!(s.as_str().parse::<TopicStage>().ok(), Some(s));
        }
        for s in Side::ALL {
            assert_eq!(s.as_str().parse::<Side>().ok(), Some(s));
        }
    }
}
