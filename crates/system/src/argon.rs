//! [`Argon2idHasher`]: Argon2id with configured cost parameters, producing PHC strings. It is
//! a synchronous [`HashAlgorithm`]; servers run it through [`crate::BlockingHasher`].

use crate::OsRandom;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use rollcall_domain::adapters::HashAlgorithm;
use rollcall_domain::ports::{HashError, RandomSource, Verification};
use rollcall_domain::secrets::PasswordHash;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for Argon2Params {
    /// The OWASP minimum for Argon2id: 19 MiB, 2 iterations, 1 lane.
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Argon2id with configured parameters, producing PHC strings.
pub struct Argon2idHasher {
    argon: Argon2<'static>,
    params: Argon2Params,
    dummy: PasswordHash,
}

impl std::fmt::Debug for Argon2idHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Argon2idHasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Argon2idHasher {
    /// A hasher with these parameters; computes its dummy hash once.
    ///
    /// # Errors
    /// [`HashError`] when the parameters are out of Argon2's range.
    pub fn new(params: Argon2Params) -> Result<Self, HashError> {
        let p = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| HashError::Failed(format!("invalid Argon2 parameters: {e}")))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, p);
        let mut hasher = Self {
            argon,
            params,
            dummy: PasswordHash::from_phc(String::new()),
        };
        let mut random = [0u8; 24];
        OsRandom.fill(&mut random);
        let dummy_password: String = random.iter().map(|b| format!("{b:02x}")).collect();
        hasher.dummy = hasher.hash(&dummy_password)?;
        Ok(hasher)
    }

    /// The parameters in force.
    pub fn params(&self) -> Argon2Params {
        self.params
    }

    fn is_weaker(&self, parsed: &argon2::PasswordHash) -> bool {
        if parsed.algorithm != Algorithm::Argon2id.ident() {
            return true;
        }
        if parsed.version != Some(Version::V0x13 as u32) {
            return true;
        }
        let Ok(p) = Params::try_from(parsed) else {
            return true;
        };
        p.m_cost() < self.params.memory_kib
            || p.t_cost() < self.params.iterations
            || p.p_cost() < self.params.parallelism
    }
}

impl HashAlgorithm for Argon2idHasher {
    fn hash(&self, password: &str) -> Result<PasswordHash, HashError> {
        let mut salt = [0u8; 16];
        OsRandom.fill(&mut salt);
        // The PHC string carries the salt Base64-encoded, as before.
        let phc = self
            .argon
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map_err(|e| HashError::Failed(e.to_string()))?;
        Ok(PasswordHash::from_phc(phc.to_string()))
    }

    fn verify(&self, password: &str, hash: &PasswordHash) -> Result<Verification, HashError> {
        let parsed = argon2::PasswordHash::new(hash.as_phc())
            .map_err(|e| HashError::Failed(format!("stored hash is not a PHC string: {e}")))?;
        // Verify with the parameters stored in the hash itself.
        match Argon2::default().verify_password(password.as_bytes(), &parsed) {
            Ok(()) => Ok(Verification::Match {
                needs_rehash: self.is_weaker(&parsed),
            }),
            Err(argon2::password_hash::Error::PasswordInvalid) => Ok(Verification::Mismatch),
            Err(e) => Err(HashError::Failed(e.to_string())),
        }
    }

    fn dummy_hash(&self) -> &PasswordHash {
        &self.dummy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap(memory_kib: u32) -> Argon2idHasher {
        Argon2idHasher::new(Argon2Params {
            memory_kib,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[test]
    fn hashes_are_argon2id_phc_and_verify() {
        let h = cheap(1024);
        let phc = h.hash("correct horse").unwrap();
        assert!(phc.as_phc().starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        assert_eq!(
            h.verify("correct horse", &phc).unwrap(),
            Verification::Match {
                needs_rehash: false
            }
        );
        assert_eq!(h.verify("wrong", &phc).unwrap(), Verification::Mismatch);
        assert_ne!(h.hash("correct horse").unwrap(), phc, "salted");
        assert!(h.verify("x", &PasswordHash::from_phc("plain")).is_err());
    }

    /// A hash made by argon2 0.5 (the previous release of the crate) with a fixed salt: stored
    /// hashes keep verifying, and the same inputs still give the very same PHC string.
    #[test]
    fn hashes_from_earlier_releases_verify_and_are_reproduced() {
        const STORED: &str = "$argon2id$v=19$m=1024,t=1,p=1$BwcHBwcHBwcHBwcHBwcHBw$H+kCztOX0N1GRLjhd1wSD129P6xI4stbBAmF0XOT6zg";
        let h = cheap(1024);
        let stored = PasswordHash::from_phc(STORED);
        assert_eq!(
            h.verify("correct horse", &stored).unwrap(),
            Verification::Match {
                needs_rehash: false
            }
        );
        assert_eq!(h.verify("wrong", &stored).unwrap(), Verification::Mismatch);
        let again = h
            .argon
            .hash_password_with_salt(b"correct horse", &[7u8; 16])
            .unwrap();
        assert_eq!(again.to_string(), STORED);
    }

    #[test]
    fn weaker_hashes_need_rehash() {
        let weak = cheap(1024).hash("pw").unwrap();
        let strong = cheap(2048);
        assert_eq!(
            strong.verify("pw", &weak).unwrap(),
            Verification::Match { needs_rehash: true }
        );
        assert_eq!(
            strong.verify("nope", &weak).unwrap(),
            Verification::Mismatch
        );
    }

    #[test]
    fn defaults_are_the_owasp_minimum_and_dummy_is_valid() {
        assert_eq!(
            Argon2Params::default(),
            Argon2Params {
                memory_kib: 19456,
                iterations: 2,
                parallelism: 1
            }
        );
        let h = cheap(1024);
        assert_eq!(
            h.verify("x", h.dummy_hash()).unwrap(),
            Verification::Mismatch
        );
        assert!(
            Argon2idHasher::new(Argon2Params {
                memory_kib: 1,
                iterations: 0,
                parallelism: 1
            })
            .is_err()
        );
    }
}
