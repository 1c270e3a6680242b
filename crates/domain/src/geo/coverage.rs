//! Coverage of a parent by its comprehensive children (全域覆盖、不留空白): the gaps no child
//! covers, the overlaps between siblings and the parts of children outside the parent.

use geo::{
    BooleanOps, BoundingRect, Centroid, GeodesicArea, Intersects, MultiPolygon, unary_union,
};
use serde::Serialize;

/// Pieces smaller than this are floating-point noise along shared edges, not real gaps.
const NOISE_M2: f64 = 1.0;

/// An uncovered piece of the parent.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GapPiece {
    /// Area in square metres.
    pub area_m2: f64,
    /// A point near the gap's middle, [lon, lat], to find it on a map.
    pub near: [f64; 2],
}

/// An overlap between two sibling comprehensive grids.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Overlap {
    /// One grid's code.
    pub a: String,
    /// The other grid's code.
    pub b: String,
    /// Overlapping area in square metres.
    pub area_m2: f64,
    /// A point near the overlap's middle, [lon, lat], to find it on a map.
    pub near: [f64; 2],
}

/// The part of a child lying outside its parent.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Outside {
    /// The child's code.
    pub code: String,
    /// Area outside the parent, in square metres.
    pub area_m2: f64,
}

/// Coverage of one parent by its comprehensive children.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Coverage {
    /// The parent's code.
    pub parent: String,
    /// Total uncovered area, m².
    pub gap_area_m2: f64,
    /// Uncovered pieces, largest first.
    pub gaps: Vec<GapPiece>,
    /// Overlapping sibling pairs.
    pub overlaps: Vec<Overlap>,
    /// Children reaching outside the parent.
    pub outside: Vec<Outside>,
}

impl Coverage {
    /// Whether the children tile the parent exactly.
    pub fn is_clean(&self) -> bool {
        self.gaps.is_empty() && self.overlaps.is_empty() && self.outside.is_empty()
    }
}

/// Checks how `children` (code, shape) cover `parent`.
pub fn check_coverage(
    parent_code: &str,
    parent: &MultiPolygon<f64>,
    children: &[(&str, &MultiPolygon<f64>)],
) -> Coverage {
    let union = unary_union(children.iter().map(|(_, s)| *s));
    let mut gaps: Vec<GapPiece> = parent
        .difference(&union)
        .0
        .into_iter()
        .filter_map(|p| {
            let area_m2 = p.geodesic_area_unsigned();
            let c = p.centroid()?;
            (area_m2 >= NOISE_M2).then_some(GapPiece {
                area_m2,
                near: [c.x(), c.y()],
            })
        })
        .collect();
    gaps.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2));

    let mut overlaps = Vec::new();
    let rects: Vec<_> = children.iter().map(|(_, s)| s.bounding_rect()).collect();
    for i in 0..children.len() {
        for j in i + 1..children.len() {
            let (Some(ri), Some(rj)) = (rects[i], rects[j]) else {
                continue;
            };
            if !ri.intersects(&rj) {
                continue;
            }
            let shared = children[i].1.intersection(children[j].1);
            let area_m2 = shared.geodesic_area_unsigned();
            if area_m2 >= NOISE_M2
                && let Some(c) = shared.centroid()
            {
                overlaps.push(Overlap {
                    a: children[i].0.into(),
                    b: children[j].0.into(),
                    area_m2,
                    near: [c.x(), c.y()],
                });
            }
        }
    }

    let outside = children
        .iter()
        .filter_map(|(code, s)| {
            let area_m2 = s.difference(parent).geodesic_area_unsigned();
            (area_m2 >= NOISE_M2).then(|| Outside {
                code: (*code).into(),
                area_m2,
            })
        })
        .collect();

    Coverage {
        parent: parent_code.into(),
        gap_area_m2: gaps.iter().map(|g| g.area_m2).sum(),
        gaps,
        overlaps,
        outside,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Rect, coord};

    fn sq(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![
            Rect::new(coord! { x: x0, y: y0 }, coord! { x: x1, y: y1 }).to_polygon(),
        ])
    }

    #[test]
    fn exact_tiling_is_clean() {
        let parent = sq(109.0, 23.0, 109.02, 23.01);
        let a = sq(109.0, 23.0, 109.01, 23.01);
        let b = sq(109.01, 23.0, 109.02, 23.01);
        let c = check_coverage("p", &parent, &[("a", &a), ("b", &b)]);
        assert!(c.is_clean(), "{c:?}");
        assert_eq!(c.gap_area_m2, 0.0);
    }

    #[test]
    fn reports_gap_overlap_and_outside_with_areas() {
        let parent = sq(109.0, 23.0, 109.03, 23.01);
        let a = sq(109.0, 23.0, 109.015, 23.01);
        let b = sq(109.01, 23.0, 109.02, 23.01); // overlaps a by 0.005°
        let c = sq(109.025, 23.0, 109.04, 23.01); // gap 109.02–109.025, sticks out 109.03–109.04
        let cov = check_coverage("p", &parent, &[("a", &a), ("b", &b), ("c", &c)]);
        assert_eq!(cov.gaps.len(), 1);
        // 0.005° × 0.01° at 23°N ≈ 512 m × 1107 m ≈ 566,000 m².
        assert!(
            (500_000.0..640_000.0).contains(&cov.gap_area_m2),
            "{}",
            cov.gap_area_m2
        );
        assert_eq!(cov.overlaps.len(), 1);
        assert_eq!(
            (cov.overlaps[0].a.as_str(), cov.overlaps[0].b.as_str()),
            ("a", "b")
        );
        assert!((500_000.0..640_000.0).contains(&cov.overlaps[0].area_m2));
        assert_eq!(cov.outside.len(), 1);
        assert_eq!(cov.outside[0].code, "c");
        assert!(cov.outside[0].area_m2 > 1_000_000.0);
    }
}
