//! Operations shared by the API and the pages: check scope, apply the domain rules, write
//! through the store in one transaction, keep the locate index in step.

pub mod accounts;
pub mod assessment;
pub mod audit;
pub mod cases;
pub mod dashboard;
pub mod deadlines;
pub mod disputes;
pub mod fields;
pub mod hotline;
pub mod intake;
pub mod keys;
pub mod members;
pub mod notify;
pub mod open311;
pub mod opinions;
pub mod patrols;
pub mod period;
pub mod photos;
pub mod points;
pub mod regions;
pub mod registers;
pub mod report;
pub mod surveys;
pub mod topics;
pub mod visits;
pub mod wishes;
