//! Road ranges as an administrator imports them (门牌段): a sheet with one row per road,
//! house-number range, side and grid, read with every bad row reported by its number.

use super::Side;
use crate::case::hotline::Table;
use crate::register::sheet::{Column, col};

/// The columns of a road-range sheet.
pub const COLUMNS: &[Column] = &[
    col(
        "road",
        "道路名称",
        &["路名", "道路", "街路巷名称", "road"],
        true,
    ),
    col(
        "first",
        "起始门牌",
        &["起号", "起始号", "门牌起", "first"],
        true,
    ),
    col(
        "last",
        "终止门牌",
        &["止号", "终止号", "门牌止", "last"],
        true,
    ),
    col("side", "单双号", &["单双", "号段", "side"], false),
    col("grid", "网格编码", &["所属网格编码", "网格", "grid"], true),
];

/// One range read: row number, road, first, last, side, grid code.
pub type RangeRow = (usize, String, u32, u32, Side, String);

/// Reads the ranges, and every problem as (row number, what to fix); a missing column is a
/// problem of the header row and no range is read.
pub fn read(table: &Table) -> (Vec<RangeRow>, Vec<(usize, String)>) {
    let at = |key: &str| {
        COLUMNS.iter().find(|c| c.key == key).and_then(|c| {
            table
                .headers
                .iter()
                .position(|h| c.is_named(h.trim_start_matches('\u{feff}')))
        })
    };
    let missing: Vec<&str> = COLUMNS
        .iter()
        .filter(|c| c.required && at(c.key).is_none())
        .map(|c| c.header)
        .collect();
    if !missing.is_empty() {
        let message = format!("表头缺少必填列：{}", missing.join("、"));
        return (Vec::new(), vec![(table.header_row, message)]);
    }
    let (mut ranges, mut problems) = (Vec::new(), Vec::new());
    for (row, cells) in &table.rows {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let get = |key: &str| {
            at(key)
                .and_then(|i| cells.get(i))
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        let mut said = Vec::new();
        let road = super::address::read(&get("road")).text;
        if road.chars().count() < 2 || road.chars().count() > 30 {
            said.push("道路名称应为 2 至 30 个字".to_owned());
        }
        let number = |key: &str, what: &str, said: &mut Vec<String>| {
            let v = get(key);
            let n = v
                .trim_end_matches('号')
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0);
            if n.is_none() {
                said.push(format!("{what}应为正整数，而不是“{v}”"));
            }
            n.unwrap_or(0)
        };
        let first = number("first", "起始门牌", &mut said);
        let last = number("last", "终止门牌", &mut said);
        if first > 0 && last > 0 && first > last {
            said.push("起始门牌大于终止门牌".to_owned());
        }
        let side = match get("side").as_str() {
            "" => Some(Side::Both),
            s => Side::from_typed(s),
        };
        if side.is_none() {
            said.push(format!("单双号应为 {}", Side::choices()));
        }
        let grid = get("grid");
        if !matches!(grid.len(), 15 | 18) || !grid.bytes().all(|b| b.is_ascii_digit()) {
            said.push(format!(
                "网格编码应为 15 位（或微网格 18 位）数字，而不是“{grid}”"
            ));
        }
        match side {
            Some(side) if said.is_empty() => ranges.push((*row, road, first, last, side, grid)),
            _ => problems.push((*row, said.join("；"))),
        }
    }
    (ranges, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_row_is_reported_with_its_number() {
        let table = Table {
            header_row: 2,
            headers: ["路名", "起号", "止号", "单双", "网格编码"]
                .map(String::from)
                .to_vec(),
            rows: vec![
                (
                    3,
                    ["中山路", "1", "99", "单号", "450802001001001"]
                        .map(String::from)
                        .to_vec(),
                ),
                (
                    4,
                    ["中山路", "2号", "98号", "双", "450802001001002"]
                        .map(String::from)
                        .to_vec(),
                ),
                (
                    5,
                    ["中山路", "50", "10", "", "4508"]
                        .map(String::from)
                        .to_vec(),
                ),
                (6, ["", "", "", "", ""].map(String::from).to_vec()),
                (
                    7,
                    ["建设路", "x", "9", "隔号", "450802001001001"]
                        .map(String::from)
                        .to_vec(),
                ),
            ],
        };
        let (ranges, problems) = read(&table);
        assert_eq!(ranges.len(), 2);
        assert_eq!(ranges[1].2, 2, "号 after the number is read");
        assert_eq!(ranges[1].4, Side::Even);
        let rows: Vec<usize> = problems.iter().map(|(r, _)| *r).collect();
        assert_eq!(rows, [5, 7]);
        assert!(
            problems[0].1.contains("起始门牌大于终止门牌") && problems[0].1.contains("网格编码")
        );
        let headless = Table {
            header_row: 1,
            headers: vec!["路名".into()],
            rows: Vec::new(),
        };
        assert!(read(&headless).1[0].1.contains("起始门牌"));
    }
}
