//! The phones on resident pages and posters: whom to call for people who cannot type.

use crate::WebState;
use shanzhi_app::AppError;

/// A staff member residents may call.
pub(super) struct Contact {
    /// Name.
    pub name: String,
    /// What they do (网格员, 网格长 …).
    pub role: &'static str,
    /// The number as shown.
    pub phone: String,
}

impl Contact {
    /// The `tel:` address: the digits (and a leading +) only.
    pub fn tel(&self) -> String {
        self.phone
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect()
    }
}

/// Whom residents of `code` may call.
pub(super) async fn of(state: &WebState, code: &str) -> Result<Vec<Contact>, AppError> {
    Ok(shanzhi_app::regions::public_contacts(state, code)
        .await?
        .into_iter()
        .map(|c| Contact {
            name: c.name,
            role: c.role.label(),
            phone: c.phone,
        })
        .collect())
}
