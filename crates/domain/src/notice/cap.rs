//! CAP 1.2 (Common Alerting Protocol, the format China's national early-warning release system
//! publishes) read into what a 预警 notice needs: its identifier (a repeat is the same
//! warning), headline, text, colour, validity and the polygons of its area. Only what a notice
//! uses is read; everything else in the message is left alone.

use super::WarningColor;
use geo::{Intersects, LineString, MultiPolygon, Polygon};
use quick_xml::Reader;
use quick_xml::events::Event;

/// A warning as a CAP message gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct CapWarning {
    /// `<identifier>`: the sender's id of the message.
    pub identifier: String,
    /// `<msgType>` is Cancel: the warning is lifted.
    pub cancel: bool,
    /// `<headline>` (or `<event>` when there is none).
    pub headline: String,
    /// `<description>` and `<instruction>`, one after the other.
    pub text: String,
    /// The colour: named in the headline or event (暴雨橙色预警), else from `<severity>`.
    pub color: WarningColor,
    /// `<effective>` (or `<sent>`), ms.
    pub effective: Option<i64>,
    /// `<expires>`, ms.
    pub expires: Option<i64>,
    /// The `<area>` polygons, as (longitude, latitude) rings.
    pub polygons: Vec<Vec<(f64, f64)>>,
    /// `<areaDesc>`s, joined.
    pub area: String,
    /// The warnings a Cancel or Update refers to (`<references>`: their identifiers).
    pub references: Vec<String>,
}

impl CapWarning {
    /// Whether the warning's area meets a grid's boundary.
    pub fn covers(&self, grid: &MultiPolygon<f64>) -> bool {
        self.polygons.iter().any(|ring| {
            let area = Polygon::new(LineString::from(ring.clone()), Vec::new());
            area.intersects(grid)
        })
    }
}

/// A CAP time (`2026-11-18T14:00:00+08:00`) in ms.
fn instant(text: &str) -> Option<i64> {
    let t =
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
            .ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// A CAP polygon (`lat,lon lat,lon …`, closed) as (longitude, latitude) points.
fn polygon(text: &str) -> Result<Vec<(f64, f64)>, String> {
    let points = text
        .split_whitespace()
        .map(|pair| {
            let (lat, lon) = pair.split_once(',').ok_or("")?;
            let (lat, lon): (f64, f64) = (
                lat.trim().parse().map_err(|_| "")?,
                lon.trim().parse().map_err(|_| "")?,
            );
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) {
                Ok((lon, lat))
            } else {
                Err("")
            }
        })
        .collect::<Result<Vec<_>, &str>>()
        .map_err(|_| format!("预警区域的多边形坐标有误：{}", text.trim()))?;
    if points.len() < 4 || points.first() != points.last() {
        return Err("预警区域的多边形至少要有 4 个点，且首尾相同".into());
    }
    Ok(points)
}

/// The colour a text names (暴雨红色预警 → red).
fn named(text: &str) -> Option<WarningColor> {
    WarningColor::ALL
        .iter()
        .copied()
        .find(|c| text.contains(c.label()))
}

/// The colour CAP's severity stands for, as China's warnings map them.
fn by_severity(severity: &str) -> Option<WarningColor> {
    match severity.trim() {
        "Extreme" => Some(WarningColor::Red),
        "Severe" => Some(WarningColor::Orange),
        "Moderate" => Some(WarningColor::Yellow),
        "Minor" => Some(WarningColor::Blue),
        _ => None,
    }
}

/// One `<info>` block as read.
#[derive(Default)]
struct Info {
    language: String,
    event: String,
    severity: String,
    headline: String,
    description: String,
    instruction: String,
    effective: String,
    expires: String,
    polygons: Vec<String>,
    areas: Vec<String>,
}

