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
