//! The storage port contract kit (feature `testing`): one set of tests, written once, that
//! every adapter of [`UserStore`], [`SessionStore`], [`ApiKeyStore`] and [`ConfigurationStore`]
//! runs against itself, with the audit trail's [`AuditLog`] (the in-memory store, and the diesel adapter on SQLite and PostgreSQL).
//!
//! # Using it
//!
//! Each test is a public `async fn name<S: Stores>(store: S)` that panics on failure and
//! expects a **fresh, empty** store. A backend provides a fixture (any `async fn` returning a
//! [`Fixture`]) and lets [`storage_contract_tests!`](crate::storage_contract_tests) generate
//! one test per kit function, so no test can be forgotten:
//!
//! ```ignore
//! // tokio-based backend (teardown runs even when the test panics):
//! rollcall_domain::storage_contract_tests!(
//!     tokio::test(flavor = "multi_thread", worker_threads = 4),
//!     fresh_sqlite
//! );
//! // runtime-free: plain `#[test]` functions driving each test with the given executor:
//! rollcall_domain::storage_contract_tests!(block_on = futures_executor::block_on, fresh_store);
//! ```
//!
//! [`TEST_NAMES`] lists every kit test, from the same list the macro expands.
//!
//! # The semantics every backend must share
//!
//! These are the decisions the kit checks, written down so that SQL adapters can match them:
//!
//! - **Ids** are assigned from counters that never go back: a deleted row's id is never given
//!   out again, not even the highest one (SQLite needs `AUTOINCREMENT`).
//! - **Uniqueness**: username and e-mail are unique case-insensitively (compare
//!   [`Username::folded`](crate::values::Username::folded), ASCII lower case, and
//!   [`Email::folded`](crate::values::Email::folded), ASCII lower case too: SQL `lower()` folds ASCII only on both backends); the external id is
//!   unique exactly. Many users may have no e-mail or no external id. Configuration keys are
//!   unique per user, exactly (case-sensitively). API-key identifiers are unique across users.
//! - **Timestamps** keep microseconds; the kit builds only microsecond-precise instants.
//! - **Filters**: a NULL field matches no comparison, negated ones included (`Ne`, `NotIn`,
//!   `NotLike`); only `IsNull` matches it and `IsNotNull` matches every non-null value. Filter
//!   expressions are two-valued over that: `Not` keeps exactly the users its operand does not
//!   keep, nulls included, and `All`/`Any` are intersection and union. `Eq`/`Ne`/`Gt`/`Ge`/`Lt`/`Le`/`In`/`NotIn` on text compare **bytes**
//!   (`COLLATE "C"` on PostgreSQL, SQLite's default `BINARY`), so `Eq` is case-sensitive and
//!   `"Bob" < "alice"`. `Like`/`NotLike` are case-insensitive (ASCII letters only, as SQL `lower()`
//!   does) with `%`, `_` and the escape `\` (`ESCAPE '\'`), exactly as
//!   [`like_matches`](crate::listing::like_matches). The UUID is text in its lower-case
//!   hyphenated form for `Like` and ordering. Booleans order `false` before `true`.
//! - **Sorting** follows [`SortOrder::keys_with_tiebreak`](crate::listing::SortOrder::keys_with_tiebreak)
//!   (ties by id ascending). **NULLs sort first in ascending order and last in descending
//!   order** (`ASC NULLS FIRST`, `DESC NULLS LAST`: SQLite's default; PostgreSQL must say so
//!   explicitly since its default is the opposite).
//! - **Paging**: `offset`/`limit` apply after sorting; `total` counts every match, ignoring the
//!   page; an offset past the end gives no items and the same total.
//! - **Users**: `update_user` sets `updated_at` to `update.now`; it ends the sessions named by
//!   `revoke_sessions` and, when the user is not active at `now` afterwards (disabled or
//!   expired, `expired_at <= now`), every session of the user, while API keys stay. The
//!   last-admin rule ([`User::is_active_admin`](crate::entities::User::is_active_admin) at
//!   `now`) refuses with `LastAdmin` and writes nothing, also under concurrency.
//!   `delete_user` cascades to sessions, API keys and configurations. A failed write changes
//!   nothing, not even the sessions it would have ended.
//! - **API keys**: `touch_api_key` sets `last_used_at` only (not `updated_at`); a key of
//!   another user is `NotFound` for every owner-scoped method.
//! - **Concurrency**: the race tests drive concurrent calls on one store with
//!   `futures_util::future::join`/`join_all` inside one task (the kit cannot spawn without a
//!   runtime), so a backend's fixture needs a pool of at least two connections for them to
//!   overlap. Exactly one of two concurrent removals of the last two admins must succeed and
//!   the other must fail with `LastAdmin` (not a backend error: retry serialization failures
//!   inside the adapter); exactly one of 50 concurrent creates of one username succeeds.

