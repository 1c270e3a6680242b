//! Spreadsheet columns: which header holds which field. Registers arrive with the headers of
//! whatever sheet the street handed out, so every field has the spellings people use, and a
//! mapping chosen by the user overrides the guess.

/// One field of a register's sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The field's key (used in mappings and forms).
    pub key: &'static str,
    /// The header the template uses.
    pub header: &'static str,
    /// Other headers that mean the same.
    pub aliases: &'static [&'static str],
    /// Whether every file must have it.
    pub required: bool,
}

impl Column {
    /// Whether `header` names this column: its template header or an alias, compared without
    /// spaces or a required mark.
    pub fn is_named(&self, header: &str) -> bool {
        let h = normalize(header);
        !h.is_empty()
            && (normalize(self.header) == h || self.aliases.iter().any(|a| normalize(a) == h))
    }
}

/// A column, for the tables of columns.
pub const fn col(
    key: &'static str,
    header: &'static str,
    aliases: &'static [&'static str],
    required: bool,
) -> Column {
    Column {
        key,
        header,
        aliases,
        required,
    }
}

/// The residents register (网格居民信息册), one row per person.
pub const RESIDENT_COLUMNS: &[Column] = &[
    col("grid", "网格编码", &["网格代码", "所属网格编码"], true),
    col("building", "楼栋", &["楼栋名称", "小区楼栋", "楼号"], true),
    col(
        "address",
        "地址",
        &["详细地址", "住址", "现住址", "现居住地址", "居住地址"],
        false,
    ),
    col("unit", "单元", &["单元号"], false),
    col("floor", "楼层", &["层"], false),
    col("room", "房号", &["门牌号", "室"], true),
    col("household", "户编号", &["户号", "家庭编号"], true),
    col("name", "姓名", &[], true),
    col("sex", "性别", &[], false),
    col(
        "id_number",
        "公民身份号码",
        &["身份证号", "身份证号码", "证件号码"],
        true,
    ),
    col("phone", "联系电话", &["电话", "手机号", "手机号码"], false),
    col("relation", "与户主关系", &["关系"], true),
    col("status", "居住状态", &["人口类型", "人员类别"], true),
    col("moved_in", "迁入日期", &["来本地日期", "入住日期"], false),
    col("moved_out", "迁出日期", &["离开日期"], false),
    col("tags", "重点人群标签", &["标签", "人员标签"], false),
    col("note", "备注", &[], false),
];

/// The residents columns as a grid's own register is read: the grid, building, room and
/// household columns may be missing (the grid is then given at import, the building and room
/// read from 现住址, the households told apart by 与户主关系 and the address).
pub fn resident_columns_by_address() -> &'static [Column] {
    static COLUMNS: std::sync::LazyLock<Vec<Column>> = std::sync::LazyLock::new(|| {
        RESIDENT_COLUMNS
            .iter()
            .map(|c| Column {
                required: c.required
                    && !matches!(c.key, "grid" | "building" | "room" | "household"),
                ..*c
            })
            .collect()
    });
    &COLUMNS
}

/// The key places register (网格重点场所信息册), one row per place.
pub const PLACE_COLUMNS: &[Column] = &[
    col("grid", "网格编码", &["网格代码", "所属网格编码"], false),
    col("name", "场所名称", &["名称"], true),
    col("kind", "场所类型", &["类型"], true),
    col("address", "地址", &["详细地址"], true),
    col("lon", "经度", &["longitude", "lon"], false),
    col("lat", "纬度", &["latitude", "lat"], false),
    col("contact", "负责人", &["联系人"], false),
    col("contact_phone", "联系电话", &["电话"], false),
    col("risk", "风险等级", &["风险"], true),
    col("note", "备注", &[], false),
];

