//! The working-day calendar: which days count for deadlines. Monday to Friday are working days
//! unless the calendar says a day is a public holiday; a weekend day the calendar marks as a
//! make-up working day (调休) counts. Deadlines run on one of two clocks: the natural clock
//! (around the clock, for hazards) or the working clock, which only runs on working days.
//! Days are Beijing calendar days (UTC+8, no daylight saving). Times are epoch milliseconds.

use std::collections::BTreeMap;

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
/// Beijing is UTC+8 all year.
const BEIJING_OFFSET_MS: i64 = 8 * HOUR_MS;
/// A deadline never looks further than this many days ahead (a calendar that marks every day a
/// holiday must not loop forever).
const HORIZON_DAYS: i64 = 3_660;

/// What the calendar says about a day that differs from the weekly rule.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// 法定节假日: a weekday off.
    Holiday,
    /// 调休上班: a weekend day worked.
    Workday,
}

impl DayKind {
    /// Both.
    pub const ALL: [DayKind; 2] = [DayKind::Holiday, DayKind::Workday];

    /// The stored form (also the API's).
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            DayKind::Holiday => "放假",
            DayKind::Workday => "调休上班",
        }
    }
}

/// Which clock a deadline runs on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    /// Every hour counts (自然时): hazards and public order.
    Natural,
    /// Only hours on working days count (工作日).
    Working,
}

impl Clock {
    /// Both clocks.
    pub const ALL: [Clock; 2] = [Clock::Natural, Clock::Working];

    /// The stored form (also the API's).
    pub fn as_str(self) -> &'static str {
        match self {
            Clock::Natural => "natural",
            Clock::Working => "working",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Clock::Natural => "自然时",
            Clock::Working => "工作日",
        }
    }
}

/// A calendar day, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(i64);

impl Day {
    /// The Beijing calendar day containing the instant `ms`.
    pub fn of(ms: i64) -> Day {
        Day((ms + BEIJING_OFFSET_MS).div_euclid(DAY_MS))
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Day> {
        let mut parts = s.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
        let date = time::Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()?;
        Some(Day(i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY))
    }

    /// Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday).
    fn weekday(self) -> i64 {
        (self.0 + 3).rem_euclid(7)
    }

    /// The instant this day starts (00:00 Beijing).
    pub fn start_ms(self) -> i64 {
        self.0 * DAY_MS - BEIJING_OFFSET_MS
    }

    fn next(self) -> Day {
        Day(self.0 + 1)
    }

    /// The day `days` later (earlier when negative).
    pub fn plus(self, days: i64) -> Day {
        Day(self.0 + days)
    }

    /// Days since 1970-01-01 (Beijing), the number the dashboard's tallies are keyed by.
    pub fn number(self) -> i64 {
        self.0
    }

    /// Days from `earlier` to this day (negative when `earlier` is later).
    pub fn since(self, earlier: Day) -> i64 {
        self.0 - earlier.0
    }
}

const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// Reads a Beijing date and time as exports write them — `2026-11-30 09:15`, with seconds,
/// `T` between, slashes or dots, `2026年11月30日 9时15分`, or a date alone (its midnight) —
/// as an instant (ms).
pub fn parse_beijing(text: &str) -> Option<i64> {
    let t: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '/' | '.' | '年' | '月' => '-',
            '日' | 'T' => ' ',
            '时' | '点' | '：' => ':',
            '分' | '秒' => ' ',
            c => c,
        })
        .collect();
    let mut parts = t.split_whitespace();
    let date = parts.next()?;
    let mut ymd = date.split('-').filter(|p| !p.is_empty());
    let (y, m, d) = (ymd.next()?, ymd.next()?, ymd.next()?);
    let day = Day::parse(&format!("{y:0>4}-{m:0>2}-{d:0>2}"))?;
    let clock: Vec<&str> = parts
        .flat_map(|p| p.split(':'))
        .filter(|p| !p.is_empty())
        .collect();
    let field = |i: usize, max: i64| -> Option<i64> {
        match clock.get(i) {
            None => Some(0),
            Some(v) => v.parse::<i64>().ok().filter(|n| (0..=max).contains(n)),
        }
    };
    if clock.len() > 3 {
        return None;
    }
    let (h, min, sec) = (field(0, 23)?, field(1, 59)?, field(2, 59)?);
    Some(day.start_ms() + ((h * 60 + min) * 60 + sec) * 1000)
}

