//! 码上问卷: surveys reached by a QR code. The builder's questions are checked here, as are
//! the answers against them, the open window, and the tally behind the live results. Once the
//! first answer is in, the questions are locked (an edit would change what earlier answers
//! mean).

use serde::{Deserialize, Serialize};

/// Most questions in one survey.
pub const MAX_QUESTIONS: usize = 50;
/// Most options of a choice question.
pub const MAX_OPTIONS: usize = 20;
/// Longest short-text answer, characters.
pub const MAX_TEXT: usize = 500;

/// A question's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// 单选.
    Single,
    /// 多选.
    Multiple,
    /// 评分 1–5.
    Rating,
    /// 简答.
    Text,
}

impl QuestionKind {
    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            QuestionKind::Single => "单选",
            QuestionKind::Multiple => "多选",
            QuestionKind::Rating => "评分",
            QuestionKind::Text => "简答",
        }
    }
}

/// One question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Question {
    /// Kind.
    pub kind: QuestionKind,
    /// The question.
    pub title: String,
    /// Options (choice questions only).
    #[serde(default)]
    pub options: Vec<String>,
    /// Must be answered.
    #[serde(default)]
    pub required: bool,
}

/// One answer to one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Answer {
    /// Chosen options, by index (one for a single choice).
    Choices(Vec<usize>),
    /// A rating 1–5, or a single choice's index.
    Number(usize),
    /// Short text.
    Text(String),
}

/// Why a survey or an answer is refused; `question` counts from 1 as the form shows it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SurveyError {
    /// No questions, or too many.
    #[error("问卷须有 1 到 {MAX_QUESTIONS} 道题")]
    QuestionCount,
    /// A question is malformed.
    #[error("第 {question} 题：{problem}")]
    BadQuestion {
        /// Which.
        question: usize,
        /// What.
        problem: &'static str,
    },
    /// An answer does not fit its question.
    #[error("第 {question} 题：{problem}")]
    BadAnswer {
        /// Which.
        question: usize,
        /// What.
        problem: &'static str,
    },
    /// More or fewer answers than questions.
    #[error("答案数与题目数不一致")]
    AnswerCount,
    /// Not open yet.
    #[error("问卷尚未开始")]
    NotYetOpen,
    /// Closed.
    #[error("问卷已结束，不能再作答")]
    Closed,
    /// The closing time is not after the opening.
    #[error("结束时间须晚于开始时间")]
    BadWindow,
}

/// Checks a survey's questions.
pub fn check_questions(questions: &[Question]) -> Result<(), SurveyError> {
    if questions.is_empty() || questions.len() > MAX_QUESTIONS {
        return Err(SurveyError::QuestionCount);
    }
    for (i, q) in questions.iter().enumerate() {
        let bad = |problem| SurveyError::BadQuestion {
            question: i + 1,
            problem,
        };
        let title = q.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(bad("题目不能为空，且不超过 200 个字"));
        }
        match q.kind {
            QuestionKind::Single | QuestionKind::Multiple => {
                if q.options.len() < 2 || q.options.len() > MAX_OPTIONS {
                    return Err(bad("选择题须有 2 到 20 个选项"));
                }
                let mut seen = std::collections::HashSet::new();
                for o in &q.options {
                    let o = o.trim();
                    if o.is_empty() || o.chars().count() > 100 || !seen.insert(o) {
                        return Err(bad("选项不能为空、不超过 100 个字，且不能重复"));
                    }
                }
            }
            QuestionKind::Rating | QuestionKind::Text => {
                if !q.options.is_empty() {
                    return Err(bad("评分题和简答题没有选项"));
                }
            }
        }
    }
    Ok(())
}

/// Checks an opening window.
pub fn check_window(opens_at: i64, closes_at: i64) -> Result<(), SurveyError> {
    if closes_at <= opens_at {
        return Err(SurveyError::BadWindow);
    }
    Ok(())
}

