//! The monthly report as PDF, drawn in-process with krilla: A4 pages of tables, the trend as
//! vector lines, page numbers; the text in a CJK system font, subset into the file.

use super::{MonthlyReport, Table};
use crate::AppError;
use crate::dashboard::TrendDay;
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use std::sync::OnceLock;

const W: f32 = 595.0;
const H: f32 = 842.0;
const MARGIN: f32 = 50.0;
const ROW: f32 = 17.0;
const TEXT: f32 = 9.5;

/// Where CJK fonts live on the systems the platform is installed on (Debian/Ubuntu packages
/// fonts-noto-cjk and fonts-wqy-microhei); `SHANZHI_PDF_FONT=path[#face]` picks another.
/// The Noto collections' third face is Simplified Chinese.
const CANDIDATES: &[(&str, u32)] = &[
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
];

static FONT: OnceLock<Option<Font>> = OnceLock::new();

fn load(path: &str, face: u32) -> Option<Font> {
    let data = std::fs::read(path).ok()?;
    Font::new(data.into(), face)
}

/// The report font, loaded once.
fn font() -> Result<Font, AppError> {
    FONT.get_or_init(|| {
        if let Ok(chosen) = std::env::var("SHANZHI_PDF_FONT") {
            let (path, face) = chosen.split_once('#').unwrap_or((&chosen, "0"));
            return load(path, face.parse().unwrap_or(0));
        }
        CANDIDATES.iter().find_map(|(p, face)| load(p, *face))
    })
    .clone()
    .ok_or_else(|| {
        AppError::Unavailable(
            "生成 PDF 需要中文字体：请安装 fonts-noto-cjk，或用 SHANZHI_PDF_FONT 指定字体文件"
                .into(),
        )
    })
}

/// Lays pages out top to bottom, starting a new page when the next block does not fit.
struct Pages {
    doc: Document,
    font: Font,
    /// Finished pages' drawing commands are flushed as each page ends; these are the current
    /// page's text and lines, drawn when it ends.
    items: Vec<Item>,
    y: f32,
    page: usize,
}

enum Item {
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
        color: (u8, u8, u8),
    },
    Line {
        points: Vec<(f32, f32)>,
        width: f32,
        color: (u8, u8, u8),
        dash: bool,
    },
}

