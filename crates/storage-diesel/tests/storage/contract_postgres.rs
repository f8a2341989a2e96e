//! The storage port contract kit on PostgreSQL: every kit test in a fresh database, or a skip
//! note when `TEST_DATABASE_URL` is not set.

use crate::support::{block_on_postgres, fresh_postgres};

rollcall_domain::storage_contract_tests!(block_on = block_on_postgres, fresh_postgres);