// The kit is test code compiled into the library so that other crates can run it: panicking
// with a message is how it reports a failed expectation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_keys;
mod audit;
pub mod builders;
mod configurations;
mod import;
mod invariants;
mod limits;
mod listing;
mod login_failures;
mod lookups;
mod probes;
mod sessions;
mod users;

pub use api_keys::*;
pub use audit::*;
pub use configurations::*;
pub use import::*;
pub use invariants::*;
pub use limits::*;
pub use listing::*;
pub use login_failures::*;
pub use lookups::*;
pub use sessions::*;
pub use users::*;

use crate::ports::{
    ApiKeyStore, AuditLog, ConfigurationStore, LoginFailureStore, SessionStore, UserStore,
};
use futures_util::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;

/// Everything a storage adapter implements; what every kit test takes.
pub trait Stores:
    UserStore
    + SessionStore
    + ApiKeyStore
    + ConfigurationStore
    + LoginFailureStore
    + AuditLog
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<T> Stores for T where
    T: UserStore
        + SessionStore
        + ApiKeyStore
        + ConfigurationStore
        + LoginFailureStore
        + AuditLog
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// A fresh store for one test, and whatever must be cleaned up after it (a temporary file, a
/// database to drop).
#[async_trait::async_trait]
pub trait Fixture: Send + Sized + 'static {
    /// The store under test.
    type Store: Stores;

    /// A handle to the (fresh, empty) store.
    fn store(&self) -> Self::Store;

    /// Releases the fixture's resources; runs after the test, whether it passed or panicked.
    async fn teardown(self);
}

/// The in-memory store is its own fixture: a new one is empty and needs no cleanup.
#[async_trait::async_trait]
impl Fixture for crate::adapters::memory::MemoryStore {
    type Store = Self;

    fn store(&self) -> Self {
        self.clone()
    }

    async fn teardown(self) {}
}

