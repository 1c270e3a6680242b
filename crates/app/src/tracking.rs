//! 查询进度: a resident finds a report by its tracking code, or all of their reports by the
//! phone they left and a one-time code texted to it.

use crate::{App, AppError};
use shanzhi_store::cases::{self, CaseRow};

/// Reports listed for one phone at most.
const MINE: u32 = 50;
/// What the one-time codes of this lookup are for.
const PURPOSE: &str = "track";

/// Texts a one-time code to `phone` for looking up its reports, asked from the client at `ip`
/// (limited as every code is).
pub async fn send_code(state: &App, ip: &str, phone: &str) -> Result<(), AppError> {
    crate::codes::send(state, ip, phone, PURPOSE, "您正在查询反映问题的办理进度").await
}

/// The reports made with `phone`, newest first, once `code` proves it; a wrong or expired code
/// is refused (and counted against the code's tries).
pub async fn by_phone(state: &App, phone: &str, code: &str) -> Result<Vec<CaseRow>, AppError> {
    let mut tx = state.store().begin().await?;
    let proved = crate::codes::take(&mut tx, state, phone, PURPOSE, code).await?;
    let rows = match &proved {
        Some(index) => cases::by_reporter_phone(&mut tx, index, None, MINE).await?,
        None => Vec::new(),
    };
    // The wrong try is counted even though the answer is a refusal.
    tx.commit().await?;
    match proved {
        Some(_) => Ok(rows),
        None => Err(AppError::bad(
            "wrong_code",
            "验证码不对或已过期，请重新获取验证码",
        )),
    }
}
