//! A server-drawn SVG map of a node's children: no map tiles, no CDN, no script — government
//! intranets have no internet, and a phone on a weak network gets a few kilobytes.

use geo::{BoundingRect, InteriorPoint, MultiPolygon, Polygon};
use std::fmt::Write;

/// One child to draw.
pub struct MapShape<'a> {
    /// Code (link target).
    pub code: &'a str,
    /// Name (label; the parent's name is left off, 东湖社区第一网格 → 第一网格).
    pub name: &'a str,
    /// Boundary.
    pub shape: &'a MultiPolygon<f64>,
    /// Dedicated grids are drawn dashed over the comprehensive ones.
    pub dedicated: bool,
    /// The figure that colours it (e.g. grids below it).
    pub value: i64,
    /// Tooltip text.
    pub caption: String,
}

const WIDTH: f64 = 800.0;
const MAX_HEIGHT: f64 = 900.0;
const PAD: f64 = 8.0;
/// Light to dark: the larger a child's value, the darker its fill.
const PALETTE: [&str; 5] = ["#e8f3ec", "#c5e3cf", "#93cba8", "#5aa97c", "#2f7d55"];

/// Escapes text for XML.
pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

struct Projection {
    min_x: f64,
    max_y: f64,
    kx: f64,
    scale: f64,
}

impl Projection {
    /// Equirectangular with longitude scaled by cos(latitude): true shapes at district scale,
    /// fitted into at most WIDTH × MAX_HEIGHT. Returns the projection and the drawing's size.
    fn fit(mut rects: impl Iterator<Item = geo::Rect<f64>>) -> Option<(Projection, f64, f64)> {
        let first = rects.next()?;
        let (mut min, mut max) = (first.min(), first.max());
        for r in rects {
            min.x = min.x.min(r.min().x);
            min.y = min.y.min(r.min().y);
            max.x = max.x.max(r.max().x);
            max.y = max.y.max(r.max().y);
        }
        let kx = ((min.y + max.y) / 2.0).to_radians().cos();
        let w = ((max.x - min.x) * kx).max(1e-9);
        let h = (max.y - min.y).max(1e-9);
        let scale = ((WIDTH - 2.0 * PAD) / w).min((MAX_HEIGHT - 2.0 * PAD) / h);
        let size = (w * scale + 2.0 * PAD, h * scale + 2.0 * PAD);
        Some((
            Projection {
                min_x: min.x,
                max_y: max.y,
                kx,
                scale,
            },
            size.0,
            size.1,
        ))
    }

    /// The base-map tiles under a drawing of `width` × `height`.
    fn tiles(&self, width: f64, height: f64) -> Vec<shanzhi_domain::geo::tiles::Tile> {
        let west = self.min_x - PAD / (self.kx * self.scale);
        let east = self.min_x + (width - PAD) / (self.kx * self.scale);
        let north = self.max_y + PAD / self.scale;
        let south = self.max_y - (height - PAD) / self.scale;
        shanzhi_domain::geo::tiles::covering([west, south, east, north], self.scale * self.kx)
    }

    fn xy(&self, x: f64, y: f64) -> (f64, f64) {
        (
            PAD + (x - self.min_x) * self.kx * self.scale,
            PAD + (self.max_y - y) * self.scale,
        )
    }
}

fn path(proj: &Projection, shape: &MultiPolygon<f64>) -> String {
    let mut d = String::new();
    let mut ring = |ls: &geo::LineString<f64>| {
        for (i, c) in ls.0.iter().enumerate() {
            let (x, y) = proj.xy(c.x, c.y);
            let _ = write!(d, "{}{x:.1} {y:.1}", if i == 0 { "M" } else { "L" });
        }
        d.push('Z');
    };
    for p in &shape.0 {
        ring(p.exterior());
        p.interiors().iter().for_each(&mut ring);
    }
    d
}

/// The fill for `value` on a scale from `min` to `max` (all equal: the middle shade).
fn shade(value: i64, min: i64, max: i64) -> &'static str {
    if value <= 0 {
        // Leaves (nothing below them) share the palette's lightest shade.
        return PALETTE[0];
    }
    let i = if max > min {
        (((value - min) as f64 / (max - min) as f64) * (PALETTE.len() - 1) as f64).round() as usize
    } else {
        PALETTE.len() / 2
    };
    PALETTE[i.min(PALETTE.len() - 1)]
}

