//! SCIM 2.0 PATCH (RFC 7644 §3.5.2): the operations of a `PatchOp` body, applied to a user
//! rendered as a SCIM User document, which the handler then reads as it reads a PUT body.
//!
//! Attribute names match the User schema case-insensitively and are always written back
//! under their canonical names; values are kept as given (the reader decides what
//! `"active": "False"` means). Known core attributes that are not stored (`displayName`,
//! `phoneNumbers`, …) and attributes of other schemas (`urn:…:enterprise:2.0:User:…`) are
//! ignored, as identity providers send them whatever the server advertises.
//!
//! # Choices where the RFC leaves room or real clients differ from it
//!
//! - `value: null` on add or replace removes the target (RFC 7643 §2.5: null is unassigned).
//! - `remove` of a value filter matching nothing succeeds.
//! - `add` or `replace` of `emails[filter].sub` matching no element appends one built from the
//!   filter's `eq` comparisons (`emails[type eq "work"].value` → `{"type":"work","value":…}`):
//!   Entra ID sets the work address this way with both operations. When the filter is not a
//!   conjunction of `eq` comparisons nothing can be built, and the answer is `noTarget`.
//! - A `replace` of `emails[filter]` (no sub-attribute) matching nothing is `noTarget`.
//! - `id`, `meta` and `schemas` as a path are `mutability` errors; as keys of a no-path value
//!   object they are ignored (Entra ID and Okta echo them).
//! - The operations apply all or nothing: on an error the resource is left unchanged.

use super::filter::{
    CompValue, CompareOp, FilterError, PatchPath, ScimFilter, USER_SCHEMA, excerpt,
    matches_element, member, parse_path, without_core_urn,
};
use serde_json::{Map, Value};

/// The schema URN a PATCH body must declare.
pub(crate) const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The most operations in one PATCH body.
pub(crate) const MAX_OPERATIONS: usize = 64;

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PatchOpKind {
    /// `add`
    Add,
    /// `replace`
    Replace,
    /// `remove`
    Remove,
}

/// One operation of a PATCH body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PatchOperation {
    /// `op`
    pub(crate) kind: PatchOpKind,
    /// `path`, parsed.
    pub(crate) path: Option<PatchPath>,
    /// `value` (`Some(Value::Null)` when given as `null`).
    pub(crate) value: Option<Value>,
}

/// Why a PATCH was refused; each variant is the SCIM `scimType` of that name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PatchError {
    /// `invalidSyntax`: the body is not a well-formed `PatchOp`.
    #[error("{0}")]
    InvalidSyntax(String),
    /// `invalidPath`: a malformed path or an attribute the User schema does not have.
    #[error("{0}")]
    InvalidPath(String),
    /// `noTarget`: the path selects nothing where something is required.
    #[error("{0}")]
    NoTarget(String),
    /// `mutability`: the operation targets a read-only attribute.
    #[error("{0}")]
    Mutability(String),
    /// `invalidValue`: a value of the wrong shape for its attribute.
    #[error("{0}")]
    InvalidValue(String),
    /// `tooMany`: more than [`MAX_OPERATIONS`] operations or a path beyond the filter bounds.
    #[error("{0}")]
    TooMany(String),
}

/// The shape of an attribute of the User schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A single simple value.
    Simple,
    /// A complex value with these sub-attributes.
    Complex(&'static [&'static str]),
    /// A list of complex values with these sub-attributes.
    MultiValued(&'static [&'static str]),
    /// Set by the server only.
    ReadOnly,
    /// A core attribute this server does not store: operations on it are ignored.
    NotStored,
}

const NAME_SUBS: &[&str] = &[
    "givenName",
    "familyName",
    "formatted",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
];
const EMAIL_SUBS: &[&str] = &["value", "type", "primary", "display"];

/// The User schema as PATCH sees it, by canonical name.
const SCHEMA: &[(&str, Kind)] = &[
    ("userName", Kind::Simple),
    ("externalId", Kind::Simple),
    ("active", Kind::Simple),
    ("preferredLanguage", Kind::Simple),
    ("locale", Kind::Simple),
    ("password", Kind::Simple),
    ("name", Kind::Complex(NAME_SUBS)),
    ("emails", Kind::MultiValued(EMAIL_SUBS)),
    ("id", Kind::ReadOnly),
    ("meta", Kind::ReadOnly),
    ("schemas", Kind::ReadOnly),
    ("displayName", Kind::NotStored),
    ("nickName", Kind::NotStored),
    ("title", Kind::NotStored),
    ("userType", Kind::NotStored),
    ("timezone", Kind::NotStored),
    ("profileUrl", Kind::NotStored),
    ("phoneNumbers", Kind::NotStored),
    ("addresses", Kind::NotStored),
    ("roles", Kind::NotStored),
    ("entitlements", Kind::NotStored),
    ("x509Certificates", Kind::NotStored),
    ("ims", Kind::NotStored),
    ("photos", Kind::NotStored),
    ("groups", Kind::NotStored),
];

