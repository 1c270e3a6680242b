//! The region tree over the JSON API: scope, tree rules, imports, exports, coverage, locate.

use crate::common::{TestApp, error_code};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shanzhi_domain::geo::{Crs, wgs84_to_gcj02};

const OWN_GRID: &str = "450802001001001";
const OTHER_GRID: &str = "450802001001002";

#[tokio::test]
async fn grid_worker_sees_only_its_own_grid() {
    let app = TestApp::demo().await;
    let t = app.token("wg0101").await;
    let (s, body) = app.get(&format!("/api/v1/regions/{OWN_GRID}"), &t).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["node"]["name"], "东湖社区第一网格");
    assert_eq!(body["counts"]["micro_grid"], 4);

    for path in [
        format!("/api/v1/regions/{OTHER_GRID}"),
        format!("/api/v1/regions/{OTHER_GRID}/children"),
        format!("/api/v1/regions/{OTHER_GRID}/history"),
        "/api/v1/regions/450802001001".into(),
        "/api/v1/regions?root=450802001001".into(),
        "/api/v1/regions/export?root=450802".into(),
    ] {
        let (s, body) = app.get(&path, &t).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!(error_code(&body), "not_found");
        assert!(
            !body.to_string().contains("东湖社区第二网格"),
            "404 must not hint at contents"
        );
    }
    let (s, _) = app
        .patch(
            &format!("/api/v1/regions/{OTHER_GRID}"),
            &t,
            json!({"name": "改名"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "a grid worker never edits the tree: the feature is refused, whatever the node"
    );
    let leader = app.token("wgz01").await;
    let (s, _) = app
        .patch(
            &format!("/api/v1/regions/{OTHER_GRID}"),
            &leader,
            json!({"name": "改名"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "writes outside scope are 404, not 403"
    );

    let (s, page) = app.get("/api/v1/regions", &t).await;
    assert_eq!(s, StatusCode::OK);
    let codes: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes.len(),
        5,
        "own grid and its four micro-grids: {codes:?}"
    );
    assert!(codes.iter().all(|c| c.starts_with(OWN_GRID)));
}

#[tokio::test]
async fn officers_manage_grids_by_the_tree_rules_and_codes_are_never_reused() {
    let app = TestApp::demo().await;
    let t = app.token("sq01").await;
    let community = "450802001001";
    let new_code = format!("{community}020");
    let (s, body) = app
        .post(
            "/api/v1/regions",
            &t,
            json!({"code": new_code, "name": "东湖社区第二十网格"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["parent_code"], community);
    assert_eq!(body["level"], "grid");

    // Skipping a level, a bad code, a duplicate, someone else's community, a community itself.
    let cases = [
        (
            json!({"code": "450802001001020001", "name": "x", "class": "dedicated"}),
            StatusCode::BAD_REQUEST,
            "tree_rule",
        ),
        (
            json!({"code": "45080200100102", "name": "x"}),
            StatusCode::BAD_REQUEST,
            "invalid_code",
        ),
        (
            json!({"code": new_code, "name": "重复"}),
            StatusCode::CONFLICT,
            "conflict",
        ),
        (
            json!({"code": "450802001002030", "name": "别人的"}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            json!({"code": "450802001009", "name": "新社区"}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            json!({"code": "450802001001021", "name": "专属", "class": "dedicated"}),
            StatusCode::BAD_REQUEST,
            "tree_rule",
        ),
    ];
    for (req, status, code) in cases {
        let (s, body) = app.post("/api/v1/regions", &t, req.clone()).await;
        assert_eq!((s, error_code(&body)), (status, code), "{req}: {body}");
    }

    let (s, body) = app
        .patch(
            &format!("/api/v1/regions/{new_code}"),
            &t,
            json!({"name": "东湖社区幸福网格"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "东湖社区幸福网格");
    assert_eq!(
        body["code"], new_code,
        "the code is the identity and never changes"
    );
    let (s, _) = app
        .patch(
            &format!("/api/v1/regions/{community}"),
            &t,
            json!({"name": "x"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "an officer sees but cannot rename its own community"
    );

    let (s, body) = app
        .post(
            &format!("/api/v1/regions/{new_code}/retire"),
            &t,
            json!({"reason": " "}),
        )
        .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::BAD_REQUEST, "reason_required")
    );
    // The grid still has open cases and its workers' accounts: not without saying where
    // they go.
    let open_in = |code: &'static str| {
        let app = &app;
        async move {
            let mut conn = app.state().store().conn().await.unwrap();
            let (n,): (i64,) = shanzhi_store::Exec::one(
                &mut conn,
                shanzhi_store::Sql::new(
                    "SELECT COUNT(*) FROM cases WHERE node_code >= ? AND node_code < ? AND stage IN \
                     ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified')",
                )
                .bind(code)
                .bind(format!("{code}:")),
            )
            .await
            .unwrap();
            n
        }
    };
    let worker = app.token("wg0101").await;
    let (s, _) = app
        .post(
            "/api/v1/cases",
            &worker,
            json!({"category": "03", "title": "垃圾满溢", "description": "东门垃圾桶满溢", "node_code": OWN_GRID}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (own_open, other_open) = (open_in(OWN_GRID).await, open_in(OTHER_GRID).await);
    assert!(own_open > 0);
    let (s, body) = app
        .post(
            &format!("/api/v1/regions/{OWN_GRID}/retire"),
            &t,
            json!({"reason": "网格调整合并"}),
        )
        .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "node_not_empty"),
        "{body}"
    );
    assert_eq!(body["error"]["details"]["open_cases"], own_open);
    assert!(body["error"]["details"]["accounts"].as_i64().unwrap() >= 1);
    let (s, body) = app
        .post(
            &format!("/api/v1/regions/{OWN_GRID}/retire"),
            &t,
            json!({"reason": "网格调整合并", "move_to": "450802001001002001"}),
        )
        .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_successor"),
        "only the parent or a sibling takes them: {body}"
    );
    let (s, body) = app
        .post(
            &format!("/api/v1/regions/{OWN_GRID}/retire"),
            &t,
            json!({"reason": "网格调整合并", "move_to": OTHER_GRID}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        body["retired"].as_array().unwrap().len(),
        5,
        "the grid and its micro-grids"
    );
    assert_eq!(body["moved"]["open_cases"], own_open);
    assert_eq!(open_in(OWN_GRID).await, 0);
    assert_eq!(open_in(OTHER_GRID).await, other_open + own_open);
    let (s, _) = app.get("/api/v1/me", &worker).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "the grid's accounts are stopped"
    );

    let (_, node) = app.get(&format!("/api/v1/regions/{OWN_GRID}"), &t).await;
    assert_eq!(
        node["node"]["retired"], true,
        "retired nodes keep their record"
    );
    let (_, history) = app
        .get(&format!("/api/v1/regions/{OWN_GRID}/history"), &t)
        .await;
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["imported", "retired"]);
    let (_, kids) = app
        .get(&format!("/api/v1/regions/{community}/children"), &t)
        .await;
    assert!(
        kids.as_array()
            .unwrap()
            .iter()
            .all(|k| k["code"] != OWN_GRID)
    );
    let (s, _) = app
        .post(
            "/api/v1/regions",
            &t,
            json!({"code": OWN_GRID, "name": "复用旧编码"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "a retired code is never reused");
    let (s, _) = app
        .post(
            &format!("/api/v1/regions/{OWN_GRID}/retire"),
            &t,
            json!({"reason": "再撤"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "a retired node cannot be changed");

    // Within 30 days the same level brings it back, micro-grids and all.
    let (s, body) = app
        .post(
            &format!("/api/v1/regions/{OWN_GRID}/restore"),
            &t,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["restored"].as_array().unwrap().len(), 5);
    let (_, node) = app.get(&format!("/api/v1/regions/{OWN_GRID}"), &t).await;
    assert_eq!(node["node"]["retired"], false);
    let (s, _) = app
        .post(
            &format!("/api/v1/regions/{OWN_GRID}/restore"),
            &t,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing to restore");
}

fn square(x: f64, y: f64, w: f64, h: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]]})
}

fn feature(code: &str, name: &str, geometry: Value, extra: Value) -> Value {
    let mut props = json!({"code": code, "name": name});
    props
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    json!({"type": "Feature", "properties": props, "geometry": geometry})
}

async fn region_count(app: &TestApp, t: &str) -> usize {
    let (_, page) = app.get("/api/v1/regions?limit=500", t).await;
    page["items"].as_array().map_or(0, Vec::len)
}

/// A boundary file as QGIS saves it for a Chinese district: Chinese property keys, codes kept
/// as numbers, CGCS2000 longitude and latitude declared in `crs`, goes in; so does one in a
/// CGCS2000 Gauss-Krüger zone (metres), reprojected; another projection is refused, named.
#[tokio::test]
async fn a_qgis_file_with_chinese_keys_and_numeric_codes_goes_in() {
    let app = TestApp::empty().await;
    let t = app.token("admin").await;
    let crs = |epsg: u32| json!({"type": "name", "properties": {"name": format!("urn:ogc:def:crs:EPSG::{epsg}")}});
    let qgis = |code: f64, name: &str, geometry: Value| json!({"type": "Feature", "properties": {"编码": code, "名称": name}, "geometry": geometry});
    let doc = json!({"type": "FeatureCollection", "crs": crs(4490), "features": [
        qgis(450802.0, "港北区", square(109.0, 23.0, 0.1, 0.1)),
        qgis(450802001.0, "贵城街道", square(109.0, 23.0, 0.05, 0.05)),
    ]});
    let (s, body) = app.post("/api/v1/regions/import", &t, doc).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["imported"], 2, "{body}");
    let (s, node) = app.get("/api/v1/regions/450802001", &t).await;
    assert_eq!(s, StatusCode::OK, "{node}");
    assert_eq!(node["node"]["name"], "贵城街道");

    // A street surveyed in CGCS2000 Gauss-Krüger (EPSG:4546, central meridian 111°E), in metres
    // as the surveying office delivers it: turned into longitude and latitude on the way in.
    let zone = shanzhi_domain::geo::GaussKruger::of_epsg(4546).expect("zone");
    let corners = [
        (109.06, 23.06),
        (109.09, 23.06),
        (109.09, 23.09),
        (109.06, 23.09),
        (109.06, 23.06),
    ];
    let ring: Vec<Value> = corners
        .iter()
        .map(|(lon, lat)| {
            let (x, y) = zone.from_lon_lat(*lon, *lat).expect("project");
            json!([x, y])
        })
        .collect();
    let metres = json!({"type": "Polygon", "coordinates": [ring]});
    let projected = json!({"type": "FeatureCollection", "crs": crs(4546), "features": [
        qgis(450802002.0, "港城街道", metres),
    ]});
    let (s, body) = app.post("/api/v1/regions/import", &t, projected).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, located) = app.get("/api/v1/locate?lon=109.075&lat=23.075", &t).await;
    assert_eq!(s, StatusCode::OK, "{located}");
    assert_eq!(located["node"]["code"], "450802002", "{located}");
    let (_, outside) = app.get("/api/v1/locate?lon=109.055&lat=23.075", &t).await;
    assert_ne!(outside["node"]["code"], "450802002", "{outside}");

    // A projection it cannot turn is named, with what to do.
    let xian80 = json!({"type": "FeatureCollection", "crs": crs(2383), "features": [
        qgis(450802003.0, "江南街道", Value::Null),
    ]});
    let (s, body) = app.post("/api/v1/regions/import", &t, xian80).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let says = body.to_string();
    assert!(
        says.contains("EPSG:2383") && says.contains("EPSG:4490"),
        "{body}"
    );
}

/// A boundary file (any kind: GeoJSON, KML, KMZ, a zipped Shapefile) posted to the import.
async fn import_file(app: &TestApp, token: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let r = app
        .client
        .post(format!("{}/api/v1/regions/import", app.base))
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .expect("import");
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// The boundary export of 450802 in `format`, as bytes.
async fn export_file(app: &TestApp, token: &str, format: &str) -> Vec<u8> {
    let r = app
        .client
        .get(format!(
            "{}/api/v1/regions/export?root=450802&format={format}",
            app.base
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("export");
    assert_eq!(r.status(), StatusCode::OK);
    r.bytes().await.expect("bytes").to_vec()
}

/// Boundaries drawn in Google Earth or 奥维 come as KML, or zipped as KMZ: each Placemark a
/// node (its name, its code in ExtendedData), each Polygon its boundary.
#[tokio::test]
async fn kml_and_kmz_boundary_files_go_in() {
    let app = TestApp::empty().await;
    let t = app.token("admin").await;
    let placemark = |code: &str, name: &str, (x, y, w): (f64, f64, f64)| {
        format!(
            "<Placemark><name>{name}</name><ExtendedData><Data name=\"编码\"><value>{code}</value></Data></ExtendedData>\
             <Polygon><outerBoundaryIs><LinearRing><coordinates>{x},{y},0 {},{y},0 {},{},0 {x},{},0 {x},{y},0</coordinates>\
             </LinearRing></outerBoundaryIs></Polygon></Placemark>",
            x + w,
            x + w,
            y + w,
            y + w
        )
    };
    let kml = |marks: &[String]| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document>{}</Document></kml>",
            marks.concat()
        )
    };
    let district = kml(&[
        placemark("450802", "港北区", (109.0, 23.0, 0.1)),
        placemark("450802001", "贵城街道", (109.0, 23.0, 0.05)),
    ]);
    let (s, body) = import_file(&app, &t, district.into_bytes()).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["imported"], 2, "{body}");

    let mut kmz = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut kmz));
        zip.start_file("doc.kml", zip::write::SimpleFileOptions::default())
            .expect("entry");
        let street = kml(&[placemark("450802002", "港城街道", (109.06, 23.06, 0.03))]);
        std::io::Write::write_all(&mut zip, street.as_bytes()).expect("write");
        zip.finish().expect("zip");
    }
    let (s, body) = import_file(&app, &t, kmz).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (_, located) = app.get("/api/v1/locate?lon=109.075&lat=23.075", &t).await;
    assert_eq!(located["node"]["code"], "450802002", "{located}");

    let (s, body) = import_file(&app, &t, b"<html><body>not a map</body></html>".to_vec()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.to_string().contains("KML"), "{body}");

    // Out again as KML: the same nodes and boundaries as the GeoJSON export.
    let (_, geojson) = app.get("/api/v1/regions/export?root=450802", &t).await;
    let kml = String::from_utf8(export_file(&app, &t, "kml").await).expect("UTF-8");
    let back = shanzhi_domain::region::kml_to_geojson(&kml).expect("KML reads back");
    let nodes = |doc: &Value| -> Vec<(Value, Value)> {
        doc["features"]
            .as_array()
            .expect("features")
            .iter()
            .map(|f| (f["properties"]["code"].clone(), f["geometry"].clone()))
            .collect()
    };
    assert_eq!(nodes(&back), nodes(&geojson));
    assert_eq!(nodes(&back).len(), 3);
}

/// A zipped Shapefile as a natural-resources office delivers it: coordinates in CGCS2000
/// Gauss-Krüger (its .prj), attributes in GBK (its .cpg), Shapefile-style field names.
fn zipped_shapefile(
    dir: &std::path::Path,
    code: &str,
    name: &str,
    corners: &[(f64, f64)],
) -> Vec<u8> {
    use shapefile::dbase::{self, FieldValue, TableWriterBuilder};
    let zone = shanzhi_domain::geo::GaussKruger::of_epsg(4546).expect("zone");
    let path = dir.join("streets.shp");
    let table =
        TableWriterBuilder::with_encoding(dbase::encoding::EncodingRs::from(encoding_rs::GBK))
            .add_character_field("DM".try_into().expect("field"), 20)
            .add_character_field("MC".try_into().expect("field"), 50);
    let mut writer = shapefile::Writer::from_path(&path, table).expect("writer");
    let points: Vec<shapefile::Point> = corners
        .iter()
        .map(|(lon, lat)| {
            let (x, y) = zone.from_lon_lat(*lon, *lat).expect("project");
            shapefile::Point::new(x, y)
        })
        .collect();
    let polygon = shapefile::Polygon::new(shapefile::PolygonRing::Outer(points));
    let mut record = dbase::Record::default();
    record.insert("DM".into(), FieldValue::Character(Some(code.into())));
    record.insert("MC".into(), FieldValue::Character(Some(name.into())));
    writer
        .write_shape_and_record(&polygon, &record)
        .expect("write");
    drop(writer);
    let prj = r#"PROJCS["CGCS2000_3_Degree_GK_CM_111E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",111.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    let mut out = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut out));
        let options = zip::write::SimpleFileOptions::default();
        for ext in ["shp", "shx", "dbf"] {
            zip.start_file(format!("streets.{ext}"), options)
                .expect("entry");
            let bytes = std::fs::read(path.with_extension(ext)).expect("part");
            std::io::Write::write_all(&mut zip, &bytes).expect("write");
        }
        for (file, text) in [("streets.prj", prj), ("streets.cpg", "GBK")] {
            zip.start_file(file, options).expect("entry");
            std::io::Write::write_all(&mut zip, text.as_bytes()).expect("write");
        }
        zip.finish().expect("zip");
    }
    out
}

