//! 码上问卷 and 社情民意: surveys, their answers (one per respondent key, enforced by a
//! unique index), one-time phone codes, and the opinion box.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::participation::{Mode, OpinionStatus};

/// A stored survey (questions as JSON).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct SurveyRow {
    /// Id.
    pub id: i64,
    /// The area it is for.
    pub node_code: String,
    /// Title.
    pub title: String,
    /// Words before the questions.
    pub intro: String,
    /// `phone` (one answer per verified phone) or `device`.
    pub mode: Mode,
    /// Opens (ms).
    pub opens_at: i64,
    /// Closes (ms).
    pub closes_at: i64,
    /// The questions, JSON.
    pub questions: String,
}

// Answers are counted apart ([`count`]): answering must not count every earlier answer.
const SURVEY: &str =
    "s.id, s.node_code, s.title, s.intro, s.mode, s.opens_at, s.closes_at, s.questions";

/// How many answers a survey has.
pub async fn count(ex: &mut impl Exec, survey: i64) -> Result<i64, StoreError> {
    let (n,): (i64,) = ex
        .one(Sql::new("SELECT count(*) FROM survey_answers WHERE survey_id = ?").bind(survey))
        .await?;
    Ok(n)
}

/// A survey to write.
#[derive(Debug, Clone, Copy)]
pub struct NewSurvey<'a> {
    /// Area.
    pub node: &'a str,
    /// Title.
    pub title: &'a str,
    /// Intro.
    pub intro: &'a str,
    /// Mode.
    pub mode: Mode,
    /// Opens.
    pub opens_at: i64,
    /// Closes.
    pub closes_at: i64,
    /// Questions JSON.
    pub questions: &'a str,
    /// Creator.
    pub by: i64,
    /// When.
    pub at: i64,
}

/// Stores a survey.
pub async fn insert(ex: &mut impl Exec, s: &NewSurvey<'_>) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO surveys (node_code, title, intro, mode, opens_at, closes_at, questions, \
                 created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(s.node)
            .bind(s.title)
            .bind(s.intro)
            .bind(s.mode.as_str())
            .bind(s.opens_at)
            .bind(s.closes_at)
            .bind(s.questions)
            .bind(s.by)
            .bind(s.at),
        )
        .await?;
    Ok(id)
}

/// One survey.
pub async fn get(ex: &mut impl Exec, id: i64) -> Result<Option<SurveyRow>, StoreError> {
    ex.opt(Sql::new(format!("SELECT {SURVEY} FROM surveys s WHERE s.id = ?")).bind(id))
        .await
}

/// Surveys of a node's subtree and of the nodes in `above` (its ancestors), newest first.
pub async fn for_area(
    ex: &mut impl Exec,
    node: &str,
    above: &[&str],
) -> Result<Vec<SurveyRow>, StoreError> {
    let mut q = Sql::new(format!(
        "SELECT {SURVEY} FROM surveys s WHERE (s.node_code >= ? AND s.node_code < ?)"
    ))
    .bind(node)
    .bind(format!("{node}~"));
    if !above.is_empty() {
        q.push_list(" OR s.node_code IN", above.iter().map(|a| a.to_string()));
    }
    q.push(" ORDER BY s.id DESC LIMIT 200");
    ex.all(q).await
}

/// Replaces the questions while no answer is in; false once one is (the questions are
/// locked).
pub async fn set_questions(
    ex: &mut impl Exec,
    id: i64,
    questions: &str,
    opens_at: i64,
    closes_at: i64,
) -> Result<bool, StoreError> {
    Ok(ex
        .exec(
            Sql::new(
                "UPDATE surveys SET questions = ?, opens_at = ?, closes_at = ? WHERE id = ? \
                 AND NOT EXISTS (SELECT 1 FROM survey_answers WHERE survey_id = ?)",
            )
            .bind(questions)
            .bind(opens_at)
            .bind(closes_at)
            .bind(id)
            .bind(id),
        )
        .await?
        == 1)
}

/// Closes a survey now (or keeps an earlier close).
pub async fn close(ex: &mut impl Exec, id: i64, at: i64) -> Result<(), StoreError> {
    ex.exec(
        Sql::new("UPDATE surveys SET closes_at = ? WHERE id = ? AND closes_at > ?")
            .bind(at)
            .bind(id)
            .bind(at),
    )
    .await?;
    Ok(())
}

/// Stores an answer; false if this respondent has answered already.
pub async fn answer(
    ex: &mut impl Exec,
    survey: i64,
    respondent: &[u8],
    answers: &str,
    proxy: Option<(i64, &str)>,
    at: i64,
) -> Result<bool, StoreError> {
    let done = ex
        .exec(
            Sql::new(
                "INSERT INTO survey_answers (survey_id, respondent, answers, proxy_by, proxy_label, at) \
                 VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (survey_id, respondent) DO NOTHING",
            )
            .bind(survey)
            .bind(respondent.to_vec())
            .bind(answers)
            .bind(proxy.map(|p| p.0))
            .bind(proxy.map_or("", |p| p.1))
            .bind(at),
        )
        .await?;
    Ok(done == 1)
}

