//! Starting the HTTP server.

use anyhow::Context;
use shanzhi_domain::patrol::DailyRule;
use shanzhi_store::{Store, StoreOptions};
use shanzhi_web::{AppState, WebConfig};
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// A running server.
pub struct Running {
    /// The address it listens on (useful with port 0).
    pub addr: SocketAddr,
    /// Its state.
    pub state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    webhooks: tokio::task::JoinHandle<()>,
    checkpoints: tokio::task::JoinHandle<()>,
    sealer: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting, finishes in-flight requests, and waits.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.webhooks.abort();
        self.checkpoints.abort();
        self.sealer.abort();
        self.task.await??;
        Ok(())
    }
}

/// Opens the store (creating and migrating it) and builds the state.
pub async fn open(opts: &StoreOptions, config: WebConfig) -> anyhow::Result<AppState> {
    let store = Store::open(opts).await.context("打开数据库失败")?;
    let mut conn = store.conn().await?;
    let tallied = shanzhi_store::patrols::tally_untallied(&mut conn, &DailyRule::default()).await?;
    if tallied > 0 {
        tracing::info!(tallied, "patrol days tallied");
    }
    drop(conn);
    Ok(AppState::new(store, config).await?)
}

/// Serves `state` on `bind` in the background, with the webhook worker beside it.
pub async fn start(bind: SocketAddr, state: AppState) -> anyhow::Result<Running> {
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("无法监听 {bind}"))?;
    let addr = listener.local_addr()?;
    let app = shanzhi_web::app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    let webhooks = spawn_webhook_worker(state.clone());
    let checkpoints = spawn_checkpointer(state.store().clone());
    let sealer = spawn_sealer(state.clone());
    Ok(Running {
        addr,
        sealer,
        webhooks,
        checkpoints,
        state,
        shutdown: Some(tx),
        task,
    })
}

/// Runs the periodic work: every `every`, overdue cases go one tier up and expired sessions
/// and tokens are deleted. Deadlines are
/// data in the database, so a restart loses nothing; several processes may run it at once.
pub fn spawn_scheduler(state: AppState, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match shanzhi_web::services::cases::escalate_overdue(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(escalated = n, "overdue cases escalated"),
                Err(e) => tracing::warn!(error = %e, "deadline scheduler"),
            }
            // Expired sessions and tokens are already refused; this only keeps the tables small.
            let purged = match state.store().conn().await {
                Ok(mut conn) => shanzhi_store::sessions::purge_expired(&mut conn).await,
                Err(e) => Err(e),
            };
            if let Err(e) = purged {
                tracing::warn!(error = %e, "purging expired sessions");
            }
        }
    })
}

/// Delivers webhook notifications: right after each change is published, and every second for
/// retries that have come due. Deliveries are rows in the database (an outbox), so a restart
/// resumes where it stopped.
fn spawn_webhook_worker(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = shanzhi_web::services::notify::deliver_due(&state).await {
                tracing::warn!(error = %e, "webhook delivery");
            }
            tokio::select! {
                () = state.changes_published() => {}
                () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            }
        }
    })
}

/// Seals new audit records into the chain every second.
fn spawn_sealer(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = shanzhi_web::services::audit::seal(state.store(), state.vault()).await {
                tracing::warn!(error = %e, "sealing the audit chain");
            }
        }
    })
}

/// Every second in the background: folds the dashboard's tally changes, and checkpoints the
/// SQLite WAL so that no commit waits for it.
fn spawn_checkpointer(store: shanzhi_store::Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = shanzhi_store::dashboard::fold(&store).await {
                tracing::warn!(error = %e, "dashboard tallies");
            }
            if let Err(e) = store.checkpoint().await {
                tracing::warn!(error = %e, "WAL checkpoint");
            }
        }
    })
}
