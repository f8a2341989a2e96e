//! User listings compiled to SQL: every [`Condition`] on every [`UserField`], the sort keys
//! with their tie-break, and paging. The same source builds the query for both backends (the
//! [`UserListing`] implementations are generated from one macro); the one difference, where
//! nulls sort, is passed in explicitly.
//!
//! Rules that keep results independent of the backend:
//! - A comparison with a null column matches nothing (SQL semantics); `IsNull`/`IsNotNull`
//!   test for null. An empty `In` list matches nothing; an empty `NotIn` list matches every
//!   non-null value.
//! - `Like`/`NotLike` compare `lower(column)` with a pattern that is lower-cased here, with `\`
//!   as the escape character on both backends (`lower(col) LIKE $1 ESCAPE '\'`). `lower()`
//!   folds ASCII letters only on both backends (PostgreSQL columns use the "C" collation).
//! - A LIKE with a literal run of three or more characters may be narrowed by a trigram
//!   index first (SQLite: the FTS5 table `users_search`, see [`trigram_query`]; PostgreSQL:
//!   its planner uses the `pg_trgm` indexes on the LIKE itself); the LIKE is always applied
//!   to the candidates, so the index changes no result. A LIKE on `source_type`, which has
//!   three values, becomes the list of the values it matches.
//! - Text compares and sorts in byte order (PostgreSQL "C" collation, SQLite BINARY).
//! - Nulls sort first in ascending order and last in descending order: explicit
//!   `NULLS FIRST`/`NULLS LAST` on PostgreSQL, SQLite's own rule (null is smaller than every
//!   value) on SQLite.

use crate::schema::users;
use crate::timestamp::DbTimestamp;
use diesel::backend::Backend;
use diesel::expression::BoxableExpression;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};
use diesel::sqlite::Sqlite;
use rollcall_domain::listing::{
    Condition, Direction, Filter, FilterExpr, FilterValue, SortKey, UserField, like_matches,
};
use rollcall_domain::ports::BackendError;
use rollcall_domain::values::SourceType;

diesel::define_sql_function! {
    /// SQL `lower(text)`.
    fn lower(text: Text) -> Text;
}

diesel::define_sql_function! {
    /// SQL `coalesce(condition, fallback)` on a condition: its value, or `fallback` when it
    /// is null.
    #[sql_name = "coalesce"]
    fn coalesce_condition(condition: Nullable<Bool>, fallback: Bool) -> Bool;
}

diesel::define_sql_function! {
    /// SQL `lower(text)` on a nullable column.
    #[sql_name = "lower"]
    fn lower_nullable(text: Nullable<Text>) -> Nullable<Text>;
}

/// One filter as a boxed SQL condition on `users`.
pub(crate) type UserPredicate<DB> =
    Box<dyn BoxableExpression<users::table, DB, SqlType = Nullable<Bool>>>;

/// Builds the parts of a user listing for one backend.
pub(crate) trait UserListing: Backend + Sized {
    /// The SQL condition of one filter.
    ///
    /// # Errors
    /// [`BackendError::Internal`] when a value's type does not match its field (the listing
    /// parsers never produce that).
    fn predicate(filter: &Filter) -> Result<UserPredicate<Self>, BackendError>;

    /// The SQL condition of a filter expression: its filters as [`predicate`](Self::predicate)
    /// builds them, joined with `AND` and `OR`; a `Not` negates its operand with null read as
    /// false (`NOT coalesce(operand, false)`), so that the logic stays two-valued as the
    /// domain defines it, and a trigram narrowing (false where the LIKE is null) changes no
    /// result even under a negation.
    ///
    /// # Errors
    /// As [`predicate`](Self::predicate).
    fn expression(expr: &FilterExpr) -> Result<UserPredicate<Self>, BackendError>;

    /// Appends the sort keys, in order, to `query`.
    fn order_by<'a>(
        query: users::BoxedQuery<'a, Self>,
        keys: &[SortKey],
    ) -> users::BoxedQuery<'a, Self>;
}

