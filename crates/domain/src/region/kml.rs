//! KML boundary files (Google Earth, 奥维, QGIS and ArcGIS exports) read as the GeoJSON the
//! importer takes: each Placemark a Feature, its `<name>` and its ExtendedData (`Data` and
//! `SimpleData`) the properties, its Polygons (in a MultiGeometry too) the geometry; and
//! exports written back the same way. KML is always longitude and latitude (WGS-84).

use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::{Map, Value, json};

/// A Placemark being read.
#[derive(Default)]
struct Placemark {
    name: Option<String>,
    props: Map<String, Value>,
    polygons: Vec<Vec<Value>>,
}

/// Reads KML text into a GeoJSON FeatureCollection; the problem in words when it is not KML.
pub fn kml_to_geojson(text: &str) -> Result<Value, String> {
    let mut reader = Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut features = Vec::new();
    let mut mark: Option<Placemark> = None;
    let mut polygon: Option<Vec<Value>> = None;
    let mut field: Option<String> = None;
    let mut buf = String::new();
    let mut saw_kml = false;
    loop {
        let event = reader.read_event().map_err(|e| {
            format!(
                "KML 文件格式错误（第 {} 字节附近）：{e}",
                reader.buffer_position()
            )
        })?;
        if crate::xml::gather(&event, &mut buf)? {
            continue;
        }
        match event {
            Event::Start(e) => {
                let tag = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                match tag.as_str() {
                    "kml" => saw_kml = true,
                    "Placemark" => mark = Some(Placemark::default()),
                    "Polygon" => polygon = Some(Vec::new()),
                    "Data" | "SimpleData" => {
                        field = e
                            .try_get_attribute("name")
                            .ok()
                            .flatten()
                            .and_then(|a| a.decode_and_unescape_value(reader.decoder()).ok())
                            .map(|v| v.trim().to_owned());
                    }
                    _ => {}
                }
                buf.clear();
                path.push(tag);
            }
            Event::End(_) => {
                let tag = path.pop().unwrap_or_default();
                let parent = path.last().map(String::as_str);
                let text = buf.trim().to_owned();
                buf.clear();
                match (tag.as_str(), mark.as_mut()) {
                    ("name", Some(m)) if parent == Some("Placemark") => m.name = Some(text),
                    ("value", Some(m)) if parent == Some("Data") => {
                        if let Some(f) = field.take() {
                            m.props.insert(f, Value::String(text));
                        }
                    }
                    ("SimpleData", Some(m)) => {
                        if let Some(f) = field.take() {
                            m.props.insert(f, Value::String(text));
                        }
                    }
                    ("coordinates", Some(_)) => {
                        if let Some(p) = polygon.as_mut() {
                            p.push(ring(&text)?);
                        }
                    }
                    ("Polygon", Some(m)) => m.polygons.extend(polygon.take()),
                    ("Placemark", Some(_)) => features.extend(mark.take().map(feature)),
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_kml {
        return Err("不是 KML 文件（缺少 kml 根元素）".into());
    }
    Ok(json!({"type": "FeatureCollection", "features": features}))
}

/// A `coordinates` text (`lon,lat[,alt]` tuples separated by white space) as a GeoJSON ring.
fn ring(text: &str) -> Result<Value, String> {
    text.split_whitespace()
        .map(|tuple| {
            let mut parts = tuple.split(',').map(str::parse::<f64>);
            match (parts.next(), parts.next()) {
                (Some(Ok(lon)), Some(Ok(lat))) => Ok(json!([lon, lat])),
                _ => Err(format!("KML 坐标“{tuple}”应为 经度,纬度")),
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

fn feature(m: Placemark) -> Value {
    let mut props = m.props;
    let named = props.keys().any(|k| {
        ["name", "名称", "mc"]
            .iter()
            .any(|n| k.eq_ignore_ascii_case(n))
    });
    if let (Some(name), false) = (m.name, named) {
        props.insert("name".into(), Value::String(name));
    }
    let geometry = match m.polygons.len() {
        0 => Value::Null,
        1 => json!({"type": "Polygon", "coordinates": m.polygons[0]}),
        _ => json!({"type": "MultiPolygon", "coordinates": m.polygons}),
    };
    json!({"type": "Feature", "properties": props, "geometry": geometry})
}

/// Writes a GeoJSON FeatureCollection (an export) as KML: each Feature a Placemark named by
/// its `name`, every property in ExtendedData (so the file imports again), Polygons and
/// MultiPolygons as KML polygons, coordinates written to the last digit they hold.
pub fn geojson_to_kml(doc: &Value) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document>\n",
    );
    for f in doc["features"].as_array().into_iter().flatten() {
        let props = f["properties"].as_object();
        let name = props
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        out.push_str(&format!(
            "<Placemark><name>{}</name><ExtendedData>",
            escape(name)
        ));
        for (k, v) in props.into_iter().flatten() {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Null => continue,
                other => other.to_string(),
            };
            out.push_str(&format!(
                "<Data name=\"{}\"><value>{}</value></Data>",
                escape(k),
                escape(&text)
            ));
        }
        out.push_str("</ExtendedData>");
        let coords = &f["geometry"]["coordinates"];
        match f["geometry"]["type"].as_str() {
            Some("Polygon") => polygon(&mut out, coords),
            Some("MultiPolygon") => {
                out.push_str("<MultiGeometry>");
                for p in coords.as_array().into_iter().flatten() {
                    polygon(&mut out, p);
                }
                out.push_str("</MultiGeometry>");
            }
            _ => {}
        }
        out.push_str("</Placemark>\n");
    }
    out.push_str("</Document></kml>\n");
    out
}

fn polygon(out: &mut String, rings: &Value) {
    out.push_str("<Polygon>");
    for (i, ring) in rings.as_array().into_iter().flatten().enumerate() {
        let side = if i == 0 {
            "outerBoundaryIs"
        } else {
            "innerBoundaryIs"
        };
        let points: Vec<String> = ring
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| Some(format!("{},{}", p[0].as_f64()?, p[1].as_f64()?)))
            .collect();
        out.push_str(&format!(
            "<{side}><LinearRing><coordinates>{}</coordinates></LinearRing></{side}>",
            points.join(" ")
        ));
    }
    out.push_str("</Polygon>");
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placemarks_become_features() {
        let kml = r##"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder>
  <Placemark><name>东湖社区第九网格</name>
    <ExtendedData><SchemaData schemaUrl="#grids"><SimpleData name="编码">450802001001009</SimpleData></SchemaData></ExtendedData>
    <Polygon><outerBoundaryIs><LinearRing><coordinates>
      109.60,23.10,0 109.61,23.10,0 109.61,23.11,0 109.60,23.11,0 109.60,23.10,0
    </coordinates></LinearRing></outerBoundaryIs></Polygon>
  </Placemark>
  <Placemark><name>R&amp;D 园区</name>
    <ExtendedData><Data name="code"><value>450802001001010</value></Data></ExtendedData>
    <MultiGeometry>
      <Polygon><outerBoundaryIs><LinearRing><coordinates>1,1 2,1 2,2 1,1</coordinates></LinearRing></outerBoundaryIs></Polygon>
      <Polygon><outerBoundaryIs><LinearRing><coordinates>3,3 4,3 4,4 3,3</coordinates></LinearRing></outerBoundaryIs></Polygon>
    </MultiGeometry>
  </Placemark>
</Folder></Document></kml>"##;
        let doc = kml_to_geojson(kml).expect("read");
        let f = doc["features"].as_array().expect("features");
        assert_eq!(f.len(), 2);
        assert_eq!(f[0]["properties"]["编码"], "450802001001009");
        assert_eq!(f[0]["properties"]["name"], "东湖社区第九网格");
        assert_eq!(f[0]["geometry"]["type"], "Polygon");
        assert_eq!(
            f[0]["geometry"]["coordinates"][0][1],
            json!([109.61, 23.10])
        );
        assert_eq!(f[1]["properties"]["name"], "R&D 园区");
        assert_eq!(f[1]["geometry"]["type"], "MultiPolygon");
        assert!(kml_to_geojson("<html></html>").is_err());
        // What is written reads back the same.
        let again = kml_to_geojson(&geojson_to_kml(&doc)).expect("round trip");
        assert_eq!(
            again["features"][1]["geometry"],
            doc["features"][1]["geometry"]
        );
        assert_eq!(again["features"][1]["properties"]["name"], "R&D 园区");
        assert_eq!(
            again["features"][0]["properties"]["编码"],
            "450802001001009"
        );
        assert!(kml_to_geojson("<kml><Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>a,b</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>").is_err());
    }
}
