//! 协商议事: topics, followers, meetings (participants, votes), resolutions, suggestions and
//! the timeline.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::participation::topic::{Choice, Disposition, Scale, Side, TopicStage};

/// A stored topic (the proposer's phone only masked).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct TopicRow {
    /// Id.
    pub id: i64,
    /// The area (grid, community or street).
    pub node_code: String,
    /// Title.
    pub title: String,
    /// What is proposed and why.
    pub detail: String,
    /// `major`, `minor` or `urgent`.
    pub scale: Scale,
    /// Stage.
    pub stage: TopicStage,
    /// Who proposed it.
    pub proposer_name: String,
    /// Their masked phone (may be empty).
    pub proposer_phone_masked: String,
    /// The staff account that entered it, if staff did.
    pub proposed_by: Option<i64>,
    /// An urgent topic's deadline (ms).
    pub deadline_at: Option<i64>,
    /// Why declined.
    pub decline_reason: String,
    /// Progress 0–100, rolled up from its resolutions.
    pub progress: i64,
    /// When proposed (ms).
    pub created_at: i64,
    /// When resolved (ms).
    pub resolved_at: Option<i64>,
    /// When done (ms).
    pub done_at: Option<i64>,
}

const TOPIC: &str = "id, node_code, title, detail, scale, stage, proposer_name, proposer_phone_masked, \
    proposed_by, deadline_at, decline_reason, progress, created_at, resolved_at, done_at";

/// A topic to write.
#[derive(Debug, Clone, Copy)]
pub struct NewTopic<'a> {
    /// Area.
    pub node: &'a str,
    /// Title.
    pub title: &'a str,
    /// Detail.
    pub detail: &'a str,
    /// Scale.
    pub scale: Scale,
    /// Proposer's name.
    pub proposer: &'a str,
    /// Proposer's phone: (sealed, masked).
    pub phone: Option<(&'a [u8], &'a str)>,
    /// Tracking code.
    pub tracking: &'a str,
    /// Staff who entered it.
    pub by: Option<i64>,
    /// Urgent deadline.
    pub deadline: Option<i64>,
    /// When.
    pub at: i64,
}

/// Stores a proposed topic.
pub async fn insert(ex: &mut impl Exec, t: &NewTopic<'_>) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO topics (node_code, title, detail, scale, stage, proposer_name, proposer_phone_sealed, \
                 proposer_phone_masked, tracking_code, proposed_by, deadline_at, created_at) \
                 VALUES (?, ?, ?, ?, 'proposed', ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(t.node)
            .bind(t.title)
            .bind(t.detail)
            .bind(t.scale.as_str())
            .bind(t.proposer)
            .bind(t.phone.map(|p| p.0.to_vec()))
            .bind(t.phone.map_or("", |p| p.1))
            .bind(t.tracking)
            .bind(t.by)
            .bind(t.deadline)
            .bind(t.at),
        )
        .await?;
    Ok(id)
}

/// One topic.
pub async fn get(ex: &mut impl Exec, id: i64) -> Result<Option<TopicRow>, StoreError> {
    ex.opt(Sql::new(format!("SELECT {TOPIC} FROM topics WHERE id = ?")).bind(id))
        .await
}

/// The topic of a tracking code.
pub async fn by_tracking(ex: &mut impl Exec, code: &str) -> Result<Option<TopicRow>, StoreError> {
    ex.opt(
        Sql::new(format!(
            "SELECT {TOPIC} FROM topics WHERE tracking_code = ?"
        ))
        .bind(code),
    )
    .await
}

/// Topics under a node, newest first.
pub async fn under(ex: &mut impl Exec, node: &str) -> Result<Vec<TopicRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {TOPIC} FROM topics WHERE node_code >= ? AND node_code < ? ORDER BY id DESC LIMIT 300"
        ))
        .bind(node)
        .bind(format!("{node}~")),
    )
    .await
}

/// Moves a topic from one stage to another; false if it was no longer in `from`.
pub async fn set_stage(
    ex: &mut impl Exec,
    id: i64,
    from: TopicStage,
    to: TopicStage,
    reason: Option<&str>,
    at: i64,
) -> Result<bool, StoreError> {
    let mut q = Sql::new("UPDATE topics SET stage = ?").bind(to.as_str());
    if let Some(r) = reason {
        q.push_bind(", decline_reason = ?", r.to_owned());
    }
    match to {
        TopicStage::Implementing => {
            q.push_bind(", resolved_at = ?", at);
        }
        TopicStage::Done => {
            q.push_bind(", done_at = ?", at);
        }
        _ => {}
    }
    q.push_bind(" WHERE id = ?", id);
    q.push_bind(" AND stage = ?", from.as_str());
    Ok(ex.exec(q).await? == 1)
}