impl Pages {
    fn new(font: Font) -> Pages {
        Pages {
            doc: Document::new(),
            font,
            items: Vec::new(),
            y: MARGIN,
            page: 0,
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, text: &str) {
        self.items.push(Item::Text {
            x,
            y,
            size,
            text: text.to_owned(),
            color: (33, 37, 41),
        });
    }

    fn line(&mut self, points: Vec<(f32, f32)>, width: f32, color: (u8, u8, u8), dash: bool) {
        self.items.push(Item::Line {
            points,
            width,
            color,
            dash,
        });
    }

    /// Makes room for `height`, ending the page first when it would not fit.
    fn room(&mut self, height: f32) {
        if self.y + height > H - MARGIN {
            self.end_page();
        }
    }

    fn end_page(&mut self) {
        self.page += 1;
        let number = format!("第 {} 页", self.page);
        self.text(W / 2.0 - 15.0, H - 25.0, 8.0, &number);
        let Some(settings) = PageSettings::from_wh(W, H) else {
            return;
        };
        let mut page = self.doc.start_page_with(settings);
        let mut surface = page.surface();
        for item in self.items.drain(..) {
            draw(&mut surface, &self.font, item);
        }
        surface.finish();
        page.finish();
        self.y = MARGIN;
    }
}

fn color((r, g, b): (u8, u8, u8)) -> rgb::Color {
    rgb::Color::new(r, g, b)
}

fn draw(surface: &mut Surface<'_>, font: &Font, item: Item) {
    match item {
        Item::Text {
            x,
            y,
            size,
            text,
            color: c,
        } => {
            surface.set_stroke(None);
            surface.set_fill(Some(Fill {
                paint: color(c).into(),
                ..Default::default()
            }));
            surface.draw_text(
                Point::from_xy(x, y),
                font.clone(),
                size,
                &text,
                false,
                TextDirection::Auto,
            );
        }
        Item::Line {
            points,
            width,
            color: c,
            dash,
        } => {
            let mut pb = PathBuilder::new();
            for (i, (x, y)) in points.iter().enumerate() {
                if i == 0 {
                    pb.move_to(*x, *y);
                } else {
                    pb.line_to(*x, *y);
                }
            }
            let Some(path) = pb.finish() else { return };
            surface.set_fill(None);
            surface.set_stroke(Some(Stroke {
                paint: color(c).into(),
                width,
                dash: dash.then(|| krilla::paint::StrokeDash {
                    array: vec![4.0, 3.0],
                    offset: 0.0,
                }),
                ..Default::default()
            }));
            surface.draw_path(&path);
        }
    }
}

/// Text width in half-em units (a Chinese character is two).
fn units(text: &str) -> usize {
    text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// Column widths in proportion to each column's widest text (at least four units).
fn columns(t: &Table) -> Vec<f32> {
    let widest: Vec<usize> = (0..t.heads.len())
        .map(|c| {
            std::iter::once(&t.heads[c])
                .chain(t.rows.iter().filter_map(|r| r.get(c)))
                .map(|v| units(v))
                .max()
                .unwrap_or(0)
                .max(4)
        })
        .collect();
    let total: usize = widest.iter().sum();
    widest
        .iter()
        .map(|w| (W - 2.0 * MARGIN) * *w as f32 / total as f32)
        .collect()
}

fn table(p: &mut Pages, t: &Table) {
    p.room(ROW * 3.0);
    p.y += 8.0;
    let title = t.title.clone();
    p.text(MARGIN, p.y + 12.0, 12.0, &title);
    p.y += ROW + 4.0;
    let widths = columns(t);
    let head = |p: &mut Pages| {
        let mut x = MARGIN;
        for (h, w) in t.heads.iter().zip(&widths) {
            p.text(x + 2.0, p.y + 12.0, TEXT, h);
            x += w;
        }
        p.line(
            vec![(MARGIN, p.y + ROW), (W - MARGIN, p.y + ROW)],
            0.8,
            (47, 125, 85),
            false,
        );
        p.y += ROW;
    };
    head(p);
    for row in &t.rows {
        if p.y + ROW > H - MARGIN {
            p.end_page();
            head(p);
        }
        let mut x = MARGIN;
        for (v, w) in row.iter().zip(&widths) {
            // Cut what cannot fit rather than run into the next column.
            let fit = ((w - 4.0) / TEXT) as usize * 2;
            let shown: String = if units(v) > fit {
                v.chars().take(fit / 2).collect()
            } else {
                v.clone()
            };
            p.text(x + 2.0, p.y + 12.0, TEXT, &shown);
            x += w;
        }
        p.line(
            vec![(MARGIN, p.y + ROW), (W - MARGIN, p.y + ROW)],
            0.3,
            (210, 215, 212),
            false,
        );
        p.y += ROW;
    }
}

/// The daily trend as lines over a grid, like the dashboard's chart.
fn trend(p: &mut Pages, days: &[TrendDay]) {
    let height = 170.0;
    p.room(height + 40.0);
    p.y += 8.0;
    p.text(
        MARGIN,
        p.y + 12.0,
        12.0,
        "每日事件趋势（实线：受理；虚线：办结）",
    );
    p.y += ROW + 6.0;
    let top = shanzhi_domain::figures::axis_top(
        days.iter()
            .map(|d| d.received.max(d.closed))
            .max()
            .unwrap_or(0),
    );
    let (x0, x1, y0, y1) = (MARGIN + 30.0, W - MARGIN, p.y, p.y + height);
    let n = days.len().max(2) as f32 - 1.0;
    let x = |i: usize| x0 + (x1 - x0) * i as f32 / n;
    let y = |v: i64| y1 - (y1 - y0) * v as f32 / top as f32;
    for v in shanzhi_domain::figures::axis_ticks(top) {
        p.line(vec![(x0, y(v)), (x1, y(v))], 0.3, (220, 225, 222), false);
        p.text(MARGIN, y(v) + 3.0, 8.0, &v.to_string());
    }
    let every = (days.len() / 6).max(1);
    for (i, d) in days.iter().enumerate().filter(|(i, _)| i % every == 0) {
        p.text(
            x(i) - 10.0,
            y1 + 12.0,
            7.5,
            d.day.get(5..).unwrap_or(&d.day),
        );
    }
    let received = days
        .iter()
        .enumerate()
        .map(|(i, d)| (x(i), y(d.received)))
        .collect();
    let closed = days
        .iter()
        .enumerate()
        .map(|(i, d)| (x(i), y(d.closed)))
        .collect();
    p.line(received, 1.5, (179, 38, 30), false);
    p.line(closed, 1.5, (47, 125, 85), true);
    p.y = y1 + 24.0;
}

/// Writes the report as PDF bytes.
pub fn write(r: &MonthlyReport) -> Result<Vec<u8>, AppError> {
    let mut p = Pages::new(font()?);
    p.text(MARGIN, p.y + 18.0, 18.0, &r.title);
    p.y += 30.0;
    p.text(MARGIN, p.y + 10.0, 10.0, &r.period);
    p.y += 18.0;
    let mut tables = r.tables.iter();
    if let Some(first) = tables.next() {
        table(&mut p, first);
    }
    trend(&mut p, &r.trend);
    for t in tables {
        table(&mut p, t);
    }
    p.end_page();
    p.doc
        .finish()
        .map_err(|e| AppError::Internal(format!("月报 PDF 生成失败：{e:?}")))
}
