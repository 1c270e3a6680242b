//! The texts a resident gets about something they left a phone for (短信通知): a report, an
//! opinion in the box, a wish, a topic they follow — which steps send one and what each says.
//! A gateway that takes free text gets [`TextKind::compose`]; one that takes a registered
//! template (the common Chinese SMS APIs) gets its id and [`TextKind::params`].

use crate::case::{Action, Satisfaction};
use crate::participation::WishStage;
use crate::register::labels::labelled;

/// What a text tells, and about what.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TextKind {
    /// A report 已登记: filed, with the tracking code and link.
    Filed,
    /// A report 已受理.
    Accepted,
    /// A report 不予受理, with the reason.
    Rejected,
    /// A report 已办结: asks for the rating, with a one-tap link.
    Closed,
    /// A report 重新办理 after a 不满意.
    Reopened,
    /// An opinion answered by the community, read with its code.
    OpinionAnswered,
    /// An opinion taken up as a case.
    OpinionCase,
    /// A wish published for members to claim (派单).
    WishPublished,
    /// A wish not taken up, with the reason.
    WishDeclined,
    /// A wish fulfilled: asks the resident to confirm.
    WishDone,
    /// News of a topic the phone follows, quoted.
    TopicNews,
    /// A grid's notice or warning, to a resident who opted in: its level and title, and a link
    /// of its own (an opened link counts as read).
    Notice,
}

/// Longest reason quoted in a text (a text is paid per 70 characters).
const REASON_CHARS: usize = 40;

impl TextKind {
    /// Every kind.
    pub const ALL: [TextKind; 12] = [
        TextKind::Filed,
        TextKind::Accepted,
        TextKind::Rejected,
        TextKind::Closed,
        TextKind::Reopened,
        TextKind::OpinionAnswered,
        TextKind::OpinionCase,
        TextKind::WishPublished,
        TextKind::WishDeclined,
        TextKind::WishDone,
        TextKind::TopicNews,
        TextKind::Notice,
    ];

    /// The stored form (also the template key in the gateway's settings).
    pub fn as_str(self) -> &'static str {
        match self {
            TextKind::Filed => "filed",
            TextKind::Accepted => "accepted",
            TextKind::Rejected => "rejected",
            TextKind::Closed => "closed",
            TextKind::Reopened => "reopened",
            TextKind::OpinionAnswered => "opinion_answered",
            TextKind::OpinionCase => "opinion_case",
            TextKind::WishPublished => "wish_published",
            TextKind::WishDeclined => "wish_declined",
            TextKind::WishDone => "wish_done",
            TextKind::TopicNews => "topic_news",
            TextKind::Notice => "notice",
        }
    }

    /// Chinese name (the delivery log).
    pub fn label(self) -> &'static str {
        match self {
            TextKind::Filed => "登记通知",
            TextKind::Accepted => "受理通知",
            TextKind::Rejected => "不予受理通知",
            TextKind::Closed => "办结评价邀请",
            TextKind::Reopened => "重新办理通知",
            TextKind::OpinionAnswered => "意见答复通知",
            TextKind::OpinionCase => "意见转办通知",
            TextKind::WishPublished => "心愿派单通知",
            TextKind::WishDeclined => "心愿未采纳通知",
            TextKind::WishDone => "心愿完成确认邀请",
            TextKind::TopicNews => "议题进展通知",
            TextKind::Notice => "网格公告",
        }
    }

    /// The text a case step sends the reporter, if it sends one.
    pub fn after(action: &Action) -> Option<TextKind> {
        match action {
            Action::Accept => Some(TextKind::Accepted),
            Action::Reject { .. } => Some(TextKind::Rejected),
            Action::Close => Some(TextKind::Closed),
            Action::Rate {
                satisfaction: Satisfaction::Dissatisfied,
            } => Some(TextKind::Reopened),
            _ => None,
        }
    }

    /// The text a wish's move from `from` to `to` sends the resident who made it, if any (a
    /// wish published again after a member let it go sends nothing new).
    pub fn after_wish(from: WishStage, to: WishStage) -> Option<TextKind> {
        match (from, to) {
            (WishStage::Submitted, WishStage::Published) => Some(TextKind::WishPublished),
            (_, WishStage::Declined) => Some(TextKind::WishDeclined),
            (_, WishStage::Done) => Some(TextKind::WishDone),
            _ => None,
        }
    }

    /// The path the text links to, under the public address: the page the code opens (a
    /// report's tracking page or its rating form, an opinion's, a wish's, a topic's).
    pub fn path(self, code: &str) -> String {
        match self {
            TextKind::Closed => format!("/t/{code}#rate"),
            TextKind::Filed | TextKind::Accepted | TextKind::Rejected | TextKind::Reopened => {
                format!("/t/{code}")
            }
            TextKind::OpinionAnswered | TextKind::OpinionCase => format!("/ot/{code}"),
            TextKind::WishPublished | TextKind::WishDeclined | TextKind::WishDone => {
                format!("/wt/{code}")
            }
            TextKind::TopicNews => format!("/pt/{code}"),
            TextKind::Notice => format!("/n/{code}"),
        }
    }

    /// Whether the text quotes a reason (or, for a topic, its news).
    fn quotes(self) -> bool {
        matches!(
            self,
            TextKind::Rejected | TextKind::WishDeclined | TextKind::TopicNews | TextKind::Notice
        )
    }

    /// A template's parameters: `code`, `link` and, where the text quotes one, `reason`.
    pub fn params(self, code: &str, link: &str, reason: &str) -> Vec<(&'static str, String)> {
        let mut out = vec![("code", code.to_owned()), ("link", link.to_owned())];
        if self.quotes() {
            out.push(("reason", short(reason)));
        }
        out
    }

    /// The whole text, for gateways that take free text (and the log).
    pub fn compose(self, code: &str, link: &str, reason: &str) -> String {
        match self {
            TextKind::Filed => {
                format!("您反映的问题已登记，查询码 {code}，办理进度请看 {link}")
            }
            TextKind::Accepted => {
                format!("您反映的问题（查询码 {code}）已受理，正在办理。进度：{link}")
            }
            TextKind::Rejected => format!(
                "您反映的问题（查询码 {code}）不予受理，原因：{}。如有疑问可联系所在社区。",
                short(reason)
            ),
            TextKind::Closed => {
                format!("您反映的问题（查询码 {code}）已办结，请点此评价：{link}")
            }
            TextKind::Reopened => {
                format!("收到您的不满意评价，问题（查询码 {code}）已重新办理。进度：{link}")
            }
            TextKind::OpinionAnswered => {
                format!("您提的意见（查询码 {code}）社区已答复，请看 {link}")
            }
            TextKind::OpinionCase => {
                format!("您提的意见（查询码 {code}）已转为事件办理，进度：{link}")
            }
            TextKind::WishPublished => {
                format!("您的微心愿（查询码 {code}）已发布，等待志愿者认领。进度：{link}")
            }
            TextKind::WishDeclined => format!(
                "您的微心愿（查询码 {code}）未被采纳，原因：{}。如有疑问可联系所在社区。",
                short(reason)
            ),
            TextKind::WishDone => {
                format!("您的微心愿（查询码 {code}）志愿者已完成，请点此确认：{link}")
            }
            TextKind::TopicNews => {
                format!("您关注的议题{}。详情：{link}", short(reason))
            }
            TextKind::Notice => format!("网格公告 {}。详情：{link} 回复TD退订", short(reason)),
        }
    }
}