/// Reads a PATCH body: `schemas` must list [`PATCH_OP_SCHEMA`], `Operations` (any case) must
/// hold 1 to [`MAX_OPERATIONS`] operations, each with an `op` of `add`, `replace` or `remove`
/// (any case), an optional `path` and a `value` for add and replace.
///
/// # Errors
/// [`PatchError::InvalidSyntax`] for a malformed body or operation, [`PatchError::TooMany`]
/// beyond [`MAX_OPERATIONS`], [`PatchError::InvalidPath`] for a bad path,
/// [`PatchError::NoTarget`] for a remove without a path.
pub(crate) fn parse_patch(body: &Value) -> Result<Vec<PatchOperation>, PatchError> {
    let Value::Object(body) = body else {
        return Err(PatchError::InvalidSyntax(
            "A PATCH body must be a JSON object.".to_owned(),
        ));
    };
    let declared = member(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|schemas| {
            schemas.iter().any(|schema| {
                schema
                    .as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP_SCHEMA))
            })
        });
    if !declared {
        return Err(PatchError::InvalidSyntax(format!(
            "A PATCH body must list {PATCH_OP_SCHEMA} in `schemas`."
        )));
    }
    let operations = match member(body, "Operations") {
        Some(Value::Array(operations)) if !operations.is_empty() => operations,
        _ => {
            return Err(PatchError::InvalidSyntax(
                "`Operations` must be a non-empty array.".to_owned(),
            ));
        }
    };
    if operations.len() > MAX_OPERATIONS {
        return Err(PatchError::TooMany(format!(
            "A PATCH may carry at most {MAX_OPERATIONS} operations."
        )));
    }
    operations
        .iter()
        .enumerate()
        .map(|(index, operation)| parse_operation(index, operation))
        .collect()
}

/// Applies the operations in order to a rendered User document, then drops an empty `name`
/// and an empty `emails`. All or nothing: on an error `resource` is unchanged.
///
/// # Errors
/// [`PatchError::InvalidPath`] for an attribute the schema does not have,
/// [`PatchError::Mutability`] for a read-only one, [`PatchError::InvalidValue`] for a value
/// of the wrong shape, [`PatchError::NoTarget`] when a required selection is empty,
/// [`PatchError::InvalidSyntax`] for an add or replace without a value.
pub(crate) fn apply_patch(
    resource: &mut Map<String, Value>,
    operations: &[PatchOperation],
) -> Result<(), PatchError> {
    let mut patched = resource.clone();
    for operation in operations {
        apply_operation(&mut patched, operation)?;
    }
    for (name, kind) in SCHEMA {
        let empty = match patched.get(*name) {
            Some(Value::Object(members)) => matches!(kind, Kind::Complex(_)) && members.is_empty(),
            Some(Value::Array(items)) => matches!(kind, Kind::MultiValued(_)) && items.is_empty(),
            _ => false,
        };
        if empty {
            patched.remove(*name);
        }
    }
    *resource = patched;
    Ok(())
}

fn parse_operation(index: usize, operation: &Value) -> Result<PatchOperation, PatchError> {
    let Value::Object(operation) = operation else {
        return Err(PatchError::InvalidSyntax(format!(
            "Operations[{index}] must be an object."
        )));
    };
    let op = member(operation, "op")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = [
        ("add", PatchOpKind::Add),
        ("replace", PatchOpKind::Replace),
        ("remove", PatchOpKind::Remove),
    ]
    .into_iter()
    .find(|(name, _)| name.eq_ignore_ascii_case(op))
    .map(|(_, kind)| kind)
    .ok_or_else(|| {
        PatchError::InvalidSyntax(format!(
            "Operations[{index}].op must be add, replace or remove."
        ))
    })?;
    let path = match member(operation, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(path)) => Some(parse_path(path).map_err(|error| {
            let message = format!("Operations[{index}].path: {error}");
            match error {
                FilterError::TooMany(_) => PatchError::TooMany(message),
                FilterError::Invalid(_) | FilterError::InvalidPath(_) => {
                    PatchError::InvalidPath(message)
                }
            }
        })?),
        Some(_) => {
            return Err(PatchError::InvalidPath(format!(
                "Operations[{index}].path must be a string."
            )));
        }
    };
    let value = member(operation, "value").cloned();
    if kind != PatchOpKind::Remove && value.is_none() {
        return Err(PatchError::InvalidSyntax(format!(
            "Operations[{index}] needs a value."
        )));
    }
    if kind == PatchOpKind::Remove && path.is_none() {
        return Err(PatchError::NoTarget(format!(
            "Operations[{index}] is a remove without a path."
        )));
    }
    Ok(PatchOperation { kind, path, value })
}

/// What one operation does to its target, `null` on add or replace reading as a removal.
#[derive(Debug, Clone, Copy)]
enum Edit<'v> {
    Add(&'v Value),
    Replace(&'v Value),
    Remove,
}

/// What a path designates in the User document.
#[derive(Debug, Clone, Copy)]
enum Target<'p> {
    /// Not stored, or of another schema: nothing to do.
    Ignored,
    Simple(&'static str),
    /// `name`, or one sub-attribute of it.
    Complex {
        name: &'static str,
        subs: &'static [&'static str],
        sub: Option<&'static str>,
    },
    /// `emails` (no filter, no sub), or a sub-attribute of every element (no filter) or of
    /// the elements the filter selects.
    MultiValued {
        name: &'static str,
        subs: &'static [&'static str],
        filter: Option<&'p ScimFilter>,
        sub: Option<&'static str>,
    },
}

fn apply_operation(
    resource: &mut Map<String, Value>,
    operation: &PatchOperation,
) -> Result<(), PatchError> {
    let edit = match (operation.kind, &operation.value) {
        (PatchOpKind::Remove, _) | (_, Some(Value::Null)) => Edit::Remove,
        (PatchOpKind::Add, Some(value)) => Edit::Add(value),
        (PatchOpKind::Replace, Some(value)) => Edit::Replace(value),
        (_, None) => {
            return Err(PatchError::InvalidSyntax(
                "An add or replace operation needs a value.".to_owned(),
            ));
        }
    };
    match (&operation.path, edit) {
        (Some(path), edit) => apply_at(resource, resolve(path)?, edit),
        (None, Edit::Remove) => Err(PatchError::NoTarget(
            "A remove operation needs a path.".to_owned(),
        )),
        (None, Edit::Add(Value::Object(members)) | Edit::Replace(Value::Object(members))) => {
            apply_members(resource, operation.kind, members, true)
        }
        (None, _) => Err(PatchError::InvalidValue(
            "An add or replace without a path needs an object value.".to_owned(),
        )),
    }
}

