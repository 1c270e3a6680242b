//! Region nodes: grid classes and the rules a new node must satisfy against its parent.

use super::code::{Level, RegionCode};
use serde::{Deserialize, Serialize};

/// Class of a grid (网格类别). Levels above the grid are always comprehensive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GridClass {
    /// 综合网格: covers territory without gaps or overlaps with its siblings.
    Comprehensive,
    /// 专属网格: a business district, park, school …; may lie inside comprehensive grids.
    Dedicated,
}

impl GridClass {
    /// Both classes.
    pub const ALL: [GridClass; 2] = [GridClass::Comprehensive, GridClass::Dedicated];

    /// Stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            GridClass::Comprehensive => "comprehensive",
            GridClass::Dedicated => "dedicated",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            GridClass::Comprehensive => "综合网格",
            GridClass::Dedicated => "专属网格",
        }
    }

    /// From what a person or a file says: the stored form or a Chinese label (综合/专属).
    pub fn from_typed(s: &str) -> Option<GridClass> {
        match s.trim() {
            "comprehensive" | "综合" | "综合网格" => Some(GridClass::Comprehensive),
            "dedicated" | "专属" | "专属网格" => Some(GridClass::Dedicated),
            _ => None,
        }
    }
}

/// Subtype of a dedicated grid (专属网格类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DedicatedKind {
    /// 商圈 / 商务楼宇.
    BusinessDistrict,
    /// 园区 (industrial park).
    IndustrialPark,
    /// 学校.
    School,
    /// 医院.
    Hospital,
    /// 市场.
    Market,
    /// 其他.
    Other,
}

impl DedicatedKind {
    /// All kinds, for forms.
    pub const ALL: [DedicatedKind; 6] = [
        DedicatedKind::BusinessDistrict,
        DedicatedKind::IndustrialPark,
        DedicatedKind::School,
        DedicatedKind::Hospital,
        DedicatedKind::Market,
        DedicatedKind::Other,
    ];

    /// Stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            DedicatedKind::BusinessDistrict => "business_district",
            DedicatedKind::IndustrialPark => "industrial_park",
            DedicatedKind::School => "school",
            DedicatedKind::Hospital => "hospital",
            DedicatedKind::Market => "market",
            DedicatedKind::Other => "other",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            DedicatedKind::BusinessDistrict => "商圈",
            DedicatedKind::IndustrialPark => "园区",
            DedicatedKind::School => "学校",
            DedicatedKind::Hospital => "医院",
            DedicatedKind::Market => "市场",
            DedicatedKind::Other => "其他",
        }
    }

    /// From what a person or a file says: the stored form or a Chinese label.
    pub fn from_typed(s: &str) -> Option<DedicatedKind> {
        let s = s.trim();
        DedicatedKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.label() == s)
    }
}

/// What a caller wants to create: validated against its parent by [`validate_child`].
#[derive(Debug, Clone, PartialEq)]
pub struct NodeDraft {
    /// The new node's code.
    pub code: RegionCode,
    /// Display name, 1–64 characters.
    pub name: String,
    /// Class (grids only; others are comprehensive).
    pub class: GridClass,
    /// Subtype, required for dedicated grids and forbidden otherwise.
    pub dedicated_kind: Option<DedicatedKind>,
}

/// A broken rule of the region tree; the message names the rule in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeRule {
    /// Name empty or too long.
    #[error("名称不能为空，且不超过 64 个字")]
    BadName,
    /// No parent given for a level that cannot be a root.
    #[error("{level}必须挂在上级节点下")]
    NeedsParent {
        /// Level label.
        level: &'static str,
    },
    /// The parent is not the level directly above (a level was skipped).
    #[error("{child}的上级必须是{expected}，不能是{actual}（不能跳级）")]
    SkipsLevel {
        /// Child level label.
        child: &'static str,
        /// Required parent level label.
        expected: &'static str,
        /// Given parent level label.
        actual: &'static str,
    },
    /// The code does not start with the parent's code.
    #[error("编码 {code} 必须以上级编码 {parent} 开头")]
    PrefixMismatch {
        /// Child code.
        code: String,
        /// Parent code.
        parent: String,
    },
    /// The parent has been retired.
    #[error("上级节点 {0} 已撤销，不能再挂新节点")]
    ParentRetired(String),
    /// Dedicated grids need a subtype; other nodes must not have one.
    #[error(
        "专属网格必须注明类型（商圈、园区、学校、医院、市场、其他），综合网格和行政层级不能有类型"
    )]
    KindMismatch,
    /// Only grids and micro-grids may be dedicated.
    #[error("只有网格和微网格可以是专属网格")]
    ClassOnNonGrid,
}

