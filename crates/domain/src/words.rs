//! Enums whose variants are stable words of the API, the database and the
//! logs. [`stable_words!`] writes the enum with `ALL`, `as_str` and
//! `parse`, so each variant's word is written once and parsing is the
//! exact inverse of printing.

/// `stable_words! { /// doc  #[derive(…)] pub enum Name { /// doc  Variant = "word", … } }`
macro_rules! stable_words {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $word:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; <[&str]>::len(&[$($word),+])] = [$($name::$variant),+];

            /// The variant's stable word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }

            /// The variant whose word is `s`.
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|v| v.as_str() == s)
            }
        }
    };
}

pub(crate) use stable_words;
