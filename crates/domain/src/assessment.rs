//! The monthly assessment of grid workers (网格员考评): measured figures and three kinds of
//! evaluation, each scored 0–100 and weighted into one score; a ranking; the month's 红旗网格员.
//! Scores are computed from stored data every time, never stored, so a recompute always agrees.

use crate::figures::ratio;

/// What the month's records say about one grid worker.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Measured {
    /// Cases the worker found and reported.
    pub found: i64,
    /// Cases of the worker's grid handled in the month, and of those on time.
    pub handled: i64,
    /// Handled on time.
    pub handled_on_time: i64,
    /// Finished days of the month, and of those meeting 一日双巡.
    pub patrol_days: i64,
    /// Days meeting the rule.
    pub patrol_days_met: i64,
    /// Visits made.
    pub visits_done: i64,
    /// Visits the tagged households' frequencies ask for in the month.
    pub visits_due: i64,
    /// Rated cases of the grid, and of those satisfied.
    pub rated: i64,
    /// Rated 满意 or 基本满意.
    pub satisfied: i64,
}

/// The evaluations entered for the month (none: not given).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Evaluations {
    /// 群众评价: the residents' average stars (1–5) and how many rated.
    pub mass_stars: Option<f64>,
    /// Ratings given.
    pub mass_count: i64,
    /// 同事互评, 0–100.
    pub peer: Option<f64>,
    /// 组织评价 by the community, 0–100.
    pub org: Option<f64>,
}

/// How much each part weighs (configurable per district; the parts present are rescaled to
/// 100, so a month without, say, any rated case is not a zero).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Weights {
    /// Cases found.
    pub found: f64,
    /// Handled on time.
    pub on_time: f64,
    /// Patrol coverage.
    pub patrol: f64,
    /// Visits done against due.
    pub visits: f64,
    /// Satisfaction of rated cases.
    pub satisfaction: f64,
    /// Residents' evaluation.
    pub mass: f64,
    /// Peers' evaluation.
    pub peer: f64,
    /// The organisation's evaluation.
    pub org: f64,
    /// Cases found in a month that earn the full part.
    pub found_target: i64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            found: 15.0,
            on_time: 15.0,
            patrol: 20.0,
            visits: 15.0,
            satisfaction: 10.0,
            mass: 10.0,
            peer: 5.0,
            org: 10.0,
            found_target: 4,
        }
    }
}

impl Weights {
    /// The weights in the order of a score's parts.
    pub fn all(&self) -> [f64; 8] {
        [
            self.found,
            self.on_time,
            self.patrol,
            self.visits,
            self.satisfaction,
            self.mass,
            self.peer,
            self.org,
        ]
    }

    /// Checks weights as a district enters them: each 0–100, not all 0, and a monthly target
    /// of cases found from 1 to 100. The message says what to fix.
    pub fn check(&self) -> Result<(), &'static str> {
        if self
            .all()
            .iter()
            .any(|w| !w.is_finite() || !(0.0..=100.0).contains(w))
        {
            return Err("每项权重应在 0 到 100 之间");
        }
        if self.all().iter().all(|w| *w == 0.0) {
            return Err("权重不能全为 0");
        }
        if !(1..=100).contains(&self.found_target) {
            return Err("每月发现上报目标应在 1 到 100 件之间");
        }
        Ok(())
    }
}

/// One part of a score.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Part {
    /// Name in Chinese.
    pub name: std::borrow::Cow<'static, str>,
    /// Score of the part, 0–100; none when there is nothing to score it on.
    pub score: Option<f64>,
    /// Its weight.
    pub weight: f64,
}

/// A worker's score for the month.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Score {
    /// Total, 0–100, to one decimal.
    pub total: f64,
    /// The parts.
    pub parts: Vec<Part>,
}

/// To one decimal, as the scores are shown and compared.
fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn percent_of(rate: Option<f64>) -> Option<f64> {
    rate.map(|r| round1((r * 100.0).clamp(0.0, 100.0)))
}

