//! A patrol's GPS track. Phones upload fixes in batches, late, twice and out of order when the
//! signal drops, and a fix can jump kilometres when it comes from a cell tower. The raw fixes are
//! kept as they arrived; [`clean`] decides from all of them, the same way every time, which
//! ones make up the track, so the figures built on it (distance, coverage) are reproducible.

use geo::{Distance, Haversine, Point};

/// One position report from the phone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    /// When it was taken (Unix milliseconds, the phone's clock).
    pub at_ms: i64,
    /// Longitude, WGS-84.
    pub lon: f64,
    /// Latitude, WGS-84.
    pub lat: f64,
    /// The accuracy the phone claims, metres.
    pub accuracy_m: Option<f64>,
    /// Metres outside the patrolled grid's boundary (0 inside), worked out by the caller.
    pub outside_m: f64,
}

/// Why a fix is left out of the track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dropped {
    /// Not a position on Earth.
    Invalid,
    /// Taken before the patrol started or after it ended.
    OutsidePatrol,
    /// Same moment as a fix already kept.
    Duplicate,
    /// The phone itself says it is no better than this many metres.
    Inaccurate(f64),
    /// Reaching it from the last kept fix needs this speed, km/h.
    TooFast(f64),
    /// This many metres outside the grid.
    FarOutside(f64),
}

impl Dropped {
    /// Why, in words for the patrol page.
    pub fn reason(&self) -> String {
        match self {
            Dropped::Invalid => "坐标无效".into(),
            Dropped::OutsidePatrol => "不在巡查起止时间内".into(),
            Dropped::Duplicate => "重复上报".into(),
            Dropped::Inaccurate(m) => format!("定位精度仅 {m:.0} 米"),
            Dropped::TooFast(v) => format!("与上一点相比速度达 {v:.0} 公里/小时，不可能步行或骑行"),
            Dropped::FarOutside(m) => format!("在网格外 {m:.0} 米"),
        }
    }
}

/// Limits for a plausible patrol on foot or by bicycle or e-bike.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackRules {
    /// Fastest believable movement between fixes, km/h.
    pub max_speed_kmh: f64,
    /// Worst claimed accuracy kept, metres.
    pub max_accuracy_m: f64,
    /// Furthest outside the grid a fix may be (a street on the boundary, a detour), metres.
    pub max_outside_m: f64,
    /// How far the phone's clock may be off the server's, which records the start and end:
    /// fixes this close outside the patrol's time are kept.
    pub clock_slack_ms: i64,
}

impl Default for TrackRules {
    fn default() -> Self {
        TrackRules {
            max_speed_kmh: 40.0,
            max_accuracy_m: 100.0,
            max_outside_m: 300.0,
            clock_slack_ms: 120_000,
        }
    }
}

/// The track made from a patrol's fixes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Track {
    /// Kept fixes, in time order.
    pub kept: Vec<Fix>,
    /// Left-out fixes with the reason, in time order.
    pub dropped: Vec<(Fix, Dropped)>,
    /// Length of the kept path, metres.
    pub metres: f64,
}

/// Builds the track from every fix received for a patrol that ran from `start_ms` to `end_ms`
/// (the time it was ended, or now while it runs), in any order and with repeats.
pub fn clean(fixes: &[Fix], start_ms: i64, end_ms: i64, rules: &TrackRules) -> Track {
    let mut sorted = fixes.to_vec();
    // Stable: of two fixes at the same moment, the one received first is kept.
    sorted.sort_by_key(|f| f.at_ms);
    let mut track = Track::default();
    for f in sorted {
        let verdict = check(&f, track.kept.last(), start_ms, end_ms, rules);
        match verdict {
            Ok(step) => {
                track.metres += step;
                track.kept.push(f);
            }
            Err(why) => track.dropped.push((f, why)),
        }
    }
    track
}

