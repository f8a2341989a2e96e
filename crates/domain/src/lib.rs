//! Rollcall's domain: the user directory's values, entities, rules and ports, with no I/O.
//!
//! - [`values`]: validated value types (username, e-mail, password, scopes, …).
//! - [`audit`]: the audit trail's events and queries.
//! - [`entities`]: users, sessions, API keys, configurations.
//! - [`invariants`]: the last-admin and revocation rules every store applies.
//! - [`listing`]: pages, filters and sort orders, and their parsers.
//! - [`secrets`]: stored forms of secrets and token formats.
//! - [`ports`]: the traits adapters implement.
//! - [`services`]: the use cases that enforce the rules of the contract.
//! - [`adapters`]: in-memory and system adapters of the ports (some behind features).
//! - `contract` (feature `testing`): the storage port contract kit.

pub mod adapters;
pub mod audit;
#[cfg(feature = "testing")]
pub mod contract;
pub mod entities;
pub mod invariants;
pub mod listing;
pub mod ports;
pub mod secrets;
pub mod services;
pub mod values;