#[tokio::test]
async fn a_zipped_shapefile_in_gauss_krueger_with_gbk_attributes_goes_in() {
    let app = TestApp::empty().await;
    let t = app.token("admin").await;
    let doc = json!({"type": "FeatureCollection", "features": [
        feature("450802", "港北区", square(109.0, 23.0, 0.1, 0.1), json!({})),
    ]});
    let (s, body) = app.post("/api/v1/regions/import", &t, doc).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let dir = tempfile::tempdir().expect("dir");
    let corners = [
        (109.06, 23.06),
        (109.06, 23.09),
        (109.09, 23.09),
        (109.09, 23.06),
        (109.06, 23.06),
    ];
    let bytes = zipped_shapefile(dir.path(), "450802002", "港城街道", &corners);
    let (status, body) = import_file(&app, &t, bytes).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, node) = app.get("/api/v1/regions/450802002", &t).await;
    assert_eq!(
        node["node"]["name"], "港城街道",
        "GBK attributes read: {node}"
    );
    let (_, located) = app.get("/api/v1/locate?lon=109.075&lat=23.075", &t).await;
    assert_eq!(located["node"]["code"], "450802002", "{located}");

    // Out as a zipped Shapefile (WGS-84), and into another deployment as it is.
    let exported = export_file(&app, &t, "shp").await;
    let other = TestApp::empty().await;
    let ot = other.token("admin").await;
    let (status, body) = import_file(&other, &ot, exported).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["imported"], 2, "{body}");
    let (_, node) = other.get("/api/v1/regions/450802002", &ot).await;
    assert_eq!(node["node"]["name"], "港城街道", "{node}");
    let (_, located) = other
        .get("/api/v1/locate?lon=109.075&lat=23.075", &ot)
        .await;
    assert_eq!(located["node"]["code"], "450802002", "{located}");
}

