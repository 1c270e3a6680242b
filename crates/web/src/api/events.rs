//! The live feed of case changes (server-sent events), filtered to what the caller may see.

use crate::WebState;
use crate::auth::{Actor, ApiUser};
use crate::error::ErrorBody;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use shanzhi_app::notify::CaseEvent;
use std::convert::Infallible;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// Changes the actor may see, as SSE events named `case` whose data is a [`CaseEvent`]; a
/// slow reader that falls behind skips what it missed (the lists are the record).
pub(crate) fn feed(
    state: &WebState,
    actor: Actor,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
    let stream = BroadcastStream::new(state.subscribe()).filter_map(move |e| {
        let e = e.ok().filter(|e| e.visible_to(&actor))?;
        let data = serde_json::to_string(&serde_json::json!({
            "event": e,
            "summary": e.summary(),
        }))
        .ok()?;
        Some(Ok(Event::default()
            .event("case")
            .id(e.case_id.to_string())
            .data(data)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// A live feed of case changes in the caller's scope (text/event-stream; each event named
/// `case`, its data `{"event": CaseEvent, "summary": "…"}`).
#[utoipa::path(get, path = "/events", tag = "cases", security(("bearer" = [])),
    responses((status = 200, content_type = "text/event-stream", body = CaseEvent), (status = 401, body = ErrorBody)))]
async fn events(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    feed(&state, p.actor)
}
