//! The live feed of case changes (server-sent events), filtered to what the caller may see.
//! It comes from the database's change feed, so a client connected to any process sees every
//! process's changes; each event's id is its place in that feed, and a client that reconnects
//! with `Last-Event-ID` gets what it missed first.

use crate::WebState;
use crate::auth::{Actor, ApiUser};
use crate::error::ErrorBody;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use shanzhi_app::notify::{CaseEvent, FeedEvent};
use std::convert::Infallible;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// Most missed changes replayed to a client that reconnects.
const REPLAY: u32 = 500;

fn event(e: &FeedEvent) -> Option<Event> {
    let data = serde_json::to_string(&serde_json::json!({
        "event": e.event,
        "summary": e.event.summary(),
    }))
    .ok()?;
    Some(
        Event::default()
            .event("case")
            .id(e.seq.to_string())
            .data(data),
    )
}

/// The position a reconnecting client last saw.
fn last_seen(headers: &HeaderMap) -> Option<i64> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Changes the actor may see, as SSE events named `case` whose data is a [`CaseEvent`]: first
/// those after `Last-Event-ID`, then live. A slow reader that falls behind skips what it
/// missed (the lists are the record).
pub(crate) async fn feed(
    state: &WebState,
    actor: Actor,
    headers: &HeaderMap,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
    // Listen first, then read what was missed: nothing falls between the two.
    let live = BroadcastStream::new(state.subscribe());
    let missed = match last_seen(headers) {
        Some(seq) => shanzhi_app::feed::cases_after(state, seq, REPLAY)
            .await
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let replayed = missed.last().map_or(i64::MIN, |e| e.seq);
    let visible = {
        let actor = actor.clone();
        move |e: &FeedEvent| e.event.visible_to(&actor)
    };
    let first: Vec<Result<Event, Infallible>> = missed
        .iter()
        .filter(|e| visible(e))
        .filter_map(event)
        .map(Ok)
        .collect();
    let rest = live.filter_map(move |e| {
        let e = e.ok().filter(|e| e.seq > replayed && visible(e))?;
        event(&e).map(Ok)
    });
    Sse::new(tokio_stream::iter(first).chain(rest)).keep_alive(KeepAlive::default())
}

/// A live feed of case changes in the caller's scope (text/event-stream; each event named
/// `case`, its id its place in the change feed, its data `{"event": CaseEvent, "summary":
/// "…"}`). Send `Last-Event-ID` to resume after a lost connection.
#[utoipa::path(get, path = "/events", tag = "cases", security(("bearer" = [])),
    responses((status = 200, content_type = "text/event-stream", body = CaseEvent), (status = 401, body = ErrorBody)))]
async fn events(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    headers: HeaderMap,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    feed(&state, p.actor, &headers).await
}
