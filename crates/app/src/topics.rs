//! 协商议事: residents or staff propose topics; the community (or street) accepts or declines
//! them; meetings record format, place, participants by side, attendance, minutes and a vote
//! (one per present participant); resolutions yield suggestions that are adopted, turned into
//! cases or sent upward (转提案), each tracked to done with evidence (跟踪问效), progress
//! rolling up to the resolution and the topic. The proposer and followers get a text when the
//! stage or progress changes.

use crate::auth::Principal;
use crate::cases::{self as cases_svc, ReportInput};
use crate::fields::{optional, text};
use crate::members::sealed_phone;
use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError};
use shanzhi_domain::participation::topic::{
    Choice, Disposition, Scale, Side, Tally, TopicError, TopicStage, check_deadline,
    check_progress, expect, roll_up,
};
use shanzhi_domain::texts::TextKind;
use shanzhi_store::topics::{self as store, NewTopic};
pub use shanzhi_store::topics::{
    MeetingRow, ParticipantRow, ResolutionRow, SuggestionRow, TopicEventRow, TopicRow,
};
use shanzhi_store::{Exec, StoreError};

fn topic_error(e: TopicError) -> AppError {
    match e {
        TopicError::WrongStage(_) | TopicError::VoteNotPassed => AppError::Conflict(e.to_string()),
        TopicError::BadProgress | TopicError::NoEvidence => {
            AppError::bad("invalid_progress", e.to_string())
        }
        TopicError::UrgentTooLong => AppError::bad("invalid_deadline", e.to_string()),
    }
}

fn stage_of(t: &TopicRow) -> Result<TopicStage, AppError> {
    Ok(t.stage)
}

/// Who may run consultations: the community and street, and grid leaders for 小事.
fn consults(p: &Principal) -> Result<(), AppError> {
    p.may(Resource::Consultation, Verb::Write).map(drop)
}

/// A proposed topic.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct TopicInput {
    /// The area: a grid (小事), community or street.
    pub node: String,
    /// Title.
    pub title: String,
    /// What and why.
    pub detail: String,
    /// 大事、小事 or 急事.
    pub scale: Scale,
    /// Urgent topics: hours the online round runs (at most 72).
    pub hours: Option<i64>,
    /// Who proposes (a resident's name, or the staff's own).
    #[serde(default)]
    pub name: String,
    /// A phone for progress texts (optional).
    #[serde(default)]
    pub phone: String,
}

/// What the proposer keeps.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Proposed {
    /// The topic.
    pub id: i64,
    /// The code to follow it with.
    pub tracking_code: String,
}

/// Proposes a topic: a resident from the public page (`by` none) or staff.
pub async fn propose(
    state: &App,
    by: Option<&Principal>,
    t: &TopicInput,
) -> Result<Proposed, AppError> {
    let node = shanzhi_store::regions::get(&mut state.store().conn().await?, &t.node)
        .await?
        .filter(|n| (9..=15).contains(&n.code.len()) && n.retired_at.is_none())
        .ok_or_else(|| AppError::NotFound("请选择一个街道、社区或网格".into()))?;
    if let Some(p) = by
        && !p.actor.sees(&node.code)
    {
        return Err(AppError::not_found());
    }
    let now = state.now_ms();
    let deadline = t.hours.map(|h| now + h * 3_600_000);
    check_deadline(t.scale, now, deadline).map_err(topic_error)?;
    let name = match by {
        Some(p) if t.name.trim().is_empty() => p.label(),
        _ => text(&t.name, "提议人", 30)?.to_owned(),
    };
    let phone = match t.phone.trim() {
        "" => None,
        p => Some(sealed_phone(state, p)?),
    };
    let code = crate::opinions::tracking_code('T');
    let mut tx = state.store().begin().await?;
    let id = store::insert(
        &mut tx,
        &NewTopic {
            node: &node.code,
            title: text(&t.title, "议题", 60)?,
            detail: text(&t.detail, "议题内容", 2000)?,
            scale: t.scale,
            proposer: &name,
            phone: phone
                .as_ref()
                .map(|p| (p.sealed.as_slice(), p.masked.as_str())),
            tracking: &code,
            by: by.map(|p| p.account.id),
            deadline,
            at: now,
        },
    )
    .await?;
    store::log(&mut tx, id, "提出议题", &name, t.scale.label(), now).await?;
    tx.commit().await?;
    Ok(Proposed {
        id,
        tracking_code: code,
    })
}

