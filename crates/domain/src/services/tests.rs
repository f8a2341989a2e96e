//! Unit tests of the use cases, on the in-memory adapters with the fast hasher. Each test
//! names the rule of api.md it guards.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use super::*;
use crate::adapters::HashAlgorithm;
use crate::adapters::memory::MemoryStore;
use crate::adapters::{
    FastHasher, FixedClock, InlineHasher, MemoryCredentialCache, SeededRandom, StaticOsAccounts,
};
use crate::audit::{Family, Origin};
use crate::entities::{OsUser, User, UserId};
use crate::listing::{Condition, Filter, FilterExpr, PageRequest, UserField, UserQuery};
use crate::ports::{ApiKeyStore, UserLookup};
use crate::secrets::PasswordHash;
use crate::values::{Scope, Violation};
use chrono::{Duration, TimeZone, Utc};
use futures_executor::block_on;
use std::sync::Arc;

/// The create rules of the v2 and v1 families (declared again in their modules).
const V2_CREATE: CreateRules = CreateRules::USERNAME_AND_PASSWORD;
/// The create rules of the application family.
const APPLICATION_CREATE: CreateRules = CreateRules {
    require_password: false,
    require_profile: true,
    lowercase_username: true,
};

/// The two steps of each write, as a family handler runs them with a body already read.
impl Directory {
    async fn create_user_as(
        &self,
        who: &Principal,
        input: UserInput,
        rules: CreateRules,
    ) -> Result<User, ServiceError> {
        let permit = self.authorize_create_user(who)?;
        self.create_user(permit, input, rules).await
    }

    async fn update_user_as(
        &self,
        who: &Principal,
        lookup: &UserLookup,
        shown_ref: &str,
        input: UserInput,
        rules: UpdateRules,
    ) -> Result<User, ServiceError> {
        let permit = self.authorize_user_change(who, lookup, shown_ref).await?;
        self.update_user(permit, input, rules).await
    }

    /// With v1's rules: one's own password needs the current one.
    async fn change_password_as(
        &self,
        who: &Principal,
        lookup: &UserLookup,
        shown_ref: &str,
        change: PasswordChange,
    ) -> Result<User, ServiceError> {
        let permit = self.authorize_user_change(who, lookup, shown_ref).await?;
        let rules = PasswordRules {
            require_current_for_self: true,
        };
        self.change_password(permit, change, rules).await
    }
}

struct World {
    dir: Directory,
    store: MemoryStore,
    hasher: Arc<InlineHasher<FastHasher>>,
    clock: Arc<FixedClock>,
    admin: Principal,
}

fn world() -> World {
    world_with_cost(1)
}

fn world_with_cost(cost: u32) -> World {
    let store = MemoryStore::new();
    let hasher = Arc::new(InlineHasher(FastHasher::with_cost(cost)));
    let clock = Arc::new(FixedClock::at(
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap(),
    ));
    let ports = Ports {
        users: Arc::new(store.clone()),
        sessions: Arc::new(store.clone()),
        api_keys: Arc::new(store.clone()),
        configurations: Arc::new(store.clone()),
        hasher: hasher.clone(),
        clock: clock.clone(),
        random: Arc::new(SeededRandom::new(42)),
        credential_cache: Arc::new(MemoryCredentialCache::new()),
        os_accounts: Arc::new(StaticOsAccounts {
            users: vec![OsUser {
                name: "root".into(),
                uid: 0,
                gid: 0,
                info: "root".into(),
            }],
            groups: vec![],
        }),
        login_failures: Arc::new(store.clone()),
        auth_events: Arc::new(crate::ports::NoAuthEvents),
        audit: Arc::new(store.clone()),
    };
    let dir = Directory::new(ports, Settings::default());
    let user = block_on(dir.bootstrap_admin("admin", "admin-password"))
        .unwrap()
        .unwrap();
    World {
        dir,
        store,
        hasher,
        clock,
        admin: Principal {
            user,
            credential: Credential::Password,
            origin: v2(),
        },
    }
}

/// A v2 request with no known address.
fn v2() -> Origin {
    Origin::new(Family::V2, None)
}

fn input(username: &str, password: &str) -> UserInput {
    UserInput {
        username: Some(Some(username.into())),
        password: Some(Some(password.into())),
        ..UserInput::default()
    }
}

impl World {
    /// A second directory over the same store and clock with another hasher (and a cache of
    /// its own), as another instance configured differently would be.
    fn directory_with_hasher(&self, hasher: Arc<dyn crate::ports::PasswordHasher>) -> Directory {
        let ports = Ports {
            users: Arc::new(self.store.clone()),
            sessions: Arc::new(self.store.clone()),
            api_keys: Arc::new(self.store.clone()),
            configurations: Arc::new(self.store.clone()),
            hasher,
            clock: self.clock.clone(),
            random: Arc::new(SeededRandom::new(7)),
            credential_cache: Arc::new(MemoryCredentialCache::new()),
            os_accounts: Arc::new(StaticOsAccounts::default()),
            login_failures: Arc::new(self.store.clone()),
            auth_events: Arc::new(crate::ports::NoAuthEvents),
            audit: Arc::new(self.store.clone()),
        };
        Directory::new(ports, Settings::default())
    }

    fn create(&self, username: &str) -> User {
        block_on(
            self.dir
                .create_user_as(&self.admin, input(username, "password-1"), V2_CREATE),
        )
        .unwrap()
    }

    fn basic(&self, login: &str, password: &str) -> Result<Principal, ServiceError> {
        block_on(self.dir.authenticate_basic(login, password, v2()))
    }

    fn as_user(&self, username: &str) -> Principal {
        self.basic(username, "password-1").unwrap()
    }

    fn update(
        &self,
        who: &Principal,
        target: &User,
        input: UserInput,
    ) -> Result<User, ServiceError> {
        block_on(self.dir.update_user_as(
            who,
            &UserLookup::Id(target.id),
            &target.id.to_string(),
            input,
            UpdateRules::PARTIAL,
        ))
    }

    fn key(&self, who: &Principal, scopes: &[Scope]) -> Result<CreatedApiKey, ServiceError> {
        block_on(
            self.dir.create_api_key(
                who,
                ApiKeyInput {
                    name: Some(Some("k".into())),
                    scopes: Some(
                        scopes
                            .iter()
                            .map(|s| ScopeInput {
                                controller: s.controller().as_str().into(),
                                action: s.action().as_str().into(),
                            })
                            .collect(),
                    ),
                    ..ApiKeyInput::default()
                },
            ),
        )
    }
}

fn violation_of(e: &ServiceError, field: &str) -> Option<Violation> {
    match e {
        ServiceError::Validation(v) => v
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.violation.clone()),
        _ => None,
    }
}

