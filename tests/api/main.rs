//! Black-box tests of the whole server: each test starts the real application on port 0
//! over a fresh database and speaks HTTP to it (see `helpers`). Every test that touches the
//! database runs on SQLite and, when `TEST_DATABASE_URL` is set, also on PostgreSQL.

// A test binary: a panic is how a test fails. (The workspace's clippy.toml allows these
// inside `#[test]` functions only; the helpers and `async fn` test bodies need it too.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_keys;
mod application;
mod audit;
mod authorization;
mod bad_input;
mod cli;
mod configurations;
mod families;
mod flows;
mod hardening;
mod health;
mod helpers;
mod instances;
mod limits;
mod metrics;
mod openapi;
mod scim;
mod sessions;
mod slow_bodies;
mod startup;
mod systems;
mod throttle;
mod token;
mod users;
mod v1;
