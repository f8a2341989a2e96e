//! The SCIM User resource (RFC 7643 §4.1) as Rollcall maps it: a user rendered as the JSON
//! document SCIM clients read ([`render_user`]), that document trimmed to the requested
//! attributes ([`project`]), and a User body read into the domain's input ([`user_input`]).
//!
//! Mapping (the whole table is in `docs/compatibility.md`): `id` is the user's UUID,
//! `userName` the username, `externalId` the external id, `name.givenName`/`name.familyName`
//! the first and last name, `emails` the e-mail address (one, the primary work address),
//! `active` the enabled flag, `preferredLanguage` (or `locale`, read when `preferredLanguage`
//! is absent) the language, `password` write-only. `meta.version` is a weak ETag of the last
//! change's instant.

use super::filter::{USER_SCHEMA, member, without_core_urn};
use super::patch::writable_attribute;
use crate::body::{JsonFields, JsonObject};
use crate::error::Problem;
use chrono::{DateTime, SecondsFormat, Utc};
use rollcall_domain::entities::User;
use rollcall_domain::services::UserInput;
use serde_json::{Map, Value, json};

/// The `meta.resourceType` and the resource type's id.
pub(crate) const USER_RESOURCE_TYPE: &str = "User";

/// The attributes of a rendered user besides `id` and `schemas`, in schema order (the
/// discovery test checks the published schema against it).
#[cfg(test)]
pub(crate) const USER_ATTRIBUTES: &[&str] = &[
    "userName",
    "name",
    "emails",
    "active",
    "preferredLanguage",
    "externalId",
    "meta",
];

fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The weak ETag of a user's current state: the instant of its last change, in microseconds.
pub(crate) fn version(user: &User) -> String {
    format!("W/\"{}\"", user.updated_at.timestamp_micros())
}

/// A user as a SCIM User resource, its `meta.location` under `base` (the public URL of the
/// server). Absent values are left out (never `null`).
pub(crate) fn render_user(user: &User, base: &str) -> JsonObject {
    let mut doc = Map::new();
    doc.insert("schemas".into(), json!([USER_SCHEMA]));
    doc.insert("id".into(), json!(user.uuid.hyphenated().to_string()));
    if let Some(external_id) = &user.external_id {
        doc.insert("externalId".into(), json!(external_id.as_str()));
    }
    doc.insert("userName".into(), json!(user.username.as_str()));
    let mut name = Map::new();
    if let Some(first) = &user.first_name {
        name.insert("givenName".into(), json!(first.as_str()));
    }
    if let Some(last) = &user.last_name {
        name.insert("familyName".into(), json!(last.as_str()));
    }
    if !name.is_empty() {
        doc.insert("name".into(), Value::Object(name));
    }
    if let Some(email) = &user.email {
        doc.insert("emails".into(), json!([{ "value": email.as_str() }]));
    }
    doc.insert("active".into(), json!(user.enabled));
    doc.insert("preferredLanguage".into(), json!(user.language.as_str()));
    doc.insert(
        "meta".into(),
        json!({
            "resourceType": USER_RESOURCE_TYPE,
            "created": timestamp(user.created_at),
            "lastModified": timestamp(user.updated_at),
            "location": format!("{base}/scim/v2/Users/{}", user.uuid.hyphenated()),
            "version": version(user),
        }),
    );
    doc
}

/// Which attributes a response carries (RFC 7644 §3.4.2.5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Projection {
    /// Every attribute returned by default.
    #[default]
    Default,
    /// Only these (and `id`, `schemas`), as `attribute` or `attribute.sub`.
    Only(Vec<String>),
    /// All but these.
    Except(Vec<String>),
}

/// The most attribute paths one `attributes` or `excludedAttributes` may list. The User
/// resource has a dozen paths; the bound keeps a response's projection work small whatever
/// the request (each path is compared with each attribute of each of up to 1000 resources).
pub(crate) const MAX_PROJECTED_PATHS: usize = 64;

