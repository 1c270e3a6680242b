//! Deadline lights: green while time remains, yellow once 75% of the allowed time is used,
//! red when overdue. Times are milliseconds since the epoch.

use super::calendar::{Calendar, Clock};
use super::workflow::Stage;

/// A deadline light.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    /// Time remains.
    Green,
    /// Due soon: at least 75% of the time is used.
    Yellow,
    /// Overdue.
    Red,
}

impl Light {
    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Light::Green => "正常",
            Light::Yellow => "临期",
            Light::Red => "超期",
        }
    }
}

/// The light for a span from `start` to `due`, at `now`, on the natural clock.
pub fn light(start: i64, due: i64, now: i64) -> Light {
    light_on(&Calendar::default(), Clock::Natural, start, due, now)
}

/// The light for a span from `start` to `due`, at `now`, counting only the time `clock` runs.
pub fn light_on(cal: &Calendar, clock: Clock, start: i64, due: i64, now: i64) -> Light {
    if now > due {
        return Light::Red;
    }
    let total = cal.elapsed(clock, start, due);
    if total == 0 {
        return Light::Yellow;
    }
    let used = cal.elapsed(clock, start, now);
    // Integer arithmetic: used/total ≥ 3/4.
    if used * 4 >= total * 3 {
        Light::Yellow
    } else {
        Light::Green
    }
}

/// A case's clock: when it started, its deadlines and whether it stands still.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// The clock its deadlines run on.
    pub clock: Clock,
    /// When it was reported.
    pub created: i64,
    /// 受理时限.
    pub accept_due: i64,
    /// 办理时限.
    pub handle_due: i64,
    /// When it was suspended (挂起), if it is.
    pub suspended_at: Option<i64>,
}

/// The light of a case: against the accept deadline while waiting to be accepted, against the
/// handle deadline until handled; none once handled or finished. A suspended case keeps the
/// light it had when its clock stopped.
pub fn case_light(cal: &Calendar, stage: Stage, t: &Timing, now: i64) -> Option<Light> {
    let now = t.suspended_at.map_or(now, |s| s.min(now));
    match stage {
        Stage::Reported => Some(light_on(cal, t.clock, t.created, t.accept_due, now)),
        Stage::Accepted | Stage::Dispatched | Stage::InProgress => {
            Some(light_on(cal, t.clock, t.created, t.handle_due, now))
        }
        _ => None,
    }
}

/// The deadline after a suspension from `suspended_at` to `resumed_at`: moved on by the clock
/// time that stood still.
pub fn resumed_due(
    cal: &Calendar,
    clock: Clock,
    due: i64,
    suspended_at: i64,
    resumed_at: i64,
) -> i64 {
    let left = cal.elapsed(clock, suspended_at, due);
    let overdue_by = cal.elapsed(clock, due, suspended_at);
    cal.add(clock, resumed_at, left) - overdue_by
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lights_turn_at_75_percent_and_at_the_deadline() {
        assert_eq!(light(0, 100, 0), Light::Green);
        assert_eq!(light(0, 100, 74), Light::Green);
        assert_eq!(light(0, 100, 75), Light::Yellow);
        assert_eq!(light(0, 100, 100), Light::Yellow);
        assert_eq!(light(0, 100, 101), Light::Red);
        assert_eq!(
            light(50, 50, 50),
            Light::Yellow,
            "a zero-length span is due at once"
        );
    }

    fn timing(clock: Clock, suspended_at: Option<i64>) -> Timing {
        Timing {
            clock,
            created: 0,
            accept_due: 10,
            handle_due: 100,
            suspended_at,
        }
    }

    #[test]
    fn which_deadline_applies() {
        let cal = Calendar::default();
        let t = timing(Clock::Natural, None);
        assert_eq!(case_light(&cal, Stage::Reported, &t, 11), Some(Light::Red));
        assert_eq!(
            case_light(&cal, Stage::InProgress, &t, 11),
            Some(Light::Green)
        );
        assert_eq!(case_light(&cal, Stage::Handled, &t, 1000), None);
        assert_eq!(case_light(&cal, Stage::Closed, &t, 1000), None);
    }

    #[test]
    fn a_suspended_case_keeps_its_light() {
        let cal = Calendar::default();
        let t = timing(Clock::Natural, Some(50));
        assert_eq!(
            case_light(&cal, Stage::InProgress, &t, 1_000),
            Some(Light::Green)
        );
    }

    #[test]
    fn lights_on_the_working_clock_count_working_time_only() {
        const H: i64 = 3_600_000;
        let cal = Calendar::default();
        // 2026-11-20 was a Friday; 00:00 Beijing is 16:00 UTC the day before.
        let friday = 1_795_104_000_000;
        let due = cal.due(Clock::Working, friday, 48);
        // Saturday evening: one working day of two used on the working clock — green; on the
        // natural clock 42 of 48 hours — yellow.
        let saturday_evening = friday + 42 * H;
        assert_eq!(
            light_on(&cal, Clock::Working, friday, due, saturday_evening),
            Light::Green
        );
        assert_eq!(
            light_on(
                &cal,
                Clock::Natural,
                friday,
                friday + 48 * H,
                saturday_evening
            ),
            Light::Yellow
        );
    }

    #[test]
    fn resuming_moves_the_deadline_by_the_time_stood_still() {
        let cal = Calendar::default();
        assert_eq!(resumed_due(&cal, Clock::Natural, 100, 40, 70), 130);
        // Suspended after the deadline had passed: still overdue by the same amount.
        assert_eq!(resumed_due(&cal, Clock::Natural, 100, 120, 200), 180);
    }
}
