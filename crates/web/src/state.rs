//! Shared application state.

use crate::services::intake::Intake;
use crate::services::notify::CaseEvent;
use shanzhi_domain::auth::{LoginThrottle, SlidingWindow, ThrottleLimits};
use shanzhi_domain::case::Calendar;
use shanzhi_domain::geo::{IndexItem, LocateIndex};
use shanzhi_store::cases::CategoryRow;
use shanzhi_store::vault::Vault;
use shanzhi_store::{Store, StoreError, calendar, regions};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// A demo account shown on the login page in demo mode only.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Role, in Chinese.
    pub role: String,
    /// Where the account is bound, in Chinese.
    pub place: String,
}

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Demo accounts to list on the login page (empty outside demo mode).
    pub demo_logins: Vec<DemoLogin>,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Web session lifetime.
    pub session_ttl: Duration,
    /// API token lifetime.
    pub token_ttl: Duration,
    /// Failed-login limits.
    pub throttle: ThrottleLimits,
    /// Resident reports accepted per client address per hour (public pages).
    pub public_reports_per_hour: usize,
    /// First wait before a failed webhook delivery is tried again (doubles each time).
    pub webhook_retry_base_ms: i64,
    /// The address residents reach the server at (for QR codes), e.g. `https://shanzhi.example.gov.cn`;
    /// when unset, the address of the request that asks for the QR code.
    pub public_url: Option<String>,
    /// Largest photo accepted, in bytes.
    pub photo_max_bytes: usize,
    /// Keys for personal data (ID numbers, phones). The server loads them from its key file;
    /// the default holds fresh keys that live as long as the process.
    pub vault: Arc<Vault>,
    /// Where one-time codes go (the SMS gateway; the demo logs them).
    pub sms: crate::sms::Sms,
    /// Survey answers accepted per client address per minute (a community centre's shared
    /// network answers for many residents; one answer per phone or device still holds).
    pub survey_answers_per_minute: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            demo_logins: Vec::new(),
            secure_cookies: false,
            session_ttl: Duration::from_secs(12 * 3600),
            token_ttl: Duration::from_secs(30 * 24 * 3600),
            throttle: ThrottleLimits::default(),
            public_reports_per_hour: 20,
            public_url: None,
            webhook_retry_base_ms: 30_000,
            photo_max_bytes: shanzhi_domain::case::photo::DEFAULT_MAX_BYTES,
            vault: Arc::new(Vault::ephemeral()),
            sms: crate::sms::Sms::default(),
            survey_answers_per_minute: 600,
        }
    }
}

/// How long the category list is kept in memory.
pub const CATEGORY_TTL: Duration = Duration::from_secs(10);

struct Inner {
    store: Store,
    calendar: RwLock<Arc<Calendar>>,
    index: RwLock<LocateIndex>,
    throttle: Mutex<LoginThrottle>,
    public_reports: Mutex<SlidingWindow>,
    survey_answers: Mutex<SlidingWindow>,
    config: WebConfig,
    imports: crate::services::registers::jobs::Jobs,
    events: tokio::sync::broadcast::Sender<CaseEvent>,
    intake: Intake,
    audit: crate::services::audit::Sink,
    categories: RwLock<Option<(std::time::Instant, Arc<Vec<CategoryRow>>)>>,
    webhook_wake: tokio::sync::Notify,
    http: reqwest::Client,
}

