//! Demo patrols: a grid worker's days as the field reports describe them — most days a morning
//! and an afternoon round (一日双巡), some days only one, now and then none — each a walk that
//! stays inside the grid, with a fix every two minutes.

use geo::{Contains, InteriorPoint, MultiPolygon, Point};
use rand::Rng;
use shanzhi_domain::patrol::Fix;

/// One demo patrol.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoPatrol {
    /// Start (ms).
    pub start_ms: i64,
    /// End (ms).
    pub end_ms: i64,
    /// Fixes, all inside the grid.
    pub fixes: Vec<Fix>,
    /// What the worker wrote at the end.
    pub summary: &'static str,
}

const MINUTE: i64 = 60_000;
/// Degrees of latitude per metre.
const DEG_PER_M: f64 = 1.0 / 111_320.0;

const SUMMARIES: &[&str] = &[
    "巡查楼栋、沿街商铺，未发现异常",
    "巡查小区消防通道和电动车停放点，已提醒住户规范充电",
    "走访沿街商户，检查门前三包落实情况",
    "巡查背街小巷，清理小广告两处",
    "巡查建筑工地周边，围挡完好",
    "巡查河边步道和游园，提醒钓鱼群众注意安全",
];

/// The patrols of one day, starting from `day_start_ms` (00:00 Beijing).
pub fn day_patrols(
    grid: &MultiPolygon<f64>,
    day_start_ms: i64,
    rng: &mut impl Rng,
) -> Vec<DemoPatrol> {
    let rounds: &[i64] = match rng.random_range(0..100) {
        0..=77 => &[8 * 60 + 30, 15 * 60],
        78..=94 => &[9 * 60],
        _ => &[],
    };
    rounds
        .iter()
        .filter_map(|at| {
            let start = day_start_ms + (at + rng.random_range(0..60)) * MINUTE;
            walk(grid, start, rng.random_range(22..55), rng)
        })
        .collect()
}

/// A walk of `minutes` from inside the grid, a fix every two minutes, each step 80–140 m in a
/// direction that keeps it inside.
fn walk(
    grid: &MultiPolygon<f64>,
    start: i64,
    minutes: i64,
    rng: &mut impl Rng,
) -> Option<DemoPatrol> {
    let mut here = grid.interior_point()?;
    let kx = here.y().to_radians().cos();
    let mut fixes = Vec::new();
    let mut heading: f64 = rng.random_range(0.0..std::f64::consts::TAU);
    for k in 0..=minutes / 2 {
        fixes.push(Fix {
            at_ms: start + k * 2 * MINUTE + rng.random_range(0..5_000),
            lon: here.x(),
            lat: here.y(),
            accuracy_m: Some(rng.random_range(5.0..25.0_f64).round()),
            outside_m: 0.0,
        });
        for _ in 0..8 {
            let metres = rng.random_range(80.0..140.0);
            let next = Point::new(
                here.x() + heading.cos() * metres * DEG_PER_M / kx,
                here.y() + heading.sin() * metres * DEG_PER_M,
            );
            if grid.contains(&next) {
                here = next;
                break;
            }
            heading += rng.random_range(1.0..2.5);
        }
        heading += rng.random_range(-0.6..0.6);
    }
    Some(DemoPatrol {
        start_ms: start,
        end_ms: start + minutes * MINUTE + rng.random_range(0..60_000),
        fixes,
        summary: SUMMARIES[rng.random_range(0..SUMMARIES.len())],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Rect, coord};
    use rand::SeedableRng;
    use shanzhi_domain::patrol::{DailyRule, PatrolSpan, TrackRules, clean, day_coverage};

    #[test]
    fn demo_walks_stay_inside_and_make_clean_tracks_that_mostly_meet_the_rule() {
        let grid = MultiPolygon::new(vec![
            Rect::new(
                coord! { x: 109.56, y: 23.08 },
                coord! { x: 109.568, y: 23.092 },
            )
            .to_polygon(),
        ]);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut met = 0;
        for day in 0..50 {
            let patrols = day_patrols(&grid, 1_790_000_000_000 + day * 86_400_000, &mut rng);
            let spans: Vec<PatrolSpan> = patrols
                .iter()
                .map(|p| PatrolSpan {
                    start_ms: p.start_ms,
                    end_ms: Some(p.end_ms),
                })
                .collect();
            met += usize::from(day_coverage(&spans, &DailyRule::default()).met());
            for p in &patrols {
                for f in &p.fixes {
                    assert!(grid.contains(&Point::new(f.lon, f.lat)));
                }
                let t = clean(&p.fixes, p.start_ms, p.end_ms, &TrackRules::default());
                assert!(t.dropped.is_empty(), "{:?}", t.dropped);
                assert!(t.metres > 500.0);
            }
        }
        assert!((30..=48).contains(&met), "{met} of 50 days");
    }
}
