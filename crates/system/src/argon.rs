//! [`Argon2idHasher`]: Argon2id with configured cost parameters, producing PHC strings. It is
//! a synchronous [`HashAlgorithm`]; servers run it through [`crate::BlockingHasher`].

use crate::OsRandom;
use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rollcall_domain::adapters::HashAlgorithm;
use rollcall_domain::ports::{HashError, RandomSource, Verification};
use rollcall_domain::secrets::PasswordHash;
use std::sync::Mutex;

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

/// Argon2's working memory (19 MiB at the defaults), kept between checks instead of being
/// allocated for each one: freed blocks of that size stay in malloc's arenas anyway, one set
/// per thread that ever hashed, so allocating afresh grew the resident set with every
/// hashing thread and arena. A check takes a buffer, fills it and gives it back; the pool
/// holds at most as many buffers as checks ever ran at once (the hashing threads, plus the
/// start-up thread that computes the dummy hash). Hashes stored with other memory
/// parameters (older settings, imports) get a buffer of their own, freed afterwards.
struct WorkingMemory {
    blocks: usize,
    free: Mutex<Vec<Vec<Block>>>,
}

impl WorkingMemory {
    fn new(blocks: usize) -> Self {
        Self {
            blocks,
            free: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` over `needed` blocks: a pooled buffer when `needed` is the configured size.
    fn with<R>(&self, needed: usize, f: impl FnOnce(&mut [Block]) -> R) -> R {
        if needed != self.blocks {
            return f(&mut vec![Block::new(); needed]);
        }
        let pooled = self.free.lock().ok().and_then(|mut free| free.pop());
        let mut buffer = pooled.unwrap_or_else(|| vec![Block::new(); needed]);
        let result = f(&mut buffer);
        if let Ok(mut free) = self.free.lock() {
            free.push(buffer);
        }
        result
    }

    /// How many buffers the pool holds (for tests).
    #[cfg(test)]
    fn pooled(&self) -> usize {
        self.free.lock().map(|free| free.len()).unwrap_or_default()
    }
}

/// Argon2id with configured parameters, producing PHC strings.
pub struct Argon2idHasher {
    argon: Argon2<'static>,
    params: Argon2Params,
    memory: WorkingMemory,
    dummy: PasswordHash,
}

/// Runs `argon` over `password` and `salt` into `out`, in memory from `memory`.
fn compute(
    argon: &Argon2<'_>,
    memory: &WorkingMemory,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), HashError> {
    memory
        .with(argon.params().block_count(), |blocks| {
            argon.hash_password_into_with_memory(password, salt, out, blocks)
        })
        .map_err(|e| HashError::Failed(e.to_string()))
}

fn phc_error(e: impl std::fmt::Display) -> HashError {
    HashError::Failed(format!(
        "stored hash is not a usable Argon2 PHC string: {e}"
    ))
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
        let memory = WorkingMemory::new(p.block_count());
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, p);
        let mut hasher = Self {
            argon,
            params,
            memory,
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

    /// [`HashAlgorithm::hash`] with a given salt: the PHC string `argon2` itself writes
    /// (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`, unpadded Base64), computed in pooled memory.
    fn hash_with_salt(&self, password: &str, salt: &[u8; 16]) -> Result<PasswordHash, HashError> {
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        compute(
            &self.argon,
            &self.memory,
            password.as_bytes(),
            salt,
            &mut out,
        )?;
        let failed = |e: argon2::password_hash::phc::Error| HashError::Failed(e.to_string());
        let phc = argon2::PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(self.argon.params())
                .map_err(|e| HashError::Failed(format!("Argon2 parameters as PHC: {e}")))?,
            salt: Some(Salt::new(salt).map_err(failed)?),
            hash: Some(Output::new(&out).map_err(failed)?),
        };
        Ok(PasswordHash::from_phc(phc.to_string()))
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
        self.hash_with_salt(password, &salt)
    }

