//! The user's interface language.

use super::Violation;
use std::fmt;

/// A language tag: 1–16 characters of letters, `-` and `_`; `en` by default.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Language(String);

/// Why a language was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LanguageError {
    /// Empty.
    #[error("language can't be blank")]
    Blank,
    /// Longer than 16 characters.
    #[error("language is too long (maximum is 16 characters)")]
    TooLong,
    /// A character other than a letter, `-` or `_`.
    #[error("language is invalid")]
    Invalid,
}

impl From<LanguageError> for Violation {
    fn from(e: LanguageError) -> Self {
        match e {
            LanguageError::Blank => Violation::Blank,
            LanguageError::TooLong => Violation::TooLong { max: 16 },
            LanguageError::Invalid => Violation::Invalid,
        }
    }
}

impl Language {
    /// Longest accepted tag.
    pub const MAX_CHARS: usize = 16;

    /// Validates a tag such as `en`, `pt-BR` or `zh_Hant`.
    ///
    /// # Errors
    /// [`LanguageError`] naming the broken rule.
    pub fn parse(raw: &str) -> Result<Self, LanguageError> {
        if raw.is_empty() {
            return Err(LanguageError::Blank);
        }
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(LanguageError::TooLong);
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == '-' || c == '_')
        {
            return Err(LanguageError::Invalid);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The tag as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Language {
    fn default() -> Self {
        Self("en".to_owned())
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Language({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_rules() {
        assert_eq!(Language::default().as_str(), "en");
        assert!(Language::parse("pt-BR").is_ok());
        assert!(Language::parse("zh_Hant").is_ok());
        assert_eq!(Language::parse(""), Err(LanguageError::Blank));
        assert_eq!(Language::parse("en1"), Err(LanguageError::Invalid));
        assert_eq!(
            Language::parse("abcdefghijklmnopq"),
            Err(LanguageError::TooLong)
        );
    }
}
