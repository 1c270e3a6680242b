//! What text the system accepts: anything a person can type — newlines and tabs included, for
//! multi-line fields — but no other control character. A NUL in particular cannot be stored
//! in PostgreSQL and would otherwise fail deep inside a write.

/// The first character of `s` that no one types: a control character other than newline,
/// carriage return or tab.
pub fn untypable(s: &str) -> Option<char> {
    s.chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// How such a character is named in a message: `U+0000`.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_passes_and_control_characters_do_not() {
        assert_eq!(untypable("东湖社区5栋\n楼下\t积水"), None);
        assert_eq!(untypable("a\u{0}b"), Some('\u{0}'));
        assert_eq!(untypable("\u{7f}"), Some('\u{7f}'));
        assert_eq!(untypable("\u{1b}[31m"), Some('\u{1b}'));
        assert_eq!(untypable("\u{85}"), Some('\u{85}'));
        assert_eq!(code_point('\u{0}'), "U+0000");
    }
}