/// Whether answers are taken at `now`.
pub fn check_open(opens_at: i64, closes_at: i64, now: i64) -> Result<(), SurveyError> {
    if now < opens_at {
        return Err(SurveyError::NotYetOpen);
    }
    if now >= closes_at {
        return Err(SurveyError::Closed);
    }
    Ok(())
}

/// Checks a response: one entry per question (`None` for skipped), each fitting its question.
pub fn check_answers(
    questions: &[Question],
    answers: &[Option<Answer>],
) -> Result<(), SurveyError> {
    if answers.len() != questions.len() {
        return Err(SurveyError::AnswerCount);
    }
    for (i, (q, a)) in questions.iter().zip(answers).enumerate() {
        let bad = |problem| SurveyError::BadAnswer {
            question: i + 1,
            problem,
        };
        let Some(a) = a else {
            if q.required {
                return Err(bad("此题必答"));
            }
            continue;
        };
        match (q.kind, a) {
            (QuestionKind::Single, Answer::Number(n)) if *n < q.options.len() => {}
            (QuestionKind::Single, Answer::Choices(c))
                if c.len() == 1 && c[0] < q.options.len() => {}
            (QuestionKind::Single, _) => return Err(bad("请选择一个选项")),
            (QuestionKind::Multiple, Answer::Choices(c)) => {
                let unique: std::collections::BTreeSet<_> = c.iter().collect();
                if c.is_empty()
                    || unique.len() != c.len()
                    || c.iter().any(|&n| n >= q.options.len())
                {
                    return Err(bad("请选择至少一个选项，且不能重复"));
                }
            }
            (QuestionKind::Multiple, _) => return Err(bad("请选择至少一个选项")),
            (QuestionKind::Rating, Answer::Number(n)) if (1..=5).contains(n) => {}
            (QuestionKind::Rating, _) => return Err(bad("评分须为 1 到 5")),
            (QuestionKind::Text, Answer::Text(t)) => {
                let t = t.trim();
                if t.chars().count() > MAX_TEXT || (t.is_empty() && q.required) {
                    return Err(bad("请填写，且不超过 500 个字"));
                }
            }
            (QuestionKind::Text, _) => return Err(bad("请填写文字")),
        }
    }
    Ok(())
}

/// The live result of one question.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QuestionResult {
    /// The question.
    pub title: String,
    /// Its kind.
    pub kind: QuestionKind,
    /// Responses that answered it.
    pub answered: u64,
    /// Per option (choice) or per star 1–5 (rating): (label, count).
    pub counts: Vec<(String, u64)>,
    /// Mean rating.
    pub mean: Option<f64>,
}

/// Tallies responses (each already checked) into per-question results.
pub fn tally<'a>(
    questions: &[Question],
    responses: impl IntoIterator<Item = &'a [Option<Answer>]>,
) -> Vec<QuestionResult> {
    let mut out: Vec<QuestionResult> = questions
        .iter()
        .map(|q| QuestionResult {
            title: q.title.clone(),
            kind: q.kind,
            answered: 0,
            counts: match q.kind {
                QuestionKind::Single | QuestionKind::Multiple => {
                    q.options.iter().map(|o| (o.clone(), 0)).collect()
                }
                QuestionKind::Rating => (1..=5).map(|n| (format!("{n} 星"), 0)).collect(),
                QuestionKind::Text => Vec::new(),
            },
            mean: None,
        })
        .collect();
    let mut sums = vec![0u64; questions.len()];
    for r in responses {
        for (i, a) in r.iter().enumerate().take(out.len()) {
            let Some(a) = a else { continue };
            let res = &mut out[i];
            res.answered += 1;
            let picks: Vec<usize> = match (res.kind, a) {
                (QuestionKind::Rating, Answer::Number(n)) => {
                    sums[i] += *n as u64;
                    vec![n.saturating_sub(1)]
                }
                (_, Answer::Number(n)) => vec![*n],
                (_, Answer::Choices(c)) => c.clone(),
                (_, Answer::Text(_)) => Vec::new(),
            };
            for p in picks {
                if let Some(c) = res.counts.get_mut(p) {
                    c.1 += 1;
                }
            }
        }
    }
    for (res, sum) in out.iter_mut().zip(sums) {
        if res.kind == QuestionKind::Rating && res.answered > 0 {
            res.mean = Some(sum as f64 / res.answered as f64);
        }
    }
    out
}

