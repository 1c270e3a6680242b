//! The merged regions of an xlsx file's first sheet, found without parsing the sheet. Excel
//! and WPS write them after the sheet's data, so asking calamine for them parses every cell of
//! the sheet once more before the rows can be read: at a million rows, seconds per pass. A `<`
//! cannot stand unescaped in the data's text, so a plain search of the inflated bytes for the
//! element's name finds it, and only what follows it is parsed as XML.

use quick_xml::Reader;
use quick_xml::events::Event;
use std::io::{BufReader, Read};
use std::path::Path;

/// A merged region: its top-left and bottom-right cells as zero-based (row, column).
pub(super) type Region = ((u32, u32), (u32, u32));

/// The merged regions of the first sheet of the xlsx file at `path`.
pub(super) fn first_sheet(path: &Path) -> Result<Vec<Region>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| e.to_string())?;
    let sheet = first_sheet_path(&mut zip)?;
    let entry = zip.by_name(&sheet).map_err(|e| e.to_string())?;
    let tail = after(entry, b"mergeCells")?;
    regions(&tail)
}

/// The path inside the zip of the workbook's first sheet: its relationship id from
/// `xl/workbook.xml`, looked up in the workbook's relationships.
fn first_sheet_path<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
) -> Result<String, String> {
    let workbook = entry_text(zip, "xl/workbook.xml")?;
    let id = first_attribute(&workbook, b"sheet", b"id")?
        .ok_or_else(|| "工作簿没有工作表".to_owned())?;
    let rels = entry_text(zip, "xl/_rels/workbook.xml.rels")?;
    let mut reader = Reader::from_str(&rels);
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"Relationship" => {
                if attribute(&e, b"Id")?.as_deref() == Some(id.as_str())
                    && let Some(target) = attribute(&e, b"Target")?
                {
                    return Ok(match target.strip_prefix('/') {
                        Some(absolute) => absolute.to_owned(),
                        None => format!("xl/{target}"),
                    });
                }
            }
            Event::Eof => return Err("工作簿缺少工作表的位置".to_owned()),
            _ => {}
        }
    }
}

fn entry_text<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
) -> Result<String, String> {
    let mut text = String::new();
    zip.by_name(name)
        .map_err(|e| e.to_string())?
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    Ok(text)
}

/// The attribute `name` (by local name) of the first element named `element` in `xml`.
fn first_attribute(xml: &str, element: &[u8], name: &[u8]) -> Result<Option<String>, String> {
    let mut reader = Reader::from_str(xml);
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == element => {
                return attribute(&e, name);
            }
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}

/// An attribute's unescaped value, by its local name (`r:id` is `id`).
fn attribute(e: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> Result<Option<String>, String> {
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        if a.key.local_name().as_ref() == name {
            let raw = std::str::from_utf8(&a.value).map_err(|e| e.to_string())?;
            let value = quick_xml::escape::unescape(raw).map_err(|e| e.to_string())?;
            return Ok(Some(value.into_owned()));
        }
    }
    Ok(None)
}

/// Bytes read from the sheet at a time.
const CHUNK: usize = 1 << 18;

/// What follows the first start tag named `name` (with or without a namespace prefix), from
/// its `<`; empty when there is none.
fn after(mut sheet: impl Read, name: &[u8]) -> Result<Vec<u8>, String> {
    let finder = memchr::memmem::Finder::new(name);
    let mut buf = Vec::with_capacity(CHUNK + name.len() + 64);
    loop {
        let kept = buf.len();
        buf.resize(kept + CHUNK, 0);
        let n = sheet.read(&mut buf[kept..]).map_err(|e| e.to_string())?;
        buf.truncate(kept + n);
        if n == 0 {
            return Ok(Vec::new());
        }
        if let Some(start) = finder.find_iter(&buf).find_map(|at| tag_start(&buf, at)) {
            let mut rest = buf.split_off(start);
            sheet.read_to_end(&mut rest).map_err(|e| e.to_string())?;
            return Ok(rest);
        }
        // Keep what could be the start of a tag cut by the chunk's end: a prefix and the name.
        let keep = buf.len().min(name.len() + 64);
        buf.drain(..buf.len() - keep);
    }
}

/// Where the start tag whose name is at `at` begins: `<name` or `<prefix:name`.
fn tag_start(buf: &[u8], at: usize) -> Option<usize> {
    let before = &buf[..at];
    match before.last() {
        Some(b'<') => Some(at - 1),
        Some(b':') => {
            let lt = before.iter().rposition(|&b| b == b'<')?;
            let prefix = &before[lt + 1..at - 1];
            prefix
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
                .then_some(lt)
        }
        _ => None,
    }
}

/// The regions listed in a `<mergeCells>` element and what follows it.
fn regions(xml: &[u8]) -> Result<Vec<Region>, String> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    loop {
        match reader
            .read_event_into(&mut buf)
            .map_err(|e| e.to_string())?
        {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"mergeCell" => {
                if let Some(r) = attribute(&e, b"ref")?.as_deref().and_then(range) {
                    out.push(r);
                }
            }
            Event::End(e) if e.local_name().as_ref() == b"mergeCells" => return Ok(out),
            Event::Eof => return Ok(out),
            _ => {}
        }
        buf.clear();
    }
}

/// `A1:C2` (or one cell, `B3`) as a region.
fn range(text: &str) -> Option<Region> {
    let (from, to) = text.split_once(':').unwrap_or((text, text));
    Some((cell(from)?, cell(to)?))
}

/// `C2` as zero-based (row, column): (1, 2).
fn cell(text: &str) -> Option<(u32, u32)> {
    let text = text.trim().trim_start_matches('$');
    let digits = text.find(|c: char| c.is_ascii_digit())?;
    let (letters, number) = text.split_at(digits);
    let letters = letters.trim_end_matches('$');
    if letters.is_empty() || !letters.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let column = letters.bytes().try_fold(0u32, |n, b| {
        n.checked_mul(26)?.checked_add(u32::from(b - b'A') + 1)
    })?;
    let row: u32 = number.parse().ok()?;
    Some((row.checked_sub(1)?, column - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_become_zero_based_cells() {
        assert_eq!(cell("A1"), Some((0, 0)));
        assert_eq!(cell("AB12"), Some((11, 27)));
        assert_eq!(cell("$C$2"), Some((1, 2)));
        assert_eq!(cell("A0"), None);
        assert_eq!(range("A1:C2"), Some(((0, 0), (1, 2))));
    }

    #[test]
    fn the_element_is_found_across_chunks_and_with_a_prefix() {
        let mut sheet = b"<x:worksheet><x:sheetData>".to_vec();
        // Long enough that the element starts in a later chunk than the sheet's first bytes.
        sheet.extend(std::iter::repeat_n(b'.', CHUNK - 5));
        sheet.extend(b"<x:mergeCells count=\"1\"><x:mergeCell ref=\"B2:C3\"/></x:mergeCells>");
        let tail = after(&sheet[..], b"mergeCells").unwrap();
        assert_eq!(regions(&tail).unwrap(), vec![((1, 1), (2, 2))]);
        assert!(
            after(&b"<sheetData/>"[..], b"mergeCells")
                .unwrap()
                .is_empty()
        );
    }
}
