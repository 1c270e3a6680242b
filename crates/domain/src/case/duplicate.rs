//! Possible duplicates (疑似重复): the same kind of problem, reported near the same place
//! within a week, while the earlier report is still open.

use geo::{Distance, Haversine, Point};

/// How near counts as "the same place", metres.
pub const RADIUS_M: f64 = 200.0;
/// How recent counts as "the same problem", milliseconds (7 days).
pub const WINDOW_MS: i64 = 7 * 24 * 3_600_000;

/// What the rule looks at in a report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sighting<'a> {
    /// Category code.
    pub category: &'a str,
    /// Reported at (ms).
    pub at: i64,
    /// Where (lon, lat, WGS-84), if known.
    pub lon_lat: Option<(f64, f64)>,
    /// Whether it is still open (not finished, rejected or merged).
    pub open: bool,
}

/// Whether `other` may be the same problem as `new`.
pub fn possible_duplicate(new: &Sighting<'_>, other: &Sighting<'_>) -> bool {
    let (Some(a), Some(b)) = (new.lon_lat, other.lon_lat) else {
        return false;
    };
    other.open
        && new.category == other.category
        && (new.at - other.at).abs() <= WINDOW_MS
        && Haversine.distance(Point::new(a.0, a.1), Point::new(b.0, b.1)) <= RADIUS_M
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 3_600_000;

    fn at(lon: f64, lat: f64, day: i64) -> Sighting<'static> {
        Sighting {
            category: "0201",
            at: day * DAY,
            lon_lat: Some((lon, lat)),
            open: true,
        }
    }

    #[test]
    fn near_recent_open_same_category() {
        let new = at(109.6, 23.1, 10);
        // 0.001° of latitude is about 111 m; 0.002° about 222 m.
        assert!(possible_duplicate(&new, &at(109.6, 23.101, 5)));
        assert!(!possible_duplicate(&new, &at(109.6, 23.102, 5)), "too far");
        assert!(!possible_duplicate(&new, &at(109.6, 23.101, 2)), "too old");
        assert!(
            !possible_duplicate(
                &new,
                &Sighting {
                    category: "03",
                    ..at(109.6, 23.101, 9)
                }
            ),
            "other kind"
        );
        assert!(
            !possible_duplicate(
                &new,
                &Sighting {
                    open: false,
                    ..at(109.6, 23.101, 9)
                }
            ),
            "already closed"
        );
        assert!(
            !possible_duplicate(
                &new,
                &Sighting {
                    lon_lat: None,
                    ..at(109.6, 23.101, 9)
                }
            ),
            "no location"
        );
    }
}