fn short(reason: &str) -> String {
    let reason = reason.trim();
    if reason.chars().count() <= REASON_CHARS {
        return reason.to_owned();
    }
    let mut cut: String = reason.chars().take(REASON_CHARS - 1).collect();
    cut.push('…');
    cut
}

labelled! {
    /// What the gateway's status report (回执) says of a text it accepted.
    Receipt {
        /// The handset got it.
        Delivered = "delivered", "已送达";
        /// The carrier gave up on it (switched off too long, number gone, refused).
        Undelivered = "undelivered", "未送达";
    }
}

impl Receipt {
    /// Reads a gateway's status word: the carriers' `DELIVRD` (CMPP/SGIP/SMGP), the gateways'
    /// `DELIVERED`, `SUCCESS` or `0` mean delivered; any other word (`UNDELIV`, `EXPIRED`,
    /// `REJECTD`, `MK:0001` …) did not reach the handset.
    pub fn from_gateway(word: &str) -> Receipt {
        match word.trim().to_ascii_uppercase().as_str() {
            "DELIVRD" | "DELIVERED" | "SUCCESS" | "0" | "TRUE" => Receipt::Delivered,
            _ => Receipt::Undelivered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_steps_that_matter_send_a_text_that_says_what_to_do() {
        assert_eq!(TextKind::after(&Action::Accept), Some(TextKind::Accepted));
        assert_eq!(TextKind::after(&Action::Start), None);
        let rated = Action::Rate {
            satisfaction: Satisfaction::Satisfied,
        };
        assert_eq!(TextKind::after(&rated), None);
        let closed = TextKind::Closed.compose("K7QM3XPA", "https://x.cn/t/K7QM3XPA#rate", "");
        assert!(closed.contains("请点此评价") && closed.contains("#rate"));
        let long = "理由".repeat(50);
        let rejected = TextKind::Rejected.compose("K7QM3XPA", "", &long);
        assert!(rejected.contains('…') && rejected.chars().count() < 100);
        assert_eq!(
            TextKind::Rejected.params("K7QM3XPA", "l", "重复")[2],
            ("reason", "重复".to_owned())
        );
        let done = TextKind::after_wish(WishStage::Claimed, WishStage::Done);
        assert_eq!(done, Some(TextKind::WishDone));
        assert_eq!(
            TextKind::after_wish(WishStage::Claimed, WishStage::Published),
            None
        );
        assert_eq!(TextKind::WishDone.path("W7QM3XPAB"), "/wt/W7QM3XPAB");
        assert_eq!(
            TextKind::TopicNews
                .params("12", "l", "“加装电梯”已表决通过")
                .len(),
            3
        );
    }

    #[test]
    fn a_receipt_is_delivered_only_when_the_carrier_says_so() {
        for w in ["DELIVRD", "delivered", " SUCCESS ", "0", "true"] {
            assert_eq!(Receipt::from_gateway(w), Receipt::Delivered, "{w}");
        }
        for w in ["UNDELIV", "EXPIRED", "REJECTD", "MK:0001", "", "false"] {
            assert_eq!(Receipt::from_gateway(w), Receipt::Undelivered, "{w}");
        }
    }
}
