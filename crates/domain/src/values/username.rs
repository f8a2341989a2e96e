//! The login name of a user.

use super::{Violation, has_nul};
use std::fmt;

/// A username: 1–191 characters of `A-Z a-z 0-9 . _ -`, starting with a letter, digit or `_`,
/// not all digits and not one of the reserved path words. Case is preserved; uniqueness is
/// case-insensitive (see [`Username::folded`]).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

/// Why a username was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    /// Empty.
    #[error("username can't be blank")]
    Blank,
    /// Longer than [`Username::MAX_CHARS`].
    #[error("username is too long (maximum is {} characters)", Username::MAX_CHARS)]
    TooLong,
    /// A character outside `A-Z a-z 0-9 . _ -`, or a bad first character.
    #[error(
        "username may only contain letters, digits, '.', '_' and '-', and must start with a letter, digit or '_'"
    )]
    InvalidCharacters,
    /// Only digits: it would read as an id in v2 paths.
    #[error("username can't be only digits")]
    AllDigits,
    /// One of the reserved words `me`, `sign_in`, `sign_out`.
    #[error("username is reserved")]
    Reserved,
}

impl From<UsernameError> for Violation {
    fn from(e: UsernameError) -> Self {
        match e {
            UsernameError::Blank => Violation::Blank,
            UsernameError::TooLong => Violation::TooLong {
                max: Username::MAX_CHARS as u64,
            },
            _ => Violation::Invalid,
        }
    }
}

impl Username {
    /// Longest accepted username, in characters.
    pub const MAX_CHARS: usize = 191;
    /// Words that v2 paths use and no user may take.
    pub const RESERVED: [&'static str; 3] = ["me", "sign_in", "sign_out"];

    /// Checks every rule and keeps the name as given.
    ///
    /// # Errors
    /// Returns the first [`UsernameError`] that applies.
    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        if raw.is_empty() {
            return Err(UsernameError::Blank);
        }
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(UsernameError::TooLong);
        }
        if has_nul(raw)
            || !raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(UsernameError::InvalidCharacters);
        }
        let first = raw.chars().next().unwrap_or('.');
        if !(first.is_ascii_alphanumeric() || first == '_') {
            return Err(UsernameError::InvalidCharacters);
        }
        if raw.chars().all(|c| c.is_ascii_digit()) {
            return Err(UsernameError::AllDigits);
        }
        if Self::RESERVED
            .iter()
            .any(|word| word.eq_ignore_ascii_case(raw))
        {
            return Err(UsernameError::Reserved);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The name as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that uniqueness and lookups compare.
    pub fn folded(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    /// The same name in lower case (the application family stores names this way).
    pub fn to_lowercase(&self) -> Self {
        Self(self.folded())
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Username({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_allowed_alphabet_and_keeps_case() {
        for ok in ["alice", "Bob.Smith", "_svc", "a-b_c.d", "x1", "9lives", "A"] {
            assert_eq!(Username::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_blank_long_and_bad_characters() {
        assert_eq!(Username::parse(""), Err(UsernameError::Blank));
        assert_eq!(
            Username::parse(&"a".repeat(192)),
            Err(UsernameError::TooLong)
        );
        assert!(Username::parse(&"a".repeat(191)).is_ok());
        for bad in ["a b", "a@b", ".hidden", "-dash", "é", "a\0b", "a/b"] {
            assert_eq!(
                Username::parse(bad),
                Err(UsernameError::InvalidCharacters),
                "{bad}"
            );
        }
    }

    #[test]
    fn refuses_all_digits_and_reserved_words() {
        assert_eq!(Username::parse("12345"), Err(UsernameError::AllDigits));
        for word in ["me", "ME", "sign_in", "Sign_Out"] {
            assert_eq!(Username::parse(word), Err(UsernameError::Reserved));
        }
    }

    #[test]
    fn folds_for_comparison() {
        let u = Username::parse("Alice").unwrap();
        assert_eq!(u.folded(), "alice");
        assert_eq!(u.to_lowercase().as_str(), "alice");
        assert_eq!(Violation::from(UsernameError::TooLong).code(), "too_long");
        assert_eq!(Violation::from(UsernameError::Blank).code(), "blank");
        assert_eq!(Violation::from(UsernameError::Reserved).code(), "invalid");
    }
}
