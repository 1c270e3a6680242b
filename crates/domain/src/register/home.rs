//! Where a person lives, read from the address a grid's register writes (现住址): the
//! building, unit and room of a 小区 (`东湖小区5栋2单元301室`, `荷城小区12号楼302`,
//! `3幢1-502`), a village's group and house number (`大岭村六组23号`), or a street and door
//! number (`金港大道168号`). The province, city, district and street prefixes people often
//! write first are left out, so the same building is one building however it is written.

use crate::personal::plain_number;

/// A home as the register keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    /// 楼栋 (or a village's group, or a street).
    pub building: String,
    /// 单元, may be empty.
    pub unit: String,
    /// 房号 (or the door number).
    pub room: String,
}

/// Words a building's name ends with, longest first.
const BUILDING_ENDS: [&str; 4] = ["号楼", "栋", "幢", "座"];

/// Drops the administrative prefix: `…省`, `…自治区`, `…市`, the district or county after a
/// city, and `…街道`/`…镇`/`…乡`.
fn without_prefix(text: &str) -> &str {
    let mut rest = text;
    for end in ["自治区", "省"] {
        if let Some(i) = rest.find(end) {
            rest = &rest[i + end.len()..];
            break;
        }
    }
    if let Some(i) = rest.find('市') {
        rest = &rest[i + '市'.len_utf8()..];
    }
    // A district or county: a short name ending in 区/县 at the start (never 小区, 社区 or 园区).
    if let Some((i, c)) = rest
        .char_indices()
        .take(5)
        .find(|(_, c)| matches!(c, '区' | '县'))
    {
        let before = rest[..i].chars().last();
        if i > 0 && !matches!(before, Some('小' | '社' | '园' | '校' | '厂' | '景')) {
            rest = &rest[i + c.len_utf8()..];
        }
    }
    for end in ["街道办事处", "街道", "镇", "乡"] {
        if let Some(i) = rest.find(end) {
            // Only a prefix: something must follow it.
            if i + end.len() < rest.len() {
                rest = &rest[i + end.len()..];
            }
            break;
        }
    }
    rest
}

/// The room part after a building: `2单元301室` → (`2`, `301`), `1-502` → (`1`, `502`),
/// `302` → (``, `302`).
fn unit_and_room(rest: &str) -> (String, String) {
    let rest = rest.trim_start_matches(['-', '—', ' ']);
    let (unit, room) = match rest.find("单元") {
        Some(i) => (&rest[..i], &rest[i + "单元".len()..]),
        None => match rest.split_once('-') {
            Some((u, r)) if !u.is_empty() && u.chars().all(|c| c.is_ascii_digit()) => (u, r),
            _ => ("", rest),
        },
    };
    let room = room
        .trim_start_matches(['-', '—'])
        .trim_end_matches(['室', '房'])
        .trim_end_matches('号');
    (unit.trim_end_matches('-').to_owned(), room.to_owned())
}

/// Reads a home from an address; `None` when no building (or group, or street) and room can be
/// told apart.
pub fn parse_home(address: &str) -> Option<Home> {
    let text = plain_number(address);
    let text = without_prefix(text.trim());
    // A building: up to the first word that ends a building's name.
    let building_end = BUILDING_ENDS
        .iter()
        .filter_map(|w| text.find(w).map(|i| i + w.len()))
        .min();
    if let Some(end) = building_end {
        let (unit, room) = unit_and_room(&text[end..]);
        if room.is_empty() {
            return None;
        }
        return Some(Home {
            building: text[..end].to_owned(),
            unit,
            room,
        });
    }
    // A village: its group (组), then the house number.
    if let Some(i) = text.find('组') {
        let end = i + '组'.len_utf8();
        let room = text[end..].trim_start_matches(['-', '—']);
        if !room.is_empty() {
            return Some(Home {
                building: text[..end].to_owned(),
                unit: String::new(),
                room: room.to_owned(),
            });
        }
    }
    // A street and door number: `金港大道168号`.
    let number = text.strip_suffix('号')?;
    let digits = number
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .count();
    let split = number.len() - digits; // the digits are ASCII: one byte each
    if digits == 0 || split == 0 {
        return None;
    }
    Some(Home {
        building: number[..split].to_owned(),
        unit: String::new(),
        room: format!("{}号", &number[split..]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home(building: &str, unit: &str, room: &str) -> Option<Home> {
        Some(Home {
            building: building.into(),
            unit: unit.into(),
            room: room.into(),
        })
    }

    #[test]
    fn a_flat_in_a_xiaoqu_is_building_unit_and_room() {
        assert_eq!(
            parse_home("东湖小区5栋2单元301室"),
            home("东湖小区5栋", "2", "301")
        );
        assert_eq!(
            parse_home("荷城小区12号楼302"),
            home("荷城小区12号楼", "", "302")
        );
        assert_eq!(
            parse_home("金港花园3幢1-502"),
            home("金港花园3幢", "1", "502")
        );
        assert_eq!(
            parse_home("东湖小区５栋２单元３０１"),
            home("东湖小区5栋", "2", "301"),
            "full-width digits"
        );
    }

    #[test]
    fn the_same_building_however_much_of_the_prefix_is_written() {
        for text in [
            "广西壮族自治区贵港市港北区贵城街道东湖小区5栋2单元301室",
            "贵港市港北区东湖小区5栋2单元301室",
            "港北区东湖小区5栋2单元301室",
            "贵城街道东湖小区5栋2单元301室",
        ] {
            assert_eq!(parse_home(text), home("东湖小区5栋", "2", "301"), "{text}");
        }
    }

    #[test]
    fn villages_and_streets_have_their_own_forms() {
        assert_eq!(parse_home("大岭村六组23号"), home("大岭村六组", "", "23号"));
        assert_eq!(
            parse_home("港北区金港大道168号"),
            home("金港大道", "", "168号")
        );
    }

    #[test]
    fn an_address_without_a_room_is_not_guessed() {
        assert_eq!(parse_home("东湖小区5栋"), None);
        assert_eq!(parse_home("东湖小区"), None);
        assert_eq!(parse_home(""), None);
    }
}
