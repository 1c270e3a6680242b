//! Key rotation (密钥轮换): after a new key is added to the key file, every value sealed under
//! an older key is opened and sealed again under the new one, a batch per transaction, so the
//! work can stop and resume at any point. The blind index is keyed separately and does not
//! change, so searches by ID or phone keep working while it runs.

use crate::AppError;
use crate::audit;
use shanzhi_store::sealed::{self, SEALED_COLUMNS};
pub use shanzhi_store::vault::{Vault, VaultError};

/// Rows per batch.
const BATCH: u32 = 1000;

/// What a re-sealing did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Resealed {
    /// Values looked at.
    pub checked: u64,
    /// Values sealed again under the current key.
    pub resealed: u64,
}

/// Re-seals every value not sealed under the state's current key (`shanzhi keys rotate` and
/// `reseal`).
pub async fn reseal_all(state: &crate::App) -> Result<Resealed, AppError> {
    let (store, vault) = (state.store(), state.vault());
    let mut done = Resealed::default();
    for c in &SEALED_COLUMNS {
        let mut after = 0;
        loop {
            let mut tx = store.begin().await?;
            let rows = sealed::page(&mut tx, c, after, BATCH).await?;
            let Some(last) = rows.last() else {
                // Ended explicitly: a dropped transaction would keep the write lock until
                // its rollback runs, and the next column's BEGIN would wait on it.
                tx.commit().await?;
                break;
            };
            after = last.0;
            for (id, value) in &rows {
                done.checked += 1;
                if vault.is_stale(value) {
                    let plain = vault.open(c.field, value).map_err(|e| {
                        AppError::Internal(format!("{}.{} #{id}: {e}", c.table, c.column))
                    })?;
                    sealed::set(&mut tx, c, *id, vault.seal(c.field, &plain)).await?;
                    done.resealed += 1;
                }
            }
            tx.commit().await?;
        }
    }
    let mut tx = store.begin().await?;
    let who = audit::Actor {
        id: None,
        label: "系统（密钥轮换）".into(),
    };
    let record = audit::entry(
        state.now_ms(),
        &who,
        "keys.reseal",
        format!("key:{}", vault.current_key()),
        None,
        serde_json::to_value(done).unwrap_or_default(),
    );
    audit::record(&mut tx, [record]);
    tx.commit().await?;
    Ok(done)
}
