//! Which address a request comes from, behind trusted reverse proxies (CONTRACT.md §11).
//!
//! `X-Forwarded-For` is read only when the TCP peer is a trusted proxy (`TRUSTED_PROXIES`,
//! CIDRs); then the client is the rightmost address that is not itself a trusted proxy —
//! everything to its left was written by the client and proves nothing. Otherwise the TCP peer
//! is the client, whatever the headers say. The same address feeds the login throttle and the
//! request's log lines.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// An IP network: `10.0.0.0/8`, `2001:db8::/32`; a bare address is a network of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn contains(&self, addr: IpAddr) -> bool {
        match (self.network, addr.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(a)) => mask_eq(u32::from(net).into(), u32::from(a).into(), self.prefix, 32),
            (IpAddr::V6(net), IpAddr::V6(a)) => mask_eq(u128::from(net), u128::from(a), self.prefix, 128),
            _ => false,
        }
    }
}

fn mask_eq(a: u128, b: u128, prefix: u8, bits: u8) -> bool {
    let shift = u32::from(bits - prefix);
    prefix == 0 || (a >> shift) == (b >> shift)
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?} is not an IP address or CIDR such as 10.0.0.0/8");
        let (addr, prefix) = text.trim().split_once('/').map_or((text.trim(), None), |(a, p)| (a, Some(p)));
        let network = IpAddr::from_str(addr).map_err(|_| bad())?.to_canonical();
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= bits).ok_or_else(bad)?,
        };
        Ok(Cidr { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The client behind `peer`, given the values of its `X-Forwarded-For` headers in order.
pub fn client_address<'a>(
    peer: Option<IpAddr>,
    forwarded_for: impl IntoIterator<Item = &'a str>,
    trusted: &[Cidr],
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    let is_trusted = |addr: IpAddr| trusted.iter().any(|net| net.contains(addr));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = forwarded_for.into_iter().flat_map(|h| h.split(',')).map(str::trim).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // An unreadable hop was written by one of our own proxies: trust nothing left of it.
        let Some(addr) = parse_hop(hop) else { break };
        client = addr;
        if !is_trusted(addr) {
            break;
        }
    }
    Some(client)
}

/// `203.0.113.7`, `2001:db8::1`, or either with a port (`203.0.113.7:4711`, `[2001:db8::1]:4711`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    IpAddr::from_str(hop).ok().or_else(|| SocketAddr::from_str(hop).ok().map(|s| s.ip())).map(|a| a.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    fn nets(list: &[&str]) -> Vec<Cidr> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn cidrs_parse_and_contain() {
        let net: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(net.contains("10.255.0.1".parse().unwrap()));
        assert!(!net.contains("11.0.0.1".parse().unwrap()));
        assert!(net.contains("::ffff:10.1.2.3".parse().unwrap()), "IPv4-mapped peers count as IPv4");
        let one: Cidr = "192.0.2.1".parse().unwrap();
        assert_eq!(one.to_string(), "192.0.2.1/32");
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains("2001:db8:1::5".parse().unwrap()));
        assert!("0.0.0.0/0".parse::<Cidr>().unwrap().contains("8.8.8.8".parse().unwrap()));
        for bad in ["", "10.0.0.0/33", "10.0.0/8", "nope", "::/129", "10.0.0.0/-1"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn headers_are_ignored_unless_the_peer_is_a_trusted_proxy() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(client_address(ip("203.0.113.9"), ["198.51.100.1"], &trusted), ip("203.0.113.9"));
        assert_eq!(client_address(ip("10.0.0.2"), ["198.51.100.1"], &[]), ip("10.0.0.2"), "no proxies trusted");
        assert_eq!(client_address(None, ["198.51.100.1"], &trusted), None);
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = nets(&["10.0.0.0/8", "192.168.1.1"]);
        // The client prepended a forged address; our proxies appended what they saw.
        let via = client_address(ip("10.0.0.2"), ["1.1.1.1, 198.51.100.7", "192.168.1.1"], &trusted);
        assert_eq!(via, ip("198.51.100.7"));
        assert_eq!(client_address(ip("10.0.0.2"), ["198.51.100.7:5555"], &trusted), ip("198.51.100.7"));
        assert_eq!(client_address(ip("10.0.0.2"), ["[2001:db8::7]:443"], &trusted), ip("2001:db8::7"));
        assert_eq!(client_address(ip("10.0.0.2"), [], &trusted), ip("10.0.0.2"), "no header: the proxy itself");
        assert_eq!(client_address(ip("10.0.0.2"), ["10.1.1.1, 10.2.2.2"], &trusted), ip("10.1.1.1"), "all trusted");
        assert_eq!(client_address(ip("10.0.0.2"), ["198.51.100.7, junk"], &trusted), ip("10.0.0.2"));
    }
}
