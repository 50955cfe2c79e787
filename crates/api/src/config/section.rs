//! How a section of the settings is declared: the [`section!`] macro writes
//! each setting once (doc, type, default) and lists its key, so the list of
//! every setting and of those read as text are derived, never kept by hand.

use std::path::PathBuf;

use secrecy::SecretString;

/// One setting: its key (the environment variable is `AUTHD_` and the key
/// in capitals; in the TOML file, the key itself) and whether it is text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub name: &'static str,
    /// Read verbatim from the environment. Figment reads other variables as
    /// typed values, so `+14155550100` would become a number (losing its
    /// `+`) and an all-digit secret would not load at all.
    pub text: bool,
}

/// Whether a setting's type is read as text.
pub trait Kind {
    const TEXT: bool;
}

macro_rules! kinds {
    ($text:literal: $($ty:ty),*) => { $(impl Kind for $ty { const TEXT: bool = $text; })* };
}
kinds!(false: bool, u32, u64, usize);
kinds!(true: String, PathBuf, SecretString);

impl<T: Kind> Kind for Option<T> {
    const TEXT: bool = T::TEXT;
}

/// Declares a section: a struct whose every field is one setting, with its
/// doc and its default (`name: Type = default,`), its `Default`, and `KEYS`.
macro_rules! section {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$field_meta:meta])* pub $field:ident: $ty:ty = $default:expr, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, serde::Deserialize)]
        #[serde(default)]
        pub struct $name {
            $( $(#[$field_meta])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                Self { $( $field: $default, )* }
            }
        }

        impl $name {
            /// Every setting of this section.
            pub const KEYS: &'static [$crate::config::section::Key] = &[
                $( $crate::config::section::Key {
                    name: stringify!($field),
                    text: <$ty as $crate::config::section::Kind>::TEXT,
                }, )*
            ];
        }
    };
}
pub(crate) use section;

/// The settings whose value is a word (an enum): read as text.
macro_rules! words {
    ($($ty:ty),*) => { $(impl $crate::config::section::Kind for $ty { const TEXT: bool = true; })* };
}
pub(crate) use words;
