//! Open311 GeoReport v2 under `/open311/v2`: discovery, services, service definitions,
//! requests (GET with the specification's filters, POST with an api_key), single requests and
//! tokens, each as `.json` or `.xml`, with errors in the specification's array format.

mod doc;

pub use doc::Doc;

use crate::WebState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use shanzhi_app::AppError;
use shanzhi_app::cases::{CaseRow, CategoryRow};
use shanzhi_app::open311::{self as svc, NewRequest, RequestQuery};
use shanzhi_domain::case::Day;
use shanzhi_domain::case::open311::status;

/// The routes.
pub fn router() -> Router<WebState> {
    Router::new()
        .route("/open311/v2/{file}", get(top).post(post_request))
        .route("/open311/v2/services/{file}", get(definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// Splits `name.json` / `name.xml`.
fn split(file: &str) -> Option<(&str, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    match ext {
        "json" => Some((name, Format::Json)),
        "xml" => Some((name, Format::Xml)),
        _ => None,
    }
}

fn render(format: Format, status: StatusCode, root: &str, doc: &Doc) -> Response {
    match format {
        Format::Json => (status, axum::Json(doc.to_json())).into_response(),
        Format::Xml => (
            status,
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            doc.to_xml(root),
        )
            .into_response(),
    }
}

/// The specification's error answer: a list of `{code, description}`.
fn error(format: Format, e: &AppError) -> Response {
    let status = crate::error::status_of(e).0;
    let doc = Doc::List {
        item: "error",
        items: vec![Doc::Object(vec![
            ("code", Doc::Int(i64::from(status.as_u16()))),
            ("description", Doc::Text(e.to_string())),
        ])],
    };
    render(format, status, "errors", &doc)
}

fn answer(format: Format, root: &str, result: Result<Doc, AppError>) -> Response {
    match result {
        Ok(doc) => render(format, StatusCode::OK, root, &doc),
        Err(e) => error(format, &e),
    }
}

fn not_found_format() -> Response {
    error(
        Format::Json,
        &AppError::NotFound("unknown document; use .json or .xml".into()),
    )
}

/// ISO 8601 with the Beijing offset, as GeoReport writes datetimes.
fn iso(ms: i64) -> String {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(|t| t.to_offset(offset))
        .ok()
        .and_then(|t| {
            t.replace_nanosecond(0)
                .ok()?
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Parses a GeoReport datetime (ISO 8601 with offset) or a plain date (Beijing midnight).
fn parse_time(name: &str, s: &str) -> Result<i64, AppError> {
    if let Ok(t) = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Ok((t.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    Day::parse(s).map(Day::start_ms).ok_or_else(|| {
        AppError::bad(
            "invalid_date",
            format!("{name} must be ISO 8601, e.g. 2026-11-01T00:00:00+08:00"),
        )
    })
}

/// Query or form parameters, in order (repeated keys kept).
fn params(raw: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(raw).unwrap_or_default()
}

fn param<'a>(p: &'a [(String, String)], key: &str) -> Option<&'a str> {
    p.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

async fn top(
    State(state): State<WebState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    client: crate::client::Client,
) -> Response {
    let Some((name, format)) = split(&file) else {
        return not_found_format();
    };
    let p = params(query.unwrap_or_default().as_bytes());
    match name {
        "discovery" => render(
            format,
            StatusCode::OK,
            "discovery",
            &discovery(&state, &client),
        ),
        "services" => answer(format, "services", services(&state).await),
        "requests" => answer(format, "service_requests", requests(&state, &p).await),
        _ => not_found_format(),
    }
}

fn discovery(state: &WebState, client: &crate::client::Client) -> Doc {
    let base = state.public_base(client);
    let changeset = Doc::Text("2026-11-22T00:00:00+08:00".into());
    Doc::Object(vec![
        ("changeset", changeset.clone()),
        ("contact", Doc::Text("善治平台管理员（区综治中心）".into())),
        (
            "key_service",
            Doc::Text("POST 需要 api_key，由平台管理员在「Open311 客户端」页面签发".into()),
        ),
        (
            "endpoints",
            Doc::List {
                item: "endpoint",
                items: vec![Doc::Object(vec![
                    (
                        "specification",
                        Doc::Text("http://wiki.open311.org/GeoReport_v2".into()),
                    ),
                    ("url", Doc::Text(format!("{base}/open311/v2"))),
                    ("changeset", changeset),
                    ("type", Doc::Text("production".into())),
                    (
                        "formats",
                        Doc::List {
                            item: "format",
                            items: vec![
                                Doc::Text("text/xml".into()),
                                Doc::Text("application/json".into()),
                            ],
                        },
                    ),
                ])],
            },
        ),
    ])
}

fn service_doc(c: &CategoryRow, all: &[CategoryRow]) -> Doc {
    let group = c
        .parent_code
        .as_ref()
        .and_then(|p| all.iter().find(|x| &x.code == p))
        .map_or_else(|| c.name.clone(), |p| p.name.clone());
    Doc::Object(vec![
        ("service_code", Doc::Text(c.code.clone())),
        ("service_name", Doc::Text(c.name.clone())),
        (
            "description",
            Doc::Text(format!(
                "{}：{} 小时内受理，{} 小时内办结（{}）",
                c.name,
                c.accept_hours,
                c.handle_hours,
                c.clock.label()
            )),
        ),
        ("metadata", Doc::Bool(false)),
        ("type", Doc::Text("realtime".into())),
        ("keywords", Doc::Text(String::new())),
        ("group", Doc::Text(group)),
    ])
}

async fn services(state: &WebState) -> Result<Doc, AppError> {
    let (public, all) = svc::services(state).await?;
    Ok(Doc::List {
        item: "service",
        items: public.iter().map(|c| service_doc(c, &all)).collect(),
    })
}

async fn definition(State(state): State<WebState>, Path(file): Path<String>) -> Response {
    let Some((code, format)) = split(&file) else {
        return not_found_format();
    };
    let result = svc::service(&state, code).await.and_then(|c| {
        let c = c.ok_or_else(|| AppError::NotFound(format!("service_code {code} not found")))?;
        Ok(Doc::Object(vec![
            ("service_code", Doc::Text(c.code)),
            (
                "attributes",
                Doc::List {
                    item: "attribute",
                    items: Vec::new(),
                },
            ),
        ]))
    });
    answer(format, "service_definition", result)
}

fn request_doc(c: &CaseRow, service_name: &str, agency: &str) -> Doc {
    let stage = Some(c.stage);
    Doc::Object(vec![
        ("service_request_id", Doc::Text(c.id.to_string())),
        ("status", Doc::Text(stage.map_or("open", status).into())),
        (
            "status_notes",
            Doc::Text(stage.map_or("", |s| s.label()).into()),
        ),
        ("service_name", Doc::Text(service_name.into())),
        ("service_code", Doc::Text(c.category_code.clone())),
        ("description", Doc::Text(c.description.clone())),
        ("agency_responsible", Doc::Text(agency.into())),
        ("service_notice", Doc::Text(String::new())),
        ("requested_datetime", Doc::Text(iso(c.created_at))),
        ("updated_datetime", Doc::Text(iso(c.updated_at))),
        ("expected_datetime", Doc::Text(iso(c.handle_due))),
        ("address", Doc::opt_text(c.address.clone())),
        ("address_id", Doc::Null),
        ("zipcode", Doc::Null),
        ("lat", c.lat.map_or(Doc::Null, Doc::Number)),
        ("long", c.lon.map_or(Doc::Null, Doc::Number)),
        ("media_url", Doc::Null),
    ])
}

async fn request_list(state: &WebState, rows: Vec<CaseRow>) -> Result<Doc, AppError> {
    let (_, all) = svc::services(state).await?;
    let agencies = svc::holder_names(state, &rows).await?;
    let items = rows
        .iter()
        .map(|c| {
            let service = all
                .iter()
                .find(|x| x.code == c.category_code)
                .map_or("", |x| x.name.as_str());
            let key = c
                .department_id
                .map_or_else(|| c.holder_code.clone(), |d| d.to_string());
            request_doc(c, service, agencies.get(&key).map_or("", String::as_str))
        })
        .collect();
    Ok(Doc::List {
        item: "request",
        items,
    })
}

fn list_of(p: &[(String, String)], key: &str) -> Option<Vec<String>> {
    param(p, key).map(|v| {
        v.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

async fn requests(state: &WebState, p: &[(String, String)]) -> Result<Doc, AppError> {
    let ids = match list_of(p, "service_request_id") {
        None => None,
        Some(ids) => Some(
            ids.iter()
                .map(|i| i.parse::<i64>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| AppError::bad("invalid_id", "service_request_id must be numbers"))?,
        ),
    };
    let q = RequestQuery {
        ids,
        service_codes: list_of(p, "service_code"),
        statuses: list_of(p, "status"),
        start: param(p, "start_date")
            .map(|s| parse_time("start_date", s))
            .transpose()?,
        end: param(p, "end_date")
            .map(|s| parse_time("end_date", s))
            .transpose()?,
    };
    let rows = svc::find(state, q).await?;
    request_list(state, rows).await
}

async fn one_request(State(state): State<WebState>, Path(file): Path<String>) -> Response {
    let Some((id, format)) = split(&file) else {
        return not_found_format();
    };
    let result = async {
        let id: i64 = id
            .parse()
            .map_err(|_| AppError::NotFound(format!("request {id} not found")))?;
        let rows = svc::find(
            &state,
            RequestQuery {
                ids: Some(vec![id]),
                ..RequestQuery::default()
            },
        )
        .await?;
        if rows.is_empty() {
            return Err(AppError::NotFound(format!("request {id} not found")));
        }
        request_list(&state, rows).await
    }
    .await;
    answer(format, "service_requests", result)
}

async fn token(State(state): State<WebState>, Path(file): Path<String>) -> Response {
    let Some((token, format)) = split(&file) else {
        return not_found_format();
    };
    let result = async {
        let id = svc::by_token(&state, token)
            .await?
            .map_or(Doc::Null, |case| Doc::Text(case.id.to_string()));
        Ok(Doc::List {
            item: "request",
            items: vec![Doc::Object(vec![
                ("service_request_id", id),
                ("token", Doc::Text(token.to_owned())),
            ])],
        })
    }
    .await;
    answer(format, "service_requests", result)
}

async fn post_request(
    State(state): State<WebState>,
    addr: crate::client::Client,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let Some(("requests", format)) = split(&file) else {
        return not_found_format();
    };
    // Parameters may come in the form body or (some clients) the query string.
    let mut p = params(&body);
    p.extend(params(query.unwrap_or_default().as_bytes()));
    let result = async {
        let key = param(&p, "api_key")
            .ok_or_else(|| AppError::Forbidden("api_key is required".into()))?;
        let client = svc::client_of(&state, key)
            .await?
            .ok_or_else(|| AppError::Forbidden("invalid api_key".into()))?;
        // Each client address is limited like the public report page.
        state
            .allow_public_report(&format!("open311:{}", addr.ip()))
            .await?;
        let number = |k: &str| -> Result<Option<f64>, AppError> {
            param(&p, k)
                .map(|v| {
                    v.trim().parse::<f64>().map_err(|_| {
                        AppError::bad("invalid_coordinates", format!("{k} must be a number"))
                    })
                })
                .transpose()
        };
        let name = [param(&p, "last_name"), param(&p, "first_name")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("");
        let r = NewRequest {
            service_code: param(&p, "service_code")
                .ok_or_else(|| AppError::bad("service_code_required", "service_code is required"))?
                .to_owned(),
            lat: number("lat")?,
            long: number("long")?,
            address_string: param(&p, "address_string").map(str::to_owned),
            description: param(&p, "description").unwrap_or_default().to_owned(),
            media_url: param(&p, "media_url").map(str::to_owned),
            name: (!name.is_empty()).then_some(name),
            attributes: p
                .iter()
                .filter_map(|(k, v)| {
                    // attribute[code]=v, or attribute[code][]=v for multi-value lists.
                    let k = k.strip_suffix("[]").unwrap_or(k);
                    let code = k.strip_prefix("attribute[")?.strip_suffix(']')?;
                    Some((code.to_owned(), v.clone()))
                })
                .collect(),
        };
        let item = match svc::file_request(&state, &client, r).await? {
            svc::Filed::Case(case) => vec![
                ("service_request_id", Doc::Text(case.id.to_string())),
                (
                    "service_notice",
                    Doc::Text(format!("查询码 {}", case.tracking_code)),
                ),
                ("account_id", Doc::Null),
            ],
            // The specification's answer for a request not yet given an id: its token.
            svc::Filed::Waiting(token) => vec![
                ("token", Doc::Text(token)),
                (
                    "service_notice",
                    Doc::Text("已收到，地址待人工定位后受理".to_owned()),
                ),
                ("account_id", Doc::Null),
            ],
        };
        Ok(Doc::List {
            item: "request",
            items: vec![Doc::Object(item)],
        })
    }
    .await;
    match result {
        // 200, as the specification's examples and the clients written against them expect.
        Ok(doc) => render(format, StatusCode::OK, "service_requests", &doc),
        Err(e) => error(format, &e),
    }
}