/// A meeting with its participants and vote.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct MeetingDetail {
    /// The meeting.
    pub meeting: MeetingRow,
    /// Participants, their sides, attendance and votes.
    pub participants: Vec<ParticipantRow>,
    /// The vote's count.
    pub tally: Tally,
    /// Whether the vote passed.
    pub passed: bool,
}

/// A resolution with its suggestions.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ResolutionDetail {
    /// The resolution.
    pub resolution: ResolutionRow,
    /// Its suggestions.
    pub suggestions: Vec<SuggestionRow>,
}

/// Everything about a topic.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TopicDetail {
    /// The topic (the proposer's phone blanked for the public).
    pub topic: TopicRow,
    /// Stage in Chinese.
    pub stage_label: &'static str,
    /// Scale in Chinese.
    pub scale_label: &'static str,
    /// Meetings.
    pub meetings: Vec<MeetingDetail>,
    /// Resolutions.
    pub resolutions: Vec<ResolutionDetail>,
    /// Timeline.
    pub events: Vec<TopicEventRow>,
    /// Mean days from a suggestion's adoption to done, over those done.
    pub adoption_to_done_days: Option<f64>,
}

async fn meeting_detail(
    ex: &mut impl Exec,
    meeting: MeetingRow,
) -> Result<MeetingDetail, StoreError> {
    let participants = store::participants(ex, meeting.id).await?;
    let count = |c: Choice| participants.iter().filter(|p| p.choice == Some(c)).count() as i64;
    let tally = Tally {
        for_: count(Choice::For),
        against: count(Choice::Against),
        abstain: count(Choice::Abstain),
        present: participants.iter().filter(|p| p.present).count() as i64,
    };
    Ok(MeetingDetail {
        passed: tally.passed(),
        meeting,
        participants,
        tally,
    })
}

async fn detail(
    ex: &mut impl Exec,
    mut topic: TopicRow,
    public: bool,
) -> Result<TopicDetail, AppError> {
    let mut meetings = Vec::new();
    for m in store::meetings(ex, topic.id).await? {
        meetings.push(meeting_detail(ex, m).await?);
    }
    let mut resolutions = Vec::new();
    let mut spans = Vec::new();
    for r in store::resolutions(ex, topic.id).await? {
        let suggestions = store::suggestions(ex, r.id).await?;
        spans.extend(
            suggestions
                .iter()
                .filter_map(|s| s.done_at.map(|d| (d - s.adopted_at) as f64 / 86_400_000.0)),
        );
        resolutions.push(ResolutionDetail {
            resolution: r,
            suggestions,
        });
    }
    let stage = stage_of(&topic)?;
    if public {
        topic.proposer_phone_masked.clear();
    }
    Ok(TopicDetail {
        stage_label: stage.label(),
        scale_label: topic.scale.label(),
        events: store::events(ex, topic.id).await?,
        adoption_to_done_days: (!spans.is_empty())
            .then(|| spans.iter().sum::<f64>() / spans.len() as f64),
        meetings,
        resolutions,
        topic,
    })
}

/// A topic as the public sees it (by id: topics, meetings and outcomes are public).
pub async fn public(state: &App, id: i64) -> Result<TopicDetail, AppError> {
    let mut conn = state.store().conn().await?;
    let t = store::get(&mut conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound("没有这个议题".into()))?;
    detail(&mut conn, t, true).await
}

/// The topic a tracking code belongs to (the proposer's view).
pub async fn tracked(state: &App, code: &str) -> Result<TopicDetail, AppError> {
    let mut conn = state.store().conn().await?;
    let t = store::by_tracking(&mut conn, code.trim())
        .await?
        .ok_or_else(|| AppError::NotFound("没有这个查询码，请核对".into()))?;
    detail(&mut conn, t, true).await
}

/// A topic staff may see.
pub async fn visible(state: &App, p: &Principal, id: i64) -> Result<TopicDetail, AppError> {
    p.may(Resource::Consultation, Verb::Read)?;
    let mut conn = state.store().conn().await?;
    let t = store::get(&mut conn, id)
        .await?
        .filter(|t| p.actor.sees(&t.node_code))
        .ok_or_else(AppError::not_found)?;
    detail(&mut conn, t, false).await
}

/// The topics of an area (public: titles, stages, progress), newest first.
pub async fn list(state: &App, node: &str) -> Result<Vec<TopicRow>, AppError> {
    let mut rows = store::under(&mut state.store().conn().await?, node).await?;
    for r in &mut rows {
        r.proposer_phone_masked.clear();
    }
    Ok(rows)
}