/// Rewrites a LIKE pattern (`%`, `_`, `\` escapes) into the canonical form that both backends
/// read alike: literal characters lower-cased (ASCII only, as SQL's `lower()` does) and
/// escaped when they are `%`, `_` or `\`; a trailing lone `\` becomes a literal backslash
/// (PostgreSQL would otherwise refuse the pattern).
pub(crate) fn like_pattern(raw: &str) -> String {
    fn literal(out: &mut String, c: char) {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c.to_ascii_lowercase());
    }
    let mut out = String::with_capacity(raw.len() + 2);
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' | '_' => out.push(c),
            '\\' => literal(&mut out, chars.next().unwrap_or('\\')),
            c => literal(&mut out, c),
        }
    }
    out
}

/// For a canonical pattern ([`like_pattern`]) that starts with literal text, the range of
/// strings starting with it, `[prefix, successor)`: every string the pattern matches lies in
/// it (text compares by bytes on both backends, and UTF-8 bytes order as code points do), so
/// adding the range to the LIKE changes no result while letting an index on the lowered
/// column find the candidates. `None` when the pattern starts with a wildcard.
pub(crate) fn prefix_range(pattern: &str) -> Option<(String, String)> {
    let mut prefix = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' | '_' => break,
            '\\' => prefix.push(chars.next()?),
            c => prefix.push(c),
        }
    }
    let last = prefix.chars().next_back()?;
    let next = match u32::from(last) + 1 {
        0xD800 => '\u{E000}',
        n => char::from_u32(n)?,
    };
    let mut successor = prefix[..prefix.len() - last.len_utf8()].to_owned();
    successor.push(next);
    Some((prefix, successor))
}

/// Characters in a trigram: an index of trigrams can narrow a pattern only through a literal
/// run at least this long.
const TRIGRAM: usize = 3;

/// The literal runs of a canonical pattern ([`like_pattern`]), in order: the text between its
/// wildcards, with escapes resolved.
fn literal_runs(pattern: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut run = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' | '_' => runs.push(std::mem::take(&mut run)),
            '\\' => run.extend(chars.next()),
            c => run.push(c),
        }
    }
    runs.push(run);
    runs.retain(|run| !run.is_empty());
    runs
}

/// The text a canonical pattern ([`like_pattern`]) matches when it has no wildcard: then the
/// LIKE is an equality on the lowered column, which every backend answers from the index on
/// it (PostgreSQL also plans it in a tenth of the time it takes to weigh a LIKE against the
/// trigram indexes: 0.15 against 4 ms on 300,000 users). `None` when it has a wildcard.
pub(crate) fn exact_text(pattern: &str) -> Option<String> {
    let mut text = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' | '_' => return None,
            '\\' => text.extend(chars.next()),
            c => text.push(c),
        }
    }
    Some(text)
}

/// The FTS5 query on the trigram table `users_search` that finds, in `column`, every row whose
/// lowered value the canonical `pattern` can match: each literal run of three or more
/// characters must occur in it. It may find more (FTS5 folds case beyond ASCII, and does not
/// check the runs' order or the wildcards): it only narrows, and the LIKE decides. `None` when
/// it would not help: no such run, or a literal prefix of three or more characters, whose
/// range on the lowered column's index ([`prefix_range`]) is the faster way in.
pub(crate) fn trigram_query(column: &str, pattern: &str) -> Option<String> {
    let long = |run: &String| run.chars().count() >= TRIGRAM;
    let starts_literal = !pattern.starts_with(['%', '_']);
    let runs = literal_runs(pattern);
    if starts_literal && runs.first().is_some_and(long) {
        return None;
    }
    let phrases: Vec<String> = runs
        .iter()
        .filter(|run| long(run))
        .map(|run| format!("{column} : \"{}\"", run.replace('"', "\"\"")))
        .collect();
    (!phrases.is_empty()).then(|| phrases.join(" AND "))
}

/// SQLite's narrowing of a LIKE on `column`: its rows in the trigram table.
fn sqlite_trigram_search(column: &str, pattern: &str) -> Option<UserPredicate<Sqlite>> {
    let query = trigram_query(column, pattern)?;
    Some(Box::new(
        diesel::dsl::sql::<Nullable<Bool>>(
            "`users`.`id` IN (SELECT rowid FROM users_search WHERE users_search MATCH ",
        )
        .bind::<Text, _>(query)
        .sql(")"),
    ))
}

