//! How urgent a case is (紧急程度), as the 12345 platform grades its work orders.

use serde::{Deserialize, Serialize};

/// The grade a case came with.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// 一般.
    #[default]
    Normal,
    /// 紧急.
    Urgent,
    /// 特急.
    Critical,
}

impl Urgency {
    /// Every grade, least urgent first.
    pub const ALL: [Urgency; 3] = [Urgency::Normal, Urgency::Urgent, Urgency::Critical];

    /// The stored form (also the API's).
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Normal => "normal",
            Urgency::Urgent => "urgent",
            Urgency::Critical => "critical",
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Urgency::Normal => "一般",
            Urgency::Urgent => "紧急",
            Urgency::Critical => "特急",
        }
    }

    /// From what an export writes: the Chinese names and their usual variants, or the stored
    /// form.
    pub fn from_typed(text: &str) -> Option<Urgency> {
        match text.trim() {
            "" | "一般" | "普通" | "常规" | "正常" | "不紧急" => Some(Urgency::Normal),
            "紧急" | "较急" | "急" | "加急" | "急件" => Some(Urgency::Urgent),
            "特急" | "特别紧急" | "非常紧急" | "特急件" => Some(Urgency::Critical),
            other => other.parse().ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_words_are_read() {
        assert_eq!(Urgency::from_typed("特别紧急"), Some(Urgency::Critical));
        assert_eq!(Urgency::from_typed("加急"), Some(Urgency::Urgent));
        assert_eq!(Urgency::from_typed(" 普通 "), Some(Urgency::Normal));
        assert_eq!(Urgency::from_typed("urgent"), Some(Urgency::Urgent));
        assert_eq!(Urgency::from_typed("马上"), None);
    }
}
