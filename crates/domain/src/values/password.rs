//! Plain-text passwords on their way to the hasher, and the length policy they obey.

use super::{Violation, has_nul};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// The password length policy: a configurable minimum (8 by default), a fixed maximum of 1024
/// characters, and no composition rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    min_chars: usize,
}

impl PasswordPolicy {
    /// The default minimum length.
    pub const DEFAULT_MIN_CHARS: usize = 8;
    /// The maximum length, whatever the configuration.
    pub const MAX_CHARS: usize = 1024;

    /// A policy with the given minimum, kept between 1 and [`Self::MAX_CHARS`].
    pub fn with_min_chars(min_chars: usize) -> Self {
        Self {
            min_chars: min_chars.clamp(1, Self::MAX_CHARS),
        }
    }

    /// The configured minimum.
    pub fn min_chars(&self) -> usize {
        self.min_chars
    }
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self::with_min_chars(Self::DEFAULT_MIN_CHARS)
    }
}

/// A password that passed the policy. Its `Debug` output never shows the secret.
#[derive(Clone)]
pub struct Password(SecretString);

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Empty.
    #[error("password can't be blank")]
    Blank,
    /// Shorter than the policy's minimum.
    #[error("password is too short (minimum is {min} characters)")]
    TooShort {
        /// The policy's minimum.
        min: usize,
    },
    /// Longer than [`PasswordPolicy::MAX_CHARS`].
    #[error(
        "password is too long (maximum is {} characters)",
        PasswordPolicy::MAX_CHARS
    )]
    TooLong,
    /// Contains a NUL character.
    #[error("password is invalid")]
    Invalid,
}

impl From<PasswordError> for Violation {
    fn from(e: PasswordError) -> Self {
        match e {
            PasswordError::Blank => Violation::Blank,
            PasswordError::TooShort { min } => Violation::TooShort { min: min as u64 },
            PasswordError::TooLong => Violation::TooLong {
                max: PasswordPolicy::MAX_CHARS as u64,
            },
            PasswordError::Invalid => Violation::Invalid,
        }
    }
}

impl Password {
    /// Applies the policy.
    ///
    /// # Errors
    /// [`PasswordError`] when blank, too short, too long or holding a NUL.
    pub fn new(raw: &str, policy: &PasswordPolicy) -> Result<Self, PasswordError> {
        if raw.is_empty() {
            return Err(PasswordError::Blank);
        }
        if has_nul(raw) {
            return Err(PasswordError::Invalid);
        }
        let chars = raw.chars().count();
        if chars < policy.min_chars {
            return Err(PasswordError::TooShort {
                min: policy.min_chars,
            });
        }
        if chars > PasswordPolicy::MAX_CHARS {
            return Err(PasswordError::TooLong);
        }
        Ok(Self(SecretString::from(raw)))
    }

    /// The plain text, for the hasher only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_policy_with_default_minimum() {
        let p = PasswordPolicy::default();
        assert_eq!(p.min_chars(), 8);
        assert_eq!(
            Password::new("1234567", &p).unwrap_err(),
            PasswordError::TooShort { min: 8 }
        );
        assert!(Password::new("12345678", &p).is_ok());
        assert!(Password::new(&"x".repeat(1024), &p).is_ok());
        assert_eq!(
            Password::new(&"x".repeat(1025), &p).unwrap_err(),
            PasswordError::TooLong
        );
        assert_eq!(Password::new("", &p).unwrap_err(), PasswordError::Blank);
        assert_eq!(
            Password::new("abcdefgh\0", &p).unwrap_err(),
            PasswordError::Invalid
        );
    }

    #[test]
    fn minimum_is_configurable_and_counts_characters() {
        let p = PasswordPolicy::with_min_chars(12);
        assert!(Password::new("abcdefghijk", &p).is_err());
        assert!(Password::new("abcdefghijkl", &p).is_ok());
        // Four characters, twelve bytes: counted as four.
        assert!(Password::new("ééé€", &PasswordPolicy::with_min_chars(5)).is_err());
        // No composition rules.
        assert!(Password::new("aaaaaaaa", &PasswordPolicy::default()).is_ok());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let p = Password::new("hunter22hunter", &PasswordPolicy::default()).unwrap();
        assert!(!format!("{p:?}").contains("hunter"));
        assert_eq!(p.expose(), "hunter22hunter");
    }
}
