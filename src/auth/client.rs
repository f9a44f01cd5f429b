//! The client's address: the socket peer, or, behind a trusted proxy, the
//! address that proxy reports in `X-Forwarded-For`.

use std::net::IpAddr;

/// The address to throttle by. `forwarded_for` is the raw header value; it is
/// believed only when the peer is a trusted proxy, and then only up to the
/// first hop that is not itself trusted (clients can prepend anything).
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let Some(header) = forwarded_for else {
        return Some(peer);
    };
    for hop in header.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return Some(ip),
            // A malformed hop: stop believing the header there.
            Err(_) => return Some(peer),
        }
    }
    Some(peer)
}

/// The client's address of a request: the socket peer, or what a trusted
/// proxy reports.
pub fn of_request(req: &poem::Request, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    client_ip(peer, forwarded, trusted)
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

    #[test]
    fn the_peer_is_the_client_unless_it_is_a_trusted_proxy() {
        assert_eq!(
            client_ip(Some(ip("9.9.9.9")), Some("1.2.3.4"), &[]),
            Some(ip("9.9.9.9"))
        );
        let proxy = [ip("10.0.0.1")];
        assert_eq!(
            client_ip(Some(ip("10.0.0.1")), Some("1.2.3.4"), &proxy),
            Some(ip("1.2.3.4"))
        );
        assert_eq!(
            client_ip(Some(ip("10.0.0.1")), None, &proxy),
            Some(ip("10.0.0.1"))
        );
    }

    #[test]
    fn a_forged_leftmost_hop_is_ignored() {
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        let got = client_ip(
            Some(ip("10.0.0.1")),
            Some("6.6.6.6, 1.2.3.4, 10.0.0.2"),
            &proxies,
        );
        assert_eq!(got, Some(ip("1.2.3.4")));
        let garbage = client_ip(Some(ip("10.0.0.1")), Some("nonsense"), &proxies);
        assert_eq!(garbage, Some(ip("10.0.0.1")));
    }

    #[test]
    fn ipv6_addresses_are_grouped_by_their_64_prefix() {
        assert_eq!(address_key(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(address_key(ip("2001:db8:1:2:bbbb::9")), "2001:db8:1:2::/64");
        assert_eq!(address_key(ip("::ffff:1.2.3.4")), "1.2.3.4");
    }
}
