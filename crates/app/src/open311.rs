//! Open311 GeoReport v2 behind the HTTP layer: client keys issued by the security administrator, the public
//! services (categories), filing a request, and finding requests.

use crate::auth::{hash_secret, new_secret};
use crate::cases::{Filing, file};
use crate::policy::{Ask, Resource, Verb};
use crate::regions::locate_codes;
use crate::{App, AppError};
use shanzhi_domain::auth::Actor;
use shanzhi_domain::case::open311::{is_public_service, stages_with_status};
use shanzhi_domain::case::{Source, Stage};
use shanzhi_domain::geo::Crs;
use shanzhi_store::Store;
use shanzhi_store::cases::{self, CaseRow, CategoryRow, PublicQuery};
pub use shanzhi_store::open311::ClientRow;
use shanzhi_store::open311::{self as clients};
use shanzhi_store::regions as region_store;

/// The demo district's Open311 key (printed on start-up and in the README, demo mode only).
pub const DEMO_KEY: &str = "sz311-demo-450802-gangbei";

/// A newly registered client with its key (shown once).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct IssuedKey {
    /// The client.
    #[serde(flatten)]
    pub client: ClientRow,
    /// The key to give the client; only its hash is kept.
    pub api_key: String,
}

/// Registers a client application and issues its key. `by` is the acting administrator, or
/// None for the command line.
pub async fn register(state: &App, by: Option<&Actor>, name: &str) -> Result<IssuedKey, AppError> {
    if let Some(a) = by {
        a.may(Resource::Open311Client, Verb::Write)?;
    }
    let api_key = new_secret("sz311-");
    let now = state.now_ms();
    let id = insert_client(state.store(), by.map(|a| a.account_id), name, &api_key, now).await?;
    Ok(IssuedKey {
        client: ClientRow {
            id,
            name: name.trim().to_owned(),
            created_at: now,
            revoked_at: None,
        },
        api_key,
    })
}

/// Stores a client with the hash of its key, after checking its name.
pub(crate) async fn insert_client(
    store: &Store,
    by: Option<i64>,
    name: &str,
    api_key: &str,
    now: i64,
) -> Result<i64, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::bad(
            "invalid_name",
            "客户端名称不能为空，且不超过 60 个字",
        ));
    }
    Ok(clients::insert(
        &mut store.conn().await?,
        name,
        &hash_secret(api_key),
        by,
        now,
    )
    .await?)
}

/// Every client (administrators; None: the command line).
pub async fn list(state: &App, by: Option<&Actor>) -> Result<Vec<ClientRow>, AppError> {
    if let Some(a) = by {
        a.may(Resource::Open311Client, Verb::List)?;
    }
    Ok(clients::all(&mut state.store().conn().await?).await?)
}

/// Revokes a client's key (administrators; None: the command line).
pub async fn revoke(state: &App, by: Option<&Actor>, id: i64) -> Result<(), AppError> {
    if let Some(a) = by {
        a.may(Resource::Open311Client, Verb::Write)?;
    }
    if clients::revoke(&mut state.store().conn().await?, id, state.now_ms()).await? {
        Ok(())
    } else {
        Err(AppError::NotFound(format!("没有有效的客户端 {id}")))
    }
}

/// The client holding `key`, if it is live.
pub async fn client_of(state: &App, key: &str) -> Result<Option<ClientRow>, AppError> {
    Ok(clients::by_key_hash(&mut state.store().conn().await?, &hash_secret(key)).await?)
}

/// The categories offered as services, with their parents (for `group`).
pub async fn services(state: &App) -> Result<(Vec<CategoryRow>, Vec<CategoryRow>), AppError> {
    let all = cases::categories(&mut state.store().conn().await?).await?;
    let public = all
        .iter()
        .filter(|c| is_public_service(&c.code, c.dispute))
        .cloned()
        .collect();
    Ok((public, all))
}

/// One public service by code.
pub async fn service(state: &App, code: &str) -> Result<Option<CategoryRow>, AppError> {
    Ok(cases::category(&mut state.store().conn().await?, code)
        .await?
        .filter(|c| is_public_service(&c.code, c.dispute)))
}

