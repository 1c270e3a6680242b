//! 微心愿: wishes and their timeline. Every state change is a conditional update on the
//! stage (and version), so two members racing for one wish cannot both win.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::participation::{ServiceCategory, WishStage};

/// A stored wish (no phone: only its masked form).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct WishRow {
    /// Id.
    pub id: i64,
    /// The community.
    pub community_code: String,
    /// The grid, when known.
    pub grid_code: Option<String>,
    /// Service category code.
    pub category: ServiceCategory,
    /// What is wished for.
    pub title: String,
    /// More words.
    pub detail: String,
    /// Who wishes it (as they gave it).
    pub requester_name: String,
    /// Masked phone.
    pub phone_masked: String,
    /// The grid worker who entered it for the resident (代填).
    pub entered_by: Option<i64>,
    /// Stored stage (read it with `WishStage::at`).
    pub stage: WishStage,
    /// Points reward once published.
    pub points: Option<i64>,
    /// Deadline once published (ms).
    pub deadline_at: Option<i64>,
    /// Why declined.
    pub decline_reason: String,
    /// The member holding or having held the claim.
    pub claimant_id: Option<i64>,
    /// When the claim lapses (ms).
    pub claim_expires_at: Option<i64>,
    /// The member's words on completing.
    pub done_note: String,
    /// When completed (ms).
    pub done_at: Option<i64>,
    /// When confirmed (ms).
    pub confirmed_at: Option<i64>,
    /// Whether a completion photo is stored.
    pub has_photo: bool,
    /// The points posting when confirmed.
    pub posting_id: Option<i64>,
    /// When posted (ms).
    pub created_at: i64,
    /// Optimistic-lock version.
    pub version: i64,
}

const WISH: &str = "id, community_code, grid_code, category, title, detail, requester_name, \
    phone_masked, entered_by, stage, points, deadline_at, decline_reason, claimant_id, \
    claim_expires_at, done_note, done_at, confirmed_at, (done_photo IS NOT NULL) AS has_photo, \
    posting_id, created_at, version";

/// A wish to write.
#[derive(Debug, Clone, Copy)]
pub struct NewWish<'a> {
    /// Community.
    pub community: &'a str,
    /// Grid.
    pub grid: Option<&'a str>,
    /// Category code.
    pub category: ServiceCategory,
    /// Title.
    pub title: &'a str,
    /// Detail.
    pub detail: &'a str,
    /// Requester's name.
    pub requester_name: &'a str,
    /// Sealed phone.
    pub phone_sealed: &'a [u8],
    /// Masked phone.
    pub phone_masked: &'a str,
    /// Tracking code for the resident.
    pub tracking_code: &'a str,
    /// Grid worker entering it for the resident.
    pub entered_by: Option<i64>,
    /// When (ms).
    pub at: i64,
}

/// Stores a new wish (待审核).
pub async fn insert(ex: &mut impl Exec, w: &NewWish<'_>) -> Result<WishRow, StoreError> {
    ex.one(
        Sql::new(format!(
            "INSERT INTO wishes (community_code, grid_code, category, title, detail, requester_name, \
             phone_sealed, phone_masked, tracking_code, entered_by, stage, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'submitted', ?) RETURNING {WISH}"
        ))
        .bind(w.community)
        .bind(w.grid)
        .bind(w.category.as_str())
        .bind(w.title)
        .bind(w.detail)
        .bind(w.requester_name)
        .bind(w.phone_sealed.to_vec())
        .bind(w.phone_masked)
        .bind(w.tracking_code)
        .bind(w.entered_by)
        .bind(w.at),
    )
    .await
}

/// One wish.
pub async fn get(ex: &mut impl Exec, id: i64) -> Result<Option<WishRow>, StoreError> {
    ex.opt(Sql::new(format!("SELECT {WISH} FROM wishes WHERE id = ?")).bind(id))
        .await
}

/// The wish a tracking code belongs to.
pub async fn by_tracking(ex: &mut impl Exec, code: &str) -> Result<Option<WishRow>, StoreError> {
    ex.opt(Sql::new(format!("SELECT {WISH} FROM wishes WHERE tracking_code = ?")).bind(code))
        .await
}

/// Wishes under a node, newest first, optionally of the given stored stages.
pub async fn under(
    ex: &mut impl Exec,
    node: &str,
    stages: &[&str],
    limit: i64,
) -> Result<Vec<WishRow>, StoreError> {
    let mut q = Sql::new(format!(
        "SELECT {WISH} FROM wishes WHERE community_code >= ? AND community_code < ?"
    ))
    .bind(node)
    .bind(format!("{node}~"));
    if !stages.is_empty() {
        q.push_list(" AND stage IN", stages.iter().map(|s| s.to_string()));
    }
    q.push_bind(" ORDER BY id DESC LIMIT ?", limit);
    ex.all(q).await
}