use secrecy::ExposeSecret;

// ---- section 1: the user record -------------------------------------------------------

#[test]
fn create_applies_defaults() {
    let w = world();
    let u = w.create("alice");
    assert_eq!(u.language.as_str(), "en");
    assert!(u.enabled && !u.is_admin);
    assert_eq!(u.source_type.as_str(), "web_app");
    assert!(u.id.get() > 0);
    assert_eq!(u.uuid.get_version_num(), 4);
    assert!(u.password_hash.is_some());
}

#[test]
fn only_admins_create_users() {
    let w = world();
    w.create("bob");
    let bob = w.as_user("bob");
    let e = block_on(
        w.dir
            .create_user_as(&bob, input("carol", "password-1"), V2_CREATE),
    )
    .unwrap_err();
    assert_eq!(
        e,
        ServiceError::Forbidden(Forbidden::AdminOnly("create users"))
    );
}

#[test]
fn v2_create_requires_a_policy_password() {
    let w = world();
    let mut i = input("dave", "");
    i.password = None;
    let e = block_on(w.dir.create_user_as(&w.admin, i, V2_CREATE)).unwrap_err();
    assert_eq!(violation_of(&e, "password"), Some(Violation::Blank));
    let e = block_on(
        w.dir
            .create_user_as(&w.admin, input("dave", "short"), V2_CREATE),
    )
    .unwrap_err();
    assert_eq!(
        violation_of(&e, "password"),
        Some(Violation::TooShort { min: 8 })
    );
}

#[test]
fn usernames_and_emails_are_unique_case_insensitively() {
    let w = world();
    let mut i = input("Erin", "password-1");
    i.email = Some(Some("Erin@Example.com".into()));
    block_on(w.dir.create_user_as(&w.admin, i, V2_CREATE)).unwrap();
    let e = block_on(
        w.dir
            .create_user_as(&w.admin, input("erin", "password-1"), V2_CREATE),
    )
    .unwrap_err();
    assert_eq!(violation_of(&e, "username"), Some(Violation::Taken));
    let mut i = input("frank", "password-1");
    i.email = Some(Some("erin@example.COM".into()));
    let e = block_on(w.dir.create_user_as(&w.admin, i, V2_CREATE)).unwrap_err();
    assert_eq!(violation_of(&e, "email"), Some(Violation::Taken));
}

#[test]
fn external_ids_are_unique() {
    let w = world();
    let mut i = input("gina", "password-1");
    i.external_id = Some(Some("ext-1".into()));
    block_on(w.dir.create_user_as(&w.admin, i, V2_CREATE)).unwrap();
    let mut i = input("hank", "password-1");
    i.external_id = Some(Some("ext-1".into()));
    let e = block_on(w.dir.create_user_as(&w.admin, i, V2_CREATE)).unwrap_err();
    assert_eq!(violation_of(&e, "external_id"), Some(Violation::Taken));
}

#[test]
fn every_bad_field_is_reported_at_once() {
    let w = world();
    let i = UserInput {
        username: Some(Some("12345".into())),
        email: Some(Some("nope".into())),
        language: Some(Some("e1".into())),
        user_id: Some(Some(-1)),
        group_id: Some(Some(4_294_967_296)),
        source_type: Some("ldap".into()),
        expired_at: Some(Some("tomorrow".into())),
        first_name: Some(Some("a\0".into())),
        password: Some(Some("password-1".into())),
        malformed: vec!["enabled"],
        ..UserInput::default()
    };
    let e = block_on(w.dir.create_user_as(&w.admin, i, V2_CREATE)).unwrap_err();
    for (field, v) in [
        ("username", Violation::Invalid),
        ("email", Violation::Invalid),
        ("language", Violation::Invalid),
        ("user_id", Violation::TooSmall { min: 0 }),
        ("group_id", Violation::TooLarge { max: 4_294_967_295 }),
        ("source_type", Violation::Invalid),
        ("expired_at", Violation::Invalid),
        ("first_name", Violation::Invalid),
        ("enabled", Violation::WrongType),
    ] {
        assert_eq!(violation_of(&e, field), Some(v), "{field}");
    }
}

#[test]
fn a_wrongly_typed_required_field_is_not_also_blank() {
    let w = world();
    let i = UserInput {
        password: Some(None),
        malformed: vec!["username", "password"],
        ..UserInput::default()
    };
    let e = block_on(w.dir.create_user_as(&w.admin, i, V2_CREATE)).unwrap_err();
    let ServiceError::Validation(v) = e else {
        panic!("not a validation error: {e:?}")
    };
    let all: Vec<_> = v.iter().map(|f| (f.field, f.violation.clone())).collect();
    assert_eq!(
        all,
        [
            ("username", Violation::WrongType),
            ("password", Violation::WrongType)
        ]
    );
    let e = block_on(w.dir.create_user_as(
        &w.admin,
        UserInput {
            malformed: vec!["first_name"],
            ..UserInput::default()
        },
        APPLICATION_CREATE,
    ))
    .unwrap_err();
    assert_eq!(violation_of(&e, "first_name"), Some(Violation::WrongType));
    assert_eq!(violation_of(&e, "email"), Some(Violation::Blank));
}

#[test]
fn application_rules_require_profile_and_lowercase_usernames() {
    let w = world();
    let mut i = input("MixedCase", "");
    i.password = None;
    let e = block_on(
        w.dir
            .create_user_as(&w.admin, i.clone(), APPLICATION_CREATE),
    )
    .unwrap_err();
    for field in ["email", "first_name", "last_name"] {
        assert_eq!(violation_of(&e, field), Some(Violation::Blank), "{field}");
    }
    assert_eq!(violation_of(&e, "password"), None, "password is optional");
    i.email = Some(Some("m@example.com".into()));
    i.first_name = Some(Some("M".into()));
    i.last_name = Some(Some("C".into()));
    let u = block_on(w.dir.create_user_as(&w.admin, i, APPLICATION_CREATE)).unwrap();
    assert_eq!(u.username.as_str(), "mixedcase");
    assert!(u.password_hash.is_none());
    assert_eq!(w.basic("mixedcase", ""), Err(ServiceError::Unauthenticated));
}

#[test]
fn update_is_partial_and_null_clears() {
    let w = world();
    let u = w.create("ivan");
    let u = w
        .update(
            &w.admin,
            &u,
            UserInput {
                email: Some(Some("ivan@example.com".into())),
                user_id: Some(Some(1000)),
                ..UserInput::default()
            },
        )
        .unwrap();
    assert_eq!(
        u.email.as_ref().map(|e| e.as_str()),
        Some("ivan@example.com")
    );
    let u = w
        .update(
            &w.admin,
            &u,
            UserInput {
                email: Some(None),
                ..UserInput::default()
            },
        )
        .unwrap();
    assert_eq!(u.email, None);
    assert_eq!(u.posix_uid.map(|p| p.get()), Some(1000), "absent stays");
}

