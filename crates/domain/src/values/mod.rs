//! Validated value types: each has private fields, a constructor that returns `Result`, its own
//! small error type and the tests beside it.

mod api_key_name;
mod client;
mod configuration;
mod email;
mod language;
mod names;
mod password;
mod posix;
mod scope;
mod source_type;
mod username;
mod violation;

pub use api_key_name::{ApiKeyName, ApiKeyNameError};
pub use client::{ClientAddress, LoginKey};
pub use configuration::{
    ConfigurationKey, ConfigurationKeyError, ConfigurationValue, ConfigurationValueError,
};
pub use email::{Email, EmailError};
pub use language::{Language, LanguageError};
pub use names::{ExternalId, PersonName, TextFieldError};
pub use password::{Password, PasswordError, PasswordPolicy};
pub use posix::{PosixId, PosixIdError};
pub use scope::{Action, Controller, Scope, ScopeError, ScopeSet};
pub use source_type::{SourceType, SourceTypeError};
pub use username::{Username, UsernameError};
pub use violation::{FieldViolation, Violation, Violations};

/// True when `s` holds a NUL character, which no stored string may contain.
pub(crate) fn has_nul(s: &str) -> bool {
    s.contains('\0')
}
