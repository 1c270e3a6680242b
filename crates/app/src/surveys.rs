//! 码上问卷: staff build a survey for an area; residents answer by QR code without an
//! account, one answer per phone (verified by a one-time code) or per device; a grid worker
//! may enter an elderly resident's answers for them (代填), recorded as such and still one
//! per phone; results are tallied live and exported.

use crate::auth::Principal;
use crate::fields::{optional, text};
use crate::policy::{Ask, Reach, Resource, Verb};
use crate::{App, AppError};
use sha2::{Digest, Sha256};
use shanzhi_domain::case::Day;
use shanzhi_domain::participation::survey::{
    Answer, Question, QuestionResult, SurveyError, check_answers, check_open, check_questions,
    check_window, tally,
};
use shanzhi_store::surveys::{self as store, NewSurvey, SurveyRow};

pub use shanzhi_domain::participation::Mode;

/// A survey to create or change.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct SurveyInput {
    /// The area it is for (a community, street …).
    pub node: String,
    /// Title.
    pub title: String,
    /// Words before the questions.
    #[serde(default)]
    pub intro: String,
    /// One answer per phone or per device.
    pub mode: Mode,
    /// First day, YYYY-MM-DD (default today).
    pub opens: Option<String>,
    /// Last day, YYYY-MM-DD, inclusive.
    pub closes: String,
    /// The questions.
    pub questions: Vec<Question>,
}

/// A survey as readers see it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SurveyView {
    /// The stored survey.
    pub survey: SurveyRow,
    /// Its questions.
    pub questions: Vec<Question>,
    /// Whether answers are taken now.
    pub open: bool,
    /// Answers so far (in staff lists; not counted for residents).
    pub answers: Option<i64>,
}

fn survey_error(e: SurveyError) -> AppError {
    match e {
        SurveyError::NotYetOpen | SurveyError::Closed => AppError::Conflict(e.to_string()),
        SurveyError::QuestionCount | SurveyError::BadQuestion { .. } | SurveyError::BadWindow => {
            AppError::bad("invalid_survey", e.to_string())
        }
        SurveyError::BadAnswer { .. } | SurveyError::AnswerCount => {
            AppError::bad("invalid_answer", e.to_string())
        }
    }
}

fn view(survey: SurveyRow, now: i64) -> Result<SurveyView, AppError> {
    let questions: Vec<Question> = serde_json::from_str(&survey.questions)
        .map_err(|e| AppError::Internal(format!("survey {}: {e}", survey.id)))?;
    Ok(SurveyView {
        open: check_open(survey.opens_at, survey.closes_at, now).is_ok(),
        questions,
        survey,
        answers: None,
    })
}

fn window(opens: Option<&str>, closes: &str, now: i64) -> Result<(i64, i64), AppError> {
    let day = |s: &str| {
        Day::parse(s).ok_or_else(|| {
            AppError::bad("invalid_day", format!("日期 {s} 无效，格式为 2026-10-01"))
        })
    };
    let opens_at = match opens.filter(|s| !s.trim().is_empty()) {
        Some(s) => day(s)?.start_ms(),
        None => now,
    };
    let closes_at = day(closes)?.start_ms() + 86_400_000;
    check_window(opens_at, closes_at).map_err(survey_error)?;
    Ok((opens_at, closes_at))
}

/// Refuses roles that do not run consultations.
fn runs_surveys(p: &Principal) -> Result<(), AppError> {
    p.may(Resource::Consultation, Verb::Write).map(drop)
}

/// Creates a survey.
pub async fn create(state: &App, p: &Principal, s: &SurveyInput) -> Result<SurveyView, AppError> {
    runs_surveys(p)?;
    crate::regions::visible(state, &p.actor, &s.node).await?;
    check_questions(&s.questions).map_err(survey_error)?;
    let now = state.now_ms();
    let (opens_at, closes_at) = window(s.opens.as_deref(), &s.closes, now)?;
    let questions =
        serde_json::to_string(&s.questions).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut conn = state.store().conn().await?;
    let id = store::insert(
        &mut conn,
        &NewSurvey {
            node: &s.node,
            title: text(&s.title, "问卷标题", 60)?,
            intro: optional(&s.intro, "说明", 1000)?,
            mode: s.mode,
            opens_at,
            closes_at,
            questions: &questions,
            by: p.account.id,
            at: now,
        },
    )
    .await?;
    public(state, id).await
}

/// Changes the questions and dates; refused once the first answer is in.
pub async fn update(
    state: &App,
    p: &Principal,
    id: i64,
    s: &SurveyInput,
) -> Result<SurveyView, AppError> {
    runs_surveys(p)?;
    let current = visible(state, p, id).await?;
    check_questions(&s.questions).map_err(survey_error)?;
    let (opens_at, closes_at) = window(s.opens.as_deref(), &s.closes, state.now_ms())?;
    let questions =
        serde_json::to_string(&s.questions).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut conn = state.store().conn().await?;
    if !store::set_questions(
        &mut conn,
        current.survey.id,
        &questions,
        opens_at,
        closes_at,
    )
    .await?
    {
        return Err(AppError::Conflict(
            "已有人作答，题目已锁定，不能再修改".into(),
        ));
    }
    public(state, id).await
}

