//! Patrols and visits (巡查走访): a grid worker's walks through the grid with a GPS track, the
//! daily rule that a grid is patrolled twice a day (一日双巡), and the visit frequencies of
//! tagged residents.

mod track;
mod visit;

pub use track::{Dropped, Fix, Track, TrackRules, clean};
pub use visit::{Due, VISIT_BACKDATE_DAYS, expected_in, next_due, standing};

/// What makes a day's patrols count (configurable per district).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyRule {
    /// Patrols a grid needs each day.
    pub patrols: u32,
    /// Shortest patrol that counts, minutes.
    pub min_minutes: u32,
    /// Least time between the starts of two counted patrols, minutes (two walks back to back
    /// are one patrol split in two, not a morning and an afternoon round).
    pub min_gap_minutes: u32,
}

impl Default for DailyRule {
    fn default() -> Self {
        DailyRule {
            patrols: 2,
            min_minutes: 20,
            min_gap_minutes: 180,
        }
    }
}

impl DailyRule {
    /// What a worker should hear before ending a patrol begun at `start_ms` at `end_ms` with
    /// `fixes` positions kept (empty when nothing stands against it): too short to count for
    /// the day, or no track at all.
    pub fn before_ending(&self, start_ms: i64, end_ms: i64, fixes: i64) -> Vec<String> {
        let mut said = Vec::new();
        let minutes = (end_ms - start_ms).max(0) / 60_000;
        if minutes < i64::from(self.min_minutes) {
            said.push(format!(
                "这次巡查只有 {minutes} 分钟，不足 {} 分钟，不计入一日双巡",
                self.min_minutes
            ));
        }
        if fixes == 0 {
            said.push("这次巡查没有记录到定位点，地图上没有轨迹（请确认手机已允许定位）".into());
        }
        said
    }
}

/// One patrol of a grid on a day, as the daily rule needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatrolSpan {
    /// Start, Unix milliseconds.
    pub start_ms: i64,
    /// End, Unix milliseconds; `None` while it runs or when it was never ended.
    pub end_ms: Option<i64>,
}

/// How a grid's day went against the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCoverage {
    /// Patrols that count.
    pub counted: u32,
    /// Patrols the rule asks for.
    pub needed: u32,
}

impl DayCoverage {
    /// Whether the day met the rule.
    pub fn met(&self) -> bool {
        self.counted >= self.needed
    }
}

/// Counts a grid's patrols of one day: ended ones of at least the minimum length, taken in
/// start order, each at least the minimum gap after the last one counted. A patrol never ended
/// does not count (its length is unknown), so forgetting to end one shows as a missed round.
pub fn day_coverage(spans: &[PatrolSpan], rule: &DailyRule) -> DayCoverage {
    let mut ended: Vec<(i64, i64)> = spans
        .iter()
        .filter_map(|s| s.end_ms.map(|e| (s.start_ms, e)))
        .filter(|(s, e)| e - s >= i64::from(rule.min_minutes) * 60_000)
        .collect();
    ended.sort_unstable();
    let gap = i64::from(rule.min_gap_minutes) * 60_000;
    let mut counted = 0;
    let mut last: Option<i64> = None;
    for (start, _) in ended {
        if last.is_none_or(|l| start - l >= gap) {
            counted += 1;
            last = Some(start);
        }
    }
    DayCoverage {
        counted,
        needed: rule.patrols,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn ending_early_or_without_a_track_is_said_before_it_happens() {
        let rule = DailyRule::default();
        let said = rule.before_ending(0, 3 * 60_000, 0);
        assert_eq!(said.len(), 2);
        assert!(said[0].contains("只有 3 分钟") && said[0].contains("不计入一日双巡"));
        assert!(said[1].contains("没有记录到定位点"));
        assert!(rule.before_ending(0, 20 * 60_000, 5).is_empty());
        assert_eq!(rule.before_ending(0, 19 * 60_000 + 59_999, 5).len(), 1);
    }

    use super::*;

    const MORNING: i64 = 1_790_000_000_000;
    const MIN: i64 = 60_000;

    fn span(start_min: i64, minutes: Option<i64>) -> PatrolSpan {
        PatrolSpan {
            start_ms: MORNING + start_min * MIN,
            end_ms: minutes.map(|m| MORNING + (start_min + m) * MIN),
        }
    }

    #[test]
    fn a_morning_and_an_afternoon_round_meet_the_rule() {
        let c = day_coverage(
            &[span(300, Some(45)), span(0, Some(40))],
            &DailyRule::default(),
        );
        assert_eq!(c.counted, 2);
        assert!(c.met());
    }

    #[test]
    fn short_back_to_back_and_unended_patrols_do_not_count() {
        let rule = DailyRule::default();
        // Ten minutes; then two rounds an hour apart; then one never ended.
        let spans = [
            span(0, Some(10)),
            span(60, Some(30)),
            span(120, Some(30)),
            span(400, None),
        ];
        let c = day_coverage(&spans, &rule);
        assert_eq!(
            c,
            DayCoverage {
                counted: 1,
                needed: 2
            }
        );
        assert!(!c.met());
        // Ending the last one makes the day.
        let mut ended = spans;
        ended[3] = span(400, Some(25));
        assert!(day_coverage(&ended, &rule).met());
    }

    #[test]
    fn a_day_without_patrols_counts_none() {
        assert_eq!(
            day_coverage(&[], &DailyRule::default()),
            DayCoverage {
                counted: 0,
                needed: 2
            }
        );
    }
}
