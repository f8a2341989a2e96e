//! Kit tests of the [`LoginFailureStore`]: failures counted per (login, address) and per
//! address inside a window, cleared per pair, purged by age, and none lost under concurrency.

use super::Stores;
use super::builders::at;
use crate::ports::FailureWindow;
use crate::values::{ClientAddress, LoginKey};
use futures_util::future::join_all;

fn address(ip: &str) -> ClientAddress {
    ClientAddress::from_ip(ip.parse().expect("an IP address"))
}

async fn windows<S: Stores>(
    store: &S,
    login: &LoginKey,
    from: &ClientAddress,
    since: i64,
) -> (FailureWindow, FailureWindow) {
    store
        .recent_failures(login, from, at(since))
        .await
        .expect("recent_failures")
}

/// Failures count for their pair and their address, only after `since` (strictly), with the
/// oldest of each; other logins and addresses are apart.
pub async fn login_failures_are_counted_per_pair_and_per_address_in_a_window<S: Stores>(store: S) {
    let alice = LoginKey::of("alice");
    let bob = LoginKey::of_user(crate::entities::UserId(7));
    let here = address("192.0.2.1");
    let there = address("2001:db8::1");
    for (login, from, t) in [
        (&alice, &here, 100),
        (&alice, &here, 200),
        (&alice, &here, 300),
        (&bob, &here, 250),
        (&alice, &there, 150),
    ] {
        store
            .record_failure(login, from, at(t))
            .await
            .expect("record_failure");
    }
    let (pair, from_here) = windows(&store, &alice, &here, 0).await;
    assert_eq!(
        pair,
        FailureWindow {
            count: 3,
            oldest: Some(at(100))
        }
    );
    assert_eq!(
        from_here,
        FailureWindow {
            count: 4,
            oldest: Some(at(100))
        }
    );
    let (pair, from_here) = windows(&store, &alice, &here, 100).await;
    assert_eq!(
        (pair.count, pair.oldest),
        (2, Some(at(200))),
        "after, not at"
    );
    assert_eq!(from_here.count, 3);
    let (pair, from_there) = windows(&store, &alice, &there, 0).await;
    assert_eq!((pair.count, from_there.count), (1, 1));
    let nobody = windows(&store, &LoginKey::of("carol"), &address("198.51.100.9"), 0).await;
    assert_eq!(nobody, (FailureWindow::default(), FailureWindow::default()));
}

/// A success clears its pair only; purging deletes failures at or before the instant.
pub async fn login_failures_are_cleared_per_pair_and_purged_by_age<S: Stores>(store: S) {
    let alice = LoginKey::of("alice");
    let bob = LoginKey::of("bob");
    let here = address("192.0.2.1");
    let there = address("192.0.2.2");
    for (login, from, t) in [
        (&alice, &here, 100),
        (&bob, &here, 200),
        (&alice, &there, 300),
    ] {
        store
            .record_failure(login, from, at(t))
            .await
            .expect("record");
    }
    store.clear_failures(&alice, &here).await.expect("clear");
    let (pair, from_here) = windows(&store, &alice, &here, 0).await;
    assert_eq!((pair.count, from_here.count), (0, 1), "bob's failure stays");
    assert_eq!(windows(&store, &alice, &there, 0).await.0.count, 1);
    assert_eq!(store.purge_failures(at(200)).await.expect("purge"), 1);
    assert_eq!(windows(&store, &bob, &here, 0).await.0.count, 0);
    assert_eq!(windows(&store, &alice, &there, 0).await.0.count, 1);
}

/// Twenty concurrent failures of one pair are all counted.
pub async fn concurrent_login_failures_are_all_counted<S: Stores>(store: S) {
    let login = LoginKey::of("target");
    let from = address("203.0.113.5");
    let writes = (0..20).map(|n| store.record_failure(&login, &from, at(1_000 + n)));
    for result in join_all(writes).await {
        result.expect("record_failure");
    }
    let (pair, from_address) = windows(&store, &login, &from, 0).await;
    assert_eq!((pair.count, from_address.count), (20, 20));
    assert_eq!(pair.oldest, Some(at(1_000)));
}
