//! Reading a register sheet row by row without holding it in memory: CSV through `csv`'s
//! streaming reader (UTF-8, or GBK/GB18030 as Chinese Excel and WPS save it, decoded on the
//! way by `encoding_rs_io`), xlsx through calamine's cell reader (shared strings are the only
//! part kept whole; merged regions are found apart, by `merges`); xls (Excel 97–2003, WPS) and
//! ods, whose formats hold no more than 65,536 rows, are read whole by calamine. The header row
//! is found by the columns it names (title rows above it are passed over), totals and signature
//! lines below the data are skipped with a notice, merged cells are filled from their top-left
//! cell, formula cells give the value saved with them, and blank rows are skipped. Rows are
//! numbered as the spreadsheet shows them.

use shanzhi_domain::register::sheet::{Column, header_score, is_blank, is_footer};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The formats a register sheet comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Comma-separated: UTF-8 (a BOM is fine), GBK or GB18030; LF or CRLF.
    Csv,
    /// Excel 2007+; the first sheet.
    Xlsx,
    /// Excel 97–2003 (and WPS's .et); the first sheet.
    Xls,
    /// OpenDocument (LibreOffice, WPS); the first sheet.
    Ods,
}

/// The first bytes of an OLE compound file, which .xls files are.
const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0];

impl Format {
    /// Bytes of the file's start [`Format::guess`] looks at.
    pub const HEAD: usize = 128;

    /// From a file name or content type and the file's first bytes (zip and OLE signatures;
    /// an OpenDocument zip names its type first).
    pub fn guess(name_or_type: &str, head: &[u8]) -> Format {
        let s = name_or_type.to_ascii_lowercase();
        let zip = head.starts_with(b"PK\x03\x04");
        let names_ods = head
            .windows(b"opendocument.spreadsheet".len())
            .any(|w| w == b"opendocument.spreadsheet");
        if s.ends_with(".ods") || s.contains("opendocument.spreadsheet") || (zip && names_ods) {
            Format::Ods
        } else if s.ends_with(".xlsx") || s.contains("spreadsheetml") || zip {
            Format::Xlsx
        } else if s.ends_with(".xls") || s.ends_with(".et") || head.starts_with(OLE) {
            Format::Xls
        } else {
            Format::Csv
        }
    }
}

/// A sheet row: its number as the spreadsheet shows it and its cells.
pub type Row = (u32, Vec<String>);

/// Why a sheet cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Not a readable file of its kind.
    #[error("无法读取文件：{0}")]
    Unreadable(String),
    /// No rows.
    #[error("文件是空的：没有表头和数据")]
    Empty,
    /// The header row chosen is blank or past the end.
    #[error("第 {0} 行是空行或不存在，不能作为表头：请重新选择表头所在的行")]
    NoHeaderRow(u32),
}

fn unreadable(e: impl std::fmt::Display) -> SourceError {
    SourceError::Unreadable(e.to_string())
}

/// Bytes read so far, for progress.
pub type Position = Arc<AtomicU64>;

/// Something the import noticed and did without being an error: a title row passed over, a
/// totals row skipped, the file's encoding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Notice {
    /// The row it is about (none: the whole file).
    pub row: Option<u32>,
    /// What was done, in words.
    pub message: String,
}

/// Where a sheet's header row is: among the first rows, the one naming most of `columns`, or
/// the row the user chose in the mapping step.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// The register's columns.
    pub columns: &'static [Column],
    /// The header's row number, when chosen.
    pub header_row: Option<u32>,
}

/// What reading a sheet yields, in order: notices about the file, the header row once, then
/// every data row and a notice for each row skipped.
#[derive(Debug)]
pub enum Item<'a> {
    /// The header row and its number.
    Headers(u32, &'a [String]),
    /// A data row.
    Row(Row),
    /// A notice.
    Note(Notice),
}

/// Non-blank rows looked at for the header.
const HEADER_SCAN: usize = 30;

/// Finds the header among the first rows, then passes data rows on.
struct Rows<'l, F> {
    layout: &'l Layout,
    waiting: Vec<Row>,
    found: bool,
    missing: Option<u32>,
    each: F,
}

