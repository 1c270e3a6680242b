//! Masking (脱敏): what a role that does not need the full value sees.

/// `4508**********1234`: the province and city, and the last four.
pub fn mask_id_number(number: &str) -> String {
    keep_ends(number, 4, 4)
}

/// `138****5678` for a mobile, `0775-***2345` for a fixed line.
pub fn mask_phone(phone: &str) -> String {
    match phone.split_once('-') {
        Some((area, local)) => format!("{area}-{}", keep_ends(local, 0, 4)),
        None => keep_ends(phone, 3, 4),
    }
}

/// `张*`, `张*华`, `欧阳**`: the family name (one character, or two for a four-character name)
/// and, for three characters or more, the last.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", chars[0]),
        3 => format!("{}*{}", chars[0], chars[2]),
        n => format!("{}{}{}", chars[0], chars[1], "*".repeat(n - 2)),
    }
}

fn keep_ends(text: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_keep_four_at_each_end() {
        assert_eq!(mask_id_number("45080219850312001X"), "4508**********001X");
    }

    #[test]
    fn phones_keep_what_identifies_the_line_but_not_the_person() {
        assert_eq!(mask_phone("13877512345"), "138****2345");
        assert_eq!(mask_phone("0775-2812345"), "0775-***2345");
    }

    #[test]
    fn names() {
        assert_eq!(mask_name("韦芳"), "韦*");
        assert_eq!(mask_name("覃鹏琳"), "覃*琳");
        assert_eq!(mask_name("欧阳小燕"), "欧阳**");
    }

    #[test]
    fn short_values_are_hidden_entirely() {
        assert_eq!(mask_id_number("123"), "***");
        assert_eq!(mask_phone("12"), "**");
    }
}
