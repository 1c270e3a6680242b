//! `shanzhi report`: a node's monthly report written as xlsx and PDF, as an account (its scope
//! applies), without the server running.

use anyhow::Context;
use shanzhi_app::{App, accounts, report};
use std::path::{Path, PathBuf};

/// Writes `<node name>-<month>-月报.xlsx` and `.pdf` into `out`; returns the two paths.
pub async fn monthly(
    app: &App,
    username: &str,
    node: &str,
    month: &str,
    out: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let p = accounts::acting_as(app, username)
        .await
        .map_err(crate::operator_error)?;
    let r = report::monthly(app, &p.actor, node, month)
        .await
        .map_err(crate::operator_error)?;
    std::fs::create_dir_all(out).with_context(|| format!("无法创建 {}", out.display()))?;
    let mut written = Vec::new();
    let xlsx = report::xlsx::write(&r).map_err(crate::operator_error)?;
    let pdf = report::pdf::write(&r).map_err(crate::operator_error)?;
    for (ext, bytes) in [("xlsx", xlsx), ("pdf", pdf)] {
        let path = out.join(format!("{}.{ext}", r.file_stem));
        std::fs::write(&path, bytes).with_context(|| format!("无法写入 {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
