//! In-process tests of the HTTP adapter: the whole application (`build_app`) over a directory
//! on the in-memory adapters, one test binary with a module per area.

// Test code: a failed unwrap is a failed test (clippy only exempts `#[test]` functions, not the
// shared helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_keys;
mod application;
mod bad_input;
mod configurations;
mod helpers;
mod list_caps;
mod ops;
mod requests;
mod sessions;
mod use_cases;
mod users;
mod v1;
