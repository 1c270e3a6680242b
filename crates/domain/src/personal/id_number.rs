//! 公民身份号码 (GB 11643-1999): 6-digit address code, 8-digit birth date, 3-digit sequence
//! (odd for men, even for women) and an ISO 7064 MOD 11-2 check character.
//!
//! The address code is checked only for its province: counties merge and are renamed, and a
//! person keeps the number issued under a code that has since been retired.

use time::{Date, Month};

/// Sex, as the sequence code records it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// 男.
    Male,
    /// 女.
    Female,
}

impl Sex {
    /// Both.
    pub const ALL: [Sex; 2] = [Sex::Male, Sex::Female];

    /// As a register writes it: 男/女 (also 男性/女性, M/F).
    pub fn from_typed(text: &str) -> Option<Sex> {
        match text.trim() {
            "男" | "男性" | "M" | "m" => Some(Sex::Male),
            "女" | "女性" | "F" | "f" => Some(Sex::Female),
            _ => None,
        }
    }

    /// 男 or 女.
    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

/// Why an ID number was refused; messages say what to check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Not 18 characters of digits (the last may be X).
    #[error("身份证号应为 18 位（最后一位可以是 X）")]
    Format,
    /// A 15-digit first-generation number.
    #[error("15 位旧身份证号已停止使用，请填写 18 位身份证号")]
    FirstGeneration,
    /// The first two digits are no province.
    #[error("身份证号前两位不是有效的省级代码")]
    Province,
    /// Digits 7–14 are not a real date, or lie in the future or before 1900.
    #[error("身份证号中的出生日期无效")]
    BirthDate,
    /// The last character does not match the others.
    #[error("身份证号校验位不正确，请逐位核对")]
    CheckDigit,
}

/// A valid ID number and what it tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber {
    /// The number, with a lowercase x made uppercase.
    pub number: String,
    /// Date of birth.
    pub birth_date: Date,
    /// Sex.
    pub sex: Sex,
}

/// Province-level codes (GB/T 2260), including Taiwan, Hong Kong and Macao.
const PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [u8; 11] = *b"10X98765432";

/// The check character for the first 17 digits.
pub fn check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

impl IdNumber {
    /// Checks `text` as an ID number of someone born by `today`; spaces and full-width digits
    /// (as typed into spreadsheets) are read plainly.
    pub fn parse(text: &str, today: Date) -> Result<IdNumber, IdError> {
        let number = super::plain_number(text).to_ascii_uppercase();
        let b = number.as_bytes();
        if b.len() == 15 && b.iter().all(u8::is_ascii_digit) {
            return Err(IdError::FirstGeneration);
        }
        if b.len() != 18
            || !b[..17].iter().all(u8::is_ascii_digit)
            || !(b[17].is_ascii_digit() || b[17] == b'X')
        {
            return Err(IdError::Format);
        }
        let digits = |r: std::ops::Range<usize>| {
            b[r].iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        };
        if !PROVINCES.contains(&(digits(0..2) as u8)) {
            return Err(IdError::Province);
        }
        let birth_date = Month::try_from(digits(10..12) as u8)
            .ok()
            .and_then(|m| {
                Date::from_calendar_date(digits(6..10) as i32, m, digits(12..14) as u8).ok()
            })
            .filter(|d| d.year() >= 1900 && *d <= today)
            .ok_or(IdError::BirthDate)?;
        if check_char(&b[..17]) != b[17] {
            return Err(IdError::CheckDigit);
        }
        let sex = if digits(16..17) % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        };
        Ok(IdNumber {
            number,
            birth_date,
            sex,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);

    /// Completes 17 digits with their check character.
    fn with_check(first17: &str) -> String {
        format!("{first17}{}", check_char(first17.as_bytes()) as char)
    }

    #[test]
    fn the_standard_example_is_valid() {
        // The worked example of GB 11643-1999: 11010519491231002X, a woman born 1949-12-31.
        let id = IdNumber::parse("11010519491231002x", TODAY).expect("valid");
        assert_eq!(id.number, "11010519491231002X");
        assert_eq!(id.birth_date, date!(1949 - 12 - 31));
        assert_eq!(id.sex, Sex::Female);
    }

    #[test]
    fn sex_comes_from_the_seventeenth_digit() {
        let man = with_check("45080219850312001");
        assert_eq!(IdNumber::parse(&man, TODAY).map(|i| i.sex), Ok(Sex::Male));
        let woman = with_check("45080219850312002");
        assert_eq!(
            IdNumber::parse(&woman, TODAY).map(|i| i.sex),
            Ok(Sex::Female)
        );
    }

    #[test]
    fn every_wrong_check_character_is_caught() {
        let good = with_check("45080219900101123");
        for c in "0123456789X".chars() {
            let candidate = format!("{}{c}", &good[..17]);
            let result = IdNumber::parse(&candidate, TODAY);
            if candidate == good {
                assert!(result.is_ok());
            } else {
                assert_eq!(result.err(), Some(IdError::CheckDigit), "{candidate}");
            }
        }
    }

    #[test]
    fn a_retired_county_code_is_still_accepted() {
        // 452701 was 河池市 before its counties were re-coded; numbers issued then stay valid.
        assert!(IdNumber::parse(&with_check("45270119700101001"), TODAY).is_ok());
    }

    #[test]
    fn impossible_numbers_say_what_is_wrong() {
        let cases = [
            ("4508021990010112", IdError::Format),
            ("45080219900101123Y", IdError::Format),
            ("450802900101123", IdError::FirstGeneration),
            (&with_check("99080219900101123"), IdError::Province),
            (&with_check("45080219900230123"), IdError::BirthDate),
            (&with_check("45080218991231123"), IdError::BirthDate),
            (&with_check("45080220261124123"), IdError::BirthDate),
        ];
        for (text, err) in cases {
            assert_eq!(IdNumber::parse(text, TODAY).err(), Some(err), "{text}");
        }
        // Born today is possible (a newborn's registration).
        assert!(IdNumber::parse(&with_check("45080220261123123"), TODAY).is_ok());
    }
}