/// Follows a topic by phone, to be texted when it moves.
pub async fn follow(state: &App, id: i64, phone: &str) -> Result<(), AppError> {
    public(state, id).await?;
    let phone = sealed_phone(state, phone)?;
    if !store::follow(
        &mut state.store().conn().await?,
        id,
        &phone.index,
        &phone.sealed,
        state.now_ms(),
    )
    .await?
    {
        return Err(AppError::Conflict("这个手机号已经关注了".into()));
    }
    Ok(())
}

/// Queues a text to the proposer and followers, in the transaction of the change it reports;
/// the count goes on the timeline. The outbox sends them with retries.
async fn notify(
    tx: &mut shanzhi_store::Tx,
    id: i64,
    title: &str,
    news: &str,
    now: i64,
) -> Result<(), AppError> {
    let quoted = format!("“{title}”{news}");
    let subject = shanzhi_store::sms::Subject::Topic(id);
    let n = shanzhi_store::sms::queue_about(tx, subject, TextKind::TopicNews, &quoted, now).await?;
    if n > 0 {
        let note = format!("已短信通知 {n} 人：{news}");
        store::log(tx, id, "通知", "系统", &note, now).await?;
    }
    Ok(())
}

async fn topic_for(state: &App, p: &Principal, id: i64) -> Result<TopicRow, AppError> {
    consults(p)?;
    store::get(&mut state.store().conn().await?, id)
        .await?
        .filter(|t| p.actor.sees(&t.node_code))
        .ok_or_else(AppError::not_found)
}

/// Accepts a proposed topic for consultation, or declines it with a reason.
pub async fn decide(
    state: &App,
    p: &Principal,
    id: i64,
    accept: bool,
    reason: &str,
) -> Result<TopicDetail, AppError> {
    let t = topic_for(state, p, id).await?;
    expect(stage_of(&t)?, &[TopicStage::Proposed]).map_err(topic_error)?;
    let (to, news) = if accept {
        (TopicStage::Consulting, "已受理，进入协商".to_owned())
    } else {
        let r = text(reason, "不予受理的原因", 200)?;
        (TopicStage::Declined, format!("不予受理：{r}"))
    };
    let label = p.label();
    let now = state.now_ms();
    let mut tx = state.store().begin().await?;
    if !store::set_stage(
        &mut tx,
        id,
        TopicStage::Proposed,
        to,
        (!accept).then_some(reason.trim()),
        now,
    )
    .await?
    {
        return Err(AppError::Conflict("议题刚被他人处理，请刷新".into()));
    }
    store::log(&mut tx, id, to.label(), &label, &news, now).await?;
    notify(&mut tx, id, &t.title, &news, now).await?;
    tx.commit().await?;
    visible(state, p, id).await
}

/// A participant of a meeting.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ParticipantInput {
    /// Name.
    pub name: String,
    /// Side.
    pub side: Side,
    /// Attended.
    pub present: bool,
}

/// A meeting to record.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct MeetingInput {
    /// 线上、线下、现场 or 远程.
    pub format: String,
    /// Where: 田间、庭院、家中、会议室…
    pub place: String,
    /// When (ms); now if omitted.
    pub held_at: Option<i64>,
    /// Minutes.
    pub minutes: String,
    /// Who took part.
    pub participants: Vec<ParticipantInput>,
}

const FORMATS: [&str; 4] = ["线上", "线下", "现场", "远程"];

/// Records a meeting of a topic under consultation.
pub async fn add_meeting(
    state: &App,
    p: &Principal,
    id: i64,
    m: &MeetingInput,
) -> Result<TopicDetail, AppError> {
    let t = topic_for(state, p, id).await?;
    expect(stage_of(&t)?, &[TopicStage::Consulting]).map_err(topic_error)?;
    if !FORMATS.contains(&m.format.as_str()) {
        return Err(AppError::bad(
            "invalid_format",
            "会议形式须为 线上、线下、现场 或 远程",
        ));
    }
    if m.participants.is_empty() || m.participants.len() > 200 {
        return Err(AppError::bad(
            "invalid_field",
            "请填写参会人员（1 到 200 人）",
        ));
    }
    let place = text(&m.place, "地点", 60)?;
    let minutes = optional(&m.minutes, "会议纪要", 5000)?;
    let now = state.now_ms();
    let label = p.label();
    let mut tx = state.store().begin().await?;
    let meeting = store::add_meeting(
        &mut tx,
        id,
        &m.format,
        place,
        m.held_at.unwrap_or(now),
        minutes,
        p.account.id,
        now,
    )
    .await?;
    for pt in &m.participants {
        let name = text(&pt.name, "参会人员姓名", 30)?;
        store::add_participant(&mut tx, meeting, name, pt.side, pt.present)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    AppError::bad("invalid_field", format!("参会人员 {name} 重复"))
                }
                e => e.into(),
            })?;
    }
    let sides: std::collections::BTreeSet<&str> =
        m.participants.iter().map(|p| p.side.label()).collect();
    let note = format!(
        "{}·{}，{} 人（{}）",
        m.format,
        place,
        m.participants.len(),
        sides.into_iter().collect::<Vec<_>>().join("、")
    );
    store::log(&mut tx, id, "召开协商会议", &label, &note, now).await?;
    tx.commit().await?;
    visible(state, p, id).await
}

