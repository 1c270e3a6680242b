//! Starting Shanzhi: the one start-up that `shanzhi serve`, the tests and the benchmarks share —
//! boot the application (database, seeding, state), start its workers, serve HTTP.

use anyhow::Context;
use shanzhi_app::boot::{Demo, boot};
use shanzhi_app::workers::Workers;
use shanzhi_app::{AppConfig, StoreOptions};
use shanzhi_web::{WebConfig, WebState};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

/// What to start.
pub struct Launch {
    /// The database.
    pub store: StoreOptions,
    /// The application's settings (keys, clock, limits).
    pub app: AppConfig,
    /// The HTTP layer's settings (the demo logins are filled in by the start).
    pub web: WebConfig,
    /// How much of the demo district to seed into an empty database.
    pub demo: Demo,
    /// The first administrator's password (random when none).
    pub admin_password: Option<String>,
    /// Where to listen (port 0: any free port).
    pub bind: SocketAddr,
    /// Time between runs of the deadline scheduler.
    pub escalation_every: Duration,
}

/// A running server.
pub struct Running {
    /// The address it listens on (useful with port 0).
    pub addr: SocketAddr,
    /// Its state.
    pub state: WebState,
    /// The first administrator's password, when this start made it with a random one.
    pub admin_password: Option<String>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    workers: Workers,
}

impl Running {
    /// Stops accepting, finishes in-flight requests, stops the workers, and waits.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.workers.stop();
        self.task.await??;
        Ok(())
    }
}

/// Boots the application, starts its workers and serves it.
pub async fn launch(l: Launch) -> anyhow::Result<Running> {
    let booted = boot(&l.store, l.app, l.demo, l.admin_password)
        .await
        .map_err(crate::operator_error)
        .context("启动失败")?;
    let workers = Workers::start(&booted.app, l.escalation_every);
    let web = WebConfig {
        demo_logins: booted.demo_logins,
        ..l.web
    };
    let state = WebState::new(booted.app, web);
    let listener = TcpListener::bind(l.bind)
        .await
        .with_context(|| format!("无法监听 {}", l.bind))?;
    let addr = listener.local_addr()?;
    let service =
        shanzhi_web::app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    Ok(Running {
        addr,
        state,
        admin_password: booted.admin_password,
        shutdown: Some(tx),
        task,
        workers,
    })
}
