//! The application state every operation runs in: the store, the personal-data keys, the
//! clock, and the caches and workers kept in step with the database.

use crate::clock::Clock;
use crate::intake::Intake;
use crate::memo::Memo;
use crate::notify::FeedEvent;
use shanzhi_domain::case::Calendar;
use shanzhi_domain::geo::{IndexItem, LocateIndex};
use shanzhi_store::cases::CategoryRow;
use shanzhi_store::sessions::Holder;
use shanzhi_store::vault::Vault;
use shanzhi_store::{Store, StoreError, calendar, regions};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Settings of the application.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Web session lifetime.
    pub session_ttl: Duration,
    /// API token lifetime.
    pub token_ttl: Duration,
    /// First wait before a failed webhook delivery is tried again (doubles each time).
    pub webhook_retry_base_ms: i64,
    /// Largest photo accepted, in bytes.
    pub photo_max_bytes: usize,
    /// Keys for personal data (ID numbers, phones). The server loads them from its key file;
    /// the default holds fresh keys that live as long as the process.
    pub vault: Arc<Vault>,
    /// Where texts to residents go (the SMS gateway; the demo logs them).
    pub sms: crate::sms::Sms,
    /// The address residents reach the server at (links in texts); none: links are paths.
    pub public_url: Option<String>,
    /// Where "now" comes from.
    pub clock: Clock,
    /// The file the audit chain's head is appended to every minute (none: not anchored).
    pub audit_anchor: Option<std::path::PathBuf>,
    /// A URL the audit chain's head is also posted to.
    pub audit_anchor_url: Option<String>,
    /// Where uploaded sheets wait for their import (owner-only; the server's data directory).
    pub upload_dir: std::path::PathBuf,
    /// How failed logins are answered.
    pub login_rule: shanzhi_domain::auth::LoginRule,
    /// Answers to one device survey accepted from one client address in an hour.
    pub device_answers_per_hour: u64,
    /// Intake writers on PostgreSQL (default 4; SQLite has one writer). Each commits the
    /// reports waiting for it in one transaction, so fewer writers make larger, cheaper
    /// commits: processes sharing one database should share the writers (4 in all).
    pub intake_writers: Option<usize>,
    /// How likely a suggested category must be for a 12345 order that names none to be filed
    /// under it without a person (default 0.6); the rest wait in 待定位.
    pub auto_category: f64,
    /// How many hours old work sent from the field (after a dropped signal) may be for the
    /// time it was made to count (default 72); older work counts from its arrival.
    pub field_hours: u32,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            session_ttl: Duration::from_secs(12 * 3600),
            token_ttl: Duration::from_secs(30 * 24 * 3600),
            webhook_retry_base_ms: 30_000,
            photo_max_bytes: shanzhi_domain::case::photo::DEFAULT_MAX_BYTES,
            vault: Arc::new(Vault::ephemeral()),
            sms: crate::sms::Sms::default(),
            public_url: None,
            clock: Clock::system(),
            audit_anchor: None,
            audit_anchor_url: None,
            upload_dir: std::env::temp_dir().join("shanzhi-uploads"),
            login_rule: Default::default(),
            device_answers_per_hour: 30,
            intake_writers: None,
            auto_category: crate::hotline::AUTO_CATEGORY,
            field_hours: shanzhi_domain::offline::DEFAULT_MAX_AGE_HOURS,
        }
    }
}

/// How long the category list is kept in memory.
pub const CATEGORY_TTL: Duration = Duration::from_secs(10);

/// The longest a memo keeps a row (changes empty them at once; this bounds a missed one).
const MEMO_AGE: Duration = Duration::from_secs(30);