impl<F: FnMut(Item<'_>) -> bool> Rows<'_, F> {
    /// Takes the next row of the file; false: stop reading.
    fn push(&mut self, at: u32, cells: Vec<String>) -> bool {
        if self.found {
            return is_blank(&cells) || self.data(at, cells);
        }
        if let Some(h) = self.layout.header_row
            && at > h
        {
            self.missing = Some(h);
            return false;
        }
        if is_blank(&cells) {
            return true;
        }
        self.waiting.push((at, cells));
        match self.layout.header_row {
            Some(h) if h == at => self.settle(self.waiting.len() - 1),
            None if self.waiting.len() >= HEADER_SCAN => self.settle(self.best()),
            _ => true,
        }
    }

    /// The waiting row naming most columns (the first of equals; the first row if none names any).
    fn best(&self) -> usize {
        let mut best = (0, 0);
        for (i, (_, cells)) in self.waiting.iter().enumerate() {
            let score = header_score(self.layout.columns, cells);
            if score > best.1 {
                best = (i, score);
            }
        }
        best.0
    }

    fn settle(&mut self, header: usize) -> bool {
        self.found = true;
        let mut rows = std::mem::take(&mut self.waiting).into_iter().skip(header);
        let Some((at, cells)) = rows.next() else {
            return true;
        };
        if header > 0
            && !(self.each)(Item::Note(Notice {
                row: Some(at),
                message: format!("表头在第 {at} 行，上面的标题行已跳过"),
            }))
        {
            return false;
        }
        if !(self.each)(Item::Headers(at, &cells)) {
            return false;
        }
        rows.into_iter().all(|(at, cells)| self.data(at, cells))
    }

    fn data(&mut self, at: u32, cells: Vec<String>) -> bool {
        if is_footer(&cells) {
            return (self.each)(Item::Note(Notice {
                row: Some(at),
                message: format!("第 {at} 行是合计或落款行，不是数据，已跳过"),
            }));
        }
        (self.each)(Item::Row((at, cells)))
    }

    fn finish(mut self) -> Result<(), SourceError> {
        if let Some(h) = self.missing {
            return Err(SourceError::NoHeaderRow(h));
        }
        if self.found {
            return Ok(());
        }
        if let Some(h) = self.layout.header_row {
            return Err(SourceError::NoHeaderRow(h));
        }
        if self.waiting.is_empty() {
            return Err(SourceError::Empty);
        }
        let header = self.best();
        self.settle(header);
        Ok(())
    }
}

/// Rows parsed ahead of [`read_ahead`]'s caller at a time.
const AHEAD: usize = 1000;

/// [`read`], with the file parsed on a thread of its own a few batches ahead of `each`: checking
/// a row costs about as much as parsing it, so a big sheet's first pass uses two cores. When
/// `keep`, a spreadsheet's data rows are also kept (see [`Kept`]) if the whole file was read.
pub fn read_ahead(
    path: &Path,
    format: Format,
    layout: &Layout,
    pos: &Position,
    keep: bool,
    mut each: impl FnMut(Item<'_>) -> bool,
) -> Result<Option<Kept>, SourceError> {
    enum Parsed {
        Headers(u32, Vec<String>),
        Rows(Vec<Row>),
        Note(Notice),
    }
    let (tx, rx) = std::sync::mpsc::sync_channel::<Parsed>(4);
    std::thread::scope(|scope| {
        let parser = scope.spawn(move || {
            // CSV is as quick to read again as anything it could be kept in.
            let mut keeper = (keep && format != Format::Csv)
                .then(|| Keeper::beside(path))
                .flatten();
            let mut batch = Vec::with_capacity(AHEAD);
            let flush = |batch: &mut Vec<Row>| {
                batch.is_empty() || tx.send(Parsed::Rows(std::mem::take(batch))).is_ok()
            };
            let mut stopped = false;
            let outcome = read(path, format, layout, pos, |item| {
                let go_on = match item {
                    Item::Headers(at, h) => tx.send(Parsed::Headers(at, h.to_vec())).is_ok(),
                    Item::Row(row) => {
                        if keeper.as_mut().is_some_and(|k| k.keep(&row).is_err()) {
                            keeper = None;
                        }
                        batch.push(row);
                        batch.len() < AHEAD || flush(&mut batch)
                    }
                    // In order with the rows around it.
                    Item::Note(n) => flush(&mut batch) && tx.send(Parsed::Note(n)).is_ok(),
                };
                stopped = !go_on;
                go_on
            });
            if outcome.is_ok() {
                // A refused send means the caller has stopped: nothing to do about it.
                stopped |= !flush(&mut batch);
            }
            outcome.map(|()| keeper.filter(|_| !stopped).and_then(Keeper::done))
        });
        'parsed: for parsed in rx.iter() {
            let go_on = match parsed {
                Parsed::Headers(at, h) => each(Item::Headers(at, &h)),
                Parsed::Note(n) => each(Item::Note(n)),
                Parsed::Rows(rows) => {
                    for row in rows {
                        if !each(Item::Row(row)) {
                            break 'parsed;
                        }
                    }
                    true
                }
            };
            if !go_on {
                break;
            }
        }
        // Dropping the receiver stops the parser at its next send.
        drop(rx);
        parser
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// A spreadsheet's data rows as the first pass read them, so the second pass reads them back
/// instead of parsing the file again (a million-row xlsx: its shared strings and every cell,
/// seconds). They are in an unnamed file beside the sheet, owner-only, which the system removes
/// when it is closed, even after a crash: the rows hold ID numbers in the clear, as the sheet does.
pub struct Kept {
    file: File,
}

/// Writes a [`Kept`]: per row its number and cell count, per cell its length and bytes.
struct Keeper {
    out: std::io::BufWriter<File>,
}

impl Keeper {
    /// `None` when no file can be made there (a sheet in a read-only folder): the second pass
    /// then reads the sheet again.
    fn beside(path: &Path) -> Option<Keeper> {
        // A bare file name ("x.xlsx") lies in the working directory.
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let file = tempfile::tempfile_in(dir).ok()?;
        Some(Keeper {
            out: std::io::BufWriter::with_capacity(1 << 16, file),
        })
    }

    fn keep(&mut self, (at, cells): &Row) -> std::io::Result<()> {
        use std::io::Write;
        self.out.write_all(&at.to_le_bytes())?;
        self.out.write_all(&(cells.len() as u32).to_le_bytes())?;
        for cell in cells {
            self.out.write_all(&(cell.len() as u32).to_le_bytes())?;
            self.out.write_all(cell.as_bytes())?;
        }
        Ok(())
    }

    fn done(self) -> Option<Kept> {
        let mut file = self.out.into_inner().ok()?;
        file.rewind().ok()?;
        Some(Kept { file })
    }
}

impl Kept {
    /// Calls `each` with every row in order (stops early when it returns false); `pos` follows
    /// the rows read, as for the spreadsheet.
    pub fn replay(
        self,
        pos: &Position,
        mut each: impl FnMut(Row) -> bool,
    ) -> Result<(), SourceError> {
        let mut input = BufReader::with_capacity(1 << 16, self.file);
        let mut word = [0u8; 4];
        let mut next = |input: &mut BufReader<File>| -> std::io::Result<u32> {
            input.read_exact(&mut word)?;
            Ok(u32::from_le_bytes(word))
        };
        loop {
            let at = match next(&mut input) {
                Ok(at) => at,
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
                Err(e) => return Err(unreadable(e)),
            };
            let count = next(&mut input).map_err(unreadable)?;
            let mut cells = Vec::with_capacity(count as usize);
            for _ in 0..count {
                let mut bytes = vec![0u8; next(&mut input).map_err(unreadable)? as usize];
                input.read_exact(&mut bytes).map_err(unreadable)?;
                cells.push(String::from_utf8(bytes).map_err(unreadable)?);
            }
            pos.store(u64::from(at.saturating_sub(1)), Ordering::Relaxed);
            if !each((at, cells)) {
                return Ok(());
            }
        }
    }
}

/// Opens `path` and calls `each` with what it finds, in order (stops early when `each` returns
/// false). `pos` follows the bytes read (CSV) or the rows read (spreadsheets).
pub fn read(
    path: &Path,
    format: Format,
    layout: &Layout,
    pos: &Position,
    mut each: impl FnMut(Item<'_>) -> bool,
) -> Result<(), SourceError> {
    let file = File::open(path).map_err(unreadable)?;
    let legacy = match format {
        Format::Csv => read_csv_encoding(&file)?,
        _ => None,
    };
    if let Some(name) = legacy
        && !each(Item::Note(Notice {
            row: None,
            message: format!("文件是 {name} 编码，已自动识别"),
        }))
    {
        return Ok(());
    }
    let mut rows = Rows {
        layout,
        waiting: Vec::new(),
        found: false,
        missing: None,
        each,
    };
    match format {
        Format::Csv => read_csv(file, legacy.is_some(), pos, &mut rows)?,
        Format::Xlsx => read_xlsx(file, path, pos, &mut rows)?,
        Format::Xls | Format::Ods => read_whole(file, format, pos, &mut rows)?,
    }
    rows.finish()
}

/// How much of a CSV file decides its encoding.
const SNIFF: usize = 64 * 1024;

/// The encoding of a CSV file when it is not UTF-8 (`None`: UTF-8): text that is not valid
/// UTF-8 in its first 64 KiB is read as GB18030, which contains GBK and GB2312.
fn read_csv_encoding(mut file: &File) -> Result<Option<&'static str>, SourceError> {
    let mut sample = Vec::with_capacity(SNIFF);
    (&mut file)
        .take(SNIFF as u64)
        .read_to_end(&mut sample)
        .map_err(unreadable)?;
    file.rewind().map_err(unreadable)?;
    Ok(match std::str::from_utf8(&sample) {
        Ok(_) => None,
        // Only cut short at the sample's end: UTF-8 all the same.
        Err(e) if e.error_len().is_none() => None,
        Err(_) => Some("GBK/GB18030"),
    })
}

/// Counts the bytes read through it, for progress.
struct Counted<R> {
    inner: R,
    pos: Position,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads a CSV file, GB18030 when `gb` (as [`read_csv_encoding`] found), UTF-8 otherwise.
fn read_csv<F: FnMut(Item<'_>) -> bool>(
    file: File,
    gb: bool,
    pos: &Position,
    rows: &mut Rows<'_, F>,
) -> Result<(), SourceError> {
    pos.store(0, Ordering::Relaxed);
    let counted = Counted {
        inner: file,
        pos: pos.clone(),
    };
    // A UTF-8 BOM (as Excel writes) is dropped either way; GB18030 is decoded to UTF-8.
    let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(if gb {
            encoding_rs::GB18030
        } else {
            encoding_rs::UTF_8
        }))
        .utf8_passthru(true)
        .strip_bom(true)
        .build(counted);
    // Records end at the line feed, so a CRLF line is numbered as one line (the carriage
    // return is taken off the last cell below).
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(1 << 16)
        .from_reader(decoded);
    let mut record = csv::StringRecord::new();
    let mut line = 0u32;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) => {
                return Err(SourceError::Unreadable(
                    "文件中有无法识别的字符：请在 Excel 或 WPS 中另存为“CSV UTF-8”后重新上传"
                        .into(),
                ));
            }
            Err(e) => return Err(unreadable(e)),
        }
        line = record.position().map_or(line + 1, |p| p.line() as u32);
        let mut cells: Vec<String> = record.iter().map(str::to_owned).collect();
        if let Some(last) = cells.last_mut()
            && last.ends_with('\r')
        {
            last.pop();
        }
        if !rows.push(line, cells) {
            return Ok(());
        }
    }
}

fn read_xlsx<F: FnMut(Item<'_>) -> bool>(
    file: File,
    path: &Path,
    pos: &Position,
    rows: &mut Rows<'_, F>,
) -> Result<(), SourceError> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::Xlsx::new(BufReader::new(file)).map_err(unreadable)?;
    let sheet = first_sheet(&book.sheet_names())?;
    let merged = super::merges::first_sheet(path).map_err(SourceError::Unreadable)?;
    // The top-left value of each merged region, once its row has been read.
    let mut merged_values: HashMap<usize, String> = HashMap::new();
    let mut cells = book.worksheet_cells_reader(&sheet).map_err(unreadable)?;
    let mut row: Vec<String> = Vec::new();
    let mut row_at: Option<u32> = None;
    let mut flush = |at: u32, row: &mut Vec<String>, merged_values: &HashMap<usize, String>| {
        // Cells inside a merged region may be absent from the file: fill every one.
        for (i, &(start, end)) in merged.iter().enumerate() {
            if start.0 < at && at <= end.0 {
                let value = merged_values.get(&i).cloned().unwrap_or_default();
                fill(row, start.1..=end.1, &value);
            }
        }
        pos.store(u64::from(at), Ordering::Relaxed);
        rows.push(at + 1, std::mem::take(row))
    };
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        let (r, c) = cell.get_position();
        if row_at != Some(r) {
            if let Some(at) = row_at
                && !flush(at, &mut row, &merged_values)
            {
                return Ok(());
            }
            row_at = Some(r);
        }
        let text = cell_text(cell.get_value());
        if !merged.is_empty()
            && let Some(region) = merged.iter().position(|(start, _)| *start == (r, c))
        {
            merged_values.insert(region, text.clone());
        }
        let c = c as usize;
        if row.len() <= c {
            row.resize(c + 1, String::new());
        }
        row[c] = text;
    }
    if let Some(at) = row_at {
        flush(at, &mut row, &merged_values);
    }
    Ok(())
}

