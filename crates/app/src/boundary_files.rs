//! Boundary files as districts have them, read into the GeoJSON the region importer takes:
//! GeoJSON itself, KML, KMZ (a zip holding a KML), and zipped Shapefiles (.shp with its .dbf,
//! the .dbf's code page from .cpg — GBK in most Chinese files — and its coordinate system
//! from .prj, CGCS2000 Gauss-Krüger zones included).

use crate::AppError;
use serde_json::{Map, Value, json};
use shanzhi_domain::geo::GaussKruger;
use shanzhi_domain::region::kml_to_geojson;
use std::io::{Cursor, Read};

/// Most bytes one file inside a zip may unpack to (a district's boundaries are megabytes).
const UNZIPPED_MAX_BYTES: u64 = 64 << 20;

fn bad(message: String) -> AppError {
    AppError::bad("unreadable_boundaries", message)
}

/// A boundary file as the importer reads it, told apart by its first bytes: a zip (KMZ or a
/// zipped Shapefile), XML (KML) or JSON.
pub fn boundary_document(bytes: &[u8]) -> Result<Value, AppError> {
    if bytes.starts_with(b"PK\x03\x04") {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| bad(format!("压缩文件无法解压：{e}")))?;
        if let Some(shp) = find(&zip, ".shp") {
            return shapefile_document(&mut zip, &shp);
        }
        let kml = find(&zip, ".kml")
            .ok_or_else(|| bad("压缩文件里没有 .kml 文件，也没有 .shp 文件".into()))?;
        let text = String::from_utf8(unzip(&mut zip, &kml)?)
            .map_err(|e| bad(format!("{kml} 不是 UTF-8 文本：{e}")))?;
        return kml_to_geojson(&text).map_err(bad);
    }
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if text.trim_ascii_start().starts_with(b"<") {
        let text =
            std::str::from_utf8(text).map_err(|e| bad(format!("KML 文件须为 UTF-8 文本：{e}")))?;
        return kml_to_geojson(text).map_err(bad);
    }
    serde_json::from_slice(text).map_err(|e| {
        AppError::bad(
            "invalid_json",
            format!("文件不是有效的 GeoJSON（也不是 KML、KMZ 或 Shapefile 压缩包）：{e}"),
        )
    })
}

/// The name of the first file in the zip ending in `ext` (any case).
fn find(zip: &zip::ZipArchive<Cursor<&[u8]>>, ext: &str) -> Option<String> {
    zip.file_names()
        .find(|n| n.to_ascii_lowercase().ends_with(ext))
        .map(str::to_owned)
}

fn unzip(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Result<Vec<u8>, AppError> {
    let entry = zip
        .by_name(name)
        .map_err(|e| bad(format!("{name} 无法解压：{e}")))?;
    let mut out = Vec::new();
    entry
        .take(UNZIPPED_MAX_BYTES)
        .read_to_end(&mut out)
        .map_err(|e| bad(format!("{name} 无法解压：{e}")))?;
    Ok(out)
}

/// The .dbf's text encoding, from the .cpg beside it (`GBK`, `936`, `UTF-8` …); without one,
/// GBK, as Chinese GIS software writes.
fn code_page(cpg: Option<&str>) -> &'static encoding_rs::Encoding {
    let name = cpg.unwrap_or_default().trim().to_ascii_uppercase();
    match name.as_str() {
        "UTF-8" | "UTF8" | "65001" => encoding_rs::UTF_8,
        "GB18030" | "54936" => encoding_rs::GB18030,
        _ => encoding_rs::GBK,
    }
}

