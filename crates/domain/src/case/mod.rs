//! Cases (事件) and their closed loop (事件闭环): the workflow state machine, who may move a
//! case, and the tiers it is handled at. Plain Rust: storage records what this decides.

mod calendar;
mod category;
mod deadline;
mod duplicate;
mod extension;
pub mod holding;
pub mod hotline;
mod mediation;
pub mod open311;
pub mod photo;
mod search;
mod source;
mod summons;
mod todo;
mod urgency;
pub mod voice;
mod workflow;

pub use calendar::{CHINA_HOLIDAYS, Calendar, Clock, Day, DayKind, beijing_minutes, parse_beijing};
pub use category::{CategorySpec, STANDARD as STANDARD_CATEGORIES, keywords};
pub use deadline::{Light, Timing, case_light, light, light_on, resumed_due};
pub use duplicate::{RADIUS_M, Sighting, WINDOW_MS, possible_duplicate};
pub use extension::{
    ClockError, ClockFacts, MAX_EXTENSION_HOURS, MAX_EXTENSIONS, Request, RequestKind, may_decide,
    may_request, may_resume,
};
pub use holding::{Holding, holder_of, own_tier};
pub use mediation::{
    DisputeFacts, MediationError, MediatorKind, Outcome, OutcomeKind, PartySide, Referral,
    may_conclude, may_follow_up, may_mediate, success_rate,
};
pub use search::{QueryError, index_terms, matches, query_terms};
pub use source::Source;
pub use summons::{REPORT_IN_HOURS, may_summon};
pub use todo::{Step, reporting_to, waiting_on};
pub use urgency::Urgency;

pub use workflow::{
    Action, CaseFacts, Change, Party, Relation, Satisfaction, Stage, Tier, WorkflowError, apply,
    recategorise, routed_tier,
};
