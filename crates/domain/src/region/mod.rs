//! The region tree (网格体系): 省 → 市 → 区县 → 镇街 → 村社区 → 网格 → 微网格.

mod code;
mod event;
mod import;
mod kml;
mod node;

pub use code::{CodeError, Level, RegionCode};
pub use event::NodeAction;
pub use import::{
    Existing, FeatureError, ImportNode, ImportPlan, PROPERTY_FIELDS, map_properties, parse_import,
    property_names,
};
pub use kml::{geojson_to_kml, kml_to_geojson};
pub use node::{DedicatedKind, GridClass, NodeDraft, NodeRule, ParentFacts, validate_child};
