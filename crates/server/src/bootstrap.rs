//! The first admin: when the directory has no user at all, start-up creates an admin from
//! `admin_username` / `admin_password`, or named `admin` with a generated password that the
//! binary prints once. Once any user exists this does nothing, whatever is configured.

use crate::settings::Settings;
use rollcall_domain::ports::RandomSource;
use rollcall_domain::services::{Directory, ServiceError};
use secrecy::{ExposeSecret, SecretString};

/// Characters of generated passwords: letters and digits, easy to copy from a terminal.
const PASSWORD_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// Length of generated passwords: 24 of 62 symbols is about 143 bits.
const GENERATED_PASSWORD_LEN: usize = 24;

/// What start-up did about the first admin.
#[derive(Debug)]
pub enum AdminBootstrap {
    /// Users already existed; nothing was created.
    Existing,
    /// The admin was created with the configured password.
    Configured {
        /// The admin's username.
        username: String,
    },
    /// The admin was created with a generated password, which must be shown to the operator
    /// once. `Debug` does not show it.
    Generated {
        /// The admin's username.
        username: String,
        /// The generated password.
        password: SecretString,
    },
}

/// Creates the first admin when there is no user.
///
/// # Errors
/// [`ServiceError::Validation`] when the configured username or password breaks the rules;
/// storage errors.
pub async fn bootstrap_admin(
    directory: &Directory,
    settings: &Settings,
    random: &dyn RandomSource,
) -> Result<AdminBootstrap, ServiceError> {
    let username = settings.admin_username().to_owned();
    let (password, generated) = match &settings.admin_password {
        Some(password) => (password.clone(), false),
        None => (generate_password(random), true),
    };
    let created = match directory
        .bootstrap_admin(&username, password.expose_secret())
        .await
    {
        Ok(created) => created,
        // Another instance starting at the same moment may have created the admin first;
        // then the directory is no longer empty and this is not an error.
        Err(ServiceError::Validation(violations)) => {
            match directory
                .bootstrap_admin(&username, password.expose_secret())
                .await
            {
                Ok(None) => None,
                _ => return Err(ServiceError::Validation(violations)),
            }
        }
        Err(other) => return Err(other),
    };
    Ok(match (created, generated) {
        (None, _) => AdminBootstrap::Existing,
        (Some(_), false) => AdminBootstrap::Configured { username },
        (Some(_), true) => AdminBootstrap::Generated { username, password },
    })
}

/// A random password of letters and digits, drawn without modulo bias.
pub fn generate_password(random: &dyn RandomSource) -> SecretString {
    // The largest multiple of the alphabet's size that fits in a byte: bytes at or above it
    // are dropped so that every symbol is equally likely.
    let limit = (256 / PASSWORD_ALPHABET.len() * PASSWORD_ALPHABET.len()) as u16;
    let mut out = String::with_capacity(GENERATED_PASSWORD_LEN);
    let mut buf = [0u8; 64];
    while out.len() < GENERATED_PASSWORD_LEN {
        random.fill(&mut buf);
        for &b in &buf {
            if u16::from(b) < limit && out.len() < GENERATED_PASSWORD_LEN {
                out.push(char::from(
                    PASSWORD_ALPHABET[usize::from(b) % PASSWORD_ALPHABET.len()],
                ));
            }
        }
    }
    SecretString::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollcall_system::OsRandom;

    #[test]
    fn generated_passwords_are_long_alphanumeric_and_distinct() {
        let a = generate_password(&OsRandom);
        let b = generate_password(&OsRandom);
        assert_eq!(a.expose_secret().len(), GENERATED_PASSWORD_LEN);
        assert!(a.expose_secret().bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a.expose_secret(), b.expose_secret());
    }

    #[test]
    fn debug_hides_the_generated_password() {
        let outcome = AdminBootstrap::Generated {
            username: "admin".into(),
            password: SecretString::from("s3cr3t-value"),
        };
        assert!(!format!("{outcome:?}").contains("s3cr3t-value"));
    }
}
