//! What every register import shares: the report of bad rows, progress, the file on disk.

use super::source::{self, Format, Item, Layout, Notice, Position, Row};
use crate::{AppError, Principal};
use shanzhi_domain::register::sheet::Column;
use shanzhi_domain::register::sheet::Mapping;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// Most bad rows listed in a report (all are counted).
pub const MAX_LISTED: usize = 1000;

/// One thing wrong with one row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RowError {
    /// The row as the spreadsheet numbers it (the header is row 1).
    pub row: u32,
    /// The column's header in the template.
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// Bad rows, listed up to [`MAX_LISTED`] and all counted.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Problems {
    /// The first problems, in row order.
    pub listed: Vec<RowError>,
    /// How many problems in all.
    pub total: u64,
}

impl Problems {
    /// Adds a problem.
    pub fn add(&mut self, row: u32, field: &str, message: impl Into<String>) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED {
            self.listed.push(RowError {
                row,
                field: field.to_owned(),
                message: message.into(),
            });
        }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Puts the listed problems in row order.
    pub fn sort(&mut self) {
        self.listed.sort_by_key(|e| e.row);
    }
}

/// A column of the file and the field it was read as.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MappedColumn {
    /// Field key.
    pub key: String,
    /// The template's header for it.
    pub header: String,
    /// Whether every file must have it.
    pub required: bool,
    /// The file's header read as it (`None`: not in the file).
    pub from: Option<String>,
}

/// Describes a mapping for the report and the mapping step.
pub fn describe(m: &Mapping, headers: &[String]) -> Vec<MappedColumn> {
    m.describe(headers)
        .into_iter()
        .map(|(c, from)| MappedColumn {
            key: c.key.to_owned(),
            header: c.header.to_owned(),
            required: c.required,
            from: from.map(str::to_owned),
        })
        .collect()
}

/// How the user said to take a file in: in the mapping step, the header's row when the guess
/// is wrong and columns whose header the guess gets wrong (field key → header); and whether
/// the file refreshes what is registered.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reading {
    /// The header's row number.
    pub header_row: Option<u32>,
    /// Field key → the file's header.
    pub mapping: Vec<(String, String)>,
    /// A refresh (更新导入): records already registered are compared and updated instead of
    /// refused.
    #[serde(default)]
    pub update: bool,
    /// In a refresh, also list who is registered in the file's grids but not in the file.
    #[serde(default)]
    pub missing: bool,
    /// The grid of rows without one: a grid's own register has no grid column.
    #[serde(default)]
    pub grid: Option<String>,
}

impl Reading {
    /// Where the header is, for `columns`.
    pub fn layout(&self, columns: &'static [Column]) -> Layout {
        Layout {
            columns,
            header_row: self.header_row,
        }
    }
}

/// The outcome of an import.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Report {
    /// Data rows read (blank rows are skipped).
    pub rows: u64,
    /// Records written (persons, places …); 0 when the file was refused or only checked.
    pub written: u64,
    /// Households created (residents imports).
    pub households: u64,
    /// Whether the file was written (false: refused, or a check only).
    pub committed: bool,
    /// The header's row number (title rows above it are passed over).
    pub header_row: u32,
    /// The file's headers.
    pub headers: Vec<String>,
    /// How the columns were read.
    pub mapping: Vec<MappedColumn>,
    /// Every problem found; the file is written only when there is none.
    pub problems: Problems,
    /// What was noticed and done without being a problem: the encoding, title rows passed
    /// over, totals rows skipped.
    pub notices: Vec<Notice>,
    /// In a refresh: what the file adds, changes and moves (the preview, or what was written).
    pub changes: Option<Changes>,
}

/// What a refresh finds for one record.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Not registered yet: added.
    New,
    /// Registered: some fields change.
    Changed,
    /// Registered: goes to another household or grid (and perhaps more changes).
    Moved,
    /// Registered in the file's grids, not in the file (listed only, never removed).
    Missing,
}

impl ChangeKind {
    /// The preview's word for it.
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::New => "新增",
            ChangeKind::Changed => "修改",
            ChangeKind::Moved => "迁移",
            ChangeKind::Missing => "文件中没有",
        }
    }
}

