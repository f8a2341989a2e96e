//! Rollcall's storage adapter: the domain's storage ports (`UserStore`, `SessionStore`,
//! `ApiKeyStore`, `ConfigurationStore`) on diesel + diesel-async, for PostgreSQL and SQLite
//! from one binary. The database URL's scheme chooses the backend.
//!
//! ```no_run
//! # async fn start() -> Result<(), rollcall_storage_diesel::StorageError> {
//! use rollcall_storage_diesel::{PoolOptions, connect, run_migrations};
//! let url = "sqlite://data/rollcall.db";
//! run_migrations(url).await?;
//! let store = connect(url, PoolOptions::default()).await?;
//! store.ping().await.ok();
//! # Ok(()) }
//! ```
//!
//! Modules:
//! - [`database_url`]: which backend a URL names.
//! - `store`: the pool, [`connect`], [`DieselStore`], readiness and migrations.
//! - `schema`, `timestamp`, `rows`: the tables, the timestamp type and the row structs.
//! - `hot_reads`, `pipelined`: the reads of every authenticated request, inline on SQLite and
//!   pipelined over a connection per thread on PostgreSQL.
//! - `listing`: user filters, sort keys and paging compiled to SQL.
//! - `users`, `sessions`, `api_keys`, `configurations`: the port implementations.
//! - `error`: [`StorageError`] and the mapping of database errors onto the ports' errors.
//!
//! See `docs/storage.md` for the schema and the decisions behind it.

mod api_keys;
mod audit;
mod batch;
mod configurations;
pub mod database_url;
mod dialect;
mod error;
mod hot_reads;
mod listing;
mod login_failures;
pub mod migrations;
mod pipelined;
mod rows;
mod schema;
mod sessions;
mod store;
mod timestamp;
mod users;

pub use database_url::DatabaseUrl;
pub use error::StorageError;
pub use store::{
    DieselStore, PoolOptions, PoolStatus, SQLITE_BUSY_TIMEOUT_MS, connect, run_migrations,
};