/// PostgreSQL needs no narrowing: its planner reads the LIKE through the trigram indexes.
#[allow(clippy::unnecessary_wraps)]
fn no_trigram_search(_column: &str, _pattern: &str) -> Option<UserPredicate<Pg>> {
    None
}

/// A LIKE or NOT LIKE on `source_type` as the list of its values that the pattern matches
/// (the same rule, [`like_matches`], that the contract gives every backend), so that an index
/// on the column serves it; other conditions unchanged.
fn source_type_condition(condition: &Condition) -> std::borrow::Cow<'_, Condition> {
    let matching = |pattern: &str| -> Vec<FilterValue> {
        SourceType::ALL
            .iter()
            .filter(|t| like_matches(pattern, t.as_str()))
            .map(|t| FilterValue::Text(t.as_str().to_owned()))
            .collect()
    };
    match condition {
        Condition::Like(p) => std::borrow::Cow::Owned(Condition::In(matching(p))),
        Condition::NotLike(p) => std::borrow::Cow::Owned(Condition::NotIn(matching(p))),
        other => std::borrow::Cow::Borrowed(other),
    }
}

fn mismatch(field: UserField, value: &FilterValue) -> BackendError {
    BackendError::Internal(format!(
        "filter on {field}: {value:?} does not have the field's type"
    ))
}

fn integer(field: UserField, value: &FilterValue) -> Result<i64, BackendError> {
    match value {
        FilterValue::Integer(v) => Ok(*v),
        other => Err(mismatch(field, other)),
    }
}

fn text(field: UserField, value: &FilterValue) -> Result<String, BackendError> {
    match value {
        FilterValue::Text(v) => Ok(v.clone()),
        other => Err(mismatch(field, other)),
    }
}

fn boolean(field: UserField, value: &FilterValue) -> Result<bool, BackendError> {
    match value {
        FilterValue::Boolean(v) => Ok(*v),
        other => Err(mismatch(field, other)),
    }
}

fn timestamp(field: UserField, value: &FilterValue) -> Result<DbTimestamp, BackendError> {
    match value {
        FilterValue::Timestamp(v) => Ok(DbTimestamp::new(*v)),
        other => Err(mismatch(field, other)),
    }
}

fn values<T>(
    field: UserField,
    values: &[FilterValue],
    convert: fn(UserField, &FilterValue) -> Result<T, BackendError>,
) -> Result<Vec<T>, BackendError> {
    values.iter().map(|v| convert(field, v)).collect()
}

/// The condition on one column, for every condition but the LIKEs.
macro_rules! compare {
    ($db:ty, $field:expr, $column:expr, $condition:expr, $convert:ident) => {{
        let field = $field;
        let column = $column;
        let predicate: UserPredicate<$db> = match $condition {
            Condition::Eq(v) => Box::new(column.eq($convert(field, v)?).nullable()),
            Condition::Ne(v) => Box::new(column.ne($convert(field, v)?).nullable()),
            Condition::Gt(v) => Box::new(column.gt($convert(field, v)?).nullable()),
            Condition::Ge(v) => Box::new(column.ge($convert(field, v)?).nullable()),
            Condition::Lt(v) => Box::new(column.lt($convert(field, v)?).nullable()),
            Condition::Le(v) => Box::new(column.le($convert(field, v)?).nullable()),
            Condition::In(vs) if vs.is_empty() => Box::new(false.into_sql::<Nullable<Bool>>()),
            Condition::In(vs) => Box::new(column.eq_any(values(field, vs, $convert)?).nullable()),
            Condition::NotIn(vs) if vs.is_empty() => Box::new(column.is_not_null().nullable()),
            Condition::NotIn(vs) => {
                Box::new(column.ne_all(values(field, vs, $convert)?).nullable())
            }
            Condition::IsNull => Box::new(column.is_null().nullable()),
            Condition::IsNotNull => Box::new(column.is_not_null().nullable()),
            Condition::Like(_) | Condition::NotLike(_) => {
                return Err(BackendError::Internal(format!(
                    "filter on {field}: LIKE applies to text fields only"
                )));
            }
        };
        predicate
    }};
}