/// A no-path add or replace: each key (`userName`, `name.givenName`, URN-prefixed) is an
/// operation of its own. Read-only keys and other schemas' keys are skipped; the members of
/// a key that is the User schema URN itself are read as top-level keys.
fn apply_members(
    resource: &mut Map<String, Value>,
    kind: PatchOpKind,
    members: &Map<String, Value>,
    at_top: bool,
) -> Result<(), PatchError> {
    for (key, value) in members {
        if key.eq_ignore_ascii_case(USER_SCHEMA) && at_top {
            let Value::Object(inner) = value else {
                return Err(PatchError::InvalidValue(format!(
                    "`{USER_SCHEMA}` must be an object."
                )));
            };
            apply_members(resource, kind, inner, false)?;
            continue;
        }
        let is_urn = key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
        if is_urn && without_core_urn(key).is_none() {
            continue;
        }
        let path = parse_path(key).map_err(|error| {
            PatchError::InvalidPath(format!(
                "`{}` is not an attribute path: {error}",
                excerpt(key)
            ))
        })?;
        if attribute(&path.attr.attr).is_some_and(|(_, kind)| kind == Kind::ReadOnly) {
            continue;
        }
        let edit = match (kind, value) {
            (_, Value::Null) => Edit::Remove,
            (PatchOpKind::Replace, value) => Edit::Replace(value),
            (_, value) => Edit::Add(value),
        };
        apply_at(resource, resolve(&path)?, edit)?;
    }
    Ok(())
}

/// The canonical name of a User attribute a client may write (`userName`, `name`,
/// `password`, …), matched case-insensitively; `None` for read-only, unstored and unknown
/// ones. The body reader (`super::resource`) takes its attributes from here.
pub(crate) fn writable_attribute(name: &str) -> Option<&'static str> {
    match attribute(name)? {
        (canonical, Kind::Simple | Kind::Complex(_) | Kind::MultiValued(_)) => Some(canonical),
        (_, Kind::ReadOnly | Kind::NotStored) => None,
    }
}

/// The canonical name and shape of a User attribute, matched case-insensitively.
fn attribute(name: &str) -> Option<(&'static str, Kind)> {
    SCHEMA
        .iter()
        .find(|(canonical, _)| canonical.eq_ignore_ascii_case(name))
        .copied()
}

/// The canonical name of a sub-attribute.
fn sub_attribute(
    attribute: &str,
    subs: &'static [&'static str],
    name: &str,
) -> Result<&'static str, PatchError> {
    subs.iter()
        .find(|canonical| canonical.eq_ignore_ascii_case(name))
        .copied()
        .ok_or_else(|| {
            PatchError::InvalidPath(format!(
                "`{}` is not a sub-attribute of {attribute}.",
                excerpt(name)
            ))
        })
}

fn resolve(path: &PatchPath) -> Result<Target<'_>, PatchError> {
    if path
        .attr
        .uri
        .as_deref()
        .is_some_and(|uri| !uri.eq_ignore_ascii_case(USER_SCHEMA))
    {
        return Ok(Target::Ignored);
    }
    let Some((name, kind)) = attribute(&path.attr.attr) else {
        return Err(PatchError::InvalidPath(format!(
            "`{}` is not an attribute of a User.",
            excerpt(&path.attr.to_string())
        )));
    };
    let attr_sub = path.attr.sub.as_deref();
    let selects = path.filter.is_some() || path.sub.is_some();
    match kind {
        Kind::ReadOnly => Err(PatchError::Mutability(format!("`{name}` is read-only."))),
        Kind::NotStored => Ok(Target::Ignored),
        Kind::Simple if !selects && attr_sub.is_none() => Ok(Target::Simple(name)),
        Kind::Complex(subs) if !selects => Ok(Target::Complex {
            name,
            subs,
            sub: attr_sub.map(|s| sub_attribute(name, subs, s)).transpose()?,
        }),
        Kind::MultiValued(subs) => Ok(Target::MultiValued {
            name,
            subs,
            filter: path.filter.as_ref(),
            sub: path
                .sub
                .as_deref()
                .or(attr_sub)
                .map(|s| sub_attribute(name, subs, s))
                .transpose()?,
        }),
        Kind::Simple | Kind::Complex(_) => Err(PatchError::InvalidPath(format!(
            "`{name}` has no sub-attributes or values to select."
        ))),
    }
}

fn apply_at(
    resource: &mut Map<String, Value>,
    target: Target<'_>,
    edit: Edit<'_>,
) -> Result<(), PatchError> {
    match target {
        Target::Ignored => {}
        Target::Simple(name) => {
            take(resource, name);
            if let Edit::Add(value) | Edit::Replace(value) = edit {
                resource.insert(name.to_owned(), simple_value(name, value)?);
            }
        }
        Target::Complex { name, subs, sub } => {
            let mut current = match take(resource, name) {
                Some(Value::Object(current)) => current,
                _ => Map::new(),
            };
            match (sub, edit) {
                (None, Edit::Remove) => return Ok(()),
                (None, Edit::Add(value) | Edit::Replace(value)) => {
                    let Value::Object(given) = value else {
                        return Err(PatchError::InvalidValue(format!(
                            "`{name}` takes an object of sub-attributes."
                        )));
                    };
                    for (key, sub_value) in given {
                        set_member(&mut current, sub_attribute(name, subs, key)?, sub_value)?;
                    }
                }
                (Some(sub), Edit::Remove) => {
                    take(&mut current, sub);
                }
                (Some(sub), Edit::Add(value) | Edit::Replace(value)) => {
                    set_member(&mut current, sub, value)?;
                }
            }
            resource.insert(name.to_owned(), Value::Object(current));
        }
        Target::MultiValued {
            name,
            subs,
            filter,
            sub,
        } => {
            let mut items = match take(resource, name) {
                Some(Value::Array(items)) => items,
                None | Some(Value::Null) => Vec::new(),
                Some(other) => vec![other],
            };
            edit_list(&mut items, name, subs, filter, sub, edit)?;
            resource.insert(name.to_owned(), Value::Array(items));
        }
    }
    Ok(())
}

