//! Where the personal-data keys come from: `SHANZHI_KEYS` (the key text itself, for
//! containers with a secret store), else the key file, created on first start.

use anyhow::Context;
use shanzhi_app::keys::Vault;
use std::path::Path;

/// Loads the keys, creating the key file when there is none.
pub fn load(key_file: &Path) -> anyhow::Result<Vault> {
    if let Ok(text) = std::env::var("SHANZHI_KEYS") {
        return Vault::parse(&text).context("SHANZHI_KEYS 中的密钥无效");
    }
    let (vault, created) = Vault::open_or_create(key_file)?;
    if created {
        println!(
            "已生成个人信息密钥文件 {}：请与数据库分开备份，丢失后已加密的身份证号和电话无法恢复",
            key_file.display()
        );
    }
    Ok(vault)
}