// ---- section 3: authorization -----------------------------------------------------------

#[test]
fn any_user_may_read_and_list() {
    let w = world();
    w.create("judy");
    let judy = w.as_user("judy");
    let listed = block_on(w.dir.list_users(&judy, &UserQuery::default())).unwrap();
    assert_eq!(listed.total, 2);
    let admin = block_on(w.dir.get_user(&judy, &parse_user_ref("admin"), "admin")).unwrap();
    assert!(admin.is_admin);
    let e = block_on(w.dir.get_user(&judy, &parse_user_ref("404"), "404")).unwrap_err();
    assert_eq!(e, ServiceError::NotFound(NotFound::User("404".into())));
}

#[test]
fn non_admins_update_only_themselves_and_only_their_profile() {
    let w = world();
    let kim = w.create("kim");
    let leo = w.create("leo");
    let p = w.as_user("kim");
    let own = UserInput {
        username: Some(Some("kimberly".into())),
        email: Some(Some("kim@example.com".into())),
        first_name: Some(Some("Kim".into())),
        language: Some(Some("fr".into())),
        ..UserInput::default()
    };
    let kim = w.update(&p, &kim, own).unwrap();
    assert_eq!(kim.username.as_str(), "kimberly");
    let e = w.update(&p, &leo, UserInput::default()).unwrap_err();
    assert_eq!(e, ServiceError::Forbidden(Forbidden::UpdateOtherUser));
    let e = w
        .update(
            &p,
            &kim,
            UserInput {
                is_admin: Some(true),
                ..UserInput::default()
            },
        )
        .unwrap_err();
    assert_eq!(e, ServiceError::Forbidden(Forbidden::AdminStatus));
    for (field, i) in [
        (
            "enabled",
            UserInput {
                enabled: Some(false),
                ..UserInput::default()
            },
        ),
        (
            "user_id",
            UserInput {
                user_id: Some(Some(5)),
                ..UserInput::default()
            },
        ),
        (
            "source_type",
            UserInput {
                source_type: Some("cli_ldap".into()),
                ..UserInput::default()
            },
        ),
        (
            "external_id",
            UserInput {
                external_id: Some(Some("x".into())),
                ..UserInput::default()
            },
        ),
        (
            "expired_at",
            UserInput {
                expired_at: Some(Some("2030-01-01T00:00:00Z".into())),
                ..UserInput::default()
            },
        ),
    ] {
        assert_eq!(
            w.update(&p, &kim, i).unwrap_err(),
            ServiceError::Forbidden(Forbidden::AdminOnlyField(field)),
            "{field}"
        );
    }
}

#[test]
fn admin_only_fields_with_current_values_are_accepted() {
    let w = world();
    let mia = w.create("mia");
    let p = w.as_user("mia");
    // Empire clients always send username, enabled and is_admin.
    let u = w
        .update(
            &p,
            &mia,
            UserInput {
                username: Some(Some("mia".into())),
                enabled: Some(true),
                is_admin: Some(false),
                ..UserInput::default()
            },
        )
        .unwrap();
    assert_eq!(
        u.updated_at, mia.updated_at,
        "nothing changed, nothing written"
    );
}

#[test]
fn the_last_enabled_admin_cannot_be_removed() {
    let w = world();
    let admin = w.admin.user.clone();
    for i in [
        UserInput {
            is_admin: Some(false),
            ..UserInput::default()
        },
        UserInput {
            enabled: Some(false),
            ..UserInput::default()
        },
        UserInput {
            expired_at: Some(Some("2020-01-01T00:00:00Z".into())),
            ..UserInput::default()
        },
    ] {
        assert_eq!(
            w.update(&w.admin, &admin, i).unwrap_err(),
            ServiceError::LastAdmin
        );
    }
    let e = block_on(w.dir.delete_user(&w.admin, &UserLookup::Id(admin.id), "1")).unwrap_err();
    assert_eq!(e, ServiceError::LastAdmin);
    // With a second admin, one of them may go.
    let nina = w.create("nina");
    w.update(
        &w.admin,
        &nina,
        UserInput {
            is_admin: Some(true),
            ..UserInput::default()
        },
    )
    .unwrap();
    w.update(
        &w.admin,
        &admin,
        UserInput {
            is_admin: Some(false),
            ..UserInput::default()
        },
    )
    .unwrap();
}

#[test]
fn only_admins_delete_users_themselves_included() {
    let w = world();
    let olga = w.create("olga");
    let p = w.as_user("olga");
    let e = block_on(w.dir.delete_user(&p, &UserLookup::Id(olga.id), "olga")).unwrap_err();
    assert_eq!(
        e,
        ServiceError::Forbidden(Forbidden::AdminOnly("delete users"))
    );
    block_on(
        w.dir
            .delete_user(&w.admin, &UserLookup::Id(olga.id), "olga"),
    )
    .unwrap();
    assert_eq!(
        w.basic("olga", "password-1"),
        Err(ServiceError::Unauthenticated)
    );
}

#[test]
fn os_accounts_are_admin_only() {
    let w = world();
    w.create("pat");
    let p = w.as_user("pat");
    assert!(matches!(
        block_on(w.dir.list_os_users(&p)),
        Err(ServiceError::Forbidden(Forbidden::AdminOnly(_)))
    ));
    assert!(matches!(
        block_on(w.dir.list_os_groups(&p)),
        Err(ServiceError::Forbidden(Forbidden::AdminOnly(_)))
    ));
    assert_eq!(block_on(w.dir.list_os_users(&w.admin)).unwrap().len(), 1);
}

// ---- section 2: authentication ----------------------------------------------------------

#[test]
fn login_by_username_or_email_case_insensitively() {
    let w = world();
    let mut i = input("Quinn", "password-1");
    i.email = Some(Some("Quinn@Example.com".into()));
    block_on(w.dir.create_user_as(&w.admin, i, V2_CREATE)).unwrap();
    assert!(w.basic("quinn", "password-1").is_ok());
    assert!(w.basic("QUINN@example.com", "password-1").is_ok());
}

#[test]
fn unknown_users_and_wrong_passwords_fail_alike_and_cost_a_verification() {
    let w = world();
    w.create("rita");
    let before = w.hasher.0.verifications();
    assert_eq!(
        w.basic("nobody", "password-1"),
        Err(ServiceError::Unauthenticated)
    );
    assert_eq!(
        w.hasher.0.verifications(),
        before + 1,
        "dummy hash verified"
    );
    assert_eq!(
        w.basic("rita", "wrong-password"),
        Err(ServiceError::Unauthenticated)
    );
    assert_eq!(w.hasher.0.verifications(), before + 2);
}

