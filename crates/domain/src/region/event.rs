//! What happens to a node, as its history (区域变更记录) keeps it.

use serde::{Deserialize, Serialize};

/// A change in a node's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeAction {
    /// 新建: added by hand.
    Created,
    /// 导入: added by a GeoJSON import.
    Imported,
    /// 更名.
    Renamed,
    /// 边界: its boundary drawn or redrawn.
    Boundary,
    /// 撤销: retired (what lived there handed to another node).
    Retired,
    /// 恢复: brought back after a retirement.
    Restored,
}

impl NodeAction {
    /// Every action.
    pub const ALL: [NodeAction; 6] = [
        NodeAction::Created,
        NodeAction::Imported,
        NodeAction::Renamed,
        NodeAction::Boundary,
        NodeAction::Retired,
        NodeAction::Restored,
    ];

    /// Stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeAction::Created => "created",
            NodeAction::Imported => "imported",
            NodeAction::Renamed => "renamed",
            NodeAction::Boundary => "boundary",
            NodeAction::Retired => "retired",
            NodeAction::Restored => "restored",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            NodeAction::Created => "新建",
            NodeAction::Imported => "导入",
            NodeAction::Renamed => "更名",
            NodeAction::Boundary => "边界",
            NodeAction::Retired => "撤销",
            NodeAction::Restored => "恢复",
        }
    }
}