/// Closes a survey now.
pub async fn close(state: &App, p: &Principal, id: i64) -> Result<SurveyView, AppError> {
    runs_surveys(p)?;
    visible(state, p, id).await?;
    store::close(&mut state.store().conn().await?, id, state.now_ms()).await?;
    public(state, id).await
}

/// Any survey, as residents see it.
pub async fn public(state: &App, id: i64) -> Result<SurveyView, AppError> {
    let s = store::get(&mut state.store().conn().await?, id)
        .await?
        .ok_or_else(|| AppError::NotFound("没有这份问卷".into()))?;
    view(s, state.now_ms())
}

/// Whether a survey's area and the staff member's overlap: one lies within the other (a
/// grid worker works the community's survey; a street sees its communities').
fn overlaps(p: &Principal, node: &str) -> bool {
    p.actor
        .scope_root()
        .is_none_or(|root| root.starts_with(node) || node.starts_with(root))
}

/// A survey of the staff member's area; 404 otherwise.
pub async fn visible(state: &App, p: &Principal, id: i64) -> Result<SurveyView, AppError> {
    p.may(Resource::Consultation, Verb::Read)?;
    let v = public(state, id).await?;
    if !overlaps(p, &v.survey.node_code) {
        return Err(AppError::not_found());
    }
    Ok(v)
}

/// Surveys of an area: its own, those below it, and those of the areas above it.
pub async fn list(state: &App, p: &Principal, node: &str) -> Result<Vec<SurveyView>, AppError> {
    p.may(Resource::Consultation, Verb::List)?;
    crate::regions::visible(state, &p.actor, node).await?;
    let now = state.now_ms();
    // The area's own and everything below, and the surveys of the areas above it.
    let above: Vec<&str> = [6, 9, 12]
        .iter()
        .filter(|&&n| n < node.len())
        .map(|&n| &node[..n])
        .collect();
    let mut conn = state.store().conn().await?;
    let mut out = Vec::new();
    for s in store::for_area(&mut conn, node, &above).await? {
        let n = store::count(&mut conn, s.id).await?;
        out.push(SurveyView {
            answers: Some(n),
            ..view(s, now)?
        });
    }
    Ok(out)
}

/// Texts a one-time code to a phone, asked from `ip`, for answering a phone-verified survey.
pub async fn send_code(state: &App, id: i64, phone: &str, ip: &str) -> Result<(), AppError> {
    let v = public(state, id).await?;
    check_open(v.survey.opens_at, v.survey.closes_at, state.now_ms()).map_err(survey_error)?;
    let what = format!("您正在填写问卷“{}”", v.survey.title);
    crate::codes::send(state, ip, phone, &format!("survey:{id}"), &what).await
}

/// Who answers.
pub enum Respondent<'a> {
    /// A resident with a phone and the code sent to it.
    Phone {
        /// The phone.
        phone: &'a str,
        /// The code.
        code: &'a str,
    },
    /// A resident's device (device surveys): its token, and the client address it answers
    /// from (fresh tokens are free to make, so an address gets a ceiling per survey).
    Device {
        /// The device's token.
        token: &'a str,
        /// The client's address.
        from: &'a str,
    },
    /// A grid worker for a resident (代填), by the resident's phone.
    Proxy {
        /// The worker.
        by: &'a Principal,
        /// The resident's phone.
        phone: &'a str,
    },
}

