//! Kit tests of user listings: every filter operator on every kind of field with SQL null
//! semantics, case-insensitive LIKE with escapes, sorting with NULL placement and ties, paging.

use super::Stores;
use super::builders::{
    at, at_micros, change, email, external_id, language, new_admin, new_user, person, uuid_from,
};
use super::probes::{assert_matches, create, filter, listed, matching, sorted};
use crate::entities::{NewUser, UserChanges};
use crate::listing::{
    Condition, Direction, Filter, FilterExpr, FilterValue, MAX_FILTERS, MAX_LIST_VALUES,
    MAX_SORT_KEYS, MAX_VALUE_LENGTH, PageRequest, SortKey, SortOrder, UserField, UserQuery,
    contains_filter, escape_like, like_matches, parse_list, parse_pattern, parse_value,
};
use crate::values::{PosixId, SourceType};

fn int(v: i64) -> FilterValue {
    FilterValue::Integer(v)
}

fn text(v: &str) -> FilterValue {
    FilterValue::Text(v.to_owned())
}

fn boolean(v: bool) -> FilterValue {
    FilterValue::Boolean(v)
}

fn time(v: chrono::DateTime<chrono::Utc>) -> FilterValue {
    FilterValue::Timestamp(v)
}

/// Sort keys as (field, direction) pairs.
type Keys<'a> = &'a [(UserField, Direction)];

fn sort(keys: Keys<'_>) -> SortOrder {
    SortOrder::new(
        keys.iter()
            .map(|&(field, direction)| SortKey { field, direction })
            .collect(),
    )
}

/// Every operator on integer fields (`id`, and the nullable `user_id`/`group_id`): a NULL
/// matches no comparison, `Ne` and `NotIn` included; `IsNull`/`IsNotNull` test it. POSIX ids
/// up to 4294967295 compare as numbers.
pub async fn filters_on_integer_fields<S: Stores>(store: S) {
    let pid = |v: u32| Some(PosixId::from(v));
    let u1 = create(
        &store,
        NewUser {
            posix_uid: pid(1000),
            posix_gid: pid(100),
            ..new_user("u1")
        },
    )
    .await;
    let u2 = create(
        &store,
        NewUser {
            posix_uid: pid(1001),
            ..new_user("u2")
        },
    )
    .await;
    let u3 = create(
        &store,
        NewUser {
            posix_gid: pid(100),
            ..new_user("u3")
        },
    )
    .await;
    let u4 = create(
        &store,
        NewUser {
            posix_uid: pid(2000),
            posix_gid: pid(u32::MAX),
            ..new_user("u4")
        },
    )
    .await;
    let uid = UserField::UserId;
    assert_matches(&store, uid, Condition::Eq(int(1001)), &["u2"]).await;
    assert_matches(&store, uid, Condition::Ne(int(1001)), &["u1", "u4"]).await;
    assert_matches(&store, uid, Condition::Gt(int(1000)), &["u2", "u4"]).await;
    assert_matches(&store, uid, Condition::Ge(int(1001)), &["u2", "u4"]).await;
    assert_matches(&store, uid, Condition::Lt(int(1001)), &["u1"]).await;
    assert_matches(&store, uid, Condition::Le(int(1001)), &["u1", "u2"]).await;
    assert_matches(
        &store,
        uid,
        Condition::In(vec![int(1000), int(2000), int(5)]),
        &["u1", "u4"],
    )
    .await;
    assert_matches(
        &store,
        uid,
        Condition::NotIn(vec![int(1000), int(5)]),
        &["u2", "u4"],
    )
    .await;
    assert_matches(&store, uid, Condition::IsNull, &["u3"]).await;
    assert_matches(&store, uid, Condition::IsNotNull, &["u1", "u2", "u4"]).await;
    assert_matches(&store, uid, Condition::Eq(int(-1)), &[]).await;

    let gid = UserField::GroupId;
    assert_matches(&store, gid, Condition::Eq(int(4_294_967_295)), &["u4"]).await;
    assert_matches(&store, gid, Condition::Gt(int(2_147_483_647)), &["u4"]).await;
    assert_matches(&store, gid, Condition::Ne(int(100)), &["u4"]).await;
    assert_matches(
        &store,
        gid,
        Condition::NotIn(vec![int(4_294_967_295)]),
        &["u1", "u3"],
    )
    .await;
    assert_matches(&store, gid, Condition::IsNull, &["u2"]).await;

    let id = UserField::Id;
    let (i1, i2, i3, i4) = (u1.id.get(), u2.id.get(), u3.id.get(), u4.id.get());
    assert_matches(&store, id, Condition::Eq(int(i2)), &["u2"]).await;
    assert_matches(&store, id, Condition::Ne(int(i2)), &["u1", "u3", "u4"]).await;
    assert_matches(&store, id, Condition::Gt(int(i2)), &["u3", "u4"]).await;
    assert_matches(&store, id, Condition::Ge(int(i2)), &["u2", "u3", "u4"]).await;
    assert_matches(&store, id, Condition::Lt(int(i3)), &["u1", "u2"]).await;
    assert_matches(&store, id, Condition::Le(int(i3)), &["u1", "u2", "u3"]).await;
    assert_matches(
        &store,
        id,
        Condition::In(vec![int(i1), int(i4)]),
        &["u1", "u4"],
    )
    .await;
    assert_matches(
        &store,
        id,
        Condition::NotIn(vec![int(i1), int(i4)]),
        &["u2", "u3"],
    )
    .await;
    assert_matches(&store, id, Condition::IsNull, &[]).await;
    assert_matches(&store, id, Condition::IsNotNull, &["u1", "u2", "u3", "u4"]).await;
}

