//! 社情民意: every community's always-open opinion box. A resident writes in (no account;
//! name and phone optional) and gets a tracking code; the community triages each opinion —
//! answers it, or turns it into a case — and the resident reads the outcome with the code.

use crate::auth::Principal;
use crate::cases::{self as cases_svc, ReportInput};
use crate::fields::{optional, text};
use crate::members::{community_of, sealed_phone};
use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError};
use shanzhi_domain::auth::{Actor, Role};
use shanzhi_domain::participation::OpinionStatus;
use shanzhi_domain::texts::TextKind;
pub use shanzhi_store::surveys::OpinionRow;
use shanzhi_store::surveys::{self as store};

/// An opinion from a resident.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct OpinionInput {
    /// The community (or a grid in it).
    pub community: String,
    /// What they want to say.
    pub content: String,
    /// How to address them (optional).
    #[serde(default)]
    pub name: String,
    /// A phone to reach them (optional; sealed, masked).
    #[serde(default)]
    pub phone: String,
}

/// What the sender keeps.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = OpinionSent)]
pub struct Sent {
    /// The code to read the answer with.
    pub tracking_code: String,
}

/// Puts an opinion in the community's box.
pub async fn send(state: &App, o: &OpinionInput) -> Result<Sent, AppError> {
    let anyone = Actor {
        account_id: 0,
        role: Role::Volunteer,
        node: None,
        department_id: None,
    };
    let community = community_of(state, &anyone, &o.community).await?;
    let content = text(&o.content, "内容", 2000)?;
    let name = optional(&o.name, "称呼", 30)?;
    let phone = match o.phone.trim() {
        "" => None,
        p => Some(sealed_phone(state, p)?),
    };
    let code = tracking_code('Y');
    store::add_opinion(
        &mut state.store().conn().await?,
        &community.code,
        content,
        name,
        phone
            .as_ref()
            .map(|p| (p.sealed.as_slice(), p.masked.as_str())),
        &code,
        state.now_ms(),
    )
    .await?;
    Ok(Sent {
        tracking_code: code,
    })
}

/// An opinion by its tracking code.
pub async fn tracked(state: &App, code: &str) -> Result<OpinionRow, AppError> {
    store::opinion_by_code(&mut state.store().conn().await?, code.trim())
        .await?
        .ok_or_else(|| AppError::NotFound("没有这个查询码，请核对".into()))
}

/// The opinions of an area, newest first.
pub async fn list(state: &App, actor: &Actor, node: &str) -> Result<Vec<OpinionRow>, AppError> {
    actor.may(Resource::Consultation, Verb::List)?;
    crate::regions::visible(state, actor, node).await?;
    Ok(store::opinions_under(&mut state.store().conn().await?, node).await?)
}

/// How the community handles an opinion.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Triage {
    /// Answer it (the resident reads the answer with the code).
    Answer {
        /// The answer.
        answer: String,
    },
    /// Turn it into a case in the community's closed loop.
    Case {
        /// Category code (事项清单).
        category: String,
        /// The case's title.
        title: String,
        /// A grid in the community, if known (else the community).
        node: Option<String>,
    },
}

/// Triages a new opinion; the community's staff only, once.
pub async fn triage(
    state: &App,
    p: &Principal,
    id: i64,
    t: &Triage,
) -> Result<OpinionRow, AppError> {
    p.may(Resource::ParticipationDesk, Verb::Write)?;
    let mut conn = state.store().conn().await?;
    let o = store::opinion(&mut conn, id)
        .await?
        .filter(|o| p.actor.sees(&o.community_code))
        .ok_or_else(AppError::not_found)?;
    let label = p.label();
    let now = state.now_ms();
    match t {
        Triage::Answer { answer } => {
            let answer = text(answer, "答复", 1000)?;
            let mut tx = state.store().begin().await?;
            if !store::handle_opinion(
                &mut tx,
                id,
                OpinionStatus::Answered,
                answer,
                None,
                (p.account.id, &label),
                now,
            )
            .await?
            {
                return Err(AppError::Conflict("这条意见已经办理过了".into()));
            }
            tell(&mut tx, id, TextKind::OpinionAnswered, now).await?;
            tx.commit().await?;
        }
        Triage::Case {
            category,
            title,
            node,
        } => {
            // Claimed first, so two officers cannot both open a case for it; released if the
            // case cannot be filed.
            if !store::handle_opinion(
                &mut conn,
                id,
                OpinionStatus::Case,
                "已转为事件办理",
                None,
                (p.account.id, &label),
                now,
            )
            .await?
            {
                return Err(AppError::Conflict("这条意见已经办理过了".into()));
            }
            let input = ReportInput {
                category: category.clone(),
                title: title.clone(),
                description: o.content.clone(),
                lon: None,
                lat: None,
                crs: Default::default(),
                node_code: Some(node.clone().unwrap_or_else(|| o.community_code.clone())),
                address: None,
                source: Some("opinion".into()),
            };
            match cases_svc::report(state, &p.actor, &p.account, input, Vec::new()).await {
                Ok(case) => {
                    let mut tx = state.store().begin().await?;
                    store::link_case(&mut tx, id, case.id).await?;
                    tell(&mut tx, id, TextKind::OpinionCase, now).await?;
                    tx.commit().await?;
                }
                Err(e) => {
                    store::reopen_opinion(&mut conn, id).await?;
                    return Err(e);
                }
            }
        }
    }
    store::opinion(&mut conn, id)
        .await?
        .ok_or_else(AppError::not_found)
}

/// Queues the text telling the resident (if they left a phone) what became of opinion `id`.
async fn tell(
    tx: &mut shanzhi_store::Tx,
    id: i64,
    kind: TextKind,
    now: i64,
) -> Result<(), AppError> {
    let subject = shanzhi_store::sms::Subject::Opinion(id);
    shanzhi_store::sms::queue_about(tx, subject, kind, "", now).await?;
    Ok(())
}

/// A tracking code for a resident's wish, letter or topic: `prefix`, then a case-style code
/// (the prefix keeps the kinds apart when a resident reads one out).
pub(crate) fn tracking_code(prefix: char) -> String {
    format!("{prefix}{}", cases_svc::tracking_code())
}
