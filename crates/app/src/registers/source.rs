//! Reading a register sheet row by row without holding it in memory: CSV through `csv`'s
//! streaming reader, xlsx through calamine's cell reader (shared strings are the only part
//! kept whole). Merged cells are filled from their top-left cell, as people mean them; formula
//! cells give the value Excel saved with them; blank rows are skipped.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Seek};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The formats a register sheet comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Comma-separated, UTF-8 (a BOM is fine).
    Csv,
    /// Excel 2007+; the first sheet.
    Xlsx,
}

impl Format {
    /// From a file name or content type; xlsx files are also known by their zip signature.
    pub fn guess(name_or_type: &str, head: &[u8]) -> Format {
        let s = name_or_type.to_ascii_lowercase();
        if s.ends_with(".xlsx") || s.contains("spreadsheetml") || head.starts_with(b"PK\x03\x04") {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }
}

/// A sheet row: its number as the spreadsheet shows it (the header is row 1) and its cells.
pub type Row = (u32, Vec<String>);

/// Why a sheet cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Not a readable file of its kind.
    #[error("无法读取文件：{0}")]
    Unreadable(String),
    /// No header row.
    #[error("文件是空的：第 1 行应为表头")]
    Empty,
}

fn unreadable(e: impl std::fmt::Display) -> SourceError {
    SourceError::Unreadable(e.to_string())
}

/// Bytes read so far, for progress.
pub type Position = Arc<AtomicU64>;

/// What reading a sheet yields, in order: the header row once, then every non-blank data row.
#[derive(Debug)]
pub enum Item<'a> {
    /// Row 1.
    Headers(&'a [String]),
    /// A data row.
    Row(Row),
}

/// Rows parsed ahead of [`read_ahead`]'s caller at a time.
const AHEAD: usize = 1000;