/// Reads a CAP 1.2 message; the first problem in words when it is not one a notice can use.
/// With several `<info>` blocks, the Chinese one is read.
pub fn read(xml: &str) -> Result<CapWarning, String> {
    let mut reader = Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut buf = String::new();
    let (mut identifier, mut sent, mut msg_type) = (String::new(), String::new(), String::new());
    let mut references = String::new();
    let mut infos: Vec<Info> = Vec::new();
    let mut saw_alert = false;
    loop {
        let event = reader.read_event().map_err(|e| {
            format!(
                "CAP 文件格式错误（第 {} 字节附近）：{e}",
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
                    "alert" => saw_alert = true,
                    "info" => infos.push(Info::default()),
                    _ => {}
                }
                buf.clear();
                path.push(tag);
            }
            Event::End(_) => {
                let tag = path.pop().unwrap_or_default();
                let text = buf.trim().to_owned();
                buf.clear();
                let parent = path.last().map(String::as_str);
                match (parent, infos.last_mut()) {
                    (Some("alert"), _) => match tag.as_str() {
                        "identifier" => identifier = text,
                        "sent" => sent = text,
                        "msgType" => msg_type = text,
                        "references" => references = text,
                        _ => {}
                    },
                    (Some("info"), Some(i)) => match tag.as_str() {
                        "language" => i.language = text,
                        "event" => i.event = text,
                        "severity" => i.severity = text,
                        "headline" => i.headline = text,
                        "description" => i.description = text,
                        "instruction" => i.instruction = text,
                        "effective" => i.effective = text,
                        "expires" => i.expires = text,
                        _ => {}
                    },
                    (Some("area"), Some(i)) => match tag.as_str() {
                        "polygon" => i.polygons.push(text),
                        "areaDesc" => i.areas.push(text),
                        _ => {}
                    },
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_alert {
        return Err("不是 CAP 预警信息（缺少 alert 元素）".into());
    }
    if identifier.is_empty() {
        return Err("CAP 预警缺少 identifier".into());
    }
    let at = infos
        .iter()
        .position(|i| i.language.to_ascii_lowercase().starts_with("zh"))
        .unwrap_or(0);
    let info = infos
        .into_iter()
        .nth(at)
        .ok_or("CAP 预警缺少 info（预警内容）")?;
    let headline = if info.headline.is_empty() {
        info.event.clone()
    } else {
        info.headline.clone()
    };
    if headline.is_empty() {
        return Err("CAP 预警缺少 headline 或 event".into());
    }
    let color = named(&headline)
        .or_else(|| named(&info.event))
        .or_else(|| by_severity(&info.severity))
        .ok_or("CAP 预警没有说明颜色或严重程度（severity）")?;
    let polygons = info
        .polygons
        .iter()
        .map(|p| polygon(p))
        .collect::<Result<Vec<_>, _>>()?;
    let text = [info.description.as_str(), info.instruction.as_str()]
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    Ok(CapWarning {
        identifier,
        cancel: msg_type == "Cancel",
        headline,
        text,
        color,
        effective: instant(&info.effective).or_else(|| instant(&sent)),
        expires: instant(&info.expires),
        polygons,
        area: info.areas.join("、"),
        // Each reference is `sender,identifier,sent`.
        references: references
            .split_whitespace()
            .filter_map(|r| r.split(',').nth(1).map(str::to_owned))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>45080241600000_20261118140000</identifier>
  <sender>港北区气象台</sender>
  <sent>2026-11-18T14:00:00+08:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>en-US</language>
    <event>Rainstorm</event>
    <severity>Severe</severity>
    <headline>Rainstorm Orange Warning</headline>
  </info>
  <info>
    <language>zh-CN</language>
    <category>Met</category>
    <event>暴雨</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <effective>2026-11-18T14:00:00+08:00</effective>
    <expires>2026-11-19T14:00:00+08:00</expires>
    <headline>港北区气象台发布暴雨橙色预警信号</headline>
    <description>预计未来3小时港北区将出现50毫米以上降雨，&amp;低洼地带注意防范。</description>
    <instruction>危旧房屋住户请及时转移。</instruction>
    <area>
      <areaDesc>港北区港城街道</areaDesc>
      <polygon>23.10,109.55 23.10,109.58 23.08,109.58 23.08,109.55 23.10,109.55</polygon>
    </area>
  </info>
</alert>"#;

    #[test]
    fn a_chinese_warning_is_read_with_its_colour_times_and_area() {
        let w = read(MESSAGE).expect("CAP");
        assert_eq!(w.identifier, "45080241600000_20261118140000");
        assert_eq!(w.headline, "港北区气象台发布暴雨橙色预警信号");
        assert_eq!(w.color, WarningColor::Orange);
        assert!(w.text.starts_with("预计未来3小时") && w.text.contains("&低洼"));
        assert!(w.text.ends_with("危旧房屋住户请及时转移。"));
        assert_eq!(
            w.expires.zip(w.effective).map(|(e, s)| e - s),
            Some(86_400_000)
        );
        assert_eq!(
            w.polygons[0][0],
            (109.55, 23.10),
            "CAP writes latitude first"
        );
        assert_eq!(w.area, "港北区港城街道");
        assert!(!w.cancel);
    }

    #[test]
    fn severity_gives_the_colour_when_no_text_names_one_and_bad_messages_say_why() {
        let plain = MESSAGE.replace("暴雨橙色预警信号", "暴雨预警信号").replace(
            "<severity>Severe</severity>",
            "<severity>Extreme</severity>",
        );
        assert_eq!(read(&plain).unwrap().color, WarningColor::Red);
        assert!(read("<kml/>").unwrap_err().contains("不是 CAP"));
        let open = MESSAGE.replace(" 23.10,109.55</polygon>", "</polygon>");
        assert!(read(&open).unwrap_err().contains("首尾相同"));
        let cancel = MESSAGE.replace(
            "<msgType>Alert</msgType>",
            "<msgType>Cancel</msgType><references>港北区气象台,45080241600000_20261118140000,2026-11-18T14:00:00+08:00</references>",
        );
        let lifted = read(&cancel).unwrap();
        assert!(lifted.cancel);
        assert_eq!(lifted.references, ["45080241600000_20261118140000"]);
    }

    #[test]
    fn the_area_covers_the_grids_it_touches_and_no_other() {
        let w = read(MESSAGE).unwrap();
        let square = |x: f64, y: f64| {
            MultiPolygon::new(vec![Polygon::new(
                LineString::from(vec![
                    (x, y),
                    (x + 0.01, y),
                    (x + 0.01, y + 0.01),
                    (x, y + 0.01),
                    (x, y),
                ]),
                Vec::new(),
            )])
        };
        assert!(w.covers(&square(109.56, 23.09)), "inside");
        assert!(w.covers(&square(109.575, 23.095)), "across the edge");
        assert!(!w.covers(&square(109.60, 23.09)), "east of it");
    }
}
