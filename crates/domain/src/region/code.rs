//! Unified codes (统一编码) and the levels they encode.
//!
//! Levels 区县/镇街/村社区 use the statistical division code (6 county + 3 town + 3 village
//! digits); a grid adds 3 digits and a micro-grid 3 more. A node's code is its significant prefix
//! (`450802` for a county, `450802001` for a street), so "a child's code starts with its
//! parent's" holds at every level and a subtree is a code-prefix range.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A level of the region tree. The order is top-down.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 省: a province-wide deployment's root.
    Province,
    /// 市: a city-wide deployment's root.
    City,
    /// 区/县.
    District,
    /// 镇/街道.
    Street,
    /// 村/社区.
    Community,
    /// 网格.
    Grid,
    /// 微网格: a building, compound or village group.
    MicroGrid,
}

impl Level {
    /// All levels, top-down.
    pub const ALL: [Level; 7] = [
        Level::Province,
        Level::City,
        Level::District,
        Level::Street,
        Level::Community,
        Level::Grid,
        Level::MicroGrid,
    ];

    /// Number of digits in a code of this level.
    pub fn code_len(self) -> usize {
        match self {
            Level::Province => 2,
            Level::City => 4,
            Level::District => 6,
            Level::Street => 9,
            Level::Community => 12,
            Level::Grid => 15,
            Level::MicroGrid => 18,
        }
    }

    /// The level a code of `len` digits belongs to.
    pub fn from_code_len(len: usize) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.code_len() == len)
    }

    /// The only level a node of this level may hang under (None for the province).
    pub fn parent(self) -> Option<Level> {
        match self {
            Level::Province => None,
            Level::City => Some(Level::Province),
            Level::District => Some(Level::City),
            Level::Street => Some(Level::District),
            Level::Community => Some(Level::Street),
            Level::Grid => Some(Level::Community),
            Level::MicroGrid => Some(Level::Grid),
        }
    }

    /// The level directly below this one.
    pub fn child(self) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.parent() == Some(self))
    }

    /// Whether a deployment may be rooted at this level (no parent stored).
    pub fn may_be_root(self) -> bool {
        matches!(self, Level::Province | Level::City | Level::District)
    }

    /// Whether nodes of this level are grids (and so carry a class).
    pub fn is_grid(self) -> bool {
        matches!(self, Level::Grid | Level::MicroGrid)
    }

    /// Depth from the top (province = 0); used to order nodes by level in storage.
    pub fn depth(self) -> i16 {
        Level::ALL.iter().position(|l| *l == self).unwrap_or(0) as i16
    }

    /// The stable machine name, as stored and as used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::District => "district",
            Level::Street => "street",
            Level::Community => "community",
            Level::Grid => "grid",
            Level::MicroGrid => "micro_grid",
        }
    }

    /// The Chinese name users speak.
    pub fn label(self) -> &'static str {
        match self {
            Level::Province => "省",
            Level::City => "市",
            Level::District => "区县",
            Level::Street => "镇街",
            Level::Community => "村社区",
            Level::Grid => "网格",
            Level::MicroGrid => "微网格",
        }
    }

    /// From what a person or a file says: the stored form or a Chinese label (区县, 镇街, 社区,
    /// 网格 …).
    pub fn from_typed(s: &str) -> Option<Level> {
        let s = s.trim();
        Level::ALL
            .into_iter()
            .find(|l| l.as_str() == s || l.label() == s)
            .or(match s {
                "区" | "县" | "区/县" => Some(Level::District),
                "镇" | "街道" | "镇/街道" => Some(Level::Street),
                "村" | "社区" | "村/社区" => Some(Level::Community),
                _ => None,
            })
    }
}

/// Why a string is not a valid region code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Contains something other than ASCII digits.
    #[error("编码只能由数字组成")]
    NotDigits,
    /// Has a length that belongs to no level.
    #[error(
        "编码长度 {0} 位不对应任何层级（省2、市4、区县6、镇街9、村社区12、网格15、微网格18位）"
    )]
    BadLength(usize),
    /// The digits a level adds are all zero, which the statistical code reserves for the parent.
    #[error("编码 {code} 的本级段为全零，不是有效的{level}编码")]
    ZeroSegment {
        /// The offending code.
        code: String,
        /// Its level's Chinese name.
        level: &'static str,
    },
}

