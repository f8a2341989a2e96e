//! Stored forms of secrets: password hashes (Argon2id PHC strings) and SHA-256 digests of
//! session tokens and API-key secrets, plus the formats of the tokens themselves.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// A password hash as a PHC string. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string read from storage or produced by a hasher.
    pub fn from_phc(phc: impl Into<String>) -> Self {
        Self(phc.into())
    }

    /// The PHC string, for storage and verification only.
    pub fn as_phc(&self) -> &str {
        &self.0
    }

    /// A hash brought in from another system (`rollcall users import`), checked for form
    /// only: an Argon2id PHC string (`$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`), or a bcrypt
    /// modular-crypt string `$2a$`, `$2b$` or `$2y$` with a two-digit cost and 53 characters
    /// of salt and hash (what Laravel and Python's bcrypt store). Whether it matches a
    /// password is for the hasher to say at sign-in.
    ///
    /// # Errors
    /// A sentence naming what is wrong.
    pub fn imported(text: &str) -> Result<Self, &'static str> {
        if let Some(rest) = text.strip_prefix("$argon2id$") {
            let parts: Vec<&str> = rest.split('$').collect();
            let b64 = |s: &str| {
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
            };
            return match parts.as_slice() {
                [version, params, salt, hash]
                    if version.starts_with("v=") && b64(salt) && b64(hash) =>
                {
                    match argon2_costs(params) {
                        Some((m, t, p)) if m <= MAX_IMPORTED_ARGON2_KIB && t <= 16 && p <= 16 => {
                            Ok(Self(text.to_owned()))
                        }
                        Some(_) => {
                            Err("an Argon2id hash costlier than 256 MiB, 16 passes or 16 lanes")
                        }
                        None => {
                            Err("not an Argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)")
                        }
                    }
                }
                _ => Err("not an Argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)"),
            };
        }
        let bytes = text.as_bytes();
        let bcrypt = bytes.len() == 60
            && matches!(text.get(..4), Some("$2a$" | "$2b$" | "$2y$"))
            && bytes[4].is_ascii_digit()
            && bytes[5].is_ascii_digit()
            && bytes[6] == b'$'
            && bytes[7..]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'/');
        if bcrypt {
            // Every sign-in pays the cost, on the shared hashing threads: each step doubles
            // it (cost 10, Laravel's default, is about 60 ms; 15 about 2 s).
            let cost = u32::from(bytes[4] - b'0') * 10 + u32::from(bytes[5] - b'0');
            if (4..=15).contains(&cost) {
                Ok(Self(text.to_owned()))
            } else {
                Err("a bcrypt hash whose cost is outside 4 to 15")
            }
        } else {
            Err("neither an Argon2id PHC string nor a bcrypt hash ($2a$, $2b$ or $2y$)")
        }
    }

    /// True for a bcrypt hash (imported; upgraded to Argon2id at the first sign-in).
    pub fn is_bcrypt(&self) -> bool {
        matches!(self.0.get(..4), Some("$2a$" | "$2b$" | "$2y$"))
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([redacted])")
    }
}

/// The most memory an imported Argon2id hash may ask for, in KiB (256 MiB): each sign-in of
/// the user costs that much on a hashing thread.
const MAX_IMPORTED_ARGON2_KIB: u64 = 256 * 1024;

/// `m`, `t` and `p` of an Argon2 parameter string `m=…,t=…,p=…` (in that order).
fn argon2_costs(params: &str) -> Option<(u64, u64, u64)> {
    let mut values = params.split(',').map(|kv| kv.split_once('='));
    let mut next = |key: &str| match values.next() {
        Some(Some((k, v))) if k == key => v.parse::<u64>().ok(),
        _ => None,
    };
    let costs = (next("m")?, next("t")?, next("p")?);
    values.next().is_none().then_some(costs)
}

/// The SHA-256 digest of a token or API-key secret; the only form in which they are stored.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    /// Digests a secret.
    pub fn of(secret: &str) -> Self {
        Self(Sha256::digest(secret.as_bytes()).into())
    }

    /// Lower-case hex, the storage form.
    pub fn to_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut hex = String::with_capacity(64);
        for b in self.0 {
            hex.push(char::from(DIGITS[usize::from(b >> 4)]));
            hex.push(char::from(DIGITS[usize::from(b & 0x0f)]));
        }
        hex
    }

    /// Reads the storage form back; `None` unless it is 64 hex digits.
    pub fn from_hex(hex: &str) -> Option<Self> {
        fn nibble(c: u8) -> Option<u8> {
            match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'f' => Some(c - b'a' + 10),
                b'A'..=b'F' => Some(c - b'A' + 10),
                _ => None,
            }
        }
        let hex = hex.as_bytes();
        if hex.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
            *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
        }
        Some(Self(out))
    }

    /// Constant-time comparison.
    pub fn matches(&self, other: &TokenDigest) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenDigest([redacted])")
    }
}

/// Prefix of every session token.
pub const SESSION_TOKEN_PREFIX: &str = "rcs_";
/// Prefix of every API key.
pub const API_KEY_PREFIX: &str = "rck_";
/// Length of an API key's public identifier, in hex digits.
pub const API_KEY_IDENTIFIER_LEN: usize = 16;

/// What a bearer value is, judged by its prefix alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerKind {
    /// Starts with [`SESSION_TOKEN_PREFIX`].
    Session,
    /// Starts with [`API_KEY_PREFIX`].
    ApiKey,
    /// Neither.
    Unknown,
}

