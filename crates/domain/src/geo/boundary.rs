//! Boundaries: GeoJSON Polygon/MultiPolygon geometries in WGS-84, validated on the way in.
//!
//! We parse the two geometry types ourselves (with serde) rather than through a general GeoJSON
//! model: only these two are allowed, and every rejection must say exactly what is wrong.

use super::coords::Crs;
use geo::{Coord, LineString, MultiPolygon, Polygon, Validation};
use serde_json::{Value, json};

/// A node's boundary: one or more polygons, in WGS-84.
#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    shape: MultiPolygon<f64>,
    /// Whether it came in as a single `Polygon` (so it goes out the same way).
    single: bool,
}

/// Why a geometry is not an acceptable boundary. Messages are in Chinese for the UI.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BoundaryError {
    /// Not a GeoJSON geometry object.
    #[error("边界不是合法的 GeoJSON 几何对象：{0}")]
    Malformed(String),
    /// A geometry type other than Polygon/MultiPolygon.
    #[error("边界类型必须是 Polygon 或 MultiPolygon，收到的是 {0}")]
    WrongType(String),
    /// A ring with fewer than four positions or not closed.
    #[error("第 {ring} 个环无效：{why}")]
    BadRing {
        /// 1-based ring number across the geometry.
        ring: usize,
        /// What is wrong.
        why: &'static str,
    },
    /// A coordinate that is not a finite longitude/latitude.
    #[error(
        "坐标 [{0}, {1}] 超出经纬度范围（像米制的投影坐标时，请先在 QGIS 中另存为经纬度 EPSG:4490 或 EPSG:4326）"
    )]
    OutOfRange(f64, f64),
    /// Self-intersection or other invalid topology.
    #[error("多边形拓扑无效（自相交、环交叉或洞在外）：{0}")]
    Invalid(String),
}

type Ring = Vec<Vec<f64>>;

fn parse_ring(raw: Ring, crs: Crs, ring_no: usize) -> Result<LineString<f64>, BoundaryError> {
    if raw.len() < 4 {
        return Err(BoundaryError::BadRing {
            ring: ring_no,
            why: "至少需要 4 个坐标点",
        });
    }
    let mut coords = Vec::with_capacity(raw.len());
    for pos in raw {
        let [lon, lat] = pos[..] else {
            if pos.len() > 2 {
                // Altitude is allowed by GeoJSON; we keep only the plane position.
                let (lon, lat) = (pos[0], pos[1]);
                coords.push(checked(lon, lat, crs)?);
                continue;
            }
            return Err(BoundaryError::Malformed("坐标点必须是 [经度, 纬度]".into()));
        };
        coords.push(checked(lon, lat, crs)?);
    }
    if coords.first() != coords.last() {
        return Err(BoundaryError::BadRing {
            ring: ring_no,
            why: "首尾坐标必须相同（闭合）",
        });
    }
    Ok(LineString::new(coords))
}

fn checked(lon: f64, lat: f64, crs: Crs) -> Result<Coord<f64>, BoundaryError> {
    if !lon.is_finite() || !lat.is_finite() || lon.abs() > 180.0 || lat.abs() > 90.0 {
        return Err(BoundaryError::OutOfRange(lon, lat));
    }
    let (x, y) = crs.to_wgs84(lon, lat);
    Ok(Coord { x, y })
}

fn parse_polygon(
    rings: Vec<Ring>,
    crs: Crs,
    ring_no: &mut usize,
) -> Result<Polygon<f64>, BoundaryError> {
    let mut lines = Vec::with_capacity(rings.len());
    for r in rings {
        *ring_no += 1;
        lines.push(parse_ring(r, crs, *ring_no)?);
    }
    let mut it = lines.into_iter();
    let exterior = it
        .next()
        .ok_or(BoundaryError::Malformed("多边形没有外环".into()))?;
    Ok(Polygon::new(exterior, it.collect()))
}

