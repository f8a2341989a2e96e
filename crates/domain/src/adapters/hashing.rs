//! Password hashing: the synchronous [`HashAlgorithm`] trait, and [`InlineHasher`], which runs
//! an algorithm on the calling thread (for tests and tools; servers wrap algorithms in a worker
//! pool instead). The Argon2id algorithm lives in the `rollcall-system` crate.

use crate::ports::{HashError, PasswordHasher, Verification};
use crate::secrets::PasswordHash;
use async_trait::async_trait;

/// A CPU-bound password hashing algorithm, called from wherever the adapter decides.
pub trait HashAlgorithm: Send + Sync + 'static {
    /// Hashes with the configured parameters.
    ///
    /// # Errors
    /// [`HashError`] on bad parameters.
    fn hash(&self, password: &str) -> Result<PasswordHash, HashError>;

    /// Verifies; reports whether the stored hash is weaker than configured.
    ///
    /// # Errors
    /// [`HashError`] when the stored hash cannot be read.
    fn verify(&self, password: &str, hash: &PasswordHash) -> Result<Verification, HashError>;

    /// A hash of a random password, for unknown users.
    fn dummy_hash(&self) -> &PasswordHash;
}

/// Runs a [`HashAlgorithm`] inline, on the calling thread.
#[derive(Debug, Clone)]
pub struct InlineHasher<A>(pub A);

#[async_trait]
impl<A: HashAlgorithm> PasswordHasher for InlineHasher<A> {
    async fn hash(&self, password: &str) -> Result<PasswordHash, HashError> {
        self.0.hash(password)
    }
    async fn verify(&self, password: &str, hash: &PasswordHash) -> Result<Verification, HashError> {
        self.0.verify(password, hash)
    }
    fn dummy_hash(&self) -> &PasswordHash {
        self.0.dummy_hash()
    }
}
