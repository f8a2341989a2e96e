//! [`FileOsAccounts`]: the OS account port over the passwd and group files, read afresh on
//! every call (so accounts added to the machine show up without a restart) and parsed by the
//! domain's parsers.

use async_trait::async_trait;
use rollcall_domain::entities::{OsGroup, OsUser};
use rollcall_domain::ports::{OsAccountError, OsAccountSource};
use rollcall_domain::services::{parse_group_file, parse_passwd_file};
use std::path::{Path, PathBuf};

/// Reads OS users from a passwd file and groups from a group file (`/etc/passwd` and
/// `/etc/group` by default).
#[derive(Debug, Clone)]
pub struct FileOsAccounts {
    passwd: PathBuf,
    group: PathBuf,
}

impl FileOsAccounts {
    /// An adapter over these two files. They are not opened until asked for.
    pub fn new(passwd: impl Into<PathBuf>, group: impl Into<PathBuf>) -> Self {
        Self {
            passwd: passwd.into(),
            group: group.into(),
        }
    }
}

/// Reads a whole account file; bytes that are not UTF-8 are replaced rather than refused, so
/// one odd GECOS field does not hide every account.
async fn read_account_file(path: &Path) -> Result<String, OsAccountError> {
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| OsAccountError(format!("cannot read {}: {e}", path.display())))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[async_trait]
impl OsAccountSource for FileOsAccounts {
    async fn os_users(&self) -> Result<Vec<OsUser>, OsAccountError> {
        Ok(parse_passwd_file(&read_account_file(&self.passwd).await?))
    }

    async fn os_groups(&self) -> Result<Vec<OsGroup>, OsAccountError> {
        Ok(parse_group_file(&read_account_file(&self.group).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_the_files_on_every_call() {
        let dir = tempfile::tempdir().unwrap();
        let passwd = dir.path().join("passwd");
        let group = dir.path().join("group");
        std::fs::write(&passwd, "root:x:0:0:root:/root:/bin/sh\n").unwrap();
        std::fs::write(&group, "wheel:x:10:root,alice\n").unwrap();
        let accounts = FileOsAccounts::new(&passwd, &group);

        let users = accounts.os_users().await.unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].name, "root");
        let groups = accounts.os_groups().await.unwrap();
        assert_eq!(groups[0].users, vec!["root", "alice"]);

        std::fs::write(
            &passwd,
            "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:Al\u{ff}ce:/home/alice:/bin/sh\n",
        )
        .unwrap();
        let users = accounts.os_users().await.unwrap();
        assert_eq!(users.len(), 2, "re-read without a restart");
    }

    #[tokio::test]
    async fn unreadable_files_are_errors_naming_the_path() {
        let accounts = FileOsAccounts::new("/nonexistent/passwd", "/nonexistent/group");
        let e = accounts.os_users().await.unwrap_err();
        assert!(e.0.contains("/nonexistent/passwd"), "{e}");
        let e = accounts.os_groups().await.unwrap_err();
        assert!(e.0.contains("/nonexistent/group"), "{e}");
    }
}
