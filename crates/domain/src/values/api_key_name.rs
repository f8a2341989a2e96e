//! The label of an API key.

use super::{Violation, has_nul};
use std::fmt;

/// An API key's name: up to 191 characters, empty by default.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct ApiKeyName(String);

/// Why an API key name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyNameError {
    /// Longer than 191 characters.
    #[error("name is too long (maximum is 191 characters)")]
    TooLong,
    /// Contains a NUL character.
    #[error("name is invalid")]
    Invalid,
}

impl From<ApiKeyNameError> for Violation {
    fn from(e: ApiKeyNameError) -> Self {
        match e {
            ApiKeyNameError::TooLong => Violation::TooLong {
                max: ApiKeyName::MAX_CHARS as u64,
            },
            ApiKeyNameError::Invalid => Violation::Invalid,
        }
    }
}

impl ApiKeyName {
    /// Longest accepted name.
    pub const MAX_CHARS: usize = 191;

    /// Checks length and content.
    ///
    /// # Errors
    /// [`ApiKeyNameError`] naming the broken rule.
    pub fn parse(raw: &str) -> Result<Self, ApiKeyNameError> {
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(ApiKeyNameError::TooLong);
        }
        if has_nul(raw) {
            return Err(ApiKeyNameError::Invalid);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The name as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeyName({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules() {
        assert_eq!(ApiKeyName::default().as_str(), "");
        assert!(ApiKeyName::parse("dev-key").is_ok());
        assert_eq!(
            ApiKeyName::parse(&"n".repeat(192)),
            Err(ApiKeyNameError::TooLong)
        );
        assert_eq!(ApiKeyName::parse("a\0"), Err(ApiKeyNameError::Invalid));
    }
}
