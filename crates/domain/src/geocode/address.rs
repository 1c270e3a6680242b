//! How people write an address, brought to one form: half-width digits, no spaces, one word
//! for a building block (栋), Chinese numerals before 栋/号/单元 as digits, the province, city
//! and district prefixes dropped, and the landmark words (附近, 对面 …) taken out and noted.

/// Words that say the place is near the named one, not at it.
const NEAR: [&str; 14] = [
    "附近", "对面", "旁边", "隔壁", "楼下", "门口", "门前", "路口", "周边", "一带", "后面", "前面",
    "边上", "旁",
];

/// Spellings of a building block.
const BLOCK: [&str; 6] = ["号楼", "栋楼", "幢", "座", "号栋", "栋"];

/// An address as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The address in one form, prefixes and landmark words taken out.
    pub text: String,
    /// Whether it named a landmark word: the place is near what it names.
    pub near: bool,
}

/// Half-width letters and digits, no spaces or punctuation that carries nothing.
fn half_width(text: &str) -> String {
    text.chars()
        .filter_map(|c| {
            let c = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            };
            (!c.is_whitespace() && !matches!(c, ',' | '，' | '、' | '。' | '(' | ')' | '（' | '）'))
                .then_some(c)
        })
        .collect()
}

/// The value of a Chinese numeral of up to 99 (一, 十二, 二十三), if it is one.
fn numeral(s: &str) -> Option<u32> {
    let digit = |c: char| "零一二三四五六七八九".chars().position(|d| d == c);
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        ['十'] => Some(10),
        [d] => digit(*d).map(|v| v as u32),
        ['十', d] => digit(*d).map(|v| 10 + v as u32),
        [t, '十'] => digit(*t).map(|v| v as u32 * 10),
        [t, '十', d] => Some(digit(*t)? as u32 * 10 + digit(*d)? as u32),
        _ => None,
    }
}

/// Chinese numerals written before 栋, 号 or 单元 as digits (五栋 → 5栋).
fn numerals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..]
            .iter()
            .take_while(|c| "零一二三四五六七八九十".contains(**c))
            .count();
        if run > 0 {
            let next = chars.get(i + run).copied();
            let word: String = chars[i..i + run].iter().collect();
            if matches!(next, Some('栋' | '号' | '单' | '幢' | '座'))
                && let Some(n) = numeral(&word)
            {
                out.push_str(&n.to_string());
            } else {
                out.push_str(&word);
            }
            i += run;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Drops the leading province, city and district (广西壮族自治区贵港市港北区…): segments of
/// two to seven characters ending in 省, 自治区, 市, 区, 县 or 旗 — but not a 社区, 小区 or
/// 园区 (or a 超市), which are places in the district.
pub fn strip_prefixes(text: &str) -> &str {
    let mut rest = text;
    'again: loop {
        for end in ["自治区", "省", "市", "区", "县", "旗"] {
            let chars: Vec<(usize, char)> = rest.char_indices().take(10).collect();
            for n in 2..=7 {
                let Some(&(at, _)) = chars.get(n) else { break };
                let head = &rest[..at];
                if head.ends_with(end)
                    && ![
                        "社区", "小区", "园区", "校区", "景区", "街区", "片区", "城区", "超市",
                        "菜市", "集市", "夜市",
                    ]
                    .iter()
                    .any(|w| head.ends_with(w))
                    && head.chars().all(|c| !c.is_ascii_digit())
                {
                    rest = &rest[at..];
                    continue 'again;
                }
            }
        }
        return rest;
    }
}

/// Reads an address into its one form.
pub fn read(text: &str) -> Address {
    let mut t = numerals(&half_width(text));
    let mut near = false;
    for w in NEAR {
        if t.contains(w) {
            near = true;
            t = t.replace(w, "");
        }
    }
    for b in BLOCK {
        t = t.replace(b, "栋");
    }
    Address {
        text: strip_prefixes(&t).to_owned(),
        near,
    }
}

/// The number written at the start of `text` and what follows it: `88号对面` → (88, `号对面`).
pub fn leading_number(text: &str) -> Option<(u32, &str)> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let n = text.get(..digits)?.parse().ok()?;
    Some((n, &text[digits..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_read_as_people_write_them() {
        let a = read("广西壮族自治区贵港市港北区中山路８８号对面");
        assert_eq!(a.text, "中山路88号");
        assert!(a.near);
        assert_eq!(read("东湖社区五号楼楼下").text, "东湖社区5栋");
        assert_eq!(read("金港花园 3 幢 2单元").text, "金港花园3栋2单元");
        assert_eq!(read("港北区金港大道170号").text, "金港大道170号");
        assert!(!read("港北区金港大道170号").near);
        assert_eq!(read("十二栋").text, "12栋");
        // A 社区 or 小区 at the start is a place, not a prefix to drop.
        assert_eq!(read("东湖社区3栋").text, "东湖社区3栋");
        assert_eq!(read("城北小区2栋").text, "城北小区2栋");
        assert_eq!(read("华联超市门口").text, "华联超市");
    }

    #[test]
    fn numbers_are_read_off_the_front() {
        assert_eq!(leading_number("88号对面"), Some((88, "号对面")));
        assert_eq!(leading_number("号"), None);
    }
}
