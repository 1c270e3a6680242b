//! A resident (网格居民) and a household, as the register accepts them.

use super::vocab::{Attention, Relation, Residence};
use crate::personal::{IdNumber, normalize_phone};
use time::Date;
use time::macros::format_description;

/// What someone typed for a person, before any checking.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
pub struct PersonInput {
    /// 姓名.
    pub name: String,
    /// 公民身份号码.
    pub id_number: String,
    /// 联系电话, optional.
    #[serde(default)]
    pub phone: String,
    /// 与户主关系.
    pub relation: String,
    /// 居住状态.
    pub status: String,
    /// 迁入日期 (YYYY-MM-DD), required for 流动人口.
    #[serde(default)]
    pub moved_in: String,
    /// 迁出日期, when the person has left.
    #[serde(default)]
    pub moved_out: String,
    /// 备注.
    #[serde(default)]
    pub note: String,
}

/// A person who passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Name, trimmed.
    pub name: String,
    /// The ID number, with the birth date and sex it gives.
    pub id: IdNumber,
    /// Phone, normalised.
    pub phone: Option<String>,
    /// Relation to the head of household.
    pub relation: Relation,
    /// Residence status.
    pub status: Residence,
    /// Moved in.
    pub moved_in: Option<Date>,
    /// Moved out.
    pub moved_out: Option<Date>,
    /// Note, trimmed.
    pub note: String,
}

/// One thing wrong with an entry: the field (as the form and the template name it) and what to fix.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// The field's label: 姓名, 公民身份号码 …
    pub field: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Problem {
    fn new(field: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            field,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}：{}", self.field, self.message)
    }
}

/// Longest name accepted (minority names written in full run long).
pub const MAX_NAME_CHARS: usize = 40;

/// Reads `YYYY-MM-DD` (also `YYYY/MM/DD` and `YYYY.MM.DD`, as spreadsheets write them).
pub fn parse_date(text: &str) -> Option<Date> {
    let t = text.trim().replace(['/', '.'], "-");
    Date::parse(
        &t,
        format_description!("[year]-[month padding:none]-[day padding:none]"),
    )
    .ok()
}

fn optional_date(
    text: &str,
    field: &'static str,
    today: Date,
    problems: &mut Vec<Problem>,
) -> Option<Date> {
    if text.trim().is_empty() {
        return None;
    }
    match parse_date(text) {
        Some(d) if d <= today => Some(d),
        Some(_) => {
            problems.push(Problem::new(field, "日期不能晚于今天"));
            None
        }
        None => {
            problems.push(Problem::new(field, "日期应写成 2026-03-01 的格式"));
            None
        }
    }
}

/// Checks a person; every problem is reported at once, so a form or a spreadsheet row can be
/// fixed in one go.
pub fn check_person(input: &PersonInput, today: Date) -> Result<Person, Vec<Problem>> {
    let mut problems = Vec::new();
    let name = input.name.trim();
    if name.is_empty() {
        problems.push(Problem::new("姓名", "请填写姓名"));
    } else if name.chars().count() > MAX_NAME_CHARS {
        problems.push(Problem::new(
            "姓名",
            format!("姓名最长 {MAX_NAME_CHARS} 个字"),
        ));
    }
    let id = if input.id_number.trim().is_empty() {
        problems.push(Problem::new("公民身份号码", "请填写身份证号"));
        None
    } else {
        IdNumber::parse(&input.id_number, today)
            .map_err(|e| problems.push(Problem::new("公民身份号码", e.to_string())))
            .ok()
    };
    let phone = if input.phone.trim().is_empty() {
        None
    } else {
        normalize_phone(&input.phone)
            .map_err(|e| problems.push(Problem::new("联系电话", e.to_string())))
            .ok()
    };
    let relation = Relation::from_typed(&input.relation);
    if relation.is_none() {
        problems.push(Problem::new(
            "与户主关系",
            format!("请填写以下之一：{}", Relation::choices()),
        ));
    }
    let status = Residence::from_typed(&input.status);
    if status.is_none() {
        problems.push(Problem::new(
            "居住状态",
            format!("请填写以下之一：{}", Residence::choices()),
        ));
    }
    let moved_in = optional_date(&input.moved_in, "迁入日期", today, &mut problems);
    let moved_out = optional_date(&input.moved_out, "迁出日期", today, &mut problems);
    if status == Some(Residence::Floating) && input.moved_in.trim().is_empty() {
        problems.push(Problem::new("迁入日期", "流动人口须填写来本地日期"));
    }
    if let (Some(i), Some(o)) = (moved_in, moved_out)
        && o < i
    {
        problems.push(Problem::new("迁出日期", "迁出日期不能早于迁入日期"));
    }
    match (id, relation, status) {
        (Some(id), Some(relation), Some(status)) if problems.is_empty() => Ok(Person {
            name: name.to_owned(),
            id,
            phone,
            relation,
            status,
            moved_in,
            moved_out,
            note: input.note.trim().to_owned(),
        }),
        _ => Err(problems),
    }
}

/// Checks the members of one household together: exactly one head, at most one spouse.
pub fn check_household(relations: &[Relation]) -> Result<(), String> {
    let heads = relations.iter().filter(|r| **r == Relation::Head).count();
    let spouses = relations.iter().filter(|r| **r == Relation::Spouse).count();
    check_household_counts(heads, spouses)
}

/// The floors a house may be on: basements down to 5 below ground, towers up to 200.
pub const FLOORS: std::ops::RangeInclusive<i32> = -5..=200;

