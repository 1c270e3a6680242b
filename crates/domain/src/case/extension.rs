//! Extension requests (延期申请) and suspension (挂起): the handler asks, the level above decides.
//! A granted extension moves the handle deadline; a granted suspension stops the clock until
//! the case is resumed, and the deadline moves by the time it stood still.

use super::workflow::{Party, Relation, Stage};
use crate::auth::Role;

/// The longest single extension, in clock hours (ten working days).
pub const MAX_EXTENSION_HOURS: i64 = 240;
/// How many extensions a case may be granted.
pub const MAX_EXTENSIONS: u8 = 2;

/// What a handler asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// 延期: more time, in clock hours.
    Extend {
        /// Hours asked for.
        hours: i64,
    },
    /// 挂起: stop the clock (waiting for a court, a season, a party who cannot be reached).
    Suspend,
}

impl Request {
    /// What kind of request it is.
    pub fn kind(self) -> RequestKind {
        match self {
            Request::Extend { .. } => RequestKind::Extend,
            Request::Suspend => RequestKind::Suspend,
        }
    }
}

/// The kinds of [`Request`], as stored.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// 延期.
    Extend,
    /// 挂起.
    Suspend,
}

impl RequestKind {
    /// Both.
    pub const ALL: [RequestKind; 2] = [RequestKind::Extend, RequestKind::Suspend];

    /// The stored form (also the API's).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Extend => "extend",
            RequestKind::Suspend => "suspend",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            RequestKind::Extend => "延期",
            RequestKind::Suspend => "挂起",
        }
    }
}

/// What the case looks like to these rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockFacts {
    /// Its stage.
    pub stage: Stage,
    /// Whether a request waits for a decision.
    pub pending: bool,
    /// Whether the clock is stopped.
    pub suspended: bool,
    /// Extensions granted so far.
    pub extensions: u8,
}

/// Why a request, decision or resumption is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    /// Only while the case is being handled.
    #[error("只有处置中的事件可以申请延期或挂起")]
    NotHandling,
    /// Only the handler may ask.
    #[error("只有承办人可以申请延期或挂起")]
    NotHandler,
    /// Only the level above may decide.
    #[error("延期、挂起申请由上一级审批")]
    NotApprover,
    /// One request at a time.
    #[error("已有一项申请待审批")]
    Pending,
    /// Nothing to decide.
    #[error("没有待审批的申请")]
    NothingPending,
    /// Extension hours out of range.
    #[error("延期时长须在 1 到 {MAX_EXTENSION_HOURS} 小时之间")]
    BadHours,
    /// Too many extensions.
    #[error("每件事件最多延期 {MAX_EXTENSIONS} 次")]
    TooMany,
    /// Already suspended.
    #[error("事件已挂起")]
    AlreadySuspended,
    /// Not suspended.
    #[error("事件未挂起")]
    NotSuspended,
    /// A reason is required.
    #[error("请填写申请理由")]
    ReasonRequired,
}

fn handler(p: Party) -> bool {
    matches!(
        p,
        Party::Staff {
            relation: Relation::Assignee,
            role
        } if role != Role::Volunteer
    )
}

fn approver(p: Party) -> bool {
    matches!(
        p,
        Party::Staff {
            relation: Relation::Above,
            role: Role::CommandCentre | Role::CommunityOfficer | Role::GridLeader
        }
    )
}

/// Whether the party may file the request.
pub fn may_request(
    case: ClockFacts,
    party: Party,
    request: Request,
    reason: &str,
) -> Result<(), ClockError> {
    if !matches!(case.stage, Stage::Dispatched | Stage::InProgress) {
        return Err(ClockError::NotHandling);
    }
    if !handler(party) {
        return Err(ClockError::NotHandler);
    }
    if case.pending {
        return Err(ClockError::Pending);
    }
    if reason.trim().is_empty() {
        return Err(ClockError::ReasonRequired);
    }
    match request {
        Request::Extend { hours } if !(1..=MAX_EXTENSION_HOURS).contains(&hours) => {
            Err(ClockError::BadHours)
        }
        Request::Extend { .. } if case.extensions >= MAX_EXTENSIONS => Err(ClockError::TooMany),
        Request::Suspend if case.suspended => Err(ClockError::AlreadySuspended),
        _ => Ok(()),
    }
}

