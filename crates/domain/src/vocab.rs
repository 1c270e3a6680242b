//! Stored vocabularies: every closed list the database keeps as text (a case's stage, a role, a
//! residence status …) is an enum with exactly one text form, `as_str`, read back with
//! `FromStr`. The same form is the API's (serde) and the forms' (`<option value>`); a test
//! holds the three together and round-trips every value through both databases.

use std::fmt;

/// A closed list stored as text.
pub trait Vocabulary: Copy + Eq + fmt::Debug + 'static {
    /// What the list is called, in Chinese (error messages).
    const NAME: &'static str;

    /// Every value, in display order.
    fn all() -> &'static [Self];

    /// The one text form.
    fn as_str(self) -> &'static str;

    /// The value whose text form is `text`.
    fn from_text(text: &str) -> Result<Self, Unknown> {
        Self::all()
            .iter()
            .copied()
            .find(|v| v.as_str() == text)
            .ok_or_else(|| Unknown {
                vocabulary: Self::NAME,
                text: text.to_owned(),
            })
    }
}

/// Text that names no value of a vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{vocabulary}没有“{text}”这一项")]
pub struct Unknown {
    /// The vocabulary's name.
    pub vocabulary: &'static str,
    /// The text.
    pub text: String,
}

/// Makes enums with an `ALL` list and an inherent `as_str` into [`Vocabulary`]s: `FromStr`,
/// `Display`, and (with the `sqlx` feature) a text column type, so rows decode straight into
/// them. Every vocabulary is also listed in [`every`] for the tests.
macro_rules! stored_as_text {
    ($($t:ty => $name:literal),+ $(,)?) => {
        $(
            impl $crate::vocab::Vocabulary for $t {
                const NAME: &'static str = $name;

                fn all() -> &'static [Self] {
                    &<$t>::ALL
                }

                fn as_str(self) -> &'static str {
                    <$t>::as_str(self)
                }
            }

            impl std::str::FromStr for $t {
                type Err = $crate::vocab::Unknown;

                fn from_str(s: &str) -> Result<Self, Self::Err> {
                    <$t as $crate::vocab::Vocabulary>::from_text(s)
                }
            }

            impl std::fmt::Display for $t {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str(<$t>::as_str(*self))
                }
            }

            #[cfg(feature = "sqlx")]
            impl<DB: sqlx::Database> sqlx::Type<DB> for $t
            where
                str: sqlx::Type<DB>,
            {
                fn type_info() -> DB::TypeInfo {
                    <str as sqlx::Type<DB>>::type_info()
                }

                fn compatible(ty: &DB::TypeInfo) -> bool {
                    <str as sqlx::Type<DB>>::compatible(ty)
                }
            }

            #[cfg(feature = "sqlx")]
            impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $t
            where
                &'r str: sqlx::Decode<'r, DB>,
            {
                fn decode(
                    value: <DB as sqlx::Database>::ValueRef<'r>,
                ) -> Result<Self, sqlx::error::BoxDynError> {
                    let text = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                    Ok(text.parse::<$t>()?)
                }
            }
        )+

        /// Every stored vocabulary: its name and its text forms.
        pub fn every() -> Vec<(&'static str, Vec<&'static str>)> {
            vec![$(
                (
                    <$t as $crate::vocab::Vocabulary>::NAME,
                    <$t as $crate::vocab::Vocabulary>::all()
                        .iter()
                        .map(|v| v.as_str())
                        .collect(),
                ),
            )+]
        }

        /// Every value of every vocabulary as (vocabulary, text form, whether the text parses
        /// back to the value, its serde form).
        pub fn checks() -> Vec<(&'static str, &'static str, bool, serde_json::Value)> {
            let mut out = Vec::new();
            $(
                for v in <$t as $crate::vocab::Vocabulary>::all() {
                    out.push((
                        <$t as $crate::vocab::Vocabulary>::NAME,
                        v.as_str(),
                        v.as_str().parse::<$t>() == Ok(*v),
                        serde_json::to_value(v).unwrap_or_default(),
                    ));
                }
            )+
            out
        }

        /// Decodes column `column` of `row` as the vocabulary called `name` and gives back its
        /// text form (the database round trip the tests make); None for an unknown name.
        #[cfg(feature = "sqlx")]
        pub fn decode<R: sqlx::Row>(
            row: &R,
            column: &str,
            name: &str,
        ) -> Option<Result<&'static str, sqlx::Error>>
        where
            for<'a> &'a str: sqlx::Decode<'a, R::Database>,
            str: sqlx::Type<R::Database>,
            for<'a> &'a str: sqlx::ColumnIndex<R>,
        {
            $(
                if name == <$t as $crate::vocab::Vocabulary>::NAME {
                    return Some(row.try_get::<$t, _>(column).map(<$t>::as_str));
                }
            )+
            None
        }
    };
}

