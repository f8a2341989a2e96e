//! The rules the server enforces on input, written into the OpenAPI document from the
//! domain's own constants, so that a request valid by `/openapi.json` is one the server
//! accepts (issue 12; checked by schemathesis's `positive_data_acceptance` in CI).
//!
//! utoipa's attributes take literals only, so lengths, patterns and enumerations that the
//! domain defines as constants (`Username::MAX_CHARS`, `Scope::CATALOG`, the listing bounds,
//! the configured password minimum, …) are set here, on the generated document, by component
//! schema and property, or by operation and parameter. A rule named here that the document
//! lacks (a renamed schema, property or parameter) panics in the tests, so the two cannot
//! drift apart silently.
//!
//! Patterns are ECMA-262 and anchored. Where JSON Schema cannot say a rule (a byte limit, a
//! uniqueness) the declared rule is the stricter one or the description says it.

use crate::scim::listing::SEARCH_REQUEST_SCHEMA;
use crate::scim::patch::{MAX_OPERATIONS, PATCH_OP_SCHEMA};
use crate::v2::filters::FILTERABLE;
use rollcall_domain::audit::AuditAction;
use rollcall_domain::listing::{MAX_SORT_KEYS, MAX_VALUE_LENGTH, PageRequest};
use rollcall_domain::values::{
    ApiKeyName, ConfigurationKey, ConfigurationValue, Email, Language, PasswordPolicy, Scope,
    SourceType, Username,
};
use serde_json::{Map, Value, json};

/// The longest name, e-mail or external id (the domain's text fields).
const TEXT_MAX_CHARS: usize = 191;

/// No NUL anywhere, and at least one character that is not white space (the domain trims
/// with Rust's notion of white space, which also counts U+0085).
const TEXT_PATTERN: &str = r"^[^\u0000]*[^\s\u0085\u0000][^\u0000]*$";

/// No NUL anywhere.
const NO_NUL_PATTERN: &str = r"^[^\u0000]*$";

/// A username: the first character a letter, digit or `_`, then letters, digits, `.`, `_`,
/// `-`; not only digits; not a reserved path word (case-insensitively).
fn username_pattern() -> String {
    let reserved: Vec<String> = Username::RESERVED
        .iter()
        .map(|word| {
            word.chars()
                .map(|c| {
                    if c.is_ascii_alphabetic() {
                        format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        })
        .collect();
    format!(
        r"^(?![0-9]+$)(?!(?:{})$)[A-Za-z0-9_][A-Za-z0-9._-]{{0,{}}}$",
        reserved.join("|"),
        Username::MAX_CHARS - 1
    )
}

fn username() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": Username::MAX_CHARS,
           "pattern": username_pattern()})
}

fn password(policy: PasswordPolicy) -> Value {
    json!({"type": "string", "format": "password", "minLength": policy.min_chars(),
           "maxLength": PasswordPolicy::MAX_CHARS, "pattern": NO_NUL_PATTERN})
}

fn text(nullable: bool) -> Value {
    json!({"type": if nullable { json!(["string", "null"]) } else { json!("string") },
           "minLength": 1, "maxLength": TEXT_MAX_CHARS, "pattern": TEXT_PATTERN})
}

fn email(nullable: bool) -> Value {
    json!({"type": if nullable { json!(["string", "null"]) } else { json!("string") },
           "format": "email", "minLength": 3, "maxLength": Email::MAX_CHARS,
           "pattern": NO_NUL_PATTERN})
}

fn language(nullable: bool) -> Value {
    json!({"type": if nullable { json!(["string", "null"]) } else { json!("string") },
           "pattern": format!("^[A-Za-z_-]{{1,{}}}$", Language::MAX_CHARS)})
}

fn posix_id() -> Value {
    json!({"type": ["integer", "null"], "minimum": 0, "maximum": u32::MAX})
}

fn boolean() -> Value {
    json!({"type": "boolean"})
}

