//! Demo cases: a few hundred over the last sixty days, in every stage, source and category,
//! some of them overdue, in words from `texts`. Each one's path is worked out by the real workflow rules.

use rand::Rng;
use shanzhi_domain::case::{Action, Satisfaction, Source};

/// Report sources, weighted as the field reports describe: mostly found on patrol.
const SOURCES: [Source; 10] = [
    Source::GridPatrol,
    Source::GridPatrol,
    Source::GridPatrol,
    Source::GridPatrol,
    Source::GridPatrol,
    Source::ResidentQr,
    Source::ResidentQr,
    Source::ResidentQr,
    Source::Mobile,
    Source::Hotline,
];

/// One demo case, before it is written.
pub struct DemoCase {
    /// Where it happened (a grid or micro-grid code).
    pub node: String,
    /// Category code.
    pub category: &'static str,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Source.
    pub source: Source,
    /// Hours before now it was reported.
    pub hours_ago: f64,
    /// The steps it went through, in order, each with hours after the report. The writer
    /// stops at the first step the workflow refuses or that would lie in the future.
    pub steps: Vec<(f64, Action)>,
}

/// When demo cases happen and whether some are left stalled.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    /// How many.
    pub count: usize,
    /// Reported between this many hours ago …
    pub from_hours_ago: f64,
    /// … and this many.
    pub to_hours_ago: f64,
    /// Some cases stop part-way (the recent weeks: every stage and overdue ones); older
    /// history runs its course.
    pub stall: bool,
}

/// A deterministic set of demo cases over the given grids.
pub fn generate(grids: &[String], span: Span, rng: &mut impl Rng) -> Vec<DemoCase> {
    let count = span.count;
    let mut out = Vec::with_capacity(count);
    let categories: Vec<&'static str> = super::texts::categories().collect();
    for i in 0..count {
        let category = categories[i % categories.len()];
        let (title, description) = super::texts::story(category, rng);
        let mut node = grids[(i * 7 + i / 3) % grids.len()].clone();
        if rng.random_bool(0.4) {
            node.push_str(&format!("{:03}", rng.random_range(1..=4)));
        }
        let hours_ago = rng.random_range(span.to_hours_ago..span.from_hours_ago);
        let mut t = 0.0;
        let mut at = |h: f64, rng: &mut dyn rand::RngCore| {
            t += h * rng.random_range(0.5..1.5);
            t
        };
        let satisfaction = match rng.random_range(0..10) {
            0 => Satisfaction::Dissatisfied,
            1 | 2 => Satisfaction::BasicallySatisfied,
            _ => Satisfaction::Satisfied,
        };
        let mut steps = if rng.random_range(0..30) == 0 {
            vec![(
                at(2.0, rng),
                Action::Reject {
                    reason: "经核实不属于本平台受理范围，已告知反映人".into(),
                },
            )]
        } else {
            vec![
                (at(2.0, rng), Action::Accept),
                (
                    at(1.0, rng),
                    Action::Dispatch {
                        to: shanzhi_domain::case::Tier::Grid,
                    },
                ),
                (at(3.0, rng), Action::Start),
                (
                    at(30.0, rng),
                    Action::Handle {
                        result: "已到现场处置，问题已解决".into(),
                    },
                ),
                (at(12.0, rng), Action::VerifyPass),
                (at(6.0, rng), Action::Close),
                (at(24.0, rng), Action::Rate { satisfaction }),
                (
                    at(48.0, rng),
                    Action::FollowUp {
                        note: "电话回访，反映人对处理结果表示认可".into(),
                    },
                ),
            ]
        };
        // Some cases stall on purpose, so the demo has every stage and overdue ones: most of
        // the last week's, one in ten older ones (as on a real platform, where old cases are
        // mostly done).
        if span.stall && (hours_ago < 24.0 * 7.0 || rng.random_range(0..10) == 0) {
            let keep = rng.random_range(0..=steps.len() + 3).min(steps.len());
            steps.truncate(keep);
        }
        out.push(DemoCase {
            node,
            category,
            title,
            description,
            source: SOURCES[i % SOURCES.len()],
            hours_ago,
            steps,
        });
    }
    out
}
