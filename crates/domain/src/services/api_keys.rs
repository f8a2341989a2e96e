//! Per-user API keys: created with the full key shown once, masked after, scoped, and never
//! broader than the key that made them.

use super::error::{too_many, unexpected_api_key_store};
use super::{Directory, Forbidden, NotFound, Principal, ServiceError};
use crate::audit::AuditAction;
use crate::entities::{ApiKey, ApiKeyChanges, ApiKeyId, NewApiKey, parse_numeric_id};
use crate::listing::{Listed, PageRequest, parse_timestamp};
use crate::ports::ApiKeyStoreError;
use crate::secrets::{TokenDigest, api_key_from};
use crate::values::{ApiKeyName, FieldViolation, Scope, ScopeSet, Violation, Violations};
use chrono::{DateTime, Utc};
use secrecy::SecretString;

/// One `{controller, action}` pair as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeInput {
    /// Controller.
    pub controller: String,
    /// Action.
    pub action: String,
}

/// Raw API-key fields as received; `None` means absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiKeyInput {
    /// `name` (optional, default `""`; null reads as `""`).
    pub name: Option<Option<String>>,
    /// `api_key_scopes`.
    pub scopes: Option<Vec<ScopeInput>>,
    /// `expires_at`, RFC 3339; null clears.
    pub expires_at: Option<Option<String>>,
    /// Fields whose JSON type was wrong, each reported as [`Violation::WrongType`].
    pub malformed: Vec<&'static str>,
}

/// A key just created: the full key appears here only.
#[derive(Debug)]
pub struct CreatedApiKey {
    /// The stored key.
    pub key: ApiKey,
    /// The whole key, for the client, once.
    pub full_key: SecretString,
}

struct ParsedKey {
    name: Option<ApiKeyName>,
    scopes: Option<ScopeSet>,
    expires_at: Option<Option<DateTime<Utc>>>,
}

fn parse_key_input(input: &ApiKeyInput) -> Result<ParsedKey, ServiceError> {
    let mut v = Violations::new();
    for field in &input.malformed {
        v.push(FieldViolation::new(field, Violation::WrongType));
    }
    let name = input.name.as_ref().and_then(|raw| {
        let raw = raw.as_deref().unwrap_or("");
        v.check("name", Some(raw), ApiKeyName::parse(raw))
    });
    let scopes = input.scopes.as_ref().map(|list| {
        list.iter()
            .filter_map(|s| {
                let shown = format!("{}/{}", s.controller, s.action);
                v.check(
                    "api_key_scopes",
                    Some(&shown),
                    Scope::parse(&s.controller, &s.action),
                )
            })
            .collect::<ScopeSet>()
    });
    let expires_at = match &input.expires_at {
        None => None,
        Some(None) => Some(None),
        Some(Some(raw)) => match parse_timestamp(raw) {
            Some(t) => Some(Some(t)),
            None => {
                v.push(FieldViolation::with_value(
                    "expires_at",
                    Violation::Invalid,
                    raw.clone(),
                ));
                None
            }
        },
    };
    v.into_result().map_err(ServiceError::Validation)?;
    Ok(ParsedKey {
        name,
        scopes,
        expires_at,
    })
}

fn check_grant(principal: &Principal, scopes: Option<&ScopeSet>) -> Result<(), ServiceError> {
    match scopes {
        Some(s) if !s.is_subset(&principal.grantable_scopes()) => {
            Err(ServiceError::Forbidden(Forbidden::ScopeEscalation))
        }
        _ => Ok(()),
    }
}

/// The expiry a key made or changed by `principal` gets: within the making key's own expiry.
/// `requested` is the parsed `expires_at` (`None` absent, `Some(None)` cleared). A key made
/// through an expiring key without an expiry of its own takes the maker's; an explicit later
/// expiry, or clearing it, is refused. Passwords, sessions and keys without expiry are not
/// bounded.
fn bounded_expiry(
    principal: &Principal,
    requested: Option<Option<DateTime<Utc>>>,
    creating: bool,
) -> Result<Option<Option<DateTime<Utc>>>, ServiceError> {
    let Some(bound) = principal.key_expiry_bound() else {
        return Ok(requested);
    };
    match requested {
        None if creating => Ok(Some(Some(bound))),
        None => Ok(None),
        Some(Some(at)) if at <= bound => Ok(Some(Some(at))),
        Some(_) => Err(ServiceError::Forbidden(Forbidden::ExpiryEscalation)),
    }
}

