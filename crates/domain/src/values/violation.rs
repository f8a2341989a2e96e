//! Field-level validation failures, in a form every API family can render in its own words.

use std::fmt;

/// What is wrong with one field, independent of any API family's wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// A required value is missing or empty.
    Blank,
    /// The value is outside an enumeration, pattern or format.
    Invalid,
    /// The value arrived with the wrong wire type (a string for a boolean, a number for a
    /// text, …). Reported like [`Violation::Invalid`] where a family has no word of its own
    /// for it (`invalid` in v2); the application family calls it `string` or `boolean`.
    WrongType,
    /// The value is already used by another record.
    Taken,
    /// The value is shorter than `min` characters.
    TooShort {
        /// The minimum length.
        min: u64,
    },
    /// The value is longer than `max` characters (or bytes, where the rule says so).
    TooLong {
        /// The maximum length.
        max: u64,
    },
    /// The list has more than `max` items (filters, sort keys, values of a list filter).
    TooMany {
        /// The most items accepted.
        max: u64,
    },
    /// The number is smaller than `min`.
    TooSmall {
        /// The smallest accepted number.
        min: i64,
    },
    /// The number is larger than `max`.
    TooLarge {
        /// The largest accepted number.
        max: i64,
    },
}

impl Violation {
    /// The Nodeum-style error code (`blank`, `invalid`, `taken`, `too_short`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Blank => "blank",
            Self::Invalid | Self::WrongType => "invalid",
            Self::Taken => "taken",
            Self::TooShort { .. } => "too_short",
            // Rails' length validator says `too_long` of a list too.
            Self::TooLong { .. } | Self::TooMany { .. } => "too_long",
            Self::TooSmall { .. } => "greater_than_or_equal_to",
            Self::TooLarge { .. } => "less_than_or_equal_to",
        }
    }

    /// The bound a length or range violation refers to.
    pub fn count(&self) -> Option<i64> {
        match self {
            Self::TooShort { min } => i64::try_from(*min).ok(),
            Self::TooLong { max } | Self::TooMany { max } => i64::try_from(*max).ok(),
            Self::TooSmall { min } => Some(*min),
            Self::TooLarge { max } => Some(*max),
            _ => None,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Blank => f.write_str("can't be blank"),
            Self::Invalid | Self::WrongType => f.write_str("is invalid"),
            Self::Taken => f.write_str("has already been taken"),
            Self::TooShort { min } => write!(f, "is too short (minimum is {min} characters)"),
            Self::TooLong { max } => write!(f, "is too long (maximum is {max} characters)"),
            Self::TooMany { max } => write!(f, "has too many items (maximum is {max})"),
            Self::TooSmall { min } => write!(f, "must be greater than or equal to {min}"),
            Self::TooLarge { max } => write!(f, "must be less than or equal to {max}"),
        }
    }
}

/// One violation on one named field, with the offending value where it is safe to echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// The field's wire name in the v2 family (`username`, `email`, `api_key_scopes`, …).
    pub field: &'static str,
    /// What is wrong.
    pub violation: Violation,
    /// The rejected value, echoed for `invalid` and `taken`; never set for passwords.
    pub value: Option<String>,
}

impl FieldViolation {
    /// A violation without an echoed value.
    pub fn new(field: &'static str, violation: Violation) -> Self {
        Self {
            field,
            violation,
            value: None,
        }
    }

    /// A violation that echoes the rejected value.
    pub fn with_value(field: &'static str, violation: Violation, value: impl Into<String>) -> Self {
        Self {
            field,
            violation,
            value: Some(value.into()),
        }
    }

    /// A sentence such as `username is invalid`.
    pub fn message(&self) -> String {
        format!("{} {}", self.field, self.violation)
    }
}

/// Every violation found in one request, in field order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// No violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A single violation.
    pub fn one(violation: FieldViolation) -> Self {
        Self(vec![violation])
    }

    /// Adds one violation.
    pub fn push(&mut self, violation: FieldViolation) {
        self.0.push(violation);
    }

    /// Records the error of a parse, if any, and gives back the parsed value.
    pub fn check<T, E: Into<Violation>>(
        &mut self,
        field: &'static str,
        echo: Option<&str>,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                let violation: Violation = error.into();
                let echoed = match violation {
                    Violation::Invalid | Violation::Taken => echo.map(str::to_owned),
                    _ => None,
                };
                self.0.push(FieldViolation {
                    field,
                    violation,
                    value: echoed,
                });
                None
            }
        }
    }

    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The violations, in the order they were found.
    pub fn iter(&self) -> impl Iterator<Item = &FieldViolation> {
        self.0.iter()
    }

    /// `Ok(())` when empty, else `Err(self)`.
    pub fn into_result(self) -> Result<(), Self> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(FieldViolation::message).collect();
        f.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_nodeum() {
        assert_eq!(Violation::Blank.code(), "blank");
        assert_eq!(
            Violation::TooSmall { min: 0 }.code(),
            "greater_than_or_equal_to"
        );
        assert_eq!(
            Violation::TooLarge { max: 9 }.code(),
            "less_than_or_equal_to"
        );
        assert_eq!(Violation::TooLong { max: 191 }.count(), Some(191));
        assert_eq!(Violation::Invalid.count(), None);
        assert_eq!(Violation::WrongType.code(), "invalid");
        assert_eq!(Violation::WrongType.to_string(), "is invalid");
    }

    #[test]
    fn check_echoes_only_invalid_and_taken() {
        let mut v = Violations::new();
        let r: Result<(), Violation> = Err(Violation::Invalid);
        assert!(v.check("username", Some("1234"), r).is_none());
        let r: Result<(), Violation> = Err(Violation::TooShort { min: 8 });
        assert!(v.check("password", Some("secret"), r).is_none());
        let all: Vec<_> = v.iter().cloned().collect();
        assert_eq!(all[0].value.as_deref(), Some("1234"));
        assert_eq!(all[1].value, None);
        assert_eq!(all[0].message(), "username is invalid");
        assert!(v.into_result().is_err());
    }
}