/// The condition on one text column: LIKEs on the lower-cased column (narrowed by
/// `$search`, the backend's trigram search of column `$name`, where it helps), the rest as
/// [`compare!`].
macro_rules! compare_text {
    ($db:ty, $field:expr, $column:expr, $lower:ident, $condition:expr) => {
        compare_text!($db, $field, $column, $lower, $condition, |_: &str| None)
    };
    ($db:ty, $field:expr, $column:expr, $lower:ident, $condition:expr, $search:expr) => {{
        let predicate: UserPredicate<$db> = match $condition {
            Condition::Like(p) => {
                let pattern = like_pattern(p);
                match exact_text(&pattern) {
                    // No wildcard: an equality, which the index on the lowered column serves.
                    Some(text) => Box::new($lower($column).eq(text).nullable()),
                    None => {
                        let like = $lower($column)
                            .like(pattern.clone())
                            .escape('\\')
                            .nullable();
                        let search: Option<UserPredicate<$db>> = $search(&pattern);
                        match (search, prefix_range(&pattern)) {
                            // The same LIKE, on the candidates of the trigram index.
                            (Some(search), _) => Box::new(search.and(like)),
                            // The same LIKE, behind a range on the lowered column that an index on
                            // it can serve.
                            (None, Some((from, to))) => Box::new(
                                $lower($column)
                                    .ge(from)
                                    .nullable()
                                    .and($lower($column).lt(to).nullable())
                                    .and(like),
                            ),
                            (None, None) => Box::new(like),
                        }
                    }
                }
            }
            Condition::NotLike(p) => Box::new(
                $lower($column)
                    .not_like(like_pattern(p))
                    .escape('\\')
                    .nullable(),
            ),
            other => compare!($db, $field, $column, other, text),
        };
        predicate
    }};
}

/// Appends one sort key on a column; nullable columns take the backend's null placement.
macro_rules! sort {
    ($query:expr, $column:expr, $direction:expr) => {
        match $direction {
            Direction::Asc => $query.then_order_by($column.asc()),
            Direction::Desc => $query.then_order_by($column.desc()),
        }
    };
    ($query:expr, $column:expr, $direction:expr, nullable, $asc:path, $desc:path) => {
        match $direction {
            Direction::Asc => $query.then_order_by($asc($column)),
            Direction::Desc => $query.then_order_by($desc($column)),
        }
    };
}