/// The staff register's columns (网格长(员)信息册).
pub const STAFF_COLUMNS: &[Column] = &[
    col("name", "姓名", &["人员姓名"], true),
    col("role", "角色", &["人员类型", "职务", "岗位", "类别"], true),
    col("phone", "联系电话", &["手机号码", "手机", "电话"], false),
    col("party_member", "党员", &["是否党员", "政治面貌"], false),
    col(
        "phone_public",
        "公开电话",
        &["电话公开", "是否公开电话", "同意公开电话"],
        false,
    ),
    col(
        "grids",
        "服务网格",
        &["网格编码", "所在网格", "负责网格", "网格"],
        true,
    ),
    col("duties", "职责", &["工作职责", "备注"], false),
    col("username", "用户名", &["账号", "登录账号"], false),
];

/// Which file column (0-based) holds each of a register's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    columns: &'static [Column],
    at: Vec<Option<usize>>,
}

/// Why headers could not be mapped, with what could be (for the mapping step).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmapped {
    /// Every problem, in words.
    pub errors: Vec<String>,
    /// The fields that were found.
    pub partial: Mapping,
}

impl Mapping {
    /// Guesses from the header row; `chosen` (field key → header, from the mapping step)
    /// overrides the guess. Errors name every required field without a column, headers used
    /// twice, and choices that name no header.
    pub fn new(
        columns: &'static [Column],
        headers: &[String],
        chosen: &[(String, String)],
    ) -> Result<Mapping, Unmapped> {
        let clean: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
        let mut errors = Vec::new();
        let mut at = Vec::with_capacity(columns.len());
        for c in columns {
            let found = match chosen.iter().find(|(k, _)| k == c.key) {
                Some((_, h)) if h.trim().is_empty() => None,
                Some((_, h)) => {
                    let i = clean.iter().position(|x| *x == normalize(h));
                    if i.is_none() {
                        errors.push(format!("“{}”对应的列“{h}”在文件中不存在", c.header));
                    }
                    i
                }
                None => clean.iter().position(|x| {
                    *x == normalize(c.header) || c.aliases.iter().any(|a| *x == normalize(a))
                }),
            };
            if found.is_none() && c.required && !errors.iter().any(|e| e.contains(c.header)) {
                errors.push(format!("缺少必填列“{}”", c.header));
            }
            at.push(found);
        }
        for (i, a) in at.iter().enumerate() {
            if let Some(a) = a
                && at[..i].contains(&Some(*a))
            {
                errors.push(format!("列“{}”被对应到了两个字段", headers[*a].trim()));
            }
        }
        let mapping = Mapping { columns, at };
        if errors.is_empty() {
            Ok(mapping)
        } else {
            Err(Unmapped {
                errors,
                partial: mapping,
            })
        }
    }

    /// The value of field `key` in `row` (empty when the file has no such column or the row is short).
    pub fn get<'r>(&self, row: &'r [String], key: &str) -> &'r str {
        self.columns
            .iter()
            .position(|c| c.key == key)
            .and_then(|i| self.at[i])
            .and_then(|i| row.get(i))
            .map_or("", |s| s.trim())
    }

    /// Whether the file has a column for field `key` (a refresh keeps what the file leaves out).
    pub fn has(&self, key: &str) -> bool {
        self.columns
            .iter()
            .position(|c| c.key == key)
            .is_some_and(|i| self.at[i].is_some())
    }

    /// For each field, the header it was mapped to (for the mapping step's display).
    pub fn describe<'h>(&self, headers: &'h [String]) -> Vec<(&'static Column, Option<&'h str>)> {
        self.columns
            .iter()
            .zip(&self.at)
            .map(|(c, a)| (c, a.and_then(|i| headers.get(i)).map(String::as_str)))
            .collect()
    }
}

/// Headers compared without spaces, a trailing `*` (required marks) or full-width brackets.
fn normalize(h: &str) -> String {
    h.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | '＊'))
        .collect::<String>()
        .to_lowercase()
}

/// Whether every cell of a row is blank (such rows are skipped, not reported).
pub fn is_blank(row: &[String]) -> bool {
    row.iter().all(|c| c.trim().is_empty())
}

/// How many of a row's cells name one of `columns` (by header or alias): the row with the most
/// is the header row, whatever title rows stand above it.
pub fn header_score(columns: &[Column], row: &[String]) -> usize {
    row.iter()
        .filter(|cell| columns.iter().any(|c| c.is_named(cell)))
        .count()
}