/// The four users of the text-field filter tests: `alice` (e-mail `Alice@Example.org`,
/// external id `ext-a`), `Bob` (no e-mail, `ext-b`), `carol` (`carol@example.org`, LDAP) and
/// `Alan` (`alan@sample.net`, multi-user CLI).
async fn seed_text_users<S: Stores>(store: &S) {
    create(
        store,
        NewUser {
            email: Some(email("Alice@Example.org")),
            external_id: Some(external_id("ext-a")),
            ..new_user("alice")
        },
    )
    .await;
    create(
        store,
        NewUser {
            external_id: Some(external_id("ext-b")),
            ..new_user("Bob")
        },
    )
    .await;
    create(
        store,
        NewUser {
            email: Some(email("carol@example.org")),
            source_type: SourceType::CliLdap,
            ..new_user("carol")
        },
    )
    .await;
    create(
        store,
        NewUser {
            email: Some(email("alan@sample.net")),
            source_type: SourceType::CliLinuxMultiUser,
            ..new_user("Alan")
        },
    )
    .await;
}

/// Every operator on `username`: comparisons are exact and by byte order (`"Bob" < "alice"`);
/// `Like`/`NotLike` are case-insensitive.
pub async fn filters_on_username<S: Stores>(store: S) {
    seed_text_users(&store).await;
    let name = UserField::Username;
    assert_matches(&store, name, Condition::Eq(text("Bob")), &["Bob"]).await;
    assert_matches(&store, name, Condition::Eq(text("bob")), &[]).await;
    assert_matches(
        &store,
        name,
        Condition::Ne(text("Bob")),
        &["alice", "carol", "Alan"],
    )
    .await;
    assert_matches(
        &store,
        name,
        Condition::Gt(text("Bob")),
        &["alice", "carol"],
    )
    .await;
    assert_matches(
        &store,
        name,
        Condition::Ge(text("Bob")),
        &["alice", "Bob", "carol"],
    )
    .await;
    assert_matches(&store, name, Condition::Lt(text("Bob")), &["Alan"]).await;
    assert_matches(&store, name, Condition::Le(text("Bob")), &["Bob", "Alan"]).await;
    assert_matches(&store, name, Condition::Gt(text("alice")), &["carol"]).await;
    assert_matches(
        &store,
        name,
        Condition::In(vec![text("alice"), text("Alan"), text("zed")]),
        &["alice", "Alan"],
    )
    .await;
    assert_matches(
        &store,
        name,
        Condition::NotIn(vec![text("alice"), text("bob")]),
        &["Bob", "carol", "Alan"],
    )
    .await;
    assert_matches(&store, name, Condition::IsNull, &[]).await;
    assert_matches(
        &store,
        name,
        Condition::IsNotNull,
        &["alice", "Bob", "carol", "Alan"],
    )
    .await;
}

/// Every operator on the nullable `email`: a NULL matches no comparison, negated ones
/// included, and neither `Like` nor `NotLike`.
pub async fn filters_on_email<S: Stores>(store: S) {
    seed_text_users(&store).await;
    let mail = UserField::Email;
    assert_matches(
        &store,
        mail,
        Condition::Eq(text("Alice@Example.org")),
        &["alice"],
    )
    .await;
    assert_matches(&store, mail, Condition::Eq(text("alice@example.org")), &[]).await;
    assert_matches(
        &store,
        mail,
        Condition::Ne(text("carol@example.org")),
        &["alice", "Alan"],
    )
    .await;
    assert_matches(
        &store,
        mail,
        Condition::Gt(text("alan@sample.net")),
        &["carol"],
    )
    .await;
    assert_matches(
        &store,
        mail,
        Condition::Ge(text("alan@sample.net")),
        &["carol", "Alan"],
    )
    .await;
    assert_matches(&store, mail, Condition::Lt(text("b")), &["alice", "Alan"]).await;
    assert_matches(
        &store,
        mail,
        Condition::Le(text("Alice@Example.org")),
        &["alice"],
    )
    .await;
    assert_matches(
        &store,
        mail,
        Condition::In(vec![text("carol@example.org"), text("x@y.z")]),
        &["carol"],
    )
    .await;
    assert_matches(
        &store,
        mail,
        Condition::NotIn(vec![text("carol@example.org")]),
        &["alice", "Alan"],
    )
    .await;
    assert_matches(
        &store,
        mail,
        Condition::Like("%@EXAMPLE.ORG".into()),
        &["alice", "carol"],
    )
    .await;
    assert_matches(
        &store,
        mail,
        Condition::NotLike("%@example.org".into()),
        &["Alan"],
    )
    .await;
    assert_matches(&store, mail, Condition::IsNull, &["Bob"]).await;
    assert_matches(
        &store,
        mail,
        Condition::IsNotNull,
        &["alice", "carol", "Alan"],
    )
    .await;
}

/// Every operator on the nullable `external_id` and on `source_type`.
pub async fn filters_on_external_id_and_source_type<S: Stores>(store: S) {
    seed_text_users(&store).await;
    let ext = UserField::ExternalId;
    assert_matches(&store, ext, Condition::Eq(text("ext-b")), &["Bob"]).await;
    assert_matches(&store, ext, Condition::Ne(text("ext-b")), &["alice"]).await;
    assert_matches(&store, ext, Condition::Gt(text("ext-a")), &["Bob"]).await;
    assert_matches(
        &store,
        ext,
        Condition::NotIn(vec![text("nope")]),
        &["alice", "Bob"],
    )
    .await;
    assert_matches(&store, ext, Condition::NotLike("%b".into()), &["alice"]).await;
    assert_matches(&store, ext, Condition::IsNull, &["carol", "Alan"]).await;

    let source = UserField::SourceType;
    assert_matches(&store, source, Condition::Eq(text("cli_ldap")), &["carol"]).await;
    assert_matches(
        &store,
        source,
        Condition::Ne(text("web_app")),
        &["carol", "Alan"],
    )
    .await;
    assert_matches(
        &store,
        source,
        Condition::In(vec![text("web_app"), text("cli_ldap")]),
        &["alice", "Bob", "carol"],
    )
    .await;
    assert_matches(
        &store,
        source,
        Condition::NotIn(vec![text("web_app")]),
        &["carol", "Alan"],
    )
    .await;
    assert_matches(
        &store,
        source,
        Condition::Like("CLI%".into()),
        &["carol", "Alan"],
    )
    .await;
    assert_matches(
        &store,
        source,
        Condition::NotLike("%ldap".into()),
        &["alice", "Bob", "Alan"],
    )
    .await;
    assert_matches(
        &store,
        source,
        Condition::Lt(text("web_app")),
        &["carol", "Alan"],
    )
    .await;
}

