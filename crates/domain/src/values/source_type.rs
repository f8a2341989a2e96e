//! Where a user account comes from.

use super::Violation;
use std::fmt;

/// The origin of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum SourceType {
    /// Created in Rollcall (the default).
    #[default]
    WebApp,
    /// A local Linux account.
    CliLinuxMultiUser,
    /// An LDAP account.
    CliLdap,
}

/// The source type is not one of the three known names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("source_type must be one of web_app, cli_linux_multi_user, cli_ldap")]
pub struct SourceTypeError;

impl From<SourceTypeError> for Violation {
    fn from(_: SourceTypeError) -> Self {
        Violation::Invalid
    }
}

impl SourceType {
    /// Every source type, in catalog order.
    pub const ALL: [SourceType; 3] = [Self::WebApp, Self::CliLinuxMultiUser, Self::CliLdap];

    /// Parses the wire name.
    ///
    /// # Errors
    /// [`SourceTypeError`] for anything else.
    pub fn parse(raw: &str) -> Result<Self, SourceTypeError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or(SourceTypeError)
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WebApp => "web_app",
            Self::CliLinuxMultiUser => "cli_linux_multi_user",
            Self::CliLdap => "cli_ldap",
        }
    }
}

impl fmt::Display for SourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_unknown() {
        for s in SourceType::ALL {
            assert_eq!(SourceType::parse(s.as_str()), Ok(s));
        }
        assert_eq!(SourceType::default(), SourceType::WebApp);
        assert_eq!(SourceType::parse("ldap"), Err(SourceTypeError));
        assert_eq!(SourceType::parse("WEB_APP"), Err(SourceTypeError));
    }
}
