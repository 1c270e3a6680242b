//! Periods of days the figures are asked for: checked once (no future, not reversed, not too
//! long), in Beijing days.

use crate::AppError;
use shanzhi_domain::case::Day;

/// The longest period asked for at once.
pub const MAX_DAYS: i64 = 92;

/// A period of days, checked: not reversed, not in the future, not too long.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    /// First day.
    pub from: Day,
    /// Last day.
    pub to: Day,
}

impl Period {
    /// Parses `from`..=`to` (ISO days); `to` defaults to `today`, `from` to 6 days before `to`.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: Day) -> Result<Period, AppError> {
        let day = |s: &str| {
            Day::parse(s).ok_or_else(|| {
                AppError::bad("invalid_day", format!("日期 {s} 无效，应写成 2026-10-01"))
            })
        };
        let to = to.map(day).transpose()?.unwrap_or(today);
        let from = from.map(day).transpose()?.unwrap_or(to.plus(-6));
        if to > today {
            return Err(AppError::bad(
                "future_period",
                format!("{to} 尚未到来，只能查询今天及以前"),
            ));
        }
        if from > to {
            return Err(AppError::bad("invalid_period", "开始日期不能晚于结束日期"));
        }
        if to.since(from) >= MAX_DAYS {
            return Err(AppError::bad(
                "period_too_long",
                format!("一次最多查询 {MAX_DAYS} 天"),
            ));
        }
        Ok(Period { from, to })
    }

    /// Every day of the period, in order.
    pub fn days(&self) -> impl Iterator<Item = Day> + use<> {
        let from = self.from;
        (0..=self.to.since(from)).map(move |i| from.plus(i))
    }
}

impl Period {
    /// A calendar month, `2026-10`; the current month runs to `today`, a future one is refused.
    pub fn month(text: &str, today: Day) -> Result<Period, AppError> {
        let bad = || AppError::bad("invalid_month", format!("月份 {text} 无效，应写成 2026-10"));
        let first = Day::parse(&format!("{}-01", text.trim())).ok_or_else(bad)?;
        if first > today {
            return Err(AppError::bad(
                "future_period",
                format!("{} 尚未到来，只能查询本月及以前", text.trim()),
            ));
        }
        // The next month's first day, less one: day 28 plus four always lands in the next month.
        let next = first.plus(31);
        let next_first = next.plus(1 - i64::from(day_of_month(next)));
        let last = next_first.plus(-1);
        Ok(Period {
            from: first,
            to: last.min(today),
        })
    }

    /// The period as milliseconds: `[start of the first day, start of the day after the last)`.
    pub fn bounds_ms(&self) -> (i64, i64) {
        (self.from.start_ms(), self.to.plus(1).start_ms())
    }

    /// The first and last day as day numbers ([`Day::number`]), inclusive.
    pub fn day_numbers(&self) -> (i64, i64) {
        (self.from.number(), self.to.number())
    }

    /// Days in the period.
    pub fn day_count(&self) -> i64 {
        self.to.since(self.from) + 1
    }
}

/// The day of the month (1–31) of `d`.
fn day_of_month(d: Day) -> u8 {
    d.to_string()
        .get(8..10)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

/// The calendar month before the one `today` falls in, `2026-10`: what reports and
/// assessments default to.
pub fn last_month(today: Day) -> String {
    let this = today.to_string();
    let first = Day::parse(&format!("{}-01", &this[..7])).unwrap_or(today);
    first.plus(-1).to_string()[..7].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed day after every month the tests name (but the future one).
    fn today() -> Day {
        Day::parse("2026-11-18").unwrap()
    }

    #[test]
    fn a_month_runs_from_its_first_to_its_last_day() {
        let p = Period::month("2026-02", today()).expect("february");
        assert_eq!(
            (p.from.to_string(), p.to.to_string()),
            ("2026-02-01".into(), "2026-02-28".into())
        );
        let p = Period::month("2024-02", today()).expect("leap february");
        assert_eq!(p.to.to_string(), "2024-02-29");
        let p = Period::month("2025-12", today()).expect("december");
        assert_eq!(p.to.to_string(), "2025-12-31");
        assert_eq!(p.day_count(), 31);
    }

    #[test]
    fn last_month_crosses_year_and_quarter_boundaries() {
        let on = |d: &str| last_month(Day::parse(d).unwrap());
        assert_eq!(on("2026-01-01"), "2025-12");
        assert_eq!(on("2026-10-01"), "2026-09");
        assert_eq!(on("2026-12-31"), "2026-11");
        assert_eq!(on("2026-03-31"), "2026-02");
    }

    #[test]
    fn bad_and_future_months_are_refused() {
        assert!(Period::month("2026-13", today()).is_err());
        assert!(Period::month("十月", today()).is_err());
        assert!(Period::month("2999-01", today()).is_err());
    }
}