/// One field a refresh changes, before and after (personal values masked).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FieldChange {
    /// The column's header.
    pub field: String,
    /// On record.
    pub before: String,
    /// In the file.
    pub after: String,
}

/// One record a refresh adds, changes, moves or misses.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Change {
    /// The file's row (none for records missing from the file).
    pub row: Option<u32>,
    /// What happens to it.
    pub kind: ChangeKind,
    /// Who or what it is, as a user knows it (name and masked ID number).
    pub who: String,
    /// The fields that change.
    pub fields: Vec<FieldChange>,
}

/// The refresh's preview: every record counted by kind, the first listed.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Changes {
    /// Records added.
    pub new: u64,
    /// Records whose fields change.
    pub changed: u64,
    /// Records moved to another household or grid.
    pub moved: u64,
    /// Records the same as on record.
    pub unchanged: u64,
    /// Records registered in the file's grids but not in the file (when asked for).
    pub missing: Option<u64>,
    /// The first changes, in row order (new records are counted, not listed).
    pub listed: Vec<Change>,
}

impl Changes {
    /// Counts a change, and lists it while the list has room (new records only counted).
    pub fn add(&mut self, change: Change) {
        match change.kind {
            ChangeKind::New => self.new += 1,
            ChangeKind::Changed => self.changed += 1,
            ChangeKind::Moved => self.moved += 1,
            ChangeKind::Missing => *self.missing.get_or_insert(0) += 1,
        }
        if change.kind != ChangeKind::New && self.listed.len() < MAX_LISTED {
            self.listed.push(change);
        }
    }
}

/// A phone's change, compared by blind index and shown masked (two numbers masked alike are
/// told apart in words); `None` when it is the same number.
pub fn phone_change(
    index: Option<&[u8]>,
    masked: Option<&str>,
    now: Option<&shanzhi_store::vault::SealedValue>,
) -> Option<(String, String)> {
    if index == now.map(|v| v.index.as_slice()) {
        return None;
    }
    let before = masked.unwrap_or_default().to_owned();
    let mut after = now.map(|v| v.masked.clone()).unwrap_or_default();
    if after == before {
        after.push_str("（号码不同）");
    }
    Some((before, after))
}

/// The fields that differ, by header: `(header, before, after)` in, changes out.
pub fn differences<'a>(
    pairs: impl IntoIterator<Item = (&'a str, String, String)>,
) -> Vec<FieldChange> {
    pairs
        .into_iter()
        .filter(|(_, before, after)| before != after)
        .map(|(field, before, after)| FieldChange {
            field: field.to_owned(),
            before,
            after,
        })
        .collect()
}

/// An uploaded file waiting to be imported; removed when dropped.
#[derive(Debug)]
pub struct Upload {
    /// Where it is.
    pub path: PathBuf,
    /// What it is.
    pub format: Format,
    /// Its size in bytes (CSV progress is counted in bytes).
    pub size: u64,
    /// Its name as sent.
    pub name: String,
    /// Whether the file is ours to remove (an upload) or the caller's (the CLI's).
    owned: bool,
}