/// The instant `ms` in Beijing time to the minute: `2026-10-08 09:05`.
pub fn beijing_minutes(ms: i64) -> String {
    let minute = (ms + BEIJING_OFFSET_MS).rem_euclid(DAY_MS) / 60_000;
    format!("{} {:02}:{:02}", Day::of(ms), minute / 60, minute % 60)
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let julian = i32::try_from(self.0 + UNIX_EPOCH_JULIAN_DAY).map_err(|_| std::fmt::Error)?;
        let date = time::Date::from_julian_day(julian).map_err(|_| std::fmt::Error)?;
        write!(
            f,
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        )
    }
}

/// The working-day calendar: the weekly rule plus exceptions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    exceptions: BTreeMap<Day, DayKind>,
}

impl Calendar {
    /// A calendar with these exceptions.
    pub fn new(exceptions: impl IntoIterator<Item = (Day, DayKind)>) -> Calendar {
        Calendar {
            exceptions: exceptions.into_iter().collect(),
        }
    }

    /// The calendar as shipped: [`CHINA_HOLIDAYS`].
    pub fn china() -> Calendar {
        Calendar::new(
            CHINA_HOLIDAYS
                .iter()
                .filter_map(|(d, k, _)| Some((Day::parse(d)?, *k))),
        )
    }

    /// Whether the day counts on the working clock.
    pub fn is_working_day(&self, day: Day) -> bool {
        match self.exceptions.get(&day) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => day.weekday() < 5,
        }
    }

    /// The instant at which `hours` of `clock` time have run from `start`. On the working clock,
    /// time stops at midnight before a day off and starts again at midnight after it: 24 hours
    /// from a Friday 15:00 fall due on Monday 15:00.
    pub fn due(&self, clock: Clock, start: i64, hours: i64) -> i64 {
        self.add(clock, start, hours.max(0) * HOUR_MS)
    }

    /// The instant at which `span` milliseconds of `clock` time have run from `start`.
    pub fn add(&self, clock: Clock, start: i64, span: i64) -> i64 {
        if clock == Clock::Natural {
            return start + span;
        }
        let (mut at, mut left) = (start, span.max(0));
        let mut day = Day::of(start);
        for _ in 0..HORIZON_DAYS {
            let end = day.next().start_ms();
            if self.is_working_day(day) {
                if left <= end - at {
                    return at + left;
                }
                left -= end - at;
            }
            at = end;
            day = day.next();
        }
        at + left
    }

    /// How much `clock` time runs between two instants (zero if `to` is not after `from`).
    pub fn elapsed(&self, clock: Clock, from: i64, to: i64) -> i64 {
        if to <= from {
            return 0;
        }
        if clock == Clock::Natural {
            return to - from;
        }
        let (mut at, mut total) = (from, 0);
        let mut day = Day::of(from);
        while at < to {
            let end = day.next().start_ms().min(to);
            if self.is_working_day(day) {
                total += end - at;
            }
            at = end;
            day = day.next();
        }
        total
    }

    /// The exceptions, in date order.
    pub fn exceptions(&self) -> impl Iterator<Item = (Day, DayKind)> + '_ {
        self.exceptions.iter().map(|(d, k)| (*d, *k))
    }
}

