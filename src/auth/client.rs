//! The client's address: the socket peer, or, behind a trusted proxy, the
//! address that proxy reports in `X-Forwarded-For`.
//!
//! Every `X-Forwarded-For` line is read, in the order received, as one list
//! (RFC 9110 section 5.3: several lines of a list header are one list joined
//! by commas). A proxy that appends its own line after the client's is then
//! read correctly: walking from the right, the proxies' entries come first,
//! and the first entry that is not a trusted proxy is the client (whatever
//! the client wrote further left is never reached).
//!
//! RFC 7239's `Forwarded` header is not read: a deployment's proxy sets one
//! of the two, and believing both would let a client forge the one its
//! proxy does not manage. Proxies must append to `X-Forwarded-For` (nginx's
//! `$proxy_add_x_forwarded_for`, HAProxy's `option forwardfor`, most load
//! balancers by default).

use std::net::{IpAddr, SocketAddr};

/// The longest entry looked at: an address with brackets and a port is at
/// most 47 bytes (`[` + 39 + `]:` + 5); longer entries are garbage.
const MAX_HOP_LEN: usize = 64;

/// The address to throttle by. `forwarded_for` are the raw
/// `X-Forwarded-For` lines in the order received; they are believed only
/// when the peer is a trusted proxy, and then only up to the first hop that
/// is not itself trusted (clients can prepend anything). A hop that is not
/// an address stops the walk there: the peer is used.
///
/// One pass from the right over the bytes, stopping at the first untrusted
/// hop: linear in the header's size, whatever it holds.
pub fn client_ip<'a>(
    peer: Option<IpAddr>,
    forwarded_for: impl DoubleEndedIterator<Item = &'a [u8]>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    for line in forwarded_for.rev() {
        for hop in line.rsplit(|b| *b == b',') {
            let hop = hop.trim_ascii();
            if hop.is_empty() {
                // An empty list element (`a, , b`) says nothing.
                continue;
            }
            match parse_hop(hop) {
                Some(ip) if trusted.contains(&ip) => continue,
                Some(ip) => return Some(ip),
                // A malformed hop: stop believing the header there.
                None => return Some(peer),
            }
        }
    }
    Some(peer)
}

/// One `X-Forwarded-For` entry: an IPv4 or IPv6 address, optionally with a
/// port (`1.2.3.4:5678`, `[2001:db8::1]:443`) or in brackets, as some
/// proxies write it.
fn parse_hop(hop: &[u8]) -> Option<IpAddr> {
    if hop.len() > MAX_HOP_LEN {
        return None;
    }
    let text = std::str::from_utf8(hop).ok()?;
    let ip = match text.parse::<IpAddr>() {
        Ok(ip) => ip,
        Err(_) => match text.parse::<SocketAddr>() {
            Ok(sa) => sa.ip(),
            Err(_) => text
                .strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))?
                .parse::<std::net::Ipv6Addr>()
                .ok()
                .map(IpAddr::V6)?,
        },
    };
    Some(ip.to_canonical())
}

