//! Integration tests of the diesel storage adapter, in one test binary: the shared port
//! contract kit on SQLite and PostgreSQL, concurrency acceptance tests, migrations, and
//! set-up (URLs, pool, pragmas, availability).
//!
//! PostgreSQL tests run when `TEST_DATABASE_URL` names a server (each test in a fresh
//! database that it drops afterwards); without it they print a skip note and pass.

// Test code: a failed expectation panics with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod coherence;
mod concurrency;
mod contract_postgres;
mod contract_sqlite;
mod migrations;
mod setup;
mod support;
