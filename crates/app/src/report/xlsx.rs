//! The monthly report as a workbook: the tables on the first sheet, the daily figures on the
//! second with a native line chart (it stays live when someone edits the numbers).

use super::MonthlyReport;
use crate::AppError;
use rust_xlsxwriter::{Chart, ChartType, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

fn xlsx_error(e: XlsxError) -> AppError {
    AppError::Internal(format!("月报表格生成失败：{e}"))
}

/// A report cell as what it is, so Excel can sum, sort and chart it.
enum Cell<'a> {
    Whole(f64),
    /// A rate, 0–1, and its decimals.
    Rate(f64, usize),
    /// A decimal (scores) and its decimals.
    Decimal(f64, usize),
    Date(ExcelDateTime),
    Text(&'a str),
}

impl<'a> Cell<'a> {
    /// Reads a table's text: `73.7%`, `85.30`, `12`, `2026-11-03`, or words.
    fn of(text: &'a str) -> Cell<'a> {
        let decimals = |t: &str| t.split_once('.').map_or(0, |(_, f)| f.len());
        // Codes (15-digit grid codes) stay text: Excel would show them as 4.5E+14.
        if let Ok(n) = text.parse::<i64>()
            && text.len() <= 12
        {
            Cell::Whole(n as f64)
        } else if let Some(p) = text.strip_suffix('%')
            && let Ok(v) = p.parse::<f64>()
        {
            Cell::Rate(v / 100.0, decimals(p))
        } else if let Ok(v) = text.parse::<f64>()
            && v.is_finite()
            && text.contains('.')
        {
            Cell::Decimal(v, decimals(text))
        } else if text.len() == 10
            && let Ok(d) = ExcelDateTime::parse_from_str(text)
        {
            Cell::Date(d)
        } else {
            Cell::Text(text)
        }
    }

    fn write(&self, sheet: &mut Worksheet, row: u32, col: u16) -> Result<(), XlsxError> {
        let places = |n: usize| "0".repeat(n);
        match self {
            Cell::Whole(v) => sheet.write_number(row, col, *v).map(|_| ()),
            Cell::Rate(v, d) => {
                let f = if *d == 0 {
                    "0%".to_owned()
                } else {
                    format!("0.{}%", places(*d))
                };
                sheet
                    .write_number_with_format(row, col, *v, &Format::new().set_num_format(&f))
                    .map(|_| ())
            }
            Cell::Decimal(v, d) => sheet
                .write_number_with_format(
                    row,
                    col,
                    *v,
                    &Format::new().set_num_format(format!("0.{}", places(*d))),
                )
                .map(|_| ()),
            Cell::Date(d) => sheet
                .write_datetime_with_format(
                    row,
                    col,
                    d,
                    &Format::new().set_num_format("yyyy-mm-dd"),
                )
                .map(|_| ()),
            Cell::Text(t) => sheet.write_string(row, col, *t).map(|_| ()),
        }
    }
}

/// Writes the report as xlsx bytes.
pub fn write(r: &MonthlyReport) -> Result<Vec<u8>, AppError> {
    let mut book = Workbook::new();
    let title = Format::new().set_bold().set_font_size(16);
    let bold = Format::new().set_bold();
    let head = Format::new().set_bold().set_background_color("#E8F3EC");
    let sheet = book.add_worksheet().set_name("月报").map_err(xlsx_error)?;
    sheet
        .write_string_with_format(0, 0, &r.title, &title)
        .map_err(xlsx_error)?;
    sheet.write_string(1, 0, &r.period).map_err(xlsx_error)?;
    let mut row = 3u32;
    for t in &r.tables {
        sheet
            .write_string_with_format(row, 0, &t.title, &bold)
            .map_err(xlsx_error)?;
        row += 1;
        for (c, h) in t.heads.iter().enumerate() {
            sheet
                .write_string_with_format(row, c as u16, h, &head)
                .map_err(xlsx_error)?;
        }
        row += 1;
        for line in &t.rows {
            for (c, v) in line.iter().enumerate() {
                Cell::of(v)
                    .write(sheet, row, c as u16)
                    .map_err(xlsx_error)?;
            }
            row += 1;
        }
        row += 1;
    }
    sheet.set_column_width(0, 24).map_err(xlsx_error)?;
    sheet.set_column_width(1, 14).map_err(xlsx_error)?;
    sheet.set_column_width(2, 24).map_err(xlsx_error)?;

    let trend = book
        .add_worksheet()
        .set_name("每日趋势")
        .map_err(xlsx_error)?;
    for (c, h) in ["日期", "受理", "办结"].iter().enumerate() {
        trend
            .write_string_with_format(0, c as u16, *h, &head)
            .map_err(xlsx_error)?;
    }
    for (i, d) in r.trend.iter().enumerate() {
        let row = i as u32 + 1;
        Cell::of(&d.day).write(trend, row, 0).map_err(xlsx_error)?;
        trend
            .write_number(row, 1, d.received as f64)
            .map_err(xlsx_error)?;
        trend
            .write_number(row, 2, d.closed as f64)
            .map_err(xlsx_error)?;
    }
    trend.set_column_width(0, 12).map_err(xlsx_error)?;
    let last = r.trend.len().max(1) as u32;
    let mut chart = Chart::new(ChartType::Line);
    chart.title().set_name("每日事件趋势");
    for (col, name) in [(1u16, "受理"), (2u16, "办结")] {
        chart
            .add_series()
            .set_name(name)
            .set_categories(("每日趋势", 1, 0, last, 0))
            .set_values(("每日趋势", 1, col, last, col));
    }
    trend.insert_chart(1, 4, &chart).map_err(xlsx_error)?;
    book.save_to_buffer().map_err(xlsx_error)
}
