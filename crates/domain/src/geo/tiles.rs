//! Base-map tiles in longitude and latitude (the tile matrix 天地图 serves as `c`, CGCS2000,
//! which is WGS-84 to within centimetres): at level `z` the world is 2^z columns by 2^(z-1)
//! rows of 256-pixel tiles, each 180/2^(z-1) degrees square, counted from (-180°, 90°). Because
//! such tiles are a plain grid of degrees, they lie under the server's own equirectangular maps
//! with no reprojection.

/// One tile of the matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tile {
    /// Level (1 = the whole world in two tiles).
    pub z: u8,
    /// Column, from 180° west.
    pub x: u32,
    /// Row, from 90° north.
    pub y: u32,
    /// Longitude of its west edge.
    pub west: f64,
    /// Latitude of its north edge.
    pub north: f64,
    /// Its side, in degrees.
    pub span: f64,
}

/// The deepest level the matrix has.
const MAX_LEVEL: u8 = 18;
/// Pixels on a tile's side.
const TILE_PX: f64 = 256.0;
/// The most tiles one map draws (beyond it the map is left without a base map).
pub const MAX_TILES: usize = 64;

/// A tile's side in degrees at level `z`.
fn span(z: u8) -> f64 {
    180.0 / f64::from(1u32 << (z - 1))
}

/// The tiles under the box (west, south, east, north) drawn at `px_per_degree`: the level whose
/// tiles show at their own size or a little larger, and every tile the box touches. Empty when
/// that would be more than [`MAX_TILES`].
pub fn covering(bbox: [f64; 4], px_per_degree: f64) -> Vec<Tile> {
    let [west, south, east, north] = bbox;
    if !(px_per_degree.is_finite() && px_per_degree > 0.0) || west > east || south > north {
        return Vec::new();
    }
    // The deepest level whose tile is still drawn at least TILE_PX wide.
    let z = (1..=MAX_LEVEL)
        .rev()
        .find(|&z| span(z) * px_per_degree >= TILE_PX)
        .unwrap_or(1);
    let s = span(z);
    let columns = 1u32 << z;
    let rows = 1u32 << (z - 1);
    let index = |v: f64, limit: u32| (v.floor().max(0.0) as u32).min(limit - 1);
    let (x0, x1) = (
        index((west + 180.0) / s, columns),
        index((east + 180.0) / s, columns),
    );
    let (y0, y1) = (
        index((90.0 - north) / s, rows),
        index((90.0 - south) / s, rows),
    );
    let count = (x1 - x0 + 1) as usize * (y1 - y0 + 1) as usize;
    if count > MAX_TILES {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(count);
    for y in y0..=y1 {
        for x in x0..=x1 {
            out.push(Tile {
                z,
                x,
                y,
                west: -180.0 + f64::from(x) * s,
                north: 90.0 - f64::from(y) * s,
                span: s,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_cover_the_box_at_their_own_size() {
        // A community in Guigang drawn 800 px across 0.01°: 80,000 px a degree.
        let tiles = covering([109.555, 23.085, 109.565, 23.095], 80_000.0);
        assert!(!tiles.is_empty() && tiles.len() <= MAX_TILES);
        let t = tiles[0];
        let px = t.span * 80_000.0;
        assert!((256.0..512.0).contains(&px), "{px}");
        // Together they hold every corner of the box.
        for (lon, lat) in [(109.555, 23.085), (109.565, 23.095)] {
            assert!(tiles.iter().any(|t| t.west <= lon
                && lon <= t.west + t.span
                && t.north - t.span <= lat
                && lat <= t.north));
        }
        // Level 1 is the world in two: the eastern hemisphere is column 1.
        let world = covering([100.0, 10.0, 110.0, 20.0], 1.0);
        assert_eq!((world[0].z, world[0].x, world[0].y), (1, 1, 0));
        assert!(
            covering([0.0, 0.0, 100.0, 50.0], 80_000.0).is_empty(),
            "too many"
        );
    }
}