/// Whether `f` follows `last`; the metres walked from it when it does.
fn check(
    f: &Fix,
    last: Option<&Fix>,
    start_ms: i64,
    end_ms: i64,
    rules: &TrackRules,
) -> Result<f64, Dropped> {
    let on_earth = f.lon.is_finite()
        && f.lat.is_finite()
        && (-180.0..=180.0).contains(&f.lon)
        && (-90.0..=90.0).contains(&f.lat);
    if !on_earth {
        return Err(Dropped::Invalid);
    }
    if f.at_ms < start_ms - rules.clock_slack_ms || f.at_ms > end_ms + rules.clock_slack_ms {
        return Err(Dropped::OutsidePatrol);
    }
    if let Some(a) = f.accuracy_m.filter(|a| *a > rules.max_accuracy_m) {
        return Err(Dropped::Inaccurate(a));
    }
    if f.outside_m > rules.max_outside_m {
        return Err(Dropped::FarOutside(f.outside_m));
    }
    let Some(last) = last else {
        return Ok(0.0);
    };
    if f.at_ms == last.at_ms {
        return Err(Dropped::Duplicate);
    }
    let metres = Haversine.distance(Point::new(last.lon, last.lat), Point::new(f.lon, f.lat));
    let hours = (f.at_ms - last.at_ms) as f64 / 3_600_000.0;
    let kmh = metres / 1000.0 / hours;
    if kmh > rules.max_speed_kmh {
        return Err(Dropped::TooFast(kmh));
    }
    Ok(metres)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_790_000_000_000;
    /// About 111 m of latitude.
    const STEP: f64 = 0.001;

    fn fix(second: i64, north: f64) -> Fix {
        Fix {
            at_ms: T0 + second * 1000,
            lon: 109.6,
            lat: 23.1 + north,
            accuracy_m: Some(10.0),
            outside_m: 0.0,
        }
    }

    fn run(fixes: &[Fix]) -> Track {
        clean(fixes, T0, T0 + 3_600_000, &TrackRules::default())
    }

    #[test]
    fn a_walk_in_order_is_kept_whole_and_measured() {
        let t = run(&[fix(0, 0.0), fix(60, STEP), fix(120, 2.0 * STEP)]);
        assert_eq!(t.kept.len(), 3);
        assert!(t.dropped.is_empty());
        assert!((t.metres - 222.4).abs() < 1.0, "{}", t.metres);
    }

    #[test]
    fn late_batches_and_repeats_give_the_same_track() {
        let walk = [fix(0, 0.0), fix(60, STEP), fix(120, 2.0 * STEP)];
        let arrived = [walk[2], walk[0], walk[1], walk[2], walk[0]];
        let t = run(&arrived);
        assert_eq!(t.kept, walk.to_vec());
        assert_eq!(t.dropped.len(), 2);
        assert!(t.dropped.iter().all(|(_, d)| *d == Dropped::Duplicate));
        assert_eq!(t.metres, run(&walk).metres);
    }

    #[test]
    fn a_jump_no_one_could_make_is_dropped_and_the_walk_goes_on_from_before_it() {
        // 5.5 km north in 30 s (660 km/h), then back where the walk was.
        let t = run(&[fix(0, 0.0), fix(30, 50.0 * STEP), fix(90, STEP)]);
        assert_eq!(t.kept, vec![fix(0, 0.0), fix(90, STEP)]);
        assert!(matches!(t.dropped[0].1, Dropped::TooFast(v) if v > 600.0));
    }

    #[test]
    fn fixes_far_outside_the_grid_vague_or_outside_the_patrol_are_dropped() {
        let mut far = fix(10, 0.0);
        far.outside_m = 800.0;
        let mut near = fix(20, 0.0);
        near.outside_m = 120.0;
        let mut vague = fix(30, 0.0);
        vague.accuracy_m = Some(1500.0);
        let mut broken = fix(40, 0.0);
        broken.lat = f64::NAN;
        // A phone clock a minute off still counts; ten minutes off does not.
        let slow_clock = fix(-60, 0.0);
        let before = fix(-600, 0.0);
        let after = fix(3600 + 600, 0.0);
        let t = run(&[
            fix(0, 0.0),
            far,
            near,
            vague,
            broken,
            before,
            after,
            slow_clock,
        ]);
        assert_eq!(t.kept, vec![slow_clock, fix(0, 0.0), near]);
        let why: Vec<Dropped> = t.dropped.iter().map(|(_, d)| *d).collect();
        assert_eq!(
            why,
            vec![
                Dropped::OutsidePatrol,
                Dropped::FarOutside(800.0),
                Dropped::Inaccurate(1500.0),
                Dropped::Invalid,
                Dropped::OutsidePatrol,
            ]
        );
        assert_eq!(why[1].reason(), "在网格外 800 米");
    }
}