    /// Verifies with the algorithm, version and parameters stored in the hash itself, as
    /// `argon2`'s own `verify_password` does, comparing in constant time.
    fn verify(&self, password: &str, hash: &PasswordHash) -> Result<Verification, HashError> {
        if hash.is_bcrypt() {
            // An imported hash: checked with bcrypt (which reads `$2y$` as `$2b$`, as PHP's
            // does), and always upgraded to Argon2id once it matches.
            return match bcrypt::verify(password, hash.as_phc()) {
                Ok(true) => Ok(Verification::Match { needs_rehash: true }),
                Ok(false) => Ok(Verification::Mismatch),
                Err(e) => Err(phc_error(e)),
            };
        }
        let parsed = argon2::PasswordHash::new(hash.as_phc()).map_err(phc_error)?;
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return Ok(Verification::Mismatch);
        };
        let algorithm = Algorithm::try_from(parsed.algorithm.as_str()).map_err(phc_error)?;
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()
            .map_err(phc_error)?
            .unwrap_or_default();
        let params = Params::try_from(&parsed).map_err(phc_error)?;
        let argon = Argon2::new(algorithm, version, params);
        let mut buffer = [0u8; Output::MAX_LENGTH];
        let out = buffer
            .get_mut(..expected.len())
            .ok_or_else(|| phc_error("hash too long"))?;
        compute(&argon, &self.memory, password.as_bytes(), salt, out)?;
        // `Output`'s equality is constant-time.
        if Output::new(out).map_err(phc_error)? == *expected {
            Ok(Verification::Match {
                needs_rehash: self.is_weaker(&parsed),
            })
        } else {
            Ok(Verification::Mismatch)
        }
    }

    fn dummy_hash(&self) -> &PasswordHash {
        &self.dummy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imported_bcrypt_hashes_verify_and_ask_for_a_rehash() {
        let hasher = cheap(64);
        let b = bcrypt::hash("laravel password", 4).unwrap();
        for form in [
            b.clone(),
            b.replacen("$2b$", "$2y$", 1),
            b.replacen("$2b$", "$2a$", 1),
        ] {
            let stored = PasswordHash::imported(&form).unwrap();
            assert_eq!(
                hasher.verify("laravel password", &stored),
                Ok(Verification::Match { needs_rehash: true }),
                "{form}"
            );
            assert_eq!(hasher.verify("wrong", &stored), Ok(Verification::Mismatch));
        }
    }

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
        let again = h.hash_with_salt("correct horse", &[7u8; 16]).unwrap();
        assert_eq!(again.as_phc(), STORED);
    }

    /// Pooled memory changes nothing on the wire: `argon2`'s own verifier accepts what this
    /// hasher writes, and this hasher accepts what `argon2` writes with other parameters.
    #[test]
    fn hashes_agree_with_the_argon2_crate_both_ways() {
        use argon2::{PasswordHasher as _, PasswordVerifier as _};
        let h = cheap(1024);
        let ours = h.hash("correct horse").unwrap();
        let parsed = argon2::PasswordHash::new(ours.as_phc()).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"wrong", &parsed)
                .is_err()
        );
        for (algorithm, m, t, p) in [
            (Algorithm::Argon2id, 2048, 3, 2),
            (Algorithm::Argon2i, 1024, 2, 1),
            (Algorithm::Argon2d, 1024, 1, 1),
        ] {
            let theirs = Argon2::new(
                algorithm,
                Version::V0x13,
                Params::new(m, t, p, None).unwrap(),
            )
            .hash_password_with_salt(b"correct horse", &[9u8; 16])
            .unwrap()
            .to_string();
            let theirs = PasswordHash::from_phc(theirs);
            assert!(matches!(
                h.verify("correct horse", &theirs).unwrap(),
                Verification::Match { .. }
            ));
            assert_eq!(h.verify("wrong", &theirs).unwrap(), Verification::Mismatch);
        }
    }

    /// Checks one after another reuse one buffer; a hash with other memory parameters uses a
    /// buffer of its own that is not kept.
    #[test]
    fn working_memory_is_reused() {
        let h = cheap(1024);
        assert_eq!(h.memory.pooled(), 1, "the dummy hash's buffer is kept");
        let phc = h.hash("pw").unwrap();
        for _ in 0..5 {
            h.verify("pw", &phc).unwrap();
            h.verify("nope", &phc).unwrap();
        }
        assert_eq!(h.memory.pooled(), 1);
        let other = cheap(2048).hash("pw").unwrap();
        assert!(matches!(
            h.verify("pw", &other).unwrap(),
            Verification::Match { .. }
        ));
        assert_eq!(h.memory.pooled(), 1, "a foreign size is not pooled");
        std::thread::scope(|scope| {
            for _ in 0..3 {
                scope.spawn(|| {
                    for _ in 0..3 {
                        h.verify("pw", &phc).unwrap();
                    }
                });
            }
        });
        assert!(
            (1..=3).contains(&h.memory.pooled()),
            "one buffer per concurrent check at most"
        );
    }

    #[test]
    fn a_hash_without_salt_or_output_never_matches() {
        let h = cheap(1024);
        let bare = PasswordHash::from_phc("$argon2id$v=19$m=1024,t=1,p=1");
        assert_eq!(h.verify("", &bare).unwrap(), Verification::Mismatch);
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