/// LIKE is case-insensitive in pattern and value, `_` matches one character and `%` any run,
/// and substring filters (built with `contains_filter`, which escapes with `escape_like`,
/// as the application family's `filter[…]` does) match `%`, `_` and `\` literally, on every text field including
/// the UUID (as lower-case hyphenated text).
pub async fn like_filters_are_case_insensitive_and_escape_wildcards<S: Stores>(store: S) {
    create(
        &store,
        NewUser {
            external_id: Some(external_id("50%off")),
            email: Some(email("Promo.Team@Example.org")),
            ..new_user("alice")
        },
    )
    .await;
    create(
        &store,
        NewUser {
            external_id: Some(external_id("50_off")),
            ..new_user("Alan")
        },
    )
    .await;
    create(
        &store,
        NewUser {
            external_id: Some(external_id("50Xoff")),
            uuid: uuid_from(0xabcd_ef12_3456),
            ..new_user("a_b")
        },
    )
    .await;
    create(
        &store,
        NewUser {
            external_id: Some(external_id(r"dir\50off")),
            ..new_user("axb")
        },
    )
    .await;
    create(&store, new_user("bob")).await;

    let name = UserField::Username;
    assert_matches(
        &store,
        name,
        Condition::Like("al%".into()),
        &["alice", "Alan"],
    )
    .await;
    assert_matches(
        &store,
        name,
        Condition::Like("AL%".into()),
        &["alice", "Alan"],
    )
    .await;
    assert_matches(
        &store,
        name,
        Condition::Like("%A%".into()),
        &["alice", "Alan", "a_b", "axb"],
    )
    .await;
    assert_matches(&store, name, Condition::Like("a_b".into()), &["a_b", "axb"]).await;
    assert_matches(&store, name, Condition::Like(r"a\_b".into()), &["a_b"]).await;
    assert_matches(&store, name, Condition::Like("BOB".into()), &["bob"]).await;
    assert_matches(&store, name, Condition::Like("bo".into()), &[]).await;
    assert_matches(&store, name, Condition::NotLike("A%".into()), &["bob"]).await;
    assert_matches(
        &store,
        name,
        Condition::NotLike(r"%\_%".into()),
        &["alice", "Alan", "axb", "bob"],
    )
    .await;

    let ext = UserField::ExternalId;
    assert_matches(
        &store,
        ext,
        Condition::Like("50_off".into()),
        &["alice", "Alan", "a_b"],
    )
    .await;
    assert_matches(
        &store,
        ext,
        Condition::Like("50%off".into()),
        &["alice", "Alan", "a_b"],
    )
    .await;
    assert_matches(&store, ext, Condition::Like("%50xOFF".into()), &["a_b"]).await;
    assert_matches(
        &store,
        ext,
        Condition::Like(format!("%{}%", escape_like("0%o"))),
        &["alice"],
    )
    .await;
    assert_matches(
        &store,
        ext,
        Condition::NotLike(format!("%{}%", escape_like("0_o"))),
        &["alice", "a_b", "axb"],
    )
    .await;

    let substring = |field: &str, needle: &str| {
        let store = store.clone();
        let field = match field {
            "external_id" => UserField::ExternalId,
            "email" => UserField::Email,
            "username" => UserField::Username,
            _ => UserField::Uuid,
        };
        let f = contains_filter(field, needle).expect("substring filter");
        async move { matching(&store, vec![f]).await }
    };
    assert_eq!(substring("external_id", "0%o").await, ["alice"]);
    assert_eq!(substring("external_id", "0_O").await, ["Alan"]);
    assert_eq!(
        substring("external_id", "50").await,
        ["alice", "Alan", "a_b", "axb"]
    );
    assert_eq!(substring("external_id", r"r\5").await, ["axb"]);
    assert_eq!(substring("external_id", r"\").await, ["axb"]);
    assert_eq!(substring("username", "_").await, ["a_b"]);
    assert_eq!(substring("username", "A_").await, ["a_b"]);
    assert_eq!(substring("username", "%").await, Vec::<String>::new());
    assert_eq!(substring("username", "LI").await, ["alice"]);
    assert_eq!(substring("email", "promo.TEAM@").await, ["alice"]);
    assert_eq!(substring("uuid", "ABCDEF12").await, ["a_b"]);
    assert_eq!(substring("uuid", "-4").await.len(), 5, "every UUID is a v4");
}

/// The text of `field` in `user` as a listing compares it (the UUID lower-case hyphenated).
fn text_of(user: &crate::entities::User, field: UserField) -> Option<String> {
    match field {
        UserField::Username => Some(user.username.as_str().to_owned()),
        UserField::Email => user.email.as_ref().map(|e| e.as_str().to_owned()),
        UserField::ExternalId => user.external_id.as_ref().map(|e| e.as_str().to_owned()),
        UserField::Uuid => Some(user.uuid.hyphenated().to_string()),
        other => panic!("{other} is not a searched text field"),
    }
}

/// Checks every pattern of [`pattern_search_matches_plain_like`] on every searched field
/// against [`like_matches`] applied to every user the store holds.
async fn assert_patterns_match_plain_like<S: Stores>(store: &S, patterns: &[&str], when: &str) {
    let everyone = store
        .list_users(&UserQuery {
            filter: FilterExpr::always(),
            sort: SortOrder::default(),
            page: PageRequest::new(PageRequest::MAX_LIMIT, 0),
        })
        .await
        .expect("list every user")
        .items;
    for field in [
        UserField::Username,
        UserField::Email,
        UserField::ExternalId,
        UserField::Uuid,
    ] {
        for &pattern in patterns {
            let names = |keep: &dyn Fn(&str) -> bool| -> Vec<String> {
                everyone
                    .iter()
                    .filter(|u| text_of(u, field).is_some_and(|v| keep(&v)))
                    .map(|u| u.username.as_str().to_owned())
                    .collect()
            };
            let like = names(&|v| like_matches(pattern, v));
            let not_like = names(&|v| !like_matches(pattern, v));
            let condition = Condition::Like(pattern.to_owned());
            assert_eq!(
                matching(store, vec![filter(field, condition)]).await,
                like,
                "{when}: {field} LIKE {pattern:?}"
            );
            let condition = Condition::NotLike(pattern.to_owned());
            assert_eq!(
                matching(store, vec![filter(field, condition)]).await,
                not_like,
                "{when}: {field} NOT LIKE {pattern:?}"
            );
        }
    }
}

/// Search through an index changes no result: every LIKE and NOT LIKE on every searched text
/// field (username, email, external id, UUID) returns exactly what [`like_matches`], the
/// contract's plain LIKE, returns, for patterns with literal runs of three or more characters
/// (which a trigram index can serve), shorter ones, escapes, non-ASCII letters (only ASCII
/// folds), quotes and nulls; and it stays so after users are changed and deleted, in bulk
/// creations too (the index is kept by the writes, in their transactions).
pub async fn pattern_search_matches_plain_like<S: Stores>(store: S) {
    let user = |name: &str, mail: Option<&str>, ext: Option<&str>, n: u128| NewUser {
        email: mail.map(email),
        external_id: ext.map(external_id),
        uuid: uuid_from(n),
        ..new_user(name)
    };
    create(
        &store,
        user(
            "user0999",
            Some("a999b@example.org"),
            Some("50%off-999"),
            0x999,
        ),
    )
    .await;
    create(
        &store,
        user("USER1999x", Some("x@EX999.org"), Some("50_off"), 0xabc_999),
    )
    .await;
    create(&store, user("abc.def", None, Some(r"dir\50off"), 0xdef_abc)).await;
    store
        .create_users(vec![
            user(
                "abc_def",
                Some("abc_def@example.org"),
                Some("ÉCOLE-999"),
                0x1,
            ),
            user(
                "abcXdef",
                Some("ABCxDEF@example.org"),
                Some("école-999"),
                0x2,
            ),
            user(
                "defabc",
                Some("q@example.org"),
                Some(r#"say "hi" 999"#),
                0x3,
            ),
            user("zed", None, None, 0x4),
            user(
                "k99a9",
                Some("k99a9@example.org"),
                Some("kelvin-\u{212a}elvin"),
                0x5,
            ),
        ])
        .await
        .expect("create in bulk");
    let patterns = [
        "%999%",
        "%99_%",
        "%999",
        "999%",
        "%9%9%9%",
        "%ÉCOLE%",
        "%école%",
        "%ÉCO%",
        "%cole-99%",
        r"%50\%off%",
        "%50_off%",
        r"%\\50%",
        r#"%"hi" 9%"#,
        r#"%y "h%"#,
        "%abc%def%",
        "%def%abc%",
        "%ex999%",
        "%EX999%",
        "abc%",
        "%xdef%",
        "%KELVIN%",
        "%\u{212a}elvin%",
        "%elvin%",
        "%user%",
        "%us%",
        "%@example.org",
        "%abc",
        "abc_def",
        "a%",
        "%",
        "%-4%",
        "%abc-9%",
        "%0-0000-4%",
    ];
    assert_patterns_match_plain_like(&store, &patterns, "as created").await;

    let id_of = |name: &'static str| {
        let store = store.clone();
        async move {
            let f = filter(UserField::Username, Condition::Eq(text(name)));
            store
                .list_users(&UserQuery {
                    filter: FilterExpr::Test(f),
                    sort: SortOrder::default(),
                    page: PageRequest::new(1, 0),
                })
                .await
                .expect("find by name")
                .items[0]
                .id
        }
    };
    let changes = UserChanges {
        email: Some(Some(email("moved-9999@example.org"))),
        external_id: Some(None),
        ..UserChanges::default()
    };
    store
        .update_user(id_of("user0999").await, change(changes, at(60)))
        .await
        .expect("change email and external id");
    let changes = UserChanges {
        username: Some(crate::contract::builders::username("abcdef999")),
        external_id: Some(Some(external_id("now-abc-999"))),
        ..UserChanges::default()
    };
    store
        .update_user(id_of("defabc").await, change(changes, at(61)))
        .await
        .expect("rename");
    store
        .delete_user(id_of("abc_def").await, at(62))
        .await
        .expect("delete");
    assert_patterns_match_plain_like(&store, &patterns, "after changes").await;
}

/// Every operator that applies to booleans (`is_admin`, `enabled`); `false` orders before
/// `true`.
pub async fn filters_on_boolean_fields<S: Stores>(store: S) {
    create(&store, new_admin("a")).await;
    create(&store, new_user("b")).await;
    create(
        &store,
        NewUser {
            enabled: false,
            ..new_user("c")
        },
    )
    .await;
    create(
        &store,
        NewUser {
            enabled: false,
            ..new_admin("d")
        },
    )
    .await;
    let admin = UserField::IsAdmin;
    assert_matches(&store, admin, Condition::Eq(boolean(true)), &["a", "d"]).await;
    assert_matches(&store, admin, Condition::Eq(boolean(false)), &["b", "c"]).await;
    assert_matches(&store, admin, Condition::Ne(boolean(true)), &["b", "c"]).await;
    assert_matches(
        &store,
        admin,
        Condition::In(vec![boolean(true), boolean(false)]),
        &["a", "b", "c", "d"],
    )
    .await;
    assert_matches(
        &store,
        admin,
        Condition::NotIn(vec![boolean(true)]),
        &["b", "c"],
    )
    .await;
    assert_matches(&store, admin, Condition::Gt(boolean(false)), &["a", "d"]).await;
    assert_matches(&store, admin, Condition::Le(boolean(false)), &["b", "c"]).await;
    assert_matches(&store, admin, Condition::IsNull, &[]).await;
    assert_matches(&store, admin, Condition::IsNotNull, &["a", "b", "c", "d"]).await;
    let enabled = UserField::Enabled;
    assert_matches(&store, enabled, Condition::Eq(boolean(false)), &["c", "d"]).await;
    assert_matches(&store, enabled, Condition::Ne(boolean(false)), &["a", "b"]).await;
    assert_matches(&store, enabled, Condition::Ge(boolean(true)), &["a", "b"]).await;
    assert_matches(&store, enabled, Condition::Lt(boolean(true)), &["c", "d"]).await;
}

/// Every operator on timestamps (`created_at`, `updated_at`, the nullable `expired_at`) with
/// microsecond precision; a NULL expiry matches no comparison.
pub async fn filters_on_timestamp_fields<S: Stores>(store: S) {
    let (t0, t1, t2) = (at_micros(0), at_micros(1), at(1));
    create(
        &store,
        NewUser {
            created_at: t0,
            ..new_user("a")
        },
    )
    .await;
    let b = create(
        &store,
        NewUser {
            created_at: t1,
            expired_at: Some(at(100)),
            ..new_user("b")
        },
    )
    .await;
    create(
        &store,
        NewUser {
            created_at: t2,
            expired_at: Some(at(200)),
            ..new_user("c")
        },
    )
    .await;

    let created = UserField::CreatedAt;
    assert_matches(&store, created, Condition::Eq(time(t1)), &["b"]).await;
    assert_matches(&store, created, Condition::Ne(time(t1)), &["a", "c"]).await;
    assert_matches(&store, created, Condition::Gt(time(t0)), &["b", "c"]).await;
    assert_matches(&store, created, Condition::Ge(time(t1)), &["b", "c"]).await;
    assert_matches(&store, created, Condition::Lt(time(t1)), &["a"]).await;
    assert_matches(&store, created, Condition::Le(time(t1)), &["a", "b"]).await;
    assert_matches(
        &store,
        created,
        Condition::In(vec![time(t0), time(t2)]),
        &["a", "c"],
    )
    .await;
    assert_matches(
        &store,
        created,
        Condition::NotIn(vec![time(t0)]),
        &["b", "c"],
    )
    .await;
    assert_matches(&store, created, Condition::IsNull, &[]).await;

    let expired = UserField::ExpiredAt;
    assert_matches(&store, expired, Condition::Eq(time(at(100))), &["b"]).await;
    assert_matches(&store, expired, Condition::Ne(time(at(100))), &["c"]).await;
    assert_matches(&store, expired, Condition::Gt(time(at(100))), &["c"]).await;
    assert_matches(&store, expired, Condition::Ge(time(at(100))), &["b", "c"]).await;
    assert_matches(&store, expired, Condition::Lt(time(at(200))), &["b"]).await;
    assert_matches(&store, expired, Condition::Le(time(at(200))), &["b", "c"]).await;
    assert_matches(
        &store,
        expired,
        Condition::In(vec![time(at(100)), time(at(5))]),
        &["b"],
    )
    .await;
    assert_matches(
        &store,
        expired,
        Condition::NotIn(vec![time(at(100))]),
        &["c"],
    )
    .await;
    assert_matches(&store, expired, Condition::IsNull, &["a"]).await;
    assert_matches(&store, expired, Condition::IsNotNull, &["b", "c"]).await;

    let later = at_micros(500_000_007);
    store
        .update_user(b.id, change(UserChanges::default(), later))
        .await
        .expect("touch b");
    let updated = UserField::UpdatedAt;
    assert_matches(&store, updated, Condition::Eq(time(later)), &["b"]).await;
    assert_matches(&store, updated, Condition::Ge(time(later)), &["b"]).await;
    assert_matches(&store, updated, Condition::Gt(time(later)), &[]).await;
    assert_matches(&store, updated, Condition::Lt(time(later)), &["a", "c"]).await;
}

/// Filter expressions are the set algebra of their filters: `All` keeps the users every
/// operand keeps, `Any` those any operand keeps, `Not` every user its operand does not keep,
/// nulls included (the logic is two-valued: `Not` of a comparison with a null field keeps the
/// user). Checked on nullable text fields, on LIKEs a trigram index narrows, and on nesting.
pub async fn filter_expressions_are_the_set_algebra_of_their_filters<S: Stores>(store: S) {
    use std::collections::BTreeSet;
    let user = |name: &str, mail: Option<&str>, first: Option<&str>, lang: &str| NewUser {
        email: mail.map(email),
        first_name: first.map(person),
        language: language(lang),
        ..new_user(name)
    };
    for new in [
        user("ann", Some("ann@example.org"), Some("Ann"), "en"),
        user("bob", None, Some("Bob"), "fr"),
        user("cyd", Some("cyd@mail999.net"), None, "en-GB"),
        user("dan", Some("dan@example.org"), None, "de"),
        user("eve", None, None, "en"),
    ] {
        create(&store, new).await;
    }
    let everyone: BTreeSet<String> = ["ann", "bob", "cyd", "dan", "eve"].map(String::from).into();
    let leaves = [
        filter(UserField::Email, Condition::Like("%example%".into())),
        filter(UserField::Email, Condition::Like("%999%".into())),
        filter(UserField::Email, Condition::NotLike("%example%".into())),
        filter(UserField::FirstName, Condition::Eq(text("Bob"))),
        filter(UserField::FirstName, Condition::Like("a%".into())),
        filter(UserField::LastName, Condition::IsNull),
        filter(UserField::Language, Condition::Like("en%".into())),
        filter(UserField::Username, Condition::Gt(text("bob"))),
    ];
    let mut kept = Vec::new();
    for leaf in &leaves {
        kept.push(
            matching(&store, vec![leaf.clone()])
                .await
                .into_iter()
                .collect::<BTreeSet<String>>(),
        );
    }
    assert_eq!(kept[0], ["ann", "dan"].map(String::from).into());
    assert_eq!(
        kept[2],
        ["cyd"].map(String::from).into(),
        "null matches no NotLike"
    );
    assert_eq!(kept[6], ["ann", "cyd", "eve"].map(String::from).into());
    fn expected(
        expr: &FilterExpr,
        leaves: &[Filter],
        kept: &[BTreeSet<String>],
        everyone: &BTreeSet<String>,
    ) -> BTreeSet<String> {
        match expr {
            FilterExpr::Test(f) => {
                let i = leaves.iter().position(|l| l == f).expect("a known leaf");
                kept[i].clone()
            }
            FilterExpr::All(ops) => ops.iter().fold(everyone.clone(), |acc, op| {
                acc.intersection(&expected(op, leaves, kept, everyone))
                    .cloned()
                    .collect()
            }),
            FilterExpr::Any(ops) => ops.iter().fold(BTreeSet::new(), |acc, op| {
                acc.union(&expected(op, leaves, kept, everyone))
                    .cloned()
                    .collect()
            }),
            FilterExpr::Not(op) => everyone
                .difference(&expected(op, leaves, kept, everyone))
                .cloned()
                .collect(),
        }
    }
    let t = |i: usize| FilterExpr::Test(leaves[i].clone());
    let not = |e: FilterExpr| FilterExpr::Not(Box::new(e));
    let expressions = [
        FilterExpr::Any(vec![t(0), t(1)]),
        not(t(0)),
        not(t(1)),
        not(t(2)),
        not(not(t(0))),
        FilterExpr::All(vec![t(6), not(t(0))]),
        FilterExpr::Any(vec![t(3), FilterExpr::All(vec![t(4), t(6)])]),
        not(FilterExpr::Any(vec![t(3), t(4)])),
        FilterExpr::All(vec![
            not(t(1)),
            FilterExpr::Any(vec![t(5), t(7)]),
            not(t(3)),
        ]),
        FilterExpr::Any(vec![]),
        not(FilterExpr::Any(vec![])),
        FilterExpr::All(vec![]),
        not(FilterExpr::All(vec![t(0), not(t(6))])),
    ];
    for expr in expressions {
        let query = UserQuery::matching(
            expr.clone(),
            SortOrder::default(),
            PageRequest::new(PageRequest::MAX_LIMIT, 0),
        )
        .expect("within the bounds");
        let (names, total) = listed(&store, &query).await;
        let got: BTreeSet<String> = names.iter().cloned().collect();
        assert_eq!(got.len(), names.len(), "no user twice for {expr:?}");
        assert_eq!(total, names.len() as u64, "total for {expr:?}");
        assert_eq!(got, expected(&expr, &leaves, &kept, &everyone), "{expr:?}");
    }
    // The one case worth naming: a negated LIKE on a nullable column keeps the nulls.
    let (names, _) = listed(
        &store,
        &UserQuery::matching(not(t(1)), SortOrder::default(), PageRequest::new(1000, 0))
            .expect("within the bounds"),
    )
    .await;
    assert_eq!(names, ["ann", "bob", "dan", "eve"]);
}

/// Several filters must all hold, and `total` counts the users matching all of them.
pub async fn filters_combine_with_and<S: Stores>(store: S) {
    for (name, admin, enabled) in [
        ("ann", true, true),
        ("andy", false, true),
        ("anita", true, false),
        ("ben", true, true),
        ("anne", true, true),
    ] {
        create(
            &store,
            NewUser {
                is_admin: admin,
                enabled,
                ..new_user(name)
            },
        )
        .await;
    }
    let filters = vec![
        filter(UserField::Username, Condition::Like("an%".into())),
        filter(UserField::IsAdmin, Condition::Eq(boolean(true))),
        filter(UserField::Enabled, Condition::Eq(boolean(true))),
    ];
    assert_eq!(matching(&store, filters.clone()).await, ["ann", "anne"]);
    let query = UserQuery {
        filter: FilterExpr::all_of(filters),
        sort: SortOrder::default(),
        page: PageRequest::new(1, 1),
    };
    assert_eq!(listed(&store, &query).await, (vec!["anne".to_owned()], 2));
    let contradiction = vec![
        filter(UserField::Username, Condition::Eq(text("ben"))),
        filter(UserField::Username, Condition::Ne(text("ben"))),
    ];
    assert_eq!(matching(&store, contradiction).await, Vec::<String>::new());
}

/// Sorting on integer, text (byte order), boolean, timestamp and UUID fields in both
/// directions and on several keys; ties are broken by id ascending whatever the direction.
pub async fn sorts_on_fields_in_both_directions_with_ties_by_id<S: Stores>(store: S) {
    let users = [
        ("carol", true, 2, 3, SourceType::CliLdap),
        ("Bob", false, 1, 1, SourceType::WebApp),
        ("alice", true, 2, 4, SourceType::WebApp),
        ("Dave", false, 0, 2, SourceType::CliLinuxMultiUser),
    ];
    for (name, admin, created, uuid, source) in users {
        create(
            &store,
            NewUser {
                is_admin: admin,
                created_at: at(created),
                uuid: uuid_from(uuid),
                source_type: source,
                ..new_user(name)
            },
        )
        .await;
    }
    use Direction::{Asc, Desc};
    use UserField as F;
    let cases: [(Keys, [&str; 4]); 15] = [
        (&[], ["carol", "Bob", "alice", "Dave"]),
        (&[(F::Id, Asc)], ["carol", "Bob", "alice", "Dave"]),
        (&[(F::Id, Desc)], ["Dave", "alice", "Bob", "carol"]),
        (&[(F::Username, Asc)], ["Bob", "Dave", "alice", "carol"]),
        (&[(F::Username, Desc)], ["carol", "alice", "Dave", "Bob"]),
        (&[(F::IsAdmin, Asc)], ["Bob", "Dave", "carol", "alice"]),
        (&[(F::IsAdmin, Desc)], ["carol", "alice", "Bob", "Dave"]),
        (&[(F::CreatedAt, Asc)], ["Dave", "Bob", "carol", "alice"]),
        (&[(F::CreatedAt, Desc)], ["carol", "alice", "Bob", "Dave"]),
        (&[(F::Uuid, Asc)], ["Bob", "Dave", "carol", "alice"]),
        (&[(F::Uuid, Desc)], ["alice", "carol", "Dave", "Bob"]),
        (&[(F::SourceType, Asc)], ["carol", "Dave", "Bob", "alice"]),
        (&[(F::SourceType, Desc)], ["Bob", "alice", "Dave", "carol"]),
        (
            &[(F::IsAdmin, Desc), (F::Username, Desc)],
            ["carol", "alice", "Dave", "Bob"],
        ),
        (
            &[(F::CreatedAt, Desc), (F::Id, Desc)],
            ["alice", "carol", "Bob", "Dave"],
        ),
    ];
    for (keys, expected) in cases {
        assert_eq!(sorted(&store, sort(keys)).await, expected, "sort {keys:?}");
    }
}

/// NULLs sort first in ascending order and last in descending order (ties among them by id).
pub async fn sorts_nulls_first_ascending_and_last_descending<S: Stores>(store: S) {
    let pid = |v: u32| Some(PosixId::from(v));
    create(
        &store,
        NewUser {
            email: Some(email("b@x.org")),
            posix_uid: pid(5),
            ..new_user("a")
        },
    )
    .await;
    create(
        &store,
        NewUser {
            expired_at: Some(at(5)),
            ..new_user("b")
        },
    )
    .await;
    create(
        &store,
        NewUser {
            email: Some(email("a@x.org")),
            posix_uid: pid(1),
            ..new_user("c")
        },
    )
    .await;
    create(
        &store,
        NewUser {
            expired_at: Some(at(3)),
            external_id: Some(external_id("z")),
            ..new_user("d")
        },
    )
    .await;
    use Direction::{Asc, Desc};
    use UserField as F;
    let cases: [(UserField, Direction, [&str; 4]); 8] = [
        (F::Email, Asc, ["b", "d", "c", "a"]),
        (F::Email, Desc, ["a", "c", "b", "d"]),
        (F::ExpiredAt, Asc, ["a", "c", "d", "b"]),
        (F::ExpiredAt, Desc, ["b", "d", "a", "c"]),
        (F::UserId, Asc, ["b", "d", "c", "a"]),
        (F::UserId, Desc, ["a", "c", "b", "d"]),
        (F::ExternalId, Asc, ["a", "b", "c", "d"]),
        (F::ExternalId, Desc, ["d", "a", "b", "c"]),
    ];
    for (field, direction, expected) in cases {
        assert_eq!(
            sorted(&store, sort(&[(field, direction)])).await,
            expected,
            "sort {field} {direction:?}"
        );
    }
}

/// Pages far into a listing (offsets of 1000 and more, which an adapter may read differently,
/// e.g. ids first) agree with shallow ones: in every sort order, with and without a filter,
/// the page at offset 1000 continues the page before it, overlaps a shallower page exactly
/// where their positions overlap, and the pages together hold every match once.
pub async fn deep_pages_agree_with_shallow_ones<S: Stores>(store: S) {
    let users = (0..1100u32)
        .map(|n| NewUser {
            email: (n % 3 != 0).then(|| email(&format!("deep{:04}@example.org", (n * 7) % 1100))),
            external_id: (n % 2 == 0).then(|| external_id(&format!("x{}", (n * 13) % 1100))),
            enabled: n % 5 != 0,
            ..new_user(&format!("deep{:04}", (n * 389) % 1100))
        })
        .collect();
    store.create_users(users).await.expect("create in bulk");
    let page = |keys: Keys<'static>, filters: Vec<Filter>, limit: u32, offset: u64| {
        let store = store.clone();
        async move {
            listed(
                &store,
                &UserQuery {
                    filter: FilterExpr::all_of(filters),
                    sort: sort(keys),
                    page: PageRequest::new(limit, offset),
                },
            )
            .await
        }
    };
    let orders: [Keys<'static>; 4] = [
        &[],
        &[(UserField::Username, Direction::Desc)],
        &[(UserField::Email, Direction::Asc)],
        &[
            (UserField::ExternalId, Direction::Desc),
            (UserField::Enabled, Direction::Asc),
        ],
    ];
    for keys in orders {
        for filters in [
            vec![],
            vec![filter(
                UserField::Username,
                Condition::NotLike("DEEP105%".into()),
            )],
        ] {
            let (first, total) = page(keys, filters.clone(), 1000, 0).await;
            let (deep, deep_total) = page(keys, filters.clone(), 1000, 1000).await;
            let (middle, _) = page(keys, filters.clone(), 100, 950).await;
            let (tail, _) = page(keys, filters.clone(), 50, 1010).await;
            let what = format!("order {keys:?}, filters {filters:?}");
            assert_eq!(total, deep_total, "{what}");
            assert!(total > 1000, "{what}: the deep page has users ({total})");
            assert_eq!(first.len() + deep.len(), total as usize, "{what}");
            let order: Vec<String> = first.iter().chain(&deep).cloned().collect();
            let mut all = order.clone();
            all.sort();
            all.dedup();
            assert_eq!(all.len(), total as usize, "{what}: every match once");
            assert_eq!(middle[..50], order[950..1000], "{what}: before 1000");
            assert_eq!(middle[50..], order[1000..1050], "{what}: after 1000");
            assert_eq!(tail[..], order[1010..1060], "{what}: deep slice");
        }
    }
}

/// `offset`/`limit` select a slice after sorting; `total` counts every match whatever the
/// page, also past the end and with filters.
pub async fn pages_with_offset_limit_and_total<S: Stores>(store: S) {
    let names = ["p1", "p2", "p3", "p4", "p5", "q6", "q7"];
    for name in names {
        create(&store, new_user(name)).await;
    }
    let page = |limit: u32, offset: u64, filters, order| UserQuery {
        filter: FilterExpr::all_of(filters),
        sort: order,
        page: PageRequest::new(limit, offset),
    };
    let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let by_id = SortOrder::default;
    assert_eq!(
        listed(&store, &page(3, 0, vec![], by_id())).await,
        (strings(&names[0..3]), 7)
    );
    assert_eq!(
        listed(&store, &page(3, 3, vec![], by_id())).await,
        (strings(&names[3..6]), 7)
    );
    assert_eq!(
        listed(&store, &page(3, 6, vec![], by_id())).await,
        (strings(&names[6..]), 7)
    );
    assert_eq!(
        listed(&store, &page(3, 7, vec![], by_id())).await,
        (vec![], 7)
    );
    assert_eq!(
        listed(&store, &page(3, 1_000, vec![], by_id())).await,
        (vec![], 7)
    );
    assert_eq!(
        listed(&store, &page(1000, 0, vec![], by_id())).await,
        (strings(&names), 7)
    );
    let desc = sort(&[(UserField::Username, Direction::Desc)]);
    assert_eq!(
        listed(&store, &page(2, 1, vec![], desc)).await,
        (strings(&["q6", "p5"]), 7)
    );
    let only_p = || vec![filter(UserField::Username, Condition::Like("p%".into()))];
    assert_eq!(
        listed(&store, &page(2, 2, only_p(), by_id())).await,
        (strings(&["p3", "p4"]), 5)
    );
    assert_eq!(
        listed(&store, &page(2, 4, only_p(), by_id())).await,
        (strings(&["p5"]), 5)
    );
    assert_eq!(
        listed(&store, &page(2, 6, only_p(), by_id())).await,
        (vec![], 5)
    );
    let none = vec![filter(UserField::Username, Condition::Eq(text("zz")))];
    assert_eq!(
        listed(&store, &page(2, 0, none, by_id())).await,
        (vec![], 0)
    );
}

/// A query at exactly every bound of [`crate::listing`] (32 filters, `In`/`NotIn` lists of 100
/// integers, texts, timestamps and booleans, values and patterns of 256 characters, some of
/// them two-byte, escaped substrings of 256 wildcards, 8 sort keys) is served, with the same
/// results as any smaller query: a store never fails on a query the listing parsers accept.
pub async fn queries_at_every_bound_are_served<S: Stores>(store: S) {
    for (name, mail) in [
        ("alice", Some("alice@x.org")),
        ("bob", Some("bob@x.org")),
        ("mike", None),
        ("eve", Some("eve@x.org")),
    ] {
        create(
            &store,
            NewUser {
                email: mail.map(email),
                ..new_user(name)
            },
        )
        .await;
    }
    let long = |c: &str| c.repeat(MAX_VALUE_LENGTH);
    let numbers: Vec<String> = (1..=MAX_LIST_VALUES).map(|i| i.to_string()).collect();
    let long_names: Vec<String> = (0..MAX_LIST_VALUES)
        .map(|i| format!("{i:03}{}", "é".repeat(MAX_VALUE_LENGTH - 3)))
        .collect();
    let instants: Vec<String> = (0..MAX_LIST_VALUES)
        .map(|i| format!("{}-01-01T00:00:00.000001Z", 1900 + i))
        .collect();
    let list = |field, raw: &[String]| {
        parse_list(field, raw.iter().map(String::as_str)).expect("a list at the cap")
    };
    let mut pattern = "%".repeat(MAX_VALUE_LENGTH - 1);
    pattern.push('E');
    let mut filters = Vec::new();
    for _ in 0..6 {
        filters.extend([
            filter(UserField::Id, Condition::In(list(UserField::Id, &numbers))),
            filter(
                UserField::Username,
                Condition::NotIn(list(UserField::Username, &long_names)),
            ),
            filter(
                UserField::Username,
                Condition::Like(parse_pattern(UserField::Username, &pattern).expect("pattern")),
            ),
            filter(
                UserField::Email,
                Condition::Ne(parse_value(UserField::Email, &long("e")).expect("value")),
            ),
        ]);
    }
    for _ in 0..4 {
        filters.extend([
            filter(
                UserField::CreatedAt,
                Condition::NotIn(list(UserField::CreatedAt, &instants)),
            ),
            filter(
                UserField::Enabled,
                Condition::In(list(
                    UserField::Enabled,
                    &vec!["1".to_owned(); MAX_LIST_VALUES],
                )),
            ),
        ]);
    }
    assert_eq!(filters.len(), MAX_FILTERS);
    use Direction::{Asc, Desc};
    let keys = [
        (UserField::Email, Desc),
        (UserField::Username, Asc),
        (UserField::CreatedAt, Asc),
        (UserField::IsAdmin, Desc),
        (UserField::Enabled, Asc),
        (UserField::UserId, Asc),
        (UserField::GroupId, Desc),
        (UserField::ExternalId, Asc),
    ];
    assert_eq!(keys.len(), MAX_SORT_KEYS);
    let query = UserQuery::new(
        filters,
        sort(&keys),
        PageRequest::new(PageRequest::MAX_LIMIT, 0),
    )
    .expect("a query at the bounds");
    let expected = (vec!["eve".to_owned(), "alice".to_owned()], 2);
    assert_eq!(listed(&store, &query).await, expected);

    // Escaped substrings of 256 wildcards (514 pattern characters) and patterns of 256
    // two-byte characters: nothing stored is that long, so nothing matches.
    let mut filters: Vec<Filter> = Vec::new();
    for i in 0..MAX_FILTERS {
        filters.push(match i % 4 {
            0 => contains_filter(UserField::Username, &long("%")).expect("contains"),
            1 => contains_filter(UserField::Email, &long("_")).expect("contains"),
            2 => filter(
                UserField::ExternalId,
                Condition::NotLike(parse_pattern(UserField::ExternalId, &long("é")).expect("p")),
            ),
            _ => filter(
                UserField::Uuid,
                Condition::Like(
                    parse_pattern(UserField::Uuid, &"\\%".repeat(MAX_VALUE_LENGTH / 2)).expect("p"),
                ),
            ),
        });
    }
    let query = UserQuery::new(filters, SortOrder::default(), PageRequest::first())
        .expect("a query at the bounds");
    assert_eq!(listed(&store, &query).await, (vec![], 0));
    let everyone = contains_filter(UserField::Username, "").expect("contains");
    let query = UserQuery::new(
        vec![everyone; MAX_FILTERS],
        sort(&[(UserField::Username, Desc); MAX_SORT_KEYS]),
        PageRequest::first(),
    )
    .expect("a query at the bounds");
    let expected = (
        ["mike", "eve", "bob", "alice"].map(str::to_owned).to_vec(),
        4,
    );
    assert_eq!(listed(&store, &query).await, expected);
}