/// Scores a month: each part 0–100, weighted over the parts that have data.
pub fn score(m: &Measured, e: &Evaluations, w: &Weights) -> Score {
    let found =
        (w.found_target > 0).then(|| (m.found as f64 / w.found_target as f64).min(1.0) * 100.0);
    // No visits due is full marks: nothing was asked.
    let visits = if m.visits_due == 0 {
        Some(100.0)
    } else {
        percent_of(ratio(m.visits_done.min(m.visits_due), m.visits_due))
    };
    let parts = vec![
        Part {
            name: "发现上报".into(),
            score: found,
            weight: w.found,
        },
        Part {
            name: "按期办结".into(),
            score: percent_of(ratio(m.handled_on_time, m.handled)),
            weight: w.on_time,
        },
        Part {
            name: "巡查覆盖".into(),
            score: percent_of(ratio(m.patrol_days_met, m.patrol_days)),
            weight: w.patrol,
        },
        Part {
            name: "走访完成".into(),
            score: visits,
            weight: w.visits,
        },
        Part {
            name: "办结满意".into(),
            score: percent_of(ratio(m.satisfied, m.rated)),
            weight: w.satisfaction,
        },
        Part {
            name: "群众评价".into(),
            score: e
                .mass_stars
                .map(|s| round1(((s - 1.0) / 4.0 * 100.0).clamp(0.0, 100.0))),
            weight: w.mass,
        },
        Part {
            name: "同事互评".into(),
            score: e.peer.map(|p| p.clamp(0.0, 100.0)),
            weight: w.peer,
        },
        Part {
            name: "组织评价".into(),
            score: e.org.map(|o| o.clamp(0.0, 100.0)),
            weight: w.org,
        },
    ];
    let (sum, weight) = parts
        .iter()
        .filter_map(|p| p.score.map(|s| (s * p.weight, p.weight)))
        .fold((0.0, 0.0), |(a, b), (s, w)| (a + s, b + w));
    let total = if weight > 0.0 {
        round1(sum / weight)
    } else {
        0.0
    };
    Score { total, parts }
}

/// Places in a ranking, best first; equal totals share a place (1, 2, 2, 4).
pub fn places(totals: &[f64]) -> Vec<usize> {
    totals
        .iter()
        .map(|t| 1 + totals.iter().filter(|o| *o > t).count())
        .collect()
}

/// The lowest total that can earn 红旗网格员.
pub const RED_FLAG_MIN: f64 = 80.0;

/// Whether a worker in `place` with `total` is the month's 红旗网格员 of their community:
/// first place (shared firsts all earn it) and at least [`RED_FLAG_MIN`].
pub fn red_flag(place: usize, total: f64) -> bool {
    place == 1 && total >= RED_FLAG_MIN
}

/// The lowest quarter mean that can earn a community 红旗单位 (a mean over all its workers, so
/// the bar is the pass mark rather than a top worker's).
pub const RED_FLAG_UNIT_MIN: f64 = 60.0;

/// A unit's quarter (红旗单位): the mean of its workers' monthly totals over the quarter's
/// months; none when it had no scored worker.
pub fn unit_score(monthly_totals: &[f64]) -> Option<f64> {
    (!monthly_totals.is_empty())
        .then(|| round1(monthly_totals.iter().sum::<f64>() / monthly_totals.len() as f64))
}

/// The quarter a month (`2026-10`) falls in: `2026-Q4`.
pub fn quarter_of(month: &str) -> Option<String> {
    let (year, m) = month.split_once('-')?;
    let m: u8 = m.parse().ok().filter(|m| (1..=12).contains(m))?;
    Some(format!("{year}-Q{}", (m - 1) / 3 + 1))
}

