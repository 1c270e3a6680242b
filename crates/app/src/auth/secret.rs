//! Random secrets (session cookies, API tokens, CSRF tokens) and their stored hashes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new random secret: 32 bytes from the OS generator, base64url, with a readable prefix.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    // ThreadRng is a CSPRNG (ChaCha) seeded and periodically reseeded from the OS.
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The SHA-256 of a secret, hex: what the database stores. Secrets are 256-bit random, so a
/// fast hash is enough (no dictionary to attack).
pub fn hash_secret(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
