//! Resident participation (群众参与): the volunteer-points ledger (积分) and its 爱心超市, the
//! needs marketplace (微心愿: 群众点单、社区派单、党员接单), and the members who serve
//! (双报到), surveys (码上问卷), and consultation (协商议事).

pub mod member;
pub mod points;
pub mod survey;
pub mod topic;
pub mod wish;

pub use member::{ListKind, MemberKind, ServiceCategory, ServiceStage, Standing, YearRecord};
pub use points::{AccountKind, LedgerError, Line, PostingKind};
pub use survey::{Mode, OpinionStatus};
pub use wish::{WishAction, WishActor, WishError, WishStage};