/// A zipped Shapefile as a FeatureCollection (with a `crs` naming its Gauss-Krüger zone when
/// its .prj is one, for the importer to turn into longitude and latitude).
fn shapefile_document(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    shp_name: &str,
) -> Result<Value, AppError> {
    let dbf_name = find(zip, ".dbf")
        .ok_or_else(|| bad(format!("压缩包里有 {shp_name}，但缺少同名的 .dbf 属性表")))?;
    let shp = unzip(zip, shp_name)?;
    let dbf = unzip(zip, &dbf_name)?;
    let cpg = match find(zip, ".cpg") {
        Some(n) => Some(String::from_utf8_lossy(&unzip(zip, &n)?).into_owned()),
        None => None,
    };
    let zone = match find(zip, ".prj") {
        Some(n) => GaussKruger::of_prj(&String::from_utf8_lossy(&unzip(zip, &n)?)).map_err(bad)?,
        None => None,
    };
    let unreadable = |e: shapefile::Error| bad(format!("Shapefile 无法读取：{e}"));
    let shapes = shapefile::ShapeReader::new(Cursor::new(shp)).map_err(unreadable)?;
    let encoding = shapefile::dbase::encoding::EncodingRs::from(code_page(cpg.as_deref()));
    let records = shapefile::dbase::Reader::new_with_encoding(Cursor::new(dbf), encoding)
        .map_err(|e| bad(format!("属性表 {dbf_name} 无法读取：{e}")))?;
    let mut reader = shapefile::Reader::new(shapes, records);
    let mut features = Vec::new();
    for item in reader.iter_shapes_and_records() {
        let (shape, record) = item.map_err(unreadable)?;
        let mut props = Map::new();
        for (field, value) in record {
            props.insert(field, cell(value));
        }
        features
            .push(json!({"type": "Feature", "properties": props, "geometry": geometry(&shape)}));
    }
    let mut doc = json!({"type": "FeatureCollection", "features": features});
    if let Some(z) = zone {
        doc["crs"] = json!({"type": "name", "properties": {"name": format!("urn:ogc:def:crs:EPSG::{}", z.epsg)}});
    }
    Ok(doc)
}

fn cell(value: shapefile::dbase::FieldValue) -> Value {
    use shapefile::dbase::FieldValue as F;
    match value {
        F::Character(Some(s)) | F::Memo(s) => Value::String(s.trim().to_owned()),
        F::Numeric(Some(n)) | F::Double(n) | F::Currency(n) => json!(n),
        F::Float(Some(n)) => json!(f64::from(n)),
        F::Integer(n) => json!(n),
        F::Logical(Some(b)) => json!(b),
        _ => Value::Null,
    }
}

/// A Shapefile polygon as GeoJSON: each outer ring starts a polygon, inner rings are its
/// holes; other shapes carry no boundary.
fn geometry(shape: &shapefile::Shape) -> Value {
    let shapefile::Shape::Polygon(p) = shape else {
        return Value::Null;
    };
    let mut polygons: Vec<Vec<Value>> = Vec::new();
    for ring in p.rings() {
        let (outer, points) = match ring {
            shapefile::PolygonRing::Outer(pts) => (true, pts),
            shapefile::PolygonRing::Inner(pts) => (false, pts),
        };
        let coords: Vec<Value> = points.iter().map(|pt| json!([pt.x, pt.y])).collect();
        match polygons.last_mut() {
            Some(last) if !outer => last.push(Value::Array(coords)),
            _ => polygons.push(vec![Value::Array(coords)]),
        }
    }
    match polygons.len() {
        0 => Value::Null,
        1 => json!({"type": "Polygon", "coordinates": polygons[0]}),
        _ => json!({"type": "MultiPolygon", "coordinates": polygons}),
    }
}

/// WKT of WGS-84 longitude and latitude, the `.prj` of an exported Shapefile.
const WGS84_PRJ: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;

/// Attribute columns of an exported Shapefile (dBase names are at most 10 letters).
const SHP_FIELDS: [(&str, &str, u8); 5] = [
    ("code", "code", 20),
    ("name", "name", 100),
    ("level", "level", 20),
    ("class", "class", 20),
    ("parent", "parent_code", 20),
];

