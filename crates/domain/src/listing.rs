//! Listing: page requests in both styles, user filters with the Nodeum operators, sort orders,
//! and the parsers every HTTP family shares.
//!
//! # Bounds
//!
//! One listing may ask for a bounded amount of work, whatever the family: at most
//! [`MAX_FILTERS`] filters, nested at most [`MAX_FILTER_DEPTH`] deep, and [`MAX_SORT_KEYS`]
//! sort keys ([`UserQuery::new`] and [`UserQuery::matching`] check them),
//! at most [`MAX_LIST_VALUES`] values in an `In`/`NotIn` list ([`parse_list`]) and at most
//! [`MAX_VALUE_LENGTH`] characters in any value or pattern as the client wrote it
//! ([`parse_value`], [`parse_pattern`], [`contains_filter`]). Every family builds its queries
//! through these functions, so a refusal is the same everywhere and happens before any store
//! sees the query; the storage contract kit checks that every store serves a query at exactly
//! these bounds.
//!
//! The values sit far below what breaks a backend (measured on SQLite 3 as bundled and on
//! PostgreSQL): SQLite refuses more than 998 filters (expression depth 1000), LIKE patterns
//! over 50,000 bytes and statements with more than 32,766 bound values; diesel's query
//! builder overflows the stack at a few thousand filters and walks sort keys in time that
//! doubles with each key (32 keys never finish).

use crate::values::Violation;
use chrono::{DateTime, Utc};
use std::fmt;

/// The most filters one listing may carry. A client has 12 filterable fields in v2 and 4 in
/// the application family; 32 leaves room for ranges and repeats, thirty times below
/// SQLite's expression depth.
pub const MAX_FILTERS: usize = 32;

/// The most sort keys one listing may carry. Ties are already broken by id, so more keys
/// cannot be needed, and diesel's work doubles with each key (8 keys: about 2 ms).
pub const MAX_SORT_KEYS: usize = 8;

/// The most values in one `><`/`!><` list. With [`MAX_FILTERS`] lists that is 3,200 bound
/// values, a tenth of SQLite's limit per statement.
pub const MAX_LIST_VALUES: usize = 100;

/// The most characters in one filter value or pattern, as the client wrote it. No stored text
/// is longer than 191 characters, so a longer value can never be needed to match; escaped and
/// wrapped in `%`, a pattern stays under 2.1 KB, against SQLite's 50,000-byte LIKE limit.
pub const MAX_VALUE_LENGTH: usize = 256;

/// One page of a listing: how many rows and how many to skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    limit: u32,
    offset: u64,
}

/// Why a page request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// `limit` below 1.
    #[error("limit must be greater than or equal to 1")]
    LimitTooSmall,
    /// `offset` below 0.
    #[error("offset must be greater than or equal to 0")]
    NegativeOffset,
    /// `per_page` below 1.
    #[error("per_page must be at least 1")]
    PerPageTooSmall,
    /// Not a number.
    #[error("{0} must be an integer")]
    NotANumber(&'static str),
}

impl PageRequest {
    /// Default page size in both styles.
    pub const DEFAULT_LIMIT: u32 = 50;
    /// Largest page; larger requests clamp to it.
    pub const MAX_LIMIT: u32 = 1000;

    /// A page of `limit` rows after `offset` rows, `limit` clamped to 1..=1000.
    pub fn new(limit: u32, offset: u64) -> Self {
        Self {
            limit: limit.clamp(1, Self::MAX_LIMIT),
            offset,
        }
    }

    /// The first page of the default size.
    pub fn first() -> Self {
        Self::new(Self::DEFAULT_LIMIT, 0)
    }

    /// The `limit`/`offset` style (v2): default 50, above 1000 clamps, below 1 is refused,
    /// a negative offset is refused.
    ///
    /// # Errors
    /// [`PageError`] naming the bad parameter.
    pub fn from_limit_offset(limit: Option<&str>, offset: Option<&str>) -> Result<Self, PageError> {
        let limit = parse_int(limit, "limit")?.unwrap_or(i64::from(Self::DEFAULT_LIMIT));
        let offset = parse_int(offset, "offset")?.unwrap_or(0);
        if limit < 1 {
            return Err(PageError::LimitTooSmall);
        }
        let offset = u64::try_from(offset).map_err(|_| PageError::NegativeOffset)?;
        Ok(Self::new(clamp_limit(limit), offset))
    }

    /// The `page`/`per_page` style (application): `page` below 1 reads as 1, `per_page`
    /// default 50, above 1000 clamps, below 1 is refused.
    ///
    /// # Errors
    /// [`PageError`] naming the bad parameter.
    pub fn from_page(page: Option<&str>, per_page: Option<&str>) -> Result<Self, PageError> {
        let page = parse_int(page, "page")?.unwrap_or(1).max(1);
        let per_page = parse_int(per_page, "per_page")?.unwrap_or(i64::from(Self::DEFAULT_LIMIT));
        if per_page < 1 {
            return Err(PageError::PerPageTooSmall);
        }
        let per_page = clamp_limit(per_page);
        let page = u64::try_from(page).unwrap_or(1);
        Ok(Self::new(
            per_page,
            (page - 1).saturating_mul(u64::from(per_page)),
        ))
    }

    /// Rows per page in the `startIndex`/`count` style when the request names no `count`.
    pub const DEFAULT_COUNT: u32 = 100;

