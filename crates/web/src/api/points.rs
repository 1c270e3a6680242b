//! 积分 and the 爱心超市 over the API: goods and stock, redemptions (with an
//! `Idempotency-Key` header), reversals, statements and reconciliation.

use super::extract::{Json, Path, Query};
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::{ApiError, WebState};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use shanzhi_app::points::{self as svc, ItemInput, Receipt, RedeemInput, Statement};
use shanzhi_app::points::{ItemRow, PostingRow, Reconciliation};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(items, add_item))
        .routes(routes!(restock))
        .routes(routes!(redeem))
        .routes(routes!(reverse))
        .routes(routes!(statement))
        .routes(routes!(postings))
        .routes(routes!(reconcile))
}

/// A community.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CommunityParams {
    /// The community (default: the caller's own).
    pub community: Option<String>,
}

/// The goods of a community's 爱心超市.
#[utoipa::path(get, path = "/shop/items", tag = "participation", security(("bearer" = [])), params(CommunityParams),
    responses((status = 200, body = Vec<ItemRow>), (status = 404, body = ErrorBody)))]
async fn items(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<CommunityParams>,
) -> Result<axum::Json<Vec<ItemRow>>, ApiError> {
    Ok(axum::Json(
        svc::items(&state, &p, q.community.as_deref()).await?,
    ))
}

/// Adds a good (with its first stock).
#[utoipa::path(post, path = "/shop/items", tag = "participation", security(("bearer" = [])), request_body = ItemInput,
    responses((status = 201, body = ItemRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn add_item(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Json(i): Json<ItemInput>,
) -> Result<(StatusCode, axum::Json<ItemRow>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(svc::add_item(&state, &p, &i).await?),
    ))
}

/// A stock change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StockInput {
    /// Items in (positive) or written off (negative).
    pub delta: i64,
    /// Why (入库, 损耗 …).
    pub reason: String,
}

/// Puts goods on the shelf or writes them off.
#[utoipa::path(post, path = "/shop/items/{id}/stock", tag = "participation", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = StockInput,
    responses((status = 200, body = ItemRow), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn restock(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(s): Json<StockInput>,
) -> Result<axum::Json<ItemRow>, ApiError> {
    Ok(axum::Json(
        svc::restock(&state, &p, id, s.delta, &s.reason).await?,
    ))
}

/// Redeems goods for points. Send an `Idempotency-Key` header and reuse it on retries: the
/// same key redeems once. Not enough points or stock: 409, nothing written.
#[utoipa::path(post, path = "/shop/redemptions", tag = "participation", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header)), request_body = RedeemInput,
    responses((status = 201, body = Receipt), (status = 200, body = Receipt, description = "the same key again: the first receipt"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn redeem(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    headers: HeaderMap,
    Json(r): Json<RedeemInput>,
) -> Result<(StatusCode, axum::Json<Receipt>), ApiError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let receipt = svc::redeem(&state, &p, &r, key).await?;
    let status = if receipt.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, axum::Json(receipt)))
}

/// Why a posting is reversed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReverseInput {
    /// Why.
    pub reason: String,
}

/// Reverses a posting (冲正) with a new posting of the opposite lines.
#[utoipa::path(post, path = "/points/postings/{id}/reversal", tag = "participation", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = ReverseInput,
    responses((status = 201, body = PostingRow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn reverse(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<ReverseInput>,
) -> Result<(StatusCode, axum::Json<PostingRow>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(svc::reverse(&state, &p, id, &r.reason).await?),
    ))
}

/// Whose statement.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StatementParams {
    /// The member (staff); a volunteer login reads its own.
    pub member: Option<i64>,
}

/// A member's balance and entries.
#[utoipa::path(get, path = "/points/statement", tag = "participation", security(("bearer" = [])), params(StatementParams),
    responses((status = 200, body = Statement), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn statement(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<StatementParams>,
) -> Result<axum::Json<Statement>, ApiError> {
    Ok(axum::Json(svc::statement(&state, &p, q.member).await?))
}

/// The community's postings, newest first.
#[utoipa::path(get, path = "/points/postings", tag = "participation", security(("bearer" = [])), params(CommunityParams),
    responses((status = 200, body = Vec<PostingRow>), (status = 404, body = ErrorBody)))]
async fn postings(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<CommunityParams>,
) -> Result<axum::Json<Vec<PostingRow>>, ApiError> {
    let c = p.node_or_own(q.community.as_deref())?;
    Ok(axum::Json(svc::postings(&state, &p.actor, &c).await?))
}

/// Reconciles the community's books (对账): balances against entries, stock against moves.
#[utoipa::path(get, path = "/points/reconciliation", tag = "participation", security(("bearer" = [])), params(CommunityParams),
    responses((status = 200, body = Reconciliation), (status = 404, body = ErrorBody)))]
async fn reconcile(
    State(state): State<WebState>,
    ApiUser(p): ApiUser,
    Query(q): Query<CommunityParams>,
) -> Result<axum::Json<Reconciliation>, ApiError> {
    let c = p.node_or_own(q.community.as_deref())?;
    Ok(axum::Json(svc::reconcile(&state, &p.actor, &c).await?))
}
