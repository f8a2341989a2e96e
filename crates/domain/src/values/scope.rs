//! The API-key scope catalog: `controller / action` pairs, as in the Nodeum document.

use super::Violation;
use std::collections::BTreeSet;
use std::fmt;

/// The controllers of the scope catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Controller {
    /// Sign in and out.
    Sessions,
    /// The user directory.
    Users,
    /// OS groups.
    Groups,
    /// Per-user configurations.
    Configurations,
    /// Per-user API keys.
    ApiKeys,
    /// The audit trail (admins only).
    AuditEvents,
}

/// The actions of the scope catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// List.
    Index,
    /// Read one.
    Show,
    /// Create.
    Create,
    /// Change.
    Update,
    /// Delete.
    Destroy,
    /// List OS accounts.
    Systems,
}

impl Controller {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sessions => "sessions",
            Self::Users => "users",
            Self::Groups => "groups",
            Self::Configurations => "configurations",
            Self::ApiKeys => "api_keys",
            Self::AuditEvents => "audit_events",
        }
    }
}

impl Action {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Index => "index",
            Self::Show => "show",
            Self::Create => "create",
            Self::Update => "update",
            Self::Destroy => "destroy",
            Self::Systems => "systems",
        }
    }
}

/// One entry of the catalog. Only catalog pairs can be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    controller: Controller,
    action: Action,
}

/// The pair is not in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {controller}/{action}")]
pub struct ScopeError {
    /// The controller as given.
    pub controller: String,
    /// The action as given.
    pub action: String,
}

impl From<ScopeError> for Violation {
    fn from(_: ScopeError) -> Self {
        Violation::Invalid
    }
}

macro_rules! scopes {
    ($($name:ident = $c:ident / $a:ident),* $(,)?) => {
        impl Scope {
            $(
                #[doc = concat!("`", stringify!($c), " / ", stringify!($a), "`")]
                pub const $name: Scope = Scope { controller: Controller::$c, action: Action::$a };
            )*
            /// The whole catalog.
            pub const CATALOG: &'static [Scope] = &[$(Scope::$name),*];
        }
    };
}

scopes! {
    SESSIONS_CREATE = Sessions / Create,
    SESSIONS_DESTROY = Sessions / Destroy,
    USERS_INDEX = Users / Index,
    USERS_SHOW = Users / Show,
    USERS_CREATE = Users / Create,
    USERS_UPDATE = Users / Update,
    USERS_DESTROY = Users / Destroy,
    USERS_SYSTEMS = Users / Systems,
    GROUPS_SYSTEMS = Groups / Systems,
    CONFIGURATIONS_INDEX = Configurations / Index,
    CONFIGURATIONS_SHOW = Configurations / Show,
    CONFIGURATIONS_CREATE = Configurations / Create,
    CONFIGURATIONS_UPDATE = Configurations / Update,
    CONFIGURATIONS_DESTROY = Configurations / Destroy,
    API_KEYS_INDEX = ApiKeys / Index,
    API_KEYS_SHOW = ApiKeys / Show,
    API_KEYS_CREATE = ApiKeys / Create,
    API_KEYS_UPDATE = ApiKeys / Update,
    API_KEYS_DESTROY = ApiKeys / Destroy,
    AUDIT_EVENTS_INDEX = AuditEvents / Index,
}

impl Scope {
    /// Looks a `controller`/`action` pair up in the catalog.
    ///
    /// # Errors
    /// [`ScopeError`] when the pair is not in the catalog.
    pub fn parse(controller: &str, action: &str) -> Result<Self, ScopeError> {
        Self::CATALOG
            .iter()
            .copied()
            .find(|s| s.controller.as_str() == controller && s.action.as_str() == action)
            .ok_or_else(|| ScopeError {
                controller: controller.to_owned(),
                action: action.to_owned(),
            })
    }

    /// Parses the storage form `controller/action`.
    ///
    /// # Errors
    /// [`ScopeError`] when malformed or not in the catalog.
    pub fn parse_path(raw: &str) -> Result<Self, ScopeError> {
        let (c, a) = raw.split_once('/').unwrap_or((raw, ""));
        Self::parse(c, a)
    }

    /// The controller.
    pub fn controller(self) -> Controller {
        self.controller
    }

    /// The action.
    pub fn action(self) -> Action {
        self.action
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.controller.as_str(), self.action.as_str())
    }
}

/// A set of scopes, ordered by catalog position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every scope of the catalog.
    pub fn all() -> Self {
        Self(Scope::CATALOG.iter().copied().collect())
    }

    /// True when `scope` is in the set.
    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    /// True when every scope of `self` is also in `other`.
    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// The scopes, in catalog order.
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// How many scopes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The storage form: `controller/action` entries separated by spaces.
    pub fn to_storage_string(&self) -> String {
        self.iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Reads the storage form back.
    ///
    /// # Errors
    /// [`ScopeError`] for an entry that is not in the catalog.
    pub fn from_storage_string(raw: &str) -> Result<Self, ScopeError> {
        raw.split_whitespace().map(Scope::parse_path).collect()
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_has_the_nineteen_pairs_of_the_spec() {
        assert_eq!(Scope::CATALOG.len(), 20);
        assert_eq!(Scope::parse("users", "index"), Ok(Scope::USERS_INDEX));
        assert_eq!(Scope::parse("groups", "systems"), Ok(Scope::GROUPS_SYSTEMS));
        assert_eq!(
            Scope::parse("api_keys", "destroy"),
            Ok(Scope::API_KEYS_DESTROY)
        );
    }

    #[test]
    fn unknown_pairs_are_refused() {
        assert!(Scope::parse("users", "fly").is_err());
        assert!(Scope::parse("groups", "index").is_err());
        assert!(Scope::parse("text", "text").is_err());
        assert!(Scope::parse_path("users").is_err());
    }

    #[test]
    fn sets_round_trip_through_storage_and_compare() {
        let set: ScopeSet = [Scope::USERS_SHOW, Scope::USERS_INDEX]
            .into_iter()
            .collect();
        let stored = set.to_storage_string();
        assert_eq!(stored, "users/index users/show");
        assert_eq!(ScopeSet::from_storage_string(&stored), Ok(set.clone()));
        assert!(set.is_subset(&ScopeSet::all()));
        assert!(!ScopeSet::all().is_subset(&set));
        assert!(ScopeSet::from_storage_string("users/fly").is_err());
    }
}
