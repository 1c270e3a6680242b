//! 网格公告 and 预警 (notices and warnings to a grid's households) and 叫应 (calling every
//! vulnerable household in a warning until each one answers): what a notice must say, and when
//! a household's call counts as done or overdue. Plain rules; storage keeps what they decide.

use crate::register::labels::labelled;

pub mod attachment;
pub mod cap;

labelled! {
    /// How urgent a notice is.
    NoticeLevel {
        /// 一般: a vaccination day, a policy explained.
        Normal = "normal", "一般";
        /// 重要: a water or power cut, a road closed.
        Important = "important", "重要";
        /// 预警: weather or a disaster coming; every vulnerable household is called (叫应).
        Warning = "warning", "预警";
    }
}

labelled! {
    /// The colour of a warning, as China's early-warning system grades them (red the gravest).
    WarningColor {
        /// 蓝色预警.
        Blue = "blue", "蓝色" | "蓝色预警";
        /// 黄色预警.
        Yellow = "yellow", "黄色" | "黄色预警";
        /// 橙色预警.
        Orange = "orange", "橙色" | "橙色预警";
        /// 红色预警.
        Red = "red", "红色" | "红色预警";
    }
}

labelled! {
    /// Where a household's 叫应 stands.
    CallOutcome {
        /// 待叫应: nobody has called yet.
        Pending = "pending", "待叫应";
        /// 已叫应: someone in the household answered and knows.
        Reached = "reached", "已叫应";
        /// 已转移: moved to safety.
        Moved = "moved", "已转移";
        /// 未联系上: called and visited, nobody found; the community follows up.
        Unreached = "unreached", "未联系上";
    }
}

impl CallOutcome {
    /// Whether the household is accounted for (reached, or moved to safety).
    pub fn done(self) -> bool {
        matches!(self, CallOutcome::Reached | CallOutcome::Moved)
    }

    /// What a grid worker may record (not "pending" again).
    pub fn recordable(self) -> bool {
        self != CallOutcome::Pending
    }
}

/// How a notice's level reads: 橙色预警 for a warning, else 一般 or 重要.
pub fn level_words(level: NoticeLevel, color: Option<WarningColor>) -> String {
    match (level, color) {
        (NoticeLevel::Warning, Some(c)) => format!("{}预警", c.label()),
        (level, _) => level.label().to_owned(),
    }
}

/// How long the grid staff have to call every vulnerable household once a warning takes
/// effect, by its colour: the graver, the sooner.
pub fn respond_within_ms(color: WarningColor) -> i64 {
    const HOUR: i64 = 3_600_000;
    match color {
        WarningColor::Red => HOUR,
        WarningColor::Orange => 2 * HOUR,
        WarningColor::Yellow => 3 * HOUR,
        WarningColor::Blue => 6 * HOUR,
    }
}

/// Whether a household not accounted for is overdue: the deadline has passed.
pub fn overdue(outcome: CallOutcome, respond_by: i64, now: i64) -> bool {
    !outcome.done() && now >= respond_by
}

/// Longest title, in characters: what a text and a list line carry.
pub const MAX_TITLE: usize = 40;
/// Longest text, in characters.
pub const MAX_BODY: usize = 1000;
/// Longest a notice is shown: a year.
pub const MAX_VALID_MS: i64 = 366 * 86_400_000;

/// A notice as asked for, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft<'a> {
    /// Level.
    pub level: NoticeLevel,
    /// Colour, for a warning.
    pub color: Option<WarningColor>,
    /// Title.
    pub title: &'a str,
    /// Text.
    pub body: &'a str,
    /// Shown from (ms).
    pub starts_at: i64,
    /// Shown until (ms).
    pub ends_at: i64,
    /// For a warning: when every vulnerable household must have been called (ms).
    pub respond_by: Option<i64>,
}

