//! argon2id password hashing, run off the async threads (it is deliberately slow).

use crate::AppError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string (`$argon2id$…`).
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let mut bytes = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        let salt = SaltString::encode_b64(&bytes)?;
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// A valid hash of a password nobody has, so that unknown usernames cost as much time as
/// known ones (no account enumeration by timing).
const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2hhbnpoaWRlY295c2FsdA$0qQhG3l4b4m6yVZ4kq6m3fW0c6pC6gk8m1j8Zq4w2bE";

/// Checks a password against a stored hash (or against a decoy when there is no account).
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    let known = hash.is_some();
    let hash = hash.unwrap_or_else(|| DECOY.to_owned());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|h| hasher().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
        && known
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_the_decoy_is_a_real_hash() {
        let h = hash_password("Shanzhi2026".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("Shanzhi2026".into(), Some(h.clone())).await);
        assert!(!verify_password("wrong".into(), Some(h)).await);
        // The decoy must parse, or unknown users would answer faster than known ones.
        assert!(PasswordHash::new(DECOY).is_ok());
        assert!(!verify_password("Shanzhi2026".into(), None).await);
    }
}
