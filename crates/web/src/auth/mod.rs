//! Authentication at the HTTP edge: cookie sessions with CSRF protection for pages, bearer
//! tokens for the API, and the extractors that turn either into the application's
//! [`Principal`].

mod csrf;
mod principal;

pub use csrf::{CSRF_COOKIE, CsrfForm, CsrfMultipart, FILE_LIMIT, FilePart, Stale, csrf_token};
pub use principal::{ApiUser, Caller, PageUser, SESSION_COOKIE, bearer, bearer_is};
pub use shanzhi_app::Principal;
pub use shanzhi_app::auth::{hash_secret, new_secret};
pub use shanzhi_app::input::{int_field, optional_int_field};
pub use shanzhi_domain::auth::Actor;

use crate::WebState;
use shanzhi_app::AppError;
use shanzhi_app::accounts::AccountRow;

/// Checks a login from the client at `ip` (the application throttles failures).
pub async fn login(
    state: &WebState,
    username: &str,
    password: &str,
    ip: &str,
) -> Result<AccountRow, AppError> {
    shanzhi_app::accounts::login(state, username, password, ip).await
}
