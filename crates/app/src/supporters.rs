//! 我也遇到了 (FixMyStreet's "is this your problem?"): before reporting, a resident sees the
//! open reports of the grid and may add themselves to one instead of filing a duplicate. Only
//! what kind of problem, where and how it stands is shown — never what a report says or who
//! made it — and only for grid matters that are not disputes (a neighbour's quarrel is nobody
//! else's to read).

use crate::cases::public_node;
use crate::{App, AppError};
use shanzhi_domain::personal::normalize_phone;
use shanzhi_store::cases::CategoryRow;
use shanzhi_store::supporters as store;
pub use shanzhi_store::supporters::Nearby;
use shanzhi_store::vault::Field;

/// How far back reports are shown (ms): a month.
const SHOWN_FOR_MS: i64 = 30 * 86_400_000;
/// Reports shown at most.
const SHOWN: u32 = 10;

/// The categories whose open reports residents are shown.
fn shown(categories: &[CategoryRow]) -> Vec<String> {
    categories
        .iter()
        .filter(|c| c.grid_duty && !c.dispute)
        .map(|c| c.code.clone())
        .collect()
}

/// The open reports of grid `code` a resident may add themselves to, newest first.
pub async fn nearby(state: &App, code: &str) -> Result<Vec<Nearby>, AppError> {
    let node = public_node(state, code).await?;
    let categories = shown(&state.categories().await?);
    let since = state.now_ms() - SHOWN_FOR_MS;
    Ok(store::nearby(
        &mut state.store().conn().await?,
        &node.code,
        since,
        &categories,
        SHOWN,
    )
    .await?)
}

/// Adds a resident (known by phone, if they give one: once per phone) to open report `id` of
/// grid `code`; returns how many residents it now has.
pub async fn support(
    state: &App,
    code: &str,
    id: i64,
    phone: Option<&str>,
) -> Result<i64, AppError> {
    let listed = nearby(state, code).await?;
    if !listed.iter().any(|n| n.id == id) {
        return Err(AppError::NotFound(
            "这件反映已经办结或不在本网格，请直接提交您的反映".into(),
        ));
    }
    let index = match phone.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => {
            let p = normalize_phone(p)
                .map_err(|e| AppError::bad("invalid_phone", format!("手机号码：{e}")))?;
            Some(state.vault().index(Field::Phone, &p))
        }
        None => None,
    };
    let mut tx = state.store().begin().await?;
    if !store::add(&mut tx, id, index.as_deref(), state.now_ms()).await? {
        return Err(AppError::Conflict(
            "这个手机号已经表示过遇到这个问题，无需重复".into(),
        ));
    }
    let n = store::count(&mut tx, id).await?;
    tx.commit().await?;
    Ok(n)
}

/// How many residents added themselves to case `id`, for staff who may see it.
pub async fn count_of(
    state: &App,
    actor: &shanzhi_domain::auth::Actor,
    id: i64,
) -> Result<i64, AppError> {
    crate::case_scope::visible(state, actor, id).await?;
    Ok(store::count(&mut state.store().conn().await?, id).await?)
}

/// A category's name, for showing a nearby report.
pub fn category_name(categories: &[CategoryRow], code: &str) -> String {
    categories
        .iter()
        .find(|c| c.code == code)
        .map_or_else(String::new, |c| c.name.clone())
}
