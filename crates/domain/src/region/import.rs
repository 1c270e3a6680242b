//! Importing a whole tree from a GeoJSON FeatureCollection.
//!
//! Every feature is checked and every problem reported (feature index, code, rule) before
//! anything is written; the store writes a plan only when it has no errors.

use super::code::{Level, RegionCode};
use super::node::{DedicatedKind, GridClass, NodeDraft, ParentFacts, validate_child};
use crate::geo::{Boundary, Crs, GaussKruger};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// One feature, parsed.
#[derive(Debug, Clone)]
pub struct ImportNode {
    /// 0-based index of the feature in the collection.
    pub index: usize,
    /// The node to create.
    pub draft: NodeDraft,
    /// Its parent's code (given, or implied by the code for non-root levels).
    pub parent: Option<RegionCode>,
    /// Its boundary, if the feature has a geometry.
    pub boundary: Option<Boundary>,
    /// 一网格一特色, free text.
    pub feature: Option<String>,
}

/// A problem with one feature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FeatureError {
    /// 0-based feature index (None for problems with the document itself).
    pub index: Option<usize>,
    /// The feature's code, when it has a readable one.
    pub code: Option<String>,
    /// What is wrong, in Chinese.
    pub message: String,
}

/// What the importer needs to know about a node already stored.
#[derive(Debug, Clone, Copy)]
pub struct Existing {
    /// Its level.
    pub level: Level,
    /// Whether it is retired (its code still may not be reused).
    pub retired: bool,
}

/// A checked import: nodes ordered parents-first.
#[derive(Debug, Clone)]
pub struct ImportPlan {
    /// Nodes to insert, by depth then code.
    pub nodes: Vec<ImportNode>,
}

fn err(index: Option<usize>, code: Option<&str>, message: impl Into<String>) -> FeatureError {
    FeatureError {
        index,
        code: code.map(str::to_owned),
        message: message.into(),
    }
}

/// The property names GIS files use for each field: ours, the Chinese ones a QGIS or ArcGIS
/// user types, and the short upper-case ones of Shapefile attribute tables (matched without
/// regard to case).
const KEYS: &[(&str, &[&str])] = &[
    (
        "code",
        &[
            "code",
            "编码",
            "区划代码",
            "行政区划代码",
            "网格编码",
            "区域编码",
            "dm",
            "bm",
            "gridcode",
        ],
    ),
    (
        "name",
        &["name", "名称", "网格名称", "区域名称", "mc", "gridname"],
    ),
    ("level", &["level", "层级", "级别"]),
    ("class", &["class", "网格类别", "类别"]),
    (
        "kind",
        &["kind", "dedicated_kind", "专属类型", "专属网格类型"],
    ),
    (
        "parent",
        &["parent_code", "parent", "上级编码", "上级代码", "sjdm"],
    ),
    ("feature", &["feature", "特色", "网格特色"]),
];

/// The fields a boundary file's properties give, for the mapping step: key, name, required.
pub const PROPERTY_FIELDS: [(&str, &str, bool); 7] = [
    ("code", "编码", true),
    ("name", "名称", true),
    ("parent", "上级编码", false),
    ("level", "层级", false),
    ("class", "网格类别", false),
    ("kind", "专属类型", false),
    ("feature", "一网格一特色", false),
];

/// The property names a file's features use, in the order first seen.
pub fn property_names(doc: &Value) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let features = doc.get("features").and_then(Value::as_array);
    for f in features.into_iter().flatten() {
        for k in f
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|p| p.keys())
        {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    names
}

/// Reads each feature's property `source` as field `key`, for every (key, source) the mapping
/// step chose: the value is copied under the field's own name, so the file's other names no
/// longer matter.
pub fn map_properties(doc: &mut Value, chosen: &[(String, String)]) {
    let Some(features) = doc.get_mut("features").and_then(Value::as_array_mut) else {
        return;
    };
    for f in features {
        let Some(props) = f.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for (key, source) in chosen {
            let Some(own) = KEYS.iter().find(|(k, _)| k == key).map(|(_, n)| n[0]) else {
                continue;
            };
            if let Some(v) = props.get(source.trim()).cloned() {
                props.insert(own.to_owned(), v);
            }
        }
    }
}

/// A property by field, as text: strings trimmed, whole numbers written without a fraction
/// (Shapefile attribute tables keep codes as numbers: 450802001001001.0).
fn prop(props: &Value, field: &str) -> Option<String> {
    let names = KEYS
        .iter()
        .find(|(f, _)| *f == field)
        .map_or(&[][..], |(_, n)| n);
    let map = props.as_object()?;
    let value = names.iter().find_map(|n| {
        map.iter()
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(n))
            .map(|(_, v)| v)
    })?;
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(u), _) => u.to_string(),
            (None, Some(f)) if f.fract() == 0.0 && (0.0..9.0e15).contains(&f) => {
                format!("{f:.0}")
            }
            _ => n.to_string(),
        },
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

