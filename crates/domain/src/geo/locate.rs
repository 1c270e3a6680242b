//! Point location (`locate`): which grids contain a point.
//!
//! An R-tree over the bounding boxes of every boundary finds candidates; exact
//! point-in-polygon tests decide. The deepest comprehensive node wins (ties on a shared edge go
//! to the smaller code, so the answer is deterministic); every dedicated grid containing the
//! point is listed too. Updates are incremental so the index follows writes.

use crate::region::{GridClass, Level};
use geo::{BoundingRect, Intersects, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use std::collections::HashMap;

type Slot = GeomWithData<Rectangle<[f64; 2]>, u32>;

#[derive(Debug)]
struct Entry {
    code: String,
    depth: i16,
    dedicated: bool,
    shape: MultiPolygon<f64>,
    rect: Rectangle<[f64; 2]>,
}

/// The answer to "where is this point?".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Located<'a> {
    /// Code of the deepest comprehensive node containing the point.
    pub comprehensive: Option<&'a str>,
    /// Codes of all dedicated grids containing the point, in code order.
    pub dedicated: Vec<&'a str>,
}

/// An in-memory spatial index of node boundaries.
#[derive(Debug, Default)]
pub struct LocateIndex {
    tree: RTree<Slot>,
    entries: Vec<Option<Entry>>,
    free: Vec<u32>,
    by_code: HashMap<String, u32>,
}

/// One boundary to index.
#[derive(Debug, Clone)]
pub struct IndexItem {
    /// Node code.
    pub code: String,
    /// Node level.
    pub level: Level,
    /// Grid class.
    pub class: GridClass,
    /// Boundary in WGS-84.
    pub shape: MultiPolygon<f64>,
}

fn entry(item: IndexItem) -> Option<Entry> {
    let r = item.shape.bounding_rect()?;
    Some(Entry {
        rect: Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
        code: item.code,
        depth: item.level.depth(),
        dedicated: item.class == GridClass::Dedicated,
        shape: item.shape,
    })
}

impl LocateIndex {
    /// Builds an index in one pass (bulk-loaded R-tree, much faster than repeated inserts).
    pub fn build(items: impl IntoIterator<Item = IndexItem>) -> LocateIndex {
        let entries: Vec<Option<Entry>> = items.into_iter().filter_map(entry).map(Some).collect();
        let slots = entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().map(|e| Slot::new(e.rect, i as u32)))
            .collect();
        let by_code = entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().map(|e| (e.code.clone(), i as u32)))
            .collect();
        LocateIndex {
            tree: RTree::bulk_load(slots),
            entries,
            free: Vec::new(),
            by_code,
        }
    }

    /// Number of indexed boundaries.
    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// Adds or replaces a node's boundary.
    pub fn upsert(&mut self, item: IndexItem) {
        self.remove(&item.code);
        let Some(e) = entry(item) else { return };
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.entries.push(None);
                (self.entries.len() - 1) as u32
            }
        };
        self.tree.insert(Slot::new(e.rect, id));
        self.by_code.insert(e.code.clone(), id);
        self.entries[id as usize] = Some(e);
    }

    /// Drops a node (retired, or its boundary cleared).
    pub fn remove(&mut self, code: &str) {
        let Some(id) = self.by_code.remove(code) else {
            return;
        };
        if let Some(e) = self.entries[id as usize].take() {
            self.tree.remove(&Slot::new(e.rect, id));
        }
        self.free.push(id);
    }

    /// Finds the nodes containing (lon, lat), WGS-84.
    pub fn locate(&self, lon: f64, lat: f64) -> Located<'_> {
        let p = Point::new(lon, lat);
        let mut best: Option<&Entry> = None;
        let mut dedicated = Vec::new();
        for slot in self
            .tree
            .locate_in_envelope_intersecting(&AABB::from_point([lon, lat]))
        {
            let Some(e) = self.entries[slot.data as usize].as_ref() else {
                continue;
            };
            if e.dedicated {
                if e.shape.intersects(&p) {
                    dedicated.push(e.code.as_str());
                }
                continue;
            }
            let beats = best.is_none_or(|b| (e.depth, &b.code) > (b.depth, &e.code));
            if beats && e.shape.intersects(&p) {
                best = Some(e);
            }
        }
        dedicated.sort_unstable();
        Located {
            comprehensive: best.map(|e| e.code.as_str()),
            dedicated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Rect, coord};

    fn rect(
        code: &str,
        level: Level,
        class: GridClass,
        x0: f64,
        y0: f64,
        x1: f64,
        y1: f64,
    ) -> IndexItem {
        let shape = MultiPolygon::new(vec![
            Rect::new(coord! { x: x0, y: y0 }, coord! { x: x1, y: y1 }).to_polygon(),
        ]);
        IndexItem {
            code: code.into(),
            level,
            class,
            shape,
        }
    }

    fn sample() -> LocateIndex {
        use GridClass::*;
        LocateIndex::build([
            rect(
                "450802001001",
                Level::Community,
                Comprehensive,
                0.0,
                0.0,
                2.0,
                1.0,
            ),
            rect(
                "450802001001001",
                Level::Grid,
                Comprehensive,
                0.0,
                0.0,
                1.0,
                1.0,
            ),
            rect(
                "450802001001002",
                Level::Grid,
                Comprehensive,
                1.0,
                0.0,
                2.0,
                1.0,
            ),
            rect(
                "450802001001003",
                Level::Grid,
                Dedicated,
                0.5,
                0.25,
                1.5,
                0.75,
            ),
        ])
    }

    #[test]
    fn deepest_comprehensive_and_all_dedicated() {
        let idx = sample();
        let l = idx.locate(0.6, 0.5);
        assert_eq!(l.comprehensive, Some("450802001001001"));
        assert_eq!(l.dedicated, vec!["450802001001003"]);
        assert_eq!(idx.locate(1.8, 0.1).comprehensive, Some("450802001001002"));
        assert_eq!(idx.locate(5.0, 5.0), Located::default());
    }

    #[test]
    fn shared_edge_goes_to_smaller_code() {
        assert_eq!(
            sample().locate(1.0, 0.1).comprehensive,
            Some("450802001001001")
        );
    }

    #[test]
    fn falls_back_to_parent_where_no_grid_covers() {
        let mut idx = sample();
        idx.remove("450802001001002");
        assert_eq!(idx.locate(1.8, 0.1).comprehensive, Some("450802001001"));
        assert_eq!(idx.len(), 3);
    }

    #[test]
    fn upsert_moves_a_boundary() {
        let mut idx = sample();
        idx.upsert(rect(
            "450802001001002",
            Level::Grid,
            GridClass::Comprehensive,
            10.0,
            10.0,
            11.0,
            11.0,
        ));
        assert_eq!(
            idx.locate(10.5, 10.5).comprehensive,
            Some("450802001001002")
        );
        assert_eq!(idx.locate(1.8, 0.1).comprehensive, Some("450802001001"));
        assert_eq!(idx.len(), 4);
    }
}