/// Implements [`UserListing`] for a backend; `$asc`/`$desc` order a nullable column with
/// nulls first when ascending and last when descending.
macro_rules! impl_user_listing {
    ($db:ty, $asc:path, $desc:path, $search:path) => {
        impl UserListing for $db {
            fn predicate(filter: &Filter) -> Result<UserPredicate<Self>, BackendError> {
                let field = filter.field;
                let condition = &filter.condition;
                Ok(match field {
                    UserField::Id => compare!($db, field, users::id, condition, integer),
                    UserField::Uuid => compare_text!(
                        $db,
                        field,
                        users::uuid,
                        lower,
                        condition,
                        |p: &str| $search("uuid", p)
                    ),
                    UserField::Username => {
                        compare_text!($db, field, users::username, lower, condition, |p: &str| {
                            $search("username", p)
                        })
                    }
                    UserField::Email => compare_text!(
                        $db,
                        field,
                        users::email,
                        lower_nullable,
                        condition,
                        |p: &str| $search("email", p)
                    ),
                    UserField::ExternalId => compare_text!(
                        $db,
                        field,
                        users::external_id,
                        lower_nullable,
                        condition,
                        |p: &str| $search("external_id", p)
                    ),
                    UserField::SourceType => compare_text!(
                        $db,
                        field,
                        users::source_type,
                        lower,
                        source_type_condition(condition).as_ref()
                    ),
                    UserField::IsAdmin => compare!($db, field, users::is_admin, condition, boolean),
                    UserField::Enabled => compare!($db, field, users::enabled, condition, boolean),
                    UserField::UserId => compare!($db, field, users::posix_uid, condition, integer),
                    UserField::GroupId => {
                        compare!($db, field, users::posix_gid, condition, integer)
                    }
                    UserField::CreatedAt => {
                        compare!($db, field, users::created_at, condition, timestamp)
                    }
                    UserField::UpdatedAt => {
                        compare!($db, field, users::updated_at, condition, timestamp)
                    }
                    UserField::ExpiredAt => {
                        compare!($db, field, users::expired_at, condition, timestamp)
                    }
                    UserField::FirstName => {
                        compare_text!($db, field, users::first_name, lower_nullable, condition)
                    }
                    UserField::LastName => {
                        compare_text!($db, field, users::last_name, lower_nullable, condition)
                    }
                    UserField::Language => {
                        compare_text!($db, field, users::language, lower, condition)
                    }
                })
            }

            fn expression(expr: &FilterExpr) -> Result<UserPredicate<Self>, BackendError> {
                Ok(match expr {
                    FilterExpr::Test(filter) => Self::predicate(filter)?,
                    FilterExpr::All(operands) => {
                        let mut joined: UserPredicate<Self> =
                            Box::new(true.into_sql::<Nullable<Bool>>());
                        for (i, operand) in operands.iter().enumerate() {
                            let next = Self::expression(operand)?;
                            joined = if i == 0 {
                                next
                            } else {
                                Box::new(joined.and(next))
                            };
                        }
                        joined
                    }
                    FilterExpr::Any(operands) => {
                        let mut joined: UserPredicate<Self> =
                            Box::new(false.into_sql::<Nullable<Bool>>());
                        for (i, operand) in operands.iter().enumerate() {
                            let next = Self::expression(operand)?;
                            joined = if i == 0 {
                                next
                            } else {
                                Box::new(joined.or(next))
                            };
                        }
                        joined
                    }
                    FilterExpr::Not(operand) => Box::new(
                        diesel::dsl::not(coalesce_condition(Self::expression(operand)?, false))
                            .nullable(),
                    ),
                })
            }

            fn order_by<'a>(
                mut query: users::BoxedQuery<'a, Self>,
                keys: &[SortKey],
            ) -> users::BoxedQuery<'a, Self> {
                for key in keys {
                    let d = key.direction;
                    query = match key.field {
                        UserField::Id => sort!(query, users::id, d),
                        UserField::Uuid => sort!(query, users::uuid, d),
                        UserField::Username => sort!(query, users::username, d),
                        UserField::Email => sort!(query, users::email, d, nullable, $asc, $desc),
                        UserField::ExternalId => {
                            sort!(query, users::external_id, d, nullable, $asc, $desc)
                        }
                        UserField::SourceType => sort!(query, users::source_type, d),
                        UserField::IsAdmin => sort!(query, users::is_admin, d),
                        UserField::Enabled => sort!(query, users::enabled, d),
                        UserField::UserId => {
                            sort!(query, users::posix_uid, d, nullable, $asc, $desc)
                        }
                        UserField::GroupId => {
                            sort!(query, users::posix_gid, d, nullable, $asc, $desc)
                        }
                        UserField::CreatedAt => sort!(query, users::created_at, d),
                        UserField::UpdatedAt => sort!(query, users::updated_at, d),
                        UserField::ExpiredAt => {
                            sort!(query, users::expired_at, d, nullable, $asc, $desc)
                        }
                        UserField::FirstName => {
                            sort!(query, users::first_name, d, nullable, $asc, $desc)
                        }
                        UserField::LastName => {
                            sort!(query, users::last_name, d, nullable, $asc, $desc)
                        }
                        UserField::Language => sort!(query, users::language, d),
                    };
                }
                query
            }
        }
    };
}

/// PostgreSQL sorts nulls last when ascending: say where they go.
mod postgres_nulls {
    use diesel::dsl;
    use diesel::prelude::*;

    /// `col ASC NULLS FIRST`.
    pub(super) fn asc<E: ExpressionMethods>(column: E) -> dsl::NullsFirst<dsl::Asc<E>> {
        column.asc().nulls_first()
    }

    /// `col DESC NULLS LAST`.
    pub(super) fn desc<E: ExpressionMethods>(column: E) -> dsl::NullsLast<dsl::Desc<E>> {
        column.desc().nulls_last()
    }
}