impl Boundary {
    /// Parses and validates a GeoJSON geometry given in `crs`, converting it to WGS-84.
    pub fn from_geojson(value: &Value, crs: Crs) -> Result<Boundary, BoundaryError> {
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| BoundaryError::Malformed("缺少 type".into()))?;
        let coords = value
            .get("coordinates")
            .cloned()
            .ok_or_else(|| BoundaryError::Malformed("缺少 coordinates".into()))?;
        let mut ring_no = 0;
        let malformed = |e: serde_json::Error| BoundaryError::Malformed(e.to_string());
        let (polygons, single) = match kind {
            "Polygon" => {
                let rings: Vec<Ring> = serde_json::from_value(coords).map_err(malformed)?;
                (vec![parse_polygon(rings, crs, &mut ring_no)?], true)
            }
            "MultiPolygon" => {
                let polys: Vec<Vec<Ring>> = serde_json::from_value(coords).map_err(malformed)?;
                if polys.is_empty() {
                    return Err(BoundaryError::Malformed("MultiPolygon 没有多边形".into()));
                }
                let mut out = Vec::with_capacity(polys.len());
                for rings in polys {
                    out.push(parse_polygon(rings, crs, &mut ring_no)?);
                }
                (out, false)
            }
            other => return Err(BoundaryError::WrongType(other.to_owned())),
        };
        let shape = MultiPolygon::new(polygons);
        if let Some(e) = shape.validation_errors().into_iter().next() {
            return Err(BoundaryError::Invalid(e.to_string()));
        }
        Ok(Boundary { shape, single })
    }

    /// Wraps an already valid WGS-84 shape (generated data, tests).
    pub fn from_shape(shape: MultiPolygon<f64>) -> Boundary {
        let single = shape.0.len() == 1;
        Boundary { shape, single }
    }

    /// The shape in WGS-84.
    pub fn shape(&self) -> &MultiPolygon<f64> {
        &self.shape
    }

    /// The boundary as a GeoJSON geometry, in the type it came in as.
    pub fn to_geojson(&self) -> Value {
        let ring = |l: &LineString<f64>| l.0.iter().map(|c| json!([c.x, c.y])).collect::<Vec<_>>();
        let poly = |p: &Polygon<f64>| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(ring)
                .collect::<Vec<_>>()
        };
        match (&self.shape.0[..], self.single) {
            ([p], true) => json!({ "type": "Polygon", "coordinates": poly(p) }),
            (ps, _) => json!({
                "type": "MultiPolygon",
                "coordinates": ps.iter().map(poly).collect::<Vec<_>>()
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square() -> Value {
        json!({"type": "Polygon", "coordinates": [[[109.6, 23.1], [109.61, 23.1], [109.61, 23.11], [109.6, 23.11], [109.6, 23.1]]]})
    }

    #[test]
    fn polygon_round_trips_exactly() {
        let b = Boundary::from_geojson(&square(), Crs::Wgs84).unwrap();
        assert_eq!(b.to_geojson(), square());
        let multi =
            json!({"type": "MultiPolygon", "coordinates": [square()["coordinates"].clone()]});
        assert_eq!(
            Boundary::from_geojson(&multi, Crs::Wgs84)
                .unwrap()
                .to_geojson(),
            multi
        );
    }

    #[test]
    fn rejects_self_intersection() {
        let bow = json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]]});
        assert!(matches!(
            Boundary::from_geojson(&bow, Crs::Wgs84),
            Err(BoundaryError::Invalid(_))
        ));
    }

    #[test]
    fn rejects_open_rings_wrong_types_and_garbage() {
        let open = json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]]});
        assert!(matches!(
            Boundary::from_geojson(&open, Crs::Wgs84),
            Err(BoundaryError::BadRing { ring: 1, .. })
        ));
        let pt = json!({"type": "Point", "coordinates": [0.0, 0.0]});
        assert_eq!(
            Boundary::from_geojson(&pt, Crs::Wgs84),
            Err(BoundaryError::WrongType("Point".into()))
        );
        let junk = json!({"type": "Polygon", "coordinates": "x"});
        assert!(matches!(
            Boundary::from_geojson(&junk, Crs::Wgs84),
            Err(BoundaryError::Malformed(_))
        ));
        let far = json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [200.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]});
        assert!(matches!(
            Boundary::from_geojson(&far, Crs::Wgs84),
            Err(BoundaryError::OutOfRange(..))
        ));
    }

    #[test]
    fn converts_gcj02_input_to_wgs84() {
        let b = Boundary::from_geojson(&square(), Crs::Gcj02).unwrap();
        let first = b.shape().0[0].exterior().0[0];
        let expected = crate::geo::gcj02_to_wgs84(109.6, 23.1);
        assert_eq!((first.x, first.y), expected);
        assert_ne!(expected, (109.6, 23.1));
    }
}