/// The months of a quarter written `2026-Q3`: `["2026-07", "2026-08", "2026-09"]`.
pub fn quarter_months(text: &str) -> Option<[String; 3]> {
    let (year, q) = text.trim().split_once(['-', ' '])?;
    let year: u16 = year.parse().ok().filter(|y| (2000..=2999).contains(y))?;
    let q: u8 = q
        .trim_start_matches(['Q', 'q'])
        .parse()
        .ok()
        .filter(|q| (1..=4).contains(q))?;
    let first = (q - 1) * 3 + 1;
    Some([0, 1, 2].map(|i| format!("{year}-{:02}", first + i)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_name_their_months_and_units_average_their_workers() {
        assert_eq!(
            quarter_months("2026-Q3"),
            Some([
                "2026-07".to_owned(),
                "2026-08".to_owned(),
                "2026-09".to_owned()
            ])
        );
        assert_eq!(
            quarter_months("2026-q1").map(|m| m[0].clone()),
            Some("2026-01".into())
        );
        assert_eq!(quarter_months("2026-Q5"), None);
        assert_eq!(quarter_months("Q3"), None);
        assert_eq!(unit_score(&[80.0, 90.0, 85.5]), Some(85.2));
        assert_eq!(unit_score(&[]), None);
    }

    fn measured() -> Measured {
        Measured {
            found: 2,
            handled: 10,
            handled_on_time: 9,
            patrol_days: 30,
            patrol_days_met: 24,
            visits_done: 18,
            visits_due: 20,
            rated: 5,
            satisfied: 5,
        }
    }

    #[test]
    fn a_month_is_scored_part_by_part_and_weighted() {
        let e = Evaluations {
            mass_stars: Some(4.6),
            mass_count: 12,
            peer: Some(90.0),
            org: Some(95.0),
        };
        let s = score(&measured(), &e, &Weights::default());
        let by_name = |n: &str| s.parts.iter().find(|p| p.name == n).and_then(|p| p.score);
        assert_eq!(by_name("发现上报"), Some(50.0));
        assert_eq!(by_name("按期办结"), Some(90.0));
        assert_eq!(by_name("巡查覆盖"), Some(80.0));
        assert_eq!(by_name("走访完成"), Some(90.0));
        assert_eq!(by_name("办结满意"), Some(100.0));
        assert_eq!(by_name("群众评价"), Some(90.0));
        // (50·15 + 90·15 + 80·20 + 90·15 + 100·10 + 90·10 + 90·5 + 95·10) / 100
        assert_eq!(s.total, 83.5);
    }

    #[test]
    fn parts_without_data_are_left_out_not_zeroed() {
        let m = Measured {
            handled: 0,
            rated: 0,
            ..measured()
        };
        let s = score(&m, &Evaluations::default(), &Weights::default());
        // found 50·15, patrol 80·20, visits 90·15 over weight 50.
        assert_eq!(s.total, 74.0);
        assert_eq!(
            score(
                &Measured::default(),
                &Evaluations::default(),
                &Weights {
                    found_target: 0,
                    ..Weights::default()
                }
            )
            .total,
            100.0,
            "only the visits part (nothing due) is left"
        );
    }

    #[test]
    fn more_visits_than_due_do_not_buy_extra_points() {
        let m = Measured {
            visits_done: 40,
            ..measured()
        };
        let s = score(&m, &Evaluations::default(), &Weights::default());
        assert_eq!(s.parts[3].score, Some(100.0));
    }

    #[test]
    fn rankings_share_places_and_the_red_flag_needs_first_place_and_the_bar() {
        assert_eq!(places(&[88.0, 92.5, 88.0, 70.0]), vec![2, 1, 2, 4]);
        assert!(red_flag(1, 92.5));
        assert!(!red_flag(1, 79.9));
        assert!(!red_flag(2, 95.0));
    }

    #[test]
    fn scores_are_reproducible() {
        let e = Evaluations {
            mass_stars: Some(3.7),
            mass_count: 3,
            peer: None,
            org: Some(88.0),
        };
        let a = score(&measured(), &e, &Weights::default());
        let b = score(&measured(), &e, &Weights::default());
        assert_eq!(a, b);
    }

    #[test]
    fn entered_weights_are_checked() {
        assert_eq!(Weights::default().check(), Ok(()));
        let bad = |f: fn(&mut Weights)| {
            let mut w = Weights::default();
            f(&mut w);
            w.check()
        };
        assert!(bad(|w| w.patrol = 120.0).is_err());
        assert!(bad(|w| w.org = -1.0).is_err());
        assert!(bad(|w| w.mass = f64::NAN).is_err());
        assert!(bad(|w| w.found_target = 0).is_err());
        assert_eq!(
            bad(|w| {
                *w = Weights {
                    found: 0.0,
                    on_time: 0.0,
                    patrol: 0.0,
                    visits: 0.0,
                    satisfaction: 0.0,
                    mass: 0.0,
                    peer: 0.0,
                    org: 0.0,
                    found_target: 4,
                }
            }),
            Err("权重不能全为 0")
        );
    }

    #[test]
    fn a_month_falls_in_its_quarter() {
        assert_eq!(quarter_of("2026-10").as_deref(), Some("2026-Q4"));
        assert_eq!(quarter_of("2026-03").as_deref(), Some("2026-Q1"));
        assert_eq!(quarter_of("2026-13"), None);
        assert_eq!(
            quarter_months("2026-Q4").map(|m| m[0].clone()).as_deref(),
            Some("2026-10")
        );
    }
}