/// The throttling key of an address: IPv4 as is, IPv6 by its /64 (one
/// subscriber usually holds a whole /64).
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// `client_ip` over header lines given as text.
    fn walk(peer: &str, lines: &[&str], trusted: &[IpAddr]) -> Option<IpAddr> {
        client_ip(Some(ip(peer)), lines.iter().map(|l| l.as_bytes()), trusted)
    }

    #[test]
    fn the_peer_is_the_client_unless_it_is_a_trusted_proxy() {
        assert_eq!(walk("9.9.9.9", &["1.2.3.4"], &[]), Some(ip("9.9.9.9")));
        let proxy = [ip("10.0.0.1")];
        assert_eq!(walk("10.0.0.1", &["1.2.3.4"], &proxy), Some(ip("1.2.3.4")));
        assert_eq!(walk("10.0.0.1", &[], &proxy), Some(ip("10.0.0.1")));
        assert_eq!(client_ip(None, std::iter::empty(), &proxy), None);
    }

    #[test]
    fn a_forged_leftmost_hop_is_ignored() {
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        let got = walk("10.0.0.1", &["6.6.6.6, 1.2.3.4, 10.0.0.2"], &proxies);
        assert_eq!(got, Some(ip("1.2.3.4")));
        let garbage = walk("10.0.0.1", &["nonsense"], &proxies);
        assert_eq!(garbage, Some(ip("10.0.0.1")));
    }

    #[test]
    fn every_line_is_read_in_order_as_one_list() {
        let proxy = [ip("10.0.0.1")];
        // The client sent its own line; the proxy appended another.
        assert_eq!(
            walk("10.0.0.1", &["7.7.7.7", "1.2.3.4"], &proxy),
            Some(ip("1.2.3.4"))
        );
        // Two proxies, each appending a line.
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        assert_eq!(
            walk(
                "10.0.0.1",
                &["7.7.7.7, 8.8.8.8", "1.2.3.4", "10.0.0.2"],
                &proxies
            ),
            Some(ip("1.2.3.4"))
        );
        // Empty lines and empty elements say nothing.
        assert_eq!(
            walk("10.0.0.1", &["7.7.7.7", "1.2.3.4, ,", ""], &proxy),
            Some(ip("1.2.3.4"))
        );
    }

    #[test]
    fn garbage_after_the_trusted_hops_falls_back_to_the_peer() {
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        for lines in [
            &["1.2.3.4", "\u{202e}"][..],
            &["1.2.3.4", "999.1.1.1, 10.0.0.2"][..],
            &["1.2.3.4", "unknown"][..],
        ] {
            assert_eq!(
                walk("10.0.0.1", lines, &proxies),
                Some(ip("10.0.0.1")),
                "{lines:?}"
            );
        }
        let bytes: [&[u8]; 2] = [b"1.2.3.4", b"\xff\xfe"];
        assert_eq!(
            client_ip(Some(ip("10.0.0.1")), bytes.into_iter(), &proxies),
            Some(ip("10.0.0.1"))
        );
        let long = "1".repeat(100_000);
        assert_eq!(walk("10.0.0.1", &[&long], &proxies), Some(ip("10.0.0.1")));
    }

    #[test]
    fn ports_brackets_and_mapped_addresses_are_understood() {
        let proxy = [ip("10.0.0.1")];
        assert_eq!(
            walk("10.0.0.1", &["1.2.3.4:5678"], &proxy),
            Some(ip("1.2.3.4"))
        );
        assert_eq!(
            walk("10.0.0.1", &["[2001:db8::1]:443"], &proxy),
            Some(ip("2001:db8::1"))
        );
        assert_eq!(
            walk("10.0.0.1", &["[2001:db8::1]"], &proxy),
            Some(ip("2001:db8::1"))
        );
        // A dual-stack socket reports IPv4 peers as mapped IPv6 addresses.
        assert_eq!(
            walk("::ffff:10.0.0.1", &["::ffff:10.0.0.1, 1.2.3.4"], &proxy),
            Some(ip("1.2.3.4"))
        );
    }

    #[test]
    fn a_huge_header_is_walked_in_linear_time() {
        // 50,000 trusted hops: one pass, no quadratic rescans.
        let proxy = [ip("10.0.0.1")];
        let line = vec!["10.0.0.1"; 50_000].join(",");
        let started = std::time::Instant::now();
        assert_eq!(
            walk("10.0.0.1", &[&line, &line], &proxy),
            Some(ip("10.0.0.1"))
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn ipv6_addresses_are_grouped_by_their_64_prefix() {
        assert_eq!(address_key(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(address_key(ip("2001:db8:1:2:bbbb::9")), "2001:db8:1:2::/64");
        assert_eq!(address_key(ip("::ffff:1.2.3.4")), "1.2.3.4");
    }
}
