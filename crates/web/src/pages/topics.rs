//! 协商议事 pages: the public list and proposal form of an area (/p/{node}) and a topic's
//! public page with its meetings and outcomes and a follow form (/pt/{id}); the staff's list
//! and a topic's working page (accept, meetings, votes, resolutions, progress).

use super::registers::back;
use super::{Chrome, Flash, PageError, beijing, render, url_encode};
use crate::WebState;
use crate::assets::STYLE_PATH;
use crate::auth::{CsrfForm, PageUser, csrf_token};
use crate::pages::{Path, Query};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::topics::TopicRow;
use shanzhi_app::topics::{
    self as svc, MeetingInput, ParticipantInput, ProgressInput, ResolutionInput, SuggestionInput,
    TopicDetail, TopicInput, VoteInput,
};
use shanzhi_domain::participation::topic::{Choice, Disposition, Scale, Side, TopicStage};
use shanzhi_domain::region::Level;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/p/{node}", get(public_list).post(propose))
        .route("/pt/{id}", get(public_topic).post(follow))
        .route("/topics", get(staff_list))
        .route("/topics/{id}", get(staff_topic))
        .route("/topics/{id}/decision", post(decide))
        .route("/topics/{id}/meetings", post(meeting))
        .route("/topics/{id}/votes", post(vote))
        .route("/topics/{id}/resolutions", post(resolve))
        .route("/topics/{id}/progress", post(progress))
}

/// A topic as lists show it.
struct Line {
    id: i64,
    title: String,
    scale: &'static str,
    stage: &'static str,
    progress: i64,
    at: String,
}

fn lines(rows: Vec<TopicRow>) -> Vec<Line> {
    rows.into_iter()
        .map(|t| Line {
            scale: t.scale.label(),
            stage: t.stage.label(),
            at: beijing(t.created_at),
            id: t.id,
            title: t.title,
            progress: t.progress,
        })
        .collect()
}

/// The proposal form's choice of scale: (stored form, what residents read).
fn scales() -> [(&'static str, &'static str); 3] {
    [
        (Scale::Minor.as_str(), "小事小议（网格内商量）"),
        (Scale::Major.as_str(), "大事大议（四方会议表决）"),
        (Scale::Urgent.as_str(), "急事快议（线上快速商议）"),
    ]
}

#[derive(Template)]
#[template(path = "topics_public.html")]
struct PublicList {
    style: &'static str,
    csrf: String,
    node: String,
    place: String,
    topics: Vec<Line>,
    scales: [(&'static str, &'static str); 3],
    /// Whom to call instead of typing.
    contacts: Vec<super::contacts::Contact>,
    /// What was typed into the proposal form, shown again when it is refused.
    typed: ProposeForm,
    error: Option<String>,
}

/// The public list of an area's topics with the proposal form.
async fn list_page(
    state: &WebState,
    jar: CookieJar,
    node: &str,
    typed: ProposeForm,
    error: Option<String>,
) -> Result<(CookieJar, Response), PageError> {
    let place =
        shanzhi_app::regions::public(state, node, &[Level::Street, Level::Community, Level::Grid])
            .await?
            .ok_or_else(|| AppError::NotFound("没有这个街道、社区或网格".into()))?;
    let contacts = super::contacts::of(state, &place.code).await?;
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = PublicList {
        contacts,
        style: STYLE_PATH.as_str(),
        csrf,
        topics: lines(svc::list(state, &place.code).await?),
        node: place.code,
        place: place.name,
        scales: scales(),
        typed,
        error,
    };
    Ok((jar, render(&page)))
}

async fn public_list(
    State(state): State<WebState>,
    jar: CookieJar,
    Path(node): Path<String>,
    Query(flash): Query<Flash>,
) -> Result<(CookieJar, Response), PageError> {
    list_page(&state, jar, &node, ProposeForm::default(), flash.error).await
}