/// China's public holidays and make-up working days as the State Council announced them for
/// 2025 and 2026 (administrators add later years as they are announced).
pub const CHINA_HOLIDAYS: &[(&str, DayKind, &str)] = &[
    ("2025-01-01", DayKind::Holiday, "元旦"),
    ("2025-01-26", DayKind::Workday, "春节调休"),
    ("2025-01-28", DayKind::Holiday, "春节"),
    ("2025-01-29", DayKind::Holiday, "春节"),
    ("2025-01-30", DayKind::Holiday, "春节"),
    ("2025-01-31", DayKind::Holiday, "春节"),
    ("2025-02-03", DayKind::Holiday, "春节"),
    ("2025-02-04", DayKind::Holiday, "春节"),
    ("2025-02-08", DayKind::Workday, "春节调休"),
    ("2025-04-04", DayKind::Holiday, "清明节"),
    ("2025-04-27", DayKind::Workday, "劳动节调休"),
    ("2025-05-01", DayKind::Holiday, "劳动节"),
    ("2025-05-02", DayKind::Holiday, "劳动节"),
    ("2025-05-05", DayKind::Holiday, "劳动节"),
    ("2025-06-02", DayKind::Holiday, "端午节"),
    ("2025-09-28", DayKind::Workday, "国庆调休"),
    ("2025-10-01", DayKind::Holiday, "国庆节、中秋节"),
    ("2025-10-02", DayKind::Holiday, "国庆节、中秋节"),
    ("2025-10-03", DayKind::Holiday, "国庆节、中秋节"),
    ("2025-10-06", DayKind::Holiday, "国庆节、中秋节"),
    ("2025-10-07", DayKind::Holiday, "国庆节、中秋节"),
    ("2025-10-08", DayKind::Holiday, "国庆节、中秋节"),
    ("2025-10-11", DayKind::Workday, "国庆调休"),
    ("2026-01-01", DayKind::Holiday, "元旦"),
    ("2026-01-02", DayKind::Holiday, "元旦"),
    ("2026-01-04", DayKind::Workday, "元旦调休"),
    ("2026-02-14", DayKind::Workday, "春节调休"),
    ("2026-02-16", DayKind::Holiday, "春节"),
    ("2026-02-17", DayKind::Holiday, "春节"),
    ("2026-02-18", DayKind::Holiday, "春节"),
    ("2026-02-19", DayKind::Holiday, "春节"),
    ("2026-02-20", DayKind::Holiday, "春节"),
    ("2026-02-23", DayKind::Holiday, "春节"),
    ("2026-02-28", DayKind::Workday, "春节调休"),
    ("2026-04-06", DayKind::Holiday, "清明节"),
    ("2026-05-01", DayKind::Holiday, "劳动节"),
    ("2026-05-04", DayKind::Holiday, "劳动节"),
    ("2026-05-05", DayKind::Holiday, "劳动节"),
    ("2026-05-09", DayKind::Workday, "劳动节调休"),
    ("2026-06-19", DayKind::Holiday, "端午节"),
    ("2026-09-20", DayKind::Workday, "国庆调休"),
    ("2026-09-25", DayKind::Holiday, "中秋节"),
    ("2026-10-01", DayKind::Holiday, "国庆节"),
    ("2026-10-02", DayKind::Holiday, "国庆节"),
    ("2026-10-05", DayKind::Holiday, "国庆节"),
    ("2026-10-06", DayKind::Holiday, "国庆节"),
    ("2026-10-07", DayKind::Holiday, "国庆节"),
    ("2026-10-10", DayKind::Workday, "国庆调休"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_times_are_read_as_exports_write_them() {
        let at = parse_beijing("2026-11-30 09:15:00").expect("read");
        assert_eq!(beijing_minutes(at), "2026-11-30 09:15");
        for same in [
            "2026/11/30 9:15",
            "2026-11-30T09:15:00",
            "2026.11.30 09:15",
            "2026年11月30日 9时15分",
        ] {
            assert_eq!(parse_beijing(same), Some(at), "{same}");
        }
        assert_eq!(
            parse_beijing("2026-11-30").map(beijing_minutes).as_deref(),
            Some("2026-11-30 00:00")
        );
        for bad in [
            "",
            "昨天",
            "2026-13-01",
            "2026-11-30 25:00",
            "2026-11-30 9:15:00:01",
        ] {
            assert_eq!(parse_beijing(bad), None, "{bad}");
        }
    }

    fn at(day: &str, hour: i64) -> i64 {
        Day::parse(day).map(|d| d.start_ms()).unwrap_or(i64::MIN) + hour * HOUR_MS
    }

    #[test]
    fn every_listed_day_parses_and_holidays_fall_on_weekdays_workdays_on_weekends() {
        for (d, kind, _) in CHINA_HOLIDAYS {
            let day = Day::parse(d).unwrap_or_else(|| panic!("{d}"));
            assert_eq!(day.to_string(), *d);
            let weekend = day.weekday() >= 5;
            assert_eq!(
                weekend,
                *kind == DayKind::Workday,
                "{d} is listed needlessly"
            );
        }
    }

    #[test]
    fn beijing_minutes_are_utc_plus_eight() {
        // 2026-10-07T16:30Z is half past midnight on the 8th in Beijing.
        let ms = Day::parse("2026-10-08").unwrap().start_ms() + 30 * 60_000;
        assert_eq!(ms % 86_400_000, 16 * 3_600_000 + 30 * 60_000);
        assert_eq!(beijing_minutes(ms), "2026-10-08 00:30");
    }

    #[test]
    fn parse_rejects_what_is_not_a_date() {
        for bad in ["2026-02-30", "2026-2-01", "20260201", "2026-13-01", "x"] {
            assert_eq!(Day::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_weekly_rule_and_the_exceptions() {
        let cal = Calendar::china();
        let day = |s| Day::parse(s).unwrap_or(Day(0));
        assert!(cal.is_working_day(day("2026-11-20")), "a Friday");
        assert!(!cal.is_working_day(day("2026-11-21")), "a Saturday");
        assert!(!cal.is_working_day(day("2026-10-01")), "National Day");
        assert!(
            cal.is_working_day(day("2026-10-10")),
            "the make-up Saturday"
        );
    }

    #[test]
    fn the_natural_clock_ignores_the_calendar() {
        let cal = Calendar::china();
        assert_eq!(
            cal.due(Clock::Natural, at("2026-09-30", 15), 24),
            at("2026-10-01", 15)
        );
    }

    #[test]
    fn the_working_clock_skips_weekends_and_holidays() {
        let cal = Calendar::china();
        // Friday 15:00 + 24 working hours = Monday 15:00.
        assert_eq!(
            cal.due(Clock::Working, at("2026-11-20", 15), 24),
            at("2026-11-23", 15)
        );
        // Wednesday 30 September + 3 working days: 1–7 October are off, the 8th and 9th work,
        // the 10th is a make-up working Saturday.
        assert_eq!(
            cal.due(Clock::Working, at("2026-09-30", 10), 72),
            at("2026-10-10", 10)
        );
        // A report on a holiday starts counting on the next working day.
        assert_eq!(
            cal.due(Clock::Working, at("2026-10-03", 10), 8),
            at("2026-10-08", 8)
        );
        assert_eq!(
            cal.due(Clock::Working, at("2026-11-20", 15), 0),
            at("2026-11-20", 15)
        );
    }

    #[test]
    fn elapsed_is_the_inverse_of_due() {
        let cal = Calendar::china();
        for start in [
            at("2026-09-30", 10),
            at("2026-10-03", 10),
            at("2026-11-20", 23),
        ] {
            for hours in [0, 1, 9, 24, 72, 240] {
                let due = cal.due(Clock::Working, start, hours);
                assert_eq!(cal.elapsed(Clock::Working, start, due), hours * HOUR_MS);
            }
        }
        assert_eq!(
            cal.elapsed(Clock::Working, at("2026-11-21", 0), at("2026-11-23", 0)),
            0
        );
        assert_eq!(cal.elapsed(Clock::Natural, 10, 5), 0);
    }

    #[test]
    fn a_calendar_without_working_days_still_answers() {
        let all_off =
            Calendar::new((0..HORIZON_DAYS * 2).map(|d| (Day(20_000 + d), DayKind::Holiday)));
        let start = Day(20_000).start_ms();
        assert!(all_off.due(Clock::Working, start, 1) > start);
    }
}