/// Runs one kit test on a fixture's store, then tears the fixture down even when the test
/// panicked, and re-raises the panic. [`storage_contract_tests!`](crate::storage_contract_tests)
/// calls it for every test.
pub async fn run_contract_test<F, T, Fut>(fixture: F, test: T)
where
    F: Fixture,
    T: FnOnce(F::Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let outcome = AssertUnwindSafe(test(fixture.store())).catch_unwind().await;
    fixture.teardown().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// The name of every kit test, in the order the macro generates them.
pub const TEST_NAMES: &[&str] = crate::storage_contract_tests!(@list (@names));

/// Generates one test function per kit test (see [`TEST_NAMES`]) for a storage backend.
///
/// Two forms:
///
/// - `storage_contract_tests!(<test attribute>, <fixture fn>)` generates
///   `#[<test attribute>] async fn <name>()`, e.g. with
///   `tokio::test(flavor = "multi_thread", worker_threads = 4)`;
/// - `storage_contract_tests!(block_on = <executor fn>, <fixture fn>)` generates plain
///   `#[test] fn <name>()` that drive the test with `<executor fn>(future)`, e.g.
///   `futures_executor::block_on`, for crates without an async runtime.
///
/// The fixture fn is an `async fn() -> impl Fixture` returning a fresh, empty store. The
/// generated functions are named after the kit functions, so invoke the macro inside a module
/// of its own if that could clash.
#[macro_export]
macro_rules! storage_contract_tests {
    // The single list of kit tests; `$($prefix)*` selects what to generate from it.
    (@list ($($prefix:tt)*)) => {
        $crate::storage_contract_tests! { $($prefix)*
            create_user_and_find_by_every_lookup,
            user_ids_increase_and_are_never_reused,
            create_user_enforces_unique_fields,
            create_users_inserts_all_or_nothing,
            list_users_after_walks_in_id_order,
            nullable_unique_fields_allow_many_nulls,
            update_user_enforces_unique_fields_against_other_users,
            update_user_changes_fields_and_sets_updated_at,
            missing_users_are_not_found,
            replacing_a_password_hash_is_compare_and_set,
            filters_on_integer_fields,
            filters_on_username,
            filters_on_email,
            filters_on_external_id_and_source_type,
            like_filters_are_case_insensitive_and_escape_wildcards,
            pattern_search_matches_plain_like,
            filters_on_boolean_fields,
            filters_on_timestamp_fields,
            filters_combine_with_and,
            filter_expressions_are_the_set_algebra_of_their_filters,
            sorts_on_fields_in_both_directions_with_ties_by_id,
            sorts_nulls_first_ascending_and_last_descending,
            pages_with_offset_limit_and_total,
            deep_pages_agree_with_shallow_ones,
            queries_at_every_bound_are_served,
            sessions_are_created_found_and_deleted,
            expired_sessions_are_deleted_at_or_before_now,
            user_sessions_are_revoked_with_and_without_keep,
            update_user_revokes_sessions_as_requested,
            disabling_or_expiring_a_user_deletes_sessions_but_keeps_keys,
            api_keys_are_created_found_and_scoped_to_owner,
            api_keys_are_updated_touched_and_deleted,
            api_keys_list_in_id_order_with_paging,
            configurations_are_created_and_found_by_id_and_key,
            configurations_are_updated_and_renamed,
            configurations_are_deleted_and_listed_in_id_order,
            deleting_a_user_cascades_to_sessions_keys_and_configurations,
            last_admin_cannot_be_demoted_disabled_or_expired,
            a_directory_without_a_lasting_admin_can_be_repaired,
            last_admin_cannot_be_deleted,
            concurrent_demotions_keep_one_admin,
            concurrent_removals_keep_one_admin,
            concurrent_creates_of_one_username_give_one_success,
            concurrent_creates_of_one_email_give_one_success,
            login_failures_are_counted_per_pair_and_per_address_in_a_window,
            login_failures_are_cleared_per_pair_and_purged_by_age,
            concurrent_login_failures_are_all_counted,
            audited_writes_store_their_events,
            refused_writes_store_no_event,
            audit_events_filter_page_and_purge,
            imports_apply_all_or_nothing,
            imports_do_not_take_the_last_admin_away_from_a_legacy_directory,
            sessions_past_the_ceiling_end_the_oldest,
            api_keys_past_the_ceiling_are_refused,
            configurations_past_the_ceiling_are_refused,
            concurrent_creates_never_pass_a_ceiling,
            joined_lookups_match_the_separate_ones,
        }
    };
    (@names $($name:ident),* $(,)?) => {
        &[$(stringify!($name)),*]
    };
    (@async [$test_attr:meta] [$fixture:path] $($name:ident),* $(,)?) => {
        $(
            #[$test_attr]
            async fn $name() {
                $crate::contract::run_contract_test($fixture().await, $crate::contract::$name)
                    .await;
            }
        )*
    };
    (@blocking [$block_on:path] [$fixture:path] $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $block_on(async {
                    $crate::contract::run_contract_test($fixture().await, $crate::contract::$name)
                        .await;
                });
            }
        )*
    };
    (block_on = $block_on:path, $fixture:path $(,)?) => {
        $crate::storage_contract_tests!(@list (@blocking [$block_on] [$fixture]));
    };
    ($test_attr:meta, $fixture:path $(,)?) => {
        $crate::storage_contract_tests!(@list (@async [$test_attr] [$fixture]));
    };
}

#[cfg(test)]
mod tests {
    use super::TEST_NAMES;
    use std::collections::HashSet;

    #[test]
    fn test_names_are_unique() {
        let unique: HashSet<_> = TEST_NAMES.iter().collect();
        assert_eq!(unique.len(), TEST_NAMES.len());
    }

    /// Every `pub async fn` of the test modules must be in the macro's list, or backends would
    /// silently skip it.
    #[test]
    fn every_kit_test_is_listed() {
        let sources = [
            include_str!("users.rs"),
            include_str!("listing.rs"),
            include_str!("sessions.rs"),
            include_str!("api_keys.rs"),
            include_str!("configurations.rs"),
            include_str!("invariants.rs"),
            include_str!("login_failures.rs"),
            include_str!("limits.rs"),
            include_str!("lookups.rs"),
            include_str!("audit.rs"),
            include_str!("import.rs"),
        ];
        let defined: Vec<&str> = sources
            .iter()
            .flat_map(|src| src.lines())
            .filter_map(|line| line.strip_prefix("pub async fn "))
            .map(|rest| rest.split(['<', '(']).next().unwrap_or(rest))
            .collect();
        for name in &defined {
            assert!(
                TEST_NAMES.contains(name),
                "{name} is missing from storage_contract_tests!"
            );
        }
        assert_eq!(defined.len(), TEST_NAMES.len());
    }
}
