//! Accounts' roles, data scope (数据权限), password policy and login throttling.

mod password;
mod role;
mod scope;
mod throttle;

pub use password::{PasswordPolicyError, check_password_policy};
pub use role::{Role, actor_label};
pub use scope::{Actor, Binding, BindingError, check_binding};
pub use throttle::{Failures, LoginRule, RateLimit};