    /// The `startIndex`/`count` style (SCIM, RFC 7644 §3.4.2.4): `startIndex` is 1-based and
    /// below 1 reads as 1; `count` defaults to [`Self::DEFAULT_COUNT`], below 0 reads as 0 and
    /// above 1000 as 1000. Returns the page and how many of its rows to show: none when
    /// `count` is 0 (the answer is the total alone; the page then asks for one row, the
    /// smallest a store serves).
    ///
    /// # Errors
    /// [`PageError::NotANumber`] naming `startIndex` or `count`.
    pub fn from_start_index(
        start_index: Option<&str>,
        count: Option<&str>,
    ) -> Result<(Self, u32), PageError> {
        let start_index = parse_int(start_index, "startIndex")?.unwrap_or(1).max(1);
        let count = parse_int(count, "count")?
            .unwrap_or(i64::from(Self::DEFAULT_COUNT))
            .clamp(0, i64::from(Self::MAX_LIMIT));
        let shown = u32::try_from(count).unwrap_or(Self::MAX_LIMIT);
        let offset = u64::try_from(start_index - 1).unwrap_or(0);
        Ok((Self::new(shown.max(1), offset), shown))
    }

    /// The 1-based index of the page's first row (the `startIndex` style).
    pub fn start_index(&self) -> u64 {
        self.offset.saturating_add(1)
    }

    /// Rows per page.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Rows skipped.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The 1-based page number in `page`/`per_page` terms.
    pub fn page_number(&self) -> u64 {
        self.offset / u64::from(self.limit) + 1
    }

    /// How many pages `total` rows fill (at least 1).
    pub fn total_pages(&self, total: u64) -> u64 {
        total.div_ceil(u64::from(self.limit)).max(1)
    }
}

fn clamp_limit(v: i64) -> u32 {
    u32::try_from(v.min(i64::from(PageRequest::MAX_LIMIT))).unwrap_or(PageRequest::MAX_LIMIT)
}

fn parse_int(raw: Option<&str>, name: &'static str) -> Result<Option<i64>, PageError> {
    match raw {
        None => Ok(None),
        Some("") => Ok(None),
        Some(s) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| PageError::NotANumber(name)),
    }
}

/// A page of results and the number of rows matching the query overall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// Rows matching the filters, ignoring paging.
    pub total: u64,
}

/// The user fields that can be filtered or sorted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserField {
    /// `id`
    Id,
    /// `uuid`
    Uuid,
    /// `username`
    Username,
    /// `email`
    Email,
    /// `external_id`
    ExternalId,
    /// `is_admin`
    IsAdmin,
    /// `enabled`
    Enabled,
    /// `source_type`
    SourceType,
    /// `user_id` (POSIX uid)
    UserId,
    /// `group_id` (POSIX gid)
    GroupId,
    /// `created_at`
    CreatedAt,
    /// `updated_at`
    UpdatedAt,
    /// `expired_at`
    ExpiredAt,
    /// `first_name`
    FirstName,
    /// `last_name`
    LastName,
    /// `language`
    Language,
}

/// The type of a field's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Whole numbers.
    Integer,
    /// Text (LIKE applies).
    Text,
    /// Booleans.
    Boolean,
    /// Timestamps.
    Timestamp,
}

impl UserField {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Uuid => "uuid",
            Self::Username => "username",
            Self::Email => "email",
            Self::ExternalId => "external_id",
            Self::IsAdmin => "is_admin",
            Self::Enabled => "enabled",
            Self::SourceType => "source_type",
            Self::UserId => "user_id",
            Self::GroupId => "group_id",
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
            Self::ExpiredAt => "expired_at",
            Self::FirstName => "first_name",
            Self::LastName => "last_name",
            Self::Language => "language",
        }
    }

    /// The type of the field's values.
    pub fn kind(self) -> FieldKind {
        match self {
            Self::Id | Self::UserId | Self::GroupId => FieldKind::Integer,
            Self::Uuid
            | Self::Username
            | Self::Email
            | Self::ExternalId
            | Self::SourceType
            | Self::FirstName
            | Self::LastName
            | Self::Language => FieldKind::Text,
            Self::IsAdmin | Self::Enabled => FieldKind::Boolean,
            Self::CreatedAt | Self::UpdatedAt | Self::ExpiredAt => FieldKind::Timestamp,
        }
    }

    /// True when the field can hold null.
    pub fn is_nullable(self) -> bool {
        matches!(
            self,
            Self::Email
                | Self::ExternalId
                | Self::UserId
                | Self::GroupId
                | Self::ExpiredAt
                | Self::FirstName
                | Self::LastName
        )
    }
}

impl fmt::Display for UserField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A typed value in a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterValue {
    /// For integer fields.
    Integer(i64),
    /// For text fields.
    Text(String),
    /// For boolean fields.
    Boolean(bool),
    /// For timestamp fields (microsecond precision).
    Timestamp(DateTime<Utc>),
}

/// A comparison applied to one field. A null field matches no comparison (SQL semantics);
/// [`Condition::IsNull`] and [`Condition::IsNotNull`] test for null.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `=`
    Eq(FilterValue),
    /// `!=`
    Ne(FilterValue),
    /// `>`
    Gt(FilterValue),
    /// `>=`
    Ge(FilterValue),
    /// `<`
    Lt(FilterValue),
    /// `<=`
    Le(FilterValue),
    /// `><`: in the list.
    In(Vec<FilterValue>),
    /// `!><`: not in the list.
    NotIn(Vec<FilterValue>),
    /// `~`: case-insensitive LIKE on a text field; `%` and `_` are wildcards and `\` escapes
    /// the next character (the pattern is used with `ESCAPE '\'` on every backend).
    Like(String),
    /// `!~`: the negation of [`Condition::Like`] (null still matches nothing).
    NotLike(String),
    /// `=null`
    IsNull,
    /// `!=null`
    IsNotNull,
}

/// One filter: a field and a condition on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The field.
    pub field: UserField,
    /// The condition.
    pub condition: Condition,
}