#[test]
fn disabled_and_expired_users_cannot_authenticate_by_any_means() {
    let w = world();
    let sam = w.create("sam");
    let p = w.as_user("sam");
    let key = w.key(&p, &[Scope::USERS_SHOW]).unwrap();
    let (_, session) = block_on(w.dir.sign_in("sam", "password-1", &v2())).unwrap();
    let sam = w
        .update(
            &w.admin,
            &sam,
            UserInput {
                enabled: Some(false),
                ..UserInput::default()
            },
        )
        .unwrap();
    assert_eq!(
        w.basic("sam", "password-1"),
        Err(ServiceError::Unauthenticated)
    );
    let bearer = |t: &str| block_on(w.dir.authenticate_bearer(t, v2()));
    assert_eq!(
        bearer(session.token.expose_secret()),
        Err(ServiceError::Unauthenticated)
    );
    assert_eq!(
        bearer(key.full_key.expose_secret()),
        Err(ServiceError::Unauthenticated)
    );
    // Re-enabled: keys work again, sessions stay gone.
    let sam = w
        .update(
            &w.admin,
            &sam,
            UserInput {
                enabled: Some(true),
                ..UserInput::default()
            },
        )
        .unwrap();
    assert!(bearer(key.full_key.expose_secret()).is_ok());
    assert_eq!(
        bearer(session.token.expose_secret()),
        Err(ServiceError::Unauthenticated)
    );
    // Expired.
    w.update(
        &w.admin,
        &sam,
        UserInput {
            expired_at: Some(Some("2026-01-01T12:00:01Z".into())),
            ..UserInput::default()
        },
    )
    .unwrap();
    assert!(w.basic("sam", "password-1").is_ok());
    w.clock.advance(Duration::seconds(2));
    assert_eq!(
        w.basic("sam", "password-1"),
        Err(ServiceError::Unauthenticated)
    );
    assert_eq!(
        bearer(key.full_key.expose_secret()),
        Err(ServiceError::Unauthenticated)
    );
}

#[test]
fn sessions_expire_and_sign_out_revokes_them() {
    let w = world();
    w.create("tom");
    let (_, s) = block_on(w.dir.sign_in("tom", "password-1", &v2())).unwrap();
    let token = s.token.expose_secret().to_owned();
    assert!(token.starts_with("rcs_"));
    let p = block_on(w.dir.authenticate_bearer(&token, v2())).unwrap();
    assert_eq!(p.session(), Some(s.session.id));
    block_on(w.dir.sign_out(&p)).unwrap();
    assert_eq!(
        block_on(w.dir.authenticate_bearer(&token, v2())),
        Err(ServiceError::Unauthenticated)
    );
    let (_, s) = block_on(w.dir.sign_in("tom", "password-1", &v2())).unwrap();
    w.clock.advance(Duration::hours(24));
    assert_eq!(
        block_on(w.dir.authenticate_bearer(s.token.expose_secret(), v2())),
        Err(ServiceError::Unauthenticated)
    );
    assert_eq!(block_on(w.dir.purge_expired_sessions()).unwrap(), 1);
}

#[test]
fn a_password_change_ends_every_other_session() {
    let w = world();
    let uma = w.create("uma");
    let (_, s1) = block_on(w.dir.sign_in("uma", "password-1", &v2())).unwrap();
    let (_, s2) = block_on(w.dir.sign_in("uma", "password-1", &v2())).unwrap();
    let via_s1 = block_on(w.dir.authenticate_bearer(s1.token.expose_secret(), v2())).unwrap();
    w.update(
        &via_s1,
        &uma,
        UserInput {
            password: Some(Some("password-2".into())),
            ..UserInput::default()
        },
    )
    .unwrap();
    assert!(block_on(w.dir.authenticate_bearer(s1.token.expose_secret(), v2())).is_ok());
    assert_eq!(
        block_on(w.dir.authenticate_bearer(s2.token.expose_secret(), v2())),
        Err(ServiceError::Unauthenticated)
    );
    assert_eq!(
        w.basic("uma", "password-1"),
        Err(ServiceError::Unauthenticated)
    );
    assert!(w.basic("uma", "password-2").is_ok());
}

#[test]
fn v1_password_changes_need_the_current_password_for_oneself() {
    let w = world();
    let vic = w.create("vic");
    let p = w.as_user("vic");
    let change = |who: &Principal, current: Option<&str>| {
        block_on(w.dir.change_password_as(
            who,
            &UserLookup::Id(vic.id),
            "vic",
            PasswordChange {
                password: Some("password-9".into()),
                current_password: current.map(str::to_owned),
            },
        ))
    };
    assert_eq!(
        violation_of(&change(&p, None).unwrap_err(), "current_password"),
        Some(Violation::Blank)
    );
    assert_eq!(
        violation_of(
            &change(&p, Some("wrong-one")).unwrap_err(),
            "current_password"
        ),
        Some(Violation::Invalid)
    );
    change(&p, Some("password-1")).unwrap();
    // An admin changing another user's password does not need it.
    change(&w.admin, None).unwrap();
    let wes = w.create("wes");
    let e = block_on(w.dir.change_password_as(
        &w.as_user("wes"),
        &UserLookup::Id(vic.id),
        "vic",
        PasswordChange {
            password: Some("password-9".into()),
            current_password: None,
        },
    ))
    .unwrap_err();
    assert_eq!(e, ServiceError::Forbidden(Forbidden::UpdateOtherUser));
    let _ = wes;
}

#[test]
fn weaker_hashes_are_rehashed_on_login() {
    let w = world();
    let xena = w.create("xena");
    let old = xena.password_hash.clone().unwrap();
    // Same store, stronger hasher.
    let stronger = world_with_cost(5);
    let dir = w.directory_with_hasher(stronger.hasher.clone());
    block_on(dir.authenticate_basic("xena", "password-1", v2())).unwrap();
    let now = block_on(w.dir.get_user(&w.admin, &UserLookup::Id(xena.id), "x")).unwrap();
    let new = now.password_hash.unwrap();
    assert_ne!(new, old);
    assert!(new.as_phc().starts_with("$test$c=5$"));
    assert!(block_on(dir.authenticate_basic("xena", "password-1", v2())).is_ok());
}

/// A hasher that, while it computes a new hash, lets an admin change `victim`'s password:
/// the window in which a rehash races a password change.
struct PasswordChangedWhileHashing {
    inner: InlineHasher<FastHasher>,
    store: MemoryStore,
    victim: UserId,
    changed_to: PasswordHash,
}

