//! Server-drawn SVG charts: no script, no chart library, readable on a wall screen and a phone.

use shanzhi_app::dashboard::TrendDay;
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

/// Horizontal bars, one per (label, count), each with its count and share: a survey
/// question's live result.
pub fn bars_svg(counts: &[(String, u64)]) -> String {
    const ROW: f64 = 44.0;
    const LABEL: f64 = 260.0;
    let total: u64 = counts.iter().map(|c| c.1).sum();
    let most = counts.iter().map(|c| c.1).max().unwrap_or(0).max(1);
    let h = ROW * counts.len().max(1) as f64 + 8.0;
    let span = W - LABEL - 120.0;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {h}" class="chart bars" role="img" aria-label="选项统计">"#
    );
    for (i, (label, n)) in counts.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let width = span * *n as f64 / most as f64;
        let share = if total == 0 {
            0.0
        } else {
            100.0 * *n as f64 / total as f64
        };
        let _ = write!(
            out,
            r#"<text class="axis" x="{:.0}" y="{:.1}" text-anchor="end">{}</text><rect class="bar" x="{LABEL}" y="{:.1}" width="{width:.1}" height="{:.1}"/><text class="axis count" x="{:.1}" y="{:.1}">{n}（{share:.0}%）</text>"#,
            LABEL - 8.0,
            y + 27.0,
            super::map::esc(label),
            y + 6.0,
            ROW - 12.0,
            LABEL + width + 8.0,
            y + 27.0,
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_as_long_as_their_counts_and_labels_are_escaped() {
        let svg = bars_svg(&[("支持".into(), 3), ("<不支持>".into(), 1)]);
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(
            svg.contains("3（75%）") && svg.contains("1（25%）"),
            "{svg}"
        );
        assert!(svg.contains("&lt;不支持&gt;"));
        assert!(bars_svg(&[]).ends_with("</svg>"));
    }

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