/// An export (a FeatureCollection) as a zipped Shapefile — `.shp`, `.shx`, `.dbf` (UTF-8, said
/// by the `.cpg`), `.prj` (WGS-84) — the nodes with a boundary, with the import's attributes,
/// so the file opens in QGIS or ArcGIS and imports again. Built in a private scratch directory
/// under `dir`, removed afterwards.
pub fn shapefile_zip(doc: &Value, dir: &std::path::Path) -> Result<Vec<u8>, AppError> {
    use shapefile::dbase::{FieldValue, Record, TableWriterBuilder};
    let internal = |e: String| AppError::Internal(format!("shapefile export: {e}"));
    shanzhi_store::files::private_dir(dir).map_err(|e| internal(e.to_string()))?;
    let scratch = dir.join(format!("export-{:016x}", rand::random::<u64>()));
    shanzhi_store::files::private_dir(&scratch).map_err(|e| internal(e.to_string()))?;
    let result = (|| {
        let path = scratch.join("regions.shp");
        let table =
            SHP_FIELDS
                .iter()
                .try_fold(TableWriterBuilder::new(), |t, (name, _, len)| {
                    let field = (*name)
                        .try_into()
                        .map_err(|e: &str| internal(e.to_owned()))?;
                    Ok::<_, AppError>(t.add_character_field(field, *len))
                })?;
        let mut writer =
            shapefile::Writer::from_path(&path, table).map_err(|e| internal(e.to_string()))?;
        for f in doc["features"].as_array().into_iter().flatten() {
            let Some(polygon) = polygon_of(&f["geometry"]) else {
                continue;
            };
            let mut record = Record::default();
            for (name, key, _) in SHP_FIELDS {
                let text = f["properties"][key].as_str().map(str::to_owned);
                record.insert(name.to_owned(), FieldValue::Character(text));
            }
            writer
                .write_shape_and_record(&polygon, &record)
                .map_err(|e| internal(e.to_string()))?;
        }
        drop(writer);
        let mut out = Vec::new();
        let mut zip = zip::ZipWriter::new(Cursor::new(&mut out));
        let options = zip::write::SimpleFileOptions::default();
        let mut add = |name: &str, bytes: &[u8]| -> Result<(), AppError> {
            zip.start_file(name, options)
                .map_err(|e| internal(e.to_string()))?;
            std::io::Write::write_all(&mut zip, bytes).map_err(|e| internal(e.to_string()))
        };
        for ext in ["shp", "shx", "dbf"] {
            let bytes =
                std::fs::read(path.with_extension(ext)).map_err(|e| internal(e.to_string()))?;
            add(&format!("regions.{ext}"), &bytes)?;
        }
        add("regions.prj", WGS84_PRJ.as_bytes())?;
        add("regions.cpg", b"UTF-8")?;
        zip.finish().map_err(|e| internal(e.to_string()))?;
        Ok(out)
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// A GeoJSON Polygon or MultiPolygon as one Shapefile polygon (outer rings and their holes).
fn polygon_of(geometry: &Value) -> Option<shapefile::Polygon> {
    let polygons: Vec<&Value> = match geometry["type"].as_str()? {
        "Polygon" => vec![&geometry["coordinates"]],
        "MultiPolygon" => geometry["coordinates"].as_array()?.iter().collect(),
        _ => return None,
    };
    let mut rings = Vec::new();
    for p in polygons {
        for (i, ring) in p.as_array()?.iter().enumerate() {
            let points: Vec<shapefile::Point> = ring
                .as_array()?
                .iter()
                .filter_map(|pt| Some(shapefile::Point::new(pt[0].as_f64()?, pt[1].as_f64()?)))
                .collect();
            rings.push(if i == 0 {
                shapefile::PolygonRing::Outer(points)
            } else {
                shapefile::PolygonRing::Inner(points)
            });
        }
    }
    (!rings.is_empty()).then(|| shapefile::Polygon::with_rings(rings))
}