/// An edit of a multi-valued attribute's elements.
fn edit_list(
    items: &mut Vec<Value>,
    name: &str,
    subs: &'static [&'static str],
    filter: Option<&ScimFilter>,
    sub: Option<&'static str>,
    edit: Edit<'_>,
) -> Result<(), PatchError> {
    let selected: Vec<usize> = (0..items.len())
        .filter(|&i| filter.is_none_or(|f| matches_element(f, &items[i])))
        .collect();
    let no_target =
        || PatchError::NoTarget(format!("The value filter of `{name}` matches no element."));
    // A new element for a selection that matched nothing.
    let built = || match filter {
        None => Some(Map::new()),
        Some(filter) => element_from_filter(filter, subs),
    };
    match (filter, sub, edit) {
        (None, None, Edit::Add(value)) => {
            for element in elements(name, subs, value)? {
                push_unique(items, element);
            }
        }
        (None, None, Edit::Replace(value)) => {
            items.clear();
            for element in elements(name, subs, value)? {
                push_unique(items, element);
            }
        }
        (None, None, Edit::Remove) => items.clear(),
        (Some(_), None, Edit::Remove) => {
            let mut index = 0;
            items.retain(|_| {
                index += 1;
                !selected.contains(&(index - 1))
            });
        }
        (Some(_), None, Edit::Add(value) | Edit::Replace(value)) => {
            let given = element(name, subs, value)?;
            if selected.is_empty() {
                let mut fresh = match edit {
                    Edit::Add(_) => built().ok_or_else(no_target)?,
                    _ => return Err(no_target()),
                };
                fresh.extend(given);
                push_unique(items, Value::Object(fresh));
                return Ok(());
            }
            for &i in &selected {
                let replaced = matches!(edit, Edit::Replace(_));
                match &mut items[i] {
                    Value::Object(current) if !replaced => current.extend(given.clone()),
                    slot => *slot = Value::Object(given.clone()),
                }
            }
        }
        (_, Some(sub), Edit::Remove) => {
            for &i in &selected {
                if let Value::Object(current) = &mut items[i] {
                    take(current, sub);
                }
            }
        }
        (_, Some(sub), Edit::Add(value) | Edit::Replace(value)) => {
            let value = simple_value(sub, value)?;
            if selected.is_empty() {
                let mut fresh = built().ok_or_else(no_target)?;
                fresh.insert(sub.to_owned(), value.clone());
                push_unique(items, Value::Object(fresh));
            }
            for &i in &selected {
                match &mut items[i] {
                    Value::Object(current) => set_member(current, sub, &value)?,
                    slot => {
                        *slot = Value::Object(Map::from_iter([(sub.to_owned(), value.clone())]))
                    }
                }
            }
        }
    }
    let mut unique = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        push_unique(&mut unique, item);
    }
    *items = unique;
    Ok(())
}

/// The elements a value for a whole multi-valued attribute holds: an array, or one object.
fn elements(
    name: &str,
    subs: &'static [&'static str],
    value: &Value,
) -> Result<Vec<Value>, PatchError> {
    match value {
        Value::Array(values) => values
            .iter()
            .map(|v| element(name, subs, v).map(Value::Object))
            .collect(),
        Value::Object(_) => Ok(vec![Value::Object(element(name, subs, value)?)]),
        _ => Err(PatchError::InvalidValue(format!(
            "`{name}` takes an array of objects or one object."
        ))),
    }
}

/// One element, its keys canonical and its null members left out.
fn element(
    name: &str,
    subs: &'static [&'static str],
    value: &Value,
) -> Result<Map<String, Value>, PatchError> {
    let Value::Object(given) = value else {
        return Err(PatchError::InvalidValue(format!(
            "Each value of `{name}` must be an object."
        )));
    };
    let mut element = Map::new();
    for (key, sub_value) in given {
        set_member(&mut element, sub_attribute(name, subs, key)?, sub_value)?;
    }
    Ok(element)
}

/// The element a value filter describes when it is `a eq v` or a conjunction of those on
/// sub-attributes; `None` otherwise.
fn element_from_filter(
    filter: &ScimFilter,
    subs: &'static [&'static str],
) -> Option<Map<String, Value>> {
    let comparisons = match filter {
        ScimFilter::And(operands) => operands.as_slice(),
        single => std::slice::from_ref(single),
    };
    let mut element = Map::new();
    for comparison in comparisons {
        let ScimFilter::Compare(path, CompareOp::Eq, value) = comparison else {
            return None;
        };
        if path.uri.is_some() || path.sub.is_some() {
            return None;
        }
        let name = subs.iter().find(|s| s.eq_ignore_ascii_case(&path.attr))?;
        let value = match value {
            CompValue::Str(text) => Value::String(text.clone()),
            CompValue::Bool(flag) => Value::Bool(*flag),
            CompValue::Number(number) => Value::Number(number.clone()),
            CompValue::Null => return None,
        };
        element.insert((*name).to_owned(), value);
    }
    Some(element)
}

