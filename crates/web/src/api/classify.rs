//! Category and department suggestions over the API: what the intake forms show while a
//! report is typed, and the retraining behind them.

use super::extract::Query;
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use shanzhi_app::suggest::{self as svc, CategoryGuess, Run, Suggested};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(classify))
        .routes(routes!(public_classify))
        .routes(routes!(latest))
        .routes(routes!(retrain))
}

/// The report's words.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TextQuery {
    /// Title and description as typed (the first 2,000 characters are read).
    pub text: String,
}

/// The three likeliest categories and departments for a report's text, learned from the
/// district's closed cases (their final category after any 改类), with the words that
/// weighed most. A choice made by a person is always the one filed.
#[utoipa::path(get, path = "/classify", tag = "cases", security(("bearer" = [])), params(TextQuery),
    responses((status = 200, body = Suggested), (status = 400, body = ErrorBody)))]
async fn classify(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<TextQuery>,
) -> Result<Json<Suggested>, ApiError> {
    Ok(Json(svc::suggest(&state, &p, &q.text).await?))
}

/// The resident page's category suggestions as a resident types (sixty a minute per
/// address).
#[utoipa::path(get, path = "/public/classify", tag = "cases", params(TextQuery),
    responses((status = 200, body = Vec<CategoryGuess>), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn public_classify(
    State(state): State<WebState>,
    addr: crate::client::Client,
    Query(q): Query<TextQuery>,
) -> Result<Json<Vec<CategoryGuess>>, ApiError> {
    state.allow_lookup(&addr.ip().to_string()).await?;
    Ok(Json(svc::suggest_public(&state, &q.text).await?))
}

/// The latest retraining: when, from how many closed cases, and how its suggestions did on
/// the last month's cases held out from it (null before the first).
#[utoipa::path(get, path = "/classifier", tag = "cases", security(("bearer" = [])),
    responses((status = 200, body = Option<Run>)))]
async fn latest(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
) -> Result<Json<Option<Run>>, ApiError> {
    Ok(Json(svc::latest_run(&state, &p).await?))
}

/// Retrains the suggestions now on every closed case (they are also retrained nightly);
/// every server process uses the new models within seconds.
#[utoipa::path(post, path = "/classifier/retrain", tag = "cases", security(("bearer" = [])),
    responses((status = 200, body = Run), (status = 403, body = ErrorBody)))]
async fn retrain(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
) -> Result<Json<Run>, ApiError> {
    Ok(Json(svc::retrain(&state, &p).await?))
}