#[derive(Deserialize)]
struct ProposeForm {
    title: String,
    detail: String,
    scale: String,
    #[serde(default)]
    hours: String,
    name: String,
    #[serde(default)]
    phone: String,
}

impl Default for ProposeForm {
    fn default() -> Self {
        ProposeForm {
            title: String::new(),
            detail: String::new(),
            scale: Scale::Minor.as_str().to_owned(),
            hours: "24".to_owned(),
            name: String::new(),
            phone: String::new(),
        }
    }
}

fn scale_of(s: &str) -> Scale {
    s.parse::<Scale>().ok().unwrap_or(Scale::Minor)
}

async fn propose(
    State(state): State<WebState>,
    addr: crate::client::Client,
    jar: CookieJar,
    Path(node): Path<String>,
    CsrfForm(f): CsrfForm<ProposeForm>,
) -> Result<Response, PageError> {
    state
        .allow_public_report(&format!("topic:{}", addr.ip()))
        .await?;
    let input = TopicInput {
        node: node.clone(),
        title: f.title.clone(),
        detail: f.detail.clone(),
        scale: scale_of(&f.scale),
        hours: f.hours.trim().parse().ok(),
        name: f.name.clone(),
        phone: f.phone.clone(),
    };
    match svc::propose(&state, None, &input).await {
        Ok(p) => Ok(Redirect::to(&format!(
            "/pt/{}?notice={}",
            p.id,
            url_encode(&format!(
                "议题已提交，查询码 {}。受理和进展会短信通知您",
                p.tracking_code
            ))
        ))
        .into_response()),
        Err(e @ AppError::BadRequest { .. }) => {
            let (jar, page) = list_page(&state, jar, &node, f, Some(e.to_string())).await?;
            Ok((axum::http::StatusCode::BAD_REQUEST, jar, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// A meeting as the pages show it.
struct MeetingLine {
    id: i64,
    format: String,
    place: String,
    at: String,
    minutes: String,
    participants: Vec<(i64, String, &'static str, bool, Option<String>)>,
    tally: String,
    passed: bool,
}

/// A suggestion as the pages show it.
struct SuggestionLine {
    id: i64,
    text: String,
    disposition: &'static str,
    owner: String,
    case_id: Option<i64>,
    progress: i64,
    evidence: String,
}

struct View {
    topic: TopicRow,
    stage: TopicStage,
    stage_label: &'static str,
    scale_label: &'static str,
    meetings: Vec<MeetingLine>,
    resolutions: Vec<(String, i64, Vec<SuggestionLine>)>,
    events: Vec<(String, String, String, String)>,
    days: Option<String>,
}

fn view(d: TopicDetail) -> Result<View, PageError> {
    let stage = d.topic.stage;
    Ok(View {
        stage,
        stage_label: d.stage_label,
        scale_label: d.scale_label,
        meetings: d
            .meetings
            .into_iter()
            .map(|m| MeetingLine {
                id: m.meeting.id,
                at: beijing(m.meeting.held_at),
                tally: format!(
                    "出席 {} 人：赞成 {}，反对 {}，弃权 {}",
                    m.tally.present, m.tally.for_, m.tally.against, m.tally.abstain
                ),
                passed: m.passed,
                participants: m
                    .participants
                    .into_iter()
                    .map(|p| {
                        let choice = p.choice.map(|c| match c.as_str() {
                            "for" => "赞成".to_owned(),
                            "against" => "反对".to_owned(),
                            _ => "弃权".to_owned(),
                        });
                        (p.id, p.name, p.side.label(), p.present, choice)
                    })
                    .collect(),
                format: m.meeting.format,
                place: m.meeting.place,
                minutes: m.meeting.minutes,
            })
            .collect(),
        resolutions: d
            .resolutions
            .into_iter()
            .map(|r| {
                let s = r
                    .suggestions
                    .into_iter()
                    .map(|s| SuggestionLine {
                        id: s.id,
                        disposition: s.disposition.label(),
                        text: s.text,
                        owner: s.owner,
                        case_id: s.case_id,
                        progress: s.progress,
                        evidence: s.evidence,
                    })
                    .collect();
                (r.resolution.text, r.resolution.progress, s)
            })
            .collect(),
        events: d
            .events
            .into_iter()
            .map(|e| (beijing(e.at), e.action, e.actor_label, e.note))
            .collect(),
        days: d.adoption_to_done_days.map(|x| format!("{x:.1}")),
        topic: d.topic,
    })
}

#[derive(Template)]
#[template(path = "topic_public.html")]
struct PublicTopic {
    style: &'static str,
    csrf: String,
    v: View,
    flash: Flash,
}

async fn public_topic(
    State(state): State<WebState>,
    jar: CookieJar,
    Path(id): Path<i64>,
    Query(flash): Query<Flash>,
) -> Result<(CookieJar, Response), PageError> {
    let v = view(svc::public(&state, id).await?)?;
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    Ok((
        jar,
        render(&PublicTopic {
            style: STYLE_PATH.as_str(),
            csrf,
            v,
            flash,
        }),
    ))
}

#[derive(Deserialize)]
struct FollowForm {
    phone: String,
}

async fn follow(
    State(state): State<WebState>,
    addr: crate::client::Client,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<FollowForm>,
) -> Result<Redirect, PageError> {
    state
        .allow_public_report(&format!("topic:{}", addr.ip()))
        .await?;
    back(
        &format!("/pt/{id}"),
        svc::follow(&state, id, &f.phone)
            .await
            .map(|_| "已关注，议题有进展时会短信通知您".to_owned()),
    )
}

#[derive(Template)]
#[template(path = "topics.html")]
struct StaffList {
    style: &'static str,
    chrome: Chrome,
    node: String,
    topics: Vec<Line>,
}

#[derive(Deserialize)]
struct NodeQuery {
    node: Option<String>,
}

async fn staff_list(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Query(q): Query<NodeQuery>,
) -> Result<(CookieJar, Response), PageError> {
    let node = p.node_or_own(q.node.as_deref())?;
    shanzhi_app::regions::visible(&state, &p.actor, &node).await?;
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = StaffList {
        style: STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        topics: lines(svc::list(&state, &node).await?),
        node,
    };
    Ok((jar, render(&page)))
}

#[derive(Template)]
#[template(path = "topic.html")]
struct StaffTopic {
    style: &'static str,
    chrome: Chrome,
    v: View,
    flash: Flash,
}

async fn staff_topic(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Path(id): Path<i64>,
    Query(flash): Query<Flash>,
) -> Result<(CookieJar, Response), PageError> {
    let v = view(svc::visible(&state, &p, id).await?)?;
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    Ok((
        jar,
        render(&StaffTopic {
            style: STYLE_PATH.as_str(),
            chrome: Chrome::new(&p, csrf),
            v,
            flash,
        }),
    ))
}

fn to(id: i64) -> String {
    format!("/topics/{id}")
}

#[derive(Deserialize)]
struct DecideForm {
    accept: String,
    #[serde(default)]
    reason: String,
}

async fn decide(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<DecideForm>,
) -> Result<Redirect, PageError> {
    let r = svc::decide(&state, &p, id, f.accept == "1", &f.reason).await;
    back(&to(id), r.map(|d| d.stage_label.to_owned()))
}

#[derive(Deserialize)]
struct MeetingForm {
    format: String,
    place: String,
    #[serde(default)]
    minutes: String,
    participants: String,
}

/// Reads participants, one per line: `姓名 身份 [缺席]` (身份: 居委会、业委会、物业、居民、
/// 政协委员、党员).
fn participants(text: &str) -> Result<Vec<ParticipantInput>, AppError> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| {
            let mut parts = l.split_whitespace();
            let name = parts.next().unwrap_or_default().to_owned();
            let side_text = parts.next().unwrap_or_default();
            let side = Side::ALL.into_iter().find(|s| s.label() == side_text).ok_or_else(|| {
                AppError::bad("invalid_field", format!("参会人员第 {} 行：身份须为 居委会、业委会、物业、居民、政协委员 或 党员", i + 1))
            })?;
            Ok(ParticipantInput {
                name,
                side,
                present: parts.next() != Some("缺席"),
            })
        })
        .collect()
}

async fn meeting(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<MeetingForm>,
) -> Result<Redirect, PageError> {
    let result = match participants(&f.participants) {
        Ok(list) => {
            let m = MeetingInput {
                format: f.format,
                place: f.place,
                held_at: None,
                minutes: f.minutes,
                participants: list,
            };
            svc::add_meeting(&state, &p, id, &m)
                .await
                .map(|_| "已记录会议".to_owned())
        }
        Err(e) => Err(e),
    };
    back(&to(id), result)
}

#[derive(Deserialize)]
struct VoteForm {
    meeting: String,
    participant: String,
    choice: String,
}

async fn vote(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<VoteForm>,
) -> Result<Redirect, PageError> {
    let v = VoteInput {
        participant_id: f.participant.trim().parse().unwrap_or(0),
        choice: match f.choice.as_str() {
            "for" => Choice::For,
            "against" => Choice::Against,
            _ => Choice::Abstain,
        },
    };
    let meeting = f.meeting.trim().parse().unwrap_or(0);
    back(
        &to(id),
        svc::vote(&state, &p, meeting, &v).await.map(|m| {
            if m.passed {
                "已记录；表决已通过".to_owned()
            } else {
                "已记录".to_owned()
            }
        }),
    )
}

#[derive(Deserialize)]
struct ResolveForm {
    #[serde(default)]
    meeting: String,
    text: String,
    suggestions: String,
}

/// Reads suggestions, one per line: `采纳|内容|承办单位`, `事件|内容|事件类别编码` or
/// `提案|内容|转交单位`.
fn suggestions(text: &str) -> Result<Vec<SuggestionInput>, AppError> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| {
            let parts: Vec<&str> = l.split(['|', '｜']).map(str::trim).collect();
            let bad = || AppError::bad("invalid_field", format!("建议第 {} 行：格式为 采纳|内容|承办单位、事件|内容|类别编码 或 提案|内容|转交单位", i + 1));
            let [kind, body, rest] = parts[..] else { return Err(bad()) };
            let disposition = match kind {
                "采纳" => Disposition::Adopted,
                "事件" => Disposition::Case,
                "提案" => Disposition::Upward,
                _ => return Err(bad()),
            };
            Ok(SuggestionInput {
                text: body.to_owned(),
                owner: rest.to_owned(),
                category: (disposition == Disposition::Case).then(|| rest.to_owned()),
                disposition,
            })
        })
        .collect()
}

async fn resolve(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ResolveForm>,
) -> Result<Redirect, PageError> {
    let result = match suggestions(&f.suggestions) {
        Ok(list) => {
            let r = ResolutionInput {
                meeting_id: f.meeting.trim().parse().ok(),
                text: f.text,
                suggestions: list,
            };
            svc::resolve(&state, &p, id, &r)
                .await
                .map(|_| "已形成决议".to_owned())
        }
        Err(e) => Err(e),
    };
    back(&to(id), result)
}

#[derive(Deserialize)]
struct ProgressForm {
    suggestion: String,
    progress: String,
    #[serde(default)]
    evidence: String,
}

async fn progress(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ProgressForm>,
) -> Result<Redirect, PageError> {
    let g = ProgressInput {
        progress: f.progress.trim().parse().unwrap_or(-1),
        evidence: f.evidence,
    };
    let s = f.suggestion.trim().parse().unwrap_or(0);
    back(
        &to(id),
        svc::progress(&state, &p, s, &g)
            .await
            .map(|d| format!("进度已更新：{}%", d.topic.progress)),
    )
}