/// Checks a floor number.
pub fn check_floor(floor: i32) -> Result<(), String> {
    if FLOORS.contains(&floor) {
        Ok(())
    } else {
        Err(format!(
            "楼层 {floor} 不在 {} 到 {} 之间：地下层写负数，如 -1",
            FLOORS.start(),
            FLOORS.end()
        ))
    }
}

/// [`check_household`] from counts of heads and spouses (for sheets too large to keep every
/// member's relation).
pub fn check_household_counts(heads: usize, spouses: usize) -> Result<(), String> {
    match (heads, spouses) {
        (0, _) => Err("这一户没有户主：须有一人的与户主关系为“户主”".into()),
        (1, 0 | 1) => Ok(()),
        (1, _) => Err(format!("这一户有 {spouses} 名配偶，至多一名")),
        _ => Err(format!("这一户有 {heads} 名户主，只能有一名")),
    }
}

/// A tag as written: the kind's name and the attention level (一般 when not given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagEntry {
    /// The tag kind's name, e.g. 独居老人.
    pub name: String,
    /// The level.
    pub level: Attention,
}

/// Reads the tags cell: `独居老人(重点)；残疾人` — entries separated by `;`, `；`, `、` or `,`,
/// each optionally with its level in ASCII or full-width brackets or after a colon.
pub fn parse_tags(cell: &str) -> Result<Vec<TagEntry>, String> {
    let mut out: Vec<TagEntry> = Vec::new();
    for part in cell
        .split([';', '；', '、', ',', '，'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (name, level) = match part.find(['(', '（', ':', '：']) {
            Some(i) => {
                let rest = part[i..]
                    .trim_start_matches(['(', '（', ':', '：'])
                    .trim_end_matches([')', '）']);
                let level = Attention::from_typed(rest).ok_or_else(|| {
                    format!(
                        "标签“{part}”的关注等级应为以下之一：{}",
                        Attention::choices()
                    )
                })?;
                (part[..i].trim(), level)
            }
            None => (part, Attention::Normal),
        };
        if out.iter().any(|t| t.name == name) {
            return Err(format!("标签“{name}”重复"));
        }
        out.push(TagEntry {
            name: name.to_owned(),
            level,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);

    fn input() -> PersonInput {
        PersonInput {
            name: " 黄秀兰 ".into(),
            id_number: "450802195203140023".into(),
            phone: "138 7751 2345".into(),
            relation: "本人".into(),
            status: "户籍".into(),
            ..PersonInput::default()
        }
    }

    #[test]
    fn a_valid_person_is_normalised_and_reads_birth_and_sex_from_the_id() {
        let p = check_person(&input(), TODAY).expect("valid");
        assert_eq!(p.name, "黄秀兰");
        assert_eq!(p.id.birth_date, date!(1952 - 03 - 14));
        assert_eq!(p.phone.as_deref(), Some("13877512345"));
        assert_eq!(p.relation, Relation::Head);
        assert_eq!(p.status, Residence::Registered);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = PersonInput {
            name: String::new(),
            id_number: "450802195203140021".into(),
            phone: "12345".into(),
            relation: "邻居".into(),
            status: "暂住".into(),
            moved_in: "2026-13-01".into(),
            ..PersonInput::default()
        };
        let problems = check_person(&bad, TODAY).expect_err("invalid");
        let fields: Vec<_> = problems.iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "姓名",
                "公民身份号码",
                "联系电话",
                "与户主关系",
                "居住状态",
                "迁入日期"
            ]
        );
        assert!(problems[1].message.contains("校验位"));
    }

    #[test]
    fn floating_residents_need_an_arrival_date_and_dates_are_in_order() {
        let mut p = input();
        p.status = "流动人口".into();
        let e = check_person(&p, TODAY).expect_err("no date");
        assert_eq!(e[0].field, "迁入日期");
        p.moved_in = "2024/5/1".into();
        p.moved_out = "2024.4.30".into();
        let e = check_person(&p, TODAY).expect_err("out before in");
        assert_eq!(e[0].message, "迁出日期不能早于迁入日期");
        p.moved_out = "2027-01-01".into();
        assert_eq!(
            check_person(&p, TODAY).expect_err("future")[0].message,
            "日期不能晚于今天"
        );
        p.moved_out = String::new();
        assert_eq!(
            check_person(&p, TODAY).expect("ok").moved_in,
            Some(date!(2024 - 05 - 01))
        );
    }

    #[test]
    fn a_household_has_one_head_and_at_most_one_spouse() {
        use Relation::*;
        assert!(check_household(&[Head, Spouse, Child, Child]).is_ok());
        assert!(check_household(&[Spouse, Child]).is_err());
        assert!(check_household(&[Head, Head]).is_err());
        assert!(check_household(&[Head, Spouse, Spouse]).is_err());
    }

    #[test]
    fn tags_are_read_with_their_levels() {
        let t = parse_tags("独居老人(重点)；残疾人、低保:关注").expect("tags");
        assert_eq!(
            t,
            [
                TagEntry {
                    name: "独居老人".into(),
                    level: Attention::Close
                },
                TagEntry {
                    name: "残疾人".into(),
                    level: Attention::Normal
                },
                TagEntry {
                    name: "低保".into(),
                    level: Attention::Watch
                },
            ]
        );
        assert!(parse_tags("").expect("empty").is_empty());
        assert!(parse_tags("独居老人（很高）").is_err());
        assert!(parse_tags("残疾人;残疾人").is_err());
    }
}