/// Sets a topic's rolled-up progress.
pub async fn set_progress(ex: &mut impl Exec, id: i64, progress: i64) -> Result<(), StoreError> {
    ex.exec(
        Sql::new("UPDATE topics SET progress = ? WHERE id = ?")
            .bind(progress)
            .bind(id),
    )
    .await?;
    Ok(())
}

/// Adds a follower by phone; false if already following.
pub async fn follow(
    ex: &mut impl Exec,
    topic: i64,
    index: &[u8],
    sealed: &[u8],
    at: i64,
) -> Result<bool, StoreError> {
    Ok(ex
        .exec(
            Sql::new(
                "INSERT INTO topic_followers (topic_id, phone_index, phone_sealed, at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (topic_id, phone_index) DO NOTHING",
            )
            .bind(topic)
            .bind(index.to_vec())
            .bind(sealed.to_vec())
            .bind(at),
        )
        .await?
        == 1)
}

/// Adds to a topic's timeline.
pub async fn log(
    ex: &mut impl Exec,
    topic: i64,
    action: &str,
    actor: &str,
    note: &str,
    at: i64,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new("INSERT INTO topic_events (topic_id, action, actor_label, note, at) VALUES (?, ?, ?, ?, ?)")
            .bind(topic)
            .bind(action)
            .bind(actor)
            .bind(note)
            .bind(at),
    )
    .await?;
    Ok(())
}

/// A line of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct TopicEventRow {
    /// What.
    pub action: String,
    /// Who.
    pub actor_label: String,
    /// Words.
    pub note: String,
    /// When (ms).
    pub at: i64,
}

/// A topic's timeline.
pub async fn events(ex: &mut impl Exec, topic: i64) -> Result<Vec<TopicEventRow>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT action, actor_label, note, at FROM topic_events WHERE topic_id = ? ORDER BY id",
        )
        .bind(topic),
    )
    .await
}

/// A meeting.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct MeetingRow {
    /// Id.
    pub id: i64,
    /// Topic.
    pub topic_id: i64,
    /// 线上、线下、现场、远程.
    pub format: String,
    /// Where (田间、庭院、家中、会议室…).
    pub place: String,
    /// When (ms).
    pub held_at: i64,
    /// Minutes.
    pub minutes: String,
}

/// Records a meeting.
#[allow(clippy::too_many_arguments)]
pub async fn add_meeting(
    ex: &mut impl Exec,
    topic: i64,
    format: &str,
    place: &str,
    held_at: i64,
    minutes: &str,
    by: i64,
    at: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO meetings (topic_id, format, place, held_at, minutes, created_by, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(topic)
            .bind(format)
            .bind(place)
            .bind(held_at)
            .bind(minutes)
            .bind(by)
            .bind(at),
        )
        .await?;
    Ok(id)
}

/// A topic's meetings.
pub async fn meetings(ex: &mut impl Exec, topic: i64) -> Result<Vec<MeetingRow>, StoreError> {
    ex.all(
        Sql::new("SELECT id, topic_id, format, place, held_at, minutes FROM meetings WHERE topic_id = ? ORDER BY id")
            .bind(topic),
    )
    .await
}

/// One meeting.
pub async fn meeting(ex: &mut impl Exec, id: i64) -> Result<Option<MeetingRow>, StoreError> {
    ex.opt(
        Sql::new("SELECT id, topic_id, format, place, held_at, minutes FROM meetings WHERE id = ?")
            .bind(id),
    )
    .await
}

/// A participant with their vote.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ParticipantRow {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Side.
    pub side: Side,
    /// Attended.
    pub present: bool,
    /// Their vote, once cast.
    pub choice: Option<Choice>,
}

/// Adds a participant (a name once per meeting).
pub async fn add_participant(
    ex: &mut impl Exec,
    meeting: i64,
    name: &str,
    side: Side,
    present: bool,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new("INSERT INTO meeting_participants (meeting_id, name, side, present) VALUES (?, ?, ?, ?) RETURNING id")
                .bind(meeting)
                .bind(name)
                .bind(side.as_str())
                .bind(present),
        )
        .await?;
    Ok(id)
}

/// A meeting's participants and votes.
pub async fn participants(
    ex: &mut impl Exec,
    meeting: i64,
) -> Result<Vec<ParticipantRow>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT p.id, p.name, p.side, p.present, v.choice FROM meeting_participants p \
             LEFT JOIN meeting_votes v ON v.participant_id = p.id WHERE p.meeting_id = ? ORDER BY p.id",
        )
        .bind(meeting),
    )
    .await
}

