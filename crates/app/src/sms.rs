//! Text messages to residents' phones: one-time codes (sent at once) and the texts about their
//! reports, opinions, wishes and topics (queued in the outbox with the change they report, sent
//! by [`deliver_due`] with retries, the rows kept as the delivery log). Deployments send through their SMS gateway with
//! [`HttpGateway`]; the demo and the tests use [`LoggedSender`], which writes each message to
//! the log (phone masked) and keeps the latest in memory.

use crate::{App, AppError};
use shanzhi_domain::notify::retry_delay_ms;
use shanzhi_domain::personal::mask_phone;
pub use shanzhi_store::sms::TextRow;
use shanzhi_store::sms::{self as store, DueText, Sent};
use shanzhi_store::vault::Field;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

/// The signature texts carry (签名); a gateway may be configured with its own.
pub const SIGNATURE: &str = "善治";

/// One text to send.
#[derive(Debug, Clone, Copy)]
pub struct Text<'a> {
    /// The (normalised) phone.
    pub phone: &'a str,
    /// The whole text, without the signature (free-text gateways, the log).
    pub body: &'a str,
    /// The registered template it fits, if any: its key (`code`, or a report step such as
    /// `accepted`) and its parameters.
    pub template: Option<(&'a str, &'a [(&'static str, String)])>,
}

/// What sending returns: the gateway's id for the message, or why it refused.
pub type Sending<'a> = Pin<Box<dyn Future<Output = Result<Option<String>, String>> + Send + 'a>>;

/// Sends texts to phones.
pub trait TextSender: Send + Sync {
    /// Sends `text`.
    fn send<'a>(&'a self, text: &'a Text<'a>) -> Sending<'a>;

    /// Whether texts only go to the log (the demo).
    fn logs_only(&self) -> bool {
        false
    }
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
        self.all_to(phone).pop()
    }

    /// Every message kept for `phone`, oldest first.
    pub fn all_to(&self, phone: &str) -> Vec<String> {
        let sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        sent.iter()
            .filter(|(p, _)| p == phone)
            .map(|(_, t)| t.clone())
            .collect()
    }
}

impl TextSender for LoggedSender {
    fn send<'a>(&'a self, text: &'a Text<'a>) -> Sending<'a> {
        Box::pin(async move {
            let body = format!("【{SIGNATURE}】{}", text.body);
            tracing::info!(phone = %mask_phone(text.phone), text = %body, "短信（演示：未真正发送）");
            let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
            if sent.len() == KEPT {
                sent.pop_front();
            }
            sent.push_back((text.phone.to_owned(), body));
            Ok(None)
        })
    }

    fn logs_only(&self) -> bool {
        true
    }
}

/// An SMS gateway over HTTP, shaped after the common Chinese SMS APIs: each text is POSTed as
/// JSON — `phone`, `sign_name`, `template_code` and `template_param` (when a template is
/// registered for its kind) and `content` (the whole text with its signature, for gateways
/// that take free text) — with the key as a bearer token. A 2xx whose JSON has no `code`
/// (or `Code`) other than `OK`/`Ok`/`0` is accepted; the message id is read from `BizId`,
/// `id`, `message_id` or `SerialNo`.
pub struct HttpGateway {
    url: reqwest::Url,
    key: Option<String>,
    sign: String,
    templates: HashMap<String, String>,
    http: reqwest::Client,
}

impl HttpGateway {
    /// A gateway at `url`; `templates` lists the registered templates as
    /// `kind=id,kind=id` (kinds: `code` and those of [`shanzhi_domain::texts::TextKind`]);
    /// kinds without one are sent as free text.
    pub fn new(
        url: &str,
        key: Option<String>,
        sign: Option<String>,
        templates: &str,
    ) -> Result<HttpGateway, String> {
        let url = reqwest::Url::parse(url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| format!("短信网关地址无效：{url}"))?;
        let mut map = HashMap::new();
        for pair in templates
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (kind, id) = pair
                .split_once('=')
                .ok_or_else(|| format!("短信模板应写成 类型=模板号：{pair}"))?;
            map.insert(kind.trim().to_owned(), id.trim().to_owned());
        }
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(HttpGateway {
            url,
            key: key.filter(|k| !k.is_empty()),
            sign: sign.unwrap_or_else(|| SIGNATURE.to_owned()),
            templates: map,
            http,
        })
    }

    fn body(&self, text: &Text<'_>) -> serde_json::Value {
        let template = text
            .template
            .and_then(|(kind, params)| self.templates.get(kind).map(|id| (id, params)));
        serde_json::json!({
            "phone": text.phone,
            "sign_name": self.sign,
            "template_code": template.map(|(id, _)| id),
            "template_param": template.map(|(_, params)| {
                params.iter().map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(v.as_str())))
                    .collect::<serde_json::Map<_, _>>()
            }),
            "content": format!("【{}】{}", self.sign, text.body),
        })
    }
}

