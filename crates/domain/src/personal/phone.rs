//! Phone numbers: mainland mobile numbers (11 digits starting 13–19) and fixed lines with their
//! area code (0775-2812345), written however people write them.

/// Why a phone number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("电话号码无效：请填写 11 位手机号，或带区号的固定电话（如 0775-2812345）")]
pub struct PhoneError;

/// The number in one form: mobiles as 11 digits, fixed lines as `area-number`. Spaces, dashes
/// and a +86 prefix are accepted on input.
pub fn normalize_phone(text: &str) -> Result<String, PhoneError> {
    let digits: String = super::plain_number(text)
        .chars()
        .filter(|c| !matches!(c, '-' | '(' | ')'))
        .collect();
    let digits = digits
        .strip_prefix("+86")
        .or_else(|| digits.strip_prefix("0086"))
        .unwrap_or(&digits);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PhoneError);
    }
    let b = digits.as_bytes();
    if b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) {
        return Ok(digits.to_owned());
    }
    // Fixed line: area code 010, 02x (three digits) or 0xxx (four), then 7–8 digits.
    if b.first() == Some(&b'0') && b.get(1) != Some(&b'0') {
        let area = if matches!(b.get(1), Some(b'1' | b'2')) {
            3
        } else {
            4
        };
        let local = b.len().saturating_sub(area);
        if (7..=8).contains(&local) && b.get(area) != Some(&b'0') {
            return Ok(format!("{}-{}", &digits[..area], &digits[area..]));
        }
    }
    Err(PhoneError)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_in_every_usual_spelling() {
        for t in [
            "13877512345",
            " 138 7751 2345 ",
            "138-7751-2345",
            "+86 138 7751 2345",
            "008613877512345",
        ] {
            assert_eq!(normalize_phone(t).as_deref(), Ok("13877512345"), "{t}");
        }
    }

    #[test]
    fn fixed_lines_keep_their_area_code() {
        assert_eq!(
            normalize_phone("0775-2812345").as_deref(),
            Ok("0775-2812345")
        );
        assert_eq!(
            normalize_phone("(010) 6512 3456").as_deref(),
            Ok("010-65123456")
        );
        assert_eq!(
            normalize_phone("02087654321").as_deref(),
            Ok("020-87654321")
        );
    }

    #[test]
    fn what_is_not_a_phone_is_refused() {
        for t in [
            "",
            "12345678901",
            "1387751234",
            "138775123456",
            "2812345",
            "0775-0812345",
            "abc",
        ] {
            assert_eq!(normalize_phone(t), Err(PhoneError), "{t}");
        }
        // Full-width digits, as an input method types them, are digits.
        assert_eq!(
            normalize_phone("13877５12345").as_deref(),
            Ok("13877512345")
        );
    }
}