/// Wishes a member holds or held, newest first.
pub async fn of_member(ex: &mut impl Exec, member: i64) -> Result<Vec<WishRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {WISH} FROM wishes WHERE claimant_id = ? ORDER BY id DESC LIMIT 100"
        ))
        .bind(member),
    )
    .await
}

/// The change a wish action writes; unset fields keep their value.
#[derive(Debug, Clone)]
pub struct WishChange {
    /// New stage.
    pub stage: WishStage,
    /// Reward.
    pub points: Option<i64>,
    /// Deadline.
    pub deadline_at: Option<i64>,
    /// Decline reason.
    pub decline_reason: Option<String>,
    /// Claimant: `Some(None)` clears it.
    pub claimant: Option<Option<i64>>,
    /// Claim time and lapse: `Some(None)` clears them.
    pub claim: Option<Option<(i64, i64)>>,
    /// Completion words and time.
    pub done: Option<(String, i64)>,
    /// Completion photo.
    pub photo: Option<Vec<u8>>,
    /// Confirmation time and posting.
    pub confirmed: Option<(i64, i64)>,
}

impl WishChange {
    /// A move to `stage` that changes nothing else.
    pub fn to(stage: WishStage) -> WishChange {
        WishChange {
            stage,
            points: None,
            deadline_at: None,
            decline_reason: None,
            claimant: None,
            claim: None,
            done: None,
            photo: None,
            confirmed: None,
        }
    }
}

/// Applies a change if the wish is still at `version`; false if someone changed it first.
pub async fn change(
    ex: &mut impl Exec,
    id: i64,
    version: i64,
    c: &WishChange,
) -> Result<bool, StoreError> {
    let mut q = Sql::new("UPDATE wishes SET version = version + 1");
    q.push_bind(", stage = ?", c.stage.as_str());
    if let Some(p) = c.points {
        q.push_bind(", points = ?", p);
    }
    if let Some(d) = c.deadline_at {
        q.push_bind(", deadline_at = ?", d);
    }
    if let Some(r) = &c.decline_reason {
        q.push_bind(", decline_reason = ?", r.clone());
    }
    if let Some(m) = c.claimant {
        q.push_bind(", claimant_id = ?", m);
    }
    if let Some(claim) = c.claim {
        q.push_bind(", claimed_at = ?", claim.map(|(at, _)| at));
        q.push_bind(", claim_expires_at = ?", claim.map(|(_, until)| until));
    }
    if let Some((note, at)) = &c.done {
        q.push_bind(", done_note = ?", note.clone());
        q.push_bind(", done_at = ?", *at);
    }
    if let Some(photo) = &c.photo {
        q.push_bind(", done_photo = ?", photo.clone());
    }
    if let Some((at, posting)) = c.confirmed {
        q.push_bind(", confirmed_at = ?", at);
        q.push_bind(", posting_id = ?", posting);
    }
    q.push_bind(" WHERE id = ?", id);
    q.push_bind(" AND version = ?", version);
    Ok(ex.exec(q).await? == 1)
}

/// The completion photo.
pub async fn photo(ex: &mut impl Exec, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(ex
        .opt::<(Option<Vec<u8>>,)>(Sql::new("SELECT done_photo FROM wishes WHERE id = ?").bind(id))
        .await?
        .and_then(|(p,)| p))
}

/// A line of a wish's timeline.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct WishEventRow {
    /// What happened.
    pub action: String,
    /// Who.
    pub actor_label: String,
    /// Words.
    pub note: String,
    /// When (ms).
    pub at: i64,
}

/// Adds to a wish's timeline.
pub async fn log(
    ex: &mut impl Exec,
    wish: i64,
    action: &str,
    actor_label: &str,
    note: &str,
    at: i64,
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new("INSERT INTO wish_events (wish_id, action, actor_label, note, at) VALUES (?, ?, ?, ?, ?)")
            .bind(wish)
            .bind(action)
            .bind(actor_label)
            .bind(note)
            .bind(at),
    )
    .await?;
    Ok(())
}

/// A wish's timeline, oldest first.
pub async fn events(ex: &mut impl Exec, wish: i64) -> Result<Vec<WishEventRow>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT action, actor_label, note, at FROM wish_events WHERE wish_id = ? ORDER BY id",
        )
        .bind(wish),
    )
    .await
}