/// An RFC 3339 instant; the shortest is `2025-01-01T00:00:00Z`.
fn timestamp(nullable: bool) -> Value {
    json!({"type": if nullable { json!(["string", "null"]) } else { json!("string") },
           "format": "date-time", "minLength": 20})
}

/// One `{controller, action}` of the catalog: each controller with the actions it has.
fn scope_item() -> Value {
    let mut by_controller: Vec<(&str, Vec<&str>)> = Vec::new();
    for scope in Scope::CATALOG {
        let (c, a) = (scope.controller().as_str(), scope.action().as_str());
        match by_controller.iter_mut().find(|(name, _)| *name == c) {
            Some((_, actions)) => actions.push(a),
            None => by_controller.push((c, vec![a])),
        }
    }
    let one_of: Vec<Value> = by_controller
        .into_iter()
        .map(|(c, actions)| {
            json!({"type": "object", "required": ["controller", "action"],
                   "properties": {"controller": {"const": c}, "action": {"enum": actions}}})
        })
        .collect();
    json!({"oneOf": one_of})
}

/// `sort_by`: `field[:asc|:desc]` items separated by `|`, at most [`MAX_SORT_KEYS`].
fn v2_sort_by() -> Value {
    let fields: Vec<&str> = FILTERABLE.iter().map(|f| f.as_str()).collect();
    let item = format!("(?:{})(?::(?:asc|desc))?", fields.join("|"));
    json!({"type": "string",
           "pattern": format!("^(?:{item}(?:\\|{item}){{0,{}}})?$", MAX_SORT_KEYS - 1)})
}

/// `sort`: comma-separated `id`, `-id`, `uuid`, `-uuid`, at most [`MAX_SORT_KEYS`].
fn application_sort() -> Value {
    let item = "-?(?:id|uuid)";
    json!({"type": "string",
           "pattern": format!("^(?:{item}(?:,{item}){{0,{}}})?$", MAX_SORT_KEYS - 1)})
}

fn filter_value() -> Value {
    json!({"type": "string", "maxLength": MAX_VALUE_LENGTH, "pattern": NO_NUL_PATTERN})
}

/// The properties of a v2 user body, for update (every field optional).
fn v2_user_properties(policy: PasswordPolicy) -> Vec<(&'static str, Value)> {
    let source_types: Vec<&str> = SourceType::ALL.iter().map(|s| s.as_str()).collect();
    vec![
        ("username", username()),
        ("password", password(policy)),
        ("email", email(true)),
        ("first_name", text(true)),
        ("last_name", text(true)),
        ("external_id", text(true)),
        ("language", language(false)),
        ("is_admin", boolean()),
        ("enabled", boolean()),
        ("expired_at", timestamp(true)),
        ("user_id", posix_id()),
        ("group_id", posix_id()),
        (
            "source_type",
            json!({"type": "string", "enum": source_types}),
        ),
    ]
}