fn parse_feature(
    index: usize,
    f: &Value,
    crs: Crs,
    projected: Option<&GaussKruger>,
) -> Result<ImportNode, FeatureError> {
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(err(Some(index), None, "不是 GeoJSON Feature"));
    }
    let props = f
        .get("properties")
        .filter(|p| p.is_object())
        .ok_or_else(|| err(Some(index), None, "缺少 properties"))?;
    let raw_code = prop(props, "code").ok_or_else(|| {
        err(
            Some(index),
            None,
            "缺少编码：属性中须有 code、编码 或 区划代码 之一",
        )
    })?;
    let raw_code = raw_code.as_str();
    let e = |m: String| err(Some(index), Some(raw_code), m);
    let code = RegionCode::parse(raw_code).map_err(|x| e(x.to_string()))?;
    let name = prop(props, "name").ok_or_else(|| e("缺少名称：属性中须有 name 或 名称".into()))?;
    if let Some(l) = prop(props, "level") {
        let l = l.as_str();
        let level = Level::from_typed(l).ok_or_else(|| e(format!("未知层级 {l}")))?;
        if level != code.level() {
            return Err(e(format!(
                "层级 {} 与编码长度不符：{} 位编码是{}",
                level.label(),
                raw_code.len(),
                code.level().label()
            )));
        }
    }
    let class = match prop(props, "class") {
        None => GridClass::Comprehensive,
        Some(c) => {
            GridClass::from_typed(&c).ok_or_else(|| e(format!("未知网格类别 {c}（综合/专属）")))?
        }
    };
    let dedicated_kind = match prop(props, "kind") {
        None => None,
        Some(k) => {
            Some(DedicatedKind::from_typed(&k).ok_or_else(|| e(format!("未知专属网格类型 {k}")))?)
        }
    };
    let parent = match prop(props, "parent") {
        Some(p) => Some(RegionCode::parse(&p).map_err(|x| e(format!("上级编码 {p} 无效：{x}")))?),
        None if code.level().may_be_root() => None,
        None => code.implied_parent(),
    };
    let boundary = match (f.get("geometry"), projected) {
        (None | Some(Value::Null), _) => None,
        (Some(g), None) => Some(Boundary::from_geojson(g, crs).map_err(|x| e(x.to_string()))?),
        (Some(g), Some(zone)) => {
            let mut g = g.clone();
            if !zone.unproject(&mut g) {
                return Err(e(format!(
                    "坐标无法按 EPSG:{} 换算为经纬度（须为米制的东坐标、北坐标）",
                    zone.epsg
                )));
            }
            Some(Boundary::from_geojson(&g, Crs::Wgs84).map_err(|x| e(x.to_string()))?)
        }
    };
    let feature = prop(props, "feature");
    Ok(ImportNode {
        index,
        draft: NodeDraft {
            code,
            name,
            class,
            dedicated_kind,
        },
        parent,
        boundary,
        feature,
    })
}

/// The coordinate system a document declares (its `crs` member, as QGIS and ArcGIS write it:
/// `urn:ogc:def:crs:EPSG::4546`): `None` for longitude and latitude — WGS-84 (4326, CRS84) or
/// CGCS2000 (4490, within centimetres of it) — read as they are; a CGCS2000 Gauss-Krüger zone
/// (4491–4554), turned into longitude and latitude on the way in; any other is refused, named,
/// with what to do.
fn declared_crs(doc: &Value) -> Result<Option<GaussKruger>, String> {
    let Some(name) = doc.pointer("/crs/properties/name").and_then(Value::as_str) else {
        return Ok(None);
    };
    let upper = name.to_ascii_uppercase();
    if upper.ends_with("CRS84") {
        return Ok(None);
    }
    let digits = upper
        .rsplit(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap_or_default();
    let Ok(epsg) = digits.parse::<u32>() else {
        return Ok(None);
    };
    if let Some(zone) = GaussKruger::of_epsg(epsg) {
        return Ok(Some(zone));
    }
    let what = match epsg {
        4326 | 4490 => return Ok(None),
        2327..=2442 => "西安80 或北京54 高斯-克吕格投影坐标",
        3857 => "Web 墨卡托投影坐标",
        _ => "投影或其他坐标系",
    };
    Err(format!(
        "文件使用 EPSG:{epsg}（{what}），无法直接导入：请先在 QGIS 中“另存为”并选择 EPSG:4490（CGCS2000）或 EPSG:4326（WGS-84）后再导入"
    ))
}

/// Parses a FeatureCollection; returns every feature's problems, not just the first.
pub fn parse_import(doc: &Value, crs: Crs) -> Result<Vec<ImportNode>, Vec<FeatureError>> {
    if doc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(vec![err(
            None,
            None,
            "文件必须是 GeoJSON FeatureCollection",
        )]);
    }
    let projected = match declared_crs(doc) {
        Ok(p) => p,
        Err(problem) => return Err(vec![err(None, None, problem)]),
    };
    let Some(features) = doc.get("features").and_then(Value::as_array) else {
        return Err(vec![err(
            None,
            None,
            "FeatureCollection 缺少 features 数组",
        )]);
    };
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for (i, f) in features.iter().enumerate() {
        match parse_feature(i, f, crs, projected.as_ref()) {
            Ok(n) => ok.push(n),
            Err(e) => bad.push(e),
        }
    }
    if bad.is_empty() { Ok(ok) } else { Err(bad) }
}

