//! Projected coordinates in boundary files: CGCS2000 Gauss-Krüger (高斯-克吕格) zones, as
//! surveying and natural-resources offices deliver them (EPSG:4491–4554), turned into
//! longitude and latitude. CGCS2000's longitude and latitude (EPSG:4490) are WGS-84's to within
//! centimetres, so they are taken as they are.

use proj4rs::proj::Proj;
use serde_json::Value;

/// A Gauss-Krüger zone of CGCS2000.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaussKruger {
    /// The EPSG code.
    pub epsg: u32,
    /// Central meridian, degrees east.
    pub central: f64,
    /// False easting, metres (the zone number × 1,000,000 in front, when the code carries it).
    pub false_easting: f64,
}

impl GaussKruger {
    /// The zone an EPSG code names: 4491–4501 six-degree zones 13–23 and 4502–4512 their
    /// central meridians 75°E–135°E without the zone number; 4513–4533 three-degree zones 25–45
    /// and 4534–4554 central meridians 75°E–135°E without it.
    pub fn of_epsg(epsg: u32) -> Option<GaussKruger> {
        let (central, zone) = match epsg {
            4491..=4501 => {
                let zone = f64::from(epsg - 4491 + 13);
                (6.0 * zone - 3.0, Some(zone))
            }
            4502..=4512 => (75.0 + 6.0 * f64::from(epsg - 4502), None),
            4513..=4533 => {
                let zone = f64::from(epsg - 4513 + 25);
                (3.0 * zone, Some(zone))
            }
            4534..=4554 => (75.0 + 3.0 * f64::from(epsg - 4534), None),
            _ => return None,
        };
        Some(GaussKruger {
            epsg,
            central,
            false_easting: zone.map_or(0.0, |z| z * 1_000_000.0) + 500_000.0,
        })
    }

    /// The zone a Shapefile's `.prj` (ESRI WKT) names: `None` for longitude and latitude
    /// (GEOGCS only), the zone for a CGCS2000 Gauss-Krüger PROJCS (by its central meridian and
    /// false easting), a problem in words for any other projection.
    pub fn of_prj(wkt: &str) -> Result<Option<GaussKruger>, String> {
        let upper = wkt.to_ascii_uppercase();
        if !upper.contains("PROJCS") {
            return Ok(None);
        }
        let parameter = |name: &str| -> Option<f64> {
            let at = upper.find(&format!("PARAMETER[\"{}\"", name.to_ascii_uppercase()))?;
            let rest = &upper[at..];
            let value = rest.split(',').nth(1)?;
            value.trim_end_matches(']').trim().parse().ok()
        };
        let name = wkt.split('"').nth(1).unwrap_or("未命名投影").to_owned();
        let cgcs2000 = upper.contains("2000");
        let tm = upper.contains("GAUSS") || upper.contains("TRANSVERSE_MERCATOR");
        let found = match (
            cgcs2000 && tm,
            parameter("Central_Meridian"),
            parameter("False_Easting"),
        ) {
            // Three-degree zones first: a 6° zone with the same central meridian and easting
            // is the same projection.
            (true, Some(central), Some(easting)) => (4513..=4554)
                .chain(4491..=4512)
                .filter_map(GaussKruger::of_epsg)
                .find(|z| {
                    (z.central - central).abs() < 1e-9 && (z.false_easting - easting).abs() < 1e-3
                }),
            _ => None,
        };
        found.map(Some).ok_or_else(|| {
            format!(
                "Shapefile 的坐标系为“{name}”，无法直接导入：请先在 QGIS 中“另存为”并选择 EPSG:4490（CGCS2000）或 EPSG:4326（WGS-84）后再导入"
            )
        })
    }

    fn proj(&self) -> Option<(Proj, Proj)> {
        let tm = Proj::from_proj_string(&format!(
            "+proj=tmerc +lat_0=0 +lon_0={} +k=1 +x_0={} +y_0=0 +ellps=GRS80 +units=m +no_defs",
            self.central, self.false_easting
        ))
        .ok()?;
        let lonlat = Proj::from_proj_string("+proj=longlat +ellps=GRS80 +no_defs").ok()?;
        Some((tm, lonlat))
    }

