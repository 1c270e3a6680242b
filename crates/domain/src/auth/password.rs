//! Password policy for staff accounts.

/// Why a password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    /// Too short.
    #[error("密码至少 10 个字符")]
    TooShort,
    /// Lacks a letter or a digit.
    #[error("密码必须同时包含字母和数字")]
    TooSimple,
}

/// At least 10 characters with both letters and digits: long enough to resist guessing when
/// combined with login throttling, simple enough for grid workers to type on a phone.
pub fn check_password_policy(pw: &str) -> Result<(), PasswordPolicyError> {
    if pw.chars().count() < 10 {
        return Err(PasswordPolicyError::TooShort);
    }
    if !pw.chars().any(|c| c.is_alphabetic()) || !pw.chars().any(|c| c.is_ascii_digit()) {
        return Err(PasswordPolicyError::TooSimple);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert_eq!(
            check_password_policy("abc123"),
            Err(PasswordPolicyError::TooShort)
        );
        assert_eq!(
            check_password_policy("abcdefghijk"),
            Err(PasswordPolicyError::TooSimple)
        );
        assert_eq!(
            check_password_policy("12345678901"),
            Err(PasswordPolicyError::TooSimple)
        );
        assert_eq!(check_password_policy("Shanzhi2026"), Ok(()));
    }
}
