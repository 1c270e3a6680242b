//! The JSON API under `/api/v1`. Every route is registered through `utoipa-axum`, so the
//! OpenAPI document at `/api/v1/openapi.json` is generated from the handlers themselves.

mod accounts;
mod assessment;
pub(crate) mod audit;
mod auth;
pub mod cases;
mod classify;
pub(crate) mod dashboard;
mod deadlines;
mod disputes;
pub(crate) mod events;
mod extract;
mod geocode;
mod hotline;
mod locate;
mod members;
mod notices;
mod open311_clients;
mod opinions;
mod page;
mod patrols;
pub(crate) mod photos;
mod points;
mod policy;
pub(crate) mod regions;
pub(crate) mod registers;
mod sms;
mod surveys;
mod topics;
mod visits;
mod webhooks;
mod wishes;

pub use page::Page;
pub use policy::{GrantOut, PolicyOut, RolePolicy};

use crate::WebState;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(title = "善治 Shanzhi API", description = "网格化基层治理平台 JSON API。错误统一为 {\"error\":{\"code\",\"message\"}}。"),
    modifiers(&BearerAuth),
    // Types used only in query parameters are not collected automatically.
    components(schemas(
        shanzhi_domain::region::Level,
        shanzhi_domain::geo::Crs,
        shanzhi_domain::region::GridClass,
        shanzhi_domain::region::DedicatedKind,
        shanzhi_domain::auth::Role,
        shanzhi_domain::case::Tier,
        shanzhi_domain::case::Satisfaction,
        shanzhi_domain::participation::Standing,
        shanzhi_domain::participation::ServiceStage,
        shanzhi_domain::participation::WishStage
    )),
    tags(
        (name = "auth", description = "登录与令牌"),
        (name = "regions", description = "网格体系：区县、镇街、村社区、网格、微网格"),
        (name = "accounts", description = "账号与部门"),
        (name = "cases", description = "事件闭环：上报、受理、交办、处置、办结、核查、结案、评价、回访"),
        (name = "deadlines", description = "时限：工作日历、延期与挂起申请"),
        (name = "open311", description = "Open311 GeoReport v2 客户端与 api_key（接口本身在 /open311/v2）"),
        (name = "webhooks", description = "Webhook：事件变更推送（HMAC-SHA256 签名、失败重试、投递日志）"),
        (name = "disputes", description = "矛盾纠纷排查化解：当事人、调解、结果、稳控、成功率"),
        (name = "registers", description = "四册：网格基础信息、网格长(员)、居民（户、人、标签）、重点场所；模板、导入、导出"),
        (name = "patrols", description = "巡查：开始、轨迹（分批上传、乱序重复可容）、记录与发现问题上报、结束；一日双巡覆盖"),
        (name = "visits", description = "走访：住户与场所走访、走访中的信息核实、重点人群按标签频次的待走访名单"),
        (name = "dashboard", description = "指挥大屏：任一区域任一时段的事件、处置率、按期办结率、满意率、吹哨报到、调解、巡查、走访"),
        (name = "assessment", description = "考评：网格员月度实绩、群众评价（一机一月一评）、同事互评、组织评价、加权得分、排名与红旗网格员"),
        (name = "participation", description = "群众参与：双报到、共建单位三张清单、志愿服务申报核实、微心愿（群众点单、社区派单、党员接单）、积分账本与爱心超市"),
        (name = "notices", description = "网格公告与预警：按区域发布、预警叫应（逐户联系易受影响人群）、分网格进度"),
        (name = "audit", description = "审计日志：每次写入与个人信息查看的哈希链记录"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// All API routes with their OpenAPI description.
pub fn router() -> OpenApiRouter<WebState> {
    let v1 = OpenApiRouter::new()
        .merge(auth::router())
        .merge(regions::router())
        .merge(locate::router())
        .merge(accounts::router())
        .merge(policy::router())
        .merge(cases::router())
        .merge(deadlines::router())
        .merge(disputes::router())
        .merge(photos::router())
        .merge(open311_clients::router())
        .merge(events::router())
        .merge(webhooks::router())
        .merge(hotline::router())
        .merge(registers::router())
        .merge(patrols::router())
        .merge(visits::router())
        .merge(dashboard::router())
        .merge(assessment::router())
        .merge(members::router())
        .merge(points::router())
        .merge(wishes::router())
        .merge(surveys::router())
        .merge(opinions::router())
        .merge(topics::router())
        .merge(notices::router())
        .merge(geocode::router())
        .merge(classify::router())
        .merge(sms::router())
        .merge(audit::router());
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", v1)
}

/// Leaves tuples (`[name, count]` pairs) open at the end: utoipa closes them with
/// `"items": false`, a JSON Schema boolean that client generators reading OpenAPI 3.0-style
/// schemas refuse.
pub fn open_tuples(doc: &mut serde_json::Value) {
    match doc {
        serde_json::Value::Object(map) => {
            if map.contains_key("prefixItems")
                && map.get("items") == Some(&serde_json::Value::Bool(false))
            {
                map.remove("items");
            }
            map.values_mut().for_each(open_tuples);
        }
        serde_json::Value::Array(list) => list.iter_mut().for_each(open_tuples),
        _ => {}
    }
}

/// Gives every operation an operationId of its own, as client generators require: utoipa
/// names an operation after its handler, and handlers of different resources share names
/// (`list`, `detail`); a shared name becomes the method and path instead
/// (`get_registers_export_register`), which are unique by definition.
pub fn unique_operation_ids(doc: &mut utoipa::openapi::OpenApi) {
    use std::collections::HashMap;
    fn operations(
        item: &mut utoipa::openapi::PathItem,
    ) -> [(&'static str, &mut Option<utoipa::openapi::path::Operation>); 7] {
        [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
            ("head", &mut item.head),
            ("options", &mut item.options),
        ]
    }
    let mut uses: HashMap<String, usize> = HashMap::new();
    for item in doc.paths.paths.values_mut() {
        for (_, op) in operations(item) {
            if let Some(id) = op.as_ref().and_then(|o| o.operation_id.clone()) {
                *uses.entry(id).or_default() += 1;
            }
        }
    }
    for (path, item) in &mut doc.paths.paths {
        let slug: String = path
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|part| !part.is_empty() && *part != "api" && *part != "v1")
            .collect::<Vec<_>>()
            .join("_");
        for (method, op) in operations(item) {
            if let Some(op) = op
                && op
                    .operation_id
                    .as_ref()
                    .is_some_and(|id| uses.get(id).copied().unwrap_or(0) > 1)
            {
                op.operation_id = Some(format!("{method}_{slug}"));
            }
        }
    }
}