/// Words that open the lines people put below a register's data: totals and signatures.
const FOOTER_WORDS: &[&str] = &[
    "合计",
    "总计",
    "小计",
    "共计",
    "填表人",
    "填报人",
    "制表人",
    "制表",
    "审核人",
    "审核",
    "负责人签字",
    "签字",
    "说明",
    "注：",
    "注:",
];

/// Whether a row below the header is a totals or signature line (合计、填表人 …), not data: its
/// first filled cell starts with such a word.
pub fn is_footer(row: &[String]) -> bool {
    row.iter()
        .map(|c| c.trim())
        .find(|c| !c.is_empty())
        .is_some_and(|first| {
            let first: String = first.chars().filter(|c| !c.is_whitespace()).collect();
            FOOTER_WORDS.iter().any(|w| first.starts_with(w))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn headers_are_matched_by_name_or_alias_in_any_order() {
        let h = headers(&[
            "姓名",
            "身份证号",
            "网格编码*",
            "楼号",
            "门牌号",
            "户号",
            "关系",
            "人口类型",
            "电话",
        ]);
        let m = Mapping::new(RESIDENT_COLUMNS, &h, &[]).expect("mapped");
        let row = headers(&[
            "黄秀兰",
            "45080219520314002X",
            "450802001001001",
            "3栋",
            "101",
            "H1",
            "户主",
            "户籍",
            "13877512345",
        ]);
        assert_eq!(m.get(&row, "id_number"), "45080219520314002X");
        assert_eq!(m.get(&row, "phone"), "13877512345");
        assert_eq!(m.get(&row, "tags"), "");
    }

    #[test]
    fn missing_required_columns_are_all_named_and_a_chosen_mapping_fills_them() {
        let h = headers(&[
            "名字",
            "证件",
            "网格编码",
            "楼栋",
            "房号",
            "户编号",
            "与户主关系",
            "居住状态",
        ]);
        let e = Mapping::new(RESIDENT_COLUMNS, &h, &[]).expect_err("unmapped");
        assert_eq!(e.errors, ["缺少必填列“姓名”", "缺少必填列“公民身份号码”"]);
        let found: Vec<_> = e
            .partial
            .describe(&h)
            .into_iter()
            .filter_map(|(c, f)| f.map(|_| c.key))
            .collect();
        assert_eq!(
            found,
            [
                "grid",
                "building",
                "room",
                "household",
                "relation",
                "status"
            ]
        );
        let chosen = [
            ("name".to_owned(), "名字".to_owned()),
            ("id_number".to_owned(), "证件".to_owned()),
        ];
        assert!(Mapping::new(RESIDENT_COLUMNS, &h, &chosen).is_ok());
        let wrong = [("name".to_owned(), "名称".to_owned())];
        let e = Mapping::new(RESIDENT_COLUMNS, &h, &wrong).expect_err("no such header");
        assert!(e.errors[0].contains("不存在"));
    }

    #[test]
    fn the_header_row_is_the_one_naming_most_columns() {
        let title = headers(&["东湖社区第一网格居民信息册"; 5]);
        let head = headers(&["序号", "姓名", "性别", "身份证号码", "现住址"]);
        assert_eq!(header_score(RESIDENT_COLUMNS, &title), 0);
        assert_eq!(header_score(RESIDENT_COLUMNS, &head), 4);
    }

    #[test]
    fn totals_and_signature_lines_are_not_data() {
        assert!(is_footer(&headers(&["", "合 计", "", "35人"])));
        assert!(is_footer(&headers(&["填表人：韦海燕", "", "审核人：李明"])));
        assert!(!is_footer(&headers(&["1", "450802001001001", "黄秀兰"])));
        assert!(!is_footer(&headers(&["", ""])));
    }

    #[test]
    fn one_header_cannot_feed_two_fields() {
        let h = headers(&["场所名称", "场所类型", "地址", "风险等级"]);
        let chosen = [("contact".to_owned(), "场所名称".to_owned())];
        let e = Mapping::new(PLACE_COLUMNS, &h, &chosen).expect_err("twice");
        assert_eq!(e.errors, ["列“场所名称”被对应到了两个字段"]);
    }
}