    /// Easting and northing (metres) as longitude and latitude (degrees).
    pub fn to_lon_lat(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let (tm, lonlat) = self.proj()?;
        let mut p = (x, y, 0.0);
        proj4rs::transform::transform(&tm, &lonlat, &mut p).ok()?;
        Some((p.0.to_degrees(), p.1.to_degrees()))
    }

    /// Longitude and latitude (degrees) as easting and northing (metres), as a GIS writes them.
    pub fn from_lon_lat(&self, lon: f64, lat: f64) -> Option<(f64, f64)> {
        let (tm, lonlat) = self.proj()?;
        let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
        proj4rs::transform::transform(&lonlat, &tm, &mut p).ok()?;
        Some((p.0, p.1))
    }

    /// Rewrites every position of a GeoJSON geometry in place as longitude and latitude;
    /// `false` when one could not be (not a number pair, or outside the projection).
    pub fn unproject(&self, geometry: &mut Value) -> bool {
        let Some((tm, lonlat)) = self.proj() else {
            return false;
        };
        let Some(coords) = geometry.get_mut("coordinates") else {
            return true;
        };
        walk(coords, &mut |x, y| {
            let mut p = (x, y, 0.0);
            proj4rs::transform::transform(&tm, &lonlat, &mut p).ok()?;
            Some((p.0.to_degrees(), p.1.to_degrees()))
        })
    }
}

/// Applies `f` to every [x, y] position in nested coordinate arrays.
fn walk(v: &mut Value, f: &mut impl FnMut(f64, f64) -> Option<(f64, f64)>) -> bool {
    let Some(items) = v.as_array_mut() else {
        return false;
    };
    if let [Value::Number(x), Value::Number(y), ..] = items.as_slice() {
        let (Some(x), Some(y)) = (x.as_f64(), y.as_f64()) else {
            return false;
        };
        let Some((lon, lat)) = f(x, y) else {
            return false;
        };
        let (Some(lon), Some(lat)) = (
            serde_json::Number::from_f64(lon),
            serde_json::Number::from_f64(lat),
        ) else {
            return false;
        };
        items[0] = Value::Number(lon);
        items[1] = Value::Number(lat);
        return true;
    }
    items.iter_mut().all(|i| walk(i, f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prj_files_name_their_zone() {
        let gk = r#"PROJCS["CGCS2000_3_Degree_GK_CM_111E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",111.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        assert_eq!(
            GaussKruger::of_prj(gk).map(|z| z.map(|z| z.epsg)),
            Ok(Some(4546))
        );
        let geographic = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(GaussKruger::of_prj(geographic), Ok(None));
        let mercator = r#"PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984"],PROJECTION["Mercator_Auxiliary_Sphere"]]"#;
        assert!(GaussKruger::of_prj(mercator).is_err_and(|e| e.contains("WGS_1984_Web_Mercator")));
    }

    #[test]
    fn zones_are_read_from_their_codes() {
        let z = GaussKruger::of_epsg(4546).expect("CM 111°E");
        assert_eq!((z.central, z.false_easting), (111.0, 500_000.0));
        let z = GaussKruger::of_epsg(4525).expect("zone 37");
        assert_eq!((z.central, z.false_easting), (111.0, 37_500_000.0));
        let z = GaussKruger::of_epsg(4497).expect("6° zone 19");
        assert_eq!((z.central, z.false_easting), (111.0, 19_500_000.0));
        assert_eq!(GaussKruger::of_epsg(4326), None);
    }

    #[test]
    fn the_central_meridian_is_the_meridian_arc() {
        let z = GaussKruger::of_epsg(4546).expect("zone");
        let (lon, lat) = z.to_lon_lat(500_000.0, 0.0).expect("origin");
        assert!(
            (lon - 111.0).abs() < 1e-9 && lat.abs() < 1e-9,
            "{lon} {lat}"
        );
        // GRS80's meridian arc from the equator to 1°N is 110,574.3 m.
        let (_, north) = z.from_lon_lat(111.0, 1.0).expect("1°N");
        assert!((north - 110_574.3).abs() < 1.0, "{north}");
        let (x, y) = z.from_lon_lat(109.6, 23.1).expect("Guigang");
        let (lon, lat) = z.to_lon_lat(x, y).expect("back");
        assert!((lon - 109.6).abs() < 1e-8 && (lat - 23.1).abs() < 1e-8);
    }
}