/// State shared by every handler: cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    /// Builds the state, loading every stored boundary into the locate index.
    pub async fn new(store: Store, config: WebConfig) -> Result<AppState, StoreError> {
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
            shanzhi_store::Backend::Postgres => 4,
        };
        let intake = Intake::start(&store, writers);
        let audit = crate::services::audit::Sink::start(&store);
        Ok(AppState(Arc::new(Inner {
            store,
            calendar: RwLock::new(Arc::new(calendar)),
            index: RwLock::new(index),
            throttle: Mutex::new(LoginThrottle::new(config.throttle)),
            public_reports: Mutex::new(SlidingWindow::new(
                Duration::from_secs(3600),
                config.public_reports_per_hour,
            )),
            survey_answers: Mutex::new(SlidingWindow::new(
                Duration::from_secs(60),
                config.survey_answers_per_minute,
            )),
            config,
            imports: Default::default(),
            events: tokio::sync::broadcast::channel(1024).0,
            intake,
            audit,
            categories: RwLock::new(None),
            webhook_wake: tokio::sync::Notify::new(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .user_agent(concat!("shanzhi-webhooks/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        })))
    }

    /// Register imports running or recently finished.
    pub fn imports(&self) -> &crate::services::registers::jobs::Jobs {
        &self.0.imports
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// The configuration.
    pub fn config(&self) -> &WebConfig {
        &self.0.config
    }

    /// The audit queue the HTTP layer appends to.
    pub fn audit(&self) -> &crate::services::audit::Sink {
        &self.0.audit
    }

    /// The keys for personal data.
    pub fn vault(&self) -> &Vault {
        &self.0.config.vault
    }

    /// Tells live feeds about a committed change and wakes the webhook worker.
    pub fn publish(&self, event: CaseEvent) {
        // No subscribers is fine: nobody is watching.
        let _ = self.0.events.send(event);
        self.0.webhook_wake.notify_one();
    }

    /// The active categories, read from the database at most every few seconds (every report
    /// needs them; an edit shows within [`CATEGORY_TTL`] in every process).
    pub async fn categories(&self) -> Result<Arc<Vec<CategoryRow>>, crate::ApiError> {
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

    /// The group-commit queue reports are filed through.
    pub fn intake(&self) -> &Intake {
        &self.0.intake
    }

    /// A live feed of committed changes.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<CaseEvent> {
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
    pub async fn reload_calendar(&self) -> Result<(), crate::ApiError> {
        let fresh = calendar::load(&mut self.store().conn().await?).await?;
        *self.0.calendar.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(fresh);
        Ok(())
    }

    /// The address residents and clients reach the server at, without a trailing slash: the
    /// configured public address, or the one this request came in on.
    pub fn public_base(&self, headers: &axum::http::HeaderMap) -> String {
        let base = self.config().public_url.clone().unwrap_or_else(|| {
            let host = headers
                .get(axum::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1:8080");
            format!("http://{host}")
        });
        base.trim_end_matches('/').to_owned()
    }

    /// Runs `f` with the locate index for reading.
    pub fn with_index<R>(&self, f: impl FnOnce(&LocateIndex) -> R) -> R {
        // A poisoned lock only means a writer panicked mid-update of an in-memory cache; the
        // data is still usable, so recover rather than fail every request.
        f(&self.0.index.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Runs `f` with the locate index for writing.
    pub fn update_index(&self, f: impl FnOnce(&mut LocateIndex)) {
        f(&mut self.0.index.write().unwrap_or_else(|p| p.into_inner()));
    }

    /// Counts a public report from `ip`; refused (with the wait) past the hourly limit.
    pub fn allow_public_report(&self, ip: &str) -> Result<(), Duration> {
        let mut w = self
            .0
            .public_reports
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let now = std::time::Instant::now();
        w.check(ip, now)?;
        w.record(ip, now);
        Ok(())
    }

    /// Counts a survey answer or code request from `ip`; refused (with the wait) past the
    /// per-minute limit.
    pub fn allow_survey(&self, ip: &str) -> Result<(), Duration> {
        let mut w = self
            .0
            .survey_answers
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let now = std::time::Instant::now();
        w.check(ip, now)?;
        w.record(ip, now);
        Ok(())
    }

    /// Runs `f` with the login throttle.
    pub fn with_throttle<R>(&self, f: impl FnOnce(&mut LoginThrottle) -> R) -> R {
        f(&mut self.0.throttle.lock().unwrap_or_else(|p| p.into_inner()))
    }
}
