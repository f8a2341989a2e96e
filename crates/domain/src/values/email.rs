//! E-mail addresses.

use super::{Violation, has_nul};
use std::fmt;
use validator::ValidateEmail;

/// A syntactically valid e-mail address of at most 191 characters, stored as given; compared
/// case-insensitively (see [`Email::folded`]).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// Why an e-mail address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Empty.
    #[error("email can't be blank")]
    Blank,
    /// Longer than [`Email::MAX_CHARS`].
    #[error("email is too long (maximum is {} characters)", Email::MAX_CHARS)]
    TooLong,
    /// Not an address.
    #[error("email is not a valid address")]
    Invalid,
}

impl From<EmailError> for Violation {
    fn from(e: EmailError) -> Self {
        match e {
            EmailError::Blank => Violation::Blank,
            EmailError::TooLong => Violation::TooLong {
                max: Email::MAX_CHARS as u64,
            },
            EmailError::Invalid => Violation::Invalid,
        }
    }
}

impl Email {
    /// Longest accepted address, in characters.
    pub const MAX_CHARS: usize = 191;

    /// Validates the address (HTML5 / `validator` rules).
    ///
    /// # Errors
    /// [`EmailError`] when blank, too long or not an address.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        if raw.trim().is_empty() {
            return Err(EmailError::Blank);
        }
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(EmailError::TooLong);
        }
        if has_nul(raw) || !raw.validate_email() {
            return Err(EmailError::Invalid);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The address as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form that uniqueness and lookups compare: ASCII letters lower-cased, everything
    /// else as given. ASCII-only folding is what `lower()` does on both SQL backends (SQLite's
    /// built-in, PostgreSQL's under `COLLATE "C"`), so results never depend on the backend.
    pub fn folded(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_addresses_and_keeps_case() {
        let e = Email::parse("Alice@Example.com").unwrap();
        assert_eq!(e.as_str(), "Alice@Example.com");
        assert_eq!(e.folded(), "alice@example.com");
        // Only ASCII letters fold, as in SQL's lower() on both backends.
        assert_eq!(
            Email::parse("Alice@BÜRO.example").map(|e| e.folded()),
            Ok("alice@bÜro.example".to_owned())
        );
    }

    #[test]
    fn refuses_bad_addresses() {
        assert_eq!(Email::parse(""), Err(EmailError::Blank));
        for bad in ["plain", "a@", "@b.c", "a b@c.d", "a\0@b.c"] {
            assert_eq!(Email::parse(bad), Err(EmailError::Invalid), "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(180));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }
}
