//! Rollcall's production adapters of the domain's ports that need the operating system or a
//! runtime. The domain crate stays pure (no I/O, no OS random source, no Argon2): other teams
//! reuse it with their own adapters, and this crate is the one home of ours.
//!
//! - `argon`: [`Argon2idHasher`] and its [`Argon2Params`], the password hashing algorithm.
//! - `hashing`: [`BlockingHasher`], which runs a hashing algorithm on dedicated threads.
//! - `credential_cache`: [`MokaCredentialCache`], remembered Basic verifications.
//! - `system`: [`SystemClock`] and [`OsRandom`], the system's clock and random numbers.
//! - `os_accounts`: [`FileOsAccounts`] over `/etc/passwd` and `/etc/group`, and the parsers of
//!   those formats ([`parse_passwd_file`], [`parse_group_file`]).

mod argon;
mod credential_cache;
mod hashing;
mod os_accounts;
mod system;

pub use argon::{Argon2Params, Argon2idHasher};
pub use credential_cache::MokaCredentialCache;
pub use hashing::{
    BlockingHasher, ClientAlive, HashQueueStats, QueueBounds, WaitObserver, for_client,
};
pub use os_accounts::{FileOsAccounts, parse_group_file, parse_passwd_file};
pub use system::{OsRandom, SystemClock};
