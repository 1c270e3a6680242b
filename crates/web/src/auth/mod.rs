//! Authentication: argon2id passwords, random secrets, cookie sessions with CSRF protection
//! for pages, bearer tokens for the API, and the extractors that turn either into an [`Actor`].

mod csrf;
mod password;
mod principal;
mod secret;

pub use csrf::{
    CSRF_COOKIE, CsrfForm, CsrfMultipart, FILE_LIMIT, FilePart, csrf_token, int_field,
    optional_int_field,
};
pub use password::{hash_password, verify_password};
pub use principal::{ApiUser, PageUser, Principal, SESSION_COOKIE, actor_of};
pub use secret::{hash_secret, new_secret};

pub use shanzhi_domain::auth::Actor;