/// The facts about a parent that the rules need.
#[derive(Debug, Clone, Copy)]
pub struct ParentFacts<'a> {
    /// Parent code.
    pub code: &'a str,
    /// Parent level.
    pub level: Level,
    /// Whether the parent is retired.
    pub retired: bool,
}

/// Checks a new node against its parent (None: to be created as a root).
pub fn validate_child(draft: &NodeDraft, parent: Option<ParentFacts<'_>>) -> Result<(), NodeRule> {
    let name_len = draft.name.trim().chars().count();
    if name_len == 0 || name_len > 64 {
        return Err(NodeRule::BadName);
    }
    let level = draft.code.level();
    if !level.is_grid() && draft.class == GridClass::Dedicated {
        return Err(NodeRule::ClassOnNonGrid);
    }
    if (draft.class == GridClass::Dedicated) != draft.dedicated_kind.is_some() {
        return Err(NodeRule::KindMismatch);
    }
    match parent {
        None if level.may_be_root() => Ok(()),
        None => Err(NodeRule::NeedsParent {
            level: level.label(),
        }),
        Some(p) => {
            let expected = level.parent().ok_or(NodeRule::NeedsParent {
                level: level.label(),
            })?;
            if p.level != expected {
                return Err(NodeRule::SkipsLevel {
                    child: level.label(),
                    expected: expected.label(),
                    actual: p.level.label(),
                });
            }
            if !draft.code.as_str().starts_with(p.code) {
                return Err(NodeRule::PrefixMismatch {
                    code: draft.code.to_string(),
                    parent: p.code.to_owned(),
                });
            }
            if p.retired {
                return Err(NodeRule::ParentRetired(p.code.to_owned()));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(code: &str) -> NodeDraft {
        NodeDraft {
            code: RegionCode::parse(code).unwrap(),
            name: "测试".into(),
            class: GridClass::Comprehensive,
            dedicated_kind: None,
        }
    }

    fn parent(code: &str) -> ParentFacts<'_> {
        ParentFacts {
            code,
            level: Level::from_code_len(code.len()).unwrap(),
            retired: false,
        }
    }

    #[test]
    fn accepts_a_grid_under_its_community() {
        assert_eq!(
            validate_child(&draft("450802001002003"), Some(parent("450802001002"))),
            Ok(())
        );
    }

    #[test]
    fn rejects_skipped_level() {
        let err = validate_child(&draft("450802001002003"), Some(parent("450802001"))).unwrap_err();
        assert!(matches!(err, NodeRule::SkipsLevel { .. }), "{err}");
    }

    #[test]
    fn rejects_prefix_mismatch() {
        let err =
            validate_child(&draft("450802001002003"), Some(parent("450802001009"))).unwrap_err();
        assert!(matches!(err, NodeRule::PrefixMismatch { .. }));
    }

    #[test]
    fn roots_only_at_top_levels() {
        assert_eq!(validate_child(&draft("450802"), None), Ok(()));
        assert_eq!(validate_child(&draft("4508"), None), Ok(()));
        assert!(matches!(
            validate_child(&draft("450802001"), None),
            Err(NodeRule::NeedsParent { .. })
        ));
    }

    #[test]
    fn dedicated_rules() {
        let mut d = draft("450802001002003");
        d.class = GridClass::Dedicated;
        assert_eq!(
            validate_child(&d, Some(parent("450802001002"))),
            Err(NodeRule::KindMismatch)
        );
        d.dedicated_kind = Some(DedicatedKind::School);
        assert_eq!(validate_child(&d, Some(parent("450802001002"))), Ok(()));
        let mut s = draft("450802001");
        s.class = GridClass::Dedicated;
        s.dedicated_kind = Some(DedicatedKind::School);
        assert_eq!(
            validate_child(&s, Some(parent("450802"))),
            Err(NodeRule::ClassOnNonGrid)
        );
    }

    #[test]
    fn retired_parent_and_bad_name() {
        let mut p = parent("450802001002");
        p.retired = true;
        assert!(matches!(
            validate_child(&draft("450802001002003"), Some(p)),
            Err(NodeRule::ParentRetired(_))
        ));
        let mut d = draft("450802001002003");
        d.name = "  ".into();
        assert_eq!(
            validate_child(&d, Some(parent("450802001002"))),
            Err(NodeRule::BadName)
        );
    }

    #[test]
    fn labels_round_trip() {
        for k in DedicatedKind::ALL {
            assert_eq!(DedicatedKind::from_typed(k.label()), Some(k));
            assert_eq!(DedicatedKind::from_typed(k.as_str()), Some(k));
        }
        assert_eq!(GridClass::from_typed("专属"), Some(GridClass::Dedicated));
    }
}
