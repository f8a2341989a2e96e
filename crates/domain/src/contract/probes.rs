//! Small async helpers the kit tests share: create-or-panic, find, and listings reduced to
//! usernames so that expectations read as lists of names.

use super::Stores;
use crate::entities::{NewUser, User, UserId};
use crate::listing::{Condition, Filter, FilterExpr, PageRequest, SortOrder, UserField, UserQuery};
use crate::ports::UserLookup;
use crate::secrets::TokenDigest;
use chrono::{DateTime, Utc};

/// Creates a user or panics.
pub(super) async fn create<S: Stores>(store: &S, new: NewUser) -> User {
    let name = new.username.as_str().to_owned();
    match store.create_user(new).await {
        Ok(user) => user,
        Err(e) => panic!("create_user({name}) failed: {e:?}"),
    }
}

/// The user with that id, if any.
pub(super) async fn find<S: Stores>(store: &S, id: UserId) -> Option<User> {
    store
        .find_user(&UserLookup::Id(id))
        .await
        .expect("find_user by id")
}

/// The user with that id, which must exist.
pub(super) async fn get<S: Stores>(store: &S, id: UserId) -> User {
    find(store, id)
        .await
        .unwrap_or_else(|| panic!("user {id} should exist"))
}

/// One filter.
pub(super) fn filter(field: UserField, condition: Condition) -> Filter {
    Filter { field, condition }
}

/// Runs a query and returns the usernames of the page and the total.
pub(super) async fn listed<S: Stores>(store: &S, query: &UserQuery) -> (Vec<String>, u64) {
    let listed = store.list_users(query).await.expect("list_users");
    let names = listed
        .items
        .iter()
        .map(|u| u.username.as_str().to_owned())
        .collect();
    (names, listed.total)
}

/// The usernames matching every filter, in id order (one page of 1000), checking that the
/// total equals the number of items.
pub(super) async fn matching<S: Stores>(store: &S, filters: Vec<Filter>) -> Vec<String> {
    let query = UserQuery {
        filter: FilterExpr::all_of(filters.clone()),
        sort: SortOrder::default(),
        page: PageRequest::new(PageRequest::MAX_LIMIT, 0),
    };
    let (names, total) = listed(store, &query).await;
    assert_eq!(
        total,
        names.len() as u64,
        "total for {filters:?} must count every match"
    );
    names
}

/// Asserts that one condition on one field matches exactly `expected` (usernames, id order).
pub(super) async fn assert_matches<S: Stores>(
    store: &S,
    field: UserField,
    condition: Condition,
    expected: &[&str],
) {
    let got = matching(store, vec![filter(field, condition.clone())]).await;
    assert_eq!(got, expected, "filter {field} {condition:?}");
}

/// The usernames of every user in the order of `sort` (one page of 1000).
pub(super) async fn sorted<S: Stores>(store: &S, sort: SortOrder) -> Vec<String> {
    let query = UserQuery {
        filter: FilterExpr::always(),
        sort: sort.clone(),
        page: PageRequest::new(PageRequest::MAX_LIMIT, 0),
    };
    listed(store, &query).await.0
}

/// The usernames of the admins active at `now`, in id order.
pub(super) async fn active_admins<S: Stores>(store: &S, now: DateTime<Utc>) -> Vec<String> {
    admins_where(store, |u| u.is_active_admin(now)).await
}

/// The usernames of the lasting admins (enabled, no expiry), in id order.
pub(super) async fn lasting_admins<S: Stores>(store: &S) -> Vec<String> {
    admins_where(store, User::is_lasting_admin).await
}

async fn admins_where<S: Stores>(store: &S, keep: impl Fn(&User) -> bool) -> Vec<String> {
    let query = UserQuery {
        page: PageRequest::new(PageRequest::MAX_LIMIT, 0),
        ..UserQuery::default()
    };
    let listed = store.list_users(&query).await.expect("list_users");
    listed
        .items
        .iter()
        .filter(|u| keep(u))
        .map(|u| u.username.as_str().to_owned())
        .collect()
}

/// True when a session with the digest of `token` exists.
pub(super) async fn has_session<S: Stores>(store: &S, token: &str) -> bool {
    store
        .find_session(&TokenDigest::of(token))
        .await
        .expect("find_session")
        .is_some()
}
