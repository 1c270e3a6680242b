//! 外勤, the grid worker's installable app for work without a signal: one page (the shell,
//! the same for everyone, so the service worker may keep it), what the phone keeps to read
//! offline as JSON, and the door the phone's queue goes through when the signal returns.

use super::{PageError, render};
use crate::WebState;
use crate::auth::{CsrfMultipart, PageUser, csrf_token};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shanzhi_app::offline::{self as svc, Applied, Item, Sent};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/app", get(shell))
        .route("/app/pack", get(pack))
        .route("/app/send", post(send).layer(DefaultBodyLimit::disable()))
}

#[derive(Template)]
#[template(path = "field_app.html")]
struct Shell {
    style: &'static str,
    script: &'static str,
}

/// The app's one page: no data of anyone's in it (the phone fills it from [`pack`]), so the
/// service worker may keep it for opening offline.
async fn shell(PageUser(_): PageUser) -> Result<Response, PageError> {
    let page = Shell {
        style: crate::assets::STYLE_PATH.as_str(),
        script: crate::assets::APP_PATH.as_str(),
    };
    Ok(render(&page))
}

/// What the phone keeps: the worker's grid, open cases, residents due a visit (masked),
/// today's patrol and the lists the forms need; with the form token for sending later and
/// how long the session lasts (the phone's key for what it keeps does not outlive it).
async fn pack(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
) -> Result<Response, crate::ApiError> {
    let pack = svc::pack(&state, &p).await?;
    let (jar, token) = csrf_token(jar, state.settings().secure_cookies);
    let until = pack.now + i64::try_from(state.config().session_ttl.as_millis()).unwrap_or(0);
    let body = serde_json::json!({"pack": pack, "csrf": token, "until": until});
    Ok((jar, [(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response())
}

/// A queued item as the phone sends it: the key, times and place, and the item as JSON;
/// photos ride in `photos`. Numbers come as text (the form reader keeps flattened fields as
/// text) and are read here.
#[derive(Deserialize)]
struct SendForm {
    key: String,
    made_at: String,
    #[serde(default)]
    lon: String,
    #[serde(default)]
    lat: String,
    item: String,
}

/// A number field that may be left empty.
fn number<T: std::str::FromStr>(text: &str, what: &str) -> Result<Option<T>, crate::ApiError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse()
        .map(Some)
        .map_err(|_| crate::ApiError::bad("invalid_field", format!("{what}“{t}”不是数字")))
}

/// Applies one queued item once (its key), answering what it did; a step whose case moved
/// on is a 409 that says how the case stands now.
async fn send(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    form: CsrfMultipart<SendForm>,
) -> Result<axum::Json<Applied>, crate::ApiError> {
    let photos = super::form_photos(&state, &form).await?;
    let f = form.form;
    let item: Item = serde_json::from_str(&f.item).map_err(|_| {
        shanzhi_app::AppError::bad("invalid_item", "离线记录内容无法识别，请更新外勤应用后重试")
    })?;
    let made_at = number(&f.made_at, "记录时间")?
        .ok_or_else(|| crate::ApiError::bad("invalid_field", "缺少记录时间 made_at"))?;
    let sent = Sent {
        key: f.key,
        made_at,
        lon: number(&f.lon, "经度")?,
        lat: number(&f.lat, "纬度")?,
    };
    Ok(axum::Json(
        svc::apply(&state, &p, sent, item, photos).await?,
    ))
}
