//! Accounts' secrets and the caller: argon2id passwords, random session and token secrets, and
//! the [`Principal`] every operation is asked by.

mod password;
mod principal;
mod secret;

pub use password::{hash_password, verify_password};
pub use principal::{Principal, actor_of};
pub use secret::{hash_secret, new_secret};
