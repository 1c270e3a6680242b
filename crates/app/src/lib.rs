//! Shanzhi's application layer: the operations every front end calls — the JSON API, the
//! pages, Open311 and the command line. Each operation checks who is asking, applies the
//! domain rules, writes through the store in one transaction and keeps the caches in step.
//! Nothing here knows HTTP: failures are [`AppError`]s, which the front ends turn into their
//! own answers.

pub mod accounts;
pub mod assessment;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod boot;
pub mod boundary_files;
pub mod case_scope;
pub mod cases;
mod clock;
pub mod codes;
pub mod dashboard;
pub mod deadlines;
pub mod demo;
pub mod disputes;
pub mod duties;
mod error;
pub mod feed;
pub mod fields;
pub mod geocode;
pub mod hotline;
pub mod input;
pub mod intake;
mod kept;
pub mod keys;
pub mod ledger;
pub mod limits;
pub mod members;
mod memo;
pub mod notices;
pub mod notify;
pub mod offline;
pub mod open311;
pub mod opinions;
pub mod patrols;
pub mod period;
pub mod photos;
pub mod points;
pub mod policy;
pub mod regions;
pub mod registers;
pub mod report;
pub mod seed;
pub mod sms;
pub mod sms_inbound;
mod state;
pub mod suggest;
pub mod supporters;
pub mod surveys;
pub mod todo;
pub mod topics;
pub mod tracking;
pub mod visits;
pub mod voices;
pub mod webhooks;
pub mod wishes;
pub mod workers;

pub use auth::Principal;
pub use clock::Clock;
pub use error::AppError;
pub use shanzhi_store::StoreOptions;
pub use state::{App, AppConfig};
