//! Who is trying to log in, as the login throttle counts them: [`ClientAddress`] (where from)
//! and [`LoginKey`] (which login, as a digest).

use crate::secrets::TokenDigest;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

/// A client's network address as the login throttle counts it: an IPv4 address, or the /64
/// network of an IPv6 address (one subscriber usually holds a whole /64, so counting single
/// IPv6 addresses would give a guesser 2^64 tries). An IPv4-mapped IPv6 address counts as the
/// IPv4 address. A plain value: building one for every request allocates nothing; the text
/// form is made only when a failure is stored.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddress(IpAddr);

impl ClientAddress {
    /// The address `ip` is counted under.
    pub fn from_ip(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => {
                    let s = v6.segments();
                    Self(IpAddr::V6(Ipv6Addr::new(
                        s[0], s[1], s[2], s[3], 0, 0, 0, 0,
                    )))
                }
            },
            v4 @ IpAddr::V4(_) => Self(v4),
        }
    }
}

impl fmt::Debug for ClientAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientAddress({self})")
    }
}

/// The stored form: `192.0.2.7`, `2001:db8:1:2::/64`.
impl fmt::Display for ClientAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// A login as the throttle stores it: the SHA-256 of the login folded to ASCII lower case
/// (lookups are case-insensitive, so `Alice` and `alice` are one login). Only the digest is
/// kept: people type passwords into the login field.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LoginKey(String);

impl LoginKey {
    /// The key of a login that names no user.
    pub fn of(login: &str) -> Self {
        Self(TokenDigest::of(&login.to_ascii_lowercase()).to_hex())
    }

    /// The key of an existing user, whichever login (username or e-mail) named them, so a
    /// guesser gains nothing by alternating. (The NUL can be in no login, so the two kinds of
    /// key never meet.)
    pub fn of_user(id: crate::entities::UserId) -> Self {
        Self(TokenDigest::of(&format!("\0user\0{id}")).to_hex())
    }

    /// The stored form: 64 lower-case hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LoginKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LoginKey({}…)", &self.0[..8])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_is_counted_as_is_and_ipv6_by_its_64() {
        let a = |s: &str| ClientAddress::from_ip(s.parse().unwrap());
        assert_eq!(a("192.0.2.7").to_string(), "192.0.2.7");
        assert_eq!(a("::ffff:192.0.2.7").to_string(), "192.0.2.7");
        assert_eq!(a("2001:db8:1:2:3:4:5:6").to_string(), "2001:db8:1:2::/64");
        assert_eq!(a("2001:db8:1:2:ffff::1"), a("2001:db8:1:2::9"));
        assert_ne!(a("2001:db8:1:2::1"), a("2001:db8:1:3::1"));
    }

    #[test]
    fn logins_are_case_folded_digests() {
        assert_eq!(LoginKey::of("Alice"), LoginKey::of("alice"));
        assert_ne!(LoginKey::of("alice"), LoginKey::of("alice2"));
        assert_eq!(LoginKey::of("x").as_str().len(), 64);
        assert!(!format!("{:?}", LoginKey::of("secret-typed-here")).contains("secret"));
    }
}
