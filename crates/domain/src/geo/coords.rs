//! Conversions between WGS-84 (GPS), GCJ-02 (国测局, used by AMap/Tencent/Google China) and
//! BD-09 (Baidu). Boundaries are stored in WGS-84; SDK coordinates are converted on the way in.

use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// A coordinate reference system a client may send coordinates in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Crs {
    /// WGS-84, as GPS receivers and GeoJSON use.
    #[default]
    Wgs84,
    /// GCJ-02 (火星坐标), from AMap, Tencent Maps, WeChat.
    Gcj02,
    /// BD-09, from Baidu Maps.
    Bd09,
}

impl Crs {
    /// Converts a (lon, lat) in this system to WGS-84.
    pub fn to_wgs84(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            Crs::Wgs84 => (lon, lat),
            Crs::Gcj02 => gcj02_to_wgs84(lon, lat),
            Crs::Bd09 => {
                let (glon, glat) = bd09_to_gcj02(lon, lat);
                gcj02_to_wgs84(glon, glat)
            }
        }
    }

    /// Converts a WGS-84 (lon, lat) into this system.
    pub fn from_wgs84(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            Crs::Wgs84 => (lon, lat),
            Crs::Gcj02 => wgs84_to_gcj02(lon, lat),
            Crs::Bd09 => {
                let (glon, glat) = wgs84_to_gcj02(lon, lat);
                gcj02_to_bd09(glon, glat)
            }
        }
    }
}

/// Krasovsky 1940 semi-major axis and eccentricity squared, as GCJ-02 uses.
const A: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;
const X_PI: f64 = PI * 3000.0 / 180.0;

/// GCJ-02 only shifts points inside China's rough bounding box.
fn outside_china(lon: f64, lat: f64) -> bool {
    !(72.004..=137.8347).contains(&lon) || !(0.8293..=55.8271).contains(&lat)
}

fn shift_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn shift_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// The GCJ-02 offset (dlon, dlat) at a WGS-84 point.
fn gcj_offset(lon: f64, lat: f64) -> (f64, f64) {
    let dlat = shift_lat(lon - 105.0, lat - 35.0);
    let dlon = shift_lon(lon - 105.0, lat - 35.0);
    let rad_lat = lat / 180.0 * PI;
    let magic = 1.0 - EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    let dlon = (dlon * 180.0) / (A / sqrt_magic * rad_lat.cos() * PI);
    (dlon, dlat)
}

/// WGS-84 → GCJ-02.
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if outside_china(lon, lat) {
        return (lon, lat);
    }
    let (dlon, dlat) = gcj_offset(lon, lat);
    (lon + dlon, lat + dlat)
}

/// GCJ-02 → WGS-84, by fixed-point iteration on the forward transform (error < 1e-9°, well
/// under a millimetre), since the offset has no closed-form inverse.
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    if outside_china(lon, lat) {
        return (lon, lat);
    }
    let (mut wlon, mut wlat) = (lon, lat);
    for _ in 0..30 {
        let (glon, glat) = wgs84_to_gcj02(wlon, wlat);
        let (elon, elat) = (glon - lon, glat - lat);
        wlon -= elon;
        wlat -= elat;
        if elon.abs() < 1e-10 && elat.abs() < 1e-10 {
            break;
        }
    }
    (wlon, wlat)
}

/// GCJ-02 → BD-09.
pub fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let z = (lon * lon + lat * lat).sqrt() + 0.00002 * (lat * X_PI).sin();
    let theta = lat.atan2(lon) + 0.000003 * (lon * X_PI).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

/// BD-09 → GCJ-02.
pub fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = (lon - 0.0065, lat - 0.006);
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    (z * theta.cos(), z * theta.sin())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Metres between two nearby points (equirectangular; fine at these distances).
    fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
        let k = 111_320.0;
        let dx = (a.0 - b.0) * k * (a.1.to_radians()).cos();
        let dy = (a.1 - b.1) * k;
        (dx * dx + dy * dy).sqrt()
    }

    #[test]
    fn gcj_shift_is_a_few_hundred_metres_in_china_and_none_abroad() {
        let guigang = (109.598, 23.111);
        let g = wgs84_to_gcj02(guigang.0, guigang.1);
        let d = metres(guigang, g);
        assert!((100.0..800.0).contains(&d), "shift {d} m");
        assert_eq!(wgs84_to_gcj02(2.35, 48.85), (2.35, 48.85));
    }

    #[test]
    fn round_trips_are_sub_millimetre() {
        for p in [
            (109.598, 23.111),
            (116.397428, 39.90923),
            (121.4737, 31.2304),
            (87.6, 43.8),
        ] {
            let w = gcj02_to_wgs84(wgs84_to_gcj02(p.0, p.1).0, wgs84_to_gcj02(p.0, p.1).1);
            assert!(metres(p, w) < 0.001, "{p:?} -> {w:?}");
            let b = gcj02_to_bd09(p.0, p.1);
            let g = bd09_to_gcj02(b.0, b.1);
            assert!(metres(p, g) < 1.0, "bd {p:?} -> {g:?}");
            let back = Crs::Bd09.to_wgs84(
                Crs::Bd09.from_wgs84(p.0, p.1).0,
                Crs::Bd09.from_wgs84(p.0, p.1).1,
            );
            assert!(metres(p, back) < 1.0);
        }
    }

    #[test]
    fn baidu_offset_is_larger_than_gcj() {
        let p = (109.598, 23.111);
        let (glon, glat) = Crs::Gcj02.from_wgs84(p.0, p.1);
        let (blon, blat) = Crs::Bd09.from_wgs84(p.0, p.1);
        assert!(metres(p, (blon, blat)) > metres(p, (glon, glat)));
    }
}
