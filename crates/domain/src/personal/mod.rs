//! Personal data (个人信息): what makes an ID number or a phone number valid, what can be
//! read from an ID number, and how each is masked for those who do not need the full value.
//! Encryption at rest and the blind index live in storage (`shanzhi_store::vault`); the rules
//! here decide what is stored and what is shown.

mod id_number;
mod mask;
mod phone;

pub use id_number::{IdError, IdNumber, Sex, check_char};
pub use mask::{mask_id_number, mask_name, mask_phone};
pub use phone::{PhoneError, normalize_phone};

/// Full-width letters and digits (０-９, Ａ-Ｚ, as Chinese input methods type them) as their
/// ASCII forms, with every space (the full-width one too) removed: how an ID or phone number
/// typed into a spreadsheet is read.
pub fn plain_number(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' | '＋' | '－' | '（' | '）' => {
                char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c)
            }
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn full_width_and_spaced_numbers_read_plainly() {
        assert_eq!(
            super::plain_number("４５０８ ０２１９８００２１２００２ｘ"),
            "45080219800212002x"
        );
        assert_eq!(super::plain_number("138\u{3000}7751 2345"), "13877512345");
    }
}