/// A validated unified code (统一编码). Its length determines its level.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    /// Validates a code: digits only, a length of some level, and a non-zero own segment.
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::NotDigits);
        }
        let level = Level::from_code_len(s.len()).ok_or(CodeError::BadLength(s.len()))?;
        let own_start = level.parent().map_or(0, Level::code_len);
        if s[own_start..].bytes().all(|b| b == b'0') {
            return Err(CodeError::ZeroSegment {
                code: s.to_owned(),
                level: level.label(),
            });
        }
        Ok(RegionCode(s.to_owned()))
    }

    /// The level this code belongs to.
    pub fn level(&self) -> Level {
        // Length was checked in `parse`.
        Level::from_code_len(self.0.len()).unwrap_or(Level::MicroGrid)
    }

    /// The code as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code of the parent level implied by the digits (a street's district, …).
    pub fn implied_parent(&self) -> Option<RegionCode> {
        self.level()
            .parent()
            .map(|p| RegionCode(self.0[..p.code_len()].to_owned()))
    }

    /// Whether `other` is this node or lies below it.
    pub fn covers(&self, other: &str) -> bool {
        other.starts_with(&self.0)
    }

    /// The 12-digit statistical division code for levels up to 村/社区 (zero-padded); grids
    /// and micro-grids have none.
    pub fn stat_code(&self) -> Option<String> {
        (self.0.len() <= 12).then(|| format!("{:0<12}", self.0))
    }

    /// The exclusive upper bound of this code's subtree in byte order: every descendant code
    /// `d` satisfies `self <= d < upper`. `:` sorts right after `9`.
    pub fn subtree_upper(&self) -> String {
        format!("{}:", self.0)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = CodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RegionCode::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.0
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_code_length() {
        for (code, level) in [
            ("45", Level::Province),
            ("4508", Level::City),
            ("450802", Level::District),
            ("450802001", Level::Street),
            ("450802001002", Level::Community),
            ("450802001002003", Level::Grid),
            ("450802001002003004", Level::MicroGrid),
        ] {
            assert_eq!(RegionCode::parse(code).unwrap().level(), level, "{code}");
        }
    }

    #[test]
    fn rejects_bad_codes() {
        assert_eq!(RegionCode::parse("45080a"), Err(CodeError::NotDigits));
        assert_eq!(RegionCode::parse(""), Err(CodeError::NotDigits));
        assert_eq!(RegionCode::parse("4508021"), Err(CodeError::BadLength(7)));
        assert!(matches!(
            RegionCode::parse("450802000"),
            Err(CodeError::ZeroSegment { .. })
        ));
        assert!(matches!(
            RegionCode::parse("00"),
            Err(CodeError::ZeroSegment { .. })
        ));
    }

    #[test]
    fn parent_child_and_stat_code() {
        let c = RegionCode::parse("450802001002").unwrap();
        assert_eq!(c.implied_parent().unwrap().as_str(), "450802001");
        assert_eq!(c.stat_code().unwrap(), "450802001002");
        let d = RegionCode::parse("450802").unwrap();
        assert_eq!(d.stat_code().unwrap(), "450802000000");
        assert!(d.covers("450802001002003"));
        assert!(!d.covers("450803001"));
        let g = RegionCode::parse("450802001002003").unwrap();
        assert_eq!(g.stat_code(), None);
        assert!(g.subtree_upper().as_str() > "450802001002003999");
        assert!(g.subtree_upper().as_str() < "450802001002004");
    }

    #[test]
    fn level_parent_chain_has_no_skips() {
        for l in Level::ALL {
            if let Some(p) = l.parent() {
                assert_eq!(p.child(), Some(l));
                assert_eq!(p.depth() + 1, l.depth());
            }
        }
        assert_eq!(Level::from_typed("社区"), Some(Level::Community));
        assert_eq!(Level::from_typed("micro_grid"), Some(Level::MicroGrid));
        assert_eq!(Level::from_typed("网格"), Some(Level::Grid));
        assert_eq!(Level::from_typed("乡"), None);
    }
}
