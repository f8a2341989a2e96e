//! Per-user configurations, addressed by id or key.

use super::error::{too_many, unexpected_configuration_store};
use super::{Directory, NotFound, Principal, ServiceError};
use crate::audit::AuditAction;
use crate::entities::{Configuration, ConfigurationChanges, ConfigurationRef};
use crate::listing::{Listed, PageRequest};
use crate::ports::ConfigurationStoreError;
use crate::values::{ConfigurationKey, ConfigurationValue, FieldViolation, Violation, Violations};

/// Raw configuration fields as received; `None` means absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigurationInput {
    /// `key`.
    pub key: Option<Option<String>>,
    /// `value`.
    pub value: Option<Option<String>>,
    /// Fields whose JSON type was wrong, each reported as [`Violation::WrongType`].
    pub malformed: Vec<&'static str>,
}

fn parse_input(
    input: &ConfigurationInput,
    require: bool,
) -> Result<(Option<ConfigurationKey>, Option<ConfigurationValue>), ServiceError> {
    let mut v = Violations::new();
    for field in &input.malformed {
        v.push(FieldViolation::new(field, Violation::WrongType));
    }
    let key = match &input.key {
        None if !require => None,
        None | Some(None) => {
            v.push(FieldViolation::new("key", Violation::Blank));
            None
        }
        Some(Some(raw)) => v.check("key", Some(raw), ConfigurationKey::parse(raw)),
    };
    let value = match &input.value {
        None if !require => None,
        None | Some(None) => {
            v.push(FieldViolation::new("value", Violation::Blank));
            None
        }
        Some(Some(raw)) => v.check("value", None, ConfigurationValue::parse(raw)),
    };
    v.into_result().map_err(ServiceError::Validation)?;
    Ok((key, value))
}

fn store_error(
    e: ConfigurationStoreError,
    shown: &str,
    key: Option<&ConfigurationKey>,
) -> ServiceError {
    match e {
        ConfigurationStoreError::NotFound => {
            ServiceError::NotFound(NotFound::Configuration(shown.to_owned()))
        }
        ConfigurationStoreError::KeyTaken => {
            ServiceError::Validation(Violations::one(FieldViolation {
                field: "key",
                violation: Violation::Taken,
                value: key.map(|k| k.as_str().to_owned()),
            }))
        }
        other => unexpected_configuration_store(other),
    }
}

fn parse_ref(raw: &str) -> Result<ConfigurationRef, ServiceError> {
    ConfigurationRef::parse(raw)
        .ok_or_else(|| ServiceError::NotFound(NotFound::Configuration(raw.to_owned())))
}

impl Directory {
    /// The principal's configurations in id order.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn list_configurations(
        &self,
        principal: &Principal,
        page: PageRequest,
    ) -> Result<Listed<Configuration>, ServiceError> {
        self.ports
            .configurations
            .list_configurations(principal.user.id, page)
            .await
            .map_err(unexpected_configuration_store)
    }

    /// Creates a configuration; the key is unique per user.
    ///
    /// # Errors
    /// [`ServiceError::Validation`] (blank, invalid, `taken`), storage errors.
    pub async fn create_configuration(
        &self,
        principal: &Principal,
        input: ConfigurationInput,
    ) -> Result<Configuration, ServiceError> {
        let (Some(key), Some(value)) = parse_input(&input, true)? else {
            return Err(ServiceError::Internal(
                "configuration input vanished".into(),
            ));
        };
        let event = self
            .event(principal, AuditAction::ConfigurationCreate)
            .on_user(principal.user.id)
            .with_fields(["key", "value"]);
        self.ports
            .configurations
            .create_configuration_audited(
                principal.user.id,
                key.clone(),
                value,
                self.now(),
                self.settings.per_user.configurations,
                Some(event),
            )
            .await
            .map_err(|e| match e {
                ConfigurationStoreError::LimitReached => {
                    too_many("configurations", self.settings.per_user.configurations)
                }
                e => store_error(e, key.as_str(), Some(&key)),
            })
    }

    /// One configuration of the principal, by id or key.
    ///
    /// # Errors
    /// [`NotFound::Configuration`], storage errors.
    pub async fn get_configuration(
        &self,
        principal: &Principal,
        by: &str,
    ) -> Result<Configuration, ServiceError> {
        let r = parse_ref(by)?;
        self.ports
            .configurations
            .get_configuration(principal.user.id, &r)
            .await
            .map_err(|e| store_error(e, by, None))
    }

    /// Partially updates a configuration; it may be renamed (uniqueness still holds).
    ///
    /// # Errors
    /// [`NotFound::Configuration`], [`ServiceError::Validation`], storage errors.
    pub async fn update_configuration(
        &self,
        principal: &Principal,
        by: &str,
        input: ConfigurationInput,
    ) -> Result<Configuration, ServiceError> {
        let r = parse_ref(by)?;
        // Another user's configuration is 404 whatever the body holds (api.md 8).
        self.ports
            .configurations
            .get_configuration(principal.user.id, &r)
            .await
            .map_err(|e| store_error(e, by, None))?;
        let (key, value) = parse_input(&input, false)?;
        let shown_key = key.clone();
        let event = self
            .event(principal, AuditAction::ConfigurationUpdate)
            .on_user(principal.user.id)
            .with_fields(
                [("key", key.is_some()), ("value", value.is_some())]
                    .into_iter()
                    .filter_map(|(name, set)| set.then_some(name)),
            );
        self.ports
            .configurations
            .update_configuration_audited(
                principal.user.id,
                &r,
                ConfigurationChanges { key, value },
                self.now(),
                Some(event),
            )
            .await
            .map_err(|e| store_error(e, by, shown_key.as_ref()))
    }

    /// Deletes a configuration of the principal.
    ///
    /// # Errors
    /// [`NotFound::Configuration`], storage errors.
    pub async fn delete_configuration(
        &self,
        principal: &Principal,
        by: &str,
    ) -> Result<(), ServiceError> {
        let r = parse_ref(by)?;
        let event = self
            .event(principal, AuditAction::ConfigurationDelete)
            .on_user(principal.user.id);
        self.ports
            .configurations
            .delete_configuration_audited(principal.user.id, &r, Some(event))
            .await
            .map_err(|e| store_error(e, by, None))
    }
}