#[tokio::test]
async fn a_bad_import_names_every_problem_and_writes_nothing() {
    let app = TestApp::empty().await;
    let t = app.token("admin").await;
    let bowtie = json!({"type": "Polygon", "coordinates": [[[109.0, 23.0], [109.1, 23.1], [109.1, 23.0], [109.0, 23.1], [109.0, 23.0]]]});
    let doc = json!({"type": "FeatureCollection", "features": [
        feature("450802", "港北区", square(109.0, 23.0, 0.1, 0.1), json!({})),
        feature("450802001", "贵城街道", bowtie, json!({})),
        feature("450802002", "港城街道", json!({"type": "Polygon", "coordinates": [[[109.0, 23.0]]]}), json!({})),
        feature("450803003", "前缀不符", Value::Null, json!({"parent_code": "450802"})),
    ]});
    let (s, body) = app.post("/api/v1/regions/import", &t, doc).await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "import_invalid"),
        "{body}"
    );
    let details = body["error"]["details"].as_array().unwrap();
    let idx: Vec<u64> = details
        .iter()
        .map(|d| d["index"].as_u64().unwrap())
        .collect();
    assert_eq!(
        idx,
        [1, 2],
        "geometry problems are found while parsing: {body}"
    );
    assert!(details[0]["message"].as_str().unwrap().contains("自相交"));
    assert_eq!(details[1]["code"], "450802002");

    let doc = json!({"type": "FeatureCollection", "features": [
        feature("450802", "港北区", Value::Null, json!({})),
        feature("450802001", "贵城街道", Value::Null, json!({})),
        feature("450802001", "重复", Value::Null, json!({})),
        feature("450802001001001", "跳级网格", Value::Null, json!({"parent_code": "450802001"})),
        feature("450802009001", "无上级", Value::Null, json!({})),
        feature("450803001001", "前缀不符", Value::Null, json!({"parent_code": "450802001"})),
        feature("450802001002", "层级不符", Value::Null, json!({"level": "grid"})),
    ]});
    let (s, body) = app.post("/api/v1/regions/import", &t, doc).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let details = body["error"]["details"].as_array().unwrap();
    assert_eq!(
        details.len(),
        1,
        "parse errors are reported before tree rules: {body}"
    );
    assert_eq!(details[0]["index"], 6);

    let doc = json!({"type": "FeatureCollection", "features": [
        feature("450802", "港北区", Value::Null, json!({})),
        feature("450802001", "贵城街道", Value::Null, json!({})),
        feature("450802001", "重复", Value::Null, json!({})),
        feature("450802001001001", "跳级网格", Value::Null, json!({"parent_code": "450802001"})),
        feature("450802009001", "无上级", Value::Null, json!({})),
        feature("450803001001", "前缀不符", Value::Null, json!({"parent_code": "450802001"})),
    ]});
    let (s, body) = app.post("/api/v1/regions/import", &t, doc).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let got: Vec<(u64, String)> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["index"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got.iter().map(|g| g.0).collect::<Vec<_>>(),
        [2, 3, 4, 5],
        "{got:?}"
    );
    assert!(
        got[0].1.contains("重复")
            && got[1].1.contains("跳级")
            && got[2].1.contains("不存在")
            && got[3].1.contains("开头")
    );
    assert_eq!(
        region_count(&app, &t).await,
        0,
        "an import with any bad feature writes nothing"
    );

    let (s, body) = app
        .call(Method::POST, "/api/v1/regions/import", Some(&t), None)
        .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_json")
    );
    let (s, body) = app
        .post("/api/v1/regions/import", &t, json!({"type": "Feature"}))
        .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "import_invalid")
    );
}

