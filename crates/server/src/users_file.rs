//! The users file of `rollcall users export` and `rollcall users import`: JSON Lines, one user
//! per line, with the v2 user fields, the stored `password_hash` and (exported only) the
//! user's API keys without their secrets. See docs/operations.md, "Moving users in and out".

use rollcall_domain::entities::{ApiKey, User};
use rollcall_domain::services::{ImportedUser, UserInput};
use serde_json::{Map, Value, json};

/// The fields an import reads; any other is refused (a typo must not pass silently), except
/// those an export writes that the target assigns itself.
const IMPORTED: &[&str] = &[
    "uuid",
    "username",
    "email",
    "first_name",
    "last_name",
    "external_id",
    "language",
    "is_admin",
    "enabled",
    "expired_at",
    "user_id",
    "group_id",
    "source_type",
    "created_at",
    "password_hash",
];

/// Written by an export, ignored by an import: the target directory assigns ids and
/// `updated_at`, and API keys cannot move without their secrets.
const IGNORED: &[&str] = &["id", "updated_at", "api_keys"];

/// One user as an export line (without the newline).
pub fn export_line(user: &User, keys: &[ApiKey]) -> String {
    let keys: Vec<Value> = keys
        .iter()
        .map(|k| {
            json!({
                "id": k.id.get(),
                "name": k.name.as_str(),
                "key": k.masked(),
                "scopes": k.scopes.iter().map(|s| json!({
                    "controller": s.controller().as_str(),
                    "action": s.action().as_str(),
                })).collect::<Vec<_>>(),
                "expires_at": k.expires_at,
                "last_used_at": k.last_used_at,
                "created_at": k.created_at,
            })
        })
        .collect();
    json!({
        "id": user.id.get(),
        "uuid": user.uuid,
        "username": user.username.as_str(),
        "email": user.email.as_ref().map(|e| e.as_str()),
        "first_name": user.first_name.as_ref().map(|n| n.as_str()),
        "last_name": user.last_name.as_ref().map(|n| n.as_str()),
        "external_id": user.external_id.as_ref().map(|x| x.as_str()),
        "language": user.language.as_str(),
        "is_admin": user.is_admin,
        "enabled": user.enabled,
        "expired_at": user.expired_at,
        "user_id": user.posix_uid.map(|p| p.get()),
        "group_id": user.posix_gid.map(|p| p.get()),
        "source_type": user.source_type.as_str(),
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "password_hash": user.password_hash.as_ref().map(|h| h.as_phc()),
        "api_keys": keys,
    })
    .to_string()
}

/// Reads one import line (numbered `line`): its user, or why it cannot be one.
///
/// # Errors
/// A sentence: not JSON, not an object, an unknown field, a field of the wrong type.
pub fn import_line(line: usize, text: &str) -> Result<ImportedUser, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(mut object) = value else {
        return Err("not a JSON object".into());
    };
    if let Some(unknown) = object
        .keys()
        .find(|k| !IMPORTED.contains(&k.as_str()) && !IGNORED.contains(&k.as_str()))
    {
        return Err(format!("unknown field {unknown:?}"));
    }
    let mut malformed = Vec::new();
    let mut input = UserInput::default();
    let mut text_field =
        |object: &mut Map<String, Value>, name: &'static str| match object.remove(name) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s)),
            Some(_) => {
                malformed.push(name);
                None
            }
        };
    input.username = text_field(&mut object, "username");
    input.email = text_field(&mut object, "email");
    input.first_name = text_field(&mut object, "first_name");
    input.last_name = text_field(&mut object, "last_name");
    input.external_id = text_field(&mut object, "external_id");
    input.language = text_field(&mut object, "language");
    input.expired_at = text_field(&mut object, "expired_at");
    let source_type = text_field(&mut object, "source_type");
    let uuid = text_field(&mut object, "uuid").flatten();
    let password_hash = text_field(&mut object, "password_hash").flatten();
    let created_at = text_field(&mut object, "created_at").flatten();
    let mut flag = |object: &mut Map<String, Value>, name: &'static str| match object.remove(name) {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(b),
        Some(_) => {
            malformed.push(name);
            None
        }
    };
    input.is_admin = flag(&mut object, "is_admin");
    input.enabled = flag(&mut object, "enabled");
    let mut id = |object: &mut Map<String, Value>, name: &'static str| match object.remove(name) {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::Number(n)) if n.as_i64().is_some() => Some(n.as_i64()),
        Some(_) => {
            malformed.push(name);
            None
        }
    };
    input.user_id = id(&mut object, "user_id");
    input.group_id = id(&mut object, "group_id");
    input.source_type = source_type.flatten();
    input.malformed = malformed;
    let created_at = match created_at {
        None => None,
        Some(text) => Some(
            chrono::DateTime::parse_from_rfc3339(&text)
                .map_err(|_| format!("created_at {text:?} is not an RFC 3339 date-time"))?
                .with_timezone(&chrono::Utc),
        ),
    };
    Ok(ImportedUser {
        line,
        input,
        uuid,
        password_hash,
        created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_map_every_field_and_refuse_unknown_ones() {
        let user = import_line(
            3,
            r#"{"id": 9, "username": "ann", "email": null, "is_admin": true, "user_id": 1001,
                "password_hash": "$2y$10$x", "created_at": "2020-01-02T03:04:05Z",
                "api_keys": [], "updated_at": "x"}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(user.line, 3);
        assert_eq!(user.input.username, Some(Some("ann".into())));
        assert_eq!(user.input.email, Some(None));
        assert_eq!(user.input.is_admin, Some(true));
        assert_eq!(user.input.user_id, Some(Some(1001)));
        assert_eq!(user.password_hash.as_deref(), Some("$2y$10$x"));
        assert!(user.created_at.is_some());
        assert!(user.input.malformed.is_empty());

        let typed = import_line(1, r#"{"username": 5, "enabled": "yes"}"#).unwrap_or_default();
        assert_eq!(typed.input.malformed, vec!["username", "enabled"]);
        for bad in [
            "not json",
            "[1]",
            r#"{"usrname": "x"}"#,
            r#"{"created_at": "soon"}"#,
        ] {
            assert!(import_line(1, bad).is_err(), "{bad}");
        }
    }
}
