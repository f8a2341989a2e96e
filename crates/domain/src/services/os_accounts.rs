//! OS users and groups (admins only). The adapter that reads them from the machine, with the
//! parsers of the passwd and group file formats, lives in the `rollcall-system` crate.

use super::{Directory, Principal, ServiceError};
use crate::entities::{OsGroup, OsUser};

impl Directory {
    /// Every OS user.
    ///
    /// # Errors
    /// [`super::Forbidden::AdminOnly`], [`ServiceError::Unavailable`] when the database cannot
    /// be read.
    pub async fn list_os_users(&self, principal: &Principal) -> Result<Vec<OsUser>, ServiceError> {
        principal.require_admin("list system users")?;
        Ok(self.ports.os_accounts.os_users().await?)
    }

    /// Every OS group.
    ///
    /// # Errors
    /// [`super::Forbidden::AdminOnly`], [`ServiceError::Unavailable`].
    pub async fn list_os_groups(
        &self,
        principal: &Principal,
    ) -> Result<Vec<OsGroup>, ServiceError> {
        principal.require_admin("list system groups")?;
        Ok(self.ports.os_accounts.os_groups().await?)
    }
}