/// A request as a client posts it.
#[derive(Debug, Default)]
pub struct NewRequest {
    /// Category code.
    pub service_code: String,
    /// WGS-84 latitude.
    pub lat: Option<f64>,
    /// WGS-84 longitude.
    pub long: Option<f64>,
    /// Address typed by the resident.
    pub address_string: Option<String>,
    /// What is wrong.
    pub description: String,
    /// A photo's address.
    pub media_url: Option<String>,
    /// The reporter's name.
    pub name: Option<String>,
    /// `attribute[code]` values.
    pub attributes: Vec<(String, String)>,
}

/// Files a request from a client: placed by lat/long (`locate`), or by its address (the
/// gazetteer; when unsure, at the lowest node holding every candidate).
pub async fn file_request(
    state: &App,
    client: &ClientRow,
    r: NewRequest,
) -> Result<Filed, AppError> {
    let category = service(state, r.service_code.trim())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("service_code {} not found", r.service_code)))?;
    let address = r
        .address_string
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    let (node, lon_lat) = match (r.long, r.lat, address) {
        (Some(lon), Some(lat), _) => {
            let (code, _) = locate_codes(state, lon, lat, Crs::Wgs84)?;
            let code =
                code.ok_or_else(|| AppError::bad("outside_area", "该位置不在本平台的任何网格内"))?;
            let node = region_store::get(&mut state.store().conn().await?, &code)
                .await?
                .ok_or_else(AppError::not_found)?;
            (node, Some((lon, lat)))
        }
        // Placed by the gazetteer (a grid, or the community holding every candidate); an
        // address it cannot place in a community is still taken: it waits in 待定位.
        (None, None, Some(a)) => {
            let (node, _) = crate::geocode::node_for(state, a).await?;
            if node.code.len() < 12 {
                return wait_for_place(state, client, &r, &category, a, &node.code).await;
            }
            (node, None)
        }
        _ => {
            return Err(AppError::bad(
                "location_required",
                "lat and long, or address_string, are required",
            ));
        }
    };
    let mut description = r.description.trim().to_owned();
    if description.is_empty() {
        description = category.name.clone();
    }
    for (code, value) in &r.attributes {
        description.push_str(&format!("\n{code}：{value}"));
    }
    if let Some(url) = r.media_url.as_deref().filter(|u| u.starts_with("http")) {
        description.push_str(&format!("\n照片：{url}"));
    }
    let title: String = r.description.trim().chars().take(30).collect();
    let title = if title.is_empty() {
        category.name.clone()
    } else {
        title
    };
    let filing = Filing {
        category: category.code.clone(),
        title,
        description,
        node,
        lon_lat,
        address: address.map(str::to_owned),
        source: Source::Open311,
        reporter_account: None,
        reporter_name: r.name.clone(),
        actor_label: format!("Open311 · {}", client.name),
        client_id: Some(client.id),
        hotline: None,
        photos: Vec::new(),
        voice: None,
        reporter_phone: None,
        field: None,
    };
    Ok(Filed::Case(Box::new(file(state, filing).await?)))
}

/// What became of a request.
#[derive(Debug, Clone)]
pub enum Filed {
    /// Filed as this case.
    Case(Box<CaseRow>),
    /// Waiting in 待定位 for a person to place it, under this token (the case's id comes
    /// from `GET tokens/{token}` once it is placed).
    Waiting(String),
}

/// What the token of a request that waits for a place begins with.
const WAITING: &str = "311-";

/// Keeps a request whose address could not be placed in the 待定位 queue under `root` (the
/// command centre's), dated from now; returns its token.
async fn wait_for_place(
    state: &App,
    client: &ClientRow,
    r: &NewRequest,
    category: &CategoryRow,
    address: &str,
    root: &str,
) -> Result<Filed, AppError> {
    let token = format!("{WAITING}{}", crate::cases::tracking_code());
    let description = r.description.trim();
    let title: String = description.chars().take(30).collect();
    let new = shanzhi_store::pending_orders::NewPending {
        category_likelihood: None,
        order_no: &token,
        category: &category.code,
        title: if title.is_empty() {
            &category.name
        } else {
            &title
        },
        description: if description.is_empty() {
            &category.name
        } else {
            description
        },
        address,
        caller: r.name.as_deref(),
        phone: None,
        called_at: Some(state.now_ms()),
        due_at: None,
        urgency: Default::default(),
        root,
        client_id: Some(client.id),
    };
    let mut tx = state.store().begin().await?;
    shanzhi_store::pending_orders::insert(&mut tx, &new, state.now_ms()).await?;
    let entry = crate::audit::entry(
        state.now_ms(),
        &crate::audit::Actor {
            id: None,
            label: format!("Open311 · {}", client.name),
        },
        "open311.pending",
        format!("pending:{token}"),
        Some(root),
        serde_json::json!({"address": address}),
    );
    crate::audit::record(&mut tx, [entry]);
    tx.commit().await?;
    Ok(Filed::Waiting(token))
}

