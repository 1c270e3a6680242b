//! Possible duplicates (疑似重复, 一件多诉): the same problem reported again — by another
//! resident, a 12345 caller, a patrol — while the first report is still open, within a week.
//! The same kind of matter near the same place is one; so is a report in other words or under
//! another category whose text is alike and that is near, at the same address, or (very
//! alike, one without a position) in the same grid: a blocked drain filed as 下水道堵塞, 环境卫生 and 市政设施.

use crate::classify::Text;
use geo::{Distance, Haversine, Point};

/// How near counts as "the same place", metres.
pub const RADIUS_M: f64 = 200.0;
/// How recent counts as "the same problem", milliseconds (7 days).
pub const WINDOW_MS: i64 = 7 * 24 * 3_600_000;
/// How alike two texts must be to be the same problem near the same place or address.
pub const SIMILAR: f64 = 0.3;
/// How alike two texts must be to be the same problem in the same grid, when one of them has
/// no position to measure.
pub const ALIKE: f64 = 0.6;

/// What the rule looks at in a report.
#[derive(Debug, Clone, Copy)]
pub struct Sighting<'a> {
    /// Category code.
    pub category: &'a str,
    /// Reported at (ms).
    pub at: i64,
    /// Where (lon, lat, WGS-84), if known.
    pub lon_lat: Option<(f64, f64)>,
    /// Whether it is still open (not finished, rejected or merged).
    pub open: bool,
    /// Its title and description, as read.
    pub text: &'a Text,
    /// Its address in one form (`geocode::address::read`), empty when none was given.
    pub address: &'a str,
    /// The node it lies in.
    pub node: &'a str,
}

/// Why two reports may be the same problem.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Why {
    /// The same category.
    pub same_category: bool,
    /// How far apart, metres, when both have a position.
    pub metres: Option<f64>,
    /// The same address.
    pub same_address: bool,
    /// How alike the texts are, 0 to 1.
    pub similarity: f64,
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if self.same_category {
            parts.push("同类事项".to_owned());
        }
        match (self.same_address, self.metres) {
            (true, _) => parts.push("同一地址".to_owned()),
            (false, Some(m)) => parts.push(format!("相距 {m:.0} 米")),
            (false, None) => parts.push("同一网格".to_owned()),
        }
        if self.similarity >= SIMILAR {
            parts.push(format!("文字相似 {:.2}", self.similarity));
        }
        f.write_str(&parts.join("，"))
    }
}

/// Whether `other` may be the same problem as `new`, and why.
pub fn possible_duplicate(new: &Sighting<'_>, other: &Sighting<'_>) -> Option<Why> {
    if !other.open || (new.at - other.at).abs() > WINDOW_MS {
        return None;
    }
    let metres = new
        .lon_lat
        .zip(other.lon_lat)
        .map(|(a, b)| Haversine.distance(Point::new(a.0, a.1), Point::new(b.0, b.1)));
    let near = metres.is_some_and(|m| m <= RADIUS_M);
    let why = Why {
        same_category: new.category == other.category,
        metres,
        same_address: !new.address.is_empty() && new.address == other.address,
        similarity: new.text.similarity(other.text),
    };
    let place = near || why.same_address;
    let same = (why.same_category && near)
        || (why.similarity >= SIMILAR && place)
        || (why.similarity >= ALIKE && metres.is_none() && new.node == other.node);
    same.then_some(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 3_600_000;

    fn at<'a>(text: &'a Text, lon: f64, lat: f64, day: i64) -> Sighting<'a> {
        Sighting {
            category: "0401",
            at: day * DAY,
            lon_lat: Some((lon, lat)),
            open: true,
            text,
            address: "",
            node: "450802001001001",
        }
    }

    #[test]
    fn near_recent_open_same_category() {
        let (a, b) = (Text::new("下水道堵塞"), Text::new("路灯不亮"));
        let new = at(&a, 109.6, 23.1, 10);
        // 0.001° of latitude is about 111 m; 0.002° about 222 m.
        let why = possible_duplicate(&new, &at(&b, 109.6, 23.101, 5)).expect("near, same kind");
        assert_eq!(why.to_string(), "同类事项，相距 111 米");
        assert!(
            possible_duplicate(&new, &at(&b, 109.6, 23.102, 5)).is_none(),
            "too far"
        );
        assert!(
            possible_duplicate(&new, &at(&b, 109.6, 23.101, 2)).is_none(),
            "too old"
        );
        let other_kind = Sighting {
            category: "03",
            ..at(&b, 109.6, 23.101, 9)
        };
        assert!(
            possible_duplicate(&new, &other_kind).is_none(),
            "other kind, unlike"
        );
        let closed = Sighting {
            open: false,
            ..at(&b, 109.6, 23.101, 9)
        };
        assert!(
            possible_duplicate(&new, &closed).is_none(),
            "already closed"
        );
        let nowhere = Sighting {
            lon_lat: None,
            node: "450802001001002",
            ..at(&b, 109.6, 23.101, 9)
        };
        assert!(possible_duplicate(&new, &nowhere).is_none(), "no location");
    }

    #[test]
    fn one_problem_in_other_words_and_categories() {
        let resident = Text::new("3栋楼下下水道堵塞，污水漫到路面");
        let caller = Text::new("来电人反映东湖小区3栋下水道堵了，污水漫出来");
        let patrol = Text::new("巡查发现3栋楼下污水漫溢，下水道堵塞");
        let new = at(&resident, 109.6, 23.1, 10);
        let near_other_kind = Sighting {
            category: "03",
            ..at(&patrol, 109.6, 23.1005, 9)
        };
        let why = possible_duplicate(&new, &near_other_kind).expect("alike and near");
        assert!(!why.same_category && why.similarity >= SIMILAR, "{why:?}");
        assert!(
            why.to_string().starts_with("相距 56 米，文字相似 0."),
            "{why}"
        );
        // A 12345 order placed by its address: no position, the same address.
        let (mine, theirs) = (
            Sighting {
                address: "东湖小区3栋",
                ..new
            },
            Sighting {
                category: "04",
                lon_lat: None,
                address: "东湖小区3栋",
                ..at(&caller, 0.0, 0.0, 10)
            },
        );
        let why = possible_duplicate(&mine, &theirs).expect("same address, alike");
        assert!(why.to_string().starts_with("同一地址，文字相似"), "{why}");
        let unlike = Text::new("路灯不亮");
        let far_unlike = Sighting {
            category: "04",
            lon_lat: None,
            ..at(&unlike, 0.0, 0.0, 10)
        };
        assert!(possible_duplicate(&new, &far_unlike).is_none());
    }
}