/// Why a filter or sort was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListingError {
    /// No such field.
    #[error("{0} is not a field that can be filtered or sorted on")]
    UnknownField(String),
    /// `~`/`!~` on a non-text field, or an operator that does not apply.
    #[error("the operator {operator} does not apply to {field}")]
    OperatorNotApplicable {
        /// The field.
        field: UserField,
        /// The operator.
        operator: &'static str,
    },
    /// A value that does not parse as the field's type.
    #[error("{value:?} is not a valid value for {field}")]
    InvalidValue {
        /// The field.
        field: UserField,
        /// The value as given.
        value: String,
    },
    /// A sort direction other than `asc`/`desc`, or a malformed sort string.
    #[error("{0:?} is not a valid sort order")]
    InvalidSort(String),
    /// More than [`MAX_FILTERS`] filters.
    #[error("At most {MAX_FILTERS} filters are allowed.")]
    TooManyFilters,
    /// Nesting deeper than [`MAX_FILTER_DEPTH`].
    #[error("A filter may nest at most {MAX_FILTER_DEPTH} levels deep.")]
    FilterTooDeep,
    /// More than [`MAX_SORT_KEYS`] sort keys.
    #[error("At most {MAX_SORT_KEYS} sort keys are allowed.")]
    TooManySortKeys,
    /// More than [`MAX_LIST_VALUES`] values in one list.
    #[error("At most {MAX_LIST_VALUES} values are allowed in a list filter on {0}.")]
    TooManyValues(UserField),
    /// A value or pattern longer than [`MAX_VALUE_LENGTH`] characters (not echoed).
    #[error("A filter value or pattern on {0} may be at most {MAX_VALUE_LENGTH} characters long.")]
    ValueTooLong(UserField),
}

impl ListingError {
    /// The field at fault, as named in the request.
    pub fn field_name(&self) -> String {
        match self {
            Self::UnknownField(name) => name.clone(),
            Self::OperatorNotApplicable { field, .. } | Self::InvalidValue { field, .. } => {
                field.as_str().to_owned()
            }
            Self::TooManyValues(field) | Self::ValueTooLong(field) => field.as_str().to_owned(),
            Self::InvalidSort(_) | Self::TooManySortKeys => "sort_by".to_owned(),
            Self::TooManyFilters | Self::FilterTooDeep => "filters".to_owned(),
        }
    }

    /// What is wrong, as a field violation: a bound exceeded ([`Violation::TooMany`] for
    /// counts, [`Violation::TooLong`] for lengths) or [`Violation::Invalid`].
    pub fn violation(&self) -> Violation {
        let max = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        match self {
            Self::TooManyFilters => Violation::TooMany {
                max: max(MAX_FILTERS),
            },
            Self::TooManySortKeys => Violation::TooMany {
                max: max(MAX_SORT_KEYS),
            },
            Self::FilterTooDeep => Violation::TooMany {
                max: max(MAX_FILTER_DEPTH),
            },
            Self::TooManyValues(_) => Violation::TooMany {
                max: max(MAX_LIST_VALUES),
            },
            Self::ValueTooLong(_) => Violation::TooLong {
                max: max(MAX_VALUE_LENGTH),
            },
            Self::UnknownField(_)
            | Self::OperatorNotApplicable { .. }
            | Self::InvalidValue { .. }
            | Self::InvalidSort(_) => Violation::Invalid,
        }
    }
}

/// Refuses a value or pattern longer than [`MAX_VALUE_LENGTH`] characters.
fn check_length(field: UserField, raw: &str) -> Result<(), ListingError> {
    if raw.chars().nth(MAX_VALUE_LENGTH).is_some() {
        return Err(ListingError::ValueTooLong(field));
    }
    Ok(())
}

