//! Shanzhi storage: one query layer over SQLite (embedded default) and PostgreSQL (scale).
//!
//! Queries are written once in portable SQL with `?` placeholders ([`Sql`]); the [`dialect`]
//! module rewrites them for PostgreSQL. Values travel as `sea_query::Value`s, bound by
//! `sea-query-sqlx`, so one query runs on native `SqlitePool` and `PgPool` connections alike —
//! sqlx's `Any` driver is avoided because it lacks the types later modules need.
//!
//! The web layer calls the functions in [`regions`], [`accounts`], [`sessions`] and [`cases`]; it never
//! writes SQL.

pub mod accounts;
pub mod assessment;
pub mod audit;
pub mod backup;
pub mod bulk;
pub mod calendar;
pub mod case_requests;
pub mod cases;
pub mod classifier;
pub mod codes;
pub mod dashboard;
mod db;
pub mod deployment;
pub mod dialect;
pub mod disputes;
pub mod duties;
mod error;
pub mod feed;
pub mod files;
pub mod gazetteer;
pub mod grid_facts;
pub mod jobs;
pub mod limits;
pub mod members;
pub mod notices;
pub mod offline;
pub mod open311;
pub mod patrols;
pub mod pending_orders;
pub mod photos;
pub mod places;
pub mod points;
pub mod regions;
pub mod residents;
pub mod sealed;
pub mod sessions;
pub mod sms;
pub mod staff;
pub mod summons;
pub mod supporters;
pub mod surveys;
pub mod topics;
pub mod vault;
pub mod visits;
pub mod voices;
pub mod webhooks;
pub mod wishes;

pub use db::{
    Backend, Conn, Exec, FeedListener, Record, Sql, StartupLock, Store, StoreOptions, Tx,
};
pub use error::StoreError;