/// xls and ods: the first sheet read whole (their formats stop at 65,536 and 1,048,576 rows;
/// registers in them are small), merged regions filled from their top-left cell.
fn read_whole<F: FnMut(Item<'_>) -> bool>(
    file: File,
    format: Format,
    pos: &Position,
    rows: &mut Rows<'_, F>,
) -> Result<(), SourceError> {
    use calamine::Reader;
    let reader = BufReader::new(file);
    let (range, merged) = if format == Format::Xls {
        let mut book = calamine::Xls::new(reader).map_err(unreadable)?;
        let sheet = first_sheet(&book.sheet_names())?;
        let merged = book.worksheet_merge_cells(&sheet).unwrap_or_default();
        (book.worksheet_range(&sheet).map_err(unreadable)?, merged)
    } else {
        let mut book: calamine::Ods<_> = calamine::Ods::new(reader).map_err(unreadable)?;
        let sheet = first_sheet(&book.sheet_names())?;
        (
            book.worksheet_range(&sheet).map_err(unreadable)?,
            Vec::new(),
        )
    };
    let Some((top, left)) = range.start() else {
        return Ok(());
    };
    let mut texts: Vec<Vec<String>> = range
        .rows()
        .map(|r| {
            // Leading empty columns keep their places, so column letters stay right.
            let mut cells = vec![String::new(); left as usize];
            cells.extend(r.iter().map(cell_text));
            cells
        })
        .collect();
    for d in merged {
        let Some(value) = texts
            .get(d.start.0.saturating_sub(top) as usize)
            .and_then(|r| r.get(d.start.1 as usize))
            .cloned()
        else {
            continue;
        };
        for r in d.start.0..=d.end.0 {
            if let Some(row) = texts.get_mut(r.saturating_sub(top) as usize) {
                fill(row, d.start.1..=d.end.1, &value);
            }
        }
    }
    for (i, cells) in texts.into_iter().enumerate() {
        let at = top + i as u32;
        pos.store(u64::from(at), Ordering::Relaxed);
        if !rows.push(at + 1, cells) {
            break;
        }
    }
    Ok(())
}

