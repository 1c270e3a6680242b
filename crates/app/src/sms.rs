//! Text messages to residents' phones (one-time codes). Deployments plug in their SMS
//! gateway by implementing [`CodeSender`]; the demo and the tests use [`LoggedSender`], which
//! writes each message to the log (phone masked) and keeps the latest in memory.

use shanzhi_domain::personal::mask_phone;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

/// What sending returns: `Err` says why the gateway refused.
pub type Sending<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Sends a text to a phone.
pub trait CodeSender: Send + Sync {
    /// Sends `text` to the (normalised) `phone`.
    fn send<'a>(&'a self, phone: &'a str, text: &'a str) -> Sending<'a>;
}

/// Messages kept by [`LoggedSender`].
const KEPT: usize = 256;

/// Logs messages instead of sending them, and keeps the latest (for the demo and tests).
#[derive(Default)]
pub struct LoggedSender {
    sent: Mutex<VecDeque<(String, String)>>,
}

impl LoggedSender {
    /// The latest message to `phone`, if any.
    pub fn last_to(&self, phone: &str) -> Option<String> {
        let sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        sent.iter()
            .rev()
            .find(|(p, _)| p == phone)
            .map(|(_, t)| t.clone())
    }
}

impl CodeSender for LoggedSender {
    fn send<'a>(&'a self, phone: &'a str, text: &'a str) -> Sending<'a> {
        Box::pin(async move {
            tracing::info!(phone = %mask_phone(phone), %text, "短信（演示：未真正发送）");
            let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
            if sent.len() == KEPT {
                sent.pop_front();
            }
            sent.push_back((phone.to_owned(), text.to_owned()));
            Ok(())
        })
    }
}

/// The deployment's sender, as configuration carries it.
#[derive(Clone)]
pub struct Sms(pub std::sync::Arc<dyn CodeSender>);

impl Default for Sms {
    fn default() -> Self {
        Sms(std::sync::Arc::new(LoggedSender::default()))
    }
}

impl std::fmt::Debug for Sms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sms")
    }
}
