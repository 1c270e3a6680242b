//! Authentication at the HTTP edge: cookie sessions with CSRF protection for pages, bearer
//! tokens for the API, and the extractors that turn either into the application's
//! [`Principal`].

mod csrf;
mod principal;

pub use csrf::{CSRF_COOKIE, CsrfForm, CsrfMultipart, FILE_LIMIT, FilePart, csrf_token};
pub use principal::{ApiUser, Caller, PageUser, SESSION_COOKIE, bearer};
pub use shanzhi_app::Principal;
pub use shanzhi_app::auth::{hash_secret, new_secret};
pub use shanzhi_app::input::{int_field, optional_int_field};
pub use shanzhi_domain::auth::Actor;

use crate::WebState;
use shanzhi_app::AppError;
use shanzhi_app::accounts::AccountRow;
use shanzhi_app::accounts::{authenticate, login_name};
use std::time::Instant;

/// Checks a login from the client at `ip`, refusing while too many attempts failed for the
/// account or from the address.
pub async fn login(
    state: &WebState,
    username: &str,
    password: &str,
    ip: &str,
) -> Result<AccountRow, AppError> {
    let name = login_name(username);
    if let Err(wait) = state.with_throttle(|t| t.check(&name, ip, Instant::now())) {
        return Err(AppError::RateLimited(wait.as_secs().max(1)));
    }
    match authenticate(state, &name, password).await {
        Ok(a) => {
            state.with_throttle(|t| t.record_success(&name));
            Ok(a)
        }
        Err(e) => {
            state.with_throttle(|t| t.record_failure(&name, ip, Instant::now()));
            Err(e)
        }
    }
}