impl Drop for Upload {
    fn drop(&mut self) {
        if self.owned {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Upload {
    /// Writes `bytes` to a new owner-only file in `dir` (created owner-only if missing); the
    /// file is removed when the upload is dropped, after its import ends or fails.
    pub fn save(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::io::Result<Upload> {
        shanzhi_store::files::private_dir(dir)?;
        let path = dir.join(format!(
            "import-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        shanzhi_store::files::write_private(&path, bytes)?;
        Ok(Upload {
            format: Format::guess(name, bytes),
            size: bytes.len() as u64,
            name: name.to_owned(),
            path,
            owned: true,
        })
    }

    /// Takes a file already on disk (the CLI); it is left in place afterwards.
    pub fn existing(path: PathBuf) -> std::io::Result<Upload> {
        let mut head = [0u8; Format::HEAD];
        let mut f = std::fs::File::open(&path)?;
        let n = std::io::Read::read(&mut f, &mut head)?;
        let size = f.metadata()?.len();
        let name = path.display().to_string();
        Ok(Upload {
            format: Format::guess(&name, &head[..n]),
            size,
            name,
            path,
            owned: false,
        })
    }
}

/// Phases of an import, for progress.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Reading and checking rows.
    Checking,
    /// Looking up ID numbers already registered.
    Matching,
    /// Writing.
    Writing,
    /// Building the register's indexes after a bulk write.
    Indexing,
    /// Finished.
    Done,
}

impl Phase {
    /// What is being done, in the words of the progress display.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Checking => "逐行检查",
            Phase::Matching => "核对是否已登记",
            Phase::Writing => "写入",
            Phase::Indexing => "建立索引",
            Phase::Done => "已完成",
        }
    }
}

/// How far an import has got.
#[derive(Debug, Default)]
pub struct Progress {
    phase: AtomicU8,
    /// Bytes (CSV) or rows (xlsx) read in the current pass.
    pub read: Position,
    /// Rows checked or written so far in the current pass.
    pub rows: AtomicU64,
}

impl Progress {
    /// A fresh progress, shared with the import.
    pub fn new() -> Arc<Progress> {
        Arc::new(Progress {
            phase: AtomicU8::new(0),
            read: Arc::new(AtomicU64::new(0)),
            rows: AtomicU64::new(0),
        })
    }

    /// Moves to a phase (counters restart).
    pub fn enter(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::Relaxed);
        self.read.store(0, Ordering::Relaxed);
        self.rows.store(0, Ordering::Relaxed);
    }

    /// The phase now.
    pub fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Relaxed) {
            0 => Phase::Checking,
            1 => Phase::Matching,
            2 => Phase::Writing,
            3 => Phase::Indexing,
            _ => Phase::Done,
        }
    }
}

/// Reads a small register's sheet whole (places, staff: thousands of rows, not millions): the
/// report so far (header, mapping, notices, header problems), the mapping when the header could
/// be read, and the data rows. More than `max_rows` rows is refused, naming `what`.
pub(crate) async fn read_rows(
    upload: &Upload,
    reading: &Reading,
    columns: &'static [Column],
    (max_rows, what): (u64, &str),
    progress: &Arc<Progress>,
) -> Result<(Report, Option<Mapping>, Vec<Row>), AppError> {
    let (path, format, reading) = (upload.path.clone(), upload.format, reading.clone());
    let pos = progress.read.clone();
    let (report, mapping, rows) = tokio::task::spawn_blocking(move || {
        let mut report = Report::default();
        let mut mapping = None;
        let mut rows: Vec<Row> = Vec::new();
        source::read(
            &path,
            format,
            &reading.layout(columns),
            &pos,
            |item| match item {
                Item::Note(n) => {
                    report.notices.push(n);
                    true
                }
                Item::Headers(at, h) => {
                    report.header_row = at;
                    report.headers = h.to_vec();
                    match Mapping::new(columns, h, &reading.mapping) {
                        Ok(m) => {
                            report.mapping = describe(&m, h);
                            mapping = Some(m);
                            true
                        }
                        Err(u) => {
                            report.mapping = describe(&u.partial, h);
                            for e in u.errors {
                                report.problems.add(at, "表头", e);
                            }
                            false
                        }
                    }
                }
                Item::Row(r) => {
                    report.rows += 1;
                    rows.push(r);
                    report.rows <= max_rows
                }
            },
        )
        .map(|()| (report, mapping, rows))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::bad("unreadable_file", e.to_string()))?;
    if report.rows > max_rows {
        return Err(AppError::TooLarge(format!(
            "{what}最多 {max_rows} 行，请分批导入"
        )));
    }
    Ok((report, mapping, rows))
}

/// The registers a sheet can be imported into.
pub const REGISTERS: [&str; 3] = ["residents", "places", "staff"];

/// Imports `upload` into `register` (one of [`REGISTERS`]) as `p`: checks every row, then
/// writes the whole file in one transaction unless `check_only` or any row is wrong.
pub async fn run(
    state: &crate::App,
    p: &Principal,
    register: &str,
    upload: &Upload,
    reading: &Reading,
    check_only: bool,
    progress: &Arc<Progress>,
) -> Result<Report, AppError> {
    match register {
        "residents" => {
            super::resident_sheet::import(state, p, upload, reading, check_only, progress).await
        }
        "places" => super::places::import(state, p, upload, reading, check_only, progress).await,
        "staff" => {
            super::staff_sheet::import(state, p, upload, reading, check_only, progress).await
        }
        _ => Err(AppError::not_found()),
    }
}