fn label_size(proj: &Projection, p: &Polygon<f64>, name: &str) -> f64 {
    let w = p
        .bounding_rect()
        .map_or(0.0, |r| (r.max().x - r.min().x) * proj.kx * proj.scale);
    (w / (name.chars().count() as f64 + 0.5)).clamp(11.0, 24.0)
}

/// The children of a node ready to draw: parsed boundaries (those without one are left off),
/// names without the parent's (东湖社区第一网格 → 第一网格), valued and captioned by the caller.
pub fn child_shapes<'a>(
    parent_name: &str,
    kids: &'a [shanzhi_app::regions::NodeRow],
    parsed: &'a [Option<MultiPolygon<f64>>],
    value: impl Fn(&str) -> i64,
    caption: impl Fn(&shanzhi_app::regions::NodeRow) -> String,
) -> Vec<MapShape<'a>> {
    kids.iter()
        .zip(parsed)
        .filter_map(|(k, s)| {
            Some(MapShape {
                code: &k.code,
                name: k
                    .name
                    .strip_prefix(parent_name)
                    .filter(|n| !n.is_empty())
                    .unwrap_or(&k.name),
                shape: s.as_ref()?,
                dedicated: k.class() == shanzhi_domain::region::GridClass::Dedicated,
                value: value(&k.code),
                caption: caption(k),
            })
        })
        .collect()
}

