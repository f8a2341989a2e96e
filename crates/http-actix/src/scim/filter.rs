//! SCIM 2.0 filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2): parsed into a bounded
//! syntax tree, read into the domain's listing model, and evaluated against the elements of a
//! multi-valued attribute.
//!
//! # Bounds
//!
//! Checked while parsing, so hostile input can neither overflow the stack nor run long: at most
//! [`MAX_FILTER_BYTES`] bytes, at most [`MAX_NESTING`] levels of groups (each `(`…`)`,
//! `not (`…`)` and `[`…`]` is one level) and at most [`MAX_TESTS`] comparisons and presence
//! tests. [`to_listing`] then checks its result against the domain's own bounds.
//! Error messages name positions as byte offsets from 0 and quote at most 40 characters.
//!
//! # Deviations from the RFC
//!
//! - `gt`/`ge`/`lt`/`le` on text compare in the store's byte order, not by collation.
//! - `co`/`sw`/`ew` on the case-exact `id` and `externalId` compare case-insensitively (the
//!   domain has no case-sensitive pattern match); `eq` on them is exact.
//! - Every user has at most one e-mail, the primary work address, so `emails.type` and
//!   `emails.primary` are answered from whether the user has an e-mail at all.
//! - A value filter may not nest another (`a[b[c eq 1]]`), as in the RFC's grammar.

use rollcall_domain::listing::{
    Condition, Filter, FilterExpr, FilterValue, ListingError, MAX_FILTER_DEPTH, MAX_FILTERS,
    UserField, escape_like, parse_value,
};
use serde_json::{Map, Number, Value};
use std::cmp::Ordering;
use std::fmt;

/// The URN of the core User schema, the only prefix a filtered attribute may carry.
pub(crate) const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// The longest filter or path accepted, in bytes.
pub(crate) const MAX_FILTER_BYTES: usize = 4096;

/// The deepest nesting of groups: parentheses, `not (`…`)` and value filters `[`…`]`.
pub(crate) const MAX_NESTING: usize = 16;

/// The most comparisons and presence tests in one filter (the domain's [`MAX_FILTERS`]).
pub(crate) const MAX_TESTS: usize = MAX_FILTERS;

/// The most characters of client input quoted in an error message.
const EXCERPT_CHARS: usize = 40;

/// A comparison operator: `eq`, `ne`, `co`, `sw`, `ew`, `gt`, `ge`, `lt`, `le`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompareOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Contains.
    Co,
    /// Starts with.
    Sw,
    /// Ends with.
    Ew,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
}

impl CompareOp {
    /// Every operator with its keyword.
    const KEYWORDS: [(&'static str, Self); 9] = [
        ("eq", Self::Eq),
        ("ne", Self::Ne),
        ("co", Self::Co),
        ("sw", Self::Sw),
        ("ew", Self::Ew),
        ("gt", Self::Gt),
        ("ge", Self::Ge),
        ("lt", Self::Lt),
        ("le", Self::Le),
    ];

    /// The operator a keyword names, in any case.
    fn named(word: &str) -> Option<Self> {
        Self::KEYWORDS
            .iter()
            .find(|(keyword, _)| keyword.eq_ignore_ascii_case(word))
            .map(|(_, op)| *op)
    }

    /// The keyword, lower case.
    pub(crate) fn as_str(self) -> &'static str {
        Self::KEYWORDS
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("eq", |(keyword, _)| keyword)
    }
}

/// The value a comparison compares with: JSON `null`, a boolean, a number or a string.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CompValue {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A JSON number.
    Number(Number),
    /// A JSON string, unescaped.
    Str(String),
}

impl CompValue {
    /// What kind of value this is, for messages.
    fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Number(_) => "a number",
            Self::Str(_) => "a string",
        }
    }
}

/// An attribute path as written (case kept): `[uri:]attr[.sub]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttrPath {
    /// The schema URN before the attribute, without the final `:`.
    pub(crate) uri: Option<String>,
    /// The attribute name.
    pub(crate) attr: String,
    /// The sub-attribute name.
    pub(crate) sub: Option<String>,
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(uri) = &self.uri {
            write!(f, "{uri}:")?;
        }
        f.write_str(&self.attr)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// A parsed filter. Chains of one operator are flattened: `a and b and c` is one `And`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ScimFilter {
    /// `attr pr`
    Present(AttrPath),
    /// `attr op value`
    Compare(AttrPath, CompareOp, CompValue),
    /// Every operand holds.
    And(Vec<ScimFilter>),
    /// At least one operand holds.
    Or(Vec<ScimFilter>),
    /// `not (…)`
    Not(Box<ScimFilter>),
    /// `emails[type eq "work" and value co "@x"]`: the filter applies to each element, its paths relative to the element.
    ValuePath(AttrPath, Box<ScimFilter>),
}

/// A PATCH path: `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub`, each optionally
/// URN-prefixed. `attr.sub` is held in [`PatchPath::attr`]; [`PatchPath::sub`] is the
/// sub-attribute after a value filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PatchPath {
    /// The attribute (with its sub-attribute when written `attr.sub`).
    pub(crate) attr: AttrPath,
    /// The value filter in brackets.
    pub(crate) filter: Option<ScimFilter>,
    /// The sub-attribute after the brackets.
    pub(crate) sub: Option<String>,
}

/// Why a filter or path was refused; each variant is a SCIM `scimType`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FilterError {
    /// Malformed or unsupported filter (`invalidFilter`).
    #[error("{0}")]
    Invalid(String),
    /// A bound exceeded (`tooMany`).
    #[error("{0}")]
    TooMany(String),
    /// Malformed PATCH path (`invalidPath`), from [`parse_path`].
    #[error("{0}")]
    InvalidPath(String),
}

/// Parses a `filter` query parameter or body member.
///
/// # Errors
/// [`FilterError::TooMany`] beyond a bound of this module, [`FilterError::Invalid`] naming the
/// position of anything malformed.
pub(crate) fn parse_filter(input: &str) -> Result<ScimFilter, FilterError> {
    let mut parser = Parser::new(input)?;
    if input.trim_matches(' ').is_empty() {
        return Err(FilterError::Invalid("The filter is empty.".to_owned()));
    }
    let filter = parser.disjunction(false)?;
    parser.finish("`and`, `or` or the end of the filter")?;
    Ok(filter)
}

/// Parses the `path` of a PATCH operation.
///
/// # Errors
/// [`FilterError::TooMany`] beyond a bound of this module, [`FilterError::InvalidPath`] for
/// anything malformed.
pub(crate) fn parse_path(input: &str) -> Result<PatchPath, FilterError> {
    fn parse(input: &str) -> Result<PatchPath, FilterError> {
        let mut parser = Parser::new(input)?;
        let attr = parser.attr_path()?;
        let (mut filter, mut sub) = (None, None);
        if parser.eat(b'[') {
            if attr.sub.is_some() {
                return Err(FilterError::Invalid(format!(
                    "A value filter cannot follow the sub-attribute in `{}`.",
                    excerpt(&attr.to_string())
                )));
            }
            filter = Some(parser.bracketed()?);
            if parser.peek() == Some(b'.') {
                parser.pos += 1;
                let (start, word) = parser.take_word();
                if !is_attr_name(word) {
                    parser.pos = start;
                    return Err(parser.unexpected("a sub-attribute name"));
                }
                sub = Some(word.to_owned());
            }
        }
        parser.finish("the end of the path")?;
        Ok(PatchPath { attr, filter, sub })
    }
    parse(input).map_err(|error| match error {
        FilterError::Invalid(message) => FilterError::InvalidPath(message),
        other => other,
    })
}

