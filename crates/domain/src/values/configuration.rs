//! Keys and values of per-user configurations.

use super::{Violation, has_nul};
use std::fmt;

/// A configuration key: `^[A-Za-z][A-Za-z0-9_.-]{0,254}$`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConfigurationKey(String);

/// Why a configuration key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigurationKeyError {
    /// Empty.
    #[error("key can't be blank")]
    Blank,
    /// Longer than 255 characters.
    #[error("key is too long (maximum is 255 characters)")]
    TooLong,
    /// Does not match the pattern.
    #[error("key is invalid")]
    Invalid,
}

impl From<ConfigurationKeyError> for Violation {
    fn from(e: ConfigurationKeyError) -> Self {
        match e {
            ConfigurationKeyError::Blank => Violation::Blank,
            ConfigurationKeyError::TooLong => Violation::TooLong {
                max: ConfigurationKey::MAX_CHARS as u64,
            },
            ConfigurationKeyError::Invalid => Violation::Invalid,
        }
    }
}

impl ConfigurationKey {
    /// Longest accepted key.
    pub const MAX_CHARS: usize = 255;

    /// Checks the pattern.
    ///
    /// # Errors
    /// [`ConfigurationKeyError`] naming the broken rule.
    pub fn parse(raw: &str) -> Result<Self, ConfigurationKeyError> {
        let mut chars = raw.chars();
        let Some(first) = chars.next() else {
            return Err(ConfigurationKeyError::Blank);
        };
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(ConfigurationKeyError::TooLong);
        }
        if !first.is_ascii_alphabetic()
            || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err(ConfigurationKeyError::Invalid);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConfigurationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ConfigurationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConfigurationKey({:?})", self.0)
    }
}

/// A configuration value: any string of at most 16 KiB (bytes of UTF-8) without NUL.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ConfigurationValue(String);

/// Why a configuration value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigurationValueError {
    /// Larger than 16 KiB.
    #[error("value is too long (maximum is 16384 bytes)")]
    TooLong,
    /// Contains a NUL character.
    #[error("value is invalid")]
    Invalid,
}

impl From<ConfigurationValueError> for Violation {
    fn from(e: ConfigurationValueError) -> Self {
        match e {
            ConfigurationValueError::TooLong => Violation::TooLong {
                max: ConfigurationValue::MAX_BYTES as u64,
            },
            ConfigurationValueError::Invalid => Violation::Invalid,
        }
    }
}

impl ConfigurationValue {
    /// Largest accepted value, in bytes.
    pub const MAX_BYTES: usize = 16 * 1024;

    /// Checks the size.
    ///
    /// # Errors
    /// [`ConfigurationValueError`] when too large or holding a NUL.
    pub fn parse(raw: &str) -> Result<Self, ConfigurationValueError> {
        if raw.len() > Self::MAX_BYTES {
            return Err(ConfigurationValueError::TooLong);
        }
        if has_nul(raw) {
            return Err(ConfigurationValueError::Invalid);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The value as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ConfigurationValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConfigurationValue({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_pattern() {
        assert!(ConfigurationKey::parse("global.locale").is_ok());
        assert!(ConfigurationKey::parse("a").is_ok());
        assert!(ConfigurationKey::parse(&format!("a{}", "b".repeat(254))).is_ok());
        assert_eq!(
            ConfigurationKey::parse(&format!("a{}", "b".repeat(255))),
            Err(ConfigurationKeyError::TooLong)
        );
        assert_eq!(
            ConfigurationKey::parse(""),
            Err(ConfigurationKeyError::Blank)
        );
        for bad in ["1abc", "_x", "a b", "a/b", "é"] {
            assert_eq!(
                ConfigurationKey::parse(bad),
                Err(ConfigurationKeyError::Invalid),
                "{bad}"
            );
        }
    }

    #[test]
    fn value_limit_is_16_kib() {
        assert!(ConfigurationValue::parse("").is_ok());
        assert!(ConfigurationValue::parse(&"x".repeat(16384)).is_ok());
        assert_eq!(
            ConfigurationValue::parse(&"x".repeat(16385)),
            Err(ConfigurationValueError::TooLong)
        );
        assert_eq!(
            ConfigurationValue::parse("a\0"),
            Err(ConfigurationValueError::Invalid)
        );
    }
}