/// What a client asks `GET requests` for.
#[derive(Debug, Default)]
pub struct RequestQuery {
    /// Only these ids.
    pub ids: Option<Vec<i64>>,
    /// Only these service codes.
    pub service_codes: Option<Vec<String>>,
    /// Only `open` or `closed` (or both).
    pub statuses: Option<Vec<String>>,
    /// From (ms).
    pub start: Option<i64>,
    /// Until (ms).
    pub end: Option<i64>,
}

/// Requests matching the query among the public services: by default the last 90 days, at
/// most 1,000 (the specification's defaults).
pub async fn find(state: &App, q: RequestQuery) -> Result<Vec<CaseRow>, AppError> {
    let (public, _) = services(state).await?;
    let categories: Vec<String> = public
        .into_iter()
        .map(|c| c.code)
        .filter(|c| q.service_codes.as_ref().is_none_or(|s| s.contains(c)))
        .collect();
    let mut stages = None;
    if let Some(statuses) = &q.statuses {
        let mut names = Vec::new();
        for s in statuses {
            let st = stages_with_status(s).ok_or_else(|| {
                AppError::bad(
                    "invalid_status",
                    format!("status must be open or closed, not {s}"),
                )
            })?;
            names.extend(st.into_iter().map(Stage::as_str));
        }
        stages = Some(names);
    }
    let end = q.end.unwrap_or_else(|| state.now_ms() + 1);
    let start = q.start.unwrap_or(end - 90 * 86_400_000);
    let query = PublicQuery {
        ids: q.ids.as_deref(),
        categories: &categories,
        stages: stages.as_deref(),
        from: start,
        to: end,
        limit: 1000,
    };
    // With explicit ids the period does not apply.
    let query = if q.ids.is_some() && q.start.is_none() && q.end.is_none() {
        PublicQuery {
            from: i64::MIN,
            to: i64::MAX,
            ..query
        }
    } else {
        query
    };
    let rows = cases::public_requests(&mut state.store().conn().await?, &query).await?;
    Ok(rows.into_iter().collect())
}

/// Names of the holders (nodes and departments) of a set of cases, looked up once each.
pub async fn holder_names(
    state: &App,
    rows: &[CaseRow],
) -> Result<std::collections::HashMap<String, String>, AppError> {
    let mut conn = state.store().conn().await?;
    let departments = shanzhi_store::accounts::departments(&mut conn, None).await?;
    let mut names = std::collections::HashMap::new();
    for c in rows {
        let key = c
            .department_id
            .map_or_else(|| c.holder_code.clone(), |d| d.to_string());
        if names.contains_key(&key) {
            continue;
        }
        let name = match c.department_id {
            Some(d) => departments
                .iter()
                .find(|x| x.id == d)
                .map(|x| x.name.clone()),
            None => shanzhi_store::regions::get_facts(&mut conn, &c.holder_code)
                .await?
                .map(|n| n.name),
        };
        names.insert(key, name.unwrap_or_default());
    }
    Ok(names)
}

/// The request an Open311 client's token stands for (Open311 requests only); `None` while a
/// request that waited for a place is still waiting.
pub async fn by_token(state: &App, token: &str) -> Result<Option<CaseRow>, AppError> {
    let mut conn = state.store().conn().await?;
    if token.starts_with(WAITING) {
        // A request that waited: its case once placed, or none yet.
        return match shanzhi_store::cases::by_hotline_order(&mut conn, token).await? {
            Some(id) => Ok(shanzhi_store::cases::get(&mut conn, id).await?),
            None if shanzhi_store::pending_orders::waiting(&mut conn, token).await? => Ok(None),
            None => Err(AppError::NotFound(format!("token {token} not found"))),
        };
    }
    shanzhi_store::cases::by_tracking_code(&mut conn, token)
        .await?
        .filter(|c| c.source == Source::Open311)
        .map(Some)
        .ok_or_else(|| AppError::NotFound(format!("token {token} not found")))
}
