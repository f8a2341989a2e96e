//! The OS account source: [`FileOsAccounts`], the OS account port over the passwd and group
//! files, read afresh on every call (so accounts added to the machine show up without a
//! restart), and [`parse_passwd_file`] and [`parse_group_file`], the parsers of their formats.

use async_trait::async_trait;
use rollcall_domain::entities::{OsGroup, OsUser};
use rollcall_domain::ports::{OsAccountError, OsAccountSource};
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

/// The `:`-separated fields of every entry of an account file with at least `min_fields`
/// fields and a name; comments and blank lines are skipped.
fn entries(text: &str, min_fields: usize) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| line.split(':').collect::<Vec<_>>())
        .filter(move |f| f.len() >= min_fields && !f[0].is_empty())
}

/// Parses `/etc/passwd` (`name:password:uid:gid:gecos:home:shell`), skipping comments, blank
/// and malformed lines.
pub fn parse_passwd_file(text: &str) -> Vec<OsUser> {
    entries(text, 4)
        .filter_map(|f| {
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
    entries(text, 3)
        .filter_map(|f| {
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
