//! Free-text fields with a length limit: first and last names, external ids.

use super::{Violation, has_nul};
use std::fmt;

/// Why a free-text field was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextFieldError {
    /// Empty (or only blanks).
    #[error("can't be blank")]
    Blank,
    /// Longer than 191 characters.
    #[error("is too long (maximum is 191 characters)")]
    TooLong,
    /// Contains a NUL character.
    #[error("is invalid")]
    Invalid,
}

impl From<TextFieldError> for Violation {
    fn from(e: TextFieldError) -> Self {
        match e {
            TextFieldError::Blank => Violation::Blank,
            TextFieldError::TooLong => Violation::TooLong { max: 191 },
            TextFieldError::Invalid => Violation::Invalid,
        }
    }
}

fn check_text(raw: &str) -> Result<(), TextFieldError> {
    if raw.trim().is_empty() {
        return Err(TextFieldError::Blank);
    }
    if raw.chars().count() > 191 {
        return Err(TextFieldError::TooLong);
    }
    if has_nul(raw) {
        return Err(TextFieldError::Invalid);
    }
    Ok(())
}

macro_rules! text_value {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// Longest accepted value, in characters.
            pub const MAX_CHARS: usize = 191;

            /// Checks the value: not blank, at most 191 characters, no NUL.
            ///
            /// # Errors
            /// [`TextFieldError`] naming the broken rule.
            pub fn parse(raw: &str) -> Result<Self, TextFieldError> {
                check_text(raw)?;
                Ok(Self(raw.to_owned()))
            }

            /// The value as stored.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }
    };
}

text_value!(
    /// A first or last name.
    PersonName
);
text_value!(
    /// An identifier the user has in another system; unique when present.
    ExternalId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_have_a_length_limit_and_no_nul() {
        assert!(PersonName::parse("Ada").is_ok());
        assert!(PersonName::parse(&"é".repeat(191)).is_ok());
        assert_eq!(
            PersonName::parse(&"a".repeat(192)),
            Err(TextFieldError::TooLong)
        );
        assert_eq!(PersonName::parse("  "), Err(TextFieldError::Blank));
        assert_eq!(PersonName::parse("a\0"), Err(TextFieldError::Invalid));
    }

    #[test]
    fn external_ids_follow_the_same_rules() {
        assert_eq!(ExternalId::parse("ext-1").unwrap().as_str(), "ext-1");
        assert_eq!(ExternalId::parse(""), Err(TextFieldError::Blank));
        assert_eq!(
            Violation::from(TextFieldError::TooLong),
            Violation::TooLong { max: 191 }
        );
    }
}