/// Escapes `%`, `_` and `\` so that `text` matches literally inside a LIKE pattern.
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Evaluates a LIKE pattern (`%`, `_`, `\` escape) case-insensitively for ASCII letters, as
/// the SQL backends do. In-memory adapters use it so that results never depend on the backend.
pub fn like_matches(pattern: &str, text: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Token {
        AnyRun,
        AnyOne,
        Literal(char),
    }
    let mut pat = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        pat.push(match c {
            '%' => Token::AnyRun,
            '_' => Token::AnyOne,
            '\\' => Token::Literal(chars.next().unwrap_or('\\')),
            c => Token::Literal(c),
        });
    }
    // ASCII-only case folding, as SQL's lower() does on both backends.
    let fold = |c: char| c.to_ascii_lowercase();
    let txt: Vec<char> = text.chars().map(fold).collect();
    // Wildcard matching, backtracking to the last `%`.
    let (mut p, mut t) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while t < txt.len() {
        match pat.get(p) {
            Some(Token::AnyOne) => {
                p += 1;
                t += 1;
            }
            Some(Token::Literal(c)) if fold(*c) == txt[t] => {
                p += 1;
                t += 1;
            }
            Some(Token::AnyRun) => {
                star = Some(p);
                mark = t;
                p += 1;
            }
            _ => match star {
                Some(s) => {
                    p = s + 1;
                    mark += 1;
                    t = mark;
                }
                None => return false,
            },
        }
    }
    while pat.get(p) == Some(&Token::AnyRun) {
        p += 1;
    }
    p == pat.len()
}

/// A filter on `field` that holds when the field contains `text`, case-insensitively, with
/// `%` and `_` in `text` matching literally.
///
/// # Errors
/// [`ListingError::ValueTooLong`] beyond [`MAX_VALUE_LENGTH`] characters;
/// [`ListingError::InvalidValue`] when `text` holds a NUL.
pub fn contains_filter(field: UserField, text: &str) -> Result<Filter, ListingError> {
    check_length(field, text)?;
    reject_nul(field, text)?;
    Ok(Filter {
        field,
        condition: Condition::Like(format!("%{}%", escape_like(text))),
    })
}

/// Refuses a text value holding a NUL (no stored text has one).
///
/// # Errors
/// [`ListingError::InvalidValue`] naming the field.
pub fn reject_nul(field: UserField, value: &str) -> Result<(), ListingError> {
    if value.contains('\0') {
        return Err(ListingError::InvalidValue {
            field,
            value: value.replace('\0', "\\0"),
        });
    }
    Ok(())
}

/// A LIKE pattern on `field` (`%`, `_`, `\` escapes) as the client wrote it.
///
/// # Errors
/// [`ListingError::ValueTooLong`] beyond [`MAX_VALUE_LENGTH`] characters;
/// [`ListingError::InvalidValue`] when `raw` holds a NUL.
pub fn parse_pattern(field: UserField, raw: &str) -> Result<String, ListingError> {
    check_length(field, raw)?;
    reject_nul(field, raw)?;
    Ok(raw.to_owned())
}

/// Reads the values of an `In`/`NotIn` list on `field`, each as [`parse_value`] does.
///
/// # Errors
/// [`ListingError::TooManyValues`] beyond [`MAX_LIST_VALUES`] values (before any is read),
/// else the first value's error.
pub fn parse_list<'a>(
    field: UserField,
    raw: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<FilterValue>, ListingError> {
    let raw: Vec<&str> = raw.into_iter().take(MAX_LIST_VALUES + 1).collect();
    if raw.len() > MAX_LIST_VALUES {
        return Err(ListingError::TooManyValues(field));
    }
    raw.into_iter().map(|v| parse_value(field, v)).collect()
}

/// Reads a filter value of `field`'s type from text: integers, `true`/`false`/`1`/`0`, RFC 3339
/// timestamps, or text without NUL; at most [`MAX_VALUE_LENGTH`] characters whatever the type.
///
/// # Errors
/// [`ListingError::ValueTooLong`] beyond [`MAX_VALUE_LENGTH`] characters (checked first, so
/// a long value is never echoed); [`ListingError::InvalidValue`] when `raw` is not of the
/// field's type.
pub fn parse_value(field: UserField, raw: &str) -> Result<FilterValue, ListingError> {
    check_length(field, raw)?;
    let invalid = || ListingError::InvalidValue {
        field,
        value: raw.to_owned(),
    };
    match field.kind() {
        FieldKind::Integer => raw.parse().map(FilterValue::Integer).map_err(|_| invalid()),
        FieldKind::Boolean => match raw {
            "true" | "1" => Ok(FilterValue::Boolean(true)),
            "false" | "0" => Ok(FilterValue::Boolean(false)),
            _ => Err(invalid()),
        },
        FieldKind::Timestamp => parse_timestamp(raw)
            .map(FilterValue::Timestamp)
            .ok_or_else(invalid),
        FieldKind::Text => {
            reject_nul(field, raw)?;
            Ok(FilterValue::Text(raw.to_owned()))
        }
    }
}

/// Parses any RFC 3339 timestamp into UTC, truncated to microseconds (the precision every
/// backend stores).
pub fn parse_timestamp(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| truncate_to_micros(t.with_timezone(&Utc)))
}

/// Drops sub-microsecond precision so that in-memory and SQL stores agree.
pub fn truncate_to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::SubsecRound;
    t.trunc_subsecs(6)
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// One sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    /// The field.
    pub field: UserField,
    /// The direction.
    pub direction: Direction,
}

/// A sort order. Ties are always broken by id ascending (unless id is already a key), so
/// paging is stable; see [`SortOrder::keys_with_tiebreak`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortOrder(Vec<SortKey>);

impl Default for SortOrder {
    fn default() -> Self {
        Self(vec![SortKey {
            field: UserField::Id,
            direction: Direction::Asc,
        }])
    }
}

impl SortOrder {
    /// The given keys.
    pub fn new(keys: Vec<SortKey>) -> Self {
        if keys.is_empty() {
            Self::default()
        } else {
            Self(keys)
        }
    }

    /// The keys as requested.
    pub fn keys(&self) -> &[SortKey] {
        &self.0
    }

    /// The keys that decide the order, followed by `id asc` when id is not among them. A key
    /// on a field already sorted on, or after the key on id (ids are unique), never changes
    /// the order and is left out, so a store sorts on at most one key per field.
    pub fn keys_with_tiebreak(&self) -> Vec<SortKey> {
        let mut keys: Vec<SortKey> = Vec::with_capacity(self.0.len() + 1);
        for key in &self.0 {
            if !keys.iter().any(|k| k.field == key.field) {
                keys.push(*key);
            }
            if key.field == UserField::Id {
                return keys;
            }
        }
        keys.push(SortKey {
            field: UserField::Id,
            direction: Direction::Asc,
        });
        keys
    }
}

/// The deepest nesting of `All`, `Any` and `Not` in one [`FilterExpr`]. Chains of one
/// operator are one level (a parser flattens `a and b and c`), so real filters stay within
/// three or four levels; the bound keeps every recursion over an expression short.
pub const MAX_FILTER_DEPTH: usize = 16;

/// What a listing keeps: a boolean expression over [`Filter`]s.
///
/// The logic is two-valued: a filter is true or false for every user (a comparison with a
/// null field is false, see [`Condition`]), `Not` is true exactly when its operand is false,
/// and `All`/`Any` are the usual AND and OR. Every store evaluates it alike; the storage
/// contract kit checks that they do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterExpr {
    /// One filter.
    Test(Filter),
    /// Every operand holds (true when there is none).
    All(Vec<FilterExpr>),
    /// At least one operand holds (false when there is none).
    Any(Vec<FilterExpr>),
    /// The operand does not hold.
    Not(Box<FilterExpr>),
}

impl FilterExpr {
    /// Every one of `filters` holds.
    pub fn all_of(filters: Vec<Filter>) -> Self {
        Self::All(filters.into_iter().map(Self::Test).collect())
    }

    /// The expression that keeps every user.
    pub fn always() -> Self {
        Self::All(Vec::new())
    }

    /// True for the expression that keeps every user without testing anything ([`always`](Self::always)).
    pub fn is_always(&self) -> bool {
        matches!(self, Self::All(operands) if operands.is_empty())
    }

    /// The negation of `expr`, in the simplest form that keeps the same users: of always,
    /// never (and the reverse); of a negation, its operand; of a filter on a field that is
    /// never null, the filter with the opposite condition (`Eq`↔`Ne`, `Gt`↔`Le`, `Ge`↔`Lt`,
    /// `In`↔`NotIn`, `Like`↔`NotLike`, `IsNull`↔`IsNotNull`; on a boolean, `Ne b` is `Eq !b`),
    /// which is exact there under the two-valued logic and lets a store use an index on the
    /// field (`NOT (enabled = true)` becomes `enabled = false`). Anything else is `Not`.
    pub fn negation(expr: Self) -> Self {
        match expr {
            Self::All(operands) if operands.is_empty() => Self::Any(operands),
            Self::Any(operands) if operands.is_empty() => Self::All(operands),
            Self::Not(operand) => *operand,
            Self::Test(filter) if !filter.field.is_nullable() => {
                let condition = match filter.condition {
                    Condition::Eq(FilterValue::Boolean(b))
                    | Condition::Ne(FilterValue::Boolean(b)) => {
                        let was_eq = matches!(filter.condition, Condition::Eq(_));
                        Condition::Eq(FilterValue::Boolean(if was_eq { !b } else { b }))
                    }
                    Condition::Eq(v) => Condition::Ne(v),
                    Condition::Ne(v) => Condition::Eq(v),
                    Condition::Gt(v) => Condition::Le(v),
                    Condition::Ge(v) => Condition::Lt(v),
                    Condition::Lt(v) => Condition::Ge(v),
                    Condition::Le(v) => Condition::Gt(v),
                    Condition::In(vs) => Condition::NotIn(vs),
                    Condition::NotIn(vs) => Condition::In(vs),
                    Condition::Like(p) => Condition::NotLike(p),
                    Condition::NotLike(p) => Condition::Like(p),
                    Condition::IsNull => Condition::IsNotNull,
                    Condition::IsNotNull => Condition::IsNull,
                };
                Self::Test(Filter {
                    field: filter.field,
                    condition,
                })
            }
            other => Self::Not(Box::new(other)),
        }
    }

    /// The filters in the expression, in order.
    pub fn tests(&self) -> Vec<&Filter> {
        fn walk<'a>(expr: &'a FilterExpr, out: &mut Vec<&'a Filter>) {
            match expr {
                FilterExpr::Test(filter) => out.push(filter),
                FilterExpr::All(operands) | FilterExpr::Any(operands) => {
                    for operand in operands {
                        walk(operand, out);
                    }
                }
                FilterExpr::Not(operand) => walk(operand, out),
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }

    /// Levels of `All`, `Any` and `Not` above the deepest filter (0 for a lone filter).
    pub fn depth(&self) -> usize {
        match self {
            Self::Test(_) => 0,
            Self::All(operands) | Self::Any(operands) => {
                1 + operands.iter().map(Self::depth).max().unwrap_or(0)
            }
            Self::Not(operand) => 1 + operand.depth(),
        }
    }

    /// Evaluates the expression, `test` deciding each filter (evaluation stops as soon as the
    /// result is known).
    ///
    /// # Errors
    /// The first error of `test`.
    pub fn evaluate<E>(
        &self,
        test: &mut impl FnMut(&Filter) -> Result<bool, E>,
    ) -> Result<bool, E> {
        Ok(match self {
            Self::Test(filter) => test(filter)?,
            Self::All(operands) => {
                for operand in operands {
                    if !operand.evaluate(test)? {
                        return Ok(false);
                    }
                }
                true
            }
            Self::Any(operands) => {
                for operand in operands {
                    if operand.evaluate(test)? {
                        return Ok(true);
                    }
                }
                false
            }
            Self::Not(operand) => !operand.evaluate(test)?,
        })
    }
}

/// A user listing: the users the filter expression keeps, sorted, one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserQuery {
    /// What to keep.
    pub filter: FilterExpr,
    /// Order.
    pub sort: SortOrder,
    /// Page.
    pub page: PageRequest,
}

impl UserQuery {
    /// A listing of the users for whom every one of `filters` holds, refused when it exceeds
    /// the bounds on its size: more than [`MAX_FILTERS`] filters or more than
    /// [`MAX_SORT_KEYS`] sort keys. (The bounds on each value are checked where the value is
    /// read: [`parse_value`], [`parse_list`], [`parse_pattern`], [`contains_filter`].)
    ///
    /// # Errors
    /// Every bound exceeded: [`ListingError::TooManyFilters`], [`ListingError::TooManySortKeys`].
    pub fn new(
        filters: Vec<Filter>,
        sort: SortOrder,
        page: PageRequest,
    ) -> Result<Self, Vec<ListingError>> {
        Self::matching(FilterExpr::all_of(filters), sort, page)
    }

    /// A listing of the users `filter` keeps, refused when it exceeds the bounds on its size:
    /// more than [`MAX_FILTERS`] filters, nesting deeper than [`MAX_FILTER_DEPTH`], or more
    /// than [`MAX_SORT_KEYS`] sort keys.
    ///
    /// # Errors
    /// Every bound exceeded: [`ListingError::TooManyFilters`], [`ListingError::FilterTooDeep`],
    /// [`ListingError::TooManySortKeys`].
    pub fn matching(
        filter: FilterExpr,
        sort: SortOrder,
        page: PageRequest,
    ) -> Result<Self, Vec<ListingError>> {
        let mut errors = Vec::new();
        if filter.tests().len() > MAX_FILTERS {
            errors.push(ListingError::TooManyFilters);
        }
        if filter.depth() > MAX_FILTER_DEPTH {
            errors.push(ListingError::FilterTooDeep);
        }
        if sort.keys().len() > MAX_SORT_KEYS {
            errors.push(ListingError::TooManySortKeys);
        }
        if errors.is_empty() {
            Ok(Self { filter, sort, page })
        } else {
            Err(errors)
        }
    }
}

impl Default for UserQuery {
    fn default() -> Self {
        Self {
            filter: FilterExpr::always(),
            sort: SortOrder::default(),
            page: PageRequest::first(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_offset_defaults_clamps_and_refuses() {
        let p = PageRequest::from_limit_offset(None, None).unwrap();
        assert_eq!((p.limit(), p.offset()), (50, 0));
        let p = PageRequest::from_limit_offset(Some("5000"), Some("20")).unwrap();
        assert_eq!((p.limit(), p.offset()), (1000, 20));
        assert_eq!(
            PageRequest::from_limit_offset(Some("0"), None),
            Err(PageError::LimitTooSmall)
        );
        assert_eq!(
            PageRequest::from_limit_offset(None, Some("-1")),
            Err(PageError::NegativeOffset)
        );
        assert_eq!(
            PageRequest::from_limit_offset(Some("x"), None),
            Err(PageError::NotANumber("limit"))
        );
    }

    #[test]
    fn page_per_page_rules() {
        let p = PageRequest::from_page(None, None).unwrap();
        assert_eq!((p.limit(), p.offset(), p.page_number()), (50, 0, 1));
        let p = PageRequest::from_page(Some("0"), Some("10")).unwrap();
        assert_eq!(p.page_number(), 1, "page below 1 reads as 1");
        let p = PageRequest::from_page(Some("3"), Some("5000")).unwrap();
        assert_eq!((p.limit(), p.offset(), p.page_number()), (1000, 2000, 3));
        assert_eq!(
            PageRequest::from_page(None, Some("0")),
            Err(PageError::PerPageTooSmall)
        );
        assert_eq!(p.total_pages(0), 1);
        assert_eq!(PageRequest::new(50, 0).total_pages(120), 3);
    }

    #[test]
    fn start_index_count_rules() {
        let page = |s, c| PageRequest::from_start_index(s, c).unwrap();
        let (p, shown) = page(None, None);
        assert_eq!(
            (p.offset(), p.limit(), shown, p.start_index()),
            (0, 100, 100, 1)
        );
        let (p, shown) = page(Some("0"), Some("-5"));
        assert_eq!(
            (p.offset(), p.limit(), shown),
            (0, 1, 0),
            "count 0: the total alone"
        );
        let (p, shown) = page(Some("-9"), Some("0"));
        assert_eq!((p.start_index(), shown), (1, 0));
        let (p, shown) = page(Some("11"), Some("5000"));
        assert_eq!(
            (p.offset(), p.limit(), shown, p.start_index()),
            (10, 1000, 1000, 11)
        );
        assert_eq!(
            PageRequest::from_start_index(Some("x"), None),
            Err(PageError::NotANumber("startIndex"))
        );
        assert_eq!(
            PageRequest::from_start_index(None, Some("1.5")),
            Err(PageError::NotANumber("count"))
        );
    }

    #[test]
    fn like_matching_is_case_insensitive_with_escapes() {
        assert!(like_matches("al%", "Alice"));
        assert!(like_matches("%LIC%", "alice"));
        assert!(like_matches("a_ice", "alice"));
        assert!(!like_matches("a_ice", "aice"));
        assert!(like_matches("%", ""));
        assert!(!like_matches("bob", "bobby"));
        assert!(like_matches("%b%b%", "abcb"));
        let literal = format!("%{}%", escape_like("50%_off"));
        assert!(like_matches(&literal, "get 50%_OFF now"));
        assert!(!like_matches(&literal, "get 50xyoff now"));
        assert!(like_matches(&escape_like(r"a\b"), r"a\b"));
        assert!(!like_matches("é", "É"), "only ASCII letters fold");
    }

    #[test]
    fn values_parse_by_field_type_and_contains_escapes_wildcards() {
        assert_eq!(
            parse_value(UserField::Enabled, "1"),
            Ok(FilterValue::Boolean(true))
        );
        assert_eq!(parse_value(UserField::Id, "7"), Ok(FilterValue::Integer(7)));
        assert!(parse_value(UserField::Id, "x").is_err());
        assert!(parse_value(UserField::CreatedAt, "yesterday").is_err());
        assert!(parse_value(UserField::Username, "a\0").is_err());
        let f = contains_filter(UserField::Username, "a_b%").unwrap();
        assert_eq!(f.condition, Condition::Like(r"%a\_b\%%".into()));
        assert!(contains_filter(UserField::Email, "x\0").is_err());
    }

    #[test]
    fn values_and_patterns_are_bounded_in_characters() {
        let at_cap = "é".repeat(MAX_VALUE_LENGTH);
        let over = "a".repeat(MAX_VALUE_LENGTH + 1);
        assert_eq!(
            parse_value(UserField::Username, &at_cap),
            Ok(FilterValue::Text(at_cap.clone()))
        );
        assert_eq!(parse_pattern(UserField::Email, &at_cap), Ok(at_cap.clone()));
        assert!(contains_filter(UserField::Email, &"%".repeat(MAX_VALUE_LENGTH)).is_ok());
        let too_long = Err(ListingError::ValueTooLong(UserField::Username));
        assert_eq!(parse_value(UserField::Username, &over), too_long);
        assert_eq!(
            parse_pattern(UserField::Username, &over).map(|_| ()),
            Err(ListingError::ValueTooLong(UserField::Username))
        );
        assert_eq!(
            contains_filter(UserField::Username, &over).map(|_| ()),
            Err(ListingError::ValueTooLong(UserField::Username))
        );
        assert_eq!(
            parse_value(UserField::Id, &"9".repeat(MAX_VALUE_LENGTH + 1)),
            Err(ListingError::ValueTooLong(UserField::Id)),
            "the length is checked before the type, so a long value is never echoed"
        );
        assert_eq!(
            ListingError::ValueTooLong(UserField::Email).to_string(),
            "A filter value or pattern on email may be at most 256 characters long."
        );
        assert_eq!(
            ListingError::ValueTooLong(UserField::Email).violation(),
            Violation::TooLong { max: 256 }
        );
    }

    #[test]
    fn lists_are_bounded_before_their_values_are_read() {
        let ids: Vec<String> = (0..=MAX_LIST_VALUES).map(|i| i.to_string()).collect();
        let at_cap = parse_list(
            UserField::Id,
            ids[..MAX_LIST_VALUES].iter().map(String::as_str),
        );
        assert_eq!(at_cap.map(|v| v.len()), Ok(MAX_LIST_VALUES));
        let over = std::iter::once("not a number").chain(ids.iter().map(String::as_str));
        let err = parse_list(UserField::Id, over).unwrap_err();
        assert_eq!(err, ListingError::TooManyValues(UserField::Id));
        assert_eq!(
            err.to_string(),
            "At most 100 values are allowed in a list filter on id."
        );
        assert_eq!(
            (err.field_name(), err.violation()),
            ("id".to_owned(), Violation::TooMany { max: 100 })
        );
        assert!(matches!(
            parse_list(UserField::Id, ["1", "x"]),
            Err(ListingError::InvalidValue { .. })
        ));
    }

    #[test]
    fn queries_are_bounded_in_filters_and_sort_keys() {
        let filters = |n: usize| {
            vec![
                Filter {
                    field: UserField::Enabled,
                    condition: Condition::Eq(FilterValue::Boolean(true)),
                };
                n
            ]
        };
        let keys = |n: usize| {
            SortOrder::new(vec![
                SortKey {
                    field: UserField::Username,
                    direction: Direction::Desc,
                };
                n
            ])
        };
        let page = PageRequest::first();
        let q = UserQuery::new(filters(MAX_FILTERS), keys(MAX_SORT_KEYS), page).unwrap();
        assert_eq!((q.filter.tests().len(), q.sort.keys().len()), (32, 8));
        assert_eq!(
            UserQuery::new(filters(MAX_FILTERS + 1), keys(1), page),
            Err(vec![ListingError::TooManyFilters])
        );
        assert_eq!(
            UserQuery::new(filters(1_100), keys(MAX_SORT_KEYS + 1), page),
            Err(vec![
                ListingError::TooManyFilters,
                ListingError::TooManySortKeys
            ])
        );
        assert_eq!(
            ListingError::TooManyFilters.to_string(),
            "At most 32 filters are allowed."
        );
        assert_eq!(
            ListingError::TooManySortKeys.to_string(),
            "At most 8 sort keys are allowed."
        );
        assert_eq!(
            (
                ListingError::TooManyFilters.field_name(),
                ListingError::TooManySortKeys.field_name()
            ),
            ("filters".to_owned(), "sort_by".to_owned())
        );
        assert_eq!(
            ListingError::TooManySortKeys.violation(),
            Violation::TooMany { max: 8 }
        );
    }

    #[test]
    fn expressions_evaluate_two_valued_and_are_bounded_in_depth() {
        let test = |n: i64| {
            FilterExpr::Test(Filter {
                field: UserField::Id,
                condition: Condition::Eq(FilterValue::Integer(n)),
            })
        };
        let truth = |expr: &FilterExpr| {
            expr.evaluate(&mut |f: &Filter| {
                Ok::<_, ()>(f.condition == Condition::Eq(FilterValue::Integer(1)))
            })
            .unwrap()
        };
        assert!(truth(&FilterExpr::always()));
        assert!(!truth(&FilterExpr::Any(vec![])));
        assert!(truth(&FilterExpr::Any(vec![test(0), test(1)])));
        assert!(!truth(&FilterExpr::All(vec![test(0), test(1)])));
        assert!(truth(&FilterExpr::Not(Box::new(test(0)))));
        assert!(!truth(&FilterExpr::Not(Box::new(FilterExpr::Any(vec![
            test(2),
            test(1)
        ])))));
        let mut seen = 0;
        let stopped = FilterExpr::Any(vec![test(1), test(2), test(3)])
            .evaluate(&mut |_: &Filter| {
                seen += 1;
                Ok::<_, ()>(true)
            })
            .unwrap();
        assert!(stopped);
        assert_eq!(seen, 1, "evaluation stops once the result is known");
        let err = FilterExpr::All(vec![test(1)]).evaluate(&mut |_: &Filter| Err("boom"));
        assert_eq!(err, Err("boom"));

        let mut deep = test(1);
        for _ in 0..MAX_FILTER_DEPTH {
            deep = FilterExpr::Not(Box::new(deep));
        }
        assert_eq!(deep.depth(), MAX_FILTER_DEPTH);
        assert_eq!(deep.tests().len(), 1);
        let page = PageRequest::first();
        assert!(UserQuery::matching(deep.clone(), SortOrder::default(), page).is_ok());
        let too_deep = FilterExpr::All(vec![deep]);
        assert_eq!(
            UserQuery::matching(too_deep, SortOrder::default(), page),
            Err(vec![ListingError::FilterTooDeep])
        );
        let wide = FilterExpr::Any((0..=32).map(test).collect());
        assert_eq!(wide.depth(), 1);
        assert_eq!(
            UserQuery::matching(wide, SortOrder::default(), page),
            Err(vec![ListingError::TooManyFilters])
        );
        assert_eq!(
            ListingError::FilterTooDeep.to_string(),
            "A filter may nest at most 16 levels deep."
        );
        assert!(UserQuery::default().filter.is_always());
        assert!(!FilterExpr::Any(vec![]).is_always());
    }

    #[test]
    fn negations_are_pushed_into_filters_on_fields_that_are_never_null() {
        let on = |field, condition| FilterExpr::Test(Filter { field, condition });
        let not = FilterExpr::negation;
        let yes = FilterValue::Boolean(true);
        assert_eq!(
            not(on(UserField::Enabled, Condition::Eq(yes.clone()))),
            on(
                UserField::Enabled,
                Condition::Eq(FilterValue::Boolean(false))
            )
        );
        assert_eq!(
            not(on(UserField::Enabled, Condition::Ne(yes.clone()))),
            on(UserField::Enabled, Condition::Eq(yes))
        );
        assert_eq!(
            not(on(UserField::Username, Condition::Like("a%".into()))),
            on(UserField::Username, Condition::NotLike("a%".into()))
        );
        let id = |n| FilterValue::Integer(n);
        assert_eq!(
            not(on(UserField::Id, Condition::Gt(id(3)))),
            on(UserField::Id, Condition::Le(id(3)))
        );
        // A nullable field keeps the `Not`: `NotLike` would drop the users without an e-mail.
        let like = on(UserField::Email, Condition::Like("%x%".into()));
        assert_eq!(not(like.clone()), FilterExpr::Not(Box::new(like.clone())));
        assert_eq!(not(not(like.clone())), like);
        assert_eq!(not(FilterExpr::always()), FilterExpr::Any(vec![]));
        assert_eq!(not(FilterExpr::Any(vec![])), FilterExpr::always());
        // Every negated condition keeps exactly the users the `Not` keeps, on every value.
        let users = [1, 2, 3, 4];
        for condition in [
            Condition::Eq(id(2)),
            Condition::Ne(id(2)),
            Condition::Gt(id(2)),
            Condition::Ge(id(2)),
            Condition::Lt(id(2)),
            Condition::Le(id(2)),
            Condition::In(vec![id(1), id(3)]),
            Condition::NotIn(vec![id(1), id(3)]),
            Condition::IsNull,
            Condition::IsNotNull,
        ] {
            let keep = |expr: &FilterExpr, user: i64| {
                expr.evaluate(&mut |f: &Filter| {
                    Ok::<_, ()>(match &f.condition {
                        Condition::Eq(FilterValue::Integer(v)) => user == *v,
                        Condition::Ne(FilterValue::Integer(v)) => user != *v,
                        Condition::Gt(FilterValue::Integer(v)) => user > *v,
                        Condition::Ge(FilterValue::Integer(v)) => user >= *v,
                        Condition::Lt(FilterValue::Integer(v)) => user < *v,
                        Condition::Le(FilterValue::Integer(v)) => user <= *v,
                        Condition::In(vs) => vs.contains(&FilterValue::Integer(user)),
                        Condition::NotIn(vs) => !vs.contains(&FilterValue::Integer(user)),
                        Condition::IsNull => false,
                        Condition::IsNotNull => true,
                        other => panic!("{other:?}"),
                    })
                })
                .unwrap()
            };
            let plain = FilterExpr::Not(Box::new(on(UserField::Id, condition.clone())));
            let pushed = not(on(UserField::Id, condition.clone()));
            assert!(matches!(pushed, FilterExpr::Test(_)), "{condition:?}");
            for user in users {
                assert_eq!(
                    keep(&plain, user),
                    keep(&pushed, user),
                    "{condition:?} {user}"
                );
            }
        }
    }

    #[test]
    fn sort_keys_that_cannot_change_the_order_are_left_out() {
        use Direction::{Asc, Desc};
        let key = |field, direction| SortKey { field, direction };
        let s = SortOrder::new(vec![
            key(UserField::Username, Desc),
            key(UserField::Username, Asc),
            key(UserField::CreatedAt, Asc),
            key(UserField::Id, Desc),
            key(UserField::Email, Asc),
        ]);
        assert_eq!(
            s.keys_with_tiebreak(),
            [
                key(UserField::Username, Desc),
                key(UserField::CreatedAt, Asc),
                key(UserField::Id, Desc)
            ]
        );
        let repeated = SortOrder::new(vec![key(UserField::Email, Asc); 40]);
        assert_eq!(
            repeated.keys_with_tiebreak(),
            [key(UserField::Email, Asc), key(UserField::Id, Asc)]
        );
    }

    #[test]
    fn sort_orders_break_ties_by_id() {
        let s = SortOrder::new(vec![SortKey {
            field: UserField::Username,
            direction: Direction::Desc,
        }]);
        let keys = s.keys_with_tiebreak();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[1].field, UserField::Id);
        let by_id = SortOrder::new(vec![SortKey {
            field: UserField::Id,
            direction: Direction::Desc,
        }]);
        assert_eq!(by_id.keys_with_tiebreak().len(), 1);
        assert_eq!(SortOrder::new(vec![]), SortOrder::default());
    }
}