fn sorted_features(doc: &Value) -> Vec<Value> {
    let mut f = doc["features"].as_array().cloned().unwrap_or_default();
    f.sort_by(|a, b| {
        a["properties"]["code"]
            .as_str()
            .cmp(&b["properties"]["code"].as_str())
    });
    f
}

#[tokio::test]
async fn import_then_export_gives_back_the_same_tree_and_coverage_is_clean() {
    let app = TestApp::empty().await;
    let t = app.token("admin").await;
    let demo = shanzhi_app::demo::district().tree;
    let (s, report) = app.post("/api/v1/regions/import", &t, demo.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{report}");
    assert_eq!(
        report["imported"].as_u64().unwrap() as usize,
        demo["features"].as_array().unwrap().len()
    );
    let coverage = report["coverage"].as_array().unwrap();
    assert!(
        coverage.len() >= 16,
        "district, streets, communities and grids with micro-grids are checked"
    );
    for c in coverage
        .iter()
        .filter(|c| c["parent"].as_str().unwrap().len() <= 12)
    {
        assert_eq!(c["gaps"], json!([]), "{c}");
        assert_eq!(c["overlaps"], json!([]), "{c}");
        assert_eq!(c["outside"], json!([]), "{c}");
    }
    let resp = app
        .client
        .get(format!("{}/api/v1/regions/export?root=450802", app.base))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "application/geo+json");
    let exported: Value = resp.json().await.unwrap();
    let (got, want) = (sorted_features(&exported), sorted_features(&demo));
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(
            g["properties"], w["properties"],
            "properties of {}",
            w["properties"]["code"]
        );
        assert_eq!(
            g["geometry"], w["geometry"],
            "geometry of {}",
            w["properties"]["code"]
        );
        assert_eq!(g, w);
    }

    // The same file again: every code exists already (codes are never reused).
    let (s, body) = app.post("/api/v1/regions/import", &t, demo).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["message"].as_str().unwrap().contains("已存在"))
    );
}

