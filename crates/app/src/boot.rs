//! One start-up for every way the application runs — `shanzhi serve`, the command line, the
//! tests and the benchmarks: open (create, migrate) the database, seed what every deployment
//! has and, when asked, the demo district, then build the state. [`crate::workers`] starts the
//! background work beside it.

use crate::seed::{self, DemoLogin};
use crate::{App, AppConfig, AppError};
use shanzhi_domain::patrol::DailyRule;
use shanzhi_store::{Store, StoreOptions};

/// How much of the demo district a start writes into an empty database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Demo {
    /// None: a real deployment.
    Off,
    /// The region tree, departments, accounts for every role and recent cases.
    District,
    /// … with the four registers (about 12,000 residents, places, staff).
    Registers,
    /// … with months of history: older cases run their course, patrols, visits, evaluations.
    History,
    /// … with resident participation (双报到, points, wishes, topics, surveys): what
    /// `shanzhi serve --demo` shows.
    Everything,
}

/// A started application and what the start has to tell its operator.
pub struct Booted {
    /// The application.
    pub app: App,
    /// The first administrator's password, when this start created the account with a random
    /// one (shown once).
    pub admin_password: Option<String>,
    /// The demo accounts to list on the login page (empty outside demo mode).
    pub demo_logins: Vec<DemoLogin>,
}

/// Opens the database (creating and migrating it), seeds it and builds the state. The first
/// administrator gets `admin_password`, or a random one that [`Booted`] returns.
pub async fn boot(
    opts: &StoreOptions,
    config: AppConfig,
    demo: Demo,
    admin_password: Option<String>,
) -> Result<Booted, AppError> {
    let store = Store::open(opts).await?;
    let now = config.clock.now_ms();
    // Any number of processes may start at once: they take turns to check the keys and seed.
    let lock = store.startup_lock().await?;
    check_keys(&store, &config.vault, now).await?;
    seed::baseline(&store).await?;
    let demo_logins = if demo >= Demo::District {
        seed::demo(&store, now).await?
    } else {
        Vec::new()
    };
    if demo >= Demo::Registers {
        seed::demo_registers(&store, &config.vault, now).await?;
    }
    if demo >= Demo::History {
        seed::demo_history(&store, now).await?;
    }
    if demo >= Demo::Everything {
        seed::demo_participation(&store, &config.vault, now).await?;
    }
    let admin_password = seed::first_admin(&store, admin_password, now).await?;
    // Patrols ended by an older version have their days tallied now.
    let tallied =
        shanzhi_store::patrols::tally_untallied(&mut store.conn().await?, &DailyRule::default())
            .await?;
    if tallied > 0 {
        tracing::info!(tallied, "patrol days tallied");
    }
    lock.release().await?;
    sweep_uploads(&config.upload_dir);
    let app = App::new(store, config).await?;
    // A day since the suggestions last learned (or never): learn now rather than in an hour.
    if let Err(e) = crate::suggest::retrain_if_due(&app).await {
        tracing::warn!(error = %e, "retraining the suggestions");
    }
    let sealed = crate::audit::seal_legacy(app.store(), app.vault()).await?;
    if sealed > 0 {
        tracing::info!(
            sealed,
            "audit records of an older version sealed into the chain"
        );
    }
    Ok(Booted {
        app,
        admin_password,
        demo_logins,
    })
}

/// Refuses to start with keys other than the ones the deployment was created with: sealing
/// and indexing personal data with other keys would make it unreadable and unfindable.
async fn check_keys(
    store: &Store,
    vault: &shanzhi_store::vault::Vault,
    now: i64,
) -> Result<(), AppError> {
    let (index, sealed) = vault.check_value();
    let (stored_index, stored_sealed) =
        shanzhi_store::deployment::key_check(store, &index, &sealed, now).await?;
    if vault.matches(&stored_index, &stored_sealed) {
        Ok(())
    } else {
        Err(AppError::Conflict(
            "个人信息密钥与数据库不符：这个数据库是用另一套密钥建立的。请让所有服务进程使用同一个密钥文件\
             （--key-file / SHANZHI_KEY_FILE）或同一个 SHANZHI_KEYS；用错的密钥写入会使身份证号和电话无法解密、无法查找"
                .into(),
        ))
    }
}

/// Removes uploads a stopped process left behind (older than a day: another process sharing
/// the directory may be importing one right now).
fn sweep_uploads(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let day = std::time::Duration::from_secs(24 * 3600);
    for e in entries.flatten() {
        let stale = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > day);
        if stale
            && e.file_name().to_string_lossy().starts_with("import-")
            && let Err(err) = std::fs::remove_file(e.path())
        {
            tracing::warn!(error = %err, file = %e.path().display(), "stale upload not removed");
        }
    }
}

/// Opens the database and applies its migrations, nothing more (`shanzhi migrate`).
pub async fn migrate(opts: &StoreOptions) -> Result<(), AppError> {
    Store::open(opts).await?;
    Ok(())
}