/// A vote at a meeting.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct VoteInput {
    /// The participant voting.
    pub participant_id: i64,
    /// Their choice.
    pub choice: Choice,
}

/// Records a participant's vote: present participants of that meeting only, once each.
pub async fn vote(
    state: &App,
    p: &Principal,
    meeting_id: i64,
    v: &VoteInput,
) -> Result<MeetingDetail, AppError> {
    let mut conn = state.store().conn().await?;
    let meeting = store::meeting(&mut conn, meeting_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let t = topic_for(state, p, meeting.topic_id).await?;
    expect(stage_of(&t)?, &[TopicStage::Consulting]).map_err(topic_error)?;
    let who = store::participants(&mut conn, meeting_id)
        .await?
        .into_iter()
        .find(|x| x.id == v.participant_id)
        .ok_or_else(|| AppError::bad("not_a_participant", "只有本次会议的参会人员可以表决"))?;
    if !who.present {
        return Err(AppError::bad(
            "not_present",
            format!("{} 未出席，不能表决", who.name),
        ));
    }
    if !store::vote(&mut conn, meeting_id, who.id, v.choice, state.now_ms()).await? {
        return Err(AppError::Conflict(format!("{} 已经表决过了", who.name)));
    }
    Ok(meeting_detail(&mut conn, meeting).await?)
}

/// How a suggestion is to be carried out.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct SuggestionInput {
    /// What is to be done.
    pub text: String,
    /// Adopted, turned into a case, or sent upward.
    pub disposition: Disposition,
    /// Who carries it out (adopted) or where it goes (upward, e.g. 区政协).
    #[serde(default)]
    pub owner: String,
    /// For a case: its category (事项清单).
    pub category: Option<String>,
}

/// A resolution to record.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ResolutionInput {
    /// The meeting whose vote passed it (required for 大事).
    pub meeting_id: Option<i64>,
    /// What was resolved.
    pub text: String,
    /// Its suggestions (at least one).
    pub suggestions: Vec<SuggestionInput>,
}