impl Projection {
    /// [`Projection::new`], refused when a list names more than [`MAX_PROJECTED_PATHS`] paths.
    ///
    /// # Errors
    /// [`Problem::Refused`] `tooMany`.
    pub(crate) fn read(attributes: Option<&str>, excluded: Option<&str>) -> Result<Self, Problem> {
        for (name, raw) in [("attributes", attributes), ("excludedAttributes", excluded)] {
            if raw.is_some_and(|r| r.split(',').nth(MAX_PROJECTED_PATHS).is_some()) {
                return Err(Problem::Refused {
                    rule: "tooMany",
                    message: format!("{name} may list at most {MAX_PROJECTED_PATHS} attributes."),
                });
            }
        }
        Ok(Self::new(attributes, excluded))
    }

    /// Reads `attributes` and `excludedAttributes` (comma-separated paths, URN prefixes
    /// allowed); `attributes` wins when both are given, as the RFC says.
    pub(crate) fn new(attributes: Option<&str>, excluded: Option<&str>) -> Self {
        let list = |raw: &str| -> Vec<String> {
            raw.split(',')
                .map(|p| strip_urn(p.trim()).to_ascii_lowercase())
                .filter(|p| !p.is_empty())
                .collect()
        };
        match (attributes.map(list), excluded.map(list)) {
            (Some(only), _) if !only.is_empty() => Self::Only(only),
            (_, Some(except)) if !except.is_empty() => Self::Except(except),
            _ => Self::Default,
        }
    }
}

/// A path without the core User schema's URN prefix.
fn strip_urn(path: &str) -> &str {
    without_core_urn(path).unwrap_or(path)
}

/// The attributes that are always returned, whatever the projection.
fn always_returned(key: &str) -> bool {
    key == "id" || key == "schemas"
}

/// Trims a rendered resource to a projection. Attribute names compare case-insensitively;
/// `name.givenName` keeps or drops one sub-attribute.
pub(crate) fn project(mut doc: JsonObject, projection: &Projection) -> JsonObject {
    match projection {
        Projection::Default => doc,
        Projection::Only(paths) => {
            let mut out = Map::new();
            for (key, value) in doc {
                let lower = key.to_ascii_lowercase();
                if always_returned(&key) || paths.contains(&lower) {
                    out.insert(key, value);
                    continue;
                }
                let subs: Vec<&str> = paths
                    .iter()
                    .filter_map(|p| p.strip_prefix(&lower).and_then(|r| r.strip_prefix('.')))
                    .collect();
                if subs.is_empty() {
                    continue;
                }
                let kept = match value {
                    Value::Object(map) => keep_subs(map, &subs),
                    Value::Array(items) => Value::Array(
                        items
                            .into_iter()
                            .filter_map(|item| match item {
                                Value::Object(map) => Some(keep_subs(map, &subs)),
                                _ => None,
                            })
                            .filter(|v| v.as_object().is_some_and(|m| !m.is_empty()))
                            .collect(),
                    ),
                    other => other,
                };
                let empty = match &kept {
                    Value::Object(m) => m.is_empty(),
                    Value::Array(a) => a.is_empty(),
                    _ => false,
                };
                if !empty {
                    out.insert(key, kept);
                }
            }
            out
        }
        Projection::Except(paths) => {
            doc.retain(|key, value| {
                let lower = key.to_ascii_lowercase();
                if always_returned(key) {
                    return true;
                }
                if paths.contains(&lower) {
                    return false;
                }
                for sub in paths
                    .iter()
                    .filter_map(|p| p.strip_prefix(&lower).and_then(|r| r.strip_prefix('.')))
                {
                    match value {
                        Value::Object(map) => map.retain(|k, _| !k.eq_ignore_ascii_case(sub)),
                        Value::Array(items) => {
                            for item in items.iter_mut() {
                                if let Value::Object(map) = item {
                                    map.retain(|k, _| !k.eq_ignore_ascii_case(sub));
                                }
                            }
                            items.retain(|v| v.as_object().is_none_or(|m| !m.is_empty()));
                        }
                        _ => {}
                    }
                }
                match value {
                    Value::Object(m) => !m.is_empty(),
                    Value::Array(a) => !a.is_empty(),
                    _ => true,
                }
            });
            doc
        }
    }
}

