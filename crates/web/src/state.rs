//! The state every handler gets: the application, and what only the HTTP layer needs
//! (page settings, the login throttle and the per-address limits of the public pages).

use shanzhi_app::App;
use shanzhi_app::seed::DemoLogin;
use shanzhi_domain::auth::{LoginThrottle, SlidingWindow, ThrottleLimits};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Demo accounts to list on the login page (empty outside demo mode).
    pub demo_logins: Vec<DemoLogin>,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Failed-login limits.
    pub throttle: ThrottleLimits,
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
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            demo_logins: Vec::new(),
            secure_cookies: false,
            throttle: ThrottleLimits::default(),
            public_reports_per_hour: 20,
            public_url: None,
            survey_answers_per_minute: 600,
            metrics_token: None,
        }
    }
}

struct Inner {
    app: App,
    settings: WebConfig,
    throttle: Mutex<LoginThrottle>,
    public_reports: Mutex<SlidingWindow>,
    survey_answers: Mutex<SlidingWindow>,
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
        WebState(Arc::new(Inner {
            app,
            throttle: Mutex::new(LoginThrottle::new(settings.throttle)),
            public_reports: Mutex::new(SlidingWindow::new(
                Duration::from_secs(3600),
                settings.public_reports_per_hour,
            )),
            survey_answers: Mutex::new(SlidingWindow::new(
                Duration::from_secs(60),
                settings.survey_answers_per_minute,
            )),
            settings,
        }))
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
    /// configured public address, or the one this request came in on.
    pub fn public_base(&self, headers: &axum::http::HeaderMap) -> String {
        let base = self.settings().public_url.clone().unwrap_or_else(|| {
            let host = headers
                .get(axum::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1:8080");
            format!("http://{host}")
        });
        base.trim_end_matches('/').to_owned()
    }

    /// Counts a public report from `ip`; refused (with the wait) past the hourly limit.
    pub fn allow_public_report(&self, ip: &str) -> Result<(), Duration> {
        allow(&self.0.public_reports, ip)
    }

    /// Counts a survey answer or code request from `ip`; refused (with the wait) past the
    /// per-minute limit.
    pub fn allow_survey(&self, ip: &str) -> Result<(), Duration> {
        allow(&self.0.survey_answers, ip)
    }

    /// Runs `f` with the login throttle.
    pub fn with_throttle<R>(&self, f: impl FnOnce(&mut LoginThrottle) -> R) -> R {
        f(&mut self.0.throttle.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Counts one request from `ip` in `window`, or says how long to wait.
fn allow(window: &Mutex<SlidingWindow>, ip: &str) -> Result<(), Duration> {
    let mut w = window.lock().unwrap_or_else(|p| p.into_inner());
    let now = std::time::Instant::now();
    w.check(ip, now)?;
    w.record(ip, now);
    Ok(())
}
