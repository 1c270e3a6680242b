//! Shanzhi's domain rules in plain Rust: no HTTP, no SQL, no clocks of their own.
//!
//! - [`region`]: the region tree (网格体系) — levels, unified codes, grid classes, tree imports.
//! - [`geo`]: boundaries, coordinate systems of Chinese map SDKs, point location, coverage checks.
//! - [`audit`]: the hash chain of the audit trail (审计日志).
//! - [`auth`]: roles, data scope (数据权限), password policy and login throttling.
//! - [`case`]: the closed loop (事件闭环) — workflow stages, tiers, who may do what.
//! - [`notify`]: webhook retry schedule and signed text.
//! - [`offline`]: work done without a signal — idempotency keys and when a field time counts.
//! - [`participation`]: volunteer points (积分) and the 爱心超市, wishes (微心愿), 双报到.
//! - [`patrol`]: patrols (巡查) — GPS track cleaning and the daily two-round rule (一日双巡).
//! - [`personal`]: ID numbers (GB 11643), phone numbers, masking (脱敏).
//! - [`register`]: the four registers (四册) — residents, households, places, staff.
//! - [`vocab`]: the closed lists stored as text, each with one text form.

pub mod assessment;
pub mod audit;
pub mod auth;
pub mod case;
pub mod classify;
pub mod figures;
pub mod geo;
pub mod geocode;
pub mod notice;
pub mod notify;
pub mod offline;
pub mod participation;
pub mod patrol;
pub mod personal;
pub mod region;
pub mod register;
pub mod text;
pub mod texts;
pub mod vocab;
mod xml;
