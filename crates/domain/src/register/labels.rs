//! One way to write a closed list with a stored code and a Chinese label.

/// Declares an enum whose every variant has a stored code, a label and extra spellings that
/// are accepted on input (spreadsheets say 本人 where the register says 户主).
macro_rules! labelled {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $code:literal, $label:literal $(| $alias:literal)*;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vm])* $v,)+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The stored form (also the API's).
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $code,)+ }
            }

            /// The Chinese label.
            pub fn label(self) -> &'static str {
                match self { $($name::$v => $label,)+ }
            }

            /// From what a person typed: the label, an accepted alias or the stored form.
            pub fn from_typed(text: &str) -> Option<$name> {
                let t = text.trim();
                match t {
                    $($label $(| $alias)* => Some($name::$v),)+
                    _ => t.parse().ok(),
                }
            }

            /// The labels, for error messages: `户主、配偶、…`.
            pub fn choices() -> String {
                $name::ALL.iter().map(|v| v.label()).collect::<Vec<_>>().join("、")
            }
        }
    };
}

pub(crate) use labelled;