/// Routes a bearer value without guessing.
pub fn bearer_kind(value: &str) -> BearerKind {
    if value.starts_with(SESSION_TOKEN_PREFIX) {
        BearerKind::Session
    } else if value.starts_with(API_KEY_PREFIX) {
        BearerKind::ApiKey
    } else {
        BearerKind::Unknown
    }
}

/// Builds a session token from 32 random bytes: `rcs_` + base64url.
pub fn session_token_from(random: &[u8; 32]) -> String {
    format!("{SESSION_TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(random))
}

/// Builds an API key from 8 identifier bytes and 32 secret bytes:
/// `rck_` + 16 hex digits + `_` + base64url secret.
pub fn api_key_from(identifier: &[u8; 8], secret: &[u8; 32]) -> (String, String) {
    let id: String = identifier.iter().map(|b| format!("{b:02x}")).collect();
    let key = format!("{API_KEY_PREFIX}{id}_{}", URL_SAFE_NO_PAD.encode(secret));
    (id, key)
}

/// Splits a presented API key into its public identifier; `None` when malformed.
pub fn api_key_identifier(key: &str) -> Option<&str> {
    let rest = key.strip_prefix(API_KEY_PREFIX)?;
    let (id, secret) = rest.split_at_checked(API_KEY_IDENTIFIER_LEN)?;
    let secret = secret.strip_prefix('_')?;
    (id.bytes().all(|b| b.is_ascii_hexdigit()) && !secret.is_empty()).then_some(id)
}

#[cfg(test)]
mod tests {

    #[test]
    fn imported_hashes_are_argon2id_or_bcrypt_by_form() {
        let argon = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
        let laravel = "$2y$10$92IXUNpkjO0rOQ5byMi.Ye4oKoEa3Ro9llC/.og/at2.uheWG/igi";
        let python = "$2b$12$KIXQJQk5y1m6Qm1Qm1Qm1u5E6Q0Qm1Qm1Qm1Qm1Qm1Qm1Qm1Qm1Qa";
        for ok in [argon, laravel, python, &laravel.replacen("$2y$", "$2a$", 1)] {
            let hash = PasswordHash::imported(ok).unwrap();
            assert_eq!(hash.as_phc(), ok);
            assert_eq!(hash.is_bcrypt(), ok.starts_with("$2"));
        }
        for bad in [
            "",
            "plain-text-password",
            "$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
            "$argon2id$v=19$m=19456,t=99,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
            "$argon2id$v=19$m=19456,p=1,t=2$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
            "$2y$31$92IXUNpkjO0rOQ5byMi.Ye4oKoEa3Ro9llC/.og/at2.uheWG/igi",
            "$2y$03$92IXUNpkjO0rOQ5byMi.Ye4oKoEa3Ro9llC/.og/at2.uheWG/igi",
            "$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub",
            "$argon2id$v=19$c29tZXNhbHQ$RdescudvJCsgt3ub",
            "$2x$10$92IXUNpkjO0rOQ5byMi.Ye4oKoEa3Ro9llC/.og/at2.uheWG/igi",
            "$2y$10$92IXUNpkjO0rOQ5byMi.Ye4oKoEa3Ro9llC/.og/at2.uheWG/ig",
            "$2y$1x$92IXUNpkjO0rOQ5byMi.Ye4oKoEa3Ro9llC/.og/at2.uheWG/igi",
            "$2y$10$92IXUNpkjO0rOQ5byMi.Ye4oKoEa3Ro9llC/.og/at2.uheWG/ig\u{e9}",
            "é$2y$10$92IXUNpkjO0rOQ5byMi.Ye4oKoEa3Ro9llC/.og/at2.uheWG/i",
        ] {
            assert!(PasswordHash::imported(bad).is_err(), "{bad:?}");
        }
    }

    use super::*;

    #[test]
    fn digests_round_trip_and_compare() {
        let d = TokenDigest::of("secret");
        // The stored form: lower-case hex of SHA-256, as `sha256sum` prints it.
        assert_eq!(
            d.to_hex(),
            "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
        );
        assert_eq!(TokenDigest::from_hex(&d.to_hex()), Some(d));
        assert!(d.matches(&TokenDigest::of("secret")));
        assert!(!d.matches(&TokenDigest::of("Secret")));
        assert_eq!(TokenDigest::from_hex("zz"), None);
        let hex = d.to_hex();
        assert_eq!(TokenDigest::from_hex(&hex.to_uppercase()), Some(d));
        for bad in [
            format!("+{}", &hex[1..]),
            format!("{}g", &hex[..63]),
            format!("{hex}0"),
        ] {
            assert_eq!(TokenDigest::from_hex(&bad), None, "{bad}");
        }
        assert_eq!(TokenDigest::from_hex(&format!("é{}", &hex[2..])), None);
        assert!(!format!("{d:?}").contains(&d.to_hex()));
    }

    #[test]
    fn token_formats_are_routed_by_prefix() {
        let t = session_token_from(&[7; 32]);
        assert_eq!(bearer_kind(&t), BearerKind::Session);
        assert!(t.len() > 40);
        let (id, key) = api_key_from(&[0xab; 8], &[1; 32]);
        assert_eq!(bearer_kind(&key), BearerKind::ApiKey);
        assert_eq!(api_key_identifier(&key), Some(id.as_str()));
        assert_eq!(bearer_kind("abc"), BearerKind::Unknown);
        assert_eq!(api_key_identifier("rck_short"), None);
        assert_eq!(api_key_identifier("rck_abababababababab"), None);
    }

    #[test]
    fn password_hash_debug_is_redacted() {
        let h = PasswordHash::from_phc("$argon2id$v=19$secret");
        assert!(!format!("{h:?}").contains("argon2"));
    }
}