#[tokio::test]
async fn coverage_reports_gaps_and_overlaps_with_codes_and_areas() {
    let app = TestApp::empty().await;
    let t = app.token("admin").await;
    let doc = json!({"type": "FeatureCollection", "features": [
        feature("450802", "港北区", Value::Null, json!({})),
        feature("450802001", "贵城街道", Value::Null, json!({})),
        feature("450802001001", "东湖社区", square(109.60, 23.10, 0.03, 0.01), json!({})),
        feature("450802001001001", "一网格", square(109.60, 23.10, 0.015, 0.01), json!({})),
        feature("450802001001002", "二网格", square(109.61, 23.10, 0.01, 0.01), json!({})),
        feature("450802001001003", "三网格", square(109.625, 23.10, 0.005, 0.01), json!({})),
        feature("450802001001901", "商圈", square(109.605, 23.102, 0.01, 0.004), json!({"class": "dedicated", "kind": "商圈"})),
    ]});
    let (s, report) = app.post("/api/v1/regions/import", &t, doc).await;
    assert_eq!(s, StatusCode::CREATED, "{report}");
    let c = report["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["parent"] == "450802001001")
        .unwrap()
        .clone();
    assert_eq!(c["overlaps"].as_array().unwrap().len(), 1, "{c}");
    assert_eq!(
        (
            c["overlaps"][0]["a"].as_str(),
            c["overlaps"][0]["b"].as_str()
        ),
        (Some("450802001001001"), Some("450802001001002"))
    );
    // 0.005° × 0.01° at 23.1°N ≈ 512 m × 1108 m.
    let overlap = c["overlaps"][0]["area_m2"].as_f64().unwrap();
    assert!((540_000.0..600_000.0).contains(&overlap), "{overlap}");
    assert_eq!(
        c["gaps"].as_array().unwrap().len(),
        1,
        "dedicated grids do not fill gaps: {c}"
    );
    let gap = c["gap_area_m2"].as_f64().unwrap();
    assert!((540_000.0..600_000.0).contains(&gap), "{gap}");
    let (s, again) = app.get("/api/v1/regions/450802001001/coverage", &t).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again, c);
    // Drawn on the boundaries page: the gap red, the overlap orange, both named in the list.
    let (browser, _) = crate::pages::logged_in(&app, "admin").await;
    let (_, page) = crate::common::fetch(&app, &browser, "/regions/450802001001/boundaries").await;
    assert!(
        page.contains("<g class=\"mark\">")
            && page.contains("<g class=\"mark overlap\">")
            && page.contains("重叠 1：一网格 与 二网格"),
        "{page}"
    );
}