#[async_trait::async_trait]
impl crate::ports::PasswordHasher for PasswordChangedWhileHashing {
    async fn hash(&self, password: &str) -> Result<PasswordHash, crate::ports::HashError> {
        let update = crate::entities::UserUpdate {
            changes: crate::entities::UserChanges {
                password_hash: Some(self.changed_to.clone()),
                ..crate::entities::UserChanges::default()
            },
            revoke_sessions: crate::entities::SessionRevocation::None,
            now: Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 1).unwrap(),
        };
        self.store.update_user(self.victim, update).await.unwrap();
        self.inner.hash(password).await
    }
    async fn verify(
        &self,
        password: &str,
        hash: &PasswordHash,
    ) -> Result<crate::ports::Verification, crate::ports::HashError> {
        self.inner.verify(password, hash).await
    }
    fn dummy_hash(&self) -> &PasswordHash {
        self.inner.dummy_hash()
    }
}

#[test]
fn a_rehash_never_overwrites_a_password_changed_in_between() {
    let w = world();
    let xena = w.create("xena");
    let changed_to = FastHasher::with_cost(5).hash("password-2").unwrap();
    let dir = w.directory_with_hasher(Arc::new(PasswordChangedWhileHashing {
        inner: InlineHasher(FastHasher::with_cost(5)),
        store: w.store.clone(),
        victim: xena.id,
        changed_to: changed_to.clone(),
    }));
    // The login with the old password succeeds and starts the upgrade of its weak hash…
    block_on(dir.authenticate_basic("xena", "password-1", v2())).unwrap();
    // …but the password set meanwhile stays: the old one must not come back.
    let stored = block_on(w.dir.get_user(&w.admin, &UserLookup::Id(xena.id), "x")).unwrap();
    assert_eq!(stored.password_hash, Some(changed_to));
    assert!(w.basic("xena", "password-1").is_err());
    assert!(w.basic("xena", "password-2").is_ok());
}

#[test]
fn the_credential_cache_skips_verification_until_the_password_changes() {
    let w = world();
    let yan = w.create("yan");
    w.as_user("yan");
    let before = w.hasher.0.verifications();
    w.as_user("yan");
    assert_eq!(w.hasher.0.verifications(), before, "served from the cache");
    assert!(
        w.basic("yan", "wrong-password").is_err(),
        "failures are not cached"
    );
    w.update(
        &w.admin,
        &yan,
        UserInput {
            password: Some(Some("password-2".into())),
            ..UserInput::default()
        },
    )
    .unwrap();
    assert_eq!(
        w.basic("yan", "password-1"),
        Err(ServiceError::Unauthenticated)
    );
}

// ---- API keys and scopes ----------------------------------------------------------------

