//! The storage port contract kit on SQLite: every kit test on a fresh temporary file.

use crate::support::fresh_sqlite;

rollcall_domain::storage_contract_tests!(
    tokio::test(flavor = "multi_thread", worker_threads = 4),
    fresh_sqlite
);