/// The property rules, by component schema.
fn property_rules(policy: PasswordPolicy) -> Vec<(&'static str, Vec<(&'static str, Value)>)> {
    let login = json!({"type": "string", "minLength": 1, "pattern": NO_NUL_PATTERN});
    let secret = json!({"type": "string", "format": "password", "minLength": 1,
                        "pattern": NO_NUL_PATTERN});
    vec![
        ("UserFieldsRequest", v2_user_properties(policy)),
        ("PasswordRequest", vec![("password", password(policy))]),
        (
            "ConfigurationRequest",
            vec![
                (
                    "key",
                    json!({"type": "string", "pattern": format!(
                        "^[A-Za-z][A-Za-z0-9_.-]{{0,{}}}$", ConfigurationKey::MAX_CHARS - 1)}),
                ),
                // The limit is in bytes; a character is at most 4 of them, so this many
                // always fit.
                (
                    "value",
                    json!({"type": "string", "maxLength": ConfigurationValue::MAX_BYTES / 4,
                           "pattern": NO_NUL_PATTERN}),
                ),
            ],
        ),
        (
            "ApiKeyRequest",
            vec![
                (
                    "name",
                    json!({"type": "string", "maxLength": ApiKeyName::MAX_CHARS,
                           "pattern": NO_NUL_PATTERN}),
                ),
                ("expires_at", timestamp(true)),
                (
                    "api_key_scopes",
                    json!({"type": "array", "items": scope_item()}),
                ),
            ],
        ),
        (
            "TokenForm",
            vec![
                ("username", login.clone()),
                ("password", secret.clone()),
                (
                    "grant_type",
                    json!({"type": "string", "enum": ["password"]}),
                ),
            ],
        ),
        (
            "SignInCredentials",
            vec![("username", login), ("password", secret)],
        ),
        // v1: the password in the envelope; `current_password` is checked against the stored
        // one.
        ("V1PasswordValue", vec![("password", password(policy))]),
        // application: Pterodactyl's required fields are non-empty strings, `root_admin` a
        // boolean, and a null language is refused (`required`).
        (
            "ApplicationUserRequest",
            vec![
                ("username", username()),
                ("email", email(false)),
                ("first_name", text(false)),
                ("last_name", text(false)),
                ("external_id", text(true)),
                ("language", language(false)),
                ("root_admin", boolean()),
                (
                    "password",
                    json!({"type": ["string", "null"], "format": "password",
                           "maxLength": PasswordPolicy::MAX_CHARS,
                           "pattern": format!("^(?:|[^\\u0000]{{{},}})$", policy.min_chars()),
                           "description": format!(
                               "Optional; when given and not empty, {}–{} characters. On \
                                `PATCH`, null or empty leaves it unchanged.",
                               policy.min_chars(), PasswordPolicy::MAX_CHARS)}),
                ),
            ],
        ),
        // SCIM: the User body's attributes as the domain reads them.
        (
            "ScimUserRequest",
            vec![
                ("userName", username()),
                ("externalId", text(true)),
                (
                    "emails",
                    json!({"type": ["array", "null"], "maxItems": 1,
                           "items": {"$ref": "#/components/schemas/ScimEmail"}}),
                ),
                ("preferredLanguage", language(true)),
                ("locale", language(true)),
                (
                    "password",
                    json!({"type": ["string", "null"], "format": "password",
                           "maxLength": PasswordPolicy::MAX_CHARS,
                           "pattern": format!("^(?:|[^\\u0000]{{{},}})$", policy.min_chars())}),
                ),
            ],
        ),
        (
            "ScimName",
            vec![("givenName", text(true)), ("familyName", text(true))],
        ),
        (
            "ScimEmail",
            vec![
                ("value", email(false)),
                (
                    "type",
                    json!({"type": ["string", "null"], "pattern": NO_NUL_PATTERN}),
                ),
            ],
        ),
        (
            "ScimSearchRequest",
            vec![
                ("schemas", scim_schemas(SEARCH_REQUEST_SCHEMA)),
                ("filter", scim_filter()),
                ("sortBy", scim_sort_by()),
                ("sortOrder", scim_sort_order()),
            ],
        ),
        (
            "ScimPatchRequest",
            vec![
                ("schemas", scim_schemas(PATCH_OP_SCHEMA)),
                ("Operations", scim_patch_operations()),
            ],
        ),
    ]
}

/// A SCIM `schemas` list that must name `urn`.
fn scim_schemas(urn: &str) -> Value {
    json!({"type": "array", "items": {"type": "string"}, "contains": {"const": urn}})
}