/// Records a resolution and its suggestions; the topic moves to 落实中. Suggestions that need
/// handling become cases in the topic's area.
pub async fn resolve(
    state: &App,
    p: &Principal,
    id: i64,
    r: &ResolutionInput,
) -> Result<TopicDetail, AppError> {
    let t = topic_for(state, p, id).await?;
    let stage = stage_of(&t)?;
    expect(stage, &[TopicStage::Consulting, TopicStage::Implementing]).map_err(topic_error)?;
    let scale = t.scale;
    let mut conn = state.store().conn().await?;
    if let Some(m) = r.meeting_id {
        let meeting = store::meeting(&mut conn, m)
            .await?
            .filter(|x| x.topic_id == id)
            .ok_or_else(AppError::not_found)?;
        if scale.needs_vote() && !meeting_detail(&mut conn, meeting).await?.passed {
            return Err(topic_error(TopicError::VoteNotPassed));
        }
    } else if scale.needs_vote() {
        return Err(topic_error(TopicError::VoteNotPassed));
    }
    drop(conn);
    let resolution = text(&r.text, "决议", 2000)?;
    if r.suggestions.is_empty() || r.suggestions.len() > 50 {
        return Err(AppError::bad(
            "invalid_field",
            "每项决议须有 1 到 50 条落实建议",
        ));
    }
    // Everything is checked before any case is filed.
    for s in &r.suggestions {
        text(&s.text, "建议", 500)?;
        match s.disposition {
            Disposition::Adopted | Disposition::Upward => {
                text(&s.owner, "承办（或转交）单位", 60)?;
            }
            Disposition::Case if s.category.as_deref().is_none_or(str::is_empty) => {
                return Err(AppError::bad(
                    "invalid_field",
                    "转为事件的建议须选择事件类别",
                ));
            }
            Disposition::Case => {}
        }
    }
    let mut cases = Vec::new();
    for s in &r.suggestions {
        cases.push(if s.disposition == Disposition::Case {
            let input = ReportInput {
                category: s.category.clone().unwrap_or_default(),
                title: s.text.chars().take(100).collect(),
                description: format!("协商议事“{}”决议：{}", t.title, s.text.trim()),
                lon: None,
                lat: None,
                crs: Default::default(),
                node_code: Some(t.node_code.clone()),
                address: None,
                source: Some("assignment".into()),
            };
            Some(
                cases_svc::report(state, &p.actor, &p.account, input, Vec::new())
                    .await?
                    .id,
            )
        } else {
            None
        });
    }
    let now = state.now_ms();
    let label = p.label();
    let mut tx = state.store().begin().await?;
    let rid = store::add_resolution(&mut tx, id, r.meeting_id, resolution, now).await?;
    for (s, case) in r.suggestions.iter().zip(cases) {
        let owner = match s.disposition {
            Disposition::Case => "事件办理".to_owned(),
            _ => s.owner.trim().to_owned(),
        };
        store::add_suggestion(
            &mut tx,
            rid,
            s.text.trim(),
            s.disposition,
            &owner,
            case,
            now,
        )
        .await?;
    }
    if stage == TopicStage::Consulting {
        store::set_stage(
            &mut tx,
            id,
            TopicStage::Consulting,
            TopicStage::Implementing,
            None,
            now,
        )
        .await?;
    }
    roll(&mut tx, id).await?;
    let news = format!("形成决议：{resolution}");
    store::log(&mut tx, id, "形成决议", &label, &news, now).await?;
    notify(&mut tx, id, &t.title, &news, now).await?;
    tx.commit().await?;
    visible(state, p, id).await
}

/// Recomputes a topic's progress from its resolutions' (and theirs from their suggestions');
/// returns the topic's.
async fn roll(ex: &mut impl Exec, topic: i64) -> Result<i64, StoreError> {
    let mut parts = Vec::new();
    for r in store::resolutions(ex, topic).await? {
        let s: Vec<i64> = store::suggestions(ex, r.id)
            .await?
            .iter()
            .map(|s| s.progress)
            .collect();
        let p = roll_up(&s);
        store::set_resolution_progress(ex, r.id, p).await?;
        parts.push(p);
    }
    let p = roll_up(&parts);
    store::set_progress(ex, topic, p).await?;
    Ok(p)
}

/// A progress report on a suggestion.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ProgressInput {
    /// 0–100, never backwards.
    pub progress: i64,
    /// How it was carried out (required at 100).
    #[serde(default)]
    pub evidence: String,
}

/// Reports progress on a suggestion (跟踪问效); rolls up; the topic is done when every
/// suggestion is.
pub async fn progress(
    state: &App,
    p: &Principal,
    suggestion: i64,
    g: &ProgressInput,
) -> Result<TopicDetail, AppError> {
    let mut conn = state.store().conn().await?;
    let s = store::suggestion(&mut conn, suggestion)
        .await?
        .ok_or_else(AppError::not_found)?;
    let topic = store::topic_of_resolution(&mut conn, s.resolution_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    drop(conn);
    let t = topic_for(state, p, topic).await?;
    expect(stage_of(&t)?, &[TopicStage::Implementing]).map_err(topic_error)?;
    check_progress(s.progress, g.progress, &g.evidence).map_err(topic_error)?;
    let evidence = optional(&g.evidence, "落实情况", 2000)?;
    let now = state.now_ms();
    let label = p.label();
    let mut tx = state.store().begin().await?;
    let done = (g.progress == 100).then_some(now);
    if !store::set_suggestion_progress(&mut tx, suggestion, s.progress, g.progress, evidence, done)
        .await?
    {
        return Err(AppError::Conflict("进度刚被他人更新，请刷新".into()));
    }
    let overall = roll(&mut tx, topic).await?;
    let mut news = format!("落实进度 {overall}%（“{}” {}%）", s.text, g.progress);
    if overall == 100 {
        store::set_stage(
            &mut tx,
            topic,
            TopicStage::Implementing,
            TopicStage::Done,
            None,
            now,
        )
        .await?;
        news = "全部建议已落实，议题办结".to_owned();
    }
    store::log(&mut tx, topic, "跟踪问效", &label, &news, now).await?;
    notify(&mut tx, topic, &t.title, &news, now).await?;
    tx.commit().await?;
    visible(state, p, topic).await
}
