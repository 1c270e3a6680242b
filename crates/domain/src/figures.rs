//! The command dashboard's figures (一屏观全域): counts gathered for an area and a period, and
//! the rates leaders are judged by, defined once here so the dashboard, the monthly report and
//! the assessment agree.

/// Counts of the cases reported in an area during a period (a cohort: each case counts once,
/// in the period it was reported in, whatever happened to it later).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
pub struct CaseCounts {
    /// Reported (duplicates merged into another case left out).
    pub received: i64,
    /// Refused (不予受理): not the platform's to handle, so out of the disposal rate.
    pub rejected: i64,
    /// Closed (结案), rated or followed up since.
    pub closed: i64,
    /// Handled (办结) at least once.
    pub handled: i64,
    /// Handled by the deadline.
    pub handled_on_time: i64,
    /// Past a deadline: handled late, or still open after it.
    pub overdue: i64,
    /// Rated by the reporter.
    pub rated: i64,
    /// Rated 满意 or 基本满意.
    pub satisfied: i64,
}

impl CaseCounts {
    /// 处置率: closed among those the platform accepted to handle.
    pub fn disposal_rate(&self) -> Option<f64> {
        ratio(self.closed, self.received - self.rejected)
    }

    /// 按期办结率: handled by the deadline among those handled.
    pub fn on_time_rate(&self) -> Option<f64> {
        ratio(self.handled_on_time, self.handled)
    }

    /// 满意率: 满意 and 基本满意 among those rated.
    pub fn satisfaction_rate(&self) -> Option<f64> {
        ratio(self.satisfied, self.rated)
    }

    /// Adds another area's counts (a parent is the sum of its children).
    pub fn add(&mut self, o: &CaseCounts) {
        self.received += o.received;
        self.rejected += o.rejected;
        self.closed += o.closed;
        self.handled += o.handled;
        self.handled_on_time += o.handled_on_time;
        self.overdue += o.overdue;
        self.rated += o.rated;
        self.satisfied += o.satisfied;
    }
}

/// `n / d`, or none when there is nothing to divide by (shown as “—”, never as 0% or 100%).
pub fn ratio(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// A rate as people read it: `87.5%`, or `—` when there is none.
pub fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".into(), |r| format!("{:.1}%", r * 100.0))
}

/// A response time as people read it: `35 分钟`, `2.5 小时`, or `—` when there is none.
pub fn minutes_text(minutes: Option<f64>) -> String {
    match minutes {
        Some(m) if m >= 60.0 => format!("{:.1} 小时", m / 60.0),
        Some(m) => format!("{m:.0} 分钟"),
        None => "—".into(),
    }
}

/// A round top for a chart's axis: 1, 2 or 5 times a power of ten, at least `max`.
pub fn axis_top(max: i64) -> i64 {
    let mut step = 1;
    loop {
        for k in [1, 2, 5] {
            if k * step >= max.max(1) {
                return k * step;
            }
        }
        step *= 10;
    }
}

/// The axis's tick values from 0 to `top` (from [`axis_top`]): 0, 2, 4 … 10 for 10.
pub fn axis_ticks(top: i64) -> Vec<i64> {
    let steps = top.clamp(1, 5);
    (0..=steps).map(|k| top * k / steps).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn axes_are_round() {
        assert_eq!(axis_top(0), 1);
        assert_eq!(axis_top(7), 10);
        assert_eq!(axis_top(13), 20);
        assert_eq!(axis_top(230), 500);
        assert_eq!(axis_ticks(10), vec![0, 2, 4, 6, 8, 10]);
        assert_eq!(axis_ticks(2), vec![0, 1, 2]);
        assert_eq!(minutes_text(Some(35.4)), "35 分钟");
        assert_eq!(minutes_text(Some(150.0)), "2.5 小时");
        assert_eq!(minutes_text(None), "—");
    }

    use super::*;

    #[test]
    fn rates_use_their_own_denominators() {
        let c = CaseCounts {
            received: 100,
            rejected: 4,
            closed: 72,
            handled: 80,
            handled_on_time: 70,
            overdue: 13,
            rated: 50,
            satisfied: 47,
        };
        assert_eq!(c.disposal_rate(), Some(0.75));
        assert_eq!(c.on_time_rate(), Some(0.875));
        assert_eq!(c.satisfaction_rate(), Some(0.94));
        assert_eq!(percent(c.on_time_rate()), "87.5%");
    }

    #[test]
    fn nothing_to_divide_by_is_no_rate_not_zero() {
        let c = CaseCounts {
            received: 3,
            rejected: 3,
            ..CaseCounts::default()
        };
        assert_eq!(c.disposal_rate(), None);
        assert_eq!(c.satisfaction_rate(), None);
        assert_eq!(percent(None), "—");
    }

    #[test]
    fn a_parent_is_the_sum_of_its_children() {
        let a = CaseCounts {
            received: 10,
            closed: 5,
            rated: 2,
            satisfied: 2,
            ..CaseCounts::default()
        };
        let b = CaseCounts {
            received: 30,
            closed: 25,
            rated: 8,
            satisfied: 6,
            ..CaseCounts::default()
        };
        let mut sum = CaseCounts::default();
        sum.add(&a);
        sum.add(&b);
        assert_eq!(sum.received, 40);
        assert_eq!(sum.disposal_rate(), Some(0.75));
        assert_eq!(sum.satisfaction_rate(), Some(0.8));
    }
}
