//! Server-drawn SVG charts: no script, no chart library, readable on a wall screen and a phone.

use crate::services::dashboard::TrendDay;
use shanzhi_domain::figures::{axis_ticks, axis_top};
use std::fmt::Write;

const W: f64 = 800.0;
const H: f64 = 260.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 34.0;

/// The daily trend: cases reported (line) and closed (dashed line) per day, with the y axis
/// in whole cases and a date under every few days.
pub fn trend_svg(days: &[TrendDay]) -> String {
    let top = axis_top(
        days.iter()
            .map(|d| d.received.max(d.closed))
            .max()
            .unwrap_or(0),
    );
    let n = days.len().max(2) as f64 - 1.0;
    let x = |i: usize| LEFT + (W - LEFT - RIGHT) * i as f64 / n;
    let y = |v: i64| TOP + (H - TOP - BOTTOM) * (1.0 - v as f64 / top as f64);
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" class="chart" role="img" aria-label="每日事件趋势">"#
    );
    for v in axis_ticks(top) {
        let yy = y(v);
        let _ = write!(
            out,
            r#"<line class="grid" x1="{LEFT}" x2="{:.0}" y1="{yy:.1}" y2="{yy:.1}"/><text class="axis" x="{:.0}" y="{:.1}">{v}</text>"#,
            W - RIGHT,
            LEFT - 6.0,
            yy + 4.0
        );
    }
    let every = (days.len() / 8).max(1);
    for (i, d) in days.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let _ = write!(
            out,
            r#"<text class="axis date" x="{:.1}" y="{:.0}">{}</text>"#,
            x(i),
            H - 10.0,
            d.day.get(5..).unwrap_or(&d.day)
        );
    }
    for (class, value) in [
        (
            "received",
            (|d: &TrendDay| d.received) as fn(&TrendDay) -> i64,
        ),
        ("closed", |d: &TrendDay| d.closed),
    ] {
        let points: Vec<String> = days
            .iter()
            .enumerate()
            .map(|(i, d)| format!("{:.1},{:.1}", x(i), y(value(d))))
            .collect();
        let _ = write!(
            out,
            r#"<polyline class="{class}" points="{}"/>"#,
            points.join(" ")
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_series_are_drawn_with_a_point_per_day() {
        let days: Vec<TrendDay> = (1..=10)
            .map(|i| TrendDay {
                day: format!("2026-10-{i:02}"),
                received: i,
                closed: i / 2,
            })
            .collect();
        let svg = trend_svg(&days);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        for class in ["received", "closed"] {
            let line = svg
                .split(&format!(r#"class="{class}" points=""#))
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or_default();
            assert_eq!(line.split(' ').count(), 10, "{class}");
        }
        assert!(svg.contains(">10-01<"));
    }
}