/// Records one response: checked against the questions, while open, once per respondent.
pub async fn answer(
    state: &App,
    id: i64,
    who: Respondent<'_>,
    answers: &[Option<Answer>],
) -> Result<(), AppError> {
    let v = public(state, id).await?;
    let now = state.now_ms();
    check_open(v.survey.opens_at, v.survey.closes_at, now).map_err(survey_error)?;
    if let Respondent::Device { from, .. } = &who {
        let limit = shanzhi_domain::auth::RateLimit {
            window: std::time::Duration::from_secs(3600),
            limit: state.config().device_answers_per_hour,
        };
        crate::limits::allow(state, "survey-device", &format!("{id}:{from}"), limit).await?;
    }
    let mut tx = state.store().begin().await?;
    let (respondent, proxy) = match who {
        Respondent::Phone { phone, code } => {
            match crate::codes::take(&mut tx, state, phone, &format!("survey:{id}"), code).await? {
                Some(index) => (index, None),
                None => {
                    // The wrong try is counted even though the answer is refused.
                    tx.commit().await?;
                    return Err(crate::codes::refused());
                }
            }
        }
        Respondent::Device { token, .. } => {
            if v.survey.mode != Mode::Device {
                return Err(AppError::bad(
                    "phone_required",
                    "这份问卷须用手机号验证后作答",
                ));
            }
            let token = token.trim();
            if !(16..=128).contains(&token.len()) {
                return Err(AppError::bad(
                    "invalid_device",
                    "设备标识无效，请刷新页面后重试",
                ));
            }
            let mut h = Sha256::new();
            h.update(b"device:");
            h.update(token.as_bytes());
            (h.finalize().to_vec(), None)
        }
        Respondent::Proxy { by, phone } => {
            let acts_for_residents =
                by.may(Resource::Participation, Verb::Write)? == Reach::Subtree;
            if !acts_for_residents || !overlaps(by, &v.survey.node_code) {
                return Err(AppError::Forbidden("只有本辖区的网格员可以代填".into()));
            }
            (
                crate::codes::phone_index(state, phone)?,
                Some((by.account.id, by.label())),
            )
        }
    };
    // The code is checked before the answers, so a resident hears first about a code gone
    // stale; a refusal of the answers rolls back, leaving the code good for the corrected try.
    check_answers(&v.questions, answers).map_err(survey_error)?;
    let json = serde_json::to_string(answers).map_err(|e| AppError::Internal(e.to_string()))?;
    let stored = store::answer(
        &mut tx,
        id,
        &respondent,
        &json,
        proxy.as_ref().map(|(id, label)| (*id, label.as_str())),
        now,
    )
    .await?;
    if !stored {
        return Err(AppError::Conflict(
            "这个手机号（或设备）已经答过这份问卷了".into(),
        ));
    }
    tx.commit().await?;
    Ok(())
}

/// Live results.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Results {
    /// The survey.
    pub survey: SurveyView,
    /// Responses.
    pub responses: u64,
    /// Of which entered by grid workers (代填).
    pub by_proxy: u64,
    /// Per question.
    pub questions: Vec<QuestionResult>,
}

/// The survey's answers, tallied.
pub async fn results(state: &App, p: &Principal, id: i64) -> Result<Results, AppError> {
    p.may(Resource::Consultation, Verb::Read)?;
    let survey = visible(state, p, id).await?;
    let rows = store::answers(&mut state.store().conn().await?, id).await?;
    let parsed: Vec<Vec<Option<Answer>>> = rows
        .iter()
        .filter_map(|r| serde_json::from_str(&r.answers).ok())
        .collect();
    Ok(Results {
        responses: parsed.len() as u64,
        by_proxy: rows.iter().filter(|r| !r.proxy_label.is_empty()).count() as u64,
        questions: tally(&survey.questions, parsed.iter().map(Vec::as_slice)),
        survey,
    })
}

/// Every answer as a sheet: one row per response, one column per question.
pub async fn export(state: &App, p: &Principal, id: i64) -> Result<(String, Vec<u8>), AppError> {
    p.may(Resource::Consultation, Verb::Export)?;
    let survey = visible(state, p, id).await?;
    let rows = store::answers(&mut state.store().conn().await?, id).await?;
    let sheet_error = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.write_string(0, 0, "序号").map_err(sheet_error)?;
    ws.write_string(0, 1, "提交时间").map_err(sheet_error)?;
    ws.write_string(0, 2, "代填人").map_err(sheet_error)?;
    for (c, q) in survey.questions.iter().enumerate() {
        ws.write_string(0, c as u16 + 3, format!("{}. {}", c + 1, q.title))
            .map_err(sheet_error)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        ws.write_number(row, 0, (i + 1) as f64)
            .map_err(sheet_error)?;
        ws.write_string(row, 1, shanzhi_domain::case::beijing_minutes(r.at))
            .map_err(sheet_error)?;
        ws.write_string(row, 2, &r.proxy_label)
            .map_err(sheet_error)?;
        let answers: Vec<Option<Answer>> = serde_json::from_str(&r.answers).unwrap_or_default();
        for (c, (q, a)) in survey.questions.iter().zip(&answers).enumerate() {
            ws.write_string(row, c as u16 + 3, answer_text(q, a.as_ref()))
                .map_err(sheet_error)?;
        }
    }
    let bytes = book.save_to_buffer().map_err(sheet_error)?;
    Ok((format!("问卷-{}.xlsx", survey.survey.title), bytes))
}

/// An answer in words.
fn answer_text(q: &Question, a: Option<&Answer>) -> String {
    let option = |n: &usize| q.options.get(*n).cloned().unwrap_or_default();
    match a {
        None => String::new(),
        Some(Answer::Text(t)) => t.clone(),
        Some(Answer::Number(n)) if q.options.is_empty() => n.to_string(),
        Some(Answer::Number(n)) => option(n),
        Some(Answer::Choices(c)) => c.iter().map(option).collect::<Vec<_>>().join("、"),
    }
}