/// Gives the empty cells of `columns` in `row` a merged region's value.
fn fill(row: &mut Vec<String>, columns: std::ops::RangeInclusive<u32>, value: &str) {
    for c in columns {
        let c = c as usize;
        if row.len() <= c {
            row.resize(c + 1, String::new());
        }
        if row[c].is_empty() {
            value.clone_into(&mut row[c]);
        }
    }
}

fn first_sheet(names: &[String]) -> Result<String, SourceError> {
    names
        .first()
        .cloned()
        .ok_or_else(|| SourceError::Unreadable("表格文件没有工作表".into()))
}

/// A cell as text: whole numbers without `.0`, dates as `YYYY-MM-DD`, numbers too long to be
/// exact (an ID number typed as a number) in scientific notation so they are refused, not
/// silently wrong.
fn cell_text(v: &impl calamine::DataType) -> String {
    if let Some(s) = v
        .get_string()
        .or_else(|| v.get_datetime_iso())
        .or_else(|| v.get_duration_iso())
    {
        return s.trim().to_owned();
    }
    if let Some(i) = v.get_int() {
        return i.to_string();
    }
    if let Some(d) = v.get_datetime() {
        return excel_date(d.as_f64());
    }
    if let Some(f) = v.get_float() {
        return if f.fract() == 0.0 && f.abs() < 1e15 {
            format!("{}", f as i64)
        } else if f.abs() >= 1e15 {
            format!("{f:e}")
        } else {
            f.to_string()
        };
    }
    if let Some(b) = v.get_bool() {
        return if b { "是" } else { "否" }.to_owned();
    }
    v.get_error().map_or_else(String::new, |e| format!("#{e}"))
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
    fn kept_rows_read_back_as_they_were_read() {
        let dir = std::env::temp_dir();
        let mut keeper = Keeper::beside(&dir.join("sheet.xlsx")).expect("a writable folder");
        let rows: Vec<Row> = vec![
            (
                3,
                vec!["韦海".into(), String::new(), "450803194001010010".into()],
            ),
            (7, vec![]),
            (1_048_576, vec!["户主".into()]),
        ];
        for row in &rows {
            keeper.keep(row).unwrap();
        }
        let pos = Position::default();
        let mut read = Vec::new();
        let kept = keeper.done().expect("kept");
        kept.replay(&pos, |row| {
            read.push(row);
            true
        })
        .unwrap();
        assert_eq!(read, rows);
        assert_eq!(pos.load(Ordering::Relaxed), 1_048_575);
    }

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
