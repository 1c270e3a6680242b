//! A jittered lattice that tiles a rectangle into organic-looking cells without gaps or
//! overlaps: neighbouring cells share the very same edge polylines, and any rectangular block
//! of cells has an outline made of those same edges, so grids tile their community, communities
//! their street, and so on, exactly.

use geo::{Coord, LineString, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A lattice of `cols × rows` cells.
pub struct Lattice {
    cols: usize,
    rows: usize,
    corners: Vec<Coord<f64>>,
    /// Interior points of horizontal edges, indexed `r * cols + c` (edge from corner (c, r)).
    h_edges: Vec<Vec<Coord<f64>>>,
    /// Interior points of vertical edges, indexed `r * (cols + 1) + c` (edge from corner (c, r)).
    v_edges: Vec<Vec<Coord<f64>>>,
}

/// How to build a lattice.
pub struct LatticeSpec {
    /// Cells across.
    pub cols: usize,
    /// Cells down.
    pub rows: usize,
    /// South-west corner (lon, lat).
    pub origin: (f64, f64),
    /// Cell size in degrees (lon, lat).
    pub cell: (f64, f64),
    /// Intermediate points per edge (a cell has about 4 × (segments + 1) vertices).
    pub points_per_edge: usize,
    /// Seed: the same spec and seed give the same lattice.
    pub seed: u64,
}

/// Corners move at most this share of a cell; edge points this share across the edge. Small
/// enough that no two edges can cross, so every cell is a valid simple polygon.
const CORNER_JITTER: f64 = 0.15;
const EDGE_JITTER: f64 = 0.06;

impl Lattice {
    /// Builds the lattice.
    pub fn new(s: &LatticeSpec) -> Lattice {
        let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
        let (dx, dy) = s.cell;
        let mut corners = Vec::with_capacity((s.cols + 1) * (s.rows + 1));
        for r in 0..=s.rows {
            for c in 0..=s.cols {
                let jx = if c == 0 || c == s.cols {
                    0.0
                } else {
                    rng.random_range(-CORNER_JITTER..CORNER_JITTER)
                };
                let jy = if r == 0 || r == s.rows {
                    0.0
                } else {
                    rng.random_range(-CORNER_JITTER..CORNER_JITTER)
                };
                corners.push(Coord {
                    x: s.origin.0 + (c as f64 + jx) * dx,
                    y: s.origin.1 + (r as f64 + jy) * dy,
                });
            }
        }
        let at = |c: usize, r: usize| corners[r * (s.cols + 1) + c];
        let mut edge = |a: Coord<f64>, b: Coord<f64>, border: bool| -> Vec<Coord<f64>> {
            (1..=s.points_per_edge)
                .map(|i| {
                    let t = i as f64 / (s.points_per_edge + 1) as f64;
                    // Offset across the edge (none on the outer border, which stays straight).
                    let k = if border {
                        0.0
                    } else {
                        rng.random_range(-EDGE_JITTER..EDGE_JITTER)
                    };
                    let (ex, ey) = (b.x - a.x, b.y - a.y);
                    let (nx, ny) = (-ey / dy * dx, ex / dx * dy);
                    Coord {
                        x: a.x + ex * t + nx * k,
                        y: a.y + ey * t + ny * k,
                    }
                })
                .collect()
        };
        let mut h_edges = Vec::with_capacity(s.cols * (s.rows + 1));
        for r in 0..=s.rows {
            for c in 0..s.cols {
                h_edges.push(edge(at(c, r), at(c + 1, r), r == 0 || r == s.rows));
            }
        }
        let mut v_edges = Vec::with_capacity((s.cols + 1) * s.rows);
        for r in 0..s.rows {
            for c in 0..=s.cols {
                v_edges.push(edge(at(c, r), at(c, r + 1), c == 0 || c == s.cols));
            }
        }
        Lattice {
            cols: s.cols,
            rows: s.rows,
            corners,
            h_edges,
            v_edges,
        }
    }

    fn corner(&self, c: usize, r: usize) -> Coord<f64> {
        self.corners[r * (self.cols + 1) + c]
    }

    /// The outline of the block of cells `[c0, c1) × [r0, r1)`, counter-clockwise.
    pub fn block(&self, c0: usize, r0: usize, c1: usize, r1: usize) -> Polygon<f64> {
        let (c1, r1) = (c1.min(self.cols), r1.min(self.rows));
        let mut ring = Vec::new();
        for c in c0..c1 {
            ring.push(self.corner(c, r0));
            ring.extend(&self.h_edges[r0 * self.cols + c]);
        }
        for r in r0..r1 {
            ring.push(self.corner(c1, r));
            ring.extend(&self.v_edges[r * (self.cols + 1) + c1]);
        }
        for c in (c0..c1).rev() {
            ring.push(self.corner(c + 1, r1));
            ring.extend(self.h_edges[r1 * self.cols + c].iter().rev());
        }
        for r in (r0..r1).rev() {
            ring.push(self.corner(c0, r + 1));
            ring.extend(self.v_edges[r * (self.cols + 1) + c0].iter().rev());
        }
        ring.push(self.corner(c0, r0));
        Polygon::new(LineString::new(ring), vec![])
    }

    /// One cell.
    pub fn cell(&self, c: usize, r: usize) -> Polygon<f64> {
        self.block(c, r, c + 1, r + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, Validation};
    use shanzhi_domain::geo::check_coverage;

    #[test]
    fn cells_are_valid_and_tile_their_blocks_exactly() {
        let l = Lattice::new(&LatticeSpec {
            cols: 6,
            rows: 4,
            origin: (109.56, 23.08),
            cell: (0.008, 0.011),
            points_per_edge: 3,
            seed: 7,
        });
        let block = MultiPolygon::new(vec![l.block(0, 0, 6, 4)]);
        assert!(block.is_valid());
        let cells: Vec<(String, MultiPolygon<f64>)> = (0..4)
            .flat_map(|r| (0..6).map(move |c| (c, r)))
            .map(|(c, r)| (format!("{c}-{r}"), MultiPolygon::new(vec![l.cell(c, r)])))
            .collect();
        for (code, cell) in &cells {
            assert!(cell.is_valid(), "{code}");
        }
        let refs: Vec<(&str, &MultiPolygon<f64>)> =
            cells.iter().map(|(c, s)| (c.as_str(), s)).collect();
        let cov = check_coverage("block", &block, &refs);
        assert!(cov.is_clean(), "{cov:?}");
    }
}