/// Casts a present participant's vote; false if they had voted already.
pub async fn vote(
    ex: &mut impl Exec,
    meeting: i64,
    participant: i64,
    choice: Choice,
    at: i64,
) -> Result<bool, StoreError> {
    Ok(ex
        .exec(
            Sql::new(
                "INSERT INTO meeting_votes (meeting_id, participant_id, choice, at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (meeting_id, participant_id) DO NOTHING",
            )
            .bind(meeting)
            .bind(participant)
            .bind(choice.as_str())
            .bind(at),
        )
        .await?
        == 1)
}

/// A resolution with its rolled-up progress.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ResolutionRow {
    /// Id.
    pub id: i64,
    /// The meeting that passed it, if any.
    pub meeting_id: Option<i64>,
    /// What was resolved.
    pub text: String,
    /// Progress 0–100.
    pub progress: i64,
}

/// Records a resolution.
pub async fn add_resolution(
    ex: &mut impl Exec,
    topic: i64,
    meeting: Option<i64>,
    text: &str,
    at: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new("INSERT INTO resolutions (topic_id, meeting_id, text, created_at) VALUES (?, ?, ?, ?) RETURNING id")
                .bind(topic)
                .bind(meeting)
                .bind(text)
                .bind(at),
        )
        .await?;
    Ok(id)
}

/// A topic's resolutions.
pub async fn resolutions(ex: &mut impl Exec, topic: i64) -> Result<Vec<ResolutionRow>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT id, meeting_id, text, progress FROM resolutions WHERE topic_id = ? ORDER BY id",
        )
        .bind(topic),
    )
    .await
}

/// Sets a resolution's rolled-up progress.
pub async fn set_resolution_progress(
    ex: &mut impl Exec,
    id: i64,
    progress: i64,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new("UPDATE resolutions SET progress = ? WHERE id = ?")
            .bind(progress)
            .bind(id),
    )
    .await?;
    Ok(())
}

/// A suggestion.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct SuggestionRow {
    /// Id.
    pub id: i64,
    /// Its resolution.
    pub resolution_id: i64,
    /// What is to be done.
    pub text: String,
    /// `adopted`, `case` or `upward`.
    pub disposition: Disposition,
    /// Who carries it out (adopted), or where it went (upward).
    pub owner: String,
    /// The case it became.
    pub case_id: Option<i64>,
    /// 0–100.
    pub progress: i64,
    /// How it was carried out (跟踪问效).
    pub evidence: String,
    /// When adopted (ms).
    pub adopted_at: i64,
    /// When done (ms).
    pub done_at: Option<i64>,
}

const SUGGESTION: &str =
    "id, resolution_id, text, disposition, owner, case_id, progress, evidence, adopted_at, done_at";

/// Adds a suggestion.
#[allow(clippy::too_many_arguments)]
pub async fn add_suggestion(
    ex: &mut impl Exec,
    resolution: i64,
    text: &str,
    disposition: Disposition,
    owner: &str,
    case_id: Option<i64>,
    at: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO suggestions (resolution_id, text, disposition, owner, case_id, adopted_at) \
                 VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(resolution)
            .bind(text)
            .bind(disposition.as_str())
            .bind(owner)
            .bind(case_id)
            .bind(at),
        )
        .await?;
    Ok(id)
}

/// One suggestion.
pub async fn suggestion(ex: &mut impl Exec, id: i64) -> Result<Option<SuggestionRow>, StoreError> {
    ex.opt(Sql::new(format!("SELECT {SUGGESTION} FROM suggestions WHERE id = ?")).bind(id))
        .await
}

/// A resolution's suggestions.
pub async fn suggestions(
    ex: &mut impl Exec,
    resolution: i64,
) -> Result<Vec<SuggestionRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {SUGGESTION} FROM suggestions WHERE resolution_id = ? ORDER BY id"
        ))
        .bind(resolution),
    )
    .await
}

/// Moves a suggestion's progress forward from `before` (false if someone else moved it).
pub async fn set_suggestion_progress(
    ex: &mut impl Exec,
    id: i64,
    before: i64,
    after: i64,
    evidence: &str,
    done_at: Option<i64>,
) -> Result<bool, StoreError> {
    Ok(ex
        .exec(
            Sql::new("UPDATE suggestions SET progress = ?, evidence = ?, done_at = ? WHERE id = ? AND progress = ?")
                .bind(after)
                .bind(evidence)
                .bind(done_at)
                .bind(id)
                .bind(before),
        )
        .await?
        == 1)
}

/// The topic a resolution belongs to.
pub async fn topic_of_resolution(
    ex: &mut impl Exec,
    resolution: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(ex
        .opt::<(i64,)>(Sql::new("SELECT topic_id FROM resolutions WHERE id = ?").bind(resolution))
        .await?
        .map(|(t,)| t))
}