/// Draws the map, each child linking to `link(code)`; None when there is nothing to draw.
pub fn svg(
    outline: Option<&MultiPolygon<f64>>,
    shapes: &[MapShape<'_>],
    link: impl Fn(&str) -> String,
) -> Option<String> {
    svg_marked(outline, shapes, link, &[])
}

/// A numbered point on a map: where the coverage check found a gap or an overlap.
pub struct Mark {
    /// [lon, lat].
    pub at: [f64; 2],
    /// An overlap (drawn orange) rather than a gap (red).
    pub overlap: bool,
    /// Its number in the list beside the map.
    pub number: usize,
}

/// [`svg`] with numbered marks: where the coverage check found pieces no grid covers (red)
/// and grids overlapping (orange).
pub fn svg_marked(
    outline: Option<&MultiPolygon<f64>>,
    shapes: &[MapShape<'_>],
    link: impl Fn(&str) -> String,
    marks: &[Mark],
) -> Option<String> {
    let all: Vec<&MultiPolygon<f64>> = outline
        .into_iter()
        .chain(shapes.iter().map(|s| s.shape))
        .collect();
    let (proj, width, height) = Projection::fit(all.iter().filter_map(|s| s.bounding_rect()))?;
    let max = shapes.iter().map(|s| s.value).max().unwrap_or(0);
    let min = shapes
        .iter()
        .map(|s| s.value)
        .filter(|v| *v > 0)
        .min()
        .unwrap_or(0);
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" class="map" role="group" aria-label="下级区域地图">"#
    );
    if let Some(o) = outline {
        let _ = write!(out, r#"<path class="outline" d="{}"/>"#, path(&proj, o));
    }
    // Comprehensive first, dedicated on top, so the dashed grids stay visible.
    let ordered = shapes
        .iter()
        .filter(|s| !s.dedicated)
        .chain(shapes.iter().filter(|s| s.dedicated));
    for s in ordered {
        let class = if s.dedicated {
            "area dedicated"
        } else {
            "area"
        };
        let _ = write!(
            out,
            r#"<a href="{href}"><path class="{class}" fill="{fill}" d="{d}"><title>{cap}</title></path></a>"#,
            href = esc(&link(s.code)),
            fill = shade(s.value, min, max),
            d = path(&proj, s.shape),
            cap = esc(&s.caption),
        );
    }
    labels(&mut out, &proj, shapes);
    for m in marks {
        let (x, y) = proj.xy(m.at[0], m.at[1]);
        let _ = write!(
            out,
            r#"<g class="mark{class}"><circle cx="{x:.1}" cy="{y:.1}" r="9"/><text x="{x:.1}" y="{y:.1}" dy="4">{n}</text></g>"#,
            class = if m.overlap { " overlap" } else { "" },
            n = m.number,
        );
    }
    out.push_str("</svg>");
    Some(out)
}

/// Writes each shape's name at a point inside its largest part.
fn labels(out: &mut String, proj: &Projection, shapes: &[MapShape<'_>]) {
    for s in shapes {
        let Some(biggest) = s.shape.0.iter().max_by(|a, b| {
            use geo::Area;
            a.unsigned_area().total_cmp(&b.unsigned_area())
        }) else {
            continue;
        };
        let Some(pt) = biggest.interior_point() else {
            continue;
        };
        let (x, y) = proj.xy(pt.x(), pt.y());
        let _ = write!(
            out,
            r#"<text x="{x:.1}" y="{y:.1}" font-size="{size:.1}" class="{class}">{name}</text>"#,
            size = label_size(proj, biggest, s.name),
            class = if s.dedicated {
                "label dedicated"
            } else {
                "label"
            },
            name = esc(s.name),
        );
    }
}

/// A map to point at (the report forms, a patrol finding): the area's grids, the one the form
/// is for highlighted, open reports as numbered dots, and a pin where the position is. The
/// projection rides along as data attributes so `here.js` turns a tap (or the arrow keys) into
/// longitude and latitude for the inputs named by `inputs` (ids of the lon and lat fields);
/// without script it is a plain picture of the place. None when nothing has a boundary.
pub fn picker(
    shapes: &[MapShape<'_>],
    own: Option<&str>,
    dots: &[(usize, [f64; 2])],
    at: Option<[f64; 2]>,
    inputs: (&str, &str),
    basemap: Option<&crate::basemap::Basemap>,
) -> Option<String> {
    let (proj, width, height) =
        Projection::fit(shapes.iter().filter_map(|s| s.shape.bounding_rect()))?;
    // The base map's tiles, each with its address (none without a base map).
    let tiles: Vec<_> = basemap
        .map(|b| {
            let tiles = proj.tiles(width, height).into_iter();
            tiles.map(|t| (b.url(&t), t)).collect()
        })
        .unwrap_or_default();
    let class = if tiles.is_empty() {
        "map pick"
    } else {
        "map pick tiled"
    };
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" class="{class}" tabindex="0" role="application" aria-label="地图：点按选择位置，也可用方向键移动标记" data-lon="{lon}" data-lat="{lat}" data-x0="{x0}" data-y1="{y1}" data-kx="{kx}" data-s="{scale}" data-pad="{PAD}">"#,
        lon = esc(inputs.0),
        lat = esc(inputs.1),
        x0 = proj.min_x,
        y1 = proj.max_y,
        kx = proj.kx,
        scale = proj.scale,
    );
    for (href, tile) in &tiles {
        let (x, y) = proj.xy(tile.west, tile.north);
        let _ = write!(
            out,
            r#"<image class="tile" href="{href}" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" preserveAspectRatio="none"/>"#,
            href = esc(href),
            w = tile.span * proj.kx * proj.scale,
            h = tile.span * proj.scale,
        );
    }
    for s in shapes {
        let class = if Some(s.code) == own {
            "area own"
        } else {
            "area"
        };
        let _ = write!(
            out,
            r#"<path class="{class}" data-code="{code}" d="{d}"><title>{cap}</title></path>"#,
            code = esc(s.code),
            d = path(&proj, s.shape),
            cap = esc(&s.caption),
        );
    }
    labels(&mut out, &proj, shapes);
    // Marks keep their size on a phone, where the drawing is shrunk to the screen.
    let k = width.max(height) / 400.0;
    for (n, p) in dots {
        let (x, y) = proj.xy(p[0], p[1]);
        let _ = write!(
            out,
            r#"<g class="mark nearby" transform="translate({x:.1} {y:.1}) scale({k:.2})"><circle r="9"/><text dy="4">{n}</text></g>"#
        );
    }
    // The pin's tip is at (0, 0) of its group, moved by a transform.
    let (x, y, hidden) = match at {
        Some(p) => {
            let (x, y) = proj.xy(p[0], p[1]);
            (x, y, "")
        }
        None => (0.0, 0.0, " visibility=\"hidden\""),
    };
    let _ = write!(
        out,
        r#"<g class="pin" transform="translate({x:.1} {y:.1})"{hidden}><g transform="scale({k:.2})"><path d="M0 0C-4-10-12-14-12-22a12 12 0 0 1 24 0C12-14 4-10 0 0Z"/><circle cy="-22" r="4.5"/></g></g></svg>"#
    );
    Some(out)
}

/// [`picker`] for what a report form draws (from `regions::pick_area` or `area_around`),
/// named without the root's name.
pub fn pick_map(
    state: &crate::WebState,
    area: &shanzhi_app::regions::Around,
    dots: &[(usize, [f64; 2])],
    at: Option<[f64; 2]>,
    inputs: (&str, &str),
) -> Result<Option<String>, shanzhi_app::AppError> {
    let parsed = area
        .nodes
        .iter()
        .map(shanzhi_app::regions::outline)
        .collect::<Result<Vec<_>, _>>()?;
    let shapes = child_shapes(
        &area.root.name,
        &area.nodes,
        &parsed,
        |_| 0,
        |k| k.name.clone(),
    );
    let basemap = state.settings().basemap.as_ref();
    Ok(picker(
        &shapes,
        area.own.as_deref(),
        dots,
        at,
        inputs,
        basemap,
    ))
}

/// Draws a patrol's track over its grid: the kept path as a line from a start dot to an end
/// dot, the fixes left out as crosses. None when there is nothing to draw.
pub fn track_svg(
    grid: Option<&MultiPolygon<f64>>,
    kept: &[[f64; 2]],
    dropped: &[[f64; 2]],
) -> Option<String> {
    let points = kept.iter().chain(dropped).map(|p| {
        geo::Rect::new(
            geo::coord! { x: p[0], y: p[1] },
            geo::coord! { x: p[0], y: p[1] },
        )
    });
    let (proj, width, height) = Projection::fit(
        grid.and_then(|g| g.bounding_rect())
            .into_iter()
            .chain(points),
    )?;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" class="map track" role="img" aria-label="巡查轨迹">"#
    );
    if let Some(g) = grid {
        let _ = write!(out, r#"<path class="outline" d="{}"/>"#, path(&proj, g));
    }
    let mut d = String::new();
    for (i, p) in kept.iter().enumerate() {
        let (x, y) = proj.xy(p[0], p[1]);
        let _ = write!(d, "{}{x:.1} {y:.1}", if i == 0 { "M" } else { "L" });
    }
    if !d.is_empty() {
        let _ = write!(out, r#"<path class="route" d="{d}"/>"#);
    }
    for p in dropped {
        let (x, y) = proj.xy(p[0], p[1]);
        let _ = write!(
            out,
            r#"<path class="dropped" d="M{:.1} {:.1}l8 8m0 -8l-8 8"/>"#,
            x - 4.0,
            y - 4.0
        );
    }
    for (p, class) in [(kept.first(), "start"), (kept.last(), "end")] {
        if let Some(p) = p {
            let (x, y) = proj.xy(p[0], p[1]);
            let _ = write!(
                out,
                r#"<circle class="{class}" cx="{x:.1}" cy="{y:.1}" r="6"/>"#
            );
        }
    }
    out.push_str("</svg>");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Rect, coord};

    #[test]
    fn draws_links_labels_and_escapes_names() {
        let a = MultiPolygon::new(vec![
            Rect::new(coord! { x: 109.0, y: 23.0 }, coord! { x: 109.01, y: 23.01 }).to_polygon(),
        ]);
        let shapes = [MapShape {
            code: "450802001001",
            name: "<荷城>",
            shape: &a,
            dedicated: false,
            value: 3,
            caption: "荷城社区".into(),
        }];
        let out = svg(None, &shapes, |c| format!("/regions/{c}")).unwrap();
        assert!(out.contains(r#"<a href="/regions/450802001001">"#));
        assert!(out.contains("&lt;荷城&gt;"));
        assert!(!out.contains("<荷城>"));
        assert!(svg(None, &[], |c| c.to_owned()).is_none());
    }
}