#[tokio::test]
async fn locate_finds_the_deepest_grid_and_dedicated_grids_in_any_coordinate_system() {
    let app = TestApp::demo().await;
    let t = app.token("zhzx").await;
    // A point inside the 商圈 dedicated grid: the middle of its rectangle.
    let demo = shanzhi_app::demo::district().tree;
    let mall = demo["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["code"] == "450802001001901")
        .unwrap();
    let ring = mall["geometry"]["coordinates"][0].as_array().unwrap();
    let (x0, y0) = (ring[0][0].as_f64().unwrap(), ring[0][1].as_f64().unwrap());
    let (x1, y1) = (ring[2][0].as_f64().unwrap(), ring[2][1].as_f64().unwrap());
    let (lon, lat) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);

    let (s, wgs) = app
        .get(&format!("/api/v1/locate?lon={lon}&lat={lat}"), &t)
        .await;
    assert_eq!(s, StatusCode::OK, "{wgs}");
    let node = wgs["node"]["code"].as_str().unwrap();
    assert_eq!(
        wgs["node"]["level"], "micro_grid",
        "deepest comprehensive node: {wgs}"
    );
    assert!(node.starts_with("450802001001"));
    assert_eq!(wgs["dedicated"][0]["code"], "450802001001901");

    let (glon, glat) = wgs84_to_gcj02(lon, lat);
    let (_, gcj) = app
        .get(
            &format!("/api/v1/locate?lon={glon}&lat={glat}&crs=gcj02"),
            &t,
        )
        .await;
    assert_eq!(
        gcj["node"]["code"], node,
        "GCJ-02 input is converted before locating"
    );
    let (blon, blat) = Crs::Bd09.from_wgs84(lon, lat);
    let (_, bd) = app
        .get(
            &format!("/api/v1/locate?lon={blon}&lat={blat}&crs=bd09"),
            &t,
        )
        .await;
    assert_eq!(bd["node"]["code"], node);
    let (_, raw) = app
        .get(&format!("/api/v1/locate?lon={glon}&lat={glat}"), &t)
        .await;
    assert_ne!(
        raw["node"]["code"], node,
        "unconverted GCJ-02 lands ~500 m off"
    );

    let (s, body) = app.get("/api/v1/locate?lon=200&lat=23", &t).await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_coordinates")
    );
    let (s, _) = app.get("/api/v1/locate?lon=100&lat=10", &t).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, body) = app.get("/api/v1/locate?lon=abc&lat=10", &t).await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );

    // The index follows writes: redraw the dedicated grid elsewhere and locate follows it.
    let admin = app.token("admin").await;
    let (nlon, nlat) = (lon + 0.02, lat + 0.02);
    let (s, _) = app
        .patch(
            "/api/v1/regions/450802001001901",
            &admin,
            json!({"boundary": square(nlon - 0.001, nlat - 0.001, 0.002, 0.002)}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, old) = app
        .get(&format!("/api/v1/locate?lon={lon}&lat={lat}"), &t)
        .await;
    assert_eq!(old["dedicated"], json!([]));
    let (_, new) = app
        .get(&format!("/api/v1/locate?lon={nlon}&lat={nlat}"), &t)
        .await;
    assert_eq!(new["dedicated"][0]["code"], "450802001001901", "{new}");
}

