//! 12345 hotline work orders (12345 热线工单) as they arrive in the hotline's export: a table
//! with a header row, read into orders with every bad row reported by its row number. Checks
//! that need the database (is the category known, is the grid ours) happen in the caller.

use super::{Urgency, parse_beijing};
use crate::register::sheet::{Column, col};
use serde::Serialize;

/// A table as read from a sheet or JSON: the header row, its number, and the data rows with
/// theirs (as the spreadsheet numbers them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// The header row's number.
    pub header_row: usize,
    /// Column names.
    pub headers: Vec<String>,
    /// Cells, one vector per row, with the row's number.
    pub rows: Vec<(usize, Vec<String>)>,
}

/// One work order.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// The row it came from (the header is row 1).
    pub row: usize,
    /// 工单编号.
    pub order_no: String,
    /// Category code or name.
    pub category: String,
    /// 标题 (from the start of the content when absent).
    pub title: String,
    /// 诉求内容.
    pub description: String,
    /// Grid or community code, when given.
    pub node_code: Option<String>,
    /// WGS-84 longitude and latitude, when given.
    pub lon_lat: Option<(f64, f64)>,
    /// 地址.
    pub address: Option<String>,
    /// 来电人.
    pub caller: Option<String>,
    /// The caller's phone, normalised (for 回访 by phone).
    pub phone: Option<String>,
    /// 来电时间: when the caller reported it (the case's report time), ms.
    pub called_at: Option<i64>,
    /// 办理时限: the platform's deadline, ms (the case keeps the stricter of it and its
    /// category's).
    pub due_at: Option<i64>,
    /// 紧急程度.
    pub urgency: Urgency,
}

/// A problem with one row (row 1 is the header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = HotlineRowError)]
pub struct RowError {
    /// Row number in the file.
    pub row: usize,
    /// The order number, when the row has one.
    pub order_no: Option<String>,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// The columns of a work-order export: the headers city 12345 platforms use, and plain keys.
pub const COLUMNS: &[Column] = &[
    col(
        "order_no",
        "工单编号",
        &["工单号", "受理编号", "order_no"],
        true,
    ),
    col(
        "category",
        "事项类别",
        &[
            "诉求类别",
            "诉求类型",
            "问题类型",
            "事项类型",
            "类别",
            "category",
        ],
        false,
    ),
    col("title", "标题", &["诉求标题", "工单标题", "title"], false),
    col(
        "description",
        "诉求内容",
        &["诉求描述", "问题描述", "内容", "description"],
        true,
    ),
    col("node_code", "网格编码", &["区域编码", "node_code"], false),
    col("lon", "经度", &["lon"], false),
    col("lat", "纬度", &["lat"], false),
    col(
        "address",
        "地址",
        &["事发地址", "诉求地址", "事发地点", "问题地址", "address"],
        false,
    ),
    col(
        "caller",
        "来电人",
        &["诉求人", "来电人姓名", "联系人", "caller"],
        false,
    ),
    col(
        "phone",
        "联系电话",
        &["来电号码", "诉求人电话", "来电人电话", "phone"],
        false,
    ),
    col(
        "called_at",
        "来电时间",
        &["受理时间", "登记时间", "来电日期", "诉求时间", "called_at"],
        false,
    ),
    col(
        "due_at",
        "办理时限",
        &["办结时限", "处理时限", "截止时间", "办理期限", "due_at"],
        false,
    ),
    col(
        "urgency",
        "紧急程度",
        &["缓急程度", "紧急度", "urgency"],
        false,
    ),
];

/// A time column's value: none, an instant, or a problem (pushed).
fn time_of(value: Option<String>, what: &str, problems: &mut Vec<String>) -> Option<i64> {
    let v = value?;
    let at = parse_beijing(&v);
    if at.is_none() {
        problems.push(format!("{what}「{v}」应写成 2026-11-30 09:15 的格式"));
    }
    at
}

/// The file's column read as `field`: the one the user chose in the mapping step (`chosen`:
/// field key → header; an empty header leaves the field out), else the one named as the field
/// or one of its aliases.
fn column(headers: &[String], field: &str, chosen: &[(String, String)]) -> Option<usize> {
    let clean = |h: &str| h.trim_start_matches('\u{feff}').trim().to_owned();
    if let Some((_, header)) = chosen.iter().find(|(k, _)| k == field) {
        let wanted = clean(header);
        return (!wanted.is_empty())
            .then(|| headers.iter().position(|h| clean(h) == wanted))
            .flatten();
    }
    let c = COLUMNS.iter().find(|c| c.key == field)?;
    headers
        .iter()
        .position(|h| c.is_named(h.trim_start_matches('\u{feff}')))
}

/// For the mapping step: each field with the file's header it is read from (`None`: not in
/// the file).
pub fn mapped<'h>(
    headers: &'h [String],
    chosen: &[(String, String)],
) -> Vec<(&'static Column, Option<&'h str>)> {
    COLUMNS
        .iter()
        .map(|c| {
            let at = column(headers, c.key, chosen).and_then(|i| headers.get(i));
            (c, at.map(String::as_str))
        })
        .collect()
}

