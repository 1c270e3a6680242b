//! One-time codes by text (短信验证码): a resident proves the phone before their voice counts —
//! a survey answer, a rating of their grid worker. Sends are limited per phone and per client
//! address (texts cost money and can be pumped), counted for the administrators, and codes are
//! kept only hashed, per phone (blind index) and purpose.

use crate::{App, AppError, limits};
use rand::Rng;
use sha2::{Digest, Sha256};
use shanzhi_domain::auth::RateLimit;
use shanzhi_domain::personal::normalize_phone;
use shanzhi_store::Tx;
use shanzhi_store::codes as store;
use shanzhi_store::vault::Field;
use std::time::Duration;

/// How long a code holds.
const TTL_MS: i64 = 10 * 60_000;
/// The least time between two codes to one phone.
const GAP_MS: i64 = 60_000;
/// Wrong tries before a code is dead.
const TRIES: i64 = 5;
/// Codes to one phone in an hour.
const PER_PHONE: RateLimit = RateLimit {
    window: Duration::from_secs(3600),
    limit: 5,
};
/// Codes requested from one client address in an hour (a community centre's shared network
/// helps a few dozen residents at most).
const PER_ADDRESS: RateLimit = RateLimit {
    window: Duration::from_secs(3600),
    limit: 30,
};

/// A phone as entered, checked; its blind index.
pub fn phone_index(state: &App, phone: &str) -> Result<Vec<u8>, AppError> {
    let phone = normalize_phone(phone)
        .map_err(|e| AppError::bad("invalid_phone", format!("手机号码：{e}")))?;
    Ok(state.vault().index(Field::Phone, &phone))
}

fn hash(index: &[u8], code: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(index);
    h.update(code.trim().as_bytes());
    h.finalize().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Texts a fresh code for `purpose` (`survey:12`, `rating:450802001001001`) to `phone`, asked
/// from the client at `ip`; `what` says what it is for (您正在评价网格员). At most one a
/// minute and five an hour per phone, thirty an hour per address.
pub async fn send(
    state: &App,
    ip: &str,
    phone: &str,
    purpose: &str,
    what: &str,
) -> Result<(), AppError> {
    let normalized = normalize_phone(phone)
        .map_err(|e| AppError::bad("invalid_phone", format!("手机号码：{e}")))?;
    let index = state.vault().index(Field::Phone, &normalized);
    limits::allow(state, "sms-address", ip, PER_ADDRESS).await?;
    limits::allow(state, "sms-phone", &hex(&index), PER_PHONE).await?;
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000));
    let fresh = store::put_code(
        &mut state.store().conn().await?,
        &index,
        purpose,
        &hash(&index, &code),
        state.now_ms(),
        TTL_MS,
        GAP_MS,
    )
    .await?;
    if !fresh {
        return Err(AppError::RateLimited((GAP_MS / 1000) as u64));
    }
    let body = format!("{what}，验证码 {code}，10 分钟内有效。");
    let params = [("code", code.clone())];
    let text = crate::sms::Text {
        phone: &normalized,
        body: &body,
        template: Some(("code", &params)),
    };
    state
        .config()
        .sms
        .0
        .send(&text)
        .await
        .map_err(|e| AppError::Unavailable(format!("短信发送失败：{e}")))?;
    limits::count(state, "sms-sent", "all").await
}

/// Spends the code sent to `phone` for `purpose` in `tx`: the phone's blind index when it
/// matches, is unexpired and has had fewer than five tries; None otherwise (the wrong try is
/// counted in `tx`: commit it even though the request is refused).
pub async fn take(
    tx: &mut Tx,
    state: &App,
    phone: &str,
    purpose: &str,
    code: &str,
) -> Result<Option<Vec<u8>>, AppError> {
    let index = phone_index(state, phone)?;
    let ok = store::take_code(
        tx,
        &index,
        purpose,
        &hash(&index, code),
        state.now_ms(),
        TRIES,
    )
    .await?;
    Ok(ok.then_some(index))
}

/// The refusal of a wrong or stale code.
pub fn refused() -> AppError {
    AppError::bad("invalid_code", "验证码不对或已过期，请重新获取")
}

/// Texts sent in the last hour and the last day, for the administrators.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = CodeSent)]
pub struct Sent {
    /// In the last hour.
    pub last_hour: u64,
    /// In the last 24 hours.
    pub last_day: u64,
}

/// How many texts went out lately.
pub async fn sent(state: &App) -> Result<Sent, AppError> {
    let hour = 3_600_000;
    Ok(Sent {
        last_hour: limits::counted_since(state, "sms-sent", hour).await?,
        last_day: limits::counted_since(state, "sms-sent", 24 * hour).await?,
    })
}