fn keep_subs(map: JsonObject, subs: &[&str]) -> Value {
    Value::Object(
        map.into_iter()
            .filter(|(k, _)| subs.iter().any(|s| k.eq_ignore_ascii_case(s)))
            .collect(),
    )
}

/// A body's writable attributes under their canonical names (SCIM attribute names are
/// case-insensitive, RFC 7643 §2.1); a `urn:…:core:2.0:User:` prefix is read away, the
/// read-only and unknown attributes are left out.
fn canonical(body: JsonObject) -> JsonObject {
    let mut out = Map::new();
    for (key, value) in body {
        let key = strip_urn(&key).to_owned();
        if let Some(name) = writable_attribute(&key) {
            out.insert(name.to_owned(), value);
        }
    }
    out
}

/// A boolean as IdPs send it: JSON `true`/`false`, or the strings `"True"`/`"False"` in any
/// case (Microsoft Entra ID sends `"False"` in PATCH).
fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// A string sub-attribute of an object, case-insensitively: `Some(None)` when absent or
/// null, `None` when of another type.
fn sub_string(map: &JsonObject, name: &str) -> Option<Option<String>> {
    match member(map, name) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(_) => None,
    }
}

/// The address of an `emails` list: the element marked primary, else the first of type
/// `work`, else the first; `Some(None)` for an empty list or null, `None` when malformed.
fn email_of(value: &Value) -> Option<Option<String>> {
    let items = match value {
        Value::Null => return Some(None),
        Value::Array(items) => items,
        _ => return None,
    };
    let mut objects = Vec::with_capacity(items.len());
    for item in items {
        objects.push(item.as_object()?);
    }
    let primary = objects
        .iter()
        .find(|m| member(m, "primary").and_then(boolean) == Some(true))
        .or_else(|| {
            objects.iter().find(|m| {
                member(m, "type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case("work"))
            })
        })
        .or_else(|| objects.first());
    match primary {
        None => Some(None),
        Some(map) => sub_string(map, "value"),
    }
}

/// Reads a User body into the domain's input. `replace` reads it as a whole new state (PUT,
/// and the document a PATCH leaves): an absent `externalId`, `name` part or `emails` clears
/// it, an absent `userName` is blank (it is required). Otherwise (POST) absent means "not given". `active` and the language stay as they
/// are when absent (they always have a value). Wrongly typed attributes are listed as
/// malformed under the domain's names, read-only and unknown attributes are ignored.
pub(crate) fn user_input(body: JsonObject, replace: bool) -> UserInput {
    let mut body = canonical(body);
    let absent = if replace { Some(None) } else { None };
    let mut malformed = Vec::new();
    let name = body.remove("name");
    let (first_name, last_name) = match &name {
        None | Some(Value::Null) => (absent.clone(), absent.clone()),
        Some(Value::Object(map)) => {
            let first = sub_string(map, "givenName");
            let last = sub_string(map, "familyName");
            if first.is_none() {
                malformed.push("first_name");
            }
            if last.is_none() {
                malformed.push("last_name");
            }
            (first, last)
        }
        Some(_) => {
            malformed.push("first_name");
            (None, None)
        }
    };
    let email = match body.remove("emails") {
        None => absent.clone(),
        Some(value) => email_of(&value).or_else(|| {
            malformed.push("email");
            None
        }),
    };
    let enabled = match body.remove("active") {
        None | Some(Value::Null) => None,
        Some(value) => boolean(&value).or_else(|| {
            malformed.push("enabled");
            None
        }),
    };
    let locale = body.remove("locale");
    if !body.contains_key("preferredLanguage")
        && let Some(locale) = locale
    {
        body.insert("preferredLanguage".into(), locale);
    }
    let mut f = JsonFields::new(body);
    let language = match f.nullable_string("preferredLanguage") {
        Some(None) => None,
        other => other,
    };
    let mut input = UserInput {
        username: f.nullable_string("userName").or(absent.clone()),
        external_id: f.nullable_string("externalId").or(absent),
        password: f.nullable_string("password"),
        first_name,
        last_name,
        email,
        enabled,
        language,
        ..UserInput::default()
    };
    malformed.extend(f.into_malformed().into_iter().map(|name| match name {
        "userName" => "username",
        "externalId" => "external_id",
        "preferredLanguage" => "language",
        other => other,
    }));
    input.malformed = malformed;
    input
}

/// The attributes a user always has (published as `required`): a PATCH may replace them but
/// not remove them.
const REQUIRED: &[&str] = &["userName", "active", "preferredLanguage"];

/// Settles the document a PATCH left, given the `before` document it was applied to:
/// `locale` written by the PATCH becomes `preferredLanguage` (they are one field, and only
/// `preferredLanguage` is rendered, so a changed `locale` is the change), and a required
/// attribute the PATCH removed is refused.
///
/// # Errors
/// [`Problem::Refused`] `invalidValue` naming the removed attribute.
pub(crate) fn settle_patched(doc: &mut JsonObject, before: &JsonObject) -> Result<(), Problem> {
    if let Some(locale) = doc.remove("locale")
        && doc.get("preferredLanguage") == before.get("preferredLanguage")
        && !locale.is_null()
    {
        doc.insert("preferredLanguage".into(), locale);
    }
    for name in REQUIRED {
        if doc.get(*name).is_none_or(Value::is_null) {
            return Err(Problem::Refused {
                rule: "invalidValue",
                message: format!("{name} is required: it can be replaced but not removed."),
            });
        }
    }
    Ok(())
}

/// Reads a JSON body that must be an object.
///
/// # Errors
/// [`Problem::Refused`] `invalidSyntax` for any other JSON value.
pub(crate) fn object_body(value: Value) -> Result<JsonObject, Problem> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(Problem::Refused {
            rule: "invalidSyntax",
            message: "The request body must be a JSON object.".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::json_object as object;

    #[test]
    fn bodies_map_case_insensitively_and_absent_means_cleared_only_in_replacements() {
        let body = object(json!({
            "schemas": [USER_SCHEMA], "id": "ignored", "USERNAME": "ann",
            "urn:ietf:params:scim:schemas:core:2.0:User:externalId": "e-1",
            "name": {"GivenName": "Ann"}, "active": "False",
            "emails": [{"value": "home@x.org", "type": "home"},
                       {"value": "work@x.org", "type": "work"}],
            "locale": "fr", "password": "pw-123456", "groups": [], "meta": {}
        }));
        let input = user_input(body.clone(), false);
        assert_eq!(input.username, Some(Some("ann".into())));
        assert_eq!(input.external_id, Some(Some("e-1".into())));
        assert_eq!(input.first_name, Some(Some("Ann".into())));
        assert_eq!(
            input.last_name,
            Some(None),
            "a name object states both parts"
        );
        assert_eq!(input.email, Some(Some("work@x.org".into())));
        assert_eq!(input.enabled, Some(false));
        assert_eq!(input.language, Some(Some("fr".into())));
        assert_eq!(input.password, Some(Some("pw-123456".into())));
        assert!(input.malformed.is_empty());

        let created = user_input(object(json!({"userName": "bob"})), false);
        assert_eq!(
            (created.email, created.external_id, created.first_name),
            (None, None, None)
        );
        let replaced = user_input(object(json!({"userName": "bob"})), true);
        assert_eq!(
            (replaced.email, replaced.external_id, replaced.first_name),
            (Some(None), Some(None), Some(None))
        );
        assert_eq!((replaced.enabled, replaced.language), (None, None));
    }

    #[test]
    fn a_patched_locale_is_the_language_and_required_attributes_stay() {
        let before = object(json!({"userName": "ann", "active": true, "preferredLanguage": "en"}));
        let mut doc = before.clone();
        doc.insert("locale".into(), json!("de"));
        settle_patched(&mut doc, &before).unwrap();
        assert_eq!(doc["preferredLanguage"], "de");
        assert!(!doc.contains_key("locale"));
        let mut both = before.clone();
        both.insert("locale".into(), json!("de"));
        both.insert("preferredLanguage".into(), json!("fr"));
        settle_patched(&mut both, &before).unwrap();
        assert_eq!(
            both["preferredLanguage"], "fr",
            "a changed preferredLanguage wins"
        );
        for name in REQUIRED {
            let mut removed = before.clone();
            removed.remove(*name);
            match settle_patched(&mut removed, &before) {
                Err(Problem::Refused { rule, message }) => {
                    assert_eq!(rule, "invalidValue");
                    assert!(message.starts_with(name), "{message}");
                }
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_primary_address_wins_and_wrong_types_are_malformed() {
        let email = |v: Value| email_of(&v);
        assert_eq!(
            email(json!([{"value": "a@x"}, {"value": "b@x", "primary": true}])),
            Some(Some("b@x".into()))
        );
        assert_eq!(email(json!([])), Some(None));
        assert_eq!(email(json!("a@x")), None);
        let input = user_input(
            object(json!({"userName": 5, "active": "maybe", "emails": 3, "name": "x"})),
            false,
        );
        assert_eq!(
            input.malformed,
            vec!["first_name", "email", "enabled", "username"]
        );
    }

    #[test]
    fn projections_keep_id_and_schemas_and_trim_sub_attributes() {
        let doc = object(json!({
            "schemas": [USER_SCHEMA], "id": "1", "userName": "ann", "externalId": "e",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "a@x"}], "meta": {"version": "v"}
        }));
        let only = project(
            doc.clone(),
            &Projection::new(Some("externalId,name.familyName"), None),
        );
        assert_eq!(
            Value::Object(only),
            json!({"schemas": [USER_SCHEMA], "id": "1", "externalId": "e",
                   "name": {"familyName": "Lee"}})
        );
        let except = project(
            doc.clone(),
            &Projection::new(None, Some("NAME,emails.value,meta")),
        );
        assert_eq!(
            Value::Object(except),
            json!({"schemas": [USER_SCHEMA], "id": "1", "userName": "ann", "externalId": "e"})
        );
        let urn = project(
            doc.clone(),
            &Projection::new(
                Some("urn:ietf:params:scim:schemas:core:2.0:User:userName"),
                Some("userName"),
            ),
        );
        assert_eq!(urn.len(), 3, "attributes wins over excludedAttributes");
        assert_eq!(project(doc.clone(), &Projection::new(Some(""), None)), doc);
        let many = vec!["userName"; MAX_PROJECTED_PATHS].join(",");
        assert!(Projection::read(Some(&many), None).is_ok());
        let over = format!("{many},emails");
        assert!(matches!(
            Projection::read(None, Some(&over)),
            Err(Problem::Refused {
                rule: "tooMany",
                ..
            })
        ));
        // Any text is a path: one with a multi-byte character where the URN would end.
        let odd = format!("{}𐀀x", &USER_SCHEMA[..40]);
        assert_eq!(strip_urn(&odd), odd);
        assert_eq!(
            project(doc.clone(), &Projection::new(None, Some(&odd))),
            doc
        );
    }
}