/// Reads questions from the builder's plain-text form, one per line:
/// `单选* 您支持加装电梯吗？|支持|不支持|无所谓` — the kind (单选、多选、评分、简答), `*` when
/// required, the question, then `|`-separated options for choice questions. Blank lines are
/// skipped; a line that does not parse is reported by its number.
pub fn parse_lines(text: &str) -> Result<Vec<Question>, SurveyError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = |problem| SurveyError::BadQuestion {
            question: n + 1,
            problem,
        };
        let kind = [
            ("单选", QuestionKind::Single),
            ("多选", QuestionKind::Multiple),
            ("评分", QuestionKind::Rating),
            ("简答", QuestionKind::Text),
        ]
        .into_iter()
        .find(|(prefix, _)| line.starts_with(prefix));
        let Some((prefix, kind)) = kind else {
            return Err(bad("每行以“单选、多选、评分、简答”之一开头"));
        };
        let rest = &line[prefix.len()..];
        let (required, rest) = match rest.strip_prefix('*') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let mut parts = rest.split(['|', '｜']).map(str::trim);
        let title = parts.next().unwrap_or_default().to_owned();
        out.push(Question {
            kind,
            title,
            options: parts.map(str::to_owned).collect(),
            required,
        });
    }
    check_questions(&out)?;
    Ok(out)
}

/// The builder's text for questions (the inverse of [`parse_lines`]).
pub fn to_lines(questions: &[Question]) -> String {
    questions
        .iter()
        .map(|q| {
            let mut line = format!(
                "{}{} {}",
                q.kind.label(),
                if q.required { "*" } else { "" },
                q.title
            );
            for o in &q.options {
                line.push('|');
                line.push_str(o);
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// How a survey keeps to one answer per respondent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// One answer per phone, verified by a one-time code.
    Phone,
    /// One answer per device (a token the page keeps).
    Device,
}

impl Mode {
    /// Both.
    pub const ALL: [Mode; 2] = [Mode::Phone, Mode::Device];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Phone => "phone",
            Mode::Device => "device",
        }
    }
}

/// Where a letter in the opinion box (社情民意) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpinionStatus {
    /// 待处理.
    New,
    /// 已答复.
    Answered,
    /// 已转为事件.
    Case,
}

impl OpinionStatus {
    /// Every status.
    pub const ALL: [OpinionStatus; 3] = [
        OpinionStatus::New,
        OpinionStatus::Answered,
        OpinionStatus::Case,
    ];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OpinionStatus::New => "new",
            OpinionStatus::Answered => "answered",
            OpinionStatus::Case => "case",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            OpinionStatus::New => "待处理",
            OpinionStatus::Answered => "已答复",
            OpinionStatus::Case => "已转为事件",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(kind: QuestionKind, options: &[&str], required: bool) -> Question {
        Question {
            kind,
            title: "题目".into(),
            options: options.iter().map(|s| s.to_string()).collect(),
            required,
        }
    }

    fn survey() -> Vec<Question> {
        vec![
            q(QuestionKind::Single, &["同意", "不同意"], true),
            q(QuestionKind::Multiple, &["白天", "晚上", "周末"], false),
            q(QuestionKind::Rating, &[], true),
            q(QuestionKind::Text, &[], false),
        ]
    }

