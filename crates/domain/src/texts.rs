//! The texts a resident gets about a report they left a phone for (短信通知): which steps send
//! one and what each says. A gateway that takes free text gets [`CaseText::compose`]; one that
//! takes a registered template (the common Chinese SMS APIs) gets its id and
//! [`CaseText::params`].

use crate::case::{Action, Satisfaction};

/// A step of a case the reporter is told about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CaseText {
    /// 已登记: filed, with the tracking code and link.
    Filed,
    /// 已受理.
    Accepted,
    /// 不予受理, with the reason.
    Rejected,
    /// 已办结: asks for the rating, with a one-tap link.
    Closed,
    /// 重新办理 after a 不满意.
    Reopened,
}

/// Longest reason quoted in a text (a text is paid per 70 characters).
const REASON_CHARS: usize = 40;

impl CaseText {
    /// Every kind.
    pub const ALL: [CaseText; 5] = [
        CaseText::Filed,
        CaseText::Accepted,
        CaseText::Rejected,
        CaseText::Closed,
        CaseText::Reopened,
    ];

    /// The stored form (also the template key in the gateway's settings).
    pub fn as_str(self) -> &'static str {
        match self {
            CaseText::Filed => "filed",
            CaseText::Accepted => "accepted",
            CaseText::Rejected => "rejected",
            CaseText::Closed => "closed",
            CaseText::Reopened => "reopened",
        }
    }

    /// Chinese name (the delivery log).
    pub fn label(self) -> &'static str {
        match self {
            CaseText::Filed => "登记通知",
            CaseText::Accepted => "受理通知",
            CaseText::Rejected => "不予受理通知",
            CaseText::Closed => "办结评价邀请",
            CaseText::Reopened => "重新办理通知",
        }
    }

    /// The text a step sends the reporter, if it sends one.
    pub fn after(action: &Action) -> Option<CaseText> {
        match action {
            Action::Accept => Some(CaseText::Accepted),
            Action::Reject { .. } => Some(CaseText::Rejected),
            Action::Close => Some(CaseText::Closed),
            Action::Rate {
                satisfaction: Satisfaction::Dissatisfied,
            } => Some(CaseText::Reopened),
            _ => None,
        }
    }

    /// The path the text links to, under the public address: the tracking page, or its
    /// rating form.
    pub fn path(self, tracking: &str) -> String {
        match self {
            CaseText::Closed => format!("/t/{tracking}#rate"),
            _ => format!("/t/{tracking}"),
        }
    }

    /// A template's parameters: `code`, `link` and (when rejected) `reason`.
    pub fn params(self, tracking: &str, link: &str, reason: &str) -> Vec<(&'static str, String)> {
        let mut out = vec![("code", tracking.to_owned()), ("link", link.to_owned())];
        if self == CaseText::Rejected {
            out.push(("reason", short(reason)));
        }
        out
    }

    /// The whole text, for gateways that take free text (and the log).
    pub fn compose(self, tracking: &str, link: &str, reason: &str) -> String {
        match self {
            CaseText::Filed => {
                format!("您反映的问题已登记，查询码 {tracking}，办理进度请看 {link}")
            }
            CaseText::Accepted => {
                format!("您反映的问题（查询码 {tracking}）已受理，正在办理。进度：{link}")
            }
            CaseText::Rejected => format!(
                "您反映的问题（查询码 {tracking}）不予受理，原因：{}。如有疑问可联系所在社区。",
                short(reason)
            ),
            CaseText::Closed => {
                format!("您反映的问题（查询码 {tracking}）已办结，请点此评价：{link}")
            }
            CaseText::Reopened => {
                format!("收到您的不满意评价，问题（查询码 {tracking}）已重新办理。进度：{link}")
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_steps_that_matter_send_a_text_that_says_what_to_do() {
        assert_eq!(CaseText::after(&Action::Accept), Some(CaseText::Accepted));
        assert_eq!(CaseText::after(&Action::Start), None);
        let rated = Action::Rate {
            satisfaction: Satisfaction::Satisfied,
        };
        assert_eq!(CaseText::after(&rated), None);
        let closed = CaseText::Closed.compose("K7QM3XPA", "https://x.cn/t/K7QM3XPA#rate", "");
        assert!(closed.contains("请点此评价") && closed.contains("#rate"));
        let long = "理由".repeat(50);
        let rejected = CaseText::Rejected.compose("K7QM3XPA", "", &long);
        assert!(rejected.contains('…') && rejected.chars().count() < 100);
        assert_eq!(
            CaseText::Rejected.params("K7QM3XPA", "l", "重复")[2],
            ("reason", "重复".to_owned())
        );
    }
}
