//! When tagged residents are due a visit (走访频次). Each attention tag has a frequency — 独居老人
//! weekly, 空巢老人 fortnightly … (configurable per district) — and a visit to the household
//! resets the clock for everyone tagged in it.

use crate::case::Day;

/// A tagged resident's standing against the tag's visit frequency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Next due on this day.
    On(Day),
    /// Overdue by this many days (0: due today, counted as not yet overdue by [`Due::late`]).
    Overdue(i64),
}

impl Due {
    /// Whether the visit is late (due day passed without a visit).
    pub fn late(&self) -> bool {
        matches!(self, Due::Overdue(d) if *d > 0)
    }
}

/// How far back a visit may be entered (a notebook typed in at the end of the month), and how
/// old a visit register changes may still be recorded against.
pub const VISIT_BACKDATE_DAYS: i64 = 30;

/// The day the next visit is due: `every_days` after the last one; someone never visited was
/// due on the day they were tagged (they are looked in on at once).
pub fn next_due(last_visit: Option<Day>, tagged: Day, every_days: u32) -> Day {
    match last_visit {
        Some(last) => last.plus(i64::from(every_days)),
        None => tagged,
    }
}

/// How `due_day` stands on `today`.
pub fn standing(due_day: Day, today: Day) -> Due {
    let late = today.since(due_day);
    if late >= 0 {
        Due::Overdue(late)
    } else {
        Due::On(due_day)
    }
}

/// Visits a resident should have had in `days` days at the tag's frequency (for the monthly
/// assessment's "visits done vs due"): at least one whenever the period is shorter.
pub fn expected_in(days: u32, every_days: u32) -> u32 {
    if every_days == 0 {
        return 0;
    }
    days.div_ceil(every_days).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        Day::parse(s).expect("valid day")
    }

    #[test]
    fn a_visit_moves_the_next_due_day_by_the_frequency() {
        assert_eq!(
            next_due(Some(day("2026-10-28")), day("2026-01-01"), 7),
            day("2026-11-04")
        );
        // Across a month and a year end.
        assert_eq!(
            next_due(Some(day("2026-12-30")), day("2026-01-01"), 14),
            day("2027-01-13")
        );
    }

    #[test]
    fn someone_never_visited_is_due_from_the_day_they_were_tagged() {
        let tagged = day("2026-11-01");
        let due = next_due(None, tagged, 7);
        assert_eq!(due, tagged);
        assert_eq!(standing(due, day("2026-11-05")), Due::Overdue(4));
        assert!(standing(due, day("2026-11-05")).late());
    }

    #[test]
    fn due_today_is_not_yet_late_and_tomorrow_is_on_time() {
        let due = day("2026-11-20");
        assert_eq!(standing(due, day("2026-11-20")), Due::Overdue(0));
        assert!(!standing(due, day("2026-11-20")).late());
        assert_eq!(standing(due, day("2026-11-19")), Due::On(due));
        assert!(!standing(due, day("2026-11-19")).late());
    }

    #[test]
    fn expected_visits_round_up_and_never_drop_below_one() {
        assert_eq!(expected_in(30, 7), 5);
        assert_eq!(expected_in(28, 7), 4);
        assert_eq!(expected_in(30, 90), 1);
        assert_eq!(expected_in(30, 0), 0);
    }
}