    #[test]
    fn the_builder_refuses_malformed_questions() {
        assert_eq!(check_questions(&survey()), Ok(()));
        assert_eq!(check_questions(&[]), Err(SurveyError::QuestionCount));
        let one_option = [q(QuestionKind::Single, &["是"], true)];
        assert!(matches!(
            check_questions(&one_option),
            Err(SurveyError::BadQuestion { question: 1, .. })
        ));
        let repeated = [
            q(QuestionKind::Rating, &[], true),
            q(QuestionKind::Multiple, &["是", "是"], true),
        ];
        assert!(matches!(
            check_questions(&repeated),
            Err(SurveyError::BadQuestion { question: 2, .. })
        ));
        let rating_options = [q(QuestionKind::Rating, &["好"], true)];
        assert!(check_questions(&rating_options).is_err());
        assert_eq!(check_window(2, 1), Err(SurveyError::BadWindow));
    }

    #[test]
    fn answers_must_fit_their_questions() {
        let s = survey();
        let good = [
            Some(Answer::Number(0)),
            Some(Answer::Choices(vec![0, 2])),
            Some(Answer::Number(5)),
            None,
        ];
        assert_eq!(check_answers(&s, &good), Ok(()));
        let mut missing = good.clone();
        missing[0] = None;
        assert!(matches!(
            check_answers(&s, &missing),
            Err(SurveyError::BadAnswer { question: 1, .. })
        ));
        let mut six_stars = good.clone();
        six_stars[2] = Some(Answer::Number(6));
        assert!(matches!(
            check_answers(&s, &six_stars),
            Err(SurveyError::BadAnswer { question: 3, .. })
        ));
        let mut twice = good.clone();
        twice[1] = Some(Answer::Choices(vec![1, 1]));
        assert!(check_answers(&s, &twice).is_err());
        let mut beyond = good.clone();
        beyond[0] = Some(Answer::Number(2));
        assert!(check_answers(&s, &beyond).is_err());
        assert_eq!(check_answers(&s, &good[..3]), Err(SurveyError::AnswerCount));
    }

    #[test]
    fn answers_are_taken_only_while_open() {
        assert_eq!(check_open(10, 20, 9), Err(SurveyError::NotYetOpen));
        assert_eq!(check_open(10, 20, 10), Ok(()));
        assert_eq!(check_open(10, 20, 20), Err(SurveyError::Closed));
    }

    #[test]
    fn the_tally_counts_options_stars_and_means() {
        let s = survey();
        let a = vec![
            Some(Answer::Number(0)),
            Some(Answer::Choices(vec![0, 1])),
            Some(Answer::Number(4)),
            None,
        ];
        let b = vec![
            Some(Answer::Number(1)),
            None,
            Some(Answer::Number(5)),
            Some(Answer::Text("好".into())),
        ];
        let r = tally(&s, [a.as_slice(), b.as_slice()]);
        assert_eq!(r[0].counts, vec![("同意".into(), 1), ("不同意".into(), 1)]);
        assert_eq!(r[1].answered, 1);
        assert_eq!(r[1].counts[1].1, 1);
        assert_eq!(r[2].counts[3].1, 1);
        assert_eq!(r[2].counts[4].1, 1);
        assert_eq!(r[2].mean, Some(4.5));
        assert_eq!(r[3].answered, 1);
    }

    #[test]
    fn the_text_builder_reads_and_writes_questions() {
        let text = "单选* 您支持加装电梯吗？|支持|不支持|无所谓\n\n多选 方便的时间|白天|晚上\n评分* 对物业满意吗\n简答 其他建议";
        let qs = parse_lines(text).unwrap();
        assert_eq!(qs.len(), 4);
        assert_eq!(
            (qs[0].kind, qs[0].required, qs[0].options.len()),
            (QuestionKind::Single, true, 3)
        );
        assert_eq!(qs[0].title, "您支持加装电梯吗？");
        assert_eq!((qs[2].kind, qs[2].required), (QuestionKind::Rating, true));
        assert_eq!(parse_lines(&to_lines(&qs)).unwrap(), qs);
        assert!(matches!(
            parse_lines("问答 什么"),
            Err(SurveyError::BadQuestion { question: 1, .. })
        ));
        assert!(matches!(
            parse_lines("评分 好\n单选 只有一个|是"),
            Err(SurveyError::BadQuestion { question: 2, .. })
        ));
    }
}