/// The domain listing a parsed filter asks for. Attribute names compare case-insensitively;
/// a URN prefix must be the core User schema's.
///
/// # Errors
/// [`FilterError::Invalid`] naming an attribute that cannot be filtered on, an operator that
/// does not apply to it or a value of the wrong type; [`FilterError::TooMany`] when the
/// result exceeds the domain's bounds.
pub(crate) fn to_listing(filter: &ScimFilter) -> Result<FilterExpr, FilterError> {
    let expr = convert(filter, Scope::User)?;
    if expr.tests().len() > MAX_FILTERS {
        return Err(FilterError::TooMany(
            ListingError::TooManyFilters.to_string(),
        ));
    }
    if expr.depth() > MAX_FILTER_DEPTH {
        return Err(FilterError::TooMany(
            ListingError::FilterTooDeep.to_string(),
        ));
    }
    Ok(expr)
}

/// The user field a `sortBy` attribute path names (case-insensitive, URN prefix allowed).
pub(crate) fn sort_field(path: &str) -> Option<UserField> {
    let path = parse_attr_path(path.trim_matches(' ')).ok()?;
    match resolve(&path, Scope::User).ok()? {
        Attribute::Text { field, .. } | Attribute::Timestamp(field) => Some(field),
        Attribute::Active => Some(UserField::Enabled),
        Attribute::ResourceType | Attribute::EmailType | Attribute::EmailPrimary => None,
    }
}

/// Whether one element of a multi-valued attribute (a JSON object) satisfies a value filter:
/// sub-attribute names and strings compare case-insensitively, `pr` means present and neither
/// null nor empty, numbers and booleans compare by value, `gt`/`lt` on strings by lower case.
pub(crate) fn matches_element(filter: &ScimFilter, element: &Value) -> bool {
    match filter {
        ScimFilter::Present(path) => member_at(element, path).is_some_and(is_present),
        ScimFilter::Compare(path, op, value) => compare_json(member_at(element, path), *op, value),
        ScimFilter::And(operands) => operands.iter().all(|f| matches_element(f, element)),
        ScimFilter::Or(operands) => operands.iter().any(|f| matches_element(f, element)),
        ScimFilter::Not(operand) => !matches_element(operand, element),
        ScimFilter::ValuePath(path, inner) => match member_at(element, path) {
            Some(Value::Array(items)) => items.iter().any(|item| matches_element(inner, item)),
            Some(object @ Value::Object(_)) => matches_element(inner, object),
            _ => false,
        },
    }
}

/// At most [`EXCERPT_CHARS`] characters of `text`, for messages.
pub(crate) fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// True for the bytes of a bare word: attribute paths, keywords, numbers.
fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'$' | b':' | b'.' | b'+')
}

/// `ALPHA *(ALPHA / DIGIT / "-" / "_" / "$")`.
fn is_attr_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'$'))
}

/// Reads `[urn:]attr[.sub]`; the URN is everything up to the last `:`.
fn parse_attr_path(word: &str) -> Result<AttrPath, &'static str> {
    let (uri, rest) = match word.rfind(':') {
        Some(colon) => {
            let uri = &word[..colon];
            if !uri.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) {
                return Err("a schema prefix must be a URN");
            }
            (Some(uri.to_owned()), &word[colon + 1..])
        }
        None => (None, word),
    };
    let mut names = rest.split('.');
    let attr = names.next().unwrap_or_default();
    let sub = names.next();
    if names.next().is_some() {
        return Err("at most one sub-attribute may follow an attribute");
    }
    if !is_attr_name(attr) || sub.is_some_and(|s| !is_attr_name(s)) {
        return Err("names start with a letter followed by letters, digits, `-`, `_` or `$`");
    }
    Ok(AttrPath {
        uri,
        attr: attr.to_owned(),
        sub: sub.map(str::to_owned),
    })
}

/// A recursive-descent parser over the input, counting nesting and tests as it goes.
struct Parser<'a> {
    input: &'a str,
    pos: usize,
    depth: usize,
    tests: usize,
}

impl<'a> Parser<'a> {
    /// A parser at the start of `input`, refused beyond [`MAX_FILTER_BYTES`].
    fn new(input: &'a str) -> Result<Self, FilterError> {
        if input.len() > MAX_FILTER_BYTES {
            return Err(FilterError::TooMany(format!(
                "A filter or path may be at most {MAX_FILTER_BYTES} bytes long."
            )));
        }
        Ok(Self {
            input,
            pos: 0,
            depth: 0,
            tests: 0,
        })
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.input.as_bytes().get(self.pos).copied()
    }