impl ImportPlan {
    /// Codes the plan must look up in storage: its own codes (to refuse reuse) and parents.
    pub fn referenced_codes(nodes: &[ImportNode]) -> Vec<String> {
        let mut codes: Vec<String> = nodes
            .iter()
            .flat_map(|n| {
                std::iter::once(n.draft.code.to_string())
                    .chain(n.parent.iter().map(ToString::to_string))
            })
            .collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }

    /// Checks parsed nodes against each other and against stored nodes.
    pub fn check(
        mut nodes: Vec<ImportNode>,
        stored: &HashMap<String, Existing>,
    ) -> Result<ImportPlan, Vec<FeatureError>> {
        let mut errors = Vec::new();
        let mut in_file: HashMap<&str, usize> = HashMap::new();
        for n in &nodes {
            let code = n.draft.code.as_str();
            if let Some(first) = in_file.get(code) {
                errors.push(err(
                    Some(n.index),
                    Some(code),
                    format!("编码重复：与第 {first} 个要素相同"),
                ));
            } else {
                in_file.insert(code, n.index);
            }
            if stored.contains_key(code) {
                errors.push(err(
                    Some(n.index),
                    Some(code),
                    "编码已存在（编码唯一且永不复用）",
                ));
            }
        }
        let file_levels: HashMap<&str, Level> = nodes
            .iter()
            .map(|n| (n.draft.code.as_str(), n.draft.code.level()))
            .collect();
        for n in &nodes {
            let code = n.draft.code.as_str();
            let parent = match &n.parent {
                None => None,
                Some(p) => {
                    let facts = file_levels
                        .get(p.as_str())
                        .map(|l| (*l, false))
                        .or_else(|| stored.get(p.as_str()).map(|s| (s.level, s.retired)));
                    match facts {
                        Some((level, retired)) => Some(ParentFacts {
                            code: p.as_str(),
                            level,
                            retired,
                        }),
                        None => {
                            errors.push(err(
                                Some(n.index),
                                Some(code),
                                format!("上级编码 {p} 不存在"),
                            ));
                            continue;
                        }
                    }
                }
            };
            if let Err(rule) = validate_child(&n.draft, parent) {
                errors.push(err(Some(n.index), Some(code), rule.to_string()));
            }
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.index);
            return Err(errors);
        }
        nodes.sort_by(|a, b| {
            (a.draft.code.level(), &a.draft.code).cmp(&(b.draft.code.level(), &b.draft.code))
        });
        Ok(ImportPlan { nodes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qgis_files_with_chinese_keys_and_numeric_codes_are_read() {
        let doc = serde_json::json!({
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
            "features": [{
                "type": "Feature",
                "properties": {"编码": 450802001001009.0_f64, "名称": "东湖社区第九网格", "CLASS": "综合"},
                "geometry": null
            }, {
                "type": "Feature",
                "properties": {"DM": 450802001001010_u64, "MC": "东湖社区第十网格"},
                "geometry": null
            }]
        });
        let nodes = parse_import(&doc, Crs::Wgs84).expect("read");
        assert_eq!(nodes[0].draft.code.as_str(), "450802001001009");
        assert_eq!(nodes[0].draft.name, "东湖社区第九网格");
        assert_eq!(nodes[1].draft.code.as_str(), "450802001001010");
    }

    #[test]
    fn an_unsupported_projection_is_named_with_what_to_do() {
        let doc = serde_json::json!({
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2383"}},
            "features": []
        });
        let errors = parse_import(&doc, Crs::Wgs84).expect_err("projected");
        assert!(
            errors[0].message.contains("EPSG:2383")
                && errors[0].message.contains("西安80")
                && errors[0].message.contains("EPSG:4490"),
            "{errors:?}"
        );
    }
    use serde_json::json;

    fn feature(code: &str, name: &str, extra: Value) -> Value {
        let mut props = json!({"code": code, "name": name});
        if let (Some(p), Some(x)) = (props.as_object_mut(), extra.as_object()) {
            p.extend(x.clone());
        }
        json!({"type": "Feature", "properties": props, "geometry": null})
    }

    fn fc(features: Vec<Value>) -> Value {
        json!({"type": "FeatureCollection", "features": features})
    }

    fn plan(doc: &Value) -> Result<ImportPlan, Vec<FeatureError>> {
        ImportPlan::check(parse_import(doc, Crs::Wgs84)?, &HashMap::new())
    }

    #[test]
    fn orders_parents_first() {
        let doc = fc(vec![
            feature("450802001001001", "一网格", json!({})),
            feature("450802001001", "荷城社区", json!({"level": "社区"})),
            feature("450802001", "贵城街道", json!({})),
            feature("450802", "港北区", json!({"level": "district"})),
        ]);
        let p = plan(&doc).unwrap();
        let codes: Vec<_> = p.nodes.iter().map(|n| n.draft.code.as_str()).collect();
        assert_eq!(
            codes,
            ["450802", "450802001", "450802001001", "450802001001001"]
        );
    }

    #[test]
    fn parse_reports_every_bad_feature() {
        let square = json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]]});
        let mut bowtie = feature("450802001003", "自相交", json!({}));
        bowtie["geometry"] = square;
        let doc = fc(vec![
            feature("450802", "港北区", json!({})),
            feature("450802001002", "层级不符", json!({"level": "grid"})),
            json!({"type": "Feature", "properties": {"name": "无编码"}, "geometry": null}),
            bowtie,
            feature("45080200100", "长度不对", json!({})),
        ]);
        let errs = parse_import(&doc, Crs::Wgs84).unwrap_err();
        let idx: Vec<_> = errs.iter().map(|e| e.index.unwrap()).collect();
        assert_eq!(idx, [1, 2, 3, 4]);
        assert!(errs[2].message.contains("自相交"), "{}", errs[2].message);
        assert_eq!(errs[3].code.as_deref(), Some("45080200100"));
    }

    #[test]
    fn tree_rules_are_checked_after_parsing() {
        let doc = fc(vec![
            feature("450802", "港北区", json!({})),
            feature("450802001", "贵城街道", json!({})),
            feature("450802001", "重复街道", json!({})),
            feature(
                "450802001001001",
                "跳级网格",
                json!({"parent_code": "450802001"}),
            ),
            feature("450802002001", "无上级社区", json!({})),
            feature(
                "450803001001",
                "前缀不符",
                json!({"parent_code": "450802001"}),
            ),
        ]);
        let errs = plan(&doc).unwrap_err();
        let got: Vec<_> = errs
            .iter()
            .map(|e| (e.index.unwrap(), e.message.clone()))
            .collect();
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(got[0].0 == 2 && got[0].1.contains("重复"));
        assert!(got[1].0 == 3 && got[1].1.contains("跳级"));
        assert!(got[2].0 == 4 && got[2].1.contains("不存在"));
        assert!(got[3].0 == 5 && got[3].1.contains("开头"));
    }

    #[test]
    fn stored_codes_are_never_reused_and_stored_parents_count() {
        let doc = fc(vec![
            feature("450802001", "贵城街道", json!({})),
            feature("450802002", "港城街道", json!({})),
        ]);
        let mut stored = HashMap::new();
        stored.insert(
            "450802".to_owned(),
            Existing {
                level: Level::District,
                retired: false,
            },
        );
        stored.insert(
            "450802002".to_owned(),
            Existing {
                level: Level::Street,
                retired: true,
            },
        );
        let errs = ImportPlan::check(parse_import(&doc, Crs::Wgs84).unwrap(), &stored).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].code.as_deref(), Some("450802002"));
    }

    #[test]
    fn rejects_non_collections() {
        let errs = parse_import(&json!({"type": "Feature"}), Crs::Wgs84).unwrap_err();
        assert_eq!(errs[0].index, None);
    }

    #[test]
    fn properties_no_alias_knows_are_read_as_the_mapping_step_says() {
        let mut doc = serde_json::json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"GRID_ID": 450802001001001u64, "GRID_NM": "第一网格"}, "geometry": null}
        ]});
        assert!(parse_import(&doc, Crs::Wgs84).is_err());
        assert_eq!(property_names(&doc), ["GRID_ID", "GRID_NM"]);
        map_properties(
            &mut doc,
            &[
                ("code".into(), "GRID_ID".into()),
                ("name".into(), "GRID_NM".into()),
            ],
        );
        let nodes = parse_import(&doc, Crs::Wgs84).expect("mapped");
        assert_eq!(nodes[0].draft.code.as_str(), "450802001001001");
        assert_eq!(nodes[0].draft.name, "第一网格");
    }
}