/// The SCIM filters the document promises: one comparison of a text attribute with a plain
/// value (the server takes the whole RFC 7644 grammar, described in the parameter's text;
/// JSON Schema cannot say it), or none.
fn scim_filter() -> Value {
    json!({"type": ["string", "null"],
           "pattern": r#"^(?:|(?:userName|externalId|emails\.value|name\.givenName|name\.familyName) (?:eq|ne|co|sw|ew) "[A-Za-z0-9@._-]{0,64}")$"#})
}

/// The attributes a SCIM listing sorts on.
fn scim_sort_by() -> Value {
    json!({"type": ["string", "null"], "enum": [
        null, "", "id", "userName", "externalId", "name.givenName", "name.familyName", "emails",
        "emails.value", "active", "preferredLanguage", "locale", "meta.created",
        "meta.lastModified"]})
}

fn scim_sort_order() -> Value {
    json!({"type": ["string", "null"], "enum": [null, "", "ascending", "descending"]})
}

/// The PATCH operations the document promises, each a path with a value of its type (the
/// server takes every form of RFC 7644 §3.5.2, described in the schema's text).
fn scim_patch_operations() -> Value {
    let set = |path: &str, value: Value| {
        json!({"type": "object", "required": ["op", "path", "value"],
               "properties": {"op": {"enum": ["add", "replace"]}, "path": {"const": path},
                              "value": value}})
    };
    json!({"type": "array", "minItems": 1, "maxItems": MAX_OPERATIONS, "items": {"oneOf": [
        set("userName", username()),
        set("externalId", text(false)),
        set("name.givenName", text(false)),
        set("name.familyName", text(false)),
        set("preferredLanguage", language(false)),
        set("active", boolean()),
        {"type": "object", "required": ["op", "path"],
         "properties": {"op": {"const": "remove"},
                        "path": {"enum": ["externalId", "name", "name.givenName",
                                          "name.familyName", "emails"]}}},
    ]}})
}

/// Writes every rule into `doc` (the document as JSON).
///
/// # Panics
/// When a schema, property, operation or parameter named here is missing from the document:
/// the rules and the handlers' declarations must name the same things.
pub(crate) fn apply(doc: &mut Value, policy: PasswordPolicy) {
    for (schema, properties) in property_rules(policy) {
        for (property, rule) in properties {
            let at = format!("{SCHEMAS}/{schema}/properties/{property}");
            let target = pointer_mut(doc, &at);
            *target = merged(target, rule);
        }
    }

    // Create bodies of their own where create requires what the partial update does not.
    derive_schema(
        doc,
        ("UserFieldsRequest", "UserCreateRequest"),
        "paths/~1api~1v2~1users/post/requestBody/content/application~1json",
        json!({"required": ["username", "password"],
               "description": "User fields for create: `username` and `password` required, \
                   every other field optional. Unknown fields are ignored. Admin-only: \
                   `is_admin`, `enabled`, `expired_at`, `user_id`, `group_id`, \
                   `source_type`, `external_id`."}),
    );
    derive_schema(
        doc,
        ("ConfigurationRequest", "ConfigurationCreateRequest"),
        "paths/~1api~1v2~1users~1me~1configurations/post/requestBody/content/application~1json",
        json!({"required": ["key", "value"],
               "description": "A configuration to create: both fields required."}),
    );
    // As multipart, the parser refuses part names that are not plain header text, so that
    // form declares its fields as the only ones.
    derive_schema(
        doc,
        ("TokenForm", "TokenMultipartForm"),
        "paths/~1token/post/requestBody/content/multipart~1form-data",
        json!({"additionalProperties": false}),
    );

    // Paging parameters are read as 64-bit signed integers.
    for path in [
        "/api/v2/users",
        "/api/v2/users/me/configurations",
        "/api/v2/users/me/api_keys",
        "/api/v2/audit_events",
    ] {
        set_parameter(
            doc,
            path,
            "get",
            "limit",
            json!({"type": "integer", "minimum": 1, "maximum": i64::MAX,
                   "description": format!("Values above {} read as {}.",
                       PageRequest::MAX_LIMIT, PageRequest::MAX_LIMIT)}),
        );
        set_parameter(
            doc,
            path,
            "get",
            "offset",
            json!({"type": "integer", "minimum": 0, "maximum": i64::MAX}),
        );
    }
    set_parameter(doc, "/api/v2/users", "get", "sort_by", v2_sort_by());
    let audit = "/api/v2/audit_events";
    for id in ["actor_user_id", "target_user_id"] {
        set_parameter(
            doc,
            audit,
            "get",
            id,
            json!({"type": "integer", "minimum": 1, "maximum": i64::MAX}),
        );
    }
    let actions: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
    set_parameter(
        doc,
        audit,
        "get",
        "action",
        json!({"type": "string", "enum": actions}),
    );
    let app = "/api/application/users";
    let page = json!({"type": "integer", "minimum": 1, "maximum": i64::MAX});
    set_parameter(doc, app, "get", "page", page.clone());
    set_parameter(doc, app, "get", "per_page", page);
    set_parameter(doc, app, "get", "sort", application_sort());
    for field in ["email", "uuid", "username", "external_id"] {
        set_parameter(doc, app, "get", &format!("filter[{field}]"), filter_value());
    }
    let scim = "/scim/v2/Users";
    set_parameter(doc, scim, "get", "filter", scim_filter());
    set_parameter(doc, scim, "get", "sortBy", scim_sort_by());
    set_parameter(doc, scim, "get", "sortOrder", scim_sort_order());
    for name in ["startIndex", "count"] {
        set_parameter(
            doc,
            scim,
            "get",
            name,
            json!({"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX}),
        );
    }
    for (path, method) in [(scim, "get"), ("/scim/v2/Users/{id}", "get")] {
        for name in ["attributes", "excludedAttributes"] {
            set_parameter(
                doc,
                path,
                method,
                name,
                json!({"type": "string", "pattern": NO_NUL_PATTERN}),
            );
        }
    }
    for method in ["get", "put", "patch", "delete"] {
        set_parameter(
            doc,
            "/api/v1/users/{username}",
            method,
            "username",
            username(),
        );
    }
}

/// Where the component schemas are.
const SCHEMAS: &str = "components/schemas";

/// Adds component `to`, a copy of `from` with the fields of `changes` set, and points the
/// request body at `body` to it.
fn derive_schema(doc: &mut Value, (from, to): (&str, &str), body: &str, changes: Value) {
    let mut derived = pointer(doc, &format!("{SCHEMAS}/{from}")).clone();
    if let (Some(target), Value::Object(changes)) = (derived.as_object_mut(), changes) {
        target.extend(changes);
    }
    pointer_mut(doc, SCHEMAS)[to] = derived;
    pointer_mut(doc, body)["schema"] = json!({"$ref": format!("#/components/schemas/{to}")});
}

/// Escapes a path for a JSON pointer segment.
fn segment(raw: &str) -> String {
    raw.replace('~', "~0").replace('/', "~1")
}

fn pointer<'a>(doc: &'a Value, path: &str) -> &'a Value {
    doc.pointer(&format!("/{path}"))
        .unwrap_or_else(|| panic!("the OpenAPI document has no /{path}"))
}

fn pointer_mut<'a>(doc: &'a mut Value, path: &str) -> &'a mut Value {
    doc.pointer_mut(&format!("/{path}"))
        .unwrap_or_else(|| panic!("the OpenAPI document has no /{path}"))
}