/// [`read`], with the file parsed on a thread of its own a few batches ahead of `each`: checking
/// a row costs about as much as parsing it, so a big sheet's first pass uses two cores.
pub fn read_ahead(
    path: &Path,
    format: Format,
    pos: &Position,
    mut each: impl FnMut(Item<'_>) -> bool,
) -> Result<(), SourceError> {
    enum Parsed {
        Headers(Vec<String>),
        Rows(Vec<Row>),
    }
    let (tx, rx) = std::sync::mpsc::sync_channel::<Parsed>(4);
    std::thread::scope(|scope| {
        let parser = scope.spawn(move || {
            let mut batch = Vec::with_capacity(AHEAD);
            let outcome = read(path, format, pos, |item| match item {
                Item::Headers(h) => tx.send(Parsed::Headers(h.to_vec())).is_ok(),
                Item::Row(row) => {
                    batch.push(row);
                    batch.len() < AHEAD || tx.send(Parsed::Rows(std::mem::take(&mut batch))).is_ok()
                }
            });
            if outcome.is_ok() && !batch.is_empty() {
                // A refused send means the caller has stopped: nothing to do about it.
                let _ = tx.send(Parsed::Rows(batch));
            }
            outcome
        });
        'parsed: for parsed in rx.iter() {
            match parsed {
                Parsed::Headers(h) => {
                    if !each(Item::Headers(&h)) {
                        break;
                    }
                }
                Parsed::Rows(rows) => {
                    for row in rows {
                        if !each(Item::Row(row)) {
                            break 'parsed;
                        }
                    }
                }
            }
        }
        // Dropping the receiver stops the parser at its next send.
        drop(rx);
        parser
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Opens `path` and calls `each` with the headers and then every non-blank data row in order
/// (stops early when `each` returns false). `pos` follows the bytes read (CSV) or the rows read
/// (xlsx).
pub fn read(
    path: &Path,
    format: Format,
    pos: &Position,
    mut each: impl FnMut(Item<'_>) -> bool,
) -> Result<(), SourceError> {
    match format {
        Format::Csv => {
            let mut file = BufReader::with_capacity(1 << 16, File::open(path).map_err(unreadable)?);
            // Skip a UTF-8 BOM, as Excel writes one.
            let mut bom = [0u8; 3];
            let n = std::io::Read::read(&mut file, &mut bom).map_err(unreadable)?;
            if !(n == 3 && bom == [0xEF, 0xBB, 0xBF]) {
                file.rewind().map_err(unreadable)?;
            }
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(file);
            let mut record = csv::StringRecord::new();
            let mut line = 0u32;
            let mut first = true;
            loop {
                match reader.read_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {}
                    Err(e) if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) => {
                        return Err(SourceError::Unreadable(
                            "CSV 文件须为 UTF-8 编码（在 Excel 中另存为“CSV UTF-8”）".into(),
                        ));
                    }
                    Err(e) => return Err(unreadable(e)),
                }
                line = record.position().map_or(line + 1, |p| p.line() as u32);
                pos.store(record.position().map_or(0, |p| p.byte()), Ordering::Relaxed);
                let cells: Vec<String> = record.iter().map(str::to_owned).collect();
                if first {
                    first = false;
                    if !each(Item::Headers(&cells)) {
                        return Ok(());
                    }
                    continue;
                }
                if shanzhi_domain::register::sheet::is_blank(&cells) {
                    continue;
                }
                if !each(Item::Row((line, cells))) {
                    break;
                }
            }
            if first {
                return Err(SourceError::Empty);
            }
            Ok(())
        }
        Format::Xlsx => read_xlsx(path, pos, each),
    }
}

fn read_xlsx(
    path: &Path,
    pos: &Position,
    mut each: impl FnMut(Item<'_>) -> bool,
) -> Result<(), SourceError> {
    use calamine::Reader;
    let file = BufReader::new(File::open(path).map_err(unreadable)?);
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(file).map_err(unreadable)?;
    let sheet = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| SourceError::Unreadable("Excel 文件没有工作表".into()))?;
    let merged = book
        .worksheet_merge_cells(&sheet)
        .transpose()
        .map_err(unreadable)?
        .unwrap_or_default();
    // The top-left value of each merged region, once its row has been read.
    let mut merged_values: HashMap<usize, String> = HashMap::new();
    let mut cells = book.worksheet_cells_reader(&sheet).map_err(unreadable)?;
    let mut row: Vec<String> = Vec::new();
    let mut row_at: Option<u32> = None;
    let mut headers_seen = false;
    let mut go_on = true;
    let mut flush = |at: u32,
                     row: &mut Vec<String>,
                     headers_seen: &mut bool,
                     merged_values: &HashMap<usize, String>|
     -> bool {
        // Cells inside a merged region may be absent from the file: fill every one.
        for (i, d) in merged.iter().enumerate() {
            if d.start.0 < at && at <= d.end.0 {
                let value = merged_values.get(&i).cloned().unwrap_or_default();
                for c in d.start.1..=d.end.1 {
                    let c = c as usize;
                    if row.len() <= c {
                        row.resize(c + 1, String::new());
                    }
                    if row[c].is_empty() {
                        row[c].clone_from(&value);
                    }
                }
            }
        }
        let cells = std::mem::take(row);
        pos.store(u64::from(at), Ordering::Relaxed);
        if !*headers_seen {
            *headers_seen = true;
            return each(Item::Headers(&cells));
        }
        if shanzhi_domain::register::sheet::is_blank(&cells) {
            return true;
        }
        each(Item::Row((at + 1, cells)))
    };
    while go_on {
        let Some(cell) = cells.next_cell().map_err(unreadable)? else {
            break;
        };
        let (r, c) = cell.get_position();
        if row_at != Some(r) {
            if let Some(at) = row_at {
                go_on = flush(at, &mut row, &mut headers_seen, &merged_values);
            }
            row_at = Some(r);
        }
        let text = cell_text(cell.get_value());
        if !merged.is_empty()
            && let Some(region) = merged.iter().position(|d| d.start == (r, c))
        {
            merged_values.insert(region, text.clone());
        }
        let c = c as usize;
        if row.len() <= c {
            row.resize(c + 1, String::new());
        }
        row[c] = text;
    }
    if go_on && let Some(at) = row_at {
        flush(at, &mut row, &mut headers_seen, &merged_values);
    }
    if !headers_seen {
        return Err(SourceError::Empty);
    }
    Ok(())
}

/// A cell as text: whole numbers without `.0`, dates as `YYYY-MM-DD`, numbers too long to be
/// exact (an ID number typed as a number) in scientific notation so they are refused, not
/// silently wrong.
fn cell_text(v: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match v {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            s.trim().to_owned()
        }
        DataRef::SharedString(s) => s.trim().to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) if f.abs() >= 1e15 => format!("{f:e}"),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        DataRef::DateTime(d) => excel_date(d.as_f64()),
        DataRef::Error(e) => format!("#{e}"),
    }
}

/// An Excel serial day number as an ISO date (the 1900 system; serials count from 1899-12-30).
fn excel_date(serial: f64) -> String {
    let base = time::macros::date!(1899 - 12 - 30);
    base.checked_add(time::Duration::days(serial.floor() as i64))
        .map_or_else(|| serial.to_string(), |d| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_serials_become_dates() {
        assert_eq!(excel_date(45658.0), "2025-01-01");
        assert_eq!(excel_date(45658.75), "2025-01-01");
    }

    #[test]
    fn long_numbers_are_not_passed_off_as_exact() {
        let t = cell_text(&calamine::DataRef::Float(450802195203140000.0));
        assert!(t.contains('e'), "{t}");
        assert_eq!(cell_text(&calamine::DataRef::Float(101.0)), "101");
    }
}
