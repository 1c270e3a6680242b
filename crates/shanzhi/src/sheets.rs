//! `shanzhi import`: a register sheet from a file on the server, as an account (its scope,
//! its name in the audit trail), with progress on standard error. The same checks and the
//! same all-or-nothing write as an upload; meant for the first load of a district's sheets.

use anyhow::{Context, bail};
use shanzhi_app::registers::import::{self, Phase, Progress, Reading, Report, Upload};
use shanzhi_app::registers::source;
use shanzhi_app::{App, accounts};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// What to import.
pub struct ImportJob {
    /// `residents`, `places` or `staff`.
    pub register: String,
    /// The file.
    pub file: PathBuf,
    /// The account it is imported as.
    pub username: String,
    /// Only check.
    pub check_only: bool,
    /// The header's row and field → header overrides.
    pub reading: Reading,
}

/// Runs an import and prints its outcome; fails when any row is wrong.
pub async fn import(state: &App, job: ImportJob) -> anyhow::Result<Report> {
    let p = accounts::acting_as(state, &job.username)
        .await
        .map_err(crate::operator_error)?;
    let upload = Upload::existing(job.file.clone())
        .with_context(|| format!("无法读取 {}", job.file.display()))?;
    let progress = Progress::new();
    let started = Instant::now();
    let watch = {
        let progress = progress.clone();
        // Spreadsheets count rows, not bytes, as they are read: no share of the file to show.
        let size = (upload.format == source::Format::Csv).then_some(upload.size);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let phase = match progress.phase() {
                    Phase::Done => break,
                    running => running.label(),
                };
                let rows = progress.rows.load(Ordering::Relaxed);
                match size {
                    Some(size) => eprintln!(
                        "{phase}：{rows} 行，{:.0}%",
                        progress.read.load(Ordering::Relaxed) as f64 * 100.0 / size.max(1) as f64
                    ),
                    None => eprintln!("{phase}：{rows} 行"),
                }
            }
        })
    };
    let register = job.register.as_str();
    if !import::REGISTERS.contains(&register) {
        bail!("未知台账 {register}：可选 {}", import::REGISTERS.join("、"));
    }
    let report = import::run(
        state,
        &p,
        register,
        &upload,
        &job.reading,
        job.check_only,
        &progress,
    )
    .await
    .map_err(crate::operator_error)?;
    watch.abort();
    let secs = started.elapsed().as_secs_f64();
    for n in &report.notices {
        eprintln!("提示：{}", n.message);
    }
    for e in &report.problems.listed {
        eprintln!("第 {} 行 {}：{}", e.row, e.field, e.message);
    }
    if !report.problems.is_empty() {
        bail!("共 {} 处错误，未写入任何数据", report.problems.total);
    }
    println!(
        "{}：{} 行，写入 {} 条（{} 户），用时 {secs:.1} 秒，{:.0} 行/秒",
        if report.committed {
            "已导入"
        } else {
            "检查通过"
        },
        report.rows,
        report.written,
        report.households,
        report.rows as f64 / secs.max(1e-9)
    );
    if let Some(c) = &report.changes {
        println!(
            "新增 {} 人，修改 {}，迁移 {}，未变 {}{}",
            c.new,
            c.changed,
            c.moved,
            c.unchanged,
            c.missing
                .map(|m| format!("，文件中没有 {m} 人"))
                .unwrap_or_default()
        );
        for ch in &c.listed {
            let row = ch.row.map(|r| format!("第 {r} 行 ")).unwrap_or_default();
            for f in &ch.fields {
                println!(
                    "{row}{} {} {}：{} → {}",
                    ch.kind.label(),
                    ch.who,
                    f.field,
                    f.before,
                    f.after
                );
            }
        }
    }
    Ok(report)
}
