//! The credential-cache fingerprint shared by every cache implementation, and a cache that
//! remembers nothing.

use crate::entities::UserId;
use crate::ports::CredentialCache;
use crate::secrets::PasswordHash;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// HMAC-SHA256, under a process-random `key`, over the user id, the stored PHC string and the
/// presented password (length-prefixed so no two inputs collide). A password change alters the
/// PHC string, so old entries can never match again, on any instance.
pub fn credential_fingerprint(
    key: &[u8; 32],
    user: UserId,
    stored: &PasswordHash,
    presented: &str,
) -> [u8; 32] {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        // HMAC takes keys of any length; this branch cannot run.
        return [0; 32];
    };
    mac.update(&user.get().to_be_bytes());
    for part in [stored.as_phc().as_bytes(), presented.as_bytes()] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// A cache that never remembers: every Basic request verifies the password.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCredentialCache;

impl CredentialCache for NoCredentialCache {
    fn contains(&self, _user: UserId, _stored: &PasswordHash, _presented: &str) -> bool {
        false
    }
    fn remember(&self, _user: UserId, _stored: &PasswordHash, _presented: &str) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_depends_on_every_input() {
        let key = [1u8; 32];
        let h = PasswordHash::from_phc("$argon2id$a");
        let base = credential_fingerprint(&key, UserId(1), &h, "pw");
        assert_eq!(base, credential_fingerprint(&key, UserId(1), &h, "pw"));
        assert_ne!(base, credential_fingerprint(&[2; 32], UserId(1), &h, "pw"));
        assert_ne!(base, credential_fingerprint(&key, UserId(2), &h, "pw"));
        assert_ne!(
            base,
            credential_fingerprint(
                &key,
                UserId(1),
                &PasswordHash::from_phc("$argon2id$b"),
                "pw"
            )
        );
        assert_ne!(base, credential_fingerprint(&key, UserId(1), &h, "pw2"));
    }
}
