//! `shanzhi backup` and `shanzhi restore`. SQLite copies itself while the server keeps serving
//! (`VACUUM INTO`: a consistent snapshot); PostgreSQL is dumped and restored with its own
//! tools, `pg_dump --format=custom` and `pg_restore`, which must be on the PATH. The key file
//! is not in the backup: keep it apart (without it, ID numbers and phones cannot be read).

use crate::AppError;
use shanzhi_store::{Store, StoreOptions, backup};
use std::path::Path;
use tokio::process::Command;

/// Writes a backup of the database `opts` names to `out` (which must not exist).
pub async fn backup(opts: &StoreOptions, out: &Path) -> Result<(), AppError> {
    if out.exists() {
        return Err(AppError::Conflict(format!(
            "{} 已存在：请换一个文件名，备份不会覆盖已有文件",
            out.display()
        )));
    }
    match opts {
        StoreOptions::Sqlite(_) => {
            let store = Store::open(opts).await?;
            backup::sqlite_copy(&store, out).await?;
            store.close().await;
        }
        StoreOptions::Postgres(url) => {
            run(Command::new("pg_dump")
                .args(["--format=custom", "--no-owner", "--file"])
                .arg(out)
                .arg(url))
            .await?;
        }
    }
    shanzhi_store::files::private_dir(out.parent().unwrap_or(Path::new("."))).ok();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o600)).map_err(|e| {
            AppError::Unavailable(format!("无法设置 {} 的权限：{e}", out.display()))
        })?;
    }
    Ok(())
}

/// Puts the backup `from` in place of the database `opts` names. A database that already holds
/// data is replaced only with `force` (the server must be stopped for an SQLite file).
pub async fn restore(opts: &StoreOptions, from: &Path, force: bool) -> Result<(), AppError> {
    if !from.exists() {
        return Err(AppError::NotFound(format!(
            "找不到备份文件 {}",
            from.display()
        )));
    }
    if !force && backup::holds_data(opts).await? {
        return Err(AppError::Conflict(
            "目标数据库已有数据：确认要用备份覆盖时加 --force（SQLite 须先停止服务）".into(),
        ));
    }
    match opts {
        StoreOptions::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                shanzhi_store::files::private_dir(dir).map_err(|e| {
                    AppError::Unavailable(format!("无法创建 {}：{e}", dir.display()))
                })?;
            }
            for stale in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{stale}", path.display()));
            }
            std::fs::copy(from, path)
                .map_err(|e| AppError::Unavailable(format!("无法写入 {}：{e}", path.display())))?;
        }
        StoreOptions::Postgres(url) => {
            run(Command::new("pg_restore")
                .args([
                    "--no-owner",
                    "--clean",
                    "--if-exists",
                    "--exit-on-error",
                    "--dbname",
                ])
                .arg(url)
                .arg(from))
            .await?;
        }
    }
    // Whatever the backup's version, bring it up to this one.
    Store::open(opts).await?.close().await;
    Ok(())
}

async fn run(cmd: &mut Command) -> Result<(), AppError> {
    let name = cmd.as_std().get_program().to_string_lossy().into_owned();
    let out = cmd.output().await.map_err(|e| {
        AppError::Unavailable(format!(
            "无法运行 {name}（{e}）：请安装 PostgreSQL 客户端工具"
        ))
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(AppError::Unavailable(format!(
            "{name} 失败：{}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}
