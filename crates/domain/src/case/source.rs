//! Where a case came from (来源).

use serde::{Deserialize, Serialize};

/// The channel a report arrived through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// 网格巡查: found by a grid worker on patrol.
    GridPatrol,
    /// 居民扫码: a resident through a grid's QR code.
    ResidentQr,
    /// 移动网格员随手拍: couriers and riders on the road.
    Mobile,
    /// 12345 热线: a hotline work order.
    Hotline,
    /// 信访: a petition.
    Petition,
    /// 上级交办: assigned from above.
    Assignment,
    /// Through the JSON API.
    Api,
    /// An Open311 GeoReport v2 client.
    Open311,
    /// 社情民意: a letter in the opinion box, or a topic's outcome.
    Opinion,
}

impl Source {
    /// Every source, in the order lists show them.
    pub const ALL: [Source; 9] = [
        Source::GridPatrol,
        Source::ResidentQr,
        Source::Mobile,
        Source::Hotline,
        Source::Petition,
        Source::Assignment,
        Source::Api,
        Source::Open311,
        Source::Opinion,
    ];

    /// Sources a staff member may pick on the report form; the first is the default.
    pub const STAFF: [Source; 3] = [Source::GridPatrol, Source::Mobile, Source::Assignment];

    /// The stored form (also the API's).
    pub fn as_str(self) -> &'static str {
        match self {
            Source::GridPatrol => "grid_patrol",
            Source::ResidentQr => "resident_qr",
            Source::Mobile => "mobile",
            Source::Hotline => "hotline",
            Source::Petition => "petition",
            Source::Assignment => "assignment",
            Source::Api => "api",
            Source::Open311 => "open311",
            Source::Opinion => "opinion",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Source::GridPatrol => "网格巡查",
            Source::ResidentQr => "居民扫码",
            Source::Mobile => "移动网格员随手拍",
            Source::Hotline => "12345热线",
            Source::Petition => "信访",
            Source::Assignment => "上级交办",
            Source::Api => "接口",
            Source::Open311 => "Open311",
            Source::Opinion => "社情民意",
        }
    }
}
