//! Cases (事件) and their closed loop (事件闭环): the workflow state machine, who may move a
//! case, and the tiers it is handled at. Plain Rust: storage records what this decides.

mod category;
mod deadline;
mod duplicate;
mod summons;
mod workflow;

pub use category::{CategorySpec, STANDARD as STANDARD_CATEGORIES};
pub use deadline::{Light, case_light, light};
pub use duplicate::{RADIUS_M, Sighting, WINDOW_MS, possible_duplicate};
pub use summons::{REPORT_IN_HOURS, may_summon};

pub use workflow::{
    Action, CaseFacts, Change, Party, Relation, Satisfaction, Stage, Tier, WorkflowError, apply,
};
