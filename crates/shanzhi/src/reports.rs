//! `shanzhi report`: a node's monthly report written as xlsx and PDF, as an account (its scope
//! applies), without the server running.

use anyhow::Context;
use shanzhi_store::{Store, accounts};
use shanzhi_web::auth::actor_of;
use shanzhi_web::services::report;
use shanzhi_web::{AppState, WebConfig};
use std::path::{Path, PathBuf};

/// Writes `<node name>-<month>-月报.xlsx` and `.pdf` into `out`; returns the two paths.
pub async fn monthly(
    store: Store,
    username: &str,
    node: &str,
    month: &str,
    out: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let account = accounts::by_username(&mut store.conn().await?, username)
        .await?
        .with_context(|| format!("没有用户名为 {username} 的账号"))?;
    let actor = actor_of(&account).map_err(|e| anyhow::anyhow!("{e}"))?;
    let state = AppState::new(store, WebConfig::default()).await?;
    let r = report::monthly(&state, &actor, node, month)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    std::fs::create_dir_all(out).with_context(|| format!("无法创建 {}", out.display()))?;
    let mut written = Vec::new();
    let xlsx = report::xlsx::write(&r).map_err(|e| anyhow::anyhow!("{e}"))?;
    let pdf = report::pdf::write(&r).map_err(|e| anyhow::anyhow!("{e}"))?;
    for (ext, bytes) in [("xlsx", xlsx), ("pdf", pdf)] {
        let path = out.join(format!("{}.{ext}", r.file_stem));
        std::fs::write(&path, bytes).with_context(|| format!("无法写入 {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