/// Whether the party may approve or refuse the pending request.
pub fn may_decide(case: ClockFacts, party: Party) -> Result<(), ClockError> {
    if !case.pending {
        return Err(ClockError::NothingPending);
    }
    if !approver(party) {
        return Err(ClockError::NotApprover);
    }
    Ok(())
}

/// Whether the party may restart the clock of a suspended case (the handler when the obstacle
/// is gone, or the level above).
pub fn may_resume(case: ClockFacts, party: Party) -> Result<(), ClockError> {
    if !case.suspended {
        return Err(ClockError::NotSuspended);
    }
    if !(handler(party) || approver(party)) {
        return Err(ClockError::NotApprover);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HANDLER: Party = Party::Staff {
        role: Role::GridWorker,
        relation: Relation::Assignee,
    };
    const ABOVE: Party = Party::Staff {
        role: Role::CommunityOfficer,
        relation: Relation::Above,
    };
    const HANDLING: ClockFacts = ClockFacts {
        stage: Stage::InProgress,
        pending: false,
        suspended: false,
        extensions: 0,
    };

    #[test]
    fn the_handler_asks_while_handling() {
        let ext = Request::Extend { hours: 48 };
        assert_eq!(may_request(HANDLING, HANDLER, ext, "等配件"), Ok(()));
        assert_eq!(
            may_request(HANDLING, ABOVE, ext, "等配件"),
            Err(ClockError::NotHandler)
        );
        assert_eq!(
            may_request(HANDLING, Party::Reporter, Request::Suspend, "x"),
            Err(ClockError::NotHandler)
        );
        for stage in Stage::ALL {
            let ok = matches!(stage, Stage::Dispatched | Stage::InProgress);
            let facts = ClockFacts { stage, ..HANDLING };
            assert_eq!(
                may_request(facts, HANDLER, ext, "x").is_ok(),
                ok,
                "{stage:?}"
            );
        }
    }

    #[test]
    fn requests_are_bounded() {
        let ask = |facts, r| may_request(facts, HANDLER, r, "理由");
        assert_eq!(
            ask(HANDLING, Request::Extend { hours: 0 }),
            Err(ClockError::BadHours)
        );
        assert_eq!(
            ask(
                HANDLING,
                Request::Extend {
                    hours: MAX_EXTENSION_HOURS + 1
                }
            ),
            Err(ClockError::BadHours)
        );
        let twice = ClockFacts {
            extensions: MAX_EXTENSIONS,
            ..HANDLING
        };
        assert_eq!(
            ask(twice, Request::Extend { hours: 1 }),
            Err(ClockError::TooMany)
        );
        let pending = ClockFacts {
            pending: true,
            ..HANDLING
        };
        assert_eq!(ask(pending, Request::Suspend), Err(ClockError::Pending));
        let stopped = ClockFacts {
            suspended: true,
            ..HANDLING
        };
        assert_eq!(
            ask(stopped, Request::Suspend),
            Err(ClockError::AlreadySuspended)
        );
        assert_eq!(
            may_request(HANDLING, HANDLER, Request::Suspend, "  "),
            Err(ClockError::ReasonRequired)
        );
    }

    #[test]
    fn the_level_above_decides_and_either_side_resumes() {
        let pending = ClockFacts {
            pending: true,
            ..HANDLING
        };
        assert_eq!(may_decide(pending, ABOVE), Ok(()));
        assert_eq!(may_decide(pending, HANDLER), Err(ClockError::NotApprover));
        assert_eq!(may_decide(HANDLING, ABOVE), Err(ClockError::NothingPending));
        let dispatcher = Party::Staff {
            role: Role::CommunityOfficer,
            relation: Relation::Dispatcher,
        };
        assert_eq!(
            may_decide(pending, dispatcher),
            Err(ClockError::NotApprover)
        );

        let stopped = ClockFacts {
            suspended: true,
            ..HANDLING
        };
        assert_eq!(may_resume(stopped, HANDLER), Ok(()));
        assert_eq!(may_resume(stopped, ABOVE), Ok(()));
        assert_eq!(
            may_resume(stopped, Party::Reporter),
            Err(ClockError::NotApprover)
        );
        assert_eq!(may_resume(HANDLING, HANDLER), Err(ClockError::NotSuspended));
    }
}
