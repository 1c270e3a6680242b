//! The four registers (四册): what a valid entry is in the grid-facts, staff, residents and
//! places registers, and how a spreadsheet row becomes one.
//!
//! - [`vocab`]: the closed lists the registers use (relations, residence status, attention
//!   levels, place kinds, risk levels, staff roles), each with its stored code and Chinese label.
//! - [`resident`]: a person and a household, checked.
//! - [`sheet`]: headers to fields (with the aliases people type), tags written in one cell.
//! - [`home`]: a building, unit and room read from an address as registers write it.

pub mod home;
pub(crate) mod labels;
pub mod resident;
pub mod sheet;
pub mod staff;
pub mod vocab;