/// What is wrong with a draft, every problem at once, as (field, message).
pub fn problems(d: &Draft<'_>) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let chars = |s: &str| s.trim().chars().count();
    if chars(d.title) == 0 || chars(d.title) > MAX_TITLE {
        out.push(("title", format!("请填写标题（不超过 {MAX_TITLE} 个字）")));
    }
    if chars(d.body) == 0 || chars(d.body) > MAX_BODY {
        out.push(("body", format!("请填写公告内容（不超过 {MAX_BODY} 个字）")));
    }
    if d.ends_at <= d.starts_at {
        out.push(("ends_at", "结束时间要晚于开始时间".into()));
    } else if d.ends_at - d.starts_at > MAX_VALID_MS {
        out.push(("ends_at", "公告最长显示一年".into()));
    }
    match d.level {
        NoticeLevel::Warning => {
            if d.color.is_none() {
                out.push((
                    "color",
                    format!("预警要选颜色：{}", WarningColor::choices()),
                ));
            }
            match d.respond_by {
                None => out.push(("respond_by", "预警要定叫应时限".into())),
                Some(t) if t <= d.starts_at || t > d.ends_at => {
                    out.push(("respond_by", "叫应时限要在公告开始之后、结束之前".into()))
                }
                Some(_) => {}
            }
        }
        _ => {
            if d.color.is_some() || d.respond_by.is_some() {
                out.push(("level", "只有预警有颜色和叫应时限".into()));
            }
        }
    }
    out
}

/// Whether a resident's reply to a notice text asks for no more: 退订, TD, T, N, 取消, 0000 or
/// STOP, whatever the case, spaces and punctuation — and nothing else, so a reply that only
/// mentions 退订 in a sentence is read by a person, not acted on.
pub fn opts_out(reply: &str) -> bool {
    let word: String = reply
        .chars()
        .filter(|c| {
            !c.is_whitespace() && !c.is_ascii_punctuation() && !"，。！？、；：".contains(*c)
        })
        .collect::<String>()
        .to_ascii_uppercase();
    matches!(
        word.as_str(),
        "退订"
            | "TD"
            | "T"
            | "N"
            | "取消"
            | "取消订阅"
            | "退订公告"
            | "0000"
            | "STOP"
            | "UNSUBSCRIBE"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn warning() -> Draft<'static> {
        Draft {
            level: NoticeLevel::Warning,
            color: Some(WarningColor::Orange),
            title: "暴雨橙色预警",
            body: "预计未来6小时港北区降雨量将达50毫米以上，请低洼地带居民做好防范。",
            starts_at: 0,
            ends_at: 24 * HOUR,
            respond_by: Some(3 * HOUR),
        }
    }

    #[test]
    fn a_warning_needs_a_colour_and_a_deadline_inside_its_validity() {
        assert!(problems(&warning()).is_empty());
        let fields = |d: &Draft<'_>| problems(d).into_iter().map(|(f, _)| f).collect::<Vec<_>>();
        let mut d = warning();
        d.color = None;
        d.respond_by = Some(25 * HOUR);
        assert_eq!(fields(&d), ["color", "respond_by"]);
        d = warning();
        d.respond_by = None;
        assert_eq!(fields(&d), ["respond_by"]);
        let notice = Draft {
            level: NoticeLevel::Normal,
            color: Some(WarningColor::Red),
            ..warning()
        };
        assert_eq!(fields(&notice), ["level"]);
    }

    #[test]
    fn title_text_and_validity_are_checked_together() {
        let d = Draft {
            level: NoticeLevel::Important,
            color: None,
            title: " ",
            body: &"停水".repeat(600),
            starts_at: 10,
            ends_at: 10,
            respond_by: None,
        };
        let fields: Vec<_> = problems(&d).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["title", "body", "ends_at"]);
    }

    #[test]
    fn reached_or_moved_is_done_and_nothing_else_is_once_the_deadline_passes() {
        assert!(CallOutcome::Moved.done() && CallOutcome::Reached.done());
        assert!(!overdue(CallOutcome::Pending, 100, 99));
        assert!(overdue(CallOutcome::Pending, 100, 100));
        assert!(overdue(CallOutcome::Unreached, 100, 150));
        assert!(!overdue(CallOutcome::Moved, 100, 150));
        assert!(!CallOutcome::Pending.recordable());
        assert_eq!(
            WarningColor::from_typed("红色预警"),
            Some(WarningColor::Red)
        );
    }

    #[test]
    fn only_a_reply_that_is_an_opt_out_word_opts_out() {
        for r in [
            "TD",
            "td",
            " 退订 ",
            "退订。",
            "T",
            "n",
            "0000",
            "取消",
            "Stop!",
        ] {
            assert!(opts_out(r), "{r}");
        }
        for r in [
            "",
            "收到",
            "好的谢谢",
            "我们小区什么时候停水？退订怎么弄",
            "TDD",
        ] {
            assert!(!opts_out(r), "{r}");
        }
    }
}