/// SQLite already treats null as smaller than every value: nulls come first when ascending
/// and last when descending.
mod sqlite_nulls {
    use diesel::dsl;
    use diesel::prelude::*;

    /// `col ASC` (nulls first).
    pub(super) fn asc<E: ExpressionMethods>(column: E) -> dsl::Asc<E> {
        column.asc()
    }

    /// `col DESC` (nulls last).
    pub(super) fn desc<E: ExpressionMethods>(column: E) -> dsl::Desc<E> {
        column.desc()
    }
}

impl_user_listing!(
    Pg,
    postgres_nulls::asc,
    postgres_nulls::desc,
    no_trigram_search
);
impl_user_listing!(
    Sqlite,
    sqlite_nulls::asc,
    sqlite_nulls::desc,
    sqlite_trigram_search
);

/// Saturating conversion of a page's offset to SQL's `OFFSET`.
pub(crate) fn sql_offset(offset: u64) -> i64 {
    i64::try_from(offset).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_are_canonical() {
        assert_eq!(like_pattern("Al%"), "al%");
        assert_eq!(like_pattern("a_B"), "a_b");
        assert_eq!(like_pattern(r"50\%"), r"50\%");
        assert_eq!(like_pattern(r"a\b"), "ab");
        assert_eq!(like_pattern(r"a\\b"), r"a\\b");
        assert_eq!(like_pattern("ends\\"), r"ends\\");
        assert_eq!(like_pattern("ÉCOLE%"), "École%", "only ASCII letters fold");
    }

    #[test]
    fn a_literal_prefix_gives_the_range_of_its_strings() {
        let range = |p: &str| prefix_range(&like_pattern(p));
        assert_eq!(range("User99%"), Some(("user99".into(), "user9:".into())));
        assert_eq!(range("bob"), Some(("bob".into(), "boc".into())));
        assert_eq!(range("a_c"), Some(("a".into(), "b".into())));
        // Escaped wildcards and backslashes are literal text of the prefix.
        assert_eq!(range(r"50\%off%"), Some(("50%off".into(), "50%ofg".into())));
        assert_eq!(range(r"a\\%"), Some((r"a\".into(), "a]".into())));
        assert_eq!(range("Zoé%"), Some(("zoé".into(), "zoê".into())));
        assert_eq!(
            range("\u{d7ff}%"),
            Some(("\u{d7ff}".into(), "\u{e000}".into()))
        );
        assert_eq!(range("\u{10ffff}%"), None, "no successor: no range");
        assert_eq!(range("%bob"), None);
        assert_eq!(range("_ob"), None);
        assert_eq!(range(""), None);
        // Every string the pattern matches lies in the range.
        for (pattern, text) in [
            ("user99%", "user99"),
            ("user99%", "user990000"),
            ("a_c", "abc"),
        ] {
            let (from, to) = range(pattern).unwrap();
            assert!(
                from.as_str() <= text && text < to.as_str(),
                "{pattern} {text}"
            );
        }
    }

    #[test]
    fn a_pattern_without_wildcards_is_its_text() {
        let exact = |p: &str| exact_text(&like_pattern(p));
        assert_eq!(exact("USER7"), Some("user7".into()));
        assert_eq!(exact(r"50\%off"), Some("50%off".into()));
        assert_eq!(exact(r"a\_b\\"), Some(r"a_b\".into()));
        assert_eq!(exact(""), Some(String::new()));
        assert_eq!(exact("a%"), None);
        assert_eq!(exact("a_c"), None);
        use diesel::debug_query;
        let filter = Filter {
            field: UserField::Username,
            condition: Condition::Like("Ann".into()),
        };
        let query = users::table
            .into_boxed::<Pg>()
            .filter(<Pg as UserListing>::predicate(&filter).unwrap());
        let sql = debug_query::<Pg, _>(&query).to_string();
        assert!(sql.contains("lower(\"users\".\"username\") = $1"), "{sql}");
        assert!(!sql.contains("LIKE"), "{sql}");
    }

    #[test]
    fn trigram_queries_need_a_literal_run_of_three_and_no_long_prefix() {
        let query = |p: &str| trigram_query("email", &like_pattern(p));
        assert_eq!(query("%999%"), Some(r#"email : "999""#.into()));
        assert_eq!(
            query("%ab%Cde%fgh_ij"),
            Some(r#"email : "cde" AND email : "fgh""#.into())
        );
        assert_eq!(
            query(r#"%say "hi"%"#),
            Some(r#"email : "say ""hi""""#.into())
        );
        assert_eq!(query(r"%50\%off%"), Some(r#"email : "50%off""#.into()));
        assert_eq!(query("%éÉé%"), Some(r#"email : "éÉé""#.into()));
        assert_eq!(
            query("ab%999%"),
            Some(r#"email : "999""#.into()),
            "short prefix"
        );
        assert_eq!(query("user99%"), None, "the prefix range serves it");
        assert_eq!(query("%99%9_9%"), None, "no run of three");
        assert_eq!(query("%"), None);
        assert_eq!(query(""), None);
    }

    #[test]
    fn sqlite_narrows_a_like_through_the_trigram_table_and_keeps_the_like() {
        use diesel::debug_query;
        let filter = Filter {
            field: UserField::Email,
            condition: Condition::Like("%999%".into()),
        };
        let query = users::table
            .into_boxed::<Sqlite>()
            .filter(<Sqlite as UserListing>::predicate(&filter).unwrap());
        let sql = debug_query::<Sqlite, _>(&query).to_string();
        assert!(sql.contains("users_search MATCH ?"), "{sql}");
        assert!(sql.contains("LIKE ? ESCAPE ?"), "{sql}");
        let query = users::table
            .into_boxed::<Pg>()
            .filter(<Pg as UserListing>::predicate(&filter).unwrap());
        let sql = debug_query::<Pg, _>(&query).to_string();
        assert!(!sql.contains("users_search"), "{sql}");
    }

    #[test]
    fn a_like_on_source_type_is_the_list_of_the_values_it_matches() {
        let values = |c: &Condition| match source_type_condition(c).into_owned() {
            Condition::In(vs) | Condition::NotIn(vs) => vs,
            other => panic!("{other:?}"),
        };
        let text = |v: &str| FilterValue::Text(v.into());
        assert_eq!(
            values(&Condition::Like("CLI%".into())),
            [text("cli_linux_multi_user"), text("cli_ldap")]
        );
        assert_eq!(values(&Condition::NotLike("%zzz%".into())), []);
        assert!(matches!(
            source_type_condition(&Condition::NotLike("web%".into())).into_owned(),
            Condition::NotIn(_)
        ));
        let eq = Condition::Eq(text("web_app"));
        assert_eq!(source_type_condition(&eq).into_owned(), eq);
    }

    #[test]
    fn sql_is_the_same_on_both_backends_but_for_null_placement() {
        use diesel::debug_query;
        let filter = Filter {
            field: UserField::Email,
            condition: Condition::Like("%@X.org".into()),
        };
        let pg = <Pg as UserListing>::order_by(
            users::table
                .into_boxed::<Pg>()
                .filter(<Pg as UserListing>::predicate(&filter).unwrap()),
            &[SortKey {
                field: UserField::Email,
                direction: Direction::Asc,
            }],
        );
        let sql = debug_query::<Pg, _>(&pg).to_string();
        assert!(
            sql.contains("lower(\"users\".\"email\") LIKE $1 ESCAPE $2"),
            "{sql}"
        );
        assert!(sql.contains("NULLS FIRST"), "{sql}");
        assert!(sql.contains("%@x.org"), "{sql}");
        let sqlite = <Sqlite as UserListing>::order_by(
            users::table
                .into_boxed::<Sqlite>()
                .filter(<Sqlite as UserListing>::predicate(&filter).unwrap()),
            &[SortKey {
                field: UserField::Email,
                direction: Direction::Asc,
            }],
        );
        let sql = debug_query::<Sqlite, _>(&sqlite).to_string();
        assert!(
            sql.contains("lower(`users`.`email`) LIKE ? ESCAPE ?"),
            "{sql}"
        );
        assert!(!sql.contains("NULLS"), "{sql}");
    }
}