impl Directory {
    /// The principal's keys in id order.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn list_api_keys(
        &self,
        principal: &Principal,
        page: PageRequest,
    ) -> Result<Listed<ApiKey>, ServiceError> {
        self.ports
            .api_keys
            .list_api_keys(principal.user.id, page)
            .await
            .map_err(unexpected_api_key_store)
    }

    /// Creates a key for the principal. Absent scopes mean none. A key made through a key may
    /// only carry scopes the making key holds, and never outlives it (see [`bounded_expiry`]).
    ///
    /// # Errors
    /// [`ServiceError::Validation`] (unknown scope, bad name or expiry),
    /// [`Forbidden::ScopeEscalation`], [`Forbidden::ExpiryEscalation`], storage errors.
    pub async fn create_api_key(
        &self,
        principal: &Principal,
        input: ApiKeyInput,
    ) -> Result<CreatedApiKey, ServiceError> {
        let parsed = parse_key_input(&input)?;
        let scopes = parsed.scopes.unwrap_or_default();
        check_grant(principal, Some(&scopes))?;
        let expires_at = bounded_expiry(principal, parsed.expires_at, true)?.flatten();
        // A random 64-bit identifier can collide; try again a few times.
        for _ in 0..3 {
            let (identifier, full_key) =
                api_key_from(&self.random_bytes::<8>(), &self.random_bytes::<32>());
            let last_four = full_key[full_key.len() - 4..].to_owned();
            let new = NewApiKey {
                user_id: principal.user.id,
                name: parsed.name.clone().unwrap_or_default(),
                identifier,
                secret_digest: TokenDigest::of(&full_key),
                last_four,
                scopes: scopes.clone(),
                expires_at,
                created_at: self.now(),
                owner_may_hold: self.settings.per_user.api_keys,
            };
            let event = self
                .event(principal, AuditAction::ApiKeyCreate)
                .on_user(principal.user.id)
                .with_fields(key_fields(&new));
            match self
                .ports
                .api_keys
                .create_api_key_audited(new, Some(event))
                .await
            {
                Ok(key) => {
                    return Ok(CreatedApiKey {
                        key,
                        full_key: SecretString::from(full_key),
                    });
                }
                Err(ApiKeyStoreError::IdentifierTaken) => continue,
                Err(ApiKeyStoreError::LimitReached) => {
                    return Err(too_many("api_keys", self.settings.per_user.api_keys));
                }
                Err(e) => return Err(unexpected_api_key_store(e)),
            }
        }
        Err(ServiceError::Internal(
            "could not find a free API key identifier".into(),
        ))
    }

    /// One key of the principal.
    ///
    /// # Errors
    /// [`NotFound::ApiKey`] (also for another user's key), storage errors.
    pub async fn get_api_key(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<ApiKey, ServiceError> {
        let key_id = parse_id(id)?;
        self.ports
            .api_keys
            .get_api_key(principal.user.id, key_id)
            .await
            .map_err(|e| key_error(e, id))
    }

    /// Replaces a key's name and/or scopes (and expiry), within the principal's grant: a key
    /// may not give any key (itself or a sibling) scopes it lacks, nor an expiry later than
    /// its own, nor clear the expiry while it has one.
    ///
    /// # Errors
    /// [`NotFound::ApiKey`], [`ServiceError::Validation`], [`Forbidden::ScopeEscalation`],
    /// [`Forbidden::ExpiryEscalation`], storage errors.
    pub async fn update_api_key(
        &self,
        principal: &Principal,
        id: &str,
        input: ApiKeyInput,
    ) -> Result<ApiKey, ServiceError> {
        let key_id = parse_id(id)?;
        // Another user's key is 404 whatever the body holds (api.md 8).
        self.ports
            .api_keys
            .get_api_key(principal.user.id, key_id)
            .await
            .map_err(|e| key_error(e, id))?;
        let parsed = parse_key_input(&input)?;
        check_grant(principal, parsed.scopes.as_ref())?;
        let changes = ApiKeyChanges {
            name: parsed.name,
            scopes: parsed.scopes,
            expires_at: bounded_expiry(principal, parsed.expires_at, false)?,
        };
        let event = self
            .event(principal, AuditAction::ApiKeyUpdate)
            .on_user(principal.user.id)
            .with_fields(
                [
                    ("name", changes.name.is_some()),
                    ("scopes", changes.scopes.is_some()),
                    ("expires_at", changes.expires_at.is_some()),
                ]
                .into_iter()
                .filter_map(|(name, set)| set.then_some(name)),
            );
        self.ports
            .api_keys
            .update_api_key_audited(principal.user.id, key_id, changes, self.now(), Some(event))
            .await
            .map_err(|e| key_error(e, id))
    }

    /// Deletes a key of the principal.
    ///
    /// # Errors
    /// [`NotFound::ApiKey`], storage errors.
    pub async fn delete_api_key(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<(), ServiceError> {
        let key_id = parse_id(id)?;
        let event = self
            .event(principal, AuditAction::ApiKeyDelete)
            .on_user(principal.user.id);
        self.ports
            .api_keys
            .delete_api_key_audited(principal.user.id, key_id, Some(event))
            .await
            .map_err(|e| key_error(e, id))
    }
}

/// The fields a new key sets, for its audit event (the secret is never among them).
fn key_fields(key: &NewApiKey) -> Vec<&'static str> {
    let mut fields = vec!["name", "scopes"];
    if key.expires_at.is_some() {
        fields.push("expires_at");
    }
    fields
}

fn parse_id(raw: &str) -> Result<ApiKeyId, ServiceError> {
    parse_numeric_id(raw)
        .map(ApiKeyId)
        .ok_or_else(|| ServiceError::NotFound(NotFound::ApiKey(raw.to_owned())))
}

fn key_error(e: ApiKeyStoreError, shown: &str) -> ServiceError {
    match e {
        ApiKeyStoreError::NotFound => ServiceError::NotFound(NotFound::ApiKey(shown.to_owned())),
        other => unexpected_api_key_store(other),
    }
}