#[tokio::test]
async fn subtree_listing_pages_through_every_grid_with_cursors() {
    let app = TestApp::demo().await;
    let t = app.token("zhzx").await;
    let mut codes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/regions?level=grid&limit=10&cursor={c}"),
            None => "/api/v1/regions?level=grid&limit=10".into(),
        };
        let (s, page) = app.get(&path, &t).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        codes.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["code"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(codes.len(), 87, "84 comprehensive + 3 dedicated grids");
    assert!(
        codes.windows(2).all(|w| w[0] < w[1]),
        "code order, no repeats"
    );
    let (s, body) = app.get("/api/v1/regions?cursor=***", &t).await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_cursor")
    );
    let (s, body) = app
        .get(
            "/api/v1/regions?cursor=bm90LWEtY29kZQ&level=grid&limit=0",
            &t,
        )
        .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_limit")
    );
    let (s, body) = app.get("/api/v1/regions?level=village", &t).await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
}

/// A revised boundary file redraws grids already registered: the preview names each grid's
/// area before and after and what would land in another grid, writing nothing; the revision
/// itself redraws both in one transaction and, asked to, moves the place and the open case
/// into the grid their position now lies in.
#[tokio::test]
async fn a_revised_boundary_file_redraws_grids_and_moves_what_now_lies_elsewhere() {
    let app = TestApp::demo().await;
    let t = app.token("zhzx").await;
    let (west, east) = ("450802001001090", "450802001001091");
    let tree = |split: f64| {
        json!({"type": "FeatureCollection", "features": [
            feature(west, "西片网格", square(109.80, 23.30, split, 0.01), json!({"level": "grid"})),
            feature(east, "东片网格", square(109.80 + split, 23.30, 0.03 - split, 0.01), json!({"level": "grid"})),
        ]})
    };
    let (s, b) = app.post("/api/v1/regions/import", &t, tree(0.015)).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (lon, lat) = (109.812, 23.305);
    let sq = app.token("sq01").await;
    let (s, place) = app
        .post(
            "/api/v1/places",
            &sq,
            json!({"name": "西片小食店", "kind": "九小场所", "address": "江北大道12号", "lon": lon, "lat": lat, "risk": "低"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{place}");
    let (s, case) = app
        .post(
            "/api/v1/cases",
            &t,
            json!({"category": "0201", "title": "楼道堆物", "description": "楼道堆放杂物堵塞通道", "lon": lon, "lat": lat}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{case}");
    let case_id = case["id"].as_i64().expect("case");
    let grid_of_case = || {
        let (app, t) = (&app, &t);
        async move {
            let (_, d) = app.get(&format!("/api/v1/cases/{case_id}"), t).await;
            d["case"]["node_code"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
    };
    assert_eq!(grid_of_case().await, west);

    // The revised file: the line between the two moves west of the place, and the east grid
    // takes a new name.
    let mut revised = tree(0.01);
    revised["features"][1]["properties"]["name"] = json!("东片新网格");
    let (s, b) = app
        .post("/api/v1/regions/import", &t, revised.clone())
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "refused without revise: {b}"
    );
    let (s, preview) = app
        .post(
            "/api/v1/regions/import?revise=true&replace=true&check_only=true",
            &t,
            revised.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{preview}");
    assert_eq!(preview["committed"], false);
    let areas: Vec<(f64, f64)> = preview["revised"]
        .as_array()
        .expect("revised")
        .iter()
        .map(|r| {
            (
                r["area_before_km2"].as_f64().unwrap_or_default(),
                r["area_after_km2"].as_f64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(areas.len(), 2, "{preview}");
    assert!(
        areas[0].1 < areas[0].0 && areas[1].1 > areas[1].0,
        "west shrinks, east grows: {areas:?}"
    );
    let moves = preview["moves"].as_array().expect("moves");
    let kinds: Vec<(&str, &str, &str)> = moves
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap_or_default(),
                m["from"].as_str().unwrap_or_default(),
                m["to"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("place", west, east)) && kinds.contains(&("case", west, east)),
        "{preview}"
    );
    let (_, located) = app
        .get(&format!("/api/v1/locate?lon={lon}&lat={lat}"), &t)
        .await;
    assert_eq!(
        located["node"]["code"], west,
        "the preview wrote nothing: {located}"
    );

    let (s, done) = app
        .post(
            "/api/v1/regions/import?revise=true&replace=true",
            &t,
            revised,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{done}");
    assert_eq!(done["replaced"], true);
    let (_, located) = app
        .get(&format!("/api/v1/locate?lon={lon}&lat={lat}"), &t)
        .await;
    assert_eq!(located["node"]["code"], east, "{located}");
    assert_eq!(grid_of_case().await, east);
    let (_, node) = app.get(&format!("/api/v1/regions/{east}"), &t).await;
    assert_eq!(node["node"]["name"], "东片新网格", "{node}");
    let (_, places) = app.get(&format!("/api/v1/places?node={east}"), &sq).await;
    assert!(places.to_string().contains("西片小食店"), "{places}");
}

/// The boundaries page: coverage, the boundary file out, and a file in previewed then written
/// without choosing it again.
#[tokio::test]
async fn the_boundaries_page_previews_an_import_and_writes_it_on_confirmation() {
    use reqwest::multipart::Form;
    let app = TestApp::demo().await;
    let (browser, _) = crate::pages::logged_in(&app, "zhzx").await;
    let community = "450802001001";
    let at = format!("/regions/{community}/boundaries");
    let (s, html) = crate::common::fetch(&app, &browser, &at).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("覆盖检查") && html.contains("Shapefile（zip）"),
        "{html}"
    );
    let (s, exported) =
        crate::common::fetch(&app, &browser, &format!("{at}/export?format=geojson")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(exported.contains("FeatureCollection") && exported.contains(community));

    let doc = json!({"type": "FeatureCollection", "features": [
        feature("450802001001095", "新建网格", square(109.80, 23.30, 0.01, 0.01), json!({"level": "grid"})),
    ]});
    let send = |form: Form| post_page(&app, &browser, &at, form);
    let preview = send(upload_form(&html, &doc)).await;
    assert!(
        preview.contains("预览：将新建 1 个节点") && preview.contains("确认写入"),
        "{preview}"
    );
    let (_, located) = app
        .get("/api/v1/regions/450802001001095", &app.token("zhzx").await)
        .await;
    assert!(located.get("node").is_none(), "not written yet: {located}");
    let hidden = hidden_doc(&preview);
    let form = Form::new()
        .text("_csrf", crate::pages::csrf_of(&preview))
        .text("crs", "wgs84")
        .text("doc", hidden);
    let done = send(form).await;
    assert!(done.contains("已写入：新建 1 个节点"), "{done}");
    let (s, _) = app
        .get("/api/v1/regions/450802001001095", &app.token("zhzx").await)
        .await;
    assert_eq!(s, StatusCode::OK);
}

/// The boundary file a page carries in its hidden `doc` field, unescaped.
fn hidden_doc(page: &str) -> String {
    page.split("name=\"doc\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("doc field")
        .replace("&quot;", "\"")
        .replace("&#x22;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A boundary file whose properties no alias knows (GRID_ID, GRID_NM): the page asks which
/// property is the code and which the name, and reads the file so; the API takes `mapping`.
#[tokio::test]
async fn boundary_properties_no_alias_knows_are_mapped_on_the_page_and_in_the_api() {
    use reqwest::multipart::Form;
    let app = TestApp::demo().await;
    let (browser, _) = crate::pages::logged_in(&app, "zhzx").await;
    let at = "/regions/450802001001/boundaries";
    let (_, html) = crate::common::fetch(&app, &browser, at).await;
    let doc = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"GRID_ID": 450802001001096u64, "GRID_NM": "江边网格"},
         "geometry": square(109.80, 23.30, 0.01, 0.01)},
    ]});
    let send = |form: Form| post_page(&app, &browser, at, form);
    let step = send(upload_form(&html, &doc)).await;
    assert!(
        step.contains("属性对应") && step.contains("<option>GRID_ID</option>"),
        "{step}"
    );
    let form = Form::new()
        .text("_csrf", crate::pages::csrf_of(&step))
        .text("doc", hidden_doc(&step))
        .text("crs", "wgs84")
        .text("check_only", "1")
        .text("map_code", "GRID_ID")
        .text("map_name", "GRID_NM");
    let preview = send(form).await;
    assert!(preview.contains("预览：将新建 1 个节点"), "{preview}");

    let t = app.token("zhzx").await;
    let (s, b) = app
        .post(
            "/api/v1/regions/import?mapping=code:GRID_ID,name:GRID_NM",
            &t,
            doc,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (_, node) = app.get("/api/v1/regions/450802001001096", &t).await;
    assert_eq!(node["node"]["name"], "江边网格", "{node}");
}

/// A boundaries page's upload of `doc` for a preview, with the CSRF token of `page`.
fn upload_form(page: &str, doc: &Value) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("_csrf", crate::pages::csrf_of(page))
        .text("check_only", "1")
        .part(
            "file",
            reqwest::multipart::Part::bytes(doc.to_string().into_bytes())
                .file_name("boundaries.geojson"),
        )
}

/// Posts a form to the boundaries page at `at`; the page it answers with.
async fn post_page(
    app: &TestApp,
    browser: &reqwest::Client,
    at: &str,
    form: reqwest::multipart::Form,
) -> String {
    browser
        .post(format!("{}{at}", app.base))
        .multipart(form)
        .send()
        .await
        .expect("post")
        .text()
        .await
        .expect("page")
}