/// A gateway's JSON value as text: a string, or a number (gateways write ids and codes as
/// either); with `flags`, also a boolean.
pub(crate) fn text_of(v: &serde_json::Value, flags: bool) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) if flags => Some(b.to_string()),
        _ => None,
    }
}

/// Reads a gateway's answer: the message id, or why it refused.
fn answer_of(status: reqwest::StatusCode, body: &str) -> Result<Option<String>, String> {
    if !status.is_success() {
        return Err(format!("短信网关返回 HTTP {}", status.as_u16()));
    }
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let text = |v: &serde_json::Value| text_of(v, false);
    if let Some(code) = ["code", "Code"].iter().find_map(|k| text(&v[*k]))
        && !matches!(code.as_str(), "OK" | "Ok" | "ok" | "0")
    {
        let message = ["message", "Message", "msg"]
            .iter()
            .find_map(|k| text(&v[*k]))
            .unwrap_or_default();
        return Err(format!("短信网关拒绝：{code} {message}").trim().to_owned());
    }
    Ok(["BizId", "id", "message_id", "SerialNo"]
        .iter()
        .find_map(|k| text(&v[*k])))
}

impl TextSender for HttpGateway {
    fn send<'a>(&'a self, text: &'a Text<'a>) -> Sending<'a> {
        Box::pin(async move {
            let mut request = self.http.post(self.url.clone()).json(&self.body(text));
            if let Some(key) = &self.key {
                request = request.bearer_auth(key);
            }
            let response = request.send().await.map_err(|e| {
                if e.is_timeout() {
                    "短信网关超时".to_owned()
                } else {
                    "无法连接短信网关".to_owned()
                }
            })?;
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            answer_of(status, &body)
        })
    }
}

/// The deployment's sender, as configuration carries it.
#[derive(Clone)]
pub struct Sms(pub std::sync::Arc<dyn TextSender>);

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

/// The texts sent (or waiting to be) about a case the caller may see: the delivery log, with
/// phones masked.
pub async fn of_case(
    state: &App,
    actor: &shanzhi_domain::auth::Actor,
    id: i64,
) -> Result<Vec<TextRow>, AppError> {
    crate::case_scope::visible(state, actor, id).await?;
    Ok(store::of_case(&mut state.store().conn().await?, id).await?)
}

/// How long a claimed text is reserved for one worker's attempt.
const LEASE_MS: i64 = 60_000;

async fn attempt(state: &App, t: &DueText) -> Result<(), AppError> {
    let now = state.now_ms();
    let base = state.config().public_url.as_deref().unwrap_or("");
    let link = format!(
        "{}{}",
        base.trim_end_matches('/'),
        t.kind.path(&t.tracking_code)
    );
    let body = t.kind.compose(&t.tracking_code, &link, &t.reason);
    let params = t.kind.params(&t.tracking_code, &link, &t.reason);
    let attempts = u32::try_from(t.attempts)
        .unwrap_or(u32::MAX)
        .saturating_add(1);
    let retry_at = retry_delay_ms(attempts, state.config().webhook_retry_base_ms).map(|w| now + w);
    let result = match state.vault().open(Field::Phone, &t.phone_sealed) {
        Ok(phone) => {
            let text = Text {
                phone: &phone,
                body: &body,
                template: Some((t.kind.as_str(), &params)),
            };
            state.config().sms.0.send(&text).await
        }
        // A phone sealed with keys this deployment does not hold will never open.
        Err(_) => Err("电话号码无法解密".to_owned()),
    };
    let (gateway_ref, error) = match &result {
        Ok(id) => (id.as_deref(), None),
        Err(e) => (None, Some(e.as_str())),
    };
    let sent = Sent {
        body: &body,
        gateway_ref,
        error,
        retry_at: error.and(retry_at),
    };
    let mut tx = state.store().begin().await?;
    store::record(&mut tx, t.id, &sent, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Sends every text due (the worker's round); returns how many went out.
pub async fn deliver_due(state: &App) -> Result<usize, AppError> {
    let due = store::due(&mut state.store().conn().await?, state.now_ms(), 100).await?;
    let mut sent = 0;
    for t in due {
        let lease = state.now_ms() + LEASE_MS;
        if store::claim(&mut state.store().conn().await?, &t, lease).await? {
            attempt(state, &t).await?;
            sent += 1;
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_answers_are_read_as_the_common_apis_write_them() {
        let ok = reqwest::StatusCode::OK;
        assert_eq!(
            answer_of(ok, r#"{"Code":"OK","BizId":"9876^0"}"#),
            Ok(Some("9876^0".into()))
        );
        assert_eq!(
            answer_of(ok, r#"{"code":0,"id":42}"#),
            Ok(Some("42".into()))
        );
        assert_eq!(answer_of(ok, ""), Ok(None));
        let refused = answer_of(
            ok,
            r#"{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发流控"}"#,
        );
        assert!(refused.is_err_and(|e| e.contains("触发流控")));
        assert!(answer_of(reqwest::StatusCode::BAD_GATEWAY, "").is_err());
    }
}
