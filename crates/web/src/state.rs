//! The state every handler gets: the application, and what only the HTTP layer needs
//! (page settings, the public pages' limits).

use shanzhi_app::seed::DemoLogin;
use shanzhi_app::{App, AppError};
use shanzhi_domain::auth::RateLimit;
use std::sync::Arc;
use std::time::Duration;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Demo accounts to list on the login page (empty outside demo mode).
    pub demo_logins: Vec<DemoLogin>,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Resident reports accepted per client address per hour (public pages).
    pub public_reports_per_hour: usize,
    /// The address residents reach the server at (for QR codes), e.g. `https://shanzhi.example.gov.cn`;
    /// when unset, the address of the request that asks for the QR code.
    pub public_url: Option<String>,
    /// Survey answers accepted per client address per minute (a community centre's shared
    /// network answers for many residents; one answer per phone or device still holds).
    pub survey_answers_per_minute: usize,
    /// The token a Prometheus scraper sends for `/metrics`; without one, only this machine
    /// may read them.
    pub metrics_token: Option<String>,
    /// The token the SMS gateway sends with its status reports and residents' replies; without
    /// one, those callbacks are off.
    pub sms_callback_key: Option<String>,
    /// Reverse proxies whose forwarded headers are believed (client address, scheme, host).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The sub-path everything is served under (`/shanzhi`), or the root.
    pub base_path: crate::base::BasePath,
    /// Official base-map tiles under the maps to point at (none: the boundaries alone).
    pub basemap: Option<crate::basemap::Basemap>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            demo_logins: Vec::new(),
            secure_cookies: false,
            public_reports_per_hour: 20,
            public_url: None,
            survey_answers_per_minute: 600,
            metrics_token: None,
            sms_callback_key: None,
            trusted_proxies: Vec::new(),
            base_path: Default::default(),
            basemap: None,
        }
    }
}

struct Inner {
    app: App,
    settings: WebConfig,
}

/// State shared by every handler: cheap to clone. It dereferences to the [`App`], so a
/// handler hands `&state` straight to an operation.
#[derive(Clone)]
pub struct WebState(Arc<Inner>);

impl std::ops::Deref for WebState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0.app
    }
}

impl WebState {
    /// The HTTP layer over `app`.
    pub fn new(app: App, settings: WebConfig) -> WebState {
        WebState(Arc::new(Inner { app, settings }))
    }

    /// The application.
    pub fn app(&self) -> &App {
        &self.0.app
    }

    /// The HTTP layer's settings.
    pub fn settings(&self) -> &WebConfig {
        &self.0.settings
    }

    /// The address residents and clients reach the server at, without a trailing slash: the
    /// configured public address, or the one this request came in on (through a trusted
    /// proxy: the scheme and host it was asked for).
    pub fn public_base(&self, client: &crate::client::Client) -> String {
        let base = self.settings().public_url.clone().unwrap_or_else(|| {
            format!("{}{}", client.origin(), self.settings().base_path.as_str())
        });
        base.trim_end_matches('/').to_owned()
    }

    /// Counts a public submission under `key` (its kind and the client's address); refused
    /// (429, with the wait) past the hourly limit. Counted in the database: every process
    /// holds the same line.
    pub async fn allow_public_report(&self, key: &str) -> Result<(), AppError> {
        let limit = RateLimit {
            window: Duration::from_secs(3600),
            limit: self.settings().public_reports_per_hour as u64,
        };
        shanzhi_app::limits::allow(self, "public", key, limit).await
    }

    /// Counts a resident page's look-up (the category suggestions as they type) from `ip`;
    /// refused past sixty a minute, which no one typing reaches.
    pub async fn allow_lookup(&self, ip: &str) -> Result<(), AppError> {
        let limit = RateLimit {
            window: Duration::from_secs(60),
            limit: 60,
        };
        shanzhi_app::limits::allow(self, "lookup", ip, limit).await
    }

    /// Counts a survey answer or code request from `ip`; refused past the per-minute limit.
    pub async fn allow_survey(&self, ip: &str) -> Result<(), AppError> {
        let limit = RateLimit {
            window: Duration::from_secs(60),
            limit: self.settings().survey_answers_per_minute as u64,
        };
        shanzhi_app::limits::allow(self, "survey", ip, limit).await
    }
}