/// A stored answer.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AnswerRow {
    /// Id.
    pub id: i64,
    /// JSON, one entry per question.
    pub answers: String,
    /// Who entered it for the resident (代填), if anyone.
    pub proxy_label: String,
    /// When (ms).
    pub at: i64,
}

/// A survey's answers, oldest first.
pub async fn answers(ex: &mut impl Exec, survey: i64) -> Result<Vec<AnswerRow>, StoreError> {
    ex.all(
        Sql::new("SELECT id, answers, proxy_label, at FROM survey_answers WHERE survey_id = ? ORDER BY id")
            .bind(survey),
    )
    .await
}

/// An opinion in the box (社情民意).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct OpinionRow {
    /// Id.
    pub id: i64,
    /// The community.
    pub community_code: String,
    /// What the resident wrote.
    pub content: String,
    /// How they signed (may be empty).
    pub name: String,
    /// Masked phone (may be empty).
    pub phone_masked: String,
    /// `new`, `answered` or `case`.
    pub status: OpinionStatus,
    /// The community's answer.
    pub answer: String,
    /// The case it became.
    pub case_id: Option<i64>,
    /// Who handled it.
    pub handled_label: String,
    /// When handled (ms).
    pub handled_at: Option<i64>,
    /// When sent (ms).
    pub created_at: i64,
}

const OPINION: &str = "id, community_code, content, name, phone_masked, status, answer, case_id, \
    handled_label, handled_at, created_at";

/// Puts an opinion in the box.
#[allow(clippy::too_many_arguments)]
pub async fn add_opinion(
    ex: &mut impl Exec,
    community: &str,
    content: &str,
    name: &str,
    phone: Option<(&[u8], &str)>,
    tracking: &str,
    at: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO opinions (community_code, content, name, phone_sealed, phone_masked, \
                 tracking_code, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'new', ?) RETURNING id",
            )
            .bind(community)
            .bind(content)
            .bind(name)
            .bind(phone.map(|p| p.0.to_vec()))
            .bind(phone.map_or("", |p| p.1))
            .bind(tracking)
            .bind(at),
        )
        .await?;
    Ok(id)
}

/// One opinion.
pub async fn opinion(ex: &mut impl Exec, id: i64) -> Result<Option<OpinionRow>, StoreError> {
    ex.opt(Sql::new(format!("SELECT {OPINION} FROM opinions WHERE id = ?")).bind(id))
        .await
}

/// The opinion a tracking code belongs to.
pub async fn opinion_by_code(
    ex: &mut impl Exec,
    code: &str,
) -> Result<Option<OpinionRow>, StoreError> {
    ex.opt(
        Sql::new(format!(
            "SELECT {OPINION} FROM opinions WHERE tracking_code = ?"
        ))
        .bind(code),
    )
    .await
}

/// Opinions under a node, newest first.
pub async fn opinions_under(ex: &mut impl Exec, node: &str) -> Result<Vec<OpinionRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {OPINION} FROM opinions WHERE community_code >= ? AND community_code < ? ORDER BY id DESC LIMIT 300"
        ))
        .bind(node)
        .bind(format!("{node}~")),
    )
    .await
}

/// Records how a new opinion was handled; false if it already was.
pub async fn handle_opinion(
    ex: &mut impl Exec,
    id: i64,
    status: OpinionStatus,
    answer: &str,
    case_id: Option<i64>,
    by: (i64, &str),
    at: i64,
) -> Result<bool, StoreError> {
    Ok(ex
        .exec(
            Sql::new(
                "UPDATE opinions SET status = ?, answer = ?, case_id = ?, handled_by = ?, handled_label = ?, \
                 handled_at = ? WHERE id = ? AND status = 'new'",
            )
            .bind(status.as_str())
            .bind(answer)
            .bind(case_id)
            .bind(by.0)
            .bind(by.1)
            .bind(at)
            .bind(id),
        )
        .await?
        == 1)
}

/// Links a case to an opinion that was claimed for it.
pub async fn link_case(ex: &mut impl Exec, id: i64, case_id: i64) -> Result<(), StoreError> {
    ex.exec(
        Sql::new("UPDATE opinions SET case_id = ? WHERE id = ?")
            .bind(case_id)
            .bind(id),
    )
    .await?;
    Ok(())
}

/// Puts a claimed opinion back as new (its case could not be filed).
pub async fn reopen_opinion(ex: &mut impl Exec, id: i64) -> Result<(), StoreError> {
    ex.exec(
        Sql::new(
            "UPDATE opinions SET status = 'new', answer = '', handled_by = NULL, handled_label = '', \
             handled_at = NULL WHERE id = ? AND case_id IS NULL",
        )
        .bind(id),
    )
    .await?;
    Ok(())
}
