//! OS users and groups (admins only), and the parsers of the passwd and group file formats.

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

/// Parses `/etc/passwd` (`name:password:uid:gid:gecos:home:shell`), skipping comments, blank
/// and malformed lines.
pub fn parse_passwd_file(text: &str) -> Vec<OsUser> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() < 4 || f[0].is_empty() {
                return None;
            }
            Some(OsUser {
                name: f[0].to_owned(),
                uid: f[2].parse().ok()?,
                gid: f[3].parse().ok()?,
                info: f.get(4).copied().unwrap_or("").to_owned(),
            })
        })
        .collect()
}

/// Parses `/etc/group` (`name:password:gid:member,member`), skipping comments, blank and
/// malformed lines.
pub fn parse_group_file(text: &str) -> Vec<OsGroup> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() < 3 || f[0].is_empty() {
                return None;
            }
            Some(OsGroup {
                name: f[0].to_owned(),
                gid: f[2].parse().ok()?,
                users: f
                    .get(3)
                    .map(|m| {
                        m.split(',')
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_lines_parse() {
        let users = parse_passwd_file(
            "# comment\nroot:x:0:0:root:/root:/bin/bash\n\nbad line\nalice:x:1000:100:Alice A,,,:/home/alice:/bin/sh\nnum:x:abc:1::/:/bin/sh\n",
        );
        assert_eq!(users.len(), 2);
        assert_eq!(users[1].name, "alice");
        assert_eq!(users[1].uid, 1000);
        assert_eq!(users[1].gid, 100);
        assert_eq!(users[1].info, "Alice A,,,");
    }

    #[test]
    fn group_lines_parse() {
        let groups = parse_group_file("root:x:0:\nstaff:x:50:alice,bob\nbroken\n");
        assert_eq!(groups.len(), 2);
        assert!(groups[0].users.is_empty());
        assert_eq!(groups[1].users, vec!["alice", "bob"]);
        assert_eq!(groups[1].gid, 50);
    }
}
