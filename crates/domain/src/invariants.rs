//! The directory's invariants, decided once here and applied by every user store inside the
//! transaction that writes the change (api.md sections 1 and 8):
//!
//! - **At every future instant, at least one enabled admin is unexpired.** So at least one
//!   *lasting* admin ([`User::is_lasting_admin`]: enabled, no expiry) must remain: a change
//!   that takes a lasting admin away (a demotion, a disabling, any expiry, even a future one),
//!   or that takes an active admin away at all, needs another lasting admin to remain; the
//!   store locks, counts the others and refuses with `LastAdmin` when there are none. A
//!   change that only keeps an expiring admin expiring (a rename, a later expiry) needs no
//!   count, so a directory whose admins all expire (possible before this rule) can be
//!   repaired by clearing an expiry.
//! - **An inactive user has no session.** An update after which the user is disabled or
//!   expired ends every session of the user, whatever else was asked.
//!
//! A store never decides either rule: it takes the admin lock when
//! [`UserUpdate::may_remove_admin`] says so, reads the row it is about to change, asks
//! [`UserUpdate::plan`] what to do with it, and does exactly that.

use crate::entities::{SessionRevocation, User, UserUpdate};
use crate::listing::truncate_to_micros;
use chrono::{DateTime, Utc};

/// What a store does to apply a [`UserUpdate`] to the row it locked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatePlan {
    /// The row as it is to be written (`updated_at` set to the update's instant).
    pub after: User,
    /// The change takes an admin away (see the module's rule): the store writes it only if
    /// another lasting admin exists, counted under the admin lock.
    pub needs_another_admin: bool,
    /// The sessions the store ends in the same transaction.
    pub end_sessions: SessionRevocation,
}

impl UserUpdate {
    /// True when the update can take an admin away (a demotion, a disabling or a new expiry),
    /// so that the store must serialize it with every other such change before it reads the
    /// row. Promotions and re-enabling only add admins.
    pub fn may_remove_admin(&self) -> bool {
        let c = &self.changes;
        c.is_admin == Some(false)
            || c.enabled == Some(false)
            || matches!(c.expired_at, Some(Some(_)))
    }

    /// What to write, given the row as the store read it inside its transaction.
    pub fn plan(&self, before: &User) -> UpdatePlan {
        let now = self.now;
        let mut after = self.changes.apply_to(before);
        // Judged as stored: every store keeps microseconds.
        after.expired_at = after.expired_at.map(truncate_to_micros);
        after.updated_at = now;
        let needs_another_admin = takes_an_admin_away(before, &after, now);
        let end_sessions = if after.is_active(now) {
            self.revoke_sessions
        } else {
            SessionRevocation::All
        };
        UpdatePlan {
            after,
            needs_another_admin,
            end_sessions,
        }
    }
}

/// True when changing `before` into `after` at `now` takes an admin away: a lasting admin
/// stops being one, or an active admin stops being active.
fn takes_an_admin_away(before: &User, after: &User, now: DateTime<Utc>) -> bool {
    let loses_lasting = before.is_lasting_admin() && !after.is_lasting_admin();
    let loses_active = before.is_active_admin(now) && !after.is_active_admin(now);
    loses_lasting || loses_active
}

/// True when deleting `user` at `now` takes an admin away, so that the store deletes only if
/// another lasting admin exists (counted under the admin lock).
pub fn deletion_needs_another_admin(user: &User, now: DateTime<Utc>) -> bool {
    user.is_lasting_admin() || user.is_active_admin(now)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::entities::{SessionId, UserChanges, test_admin};
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap()
    }

    fn admin() -> User {
        test_admin(now())
    }

    fn update(changes: UserChanges, revoke: SessionRevocation) -> UserUpdate {
        UserUpdate {
            changes,
            revoke_sessions: revoke,
            now: now() + Duration::seconds(1),
        }
    }

    #[test]
    fn only_demotions_disablings_and_expiries_may_remove_an_admin() {
        let may = |changes| update(changes, SessionRevocation::None).may_remove_admin();
        assert!(may(UserChanges {
            is_admin: Some(false),
            ..UserChanges::default()
        }));
        assert!(may(UserChanges {
            enabled: Some(false),
            ..UserChanges::default()
        }));
        assert!(may(UserChanges {
            expired_at: Some(Some(now())),
            ..UserChanges::default()
        }));
        assert!(!may(UserChanges {
            is_admin: Some(true),
            enabled: Some(true),
            expired_at: Some(None),
            ..UserChanges::default()
        }));
    }

    #[test]
    fn taking_an_active_admin_away_needs_another() {
        let u = update(
            UserChanges {
                enabled: Some(false),
                ..UserChanges::default()
            },
            SessionRevocation::None,
        );
        let plan = u.plan(&admin());
        assert!(plan.needs_another_admin);
        assert!(!plan.after.enabled);
        assert_eq!(plan.after.updated_at, u.now);
        // A user who is not an active admin needs nobody else.
        let mut plain = admin();
        plain.is_admin = false;
        assert!(!u.plan(&plain).needs_another_admin);
        // An expiry in the past of the update's instant takes the admin away too.
        let expire = update(
            UserChanges {
                expired_at: Some(Some(now())),
                ..UserChanges::default()
            },
            SessionRevocation::None,
        );
        assert!(expire.plan(&admin()).needs_another_admin);
        assert!(deletion_needs_another_admin(&admin(), now()));
        assert!(!deletion_needs_another_admin(&plain, now()));
    }

    #[test]
    fn any_expiry_of_a_lasting_admin_needs_another_but_a_later_one_of_an_expiring_does_not() {
        let expire_in = |days| {
            update(
                UserChanges {
                    expired_at: Some(Some(now() + Duration::days(days))),
                    ..UserChanges::default()
                },
                SessionRevocation::None,
            )
        };
        assert!(expire_in(365).plan(&admin()).needs_another_admin);
        let mut expiring = admin();
        expiring.expired_at = Some(now() + Duration::days(1));
        assert!(!expire_in(2).plan(&expiring).needs_another_admin);
        let rename = update(UserChanges::default(), SessionRevocation::None);
        assert!(!rename.plan(&expiring).needs_another_admin);
        // Still active, so deleting it takes an admin away.
        assert!(deletion_needs_another_admin(&expiring, now()));
    }

    #[test]
    fn an_inactive_user_loses_every_session() {
        let keep = SessionId(7);
        let disable = update(
            UserChanges {
                enabled: Some(false),
                ..UserChanges::default()
            },
            SessionRevocation::AllExcept(keep),
        );
        assert_eq!(disable.plan(&admin()).end_sessions, SessionRevocation::All);
        let rename = update(UserChanges::default(), SessionRevocation::AllExcept(keep));
        assert_eq!(
            rename.plan(&admin()).end_sessions,
            SessionRevocation::AllExcept(keep)
        );
    }
}