    /// Consumes `byte` after any spaces, if it is next.
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_spaces();
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, byte: u8) -> Result<(), FilterError> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("`{}`", char::from(byte))))
        }
    }

    /// The word after any spaces (possibly empty), not consumed: its start and text.
    fn peek_word(&mut self) -> (usize, &'a str) {
        self.skip_spaces();
        let input = self.input;
        let len = input.as_bytes()[self.pos..]
            .iter()
            .take_while(|b| is_word_byte(**b))
            .count();
        (self.pos, &input[self.pos..self.pos + len])
    }

    fn take_word(&mut self) -> (usize, &'a str) {
        let (start, word) = self.peek_word();
        self.pos = start + word.len();
        (start, word)
    }

    /// Consumes the keyword `keyword` (any case) if it is the next word.
    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let (start, word) = self.peek_word();
        let found = word.eq_ignore_ascii_case(keyword);
        if found {
            self.pos = start + word.len();
        }
        found
    }

    /// An error naming what was expected, the position and the token found there.
    fn unexpected(&mut self, expected: &str) -> FilterError {
        self.skip_spaces();
        let rest = &self.input[self.pos..];
        let found = match rest.chars().next() {
            None => "the end of the input".to_owned(),
            Some(first) => {
                let word = rest.bytes().take_while(|b| is_word_byte(*b)).count();
                let token = if word > 0 {
                    &rest[..word]
                } else {
                    &rest[..first.len_utf8()]
                };
                format!("`{}`", excerpt(token))
            }
        };
        FilterError::Invalid(format!(
            "Expected {expected} at position {}, found {found}.",
            self.pos
        ))
    }

    fn finish(&mut self, expected: &str) -> Result<(), FilterError> {
        self.skip_spaces();
        if self.pos < self.input.len() {
            return Err(self.unexpected(expected));
        }
        Ok(())
    }

    /// Opens a group, refused beyond [`MAX_NESTING`].
    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(FilterError::TooMany(format!(
                "A filter may nest parentheses, `not` and brackets at most {MAX_NESTING} levels deep."
            )));
        }
        Ok(())
    }

    /// Counts one comparison or presence test, refused beyond [`MAX_TESTS`].
    fn count_test(&mut self) -> Result<(), FilterError> {
        self.tests += 1;
        if self.tests > MAX_TESTS {
            return Err(FilterError::TooMany(format!(
                "A filter may hold at most {MAX_TESTS} comparisons."
            )));
        }
        Ok(())
    }

    /// `conjunction *("or" conjunction)`
    fn disjunction(&mut self, in_brackets: bool) -> Result<ScimFilter, FilterError> {
        let mut operands = vec![self.conjunction(in_brackets)?];
        while self.eat_keyword("or") {
            operands.push(self.conjunction(in_brackets)?);
        }
        Ok(flatten(operands, true))
    }

    /// `unary *("and" unary)`
    fn conjunction(&mut self, in_brackets: bool) -> Result<ScimFilter, FilterError> {
        let mut operands = vec![self.unary(in_brackets)?];
        while self.eat_keyword("and") {
            operands.push(self.unary(in_brackets)?);
        }
        Ok(flatten(operands, false))
    }

    /// `"(" filter ")" / "not" "(" filter ")" / valuePath / attrExp`
    fn unary(&mut self, in_brackets: bool) -> Result<ScimFilter, FilterError> {
        if self.eat(b'(') {
            return self.grouped(in_brackets, b')');
        }
        let (start, word) = self.peek_word();
        if word.eq_ignore_ascii_case("not") {
            self.pos = start + word.len();
            if !self.eat(b'(') {
                return Err(FilterError::Invalid(format!(
                    "`not` at position {start} must be followed by a filter in parentheses."
                )));
            }
            return Ok(ScimFilter::Not(Box::new(self.grouped(in_brackets, b')')?)));
        }
        let path = self.attr_path()?;
        if self.eat(b'[') {
            if in_brackets || path.sub.is_some() {
                return Err(FilterError::Invalid(format!(
                    "A value filter cannot follow `{}` at position {start}.",
                    excerpt(&path.to_string())
                )));
            }
            return Ok(ScimFilter::ValuePath(path, Box::new(self.bracketed()?)));
        }
        let (op_start, op_word) = self.take_word();
        if op_word.eq_ignore_ascii_case("pr") {
            self.count_test()?;
            return Ok(ScimFilter::Present(path));
        }
        let Some(op) = CompareOp::named(op_word) else {
            self.pos = op_start;
            return Err(self.unexpected("an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)"));
        };
        self.count_test()?;
        let value = self.comp_value()?;
        Ok(ScimFilter::Compare(path, op, value))
    }

    /// The rest of a group whose opening byte was consumed, up to `close`.
    fn grouped(&mut self, in_brackets: bool, close: u8) -> Result<ScimFilter, FilterError> {
        self.enter()?;
        let inner = self.disjunction(in_brackets)?;
        self.expect(close)?;
        self.depth -= 1;
        Ok(inner)
    }

    /// The filter of a value path, after its `[`.
    fn bracketed(&mut self) -> Result<ScimFilter, FilterError> {
        self.grouped(true, b']')
    }

    fn attr_path(&mut self) -> Result<AttrPath, FilterError> {
        let (start, word) = self.peek_word();
        if word.is_empty() {
            return Err(self.unexpected("an attribute path"));
        }
        self.pos = start + word.len();
        parse_attr_path(word).map_err(|reason| {
            FilterError::Invalid(format!(
                "Invalid attribute path `{}` at position {start}: {reason}.",
                excerpt(word)
            ))
        })
    }

    /// A JSON string, number, `true`, `false` or `null` (keywords in any case).
    fn comp_value(&mut self) -> Result<CompValue, FilterError> {
        self.skip_spaces();
        if self.peek() == Some(b'"') {
            return self.string().map(CompValue::Str);
        }
        let (start, word) = self.take_word();
        let keyword = |k: &str| word.eq_ignore_ascii_case(k);
        if keyword("true") {
            return Ok(CompValue::Bool(true));
        }
        if keyword("false") {
            return Ok(CompValue::Bool(false));
        }
        if keyword("null") {
            return Ok(CompValue::Null);
        }
        match serde_json::from_str::<Value>(word) {
            Ok(Value::Number(number)) => Ok(CompValue::Number(number)),
            _ => {
                self.pos = start;
                Err(self.unexpected("a value (a string, a number, true, false or null)"))
            }
        }
    }

    /// A JSON string starting at the cursor, escapes read by `serde_json`.
    fn string(&mut self) -> Result<String, FilterError> {
        let start = self.pos;
        let bytes = self.input.as_bytes();
        let mut end = start + 1;
        loop {
            match bytes.get(end) {
                None => {
                    return Err(FilterError::Invalid(format!(
                        "Unterminated string starting at position {start}."
                    )));
                }
                Some(b'\\') => end += 2,
                Some(b'"') => break,
                Some(_) => end += 1,
            }
        }
        self.pos = end + 1;
        serde_json::from_str(&self.input[start..=end]).map_err(|error| {
            FilterError::Invalid(format!("Invalid string at position {start}: {error}."))
        })
    }
}

/// One `Or` (or `And`) of the operands, merging nested groups of the same operator.
fn flatten(operands: Vec<ScimFilter>, is_or: bool) -> ScimFilter {
    let mut flat = Vec::with_capacity(operands.len());
    for operand in operands {
        match operand {
            ScimFilter::Or(inner) if is_or => flat.extend(inner),
            ScimFilter::And(inner) if !is_or => flat.extend(inner),
            other => flat.push(other),
        }
    }
    match <[ScimFilter; 1]>::try_from(flat) {
        Ok([only]) => only,
        Err(flat) if is_or => ScimFilter::Or(flat),
        Err(flat) => ScimFilter::And(flat),
    }
}

/// Where attribute paths are resolved: on the user, or inside `emails[…]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    User,
    Email,
}

/// What a filterable attribute path stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attribute {
    /// A text field; `case_exact` for `id` and `externalId`.
    Text { field: UserField, case_exact: bool },
    /// `active`
    Active,
    /// `meta.created`, `meta.lastModified`
    Timestamp(UserField),
    /// `meta.resourceType`
    ResourceType,
    /// `emails.type`, answered from whether there is an e-mail.
    EmailType,
    /// `emails.primary`, likewise.
    EmailPrimary,
}

/// The attribute a path names in `scope`.
fn resolve(path: &AttrPath, scope: Scope) -> Result<Attribute, FilterError> {
    let unknown = || {
        FilterError::Invalid(format!(
            "`{}` is not an attribute that can be filtered on.",
            excerpt(&path.to_string())
        ))
    };
    let text = |field| Attribute::Text {
        field,
        case_exact: false,
    };
    let attr = path.attr.to_ascii_lowercase();
    let sub = path.sub.as_deref().map(str::to_ascii_lowercase);
    if scope == Scope::Email {
        return match (path.uri.as_deref(), attr.as_str(), sub.as_deref()) {
            (None, "value", None) => Ok(text(UserField::Email)),
            (None, "type", None) => Ok(Attribute::EmailType),
            (None, "primary", None) => Ok(Attribute::EmailPrimary),
            _ => Err(unknown()),
        };
    }
    if let Some(uri) = &path.uri
        && !uri.eq_ignore_ascii_case(USER_SCHEMA)
    {
        return Err(FilterError::Invalid(format!(
            "`{}` is not a schema that can be filtered on; only {USER_SCHEMA} is.",
            excerpt(uri)
        )));
    }
    Ok(match (attr.as_str(), sub.as_deref()) {
        ("id", None) => Attribute::Text {
            field: UserField::Uuid,
            case_exact: true,
        },
        ("externalid", None) => Attribute::Text {
            field: UserField::ExternalId,
            case_exact: true,
        },
        ("username", None) => text(UserField::Username),
        ("name", Some("givenname")) => text(UserField::FirstName),
        ("name", Some("familyname")) => text(UserField::LastName),
        ("emails", None | Some("value")) => text(UserField::Email),
        ("emails", Some("type")) => Attribute::EmailType,
        ("emails", Some("primary")) => Attribute::EmailPrimary,
        ("active", None) => Attribute::Active,
        ("preferredlanguage" | "locale", None) => text(UserField::Language),
        ("meta", Some("created")) => Attribute::Timestamp(UserField::CreatedAt),
        ("meta", Some("lastmodified")) => Attribute::Timestamp(UserField::UpdatedAt),
        ("meta", Some("resourcetype")) => Attribute::ResourceType,
        _ => return Err(unknown()),
    })
}