#[test]
fn api_keys_are_shown_once_then_masked_and_verified_by_digest() {
    let w = world();
    let created = w.key(&w.admin, &[Scope::USERS_SHOW]).unwrap();
    let full = created.full_key.expose_secret().to_owned();
    assert!(full.starts_with("rck_"));
    assert_eq!(
        created.key.masked(),
        format!("******************{}", &full[full.len() - 4..])
    );
    let listed = block_on(w.dir.list_api_keys(&w.admin, PageRequest::first())).unwrap();
    assert_eq!(
        listed.items[0].secret_digest,
        crate::secrets::TokenDigest::of(&full)
    );
    let p = block_on(w.dir.authenticate_bearer(&full, v2())).unwrap();
    assert!(p.require(Scope::USERS_SHOW).is_ok());
    assert_eq!(
        p.require(Scope::USERS_INDEX),
        Err(ServiceError::Forbidden(Forbidden::MissingScope(
            Scope::USERS_INDEX
        )))
    );
    let mut forged = full.clone();
    forged.pop();
    forged.push(if full.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(
        block_on(w.dir.authenticate_bearer(&forged, v2())),
        Err(ServiceError::Unauthenticated)
    );
    assert_eq!(
        block_on(w.dir.authenticate_bearer("garbage", v2())),
        Err(ServiceError::Unauthenticated)
    );
}

#[test]
fn unknown_scopes_are_validation_errors() {
    let w = world();
    let e = block_on(w.dir.create_api_key(
        &w.admin,
        ApiKeyInput {
            scopes: Some(vec![ScopeInput {
                controller: "text".into(),
                action: "text".into(),
            }]),
            ..ApiKeyInput::default()
        },
    ))
    .unwrap_err();
    assert_eq!(violation_of(&e, "api_key_scopes"), Some(Violation::Invalid));
}

#[test]
fn keys_made_through_keys_cannot_exceed_the_maker() {
    let w = world();
    let maker = w
        .key(&w.admin, &[Scope::API_KEYS_CREATE, Scope::USERS_SHOW])
        .unwrap();
    let p = block_on(
        w.dir
            .authenticate_bearer(maker.full_key.expose_secret(), v2()),
    )
    .unwrap();
    assert!(w.key(&p, &[Scope::USERS_SHOW]).is_ok());
    assert_eq!(
        w.key(&p, &[Scope::USERS_DESTROY]).unwrap_err(),
        ServiceError::Forbidden(Forbidden::ScopeEscalation)
    );
    let id = maker.key.id.to_string();
    let e = block_on(w.dir.update_api_key(
        &p,
        &id,
        ApiKeyInput {
            scopes: Some(vec![ScopeInput {
                controller: "users".into(),
                action: "destroy".into(),
            }]),
            ..ApiKeyInput::default()
        },
    ))
    .unwrap_err();
    assert_eq!(e, ServiceError::Forbidden(Forbidden::ScopeEscalation));
}

#[test]
fn expired_keys_are_refused_and_use_is_recorded_at_most_once_a_minute() {
    let w = world();
    let created = block_on(w.dir.create_api_key(
        &w.admin,
        ApiKeyInput {
            expires_at: Some(Some("2026-01-01T13:00:00Z".into())),
            ..ApiKeyInput::default()
        },
    ))
    .unwrap();
    let full = created.full_key.expose_secret().to_owned();
    let last_used = || {
        block_on(w.store.get_api_key(w.admin.user.id, created.key.id))
            .unwrap()
            .last_used_at
    };
    block_on(w.dir.authenticate_bearer(&full, v2())).unwrap();
    let first = last_used().unwrap();
    w.clock.advance(Duration::seconds(30));
    block_on(w.dir.authenticate_bearer(&full, v2())).unwrap();
    assert_eq!(
        last_used(),
        Some(first),
        "not written again within a minute"
    );
    w.clock.advance(Duration::seconds(31));
    block_on(w.dir.authenticate_bearer(&full, v2())).unwrap();
    assert!(last_used().unwrap() > first);
    w.clock.advance(Duration::hours(1));
    assert_eq!(
        block_on(w.dir.authenticate_bearer(&full, v2())),
        Err(ServiceError::Unauthenticated)
    );
}

#[test]
fn another_users_key_is_not_found() {
    let w = world();
    let created = w.key(&w.admin, &[]).unwrap();
    w.create("zed");
    let zed = w.as_user("zed");
    let id = created.key.id.to_string();
    assert!(matches!(
        block_on(w.dir.get_api_key(&zed, &id)),
        Err(ServiceError::NotFound(NotFound::ApiKey(_)))
    ));
    assert!(matches!(
        block_on(w.dir.delete_api_key(&zed, &id)),
        Err(ServiceError::NotFound(_))
    ));
    block_on(w.dir.delete_api_key(&w.admin, &id)).unwrap();
}

// ---- configurations ---------------------------------------------------------------------

#[test]
fn configurations_by_id_or_key_unique_per_user() {
    let w = world();
    let cfg = |k: &str, v: &str| ConfigurationInput {
        key: Some(Some(k.into())),
        value: Some(Some(v.into())),
        ..ConfigurationInput::default()
    };
    let c = block_on(
        w.dir
            .create_configuration(&w.admin, cfg("global.locale", "en")),
    )
    .unwrap();
    let e = block_on(
        w.dir
            .create_configuration(&w.admin, cfg("global.locale", "fr")),
    )
    .unwrap_err();
    assert_eq!(violation_of(&e, "key"), Some(Violation::Taken));
    let by_key = block_on(w.dir.get_configuration(&w.admin, "global.locale")).unwrap();
    let by_id = block_on(w.dir.get_configuration(&w.admin, &c.id.to_string())).unwrap();
    assert_eq!(by_key, by_id);
    let renamed = block_on(w.dir.update_configuration(
        &w.admin,
        "global.locale",
        ConfigurationInput {
            key: Some(Some("ui.locale".into())),
            ..ConfigurationInput::default()
        },
    ))
    .unwrap();
    assert_eq!(
        renamed.value.as_str(),
        "en",
        "partial update keeps the value"
    );
    w.create("amy");
    let amy = w.as_user("amy");
    assert!(matches!(
        block_on(w.dir.get_configuration(&amy, &c.id.to_string())),
        Err(ServiceError::NotFound(NotFound::Configuration(_)))
    ));
    let e = block_on(w.dir.create_configuration(&w.admin, cfg("1bad", "x"))).unwrap_err();
    assert_eq!(violation_of(&e, "key"), Some(Violation::Invalid));
    block_on(w.dir.delete_configuration(&w.admin, "ui.locale")).unwrap();
    assert_eq!(
        block_on(w.dir.list_configurations(&w.admin, PageRequest::first()))
            .unwrap()
            .total,
        0
    );
}

#[test]
fn listing_uses_the_shared_filter_model() {
    let w = world();
    w.create("bea");
    w.create("ben");
    let q = UserQuery {
        filter: FilterExpr::Test(Filter {
            field: UserField::Username,
            condition: Condition::Like("b%".into()),
        }),
        page: PageRequest::new(1, 0),
        ..UserQuery::default()
    };
    let listed = block_on(w.dir.list_users(&w.admin, &q)).unwrap();
    assert_eq!(listed.total, 2, "count is the number of matches");
    assert_eq!(listed.items.len(), 1, "the page holds one");
}

#[test]
fn a_walk_in_id_order_reads_every_user_once() {
    let w = world();
    for name in ["ann", "bo", "cy", "di", "ed"] {
        w.create(name);
    }
    let bo = w.as_user("bo");
    for page_size in [1, 2, 5, 6, 1000] {
        let mut names = Vec::new();
        let mut after = None;
        loop {
            let page = block_on(w.dir.list_users_after(&bo, after, page_size)).unwrap();
            assert!(page.len() <= page_size as usize);
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            names.extend(page.iter().map(|u| u.username.as_str().to_owned()));
        }
        assert_eq!(
            names,
            ["admin", "ann", "bo", "cy", "di", "ed"],
            "page size {page_size}"
        );
    }
    // A limit of 0 still reads one, and the limit is capped.
    assert_eq!(
        block_on(w.dir.list_users_after(&bo, None, 0))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        block_on(w.dir.list_users_after(&bo, None, u32::MAX))
            .unwrap()
            .len(),
        6
    );
}

#[test]
fn admin_only_families_check_admin_before_scope() {
    let w = world();
    w.create("nia");
    let nia = w.as_user("nia");
    let nia_key = w.key(&nia, &[Scope::USERS_INDEX]).unwrap();
    let nia_key = block_on(
        w.dir
            .authenticate_bearer(nia_key.full_key.expose_secret(), v2()),
    )
    .unwrap();
    let admin_only = Err(ServiceError::Forbidden(Forbidden::AdminOnly(
        "use this API",
    )));
    assert_eq!(nia.admit(Audience::Admins, Scope::USERS_INDEX), admin_only);
    assert_eq!(
        nia_key.admit(Audience::Admins, Scope::USERS_SHOW),
        admin_only,
        "a non-admin hears about being one, whatever the key holds"
    );
    assert_eq!(nia.admit(Audience::AnyUser, Scope::USERS_INDEX), Ok(()));
    assert_eq!(
        nia_key.admit(Audience::AnyUser, Scope::USERS_SHOW),
        Err(ServiceError::Forbidden(Forbidden::MissingScope(
            Scope::USERS_SHOW
        )))
    );
    let key = w.key(&w.admin, &[Scope::USERS_INDEX]).unwrap();
    let key = block_on(
        w.dir
            .authenticate_bearer(key.full_key.expose_secret(), v2()),
    )
    .unwrap();
    assert_eq!(key.admit(Audience::Admins, Scope::USERS_INDEX), Ok(()));
    assert_eq!(
        key.admit(Audience::Admins, Scope::USERS_SHOW),
        Err(ServiceError::Forbidden(Forbidden::MissingScope(
            Scope::USERS_SHOW
        )))
    );
    assert_eq!(
        w.admin.admit(Audience::Admins, Scope::USERS_DESTROY),
        Ok(())
    );
}

#[test]
fn user_refs_follow_v2() {
    assert_eq!(
        parse_user_ref("12"),
        UserLookup::Id(crate::entities::UserId(12))
    );
    assert_eq!(parse_user_ref("a@b.c"), UserLookup::Email("a@b.c".into()));
    assert_eq!(
        parse_user_ref("alice"),
        UserLookup::Username("alice".into())
    );
    assert_eq!(
        parse_user_ref("99999999999999999999"),
        UserLookup::Id(crate::entities::UserId(0))
    );
}

#[test]
fn bootstrap_only_happens_once() {
    let w = world();
    assert_eq!(
        block_on(w.dir.bootstrap_admin("other", "password-1")).unwrap(),
        None
    );
}

#[test]
fn api_key_principals_may_not_be_confused_with_sessions() {
    let w = world();
    let k = w.key(&w.admin, &[Scope::SESSIONS_DESTROY]).unwrap();
    let p = block_on(w.dir.authenticate_bearer(k.full_key.expose_secret(), v2())).unwrap();
    assert_eq!(p.session(), None);
    block_on(w.dir.sign_out(&p)).unwrap();
    assert!(block_on(w.dir.authenticate_bearer(k.full_key.expose_secret(), v2())).is_ok());
    let listed = block_on(w.store.list_api_keys(w.admin.user.id, PageRequest::first())).unwrap();
    assert_eq!(listed.total, 1);
}

#[test]
fn inputs_never_show_passwords_in_debug() {
    let mut i = input("someone", "hunter2-secret");
    i.email = Some(Some("someone@example.com".into()));
    let shown = format!("{i:?}");
    assert!(
        !shown.contains("hunter2") && shown.contains("[redacted]") && shown.contains("someone@")
    );
    let change = PasswordChange {
        password: Some("new-secret-1".into()),
        current_password: Some("old-secret-1".into()),
    };
    let shown = format!("{change:?}");
    assert!(!shown.contains("secret"), "{shown}");
}

#[test]
fn a_v1_password_change_ends_the_users_other_sessions() {
    let w = world();
    let bo = w.create("bo");
    let (_, s1) = block_on(w.dir.sign_in("bo", "password-1", &v2())).unwrap();
    let p = w.as_user("bo");
    block_on(w.dir.change_password_as(
        &p,
        &UserLookup::Id(bo.id),
        "bo",
        PasswordChange {
            password: Some("password-2".into()),
            current_password: Some("password-1".into()),
        },
    ))
    .unwrap();
    assert_eq!(
        block_on(w.dir.authenticate_bearer(s1.token.expose_secret(), v2())),
        Err(ServiceError::Unauthenticated)
    );
}

#[test]
fn names_with_nul_match_nobody_instead_of_reaching_the_store() {
    let w = world();
    for lookup in [
        UserLookup::Username("ad\0min".into()),
        UserLookup::Email("a\0@b.c".into()),
        UserLookup::ExternalId("x\0".into()),
    ] {
        assert!(matches!(
            block_on(w.dir.get_user(&w.admin, &lookup, "x")),
            Err(ServiceError::NotFound(NotFound::User(_)))
        ));
    }
}

#[test]
fn another_users_key_or_configuration_is_404_before_the_body_is_judged() {
    let w = world();
    let key = w.key(&w.admin, &[]).unwrap();
    let c = block_on(w.dir.create_configuration(
        &w.admin,
        ConfigurationInput {
            key: Some(Some("a.b".into())),
            value: Some(Some("v".into())),
            ..ConfigurationInput::default()
        },
    ))
    .unwrap();
    w.create("cy");
    let cy = w.as_user("cy");
    let bad_scopes = ApiKeyInput {
        scopes: Some(vec![ScopeInput {
            controller: "x".into(),
            action: "y".into(),
        }]),
        ..ApiKeyInput::default()
    };
    assert!(matches!(
        block_on(
            w.dir
                .update_api_key(&cy, &key.key.id.to_string(), bad_scopes)
        ),
        Err(ServiceError::NotFound(NotFound::ApiKey(_)))
    ));
    let bad_key = ConfigurationInput {
        key: Some(Some("1bad".into())),
        ..ConfigurationInput::default()
    };
    assert!(matches!(
        block_on(w.dir.update_configuration(&cy, &c.id.to_string(), bad_key)),
        Err(ServiceError::NotFound(NotFound::Configuration(_)))
    ));
    assert!(
        matches!(
            block_on(w.dir.get_api_key(&w.admin, &format!("+{}", key.key.id))),
            Err(ServiceError::NotFound(_))
        ),
        "a signed id is not an id"
    );
}

// ---- issue 9: an API key never buys more than its scopes -------------------------------

#[test]
fn an_api_key_never_sets_a_password() {
    let w = world();
    let everything = [
        Scope::USERS_CREATE,
        Scope::USERS_UPDATE,
        Scope::USERS_SHOW,
        Scope::API_KEYS_CREATE,
    ];
    let key = w.key(&w.admin, &everything).unwrap();
    let p = block_on(
        w.dir
            .authenticate_bearer(key.full_key.expose_secret(), v2()),
    )
    .unwrap();
    let refused = Err(ServiceError::Forbidden(Forbidden::ApiKeyPassword));
    let admin = w.admin.user.clone();
    let lookup = UserLookup::Id(admin.id);
    let shown = admin.id.to_string();

    // Its owner's password, through the update and the password routes.
    let with_password = UserInput {
        password: Some(Some("a-new-password".into())),
        ..UserInput::default()
    };
    assert_eq!(w.update(&p, &admin, with_password.clone()), refused);
    let change = PasswordChange {
        password: Some("a-new-password".into()),
        current_password: Some("admin-password".into()),
    };
    assert_eq!(
        block_on(
            w.dir
                .change_password_as(&p, &lookup, &shown, change.clone())
        ),
        refused
    );
    // Anyone else's, as an admin.
    let bob = w.create("bob");
    assert_eq!(w.update(&p, &bob, with_password.clone()), refused);
    assert_eq!(
        block_on(w.dir.change_password_as(
            &p,
            &UserLookup::Id(bob.id),
            &bob.id.to_string(),
            change
        )),
        refused
    );
    // A new admin with a password it would know; a plain user with one is provisioning.
    let admin_with_password = UserInput {
        is_admin: Some(true),
        ..input("carol", "password-1")
    };
    assert_eq!(
        block_on(w.dir.create_user_as(&p, admin_with_password, V2_CREATE)),
        Err(ServiceError::Forbidden(Forbidden::ApiKeyAdminPassword))
    );
    assert!(
        block_on(
            w.dir
                .create_user_as(&p, input("erin", "password-1"), V2_CREATE)
        )
        .is_ok()
    );
    // Refused before the body is validated: a too-short password is still 403.
    let short = UserInput {
        password: Some(Some("x".into())),
        ..UserInput::default()
    };
    assert_eq!(w.update(&p, &bob, short), refused);

    // The old passwords still work; everything else the scopes allow still does.
    assert!(w.basic("admin", "admin-password").is_ok());
    assert!(w.basic("bob", "password-1").is_ok());
    let renamed = UserInput {
        first_name: Some(Some("Robert".into())),
        ..UserInput::default()
    };
    assert!(w.update(&p, &bob, renamed).is_ok());
    let no_password = UserInput {
        username: Some(Some("dave".into())),
        first_name: Some(Some("Dave".into())),
        last_name: Some(Some("D".into())),
        email: Some(Some("dave@example.com".into())),
        ..UserInput::default()
    };
    assert!(block_on(w.dir.create_user_as(&p, no_password, APPLICATION_CREATE)).is_ok());
}

fn key_expiring(expires_at: Option<Option<&str>>) -> ApiKeyInput {
    ApiKeyInput {
        scopes: Some(vec![ScopeInput {
            controller: "api_keys".into(),
            action: "create".into(),
        }]),
        expires_at: expires_at.map(|e| e.map(str::to_owned)),
        ..ApiKeyInput::default()
    }
}

#[test]
fn a_key_made_or_changed_by_a_key_never_outlives_it() {
    let w = world();
    let maker_expiry = Utc.with_ymd_and_hms(2026, 1, 2, 12, 0, 0).unwrap();
    let scopes = vec![
        ScopeInput {
            controller: "api_keys".into(),
            action: "create".into(),
        },
        ScopeInput {
            controller: "api_keys".into(),
            action: "update".into(),
        },
    ];
    let maker = block_on(w.dir.create_api_key(
        &w.admin,
        ApiKeyInput {
            scopes: Some(scopes),
            expires_at: Some(Some("2026-01-02T12:00:00Z".into())),
            ..ApiKeyInput::default()
        },
    ))
    .unwrap();
    let p = block_on(
        w.dir
            .authenticate_bearer(maker.full_key.expose_secret(), v2()),
    )
    .unwrap();
    let create = |e| block_on(w.dir.create_api_key(&p, key_expiring(e)));
    let escalation = ServiceError::Forbidden(Forbidden::ExpiryEscalation);

    // Absent: the maker's expiry. Earlier or equal: kept. Later or none: refused.
    assert_eq!(create(None).unwrap().key.expires_at, Some(maker_expiry));
    let earlier = create(Some(Some("2026-01-01T18:00:00Z"))).unwrap();
    assert_eq!(
        earlier.key.expires_at,
        Some(Utc.with_ymd_and_hms(2026, 1, 1, 18, 0, 0).unwrap())
    );
    assert_eq!(
        create(Some(Some("2026-01-02T12:00:00Z")))
            .unwrap()
            .key
            .expires_at,
        Some(maker_expiry)
    );
    assert_eq!(
        create(Some(Some("2026-01-02T12:00:01Z"))).unwrap_err(),
        escalation
    );
    assert_eq!(create(Some(None)).unwrap_err(), escalation);

    // Neither its own expiry nor a sibling's may be extended or cleared.
    let update = |id: &str, e| {
        block_on(w.dir.update_api_key(
            &p,
            id,
            ApiKeyInput {
                expires_at: e,
                ..ApiKeyInput::default()
            },
        ))
    };
    let own = maker.key.id.to_string();
    let sibling = earlier.key.id.to_string();
    for id in [&own, &sibling] {
        assert_eq!(
            update(id, Some(Some("2027-01-01T00:00:00Z".into()))).unwrap_err(),
            escalation
        );
        assert_eq!(update(id, Some(None)).unwrap_err(), escalation);
    }
    // Shortening is fine, and so is leaving the expiry alone.
    let shorter = update(&sibling, Some(Some("2026-01-01T15:00:00Z".into()))).unwrap();
    assert_eq!(
        shorter.expires_at,
        Some(Utc.with_ymd_and_hms(2026, 1, 1, 15, 0, 0).unwrap())
    );
    assert_eq!(
        update(&sibling, None).unwrap().expires_at,
        shorter.expires_at
    );

    // A password principal is not bounded; neither is a key without expiry.
    let forever = block_on(w.dir.create_api_key(&w.admin, key_expiring(None))).unwrap();
    assert_eq!(forever.key.expires_at, None);
    let q = block_on(
        w.dir
            .authenticate_bearer(forever.full_key.expose_secret(), v2()),
    )
    .unwrap();
    let made = block_on(w.dir.create_api_key(&q, key_expiring(None))).unwrap();
    assert_eq!(made.key.expires_at, None);
}

// ---- issue 9: login throttling -----------------------------------------------------------

#[test]
fn guessing_is_throttled_per_pair_until_the_window_passes() {
    let w = world();
    let attacker: std::net::IpAddr = "192.0.2.66".parse().unwrap();
    let owner: std::net::IpAddr = "198.51.100.1".parse().unwrap();
    let try_from = |who: &std::net::IpAddr, password: &str| {
        block_on(
            w.dir
                .authenticate_basic("admin", password, Origin::new(Family::V2, Some(*who))),
        )
    };
    for _ in 0..10 {
        w.clock.advance(Duration::seconds(1));
        assert_eq!(
            try_from(&attacker, "wrong").unwrap_err(),
            ServiceError::Unauthenticated
        );
    }
    // The first failure was 10 s ago; it leaves the 15-minute window in 891 s.
    assert_eq!(
        try_from(&attacker, "admin-password").unwrap_err(),
        ServiceError::Throttled {
            retry_after_secs: 15 * 60 - 9
        }
    );
    // Once the oldest failure has left the window, one more try is allowed.
    w.clock.advance(Duration::seconds(15 * 60 - 9));
    assert!(try_from(&attacker, "admin-password").is_ok());
    // The success cleared the pair: ten more tries before the next lock-out.
    for _ in 0..10 {
        assert_eq!(
            try_from(&attacker, "wrong").unwrap_err(),
            ServiceError::Unauthenticated
        );
    }
    assert!(matches!(
        try_from(&attacker, "wrong"),
        Err(ServiceError::Throttled { .. })
    ));
    assert!(
        try_from(&owner, "admin-password").is_ok(),
        "the owner elsewhere"
    );
    // Without an address (an internal caller) nothing is throttled.
    assert!(block_on(w.dir.authenticate_basic("admin", "admin-password", v2())).is_ok());
}

#[test]
fn v1_current_password_checks_are_throttled_too() {
    let w = world();
    w.create("vic");
    let vic = Principal {
        origin: Origin::new(Family::V2, Some("192.0.2.7".parse().unwrap())),
        ..w.as_user("vic")
    };
    let lookup = UserLookup::Username("vic".into());
    let change = PasswordChange {
        password: Some("a-new-password-1".into()),
        current_password: Some("wrong".into()),
    };
    for _ in 0..10 {
        let e = block_on(
            w.dir
                .change_password_as(&vic, &lookup, "vic", change.clone()),
        );
        assert_eq!(
            violation_of(&e.unwrap_err(), "current_password"),
            Some(Violation::Invalid)
        );
    }
    assert!(matches!(
        block_on(w.dir.change_password_as(&vic, &lookup, "vic", change)),
        Err(ServiceError::Throttled { .. })
    ));
}
