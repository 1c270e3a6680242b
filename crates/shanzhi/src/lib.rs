//! The `shanzhi` binary's library half: configuration, start-up, the demo district, and the
//! seeding of a fresh database. `main.rs` only parses the command line and calls in here, so
//! integration tests and benchmarks start exactly the server users run.

pub mod demo;
pub mod keys;
pub mod reports;
pub mod seed;
pub mod server;
pub mod sheets;