/// The domain expression of a filter in `scope`.
fn convert(filter: &ScimFilter, scope: Scope) -> Result<FilterExpr, FilterError> {
    Ok(match filter {
        ScimFilter::Present(path) => presence(resolve(path, scope)?),
        ScimFilter::Compare(path, op, value) => {
            comparison(resolve(path, scope)?, path, *op, value)?
        }
        ScimFilter::And(operands) => all_of(convert_each(operands, scope)?),
        ScimFilter::Or(operands) => any_of(convert_each(operands, scope)?),
        ScimFilter::Not(operand) => negate(convert(operand, scope)?),
        ScimFilter::ValuePath(path, inner) => {
            let is_emails = scope == Scope::User
                && path.sub.is_none()
                && path.attr.eq_ignore_ascii_case("emails")
                && resolve(path, scope).is_ok();
            if !is_emails {
                return Err(FilterError::Invalid(format!(
                    "`{}[…]` is not a value filter this server supports; only emails[…] is.",
                    excerpt(&path.to_string())
                )));
            }
            // "Some element matches": false without an e-mail, even under `not`.
            let inner = convert(inner, Scope::Email)?;
            if rejects_null(&inner) {
                inner
            } else {
                all_of(vec![test(UserField::Email, Condition::IsNotNull), inner])
            }
        }
    })
}

fn convert_each(operands: &[ScimFilter], scope: Scope) -> Result<Vec<FilterExpr>, FilterError> {
    operands.iter().map(|f| convert(f, scope)).collect()
}

/// `attr pr`.
fn presence(attribute: Attribute) -> FilterExpr {
    match attribute {
        Attribute::Text { field, .. } | Attribute::Timestamp(field) => {
            test(field, Condition::IsNotNull)
        }
        Attribute::Active | Attribute::ResourceType => FilterExpr::always(),
        Attribute::EmailType | Attribute::EmailPrimary => {
            test(UserField::Email, Condition::IsNotNull)
        }
    }
}

/// `attr op value`.
fn comparison(
    attribute: Attribute,
    path: &AttrPath,
    op: CompareOp,
    value: &CompValue,
) -> Result<FilterExpr, FilterError> {
    let not_applicable = || {
        FilterError::Invalid(format!(
            "`{}` cannot be compared with `{}` and {}.",
            excerpt(&path.to_string()),
            op.as_str(),
            value.kind()
        ))
    };
    // Only text and timestamps have orderings and patterns; the rest take `eq`/`ne` alone.
    let ordered = !matches!(op, CompareOp::Eq | CompareOp::Ne);
    if ordered && !matches!(attribute, Attribute::Text { .. } | Attribute::Timestamp(_)) {
        return Err(not_applicable());
    }
    let is_eq = op == CompareOp::Eq;
    let equal_or_not = |expr: FilterExpr| if is_eq { expr } else { negate(expr) };
    match (attribute, value) {
        (Attribute::Text { field, .. }, CompValue::Null) if !ordered => {
            let condition = if is_eq {
                Condition::IsNull
            } else {
                Condition::IsNotNull
            };
            Ok(test(field, condition))
        }
        (Attribute::Text { field, case_exact }, CompValue::Str(text)) => {
            text_comparison(field, case_exact, op, text)
        }
        (Attribute::Active, CompValue::Bool(wanted)) => {
            let value = FilterValue::Boolean(*wanted);
            let condition = if is_eq {
                Condition::Eq(value)
            } else {
                Condition::Ne(value)
            };
            Ok(test(UserField::Enabled, condition))
        }
        (Attribute::Timestamp(field), CompValue::Str(text)) => {
            let Some(condition) = ordering_condition(op, || {
                parse_value(field, text).map_err(|e| FilterError::Invalid(e.to_string()))
            })?
            else {
                return Err(not_applicable());
            };
            Ok(test(field, condition))
        }
        (Attribute::ResourceType, CompValue::Str(text)) => {
            Ok(equal_or_not(if text.eq_ignore_ascii_case("User") {
                FilterExpr::always()
            } else {
                never()
            }))
        }
        (Attribute::EmailType, CompValue::Str(text)) => {
            Ok(equal_or_not(if text.eq_ignore_ascii_case("work") {
                has_email()
            } else {
                never()
            }))
        }
        (Attribute::EmailPrimary, CompValue::Bool(primary)) => {
            Ok(equal_or_not(if *primary { has_email() } else { never() }))
        }
        _ => Err(not_applicable()),
    }
}

/// A comparison on a text field; `eq` on a field that is not case-exact is a LIKE without
/// wildcards, so that it folds case as the store does.
fn text_comparison(
    field: UserField,
    case_exact: bool,
    op: CompareOp,
    text: &str,
) -> Result<FilterExpr, FilterError> {
    let value = parse_value(field, text).map_err(|e| FilterError::Invalid(e.to_string()))?;
    let pattern = escape_like(text);
    let condition = match op {
        CompareOp::Eq | CompareOp::Ne => {
            let equal = test(
                field,
                if case_exact {
                    Condition::Eq(value)
                } else {
                    Condition::Like(pattern)
                },
            );
            return Ok(if op == CompareOp::Eq {
                equal
            } else {
                negate(equal)
            });
        }
        CompareOp::Co => Condition::Like(format!("%{pattern}%")),
        CompareOp::Sw => Condition::Like(format!("{pattern}%")),
        CompareOp::Ew => Condition::Like(format!("%{pattern}")),
        CompareOp::Gt => Condition::Gt(value),
        CompareOp::Ge => Condition::Ge(value),
        CompareOp::Lt => Condition::Lt(value),
        CompareOp::Le => Condition::Le(value),
    };
    Ok(test(field, condition))
}

/// `eq`/`ne`/`gt`/`ge`/`lt`/`le` as a domain condition on the value `value` reads; `None`
/// for `co`/`sw`/`ew` (before reading the value).
fn ordering_condition(
    op: CompareOp,
    value: impl FnOnce() -> Result<FilterValue, FilterError>,
) -> Result<Option<Condition>, FilterError> {
    let build: fn(FilterValue) -> Condition = match op {
        CompareOp::Eq => Condition::Eq,
        CompareOp::Ne => Condition::Ne,
        CompareOp::Gt => Condition::Gt,
        CompareOp::Ge => Condition::Ge,
        CompareOp::Lt => Condition::Lt,
        CompareOp::Le => Condition::Le,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => return Ok(None),
    };
    Ok(Some(build(value()?)))
}

fn test(field: UserField, condition: Condition) -> FilterExpr {
    FilterExpr::Test(Filter { field, condition })
}

