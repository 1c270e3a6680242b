//! The residents' side of notices: opting in to a grid's notice texts with a one-time code, the
//! page a text's link opens (which counts it as read), and opting out from that page.

use super::{PageError, beijing, render};
use crate::WebState;
use crate::assets::STYLE_PATH;
use crate::auth::{CsrfForm, csrf_token};
use crate::pages::Path;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::notices as svc;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/r/{code}/notices", get(form).post(subscribe))
        .route("/n/{code}", get(opened))
        .route("/n/{code}/stop", post(stop))
}

#[derive(Template)]
#[template(path = "notice_subscribe.html")]
struct SubscribePage {
    style: &'static str,
    csrf: String,
    code: String,
    place: String,
    phone: String,
    code_sent: bool,
    done: bool,
    notice: Option<String>,
    error: Option<String>,
}

/// What the subscription page shows after a step.
#[derive(Default)]
struct Step {
    phone: String,
    code_sent: bool,
    done: bool,
    notice: Option<String>,
    error: Option<String>,
}

async fn page(
    state: &WebState,
    jar: CookieJar,
    code: &str,
    step: Step,
) -> Result<(CookieJar, Response), PageError> {
    let node = shanzhi_app::cases::public_node(state, code).await?;
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let p = SubscribePage {
        style: STYLE_PATH.as_str(),
        csrf,
        code: node.code,
        place: node.name,
        phone: step.phone,
        code_sent: step.code_sent,
        done: step.done,
        notice: step.notice,
        error: step.error,
    };
    Ok((jar, render(&p)))
}

async fn form(
    State(state): State<WebState>,
    jar: CookieJar,
    Path(code): Path<String>,
) -> Result<(CookieJar, Response), PageError> {
    page(&state, jar, &code, Step::default()).await
}

#[derive(Deserialize)]
struct SubscribeForm {
    phone: String,
    #[serde(default)]
    otp: String,
    /// 重新获取验证码 was pressed.
    #[serde(default)]
    resend: Option<String>,
}

/// Without a code: texts one. With it: opts the phone in. Either way the page comes back with
/// the phone as typed.
async fn subscribe(
    State(state): State<WebState>,
    addr: crate::client::Client,
    jar: CookieJar,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<SubscribeForm>,
) -> Result<(CookieJar, Response), PageError> {
    let ip = addr.ip().to_string();
    let step = if f.otp.trim().is_empty() || f.resend.is_some() {
        match svc::offer(&state, &code, &f.phone, &ip).await {
            Ok(()) => Step {
                code_sent: true,
                notice: Some("验证码已发送，请查看短信，填好后点“订阅”".into()),
                ..Step::default()
            },
            Err(AppError::RateLimited(s)) => Step {
                code_sent: true,
                error: Some(format!("验证码已发送，请 {s} 秒后再获取")),
                ..Step::default()
            },
            Err(e @ (AppError::BadRequest { .. } | AppError::Unavailable(_))) => Step {
                error: Some(e.to_string()),
                ..Step::default()
            },
            Err(e) => return Err(e.into()),
        }
    } else {
        match svc::subscribe(&state, &code, &f.phone, f.otp.trim()).await {
            Ok(()) => Step {
                done: true,
                notice: Some(
                    "已订阅。本网格发布公告和预警时会发短信给您，短信里的链接可随时退订。".into(),
                ),
                ..Step::default()
            },
            Err(e @ AppError::BadRequest { .. }) => Step {
                code_sent: true,
                error: Some(e.to_string()),
                ..Step::default()
            },
            Err(e) => return Err(e.into()),
        }
    };
    let step = Step {
        phone: f.phone,
        ..step
    };
    page(&state, jar, &code, step).await
}

#[derive(Template)]
#[template(path = "notice_public.html")]
struct NoticePage {
    style: &'static str,
    csrf: String,
    code: String,
    badge: (String, &'static str),
    title: String,
    body: String,
    when: String,
    /// Its attachments: (id, name).
    files: Vec<(i64, String)>,
    stopped: bool,
}

async fn show(
    state: &WebState,
    jar: CookieJar,
    code: &str,
    stopped: bool,
) -> Result<(CookieJar, Response), PageError> {
    let n = svc::opened(state, code).await?;
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let p = NoticePage {
        style: STYLE_PATH.as_str(),
        csrf,
        code: code.to_owned(),
        badge: super::notices::badge(&n),
        when: format!("{} 至 {}", beijing(n.starts_at), beijing(n.ends_at)),
        files: svc::attachments(state, &[n.id])
            .await?
            .into_iter()
            .map(|f| (f.id, f.name))
            .collect(),
        title: n.title,
        body: n.body,
        stopped,
    };
    Ok((jar, render(&p)))
}

async fn opened(
    State(state): State<WebState>,
    jar: CookieJar,
    Path(code): Path<String>,
) -> Result<(CookieJar, Response), PageError> {
    show(&state, jar, &code, false).await
}

async fn stop(
    State(state): State<WebState>,
    jar: CookieJar,
    Path(code): Path<String>,
    CsrfForm(()): CsrfForm<()>,
) -> Result<(CookieJar, Response), PageError> {
    svc::stop(&state, &code).await?;
    show(&state, jar, &code, true).await
}