struct Inner {
    store: Store,
    calendar: RwLock<Arc<Calendar>>,
    index: RwLock<LocateIndex>,
    config: AppConfig,
    jobs: crate::registers::jobs::Local,
    events: tokio::sync::broadcast::Sender<FeedEvent>,
    feed_wake: tokio::sync::Notify,
    intake: Intake,
    categories: RwLock<Option<(std::time::Instant, Arc<Vec<CategoryRow>>)>>,
    gazetteer: crate::geocode::Slot,
    suggest: crate::suggest::Slot,
    webhook_wake: tokio::sync::Notify,
    http: reqwest::Client,
    callers: Memo<Holder>,
    located: Memo<regions::NodeRow>,
}

/// State shared by every handler: cheap to clone.
#[derive(Clone)]
pub struct App(Arc<Inner>);

impl App {
    /// Builds the state, loading every stored boundary into the locate index.
    pub async fn new(store: Store, config: AppConfig) -> Result<App, StoreError> {
        // From here on every commit seals its audit records into the chain.
        let store = store.with_chain(config.vault.clone());
        let rows = regions::with_boundaries(&mut store.conn().await?).await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some(b) = row.boundary()? {
                items.push(IndexItem {
                    level: row.level(),
                    class: row.class(),
                    code: row.code,
                    shape: b.shape().clone(),
                });
            }
        }
        let index = tokio::task::spawn_blocking(move || LocateIndex::build(items))
            .await
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        tracing::info!(boundaries = index.len(), "locate index built");
        let calendar = calendar::load(&mut store.conn().await?).await?;
        let writers = match store.backend() {
            shanzhi_store::Backend::Sqlite => 1,
            shanzhi_store::Backend::Postgres => config.intake_writers.unwrap_or(4).clamp(1, 64),
        };
        let intake = Intake::start(&store, writers, &config.clock)?;
        Ok(App(Arc::new(Inner {
            store,
            calendar: RwLock::new(Arc::new(calendar)),
            index: RwLock::new(index),
            config,
            jobs: Default::default(),
            events: tokio::sync::broadcast::channel(1024).0,
            feed_wake: tokio::sync::Notify::new(),
            intake,
            categories: RwLock::new(None),
            gazetteer: Default::default(),
            suggest: Default::default(),
            webhook_wake: tokio::sync::Notify::new(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .user_agent(concat!("shanzhi-webhooks/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            callers: Memo::new(MEMO_AGE),
            located: Memo::new(MEMO_AGE),
        })))
    }

    /// The store. Front ends go through the operations; this is for the operations themselves
    /// and for tests and benchmarks that check what was stored (a crate without the store as
    /// a dependency can hold the handle but cannot run a query through it).
    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// The configuration.
    pub fn config(&self) -> &AppConfig {
        &self.0.config
    }

    /// The keys for personal data.
    pub fn vault(&self) -> &Vault {
        &self.0.config.vault
    }

    /// Says that a committed transaction wrote to the change feed: wakes this process's feed
    /// follower (other processes hear it from the database) and the webhook worker.
    pub fn announced(&self) {
        self.0.feed_wake.notify_one();
        self.0.webhook_wake.notify_one();
    }

    /// Waits until this process wrote to the change feed (the follower's wake-up).
    pub async fn feed_written(&self) {
        self.0.feed_wake.notified().await;
    }

    /// Hands a case change read from the change feed to this process's live feeds.
    pub fn deliver(&self, event: FeedEvent) {
        // No subscribers is fine: nobody is watching.
        let _ = self.0.events.send(event);
    }

    /// The active categories, read from the database at most every few seconds (every report
    /// needs them). An edit reaches every process through the change feed; [`CATEGORY_TTL`]
    /// bounds how stale a list can be even so.
    pub async fn categories(&self) -> Result<Arc<Vec<CategoryRow>>, crate::AppError> {
        if let Some((at, list)) = &*self.0.categories.read().unwrap_or_else(|p| p.into_inner())
            && at.elapsed() < CATEGORY_TTL
        {
            return Ok(list.clone());
        }
        let fresh =
            Arc::new(shanzhi_store::cases::categories(&mut self.store().conn().await?).await?);
        *self.0.categories.write().unwrap_or_else(|p| p.into_inner()) =
            Some((std::time::Instant::now(), fresh.clone()));
        Ok(fresh)
    }

    /// Drops the category list kept in memory, so the next read is the database's (an edit,
    /// here or in another process).
    pub fn forget_categories(&self) {
        *self.0.categories.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// This process's copy of the gazetteer.
    pub(crate) fn gazetteer_slot(&self) -> &crate::geocode::Slot {
        &self.0.gazetteer
    }

    /// This process's copy of the suggestion models.
    pub(crate) fn suggest_slot(&self) -> &crate::suggest::Slot {
        &self.0.suggest
    }

    /// The register imports this process is running.
    pub fn running_jobs(&self) -> &crate::registers::jobs::Local {
        &self.0.jobs
    }

    /// The group-commit queue reports are filed through.
    pub fn intake(&self) -> &Intake {
        &self.0.intake
    }

    /// Whether a live feed is open in this process (else its follower need not read case
    /// changes).
    pub fn watched(&self) -> bool {
        self.0.events.receiver_count() > 0
    }

    /// A live feed of committed case changes, from the change feed.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<FeedEvent> {
        self.0.events.subscribe()
    }

    /// Waits until a change is published (the webhook worker's wake-up).
    pub async fn changes_published(&self) {
        self.0.webhook_wake.notified().await;
    }

    /// The HTTP client webhooks are delivered with.
    pub fn http(&self) -> &reqwest::Client {
        &self.0.http
    }

    /// The working-day calendar deadlines are counted against.
    pub fn calendar(&self) -> Arc<Calendar> {
        self.0
            .calendar
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Reloads the calendar after it was edited.
    pub async fn reload_calendar(&self) -> Result<(), crate::AppError> {
        let fresh = calendar::load(&mut self.store().conn().await?).await?;
        *self.0.calendar.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(fresh);
        Ok(())
    }

    /// Runs `f` with the locate index for reading.
    pub fn with_index<R>(&self, f: impl FnOnce(&LocateIndex) -> R) -> R {
        // A poisoned lock only means a writer panicked mid-update of an in-memory cache; the
        // data is still usable, so recover rather than fail every request.
        f(&self.0.index.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Runs `f` with the locate index for writing (and forgets the located nodes' facts, which
    /// change with it).
    pub fn update_index(&self, f: impl FnOnce(&mut LocateIndex)) {
        f(&mut self.0.index.write().unwrap_or_else(|p| p.into_inner()));
        self.0.located.forget();
    }

    /// Who holds the sessions and tokens seen lately (emptied by any change to who may log
    /// in, here or through the change feed).
    pub(crate) fn callers(&self) -> &Memo<Holder> {
        &self.0.callers
    }

    /// The facts of the nodes the locate index placed reports in lately (emptied with every
    /// change to the index).
    pub(crate) fn located(&self) -> &Memo<regions::NodeRow> {
        &self.0.located
    }

    /// Whether the database answers within a second; the refusal names it.
    pub async fn health(&self) -> Result<(), crate::AppError> {
        let db = match self.0.store.backend() {
            shanzhi_store::Backend::Sqlite => "数据库（SQLite）",
            shanzhi_store::Backend::Postgres => "数据库（PostgreSQL）",
        };
        match tokio::time::timeout(Duration::from_secs(1), self.0.store.ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(crate::AppError::Unavailable(format!("{db}不可用：{e}"))),
            Err(_) => Err(crate::AppError::Unavailable(format!("{db}一秒内没有应答"))),
        }
    }

    /// The connection pool's size and idle connections, for the metrics.
    pub fn pool_stats(&self) -> (u32, usize) {
        self.0.store.pool_stats()
    }

    /// Where "now" comes from.
    pub fn clock(&self) -> &Clock {
        &self.0.config.clock
    }

    /// Now, in milliseconds since the Unix epoch, by the state's clock.
    pub fn now_ms(&self) -> i64 {
        self.0.config.clock.now_ms()
    }
}