/// The expression that keeps no user.
fn never() -> FilterExpr {
    FilterExpr::Any(Vec::new())
}

fn has_email() -> FilterExpr {
    test(UserField::Email, Condition::IsNotNull)
}

/// The domain's simplest negation ([`FilterExpr::negation`]): of always, never (and the
/// reverse); a negated filter on a field that is never null becomes the opposite filter, which
/// an index can serve.
fn negate(expr: FilterExpr) -> FilterExpr {
    FilterExpr::negation(expr)
}

/// `All`, merging nested `All`s and unwrapping a lone operand.
fn all_of(operands: Vec<FilterExpr>) -> FilterExpr {
    let mut flat = Vec::with_capacity(operands.len());
    for operand in operands {
        match operand {
            FilterExpr::All(inner) => flat.extend(inner),
            other => flat.push(other),
        }
    }
    match <[FilterExpr; 1]>::try_from(flat) {
        Ok([only]) => only,
        Err(flat) => FilterExpr::All(flat),
    }
}

/// `Any`, merging nested `Any`s and unwrapping a lone operand.
fn any_of(operands: Vec<FilterExpr>) -> FilterExpr {
    let mut flat = Vec::with_capacity(operands.len());
    for operand in operands {
        match operand {
            FilterExpr::Any(inner) => flat.extend(inner),
            other => flat.push(other),
        }
    }
    match <[FilterExpr; 1]>::try_from(flat) {
        Ok([only]) => only,
        Err(flat) => FilterExpr::Any(flat),
    }
}

/// True when the expression (all of whose tests are on the e-mail) is false for a user
/// without an e-mail; conservative under `Not`.
fn rejects_null(expr: &FilterExpr) -> bool {
    match expr {
        FilterExpr::Test(filter) => filter.condition != Condition::IsNull,
        FilterExpr::All(operands) => operands.iter().any(rejects_null),
        FilterExpr::Any(operands) => operands.iter().all(rejects_null),
        FilterExpr::Not(_) => false,
    }
}

/// The member `name` of a JSON object, exact case first, else case-insensitively (SCIM
/// attribute names are case-insensitive, RFC 7643 §2.1). Every SCIM module reads members
/// through it.
pub(crate) fn member<'v>(object: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// `path` without the core User schema's URN prefix (`urn:…:core:2.0:User:`, any case), or
/// `None` when it has no such prefix. Sliced on character boundaries whatever the text.
pub(crate) fn without_core_urn(path: &str) -> Option<&str> {
    let prefix = USER_SCHEMA.len();
    let head = path.get(..prefix)?;
    if head.eq_ignore_ascii_case(USER_SCHEMA) && path.as_bytes().get(prefix) == Some(&b':') {
        // The byte at `prefix` is an ASCII `:`, so the rest starts on a character boundary.
        path.get(prefix + 1..)
    } else {
        None
    }
}

fn member_at<'v>(element: &'v Value, path: &AttrPath) -> Option<&'v Value> {
    let value = member(element.as_object()?, &path.attr)?;
    match &path.sub {
        Some(sub) => member(value.as_object()?, sub),
        None => Some(value),
    }
}

fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(members) => !members.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// One comparison against a JSON value (absent or null reads as null); `ne` is the negation
/// of `eq`, also across types.
fn compare_json(actual: Option<&Value>, op: CompareOp, expected: &CompValue) -> bool {
    let actual = actual.filter(|v| !v.is_null());
    let order = match (expected, actual) {
        (CompValue::Null, _) => {
            return match op {
                CompareOp::Eq => actual.is_none(),
                CompareOp::Ne => actual.is_some(),
                _ => false,
            };
        }
        (CompValue::Str(wanted), Some(Value::String(have))) => {
            let (have, wanted) = (have.to_lowercase(), wanted.to_lowercase());
            match op {
                CompareOp::Co => return have.contains(&wanted),
                CompareOp::Sw => return have.starts_with(&wanted),
                CompareOp::Ew => return have.ends_with(&wanted),
                _ => have.cmp(&wanted),
            }
        }
        (CompValue::Bool(wanted), Some(Value::Bool(have)))
            if matches!(op, CompareOp::Eq | CompareOp::Ne) =>
        {
            have.cmp(wanted)
        }
        (CompValue::Number(wanted), Some(Value::Number(have))) => {
            match number_order(have, wanted) {
                Some(order) => order,
                None => return op == CompareOp::Ne,
            }
        }
        _ => return op == CompareOp::Ne,
    };
    match op {
        CompareOp::Eq => order == Ordering::Equal,
        CompareOp::Ne => order != Ordering::Equal,
        CompareOp::Gt => order == Ordering::Greater,
        CompareOp::Ge => order != Ordering::Less,
        CompareOp::Lt => order == Ordering::Less,
        CompareOp::Le => order != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// Orders two JSON numbers exactly when both are integers, else as floats.
fn number_order(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(a), Some(b)) = (a.as_i64(), b.as_i64()) {
        return Some(a.cmp(&b));
    }
    if let (Some(a), Some(b)) = (a.as_u64(), b.as_u64()) {
        return Some(a.cmp(&b));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(input: &str) -> ScimFilter {
        parse_filter(input).unwrap()
    }

    fn attr(name: &str) -> AttrPath {
        let (attr, sub) = match name.split_once('.') {
            Some((attr, sub)) => (attr, Some(sub.to_owned())),
            None => (name, None),
        };
        AttrPath {
            uri: None,
            attr: attr.to_owned(),
            sub,
        }
    }

    fn pr(name: &str) -> ScimFilter {
        ScimFilter::Present(attr(name))
    }

    fn eq_str(name: &str, value: &str) -> ScimFilter {
        ScimFilter::Compare(attr(name), CompareOp::Eq, CompValue::Str(value.to_owned()))
    }

    fn invalid(input: &str) -> String {
        match parse_filter(input) {
            Err(FilterError::Invalid(message)) => message,
            other => panic!("{input:?} gave {other:?}"),
        }
    }

    fn listing(input: &str) -> Result<FilterExpr, FilterError> {
        to_listing(&parse_filter(input)?)
    }

    fn listed(input: &str) -> FilterExpr {
        listing(input).unwrap()
    }

    fn refused(input: &str) -> String {
        match listing(input) {
            Err(FilterError::Invalid(message)) => message,
            other => panic!("{input:?} gave {other:?}"),
        }
    }

    fn like(field: UserField, pattern: &str) -> FilterExpr {
        test(field, Condition::Like(pattern.to_owned()))
    }

    fn text(value: &str) -> FilterValue {
        FilterValue::Text(value.to_owned())
    }

    #[test]
    fn every_operator_parses_in_any_case() {
        for (keyword, op) in CompareOp::KEYWORDS {
            for written in [keyword.to_owned(), keyword.to_ascii_uppercase()] {
                assert_eq!(
                    parsed(&format!("userName {written} \"a\"")),
                    ScimFilter::Compare(attr("userName"), op, CompValue::Str("a".into()))
                );
            }
            assert_eq!(op.as_str(), keyword);
        }
        assert_eq!(parsed("title PR"), pr("title"));
        assert_eq!(parsed("  title pr  "), pr("title"));
    }

    #[test]
    fn values_are_json_strings_numbers_and_keywords() {
        let value = |input: &str| match parsed(input) {
            ScimFilter::Compare(_, _, value) => value,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            value(r#"a eq "q\"b\\c\u00e9\n""#),
            CompValue::Str("q\"b\\c\u{e9}\n".into())
        );
        assert_eq!(value(r#"a eq "été""#), CompValue::Str("été".into()));
        assert_eq!(value("a gt 10"), CompValue::Number(10.into()));
        assert_eq!(
            value("a lt -2.5e+3"),
            CompValue::Number(Number::from_f64(-2500.0).unwrap())
        );
        assert_eq!(value("a eq TRUE"), CompValue::Bool(true));
        assert_eq!(value("a eq false"), CompValue::Bool(false));
        assert_eq!(value("a eq Null"), CompValue::Null);
    }

    #[test]
    fn and_binds_tighter_than_or_and_parentheses_group() {
        assert_eq!(
            parsed("a pr or b pr and c pr"),
            ScimFilter::Or(vec![pr("a"), ScimFilter::And(vec![pr("b"), pr("c")])])
        );
        assert_eq!(
            parsed("a pr AND b pr OR c pr"),
            ScimFilter::Or(vec![ScimFilter::And(vec![pr("a"), pr("b")]), pr("c")])
        );
        assert_eq!(
            parsed("(a pr or b pr) and c pr"),
            ScimFilter::And(vec![ScimFilter::Or(vec![pr("a"), pr("b")]), pr("c")])
        );
        assert_eq!(parsed("((a pr))"), pr("a"));
    }

    #[test]
    fn chains_and_same_operator_groups_flatten() {
        assert_eq!(
            parsed("a pr and b pr and c pr"),
            ScimFilter::And(vec![pr("a"), pr("b"), pr("c")])
        );
        assert_eq!(
            parsed("(a pr and b pr) and (c pr and d pr)"),
            ScimFilter::And(vec![pr("a"), pr("b"), pr("c"), pr("d")])
        );
        assert_eq!(
            parsed("a pr or (b pr or c pr)"),
            ScimFilter::Or(vec![pr("a"), pr("b"), pr("c")])
        );
    }

    #[test]
    fn not_takes_a_parenthesized_filter() {
        let not_a = ScimFilter::Not(Box::new(pr("a")));
        assert_eq!(parsed("not (a pr)"), not_a);
        assert_eq!(parsed("NOT(a pr)"), not_a);
        assert_eq!(
            parsed("not (a pr) and b pr"),
            ScimFilter::And(vec![not_a, pr("b")])
        );
        assert!(invalid("not a eq 1").contains("`not` at position 0"));
        assert!(invalid("not").contains("`not`"));
    }

    #[test]
    fn urn_prefixes_and_sub_attributes_split_as_written() {
        assert_eq!(
            parsed(r#"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "A""#),
            ScimFilter::Compare(
                AttrPath {
                    uri: Some(USER_SCHEMA.to_owned()),
                    attr: "name".into(),
                    sub: Some("givenName".into()),
                },
                CompareOp::Eq,
                CompValue::Str("A".into())
            )
        );
        assert_eq!(parsed("meta.lastModified pr"), pr("meta.lastModified"));
        assert!(invalid("foo:bar pr").contains("URN"));
        assert!(invalid("a.b.c pr").contains("`a.b.c`"));
        assert!(invalid("1a pr").contains("`1a`"));
        assert!(invalid("a$ pr and $ref pr").contains("`$ref`"));
    }

    #[test]
    fn value_paths_hold_a_filter_relative_to_the_element() {
        assert_eq!(
            parsed(r#"emails[type eq "work" and value co "@x"] or userName pr"#),
            ScimFilter::Or(vec![
                ScimFilter::ValuePath(
                    attr("emails"),
                    Box::new(ScimFilter::And(vec![
                        eq_str("type", "work"),
                        ScimFilter::Compare(
                            attr("value"),
                            CompareOp::Co,
                            CompValue::Str("@x".into())
                        ),
                    ]))
                ),
                pr("userName"),
            ])
        );
        assert!(invalid("emails[type pr").contains("`]`"));
        assert!(invalid("a[b[c pr]]").contains("value filter"));
        assert!(invalid("emails.value[type pr]").contains("value filter"));
    }

    #[test]
    fn the_input_is_bounded_in_bytes() {
        let at_cap = format!("{:<1$}", "userName pr", MAX_FILTER_BYTES);
        assert_eq!(parsed(&at_cap), pr("userName"));
        let over = format!("{at_cap} ");
        assert!(matches!(parse_filter(&over), Err(FilterError::TooMany(_))));
        assert!(matches!(parse_path(&over), Err(FilterError::TooMany(_))));
    }

    #[test]
    fn nesting_is_bounded_across_parentheses_not_and_brackets() {
        let nested = |levels: usize, open: &str, close: &str| {
            format!("{}a pr{}", open.repeat(levels), close.repeat(levels))
        };
        assert!(parse_filter(&nested(MAX_NESTING, "(", ")")).is_ok());
        assert!(parse_filter(&nested(MAX_NESTING, "not (", ")")).is_ok());
        for (open, close) in [("(", ")"), ("not (", ")")] {
            let too_deep = nested(MAX_NESTING + 1, open, close);
            assert!(matches!(
                parse_filter(&too_deep),
                Err(FilterError::TooMany(_))
            ));
        }
        let in_brackets = format!("emails[{}]", nested(MAX_NESTING - 1, "(", ")"));
        assert!(parse_filter(&in_brackets).is_ok());
        let too_deep = format!("emails[{}]", nested(MAX_NESTING, "(", ")"));
        assert!(matches!(
            parse_filter(&too_deep),
            Err(FilterError::TooMany(_))
        ));
        assert!(matches!(
            parse_path(&format!("emails[{}].value", nested(MAX_NESTING, "(", ")"))),
            Err(FilterError::TooMany(_))
        ));
        // Far beyond the bound the parser stops at the bound, without recursing further.
        assert!(matches!(
            parse_filter(&"(".repeat(MAX_FILTER_BYTES)),
            Err(FilterError::TooMany(_))
        ));
    }

    #[test]
    fn comparisons_are_bounded_in_number() {
        let chain = |n: usize| vec!["a pr"; n].join(" or ");
        assert!(parse_filter(&chain(MAX_TESTS)).is_ok());
        assert!(matches!(
            parse_filter(&chain(MAX_TESTS + 1)),
            Err(FilterError::TooMany(_))
        ));
        let in_brackets = format!("emails[{}] and a pr", chain(MAX_TESTS));
        assert!(matches!(
            parse_filter(&in_brackets),
            Err(FilterError::TooMany(_))
        ));
    }

    #[test]
    fn malformed_filters_name_the_position_and_token() {
        assert_eq!(invalid(""), "The filter is empty.");
        assert_eq!(invalid("   "), "The filter is empty.");
        assert_eq!(
            invalid(r#"userName eq "ann"#),
            "Unterminated string starting at position 12."
        );
        assert_eq!(
            invalid(r#"userName eq "a" garbage"#),
            "Expected `and`, `or` or the end of the filter at position 16, found `garbage`."
        );
        assert!(invalid(r#"userName xx "a""#).contains("operator"));
        assert!(invalid(r#"userName xx "a""#).contains("position 9, found `xx`"));
        assert!(invalid("userName eq").contains("found the end of the input"));
        assert!(invalid("userName eq 01").contains("a value"));
        assert!(invalid("userName eq bob").contains("`bob`"));
        assert!(invalid(r#"userName eq "\q""#).contains("Invalid string at position 12"));
        assert!(invalid("(a pr").contains("`)`"));
        assert!(invalid("a pr)").contains("found `)`"));
        assert!(invalid("a pr and").contains("an attribute path"));
        assert!(invalid("a\tpr").contains("found `\t`"));
        let long = "x".repeat(200);
        let message = invalid(&format!("a pr {long}"));
        assert!(message.contains(&format!("`{}…`", "x".repeat(EXCERPT_CHARS))));
        assert!(!message.contains(&"x".repeat(EXCERPT_CHARS + 1)));
    }

    #[test]
    fn patch_paths_parse_every_form() {
        let path = |input: &str| parse_path(input).unwrap();
        assert_eq!(
            path("userName"),
            PatchPath {
                attr: attr("userName"),
                filter: None,
                sub: None
            }
        );
        assert_eq!(path("name.givenName").attr, attr("name.givenName"));
        let filtered = path(r#"emails[type eq "work"].value"#);
        assert_eq!(
            filtered,
            PatchPath {
                attr: attr("emails"),
                filter: Some(eq_str("type", "work")),
                sub: Some("value".into())
            }
        );
        assert_eq!(path(r#"emails[type eq "work"]"#).sub, None);
        let urn = path(&format!("{USER_SCHEMA}:emails[primary eq true].value"));
        assert_eq!(urn.attr.uri.as_deref(), Some(USER_SCHEMA));
        for bad in [
            "",
            "emails[type pr",
            "emails.value[type pr]",
            "emails[type pr].",
            "a b",
            "emails[type pr].x.y",
            "a[b pr]]",
        ] {
            assert!(
                matches!(parse_path(bad), Err(FilterError::InvalidPath(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn every_supported_attribute_maps_to_its_field() {
        let cases = [
            ("id", UserField::Uuid),
            ("externalId", UserField::ExternalId),
            ("userName", UserField::Username),
            ("USERNAME", UserField::Username),
            ("name.givenName", UserField::FirstName),
            ("name.familyName", UserField::LastName),
            ("emails", UserField::Email),
            ("emails.value", UserField::Email),
            ("preferredLanguage", UserField::Language),
            ("locale", UserField::Language),
            (
                "urn:ietf:params:scim:schemas:core:2.0:user:userName",
                UserField::Username,
            ),
        ];
        for (name, field) in cases {
            let expr = listed(&format!("{name} pr"));
            assert_eq!(expr, test(field, Condition::IsNotNull), "{name}");
            assert_eq!(sort_field(name), Some(field), "{name}");
        }
        for (name, field) in [
            ("meta.created", UserField::CreatedAt),
            ("meta.lastModified", UserField::UpdatedAt),
        ] {
            let expr = listed(&format!(r#"{name} ge "2024-05-01T10:00:00+02:00""#));
            let at = parse_timestamp_or_panic("2024-05-01T08:00:00Z");
            assert_eq!(expr, test(field, Condition::Ge(FilterValue::Timestamp(at))));
            assert_eq!(sort_field(name), Some(field));
        }
        assert_eq!(
            listed("active eq true"),
            test(
                UserField::Enabled,
                Condition::Eq(FilterValue::Boolean(true))
            )
        );
        assert_eq!(sort_field(" Active "), Some(UserField::Enabled));
        for unsorted in [
            "emails.type",
            "meta.resourceType",
            "password",
            "name",
            "urn:x:userName",
            "",
        ] {
            assert_eq!(sort_field(unsorted), None, "{unsorted}");
        }
    }

    fn parse_timestamp_or_panic(raw: &str) -> chrono::DateTime<chrono::Utc> {
        rollcall_domain::listing::parse_timestamp(raw).unwrap()
    }

    #[test]
    fn text_operators_map_to_patterns_and_comparisons() {
        assert_eq!(
            listed(r#"userName eq "Ann_1""#),
            like(UserField::Username, r"Ann\_1")
        );
        // On a field that is never null the negation is pushed into the filter.
        assert_eq!(
            listed(r#"userName ne "ann""#),
            test(UserField::Username, Condition::NotLike("ann".into()))
        );
        assert_eq!(
            listed(r#"emails co "50%""#),
            like(UserField::Email, r"%50\%%")
        );
        assert_eq!(
            listed(r#"name.givenName sw "a""#),
            like(UserField::FirstName, "a%")
        );
        assert_eq!(
            listed(r#"name.familyName ew "e""#),
            like(UserField::LastName, "%e")
        );
        assert_eq!(
            listed(r#"externalId co "X""#),
            like(UserField::ExternalId, "%X%")
        );
        let ordered = [
            ("gt", Condition::Gt(text("m"))),
            ("ge", Condition::Ge(text("m"))),
            ("lt", Condition::Lt(text("m"))),
            ("le", Condition::Le(text("m"))),
        ];
        for (op, condition) in ordered {
            assert_eq!(
                listed(&format!(r#"userName {op} "m""#)),
                test(UserField::Username, condition)
            );
        }
        assert_eq!(
            listed(r#"id eq "AbC""#),
            test(UserField::Uuid, Condition::Eq(text("AbC")))
        );
        assert_eq!(
            listed(r#"externalId ne "e""#),
            FilterExpr::Not(Box::new(test(
                UserField::ExternalId,
                Condition::Eq(text("e"))
            )))
        );
        assert_eq!(
            listed("externalId eq null"),
            test(UserField::ExternalId, Condition::IsNull)
        );
        assert_eq!(
            listed("externalId ne null"),
            test(UserField::ExternalId, Condition::IsNotNull)
        );
        assert!(
            refused("userName eq 1")
                .contains("`userName` cannot be compared with `eq` and a number")
        );
        assert!(refused("userName eq true").contains("a boolean"));
        assert!(refused("userName co null").contains("null"));
        assert!(refused(r#"userName eq "a\u0000""#).contains("not a valid value"));
        let too_long = format!(r#"userName eq "{}""#, "a".repeat(257));
        assert!(refused(&too_long).contains("at most 256 characters"));
        assert!(listing(&format!(r#"userName eq "{}""#, "é".repeat(256))).is_ok());
    }

    #[test]
    fn active_takes_booleans_with_eq_ne_and_pr() {
        let enabled = |c| test(UserField::Enabled, c);
        assert_eq!(
            listed("active eq FALSE"),
            enabled(Condition::Eq(FilterValue::Boolean(false)))
        );
        assert_eq!(
            listed("active ne true"),
            enabled(Condition::Ne(FilterValue::Boolean(true)))
        );
        assert!(listed("active pr").is_always());
        assert!(
            listed("active pr and userName pr") == test(UserField::Username, Condition::IsNotNull)
        );
        for bad in [
            r#"active eq "true""#,
            "active eq 1",
            "active eq null",
            "active co true",
            "active gt false",
        ] {
            assert!(refused(bad).contains("`active`"), "{bad}");
        }
    }

    #[test]
    fn timestamps_take_rfc3339_strings_and_no_patterns() {
        assert_eq!(
            listed(r#"meta.lastModified ne "2024-01-01T00:00:00Z""#),
            test(
                UserField::UpdatedAt,
                Condition::Ne(FilterValue::Timestamp(parse_timestamp_or_panic(
                    "2024-01-01T00:00:00Z"
                )))
            )
        );
        assert_eq!(
            listed("meta.created pr"),
            test(UserField::CreatedAt, Condition::IsNotNull)
        );
        assert!(refused(r#"meta.created gt "yesterday""#).contains("yesterday"));
        assert!(refused(r#"meta.created co "2024""#).contains("`co`"));
        assert!(refused("meta.created gt 2024").contains("a number"));
        assert!(refused("meta.created eq null").contains("null"));
    }

    #[test]
    fn resource_type_is_always_user() {
        assert!(listed(r#"meta.resourceType eq "user""#).is_always());
        assert_eq!(listed(r#"meta.resourceType eq "Group""#), never());
        assert_eq!(listed(r#"meta.resourceType ne "User""#), never());
        assert!(listed(r#"meta.resourceType ne "Group""#).is_always());
        assert!(listed("meta.resourceType pr").is_always());
        assert!(refused(r#"meta.resourceType co "U""#).contains("`co`"));
    }

    #[test]
    fn email_value_paths_answer_from_the_one_work_address() {
        let has = test(UserField::Email, Condition::IsNotNull);
        assert_eq!(listed(r#"emails[type eq "Work"]"#), has);
        assert_eq!(listed(r#"emails[type eq "home"]"#), never());
        assert!(listed(r#"emails[type ne "home"]"#) == has);
        assert_eq!(listed("emails[type pr]"), has);
        assert_eq!(listed("emails[primary eq true]"), has);
        assert_eq!(listed("emails[primary eq false]"), never());
        assert_eq!(listed(r#"emails.type eq "work""#), has);
        assert_eq!(listed("emails.primary eq true"), has);
        assert_eq!(
            listed(r#"emails[type eq "work" and value co "@x"]"#),
            FilterExpr::All(vec![has.clone(), like(UserField::Email, "%@x%")])
        );
        assert_eq!(
            listed(r#"emails[value ew ".org" or value ew ".net"]"#),
            FilterExpr::Any(vec![
                like(UserField::Email, "%.org"),
                like(UserField::Email, "%.net")
            ])
        );
        // Some element must exist: `not` inside brackets does not match a user without e-mail.
        assert_eq!(
            listed(r#"emails[not (value eq "a@x")]"#),
            FilterExpr::All(vec![
                has.clone(),
                FilterExpr::Not(Box::new(like(UserField::Email, "a@x")))
            ])
        );
        assert_eq!(
            listed(r#"emails[type ne "work"]"#),
            FilterExpr::All(vec![has.clone(), FilterExpr::Not(Box::new(has.clone()))])
        );
        assert!(refused("emails[display pr]").contains("`display`"));
        assert!(refused(r#"emails[type co "w"]"#).contains("`type`"));
        assert!(refused("emails[primary eq 1]").contains("a number"));
        assert!(refused(r#"name[givenName eq "a"]"#).contains("name[…]"));
        assert!(refused(r#"emails[urn:x:type eq "a"]"#).contains("urn:x:type"));
    }

    #[test]
    fn unsupported_attributes_are_named() {
        for (input, named) in [
            (r#"password eq "x""#, "`password`"),
            ("groups pr", "`groups`"),
            (r#"displayName eq "x""#, "`displayName`"),
            ("name pr", "`name`"),
            ("name.middleName pr", "`name.middleName`"),
            ("meta.location pr", "`meta.location`"),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department pr",
                "`urn:ietf:params:scim:schemas:extension:e…` is not a schema",
            ),
        ] {
            assert!(
                refused(input).contains(named),
                "{input}: {}",
                refused(input)
            );
        }
    }

    #[test]
    fn the_listing_is_checked_against_the_domain_bounds() {
        // 16 levels of alternating groups parse, but make 17 levels of All/Any.
        let mut deep = "userName pr or userName pr".to_owned();
        for level in 0..MAX_NESTING {
            let op = if level % 2 == 0 { "and" } else { "or" };
            deep = format!("userName pr {op} ({deep})");
        }
        let filter = parse_filter(&deep).unwrap();
        assert_eq!(
            to_listing(&filter),
            Err(FilterError::TooMany(
                ListingError::FilterTooDeep.to_string()
            ))
        );
        let nots = format!(
            "{}userName pr{}",
            "not (".repeat(MAX_NESTING),
            ")".repeat(MAX_NESTING)
        );
        // Negations cancel in pairs and the last is pushed into the filter: 16 of them leave
        // one test of `userName pr`.
        assert_eq!(
            listed(&nots),
            test(UserField::Username, Condition::IsNotNull)
        );
        // 16 wrapped value paths give 32 tests; 17 give 34.
        let wrapped = |n: usize| vec![r#"emails[not (value eq "a")]"#; n].join(" or ");
        assert_eq!(listed(&wrapped(16)).tests().len(), MAX_FILTERS);
        assert_eq!(
            listing(&wrapped(17)),
            Err(FilterError::TooMany(
                ListingError::TooManyFilters.to_string()
            ))
        );
    }

    #[test]
    fn elements_match_case_insensitively() {
        let email = serde_json::json!({"Value": "Ann@X.org", "type": "work", "primary": true, "display": "", "n": 5});
        let matches = |input: &str| matches_element(&parsed(input), &email);
        assert!(matches(r#"type eq "WORK""#));
        assert!(matches(r#"VALUE co "@x.""#));
        assert!(matches(r#"value sw "ann" and value ew "ORG""#));
        assert!(matches(r#"value gt "AAA" and value lt "b""#));
        assert!(matches("primary eq true and not (primary eq false)"));
        assert!(matches(
            "value pr and not (display pr) and not (missing pr)"
        ));
        assert!(matches("n ge 5 and n lt 5.5 and n ne 4"));
        assert!(matches(
            r#"missing ne "x" and missing eq null and type ne null"#
        ));
        assert!(matches(r#"type eq "home" or primary eq true"#));
        assert!(!matches(r#"n eq "5""#));
        assert!(!matches("primary gt false"));
        assert!(!matches("n co 5"));
        assert!(!matches_element(
            &parsed("type pr"),
            &serde_json::json!("work")
        ));
    }

    /// Every prefix of a set of tricky inputs, and each with a multi-byte character inserted
    /// at every character boundary, parses or is refused; none panics (a panic would end the
    /// worker's connection).
    #[test]
    fn no_input_panics_the_parsers() {
        let seeds = [
            r#"userName eq "ann" and (emails[type eq "work" and value co "@x"] or not (active eq true))"#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName sw "A\u00e9\"" or meta.created gt "2024-01-01T00:00:00Z""#,
            r#"emails[value ew ".org"].value"#,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            "a[b[c eq 1]]",
        ];
        for seed in seeds {
            let boundaries: Vec<usize> = seed
                .char_indices()
                .map(|(i, _)| i)
                .chain([seed.len()])
                .collect();
            for &end in &boundaries {
                let prefix = &seed[..end];
                let _ = parse_filter(prefix).map(|f| to_listing(&f));
                let _ = parse_path(prefix);
                for odd in ["𐀀", "é", "\0", "\"", "\u{0}"] {
                    for &at in boundaries.iter().filter(|&&b| b <= end) {
                        let mutated = format!("{}{odd}{}", &prefix[..at], &prefix[at..]);
                        let _ = parse_filter(&mutated).map(|f| to_listing(&f));
                        let _ = parse_path(&mutated);
                    }
                }
            }
        }
    }
}
