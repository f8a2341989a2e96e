//! The client's address, as the login throttle counts it: the peer's address, or — when the
//! peer is a trusted reverse proxy (`trusted_proxies`) — the address that proxy saw, read from
//! `X-Forwarded-For`.
//!
//! `X-Forwarded-For` is read from the right: each proxy appends the address it received the
//! request from, so the right-most entries were written by our own proxies and the left-most
//! by whoever sent the request first, which an attacker controls. Walking right to left over
//! trusted proxies, the first untrusted address is the client (the left-most entry of the
//! untrusted part that a trusted proxy vouched for); entries further left are never believed.
//! An entry that is not an address ends the walk at the last trusted hop.

use actix_web::HttpRequest;
use ipnet::IpNet;
use std::net::IpAddr;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The client's IP address for `req`, read as described above (also what the log records).
pub(crate) fn client_ip_of(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if trusted.is_empty() {
        // The common case, on every authenticated request: no header to read.
        return Some(peer);
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all(X_FORWARDED_FOR)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    Some(client_ip(peer, &forwarded, trusted))
}

/// The client's IP given the peer and the `X-Forwarded-For` entries (in header order).
fn client_ip(peer: IpAddr, forwarded: &[&str], trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer;
    for entry in forwarded.iter().rev() {
        if !is_trusted(&client) {
            break;
        }
        match parse_entry(entry) {
            Some(ip) => client = ip,
            None => break,
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`192.0.2.1:443`,
/// `[2001:db8::1]:443`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() {
        let peer = ip("192.0.2.9");
        assert_eq!(client_ip(peer, &["203.0.113.1"], &[]), peer);
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let trusted = nets(&["10.0.0.0/8"]);
        let peer = ip("10.0.0.2");
        // A spoofed left-most entry is ignored: the proxies vouch only for what they saw.
        let header = ["1.1.1.1", " 198.51.100.7", "10.0.0.5"];
        assert_eq!(client_ip(peer, &header, &trusted), ip("198.51.100.7"));
        assert_eq!(
            client_ip(peer, &["[2001:db8::1]:443"], &trusted),
            ip("2001:db8::1")
        );
        // A garbled entry stops at the last trusted hop.
        assert_eq!(
            client_ip(peer, &["x", "10.0.0.5"], &trusted),
            ip("10.0.0.5")
        );
        // No header: the proxy itself.
        assert_eq!(client_ip(peer, &[], &trusted), peer);
        // Not from a trusted proxy: the header is not believed.
        assert_eq!(
            client_ip(ip("192.0.2.1"), &["198.51.100.7"], &trusted),
            ip("192.0.2.1")
        );
    }
}