/// Replaces a parameter's schema by `rule` (a `description` in `rule` goes to the parameter).
fn set_parameter(doc: &mut Value, path: &str, method: &str, name: &str, mut rule: Value) {
    let parameters = pointer_mut(doc, &format!("paths/{}/{method}/parameters", segment(path)));
    let parameter = parameters
        .as_array_mut()
        .and_then(|list| list.iter_mut().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("{method} {path} has no parameter {name}"));
    if let Some(Value::String(extra)) = rule.as_object_mut().and_then(|r| r.remove("description")) {
        let described = parameter["description"].as_str().unwrap_or_default();
        parameter["description"] = json!(format!("{described} {extra}").trim().to_owned());
    }
    parameter["schema"] = rule;
}

/// `rule`, plus the description and example of `old` where `rule` has none.
fn merged(old: &Value, rule: Value) -> Value {
    let mut out: Map<String, Value> = match rule {
        Value::Object(map) => map,
        other => return other,
    };
    for key in ["description", "example"] {
        if let Some(v) = old.get(key) {
            out.entry(key).or_insert_with(|| v.clone());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollcall_domain::values::{Password, PersonName};

    fn matches(pattern: &str, text: &str) -> bool {
        fancy_regex::Regex::new(pattern)
            .unwrap()
            .is_match(text)
            .unwrap()
    }

    #[test]
    fn the_username_pattern_accepts_what_the_domain_accepts() {
        let pattern = username_pattern();
        let long = "a".repeat(Username::MAX_CHARS);
        let too_long = "a".repeat(Username::MAX_CHARS + 1);
        for sample in [
            "ann", "_x", "0a", "a.b-c_d", "ME", "me", "Sign_In", "sign_out", "12", "0", "", ".a",
            "-a", "a b", "a\nb", "ä", "a\0", "me2", "sign_in_", &long, &too_long,
        ] {
            assert_eq!(
                matches(&pattern, sample),
                Username::parse(sample).is_ok(),
                "{sample:?} against {pattern}"
            );
        }
    }

    #[test]
    fn the_text_pattern_accepts_what_the_domain_accepts() {
        for sample in [
            "Ada", " Ada ", " ", "", "\t\n", "\u{85}", "\u{a0}x", "a\0b", "\0", "é",
        ] {
            assert_eq!(
                matches(TEXT_PATTERN, sample),
                PersonName::parse(sample).is_ok(),
                "{sample:?}"
            );
        }
    }

    #[test]
    fn password_rules_follow_the_configured_policy() {
        let policy = PasswordPolicy::with_min_chars(12);
        let rule = password(policy);
        assert_eq!(rule["minLength"], 12);
        assert_eq!(rule["maxLength"], PasswordPolicy::MAX_CHARS);
        for sample in ["short", "twelve-chars", "has\0a-nul-inside"] {
            assert_eq!(
                matches(NO_NUL_PATTERN, sample) && sample.chars().count() >= 12,
                Password::new(sample, &policy).is_ok(),
                "{sample:?}"
            );
        }
    }

    #[test]
    fn the_document_carries_the_rules() {
        let mut doc = serde_json::to_value(crate::openapi::openapi()).unwrap();
        apply(&mut doc, PasswordPolicy::with_min_chars(10));
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["UserCreateRequest"]["required"],
            json!(["username", "password"])
        );
        assert!(schemas["UserFieldsRequest"].get("required").is_none());
        assert_eq!(
            schemas["UserCreateRequest"]["properties"]["password"]["minLength"],
            10
        );
        assert_eq!(
            doc["paths"]["/api/v2/users"]["post"]["requestBody"]["content"]["application/json"]["schema"]
                ["$ref"],
            "#/components/schemas/UserCreateRequest"
        );
        let limit = doc["paths"]["/api/v2/users"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "limit")
            .unwrap();
        assert_eq!(limit["schema"]["minimum"], 1);
        assert_eq!(
            schemas["TokenMultipartForm"]["additionalProperties"],
            json!(false)
        );
    }

    #[test]
    fn the_sort_patterns_take_the_sortable_fields_only() {
        let v2 = v2_sort_by()["pattern"].as_str().unwrap().to_owned();
        assert!(matches(&v2, ""));
        assert!(matches(&v2, "username:desc|id"));
        assert!(!matches(&v2, "password"));
        assert!(!matches(&v2, "id:up"));
        let nine = ["id"; MAX_SORT_KEYS + 1].join("|");
        assert!(!matches(&v2, &nine));
        let app = application_sort()["pattern"].as_str().unwrap().to_owned();
        assert!(matches(&app, "-id,uuid"));
        assert!(!matches(&app, "username"));
    }

    #[test]
    fn the_scope_items_are_the_catalog() {
        let item = scope_item();
        let pairs: usize = item["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["properties"]["action"]["enum"].as_array().unwrap().len())
            .sum();
        assert_eq!(pairs, Scope::CATALOG.len());
    }
}