/// The value of a simple attribute, refused when it is an object or an array.
fn simple_value(name: &str, value: &Value) -> Result<Value, PatchError> {
    if value.is_object() || value.is_array() {
        return Err(PatchError::InvalidValue(format!(
            "`{name}` takes a single simple value."
        )));
    }
    Ok(value.clone())
}

/// Sets (or, for null, removes) a simple member under its canonical name.
fn set_member(
    object: &mut Map<String, Value>,
    name: &str,
    value: &Value,
) -> Result<(), PatchError> {
    take(object, name);
    if !value.is_null() {
        object.insert(name.to_owned(), simple_value(name, value)?);
    }
    Ok(())
}

/// Removes every member named `name` in any case, returning the one so named exactly (else
/// the first other).
fn take(object: &mut Map<String, Value>, name: &str) -> Option<Value> {
    let exact = object.remove(name);
    let others: Vec<String> = object
        .keys()
        .filter(|key| key.eq_ignore_ascii_case(name))
        .cloned()
        .collect();
    let mut first = None;
    for key in others {
        let removed = object.remove(&key);
        first = first.or(removed);
    }
    exact.or(first)
}

fn push_unique(items: &mut Vec<Value>, item: Value) {
    if !items.contains(&item) {
        items.push(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Map<String, Value> {
        let Value::Object(user) = json!({
            "schemas": [USER_SCHEMA],
            "id": "6f1c",
            "externalId": "x",
            "userName": "ann",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "ann@x.org", "type": "work", "primary": true}],
            "active": true,
            "preferredLanguage": "en",
            "locale": "en",
            "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z"}
        }) else {
            unreachable!()
        };
        user
    }

    fn body(operations: Value) -> Value {
        json!({"schemas": [PATCH_OP_SCHEMA], "Operations": operations})
    }

    /// The user after a literal PATCH body.
    fn patched_by(body: &Value) -> Result<Map<String, Value>, PatchError> {
        let operations = parse_patch(body)?;
        let mut resource = user();
        apply_patch(&mut resource, &operations)?;
        Ok(resource)
    }

    /// The user after these operations.
    fn patched(operations: Value) -> Result<Map<String, Value>, PatchError> {
        patched_by(&body(operations))
    }

    fn ok(operations: Value) -> Map<String, Value> {
        patched(operations).unwrap()
    }

    /// `user()` with `changes` merged at the top level (null removes).
    fn user_with(changes: Value) -> Map<String, Value> {
        let mut expected = user();
        for (key, value) in changes.as_object().unwrap() {
            if value.is_null() {
                expected.remove(key);
            } else {
                expected.insert(key.clone(), value.clone());
            }
        }
        expected
    }

    #[test]
    fn bodies_must_declare_the_patch_schema_and_bounded_operations() {
        let add = json!({"op": "add", "path": "userName", "value": "a"});
        assert!(matches!(
            parse_patch(&json!([])),
            Err(PatchError::InvalidSyntax(_))
        ));
        assert!(matches!(
            parse_patch(&json!({"Operations": [add]})),
            Err(PatchError::InvalidSyntax(_))
        ));
        assert!(matches!(
            parse_patch(&json!({"schemas": [USER_SCHEMA], "Operations": [add]})),
            Err(PatchError::InvalidSyntax(_))
        ));
        let lower = json!({"schemas": [PATCH_OP_SCHEMA], "operations": [add]});
        assert_eq!(parse_patch(&lower).unwrap().len(), 1);
        assert!(matches!(
            parse_patch(&body(json!([]))),
            Err(PatchError::InvalidSyntax(_))
        ));
        assert!(matches!(
            parse_patch(&body(json!({}))),
            Err(PatchError::InvalidSyntax(_))
        ));
        let many = |n: usize| body(Value::Array(vec![add.clone(); n]));
        assert_eq!(
            parse_patch(&many(MAX_OPERATIONS)).unwrap().len(),
            MAX_OPERATIONS
        );
        assert!(matches!(
            parse_patch(&many(MAX_OPERATIONS + 1)),
            Err(PatchError::TooMany(_))
        ));
    }

    #[test]
    fn operations_are_read_with_their_paths_and_values() {
        for (op, kind) in [
            ("add", PatchOpKind::Add),
            ("Add", PatchOpKind::Add),
            ("replace", PatchOpKind::Replace),
            ("Replace", PatchOpKind::Replace),
            ("remove", PatchOpKind::Remove),
            ("Remove", PatchOpKind::Remove),
        ] {
            let operations =
                parse_patch(&body(json!([{"op": op, "path": "userName", "value": "a"}])));
            assert_eq!(operations.unwrap()[0].kind, kind);
        }
        let read = parse_patch(&body(
            json!([{"op": "add", "path": "name.givenName", "value": null}]),
        ));
        let read = &read.unwrap()[0];
        assert_eq!(read.value, Some(Value::Null));
        assert_eq!(
            read.path.as_ref().unwrap().attr.sub.as_deref(),
            Some("givenName")
        );
        let error = |operation: Value| {
            parse_patch(&body(
                json!([{"op": "add", "path": "userName", "value": 1}, operation]),
            ))
            .unwrap_err()
        };
        assert_eq!(
            error(json!({"op": "move", "path": "userName"})),
            PatchError::InvalidSyntax("Operations[1].op must be add, replace or remove.".into())
        );
        assert!(
            matches!(error(json!({"op": "add", "path": "userName"})), PatchError::InvalidSyntax(m) if m.contains("[1]"))
        );
        assert!(matches!(
            error(json!({"op": "remove"})),
            PatchError::NoTarget(_)
        ));
        assert!(
            matches!(error(json!({"op": "remove", "path": "emails[type eq"})), PatchError::InvalidPath(m) if m.starts_with("Operations[1].path: "))
        );
        assert!(matches!(
            error(json!({"op": "remove", "path": 3})),
            PatchError::InvalidPath(_)
        ));
        assert!(matches!(error(json!("add")), PatchError::InvalidSyntax(_)));
        let deep = format!("emails[{}type pr{}]", "(".repeat(16), ")".repeat(16));
        assert!(matches!(
            error(json!({"op": "remove", "path": deep})),
            PatchError::TooMany(_)
        ));
    }

    #[test]
    fn entra_id_replaces_active_with_a_string() {
        let body = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]});
        assert_eq!(
            patched_by(&body).unwrap(),
            user_with(json!({"active": "False"}))
        );
    }

    #[test]
    fn entra_id_sets_the_work_email_family_name_and_external_id() {
        let body = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"emails[type eq \"work\"].value","value":"new@x.org"},{"op":"Replace","path":"name.familyName","value":"Lee"},{"op":"Add","path":"externalId","value":"e-1"}]});
        let expected = user_with(json!({
            "emails": [{"value": "new@x.org", "type": "work", "primary": true}],
            "externalId": "e-1"
        }));
        assert_eq!(patched_by(&body).unwrap(), expected);
    }

    #[test]
    fn entra_id_replaces_without_a_path_with_dotted_keys() {
        let body = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false,"userName":"new","name.givenName":"G"}}]});
        let expected = user_with(json!({
            "active": false,
            "userName": "new",
            "name": {"givenName": "G", "familyName": "Lee"}
        }));
        assert_eq!(patched_by(&body).unwrap(), expected);
    }

    #[test]
    fn entra_id_removes_the_external_id() {
        let body = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"externalId"}]});
        assert_eq!(
            patched_by(&body).unwrap(),
            user_with(json!({"externalId": null}))
        );
    }

    #[test]
    fn okta_deactivates_without_a_path() {
        let body = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]});
        assert_eq!(
            patched_by(&body).unwrap(),
            user_with(json!({"active": false}))
        );
    }

    #[test]
    fn add_without_a_path_sets_merges_and_appends() {
        let result = ok(json!([{"op": "add", "value": {
            "userName": "bob",
            "password": "s3cret",
            "NAME": {"middlename": "Q"},
            "urn:ietf:params:scim:schemas:core:2.0:User:locale": "fr",
            "emails": [{"value": "b@x.org", "type": "home"}, {"value": "ann@x.org", "type": "work", "primary": true}],
            "id": "other", "meta": {"version": "1"}, "schemas": [],
            "displayName": "Bob", "phoneNumbers": [{"value": "1"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "7"
        }}]));
        let expected = user_with(json!({
            "userName": "bob",
            "password": "s3cret",
            "name": {"givenName": "Ann", "familyName": "Lee", "middleName": "Q"},
            "locale": "fr",
            "emails": [
                {"value": "ann@x.org", "type": "work", "primary": true},
                {"value": "b@x.org", "type": "home"}
            ]
        }));
        assert_eq!(result, expected);
        let single = ok(json!([{"op": "add", "value": {"emails": {"value": "c@x.org"}}}]));
        assert_eq!(single["emails"][1], json!({"value": "c@x.org"}));
        let nested = ok(json!([{"op": "add", "value": {USER_SCHEMA: {"userName": "in"}}}]));
        assert_eq!(nested["userName"], "in");
    }

    #[test]
    fn add_without_a_path_refuses_unknown_keys_and_non_objects() {
        let refused = |value: Value| patched(json!([{"op": "add", "value": value}])).unwrap_err();
        assert!(
            matches!(refused(json!({"nickname2": "x"})), PatchError::InvalidPath(m) if m.contains("`nickname2`"))
        );
        assert!(
            matches!(refused(json!({"name.nick": "x"})), PatchError::InvalidPath(m) if m.contains("`nick`"))
        );
        assert!(matches!(
            refused(json!({"a b": "x"})),
            PatchError::InvalidPath(_)
        ));
        assert!(matches!(refused(json!("x")), PatchError::InvalidValue(_)));
        assert!(matches!(
            refused(json!({USER_SCHEMA: "x"})),
            PatchError::InvalidValue(_)
        ));
    }

    #[test]
    fn add_with_a_path_sets_merges_and_appends() {
        assert_eq!(
            ok(json!([{"op": "add", "path": "USERNAME", "value": "b"}]))["userName"],
            "b"
        );
        let name = ok(
            json!([{"op": "add", "path": "name", "value": {"givenName": "A2", "formatted": "A2 Lee"}}]),
        );
        assert_eq!(
            name["name"],
            json!({"givenName": "A2", "familyName": "Lee", "formatted": "A2 Lee"})
        );
        let given = ok(json!([{"op": "add", "path": "name.GIVENNAME", "value": "Zed"}]));
        assert_eq!(
            given["name"],
            json!({"givenName": "Zed", "familyName": "Lee"})
        );
        let appended = ok(
            json!([{"op": "add", "path": "emails", "value": [{"Value": "b@x.org"}, {"value": "b@x.org"}]}]),
        );
        assert_eq!(appended["emails"].as_array().unwrap().len(), 2);
        assert_eq!(appended["emails"][1], json!({"value": "b@x.org"}));
        let merged = ok(
            json!([{"op": "add", "path": "emails[type eq \"work\"]", "value": {"display": "Ann"}}]),
        );
        assert_eq!(merged["emails"][0]["display"], "Ann");
        assert_eq!(merged["emails"][0]["value"], "ann@x.org");
        let every = ok(json!([{"op": "add", "path": "emails.display", "value": "D"}]));
        assert_eq!(every["emails"][0]["display"], "D");
    }

    #[test]
    fn add_to_a_filter_matching_nothing_builds_the_element_from_the_filter() {
        let result = ok(json!([
            {"op": "remove", "path": "emails"},
            {"op": "add", "path": "emails[type eq \"work\"].value", "value": "a@x"}
        ]));
        assert_eq!(result["emails"], json!([{"type": "work", "value": "a@x"}]));
        let result = ok(
            json!([{"op": "add", "path": "emails[type eq \"home\" and primary eq false]", "value": {"value": "h@x"}}]),
        );
        assert_eq!(
            result["emails"][1],
            json!({"type": "home", "primary": false, "value": "h@x"})
        );
        let result = ok(
            json!([{"op": "remove", "path": "emails"}, {"op": "add", "path": "emails.value", "value": "v@x"}]),
        );
        assert_eq!(result["emails"], json!([{"value": "v@x"}]));
        let unbuildable = patched(
            json!([{"op": "add", "path": "emails[value co \"zz\"].type", "value": "work"}]),
        );
        assert!(matches!(unbuildable, Err(PatchError::NoTarget(_))));
        let unbuildable = patched(
            json!([{"op": "add", "path": "emails[type eq \"a\" or type eq \"b\"]", "value": {}}]),
        );
        assert!(matches!(unbuildable, Err(PatchError::NoTarget(_))));
    }

    #[test]
    fn replace_without_a_path_replaces_sub_attributes_and_whole_lists() {
        let result = ok(json!([{"op": "replace", "value": {
            "name": {"familyName": "Kim"},
            "emails": [{"value": "k@x.org", "type": "work", "primary": true}],
            "preferredLanguage": "de"
        }}]));
        let expected = user_with(json!({
            "name": {"givenName": "Ann", "familyName": "Kim"},
            "emails": [{"value": "k@x.org", "type": "work", "primary": true}],
            "preferredLanguage": "de"
        }));
        assert_eq!(result, expected);
    }

    #[test]
    fn replace_with_a_path_sets_lists_and_selected_elements() {
        assert_eq!(
            ok(json!([{"op": "replace", "path": "locale", "value": "sv"}]))["locale"],
            "sv"
        );
        let name = ok(json!([{"op": "replace", "path": "name", "value": {"givenName": "B"}}]));
        assert_eq!(name["name"], json!({"givenName": "B", "familyName": "Lee"}));
        let list = ok(json!([{"op": "replace", "path": "emails", "value": {"value": "o@x"}}]));
        assert_eq!(list["emails"], json!([{"value": "o@x"}]));
        let element = ok(
            json!([{"op": "replace", "path": "emails[type eq \"work\"]", "value": {"value": "r@x", "type": "work"}}]),
        );
        assert_eq!(element["emails"], json!([{"value": "r@x", "type": "work"}]));
        let sub =
            ok(json!([{"op": "replace", "path": "emails[primary eq true].value", "value": "p@x"}]));
        assert_eq!(
            sub["emails"],
            json!([{"value": "p@x", "type": "work", "primary": true}])
        );
        let none = patched(
            json!([{"op": "replace", "path": "emails[type eq \"home\"]", "value": {"value": "h@x"}}]),
        );
        assert!(matches!(none, Err(PatchError::NoTarget(m)) if m.contains("`emails`")));
        let none = patched(
            json!([{"op": "replace", "path": "emails[value sw \"zz\"].value", "value": "h@x"}]),
        );
        assert!(matches!(none, Err(PatchError::NoTarget(_))));
    }

    #[test]
    fn replace_of_the_work_email_creates_it_when_missing() {
        let result = ok(json!([
            {"op": "remove", "path": "emails[type eq \"work\"]"},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "w@x"}
        ]));
        assert_eq!(result["emails"], json!([{"type": "work", "value": "w@x"}]));
    }

    #[test]
    fn remove_deletes_attributes_sub_attributes_and_elements() {
        assert_eq!(
            ok(json!([{"op": "remove", "path": "locale"}])),
            user_with(json!({"locale": null}))
        );
        assert_eq!(
            ok(json!([{"op": "remove", "path": "name"}])),
            user_with(json!({"name": null}))
        );
        assert_eq!(
            ok(json!([{"op": "remove", "path": "emails"}])),
            user_with(json!({"emails": null}))
        );
        assert_eq!(ok(json!([{"op": "remove", "path": "password"}])), user());
        let given = ok(json!([{"op": "remove", "path": "name.givenName"}]));
        assert_eq!(given["name"], json!({"familyName": "Lee"}));
        let sub = ok(json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}]));
        assert_eq!(
            sub["emails"],
            json!([{"value": "ann@x.org", "type": "work"}])
        );
        let none = ok(json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]));
        assert_eq!(none, user());
        let element = ok(json!([
            {"op": "add", "path": "emails", "value": {"value": "h@x", "type": "home"}},
            {"op": "remove", "path": "emails[type eq \"work\"]"}
        ]));
        assert_eq!(element["emails"], json!([{"value": "h@x", "type": "home"}]));
    }

    #[test]
    fn null_values_remove_and_empty_containers_are_dropped() {
        let result = ok(json!([
            {"op": "replace", "path": "externalId", "value": null},
            {"op": "add", "value": {"locale": null, "name.givenName": null}},
            {"op": "replace", "path": "name.familyName", "value": null},
            {"op": "remove", "path": "emails[type eq \"work\"]"}
        ]));
        assert_eq!(
            result,
            user_with(json!({"externalId": null, "locale": null, "name": null, "emails": null}))
        );
        let empty = ok(json!([{"op": "replace", "path": "emails", "value": []}]));
        assert!(!empty.contains_key("emails"));
    }

    #[test]
    fn read_only_attributes_refuse_every_operation_on_their_path() {
        for path in ["id", "meta", "meta.lastModified", "schemas", "ID"] {
            for op in ["add", "replace", "remove"] {
                let result = patched(json!([{"op": op, "path": path, "value": "x"}]));
                assert!(
                    matches!(result, Err(PatchError::Mutability(_))),
                    "{op} {path}"
                );
            }
        }
    }

    #[test]
    fn values_of_the_wrong_shape_are_refused() {
        let refused = |path: &str, value: Value| {
            patched(json!([{"op": "add", "path": path, "value": value}])).unwrap_err()
        };
        for (path, value) in [
            ("name", json!("Ann Lee")),
            ("name", json!({"givenName": {"x": 1}})),
            ("name.givenName", json!(["A"])),
            ("emails", json!("a@x")),
            ("emails", json!(["a@x"])),
            ("emails", json!([{"value": ["a@x"]}])),
            ("emails[type eq \"work\"].value", json!({"v": 1})),
            ("emails[type eq \"work\"]", json!("a@x")),
            ("userName", json!({"value": "a"})),
            ("active", json!([true])),
        ] {
            assert!(
                matches!(refused(path, value.clone()), PatchError::InvalidValue(_)),
                "{path} {value}"
            );
        }
        assert!(matches!(
            refused("emails", json!([{"value": "a", "kind": "b"}])),
            PatchError::InvalidPath(_)
        ));
    }

    #[test]
    fn unknown_paths_are_refused_and_unstored_ones_ignored() {
        for path in [
            "nickname2",
            "name.nick",
            "userName.first",
            "userName[value pr]",
            "name[givenName pr]",
            "emails.label",
            "emails[type pr].label",
        ] {
            let result = patched(json!([{"op": "replace", "path": path, "value": "x"}]));
            assert!(matches!(result, Err(PatchError::InvalidPath(_))), "{path}");
        }
        for path in [
            "displayName",
            "phoneNumbers[type eq \"work\"].value",
            "addresses[type eq \"work\"].streetAddress",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        ] {
            assert_eq!(
                ok(json!([{"op": "add", "path": path, "value": "x"}])),
                user(),
                "{path}"
            );
        }
        let urn =
            ok(json!([{"op": "add", "path": format!("{USER_SCHEMA}:userName"), "value": "u"}]));
        assert_eq!(urn["userName"], "u");
    }

    #[test]
    fn names_are_written_back_canonically() {
        let mut resource = user();
        resource.remove("userName");
        resource.insert("username".into(), json!("old"));
        let operations = parse_patch(&body(json!([
            {"op": "replace", "path": "UserName", "value": "new"},
            {"op": "add", "path": "EMAILS[TYPE eq \"WORK\"].DISPLAY", "value": "Ann"}
        ])))
        .unwrap();
        apply_patch(&mut resource, &operations).unwrap();
        assert_eq!(resource.get("userName"), Some(&json!("new")));
        assert!(!resource.contains_key("username"));
        assert_eq!(resource["emails"][0]["display"], "Ann");
    }

    #[test]
    fn a_failing_operation_leaves_the_resource_unchanged() {
        let mut resource = user();
        let operations = parse_patch(&body(json!([
            {"op": "replace", "path": "userName", "value": "changed"},
            {"op": "replace", "path": "id", "value": "x"}
        ])))
        .unwrap();
        assert!(apply_patch(&mut resource, &operations).is_err());
        assert_eq!(resource, user());
        let by_hand = [PatchOperation {
            kind: PatchOpKind::Add,
            path: None,
            value: None,
        }];
        assert!(matches!(
            apply_patch(&mut resource, &by_hand),
            Err(PatchError::InvalidSyntax(_))
        ));
        let by_hand = [PatchOperation {
            kind: PatchOpKind::Remove,
            path: None,
            value: None,
        }];
        assert!(matches!(
            apply_patch(&mut resource, &by_hand),
            Err(PatchError::NoTarget(_))
        ));
    }

    /// PATCH bodies with odd paths and values of every JSON type are applied or refused; none
    /// panics.
    #[test]
    fn no_operation_panics_the_patcher() {
        let paths = [
            "userName",
            "name",
            "name.givenName",
            "emails",
            "emails.value",
            r#"emails[type eq "work"]"#,
            r#"emails[type eq "work"].value"#,
            r#"emails[value pr]"#,
            "active",
            "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName𐀀",
            "meta",
            "id",
            "𐀀",
            "",
        ];
        let values = [
            json!(null),
            json!(true),
            json!(7),
            json!("x𐀀"),
            json!([]),
            json!([{"value": "a@x", "primary": "True"}, 3]),
            json!({"givenName": [], "value": {}}),
        ];
        let base = json!({"schemas": [], "id": "1", "userName": "ann",
                          "name": {"givenName": "Ann"}, "emails": [{"value": "a@x"}],
                          "active": true});
        for op in ["add", "replace", "remove", "Replace", "move"] {
            for path in paths {
                for value in &values {
                    let body = json!({
                        "schemas": [PATCH_OP_SCHEMA],
                        "Operations": [{"op": op, "path": path, "value": value}]
                    });
                    if let Ok(ops) = parse_patch(&body) {
                        let mut doc = base.as_object().unwrap().clone();
                        let _ = apply_patch(&mut doc, &ops);
                    }
                    let no_path = json!({
                        "schemas": [PATCH_OP_SCHEMA],
                        "Operations": [{"op": op, "value": {path: value}}]
                    });
                    if let Ok(ops) = parse_patch(&no_path) {
                        let mut doc = base.as_object().unwrap().clone();
                        let _ = apply_patch(&mut doc, &ops);
                    }
                }
            }
        }
    }
}