stored_as_text! {
    crate::auth::Role => "角色",
    crate::case::Stage => "事件阶段",
    crate::case::Tier => "办理层级",
    crate::case::Source => "事件来源",
    crate::case::Satisfaction => "满意度",
    crate::case::Clock => "时限计算方式",
    crate::case::Urgency => "紧急程度",
    crate::case::DayKind => "日历调整",
    crate::case::RequestKind => "申请类型",
    crate::case::MediatorKind => "调解员类型",
    crate::case::Referral => "移交去向",
    crate::case::OutcomeKind => "调解结果",
    crate::case::PartySide => "当事人一方",
    crate::region::Level => "区域层级",
    crate::region::GridClass => "网格类别",
    crate::region::DedicatedKind => "专属网格类型",
    crate::region::NodeAction => "区域变更",
    crate::personal::Sex => "性别",
    crate::register::vocab::Relation => "与户主关系",
    crate::register::vocab::Residence => "居住状态",
    crate::register::vocab::Attention => "关注等级",
    crate::register::vocab::PlaceKind => "场所类型",
    crate::register::vocab::Risk => "风险等级",
    crate::register::vocab::StaffRole => "网格人员类型",
    crate::register::vocab::VisitPurpose => "走访事由",
    crate::participation::MemberKind => "报到类型",
    crate::participation::Standing => "报到状态",
    crate::participation::ServiceStage => "服务核实状态",
    crate::participation::ServiceCategory => "服务类别",
    crate::participation::ListKind => "清单",
    crate::participation::AccountKind => "积分账户类型",
    crate::participation::PostingKind => "积分记账类型",
    crate::participation::WishStage => "心愿状态",
    crate::participation::Mode => "问卷答题方式",
    crate::participation::OpinionStatus => "社情民意状态",
    crate::participation::topic::Scale => "议题规模",
    crate::participation::topic::TopicStage => "议题阶段",
    crate::participation::topic::Side => "议事参与方",
    crate::participation::topic::Choice => "表决",
    crate::participation::topic::Disposition => "建议去向",
    crate::notify::DeliveryStatus => "推送状态",
    crate::notify::FeedKind => "变更通知类型",
    crate::texts::TextKind => "短信通知类型",
    crate::texts::Receipt => "短信回执",
    crate::case::voice::AudioFormat => "语音格式",
    crate::notice::NoticeLevel => "公告级别",
    crate::notice::WarningColor => "预警颜色",
    crate::notice::CallOutcome => "叫应结果",
    crate::geocode::Side => "门牌单双号",
    crate::notice::attachment::FileKind => "附件类型",
    crate::offline::FieldKind => "离线记录类型",
    crate::offline::Implausible => "现场时间不采信原因",
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_value_has_one_text_form_that_serde_and_from_str_agree_with() {
        let mut names = HashSet::new();
        for (name, forms) in every() {
            assert!(names.insert(name), "{name} listed twice");
            assert!(!forms.is_empty(), "{name} has no values");
            let unique: HashSet<_> = forms.iter().collect();
            assert_eq!(unique.len(), forms.len(), "{name}: two values share a form");
        }
        for (name, text, parses, serde) in checks() {
            assert!(parses, "{name}: “{text}” does not parse back");
            assert_eq!(
                serde,
                serde_json::Value::String(text.into()),
                "{name}: serde differs"
            );
        }
    }

    #[test]
    fn unknown_text_is_refused_with_the_vocabulary_named() {
        let e = "basicallysatisfied"
            .parse::<crate::case::Satisfaction>()
            .unwrap_err();
        assert_eq!(e.vocabulary, "满意度");
        assert!(e.to_string().contains("basicallysatisfied"));
    }
}