/// Reads the orders and the problems: every row with a problem is reported (all of them, not
/// just the first), and repeated order numbers within the file are problems too. A problem
/// with the header (row 1) means no rows were read.
pub fn read_orders(table: &Table, chosen: &[(String, String)]) -> (Vec<Order>, Vec<RowError>) {
    let header_error = |message: String| RowError {
        row: table.header_row,
        order_no: None,
        message,
    };
    let names: Vec<&str> = COLUMNS
        .iter()
        .filter(|c| c.required && column(&table.headers, c.key, chosen).is_none())
        .map(|c| c.header)
        .collect();
    if !names.is_empty() {
        return (
            Vec::new(),
            vec![header_error(format!(
                "表头缺少必填列：{}",
                names.join("、")
            ))],
        );
    }
    let (mut orders, mut errors) = (Vec::new(), Vec::new());
    let mut seen = std::collections::HashMap::new();
    for (row, cells) in &table.rows {
        let row = *row;
        let get = |f: &str| {
            column(&table.headers, f, chosen)
                .and_then(|c| cells.get(c))
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let order_no = get("order_no");
        let mut problems = Vec::new();
        let fail = |problems: &mut Vec<String>, m: &str| problems.push(m.to_owned());
        match &order_no {
            None => fail(&mut problems, "工单编号为空"),
            Some(o) if o.chars().count() > 40 => fail(&mut problems, "工单编号超过 40 个字符"),
            Some(o) => {
                if let Some(first) = seen.insert(o.clone(), row) {
                    problems.push(format!("工单编号与第 {first} 行重复"));
                }
            }
        }
        // No category: the suggestions choose one, or a person does.
        let category = get("category").unwrap_or_default();
        let description = get("description");
        match &description {
            None => fail(&mut problems, "诉求内容为空"),
            Some(d) if d.chars().count() > 4000 => fail(&mut problems, "诉求内容超过 4000 字"),
            _ => {}
        }
        let number = |f: &str| get(f).map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite()));
        let lon_lat = match (number("lon"), number("lat")) {
            (None, None) => None,
            (Some(Some(lon)), Some(Some(lat))) if lon.abs() <= 180.0 && lat.abs() <= 90.0 => {
                Some((lon, lat))
            }
            _ => {
                fail(&mut problems, "经纬度须成对填写，且为有效数字");
                None
            }
        };
        let phone = match get("phone").map(|p| crate::personal::normalize_phone(&p)) {
            None => None,
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => {
                problems.push(format!("联系电话：{e}"));
                None
            }
        };
        let node_code = get("node_code");
        // An address alone is placed by the region it names, or waits for a place.
        if lon_lat.is_none() && node_code.is_none() && get("address").is_none() {
            fail(&mut problems, "须填写网格编码、经度和纬度，或诉求地址");
        }
        let called_at = time_of(get("called_at"), "来电时间", &mut problems);
        let due_at = time_of(get("due_at"), "办理时限", &mut problems);
        if let (Some(called), Some(due)) = (called_at, due_at)
            && due <= called
        {
            fail(&mut problems, "办理时限须晚于来电时间");
        }
        let urgency = get("urgency").map_or(Some(Urgency::Normal), |u| {
            let grade = Urgency::from_typed(&u);
            if grade.is_none() {
                problems.push(format!("紧急程度「{u}」应为 一般、紧急 或 特急"));
            }
            grade
        });
        if !problems.is_empty() {
            errors.push(RowError {
                row,
                order_no,
                message: problems.join("；"),
            });
            continue;
        }
        let (Some(order_no), Some(description)) = (order_no, description) else {
            continue;
        };
        let title = get("title")
            .map(|t| t.chars().take(100).collect())
            .unwrap_or_else(|| description.chars().take(30).collect());
        orders.push(Order {
            row,
            order_no,
            category,
            title,
            description,
            node_code,
            lon_lat,
            address: get("address"),
            caller: get("caller"),
            phone,
            called_at,
            due_at,
            urgency: urgency.unwrap_or_default(),
        });
    }
    (orders, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[&[&str]]) -> Table {
        Table {
            headers: [
                "工单编号",
                "事项类别",
                "标题",
                "诉求内容",
                "网格编码",
                "经度",
                "纬度",
            ]
            .map(str::to_owned)
            .to_vec(),
            header_row: 1,
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, r)| (i + 2, r.iter().map(|c| (*c).to_owned()).collect()))
                .collect(),
        }
    }

    #[test]
    fn good_rows_become_orders() {
        let t = table(&[
            &[
                "GX2026110001",
                "0402",
                "",
                "路灯不亮",
                "450802001001001",
                "",
                "",
            ],
            &[
                "GX2026110002",
                "环境卫生",
                "垃圾",
                "垃圾满溢",
                "",
                "109.6",
                "23.1",
            ],
        ]);
        let (orders, errors) = read_orders(&t, &[]);
        assert!(errors.is_empty());
        assert_eq!(orders.len(), 2);
        assert_eq!(
            orders[0].title, "路灯不亮",
            "the title falls back to the content"
        );
        assert_eq!(orders[1].lon_lat, Some((109.6, 23.1)));
        assert_eq!(orders[1].row, 3);
    }

    #[test]
    fn call_time_deadline_and_grade_are_kept() {
        let t = Table {
            header_row: 2,
            headers: [
                "工单编号",
                "诉求类型",
                "诉求内容",
                "网格编码",
                "来电时间",
                "办结时限",
                "缓急程度",
            ]
            .map(str::to_owned)
            .to_vec(),
            rows: vec![
                (
                    3,
                    [
                        "A1",
                        "0402",
                        "路灯不亮",
                        "450802001001001",
                        "2026/11/30 9:15",
                        "2026-12-02 17:00",
                        "紧急",
                    ]
                    .map(str::to_owned)
                    .to_vec(),
                ),
                (
                    4,
                    ["A2", "0402", "路灯不亮", "450802001001001", "", "", ""]
                        .map(str::to_owned)
                        .to_vec(),
                ),
                (
                    5,
                    [
                        "A3",
                        "0402",
                        "路灯不亮",
                        "450802001001001",
                        "2026-12-02 17:00",
                        "2026-11-30 9:15",
                        "很急",
                    ]
                    .map(str::to_owned)
                    .to_vec(),
                ),
            ],
        };
        let (orders, errors) = read_orders(&t, &[]);
        assert_eq!(orders.len(), 2);
        assert_eq!(orders[0].called_at, parse_beijing("2026-11-30 09:15"));
        assert_eq!(orders[0].due_at, parse_beijing("2026-12-02 17:00"));
        assert_eq!(orders[0].urgency, Urgency::Urgent);
        assert_eq!(
            (orders[1].called_at, orders[1].urgency),
            (None, Urgency::Normal)
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].row, 5);
        assert!(
            errors[0].message.contains("办理时限须晚于来电时间")
                && errors[0].message.contains("紧急程度「很急」"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn every_bad_row_is_reported_with_its_number() {
        let t = table(&[
            &["A1", "0402", "", "路灯不亮", "450802001001001", "", ""],
            &["", "0402", "", "", "", "", ""],
            &["A1", "0402", "", "重复", "450802001001001", "", ""],
            &["", "", "", "", "", "", ""],
            &["A4", "0402", "", "坐标坏了", "", "abc", "23"],
        ]);
        let (orders, errors) = read_orders(&t, &[]);
        assert_eq!(orders.len(), 1, "the good row is still read");
        let rows: Vec<usize> = errors.iter().map(|e| e.row).collect();
        assert_eq!(rows, [3, 4, 6], "blank lines are skipped, not errors");
        assert!(
            errors[0].message.contains("工单编号为空")
                && errors[0].message.contains("诉求内容为空")
        );
        assert!(errors[1].message.contains("与第 2 行重复"));
        assert!(errors[2].message.contains("经纬度"));
    }

    #[test]
    fn a_missing_column_is_a_header_error() {
        let t = Table {
            header_row: 1,
            headers: vec!["工单编号".into(), "事项类别".into()],
            rows: vec![],
        };
        let (_, errors) = read_orders(&t, &[]);
        assert_eq!(errors[0].row, 1);
        assert!(errors[0].message.contains("诉求内容"));
    }

    #[test]
    fn headers_no_alias_knows_are_read_as_the_mapping_step_says() {
        let mut t = table(&[&[
            "GX1",
            "环境卫生",
            "垃圾",
            "垃圾满溢",
            "450802001001001",
            "",
            "",
        ]]);
        t.headers[0] = "单号".into();
        t.headers[3] = "群众诉求".into();
        let (_, errors) = read_orders(&t, &[]);
        assert!(errors[0].message.contains("工单编号"), "{errors:?}");
        let chosen = [
            ("order_no".to_owned(), "单号".to_owned()),
            ("description".to_owned(), "群众诉求".to_owned()),
        ];
        let (orders, errors) = read_orders(&t, &chosen);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            (orders[0].order_no.as_str(), orders[0].description.as_str()),
            ("GX1", "垃圾满溢")
        );
        let found = mapped(&t.headers, &chosen);
        assert!(
            found
                .iter()
                .any(|(c, h)| c.key == "order_no" && *h == Some("单号"))
        );
    }
}
