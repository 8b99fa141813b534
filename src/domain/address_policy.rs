//! Which IP addresses a webhook may reach: loopback, private, link-local and
//! other internal addresses are refused unless the operator allows the
//! network (TIDINGS_WEBHOOK_ALLOW_NETS). Pure: the webhook driver applies it
//! to resolved addresses, the subscribe use case to literal ones.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use anyhow::Context;
use ipnet::IpNet;

pub const ALLOW_NETS_VAR: &str = "TIDINGS_WEBHOOK_ALLOW_NETS";

/// A refused destination. The message names the address and the variable
/// that would allow it; it never contains the subscriber URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refused: {ip} is {reason} (allow it with TIDINGS_WEBHOOK_ALLOW_NETS)")]
pub struct Refused {
    pub ip: IpAddr,
    pub reason: &'static str,
}

/// Why an address is internal, or `None` when it is a public address.
pub fn internal_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            // ::ffff:127.0.0.1 reaches 127.0.0.1 on dual-stack sockets.
            Some(v4) => v4_reason(v4),
            None => v6_reason(v6),
        },
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_private() {
        Some("a private address")
    } else if ip.is_link_local() {
        Some("a link-local address")
    } else if ip.is_unspecified() || a == 0 {
        // 0.0.0.0/8 connects to the local host on Linux.
        Some("an unspecified address")
    } else if ip.is_broadcast() {
        Some("a broadcast address")
    } else if a == 100 && (64..128).contains(&b) {
        Some("a shared (CGNAT) address")
    } else if ip.is_multicast() {
        Some("a multicast address")
    } else {
        None
    }
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_unspecified() {
        Some("an unspecified address")
    } else if first & 0xfe00 == 0xfc00 {
        Some("a private address")
    } else if first & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if ip.is_multicast() {
        Some("a multicast address")
    } else {
        None
    }
}

/// Internal addresses are refused unless inside one of the allowed networks.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    allow: Vec<IpNet>,
}

impl AddressPolicy {
    /// Parses the CIDRs of TIDINGS_WEBHOOK_ALLOW_NETS; a bare address counts
    /// as a single-host network.
    pub fn new(allow_nets: &[String]) -> anyhow::Result<Self> {
        let allow = allow_nets
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .with_context(|| format!("{ALLOW_NETS_VAR}: {s:?} is not a CIDR network"))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { allow })
    }

    pub fn check(&self, ip: IpAddr) -> Result<(), Refused> {
        let Some(reason) = internal_reason(ip) else {
            return Ok(());
        };
        let canonical = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        if self
            .allow
            .iter()
            .any(|net| net.contains(&ip) || net.contains(&canonical))
        {
            return Ok(());
        }
        Err(Refused { ip, reason })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("127.0.0.1", Some("a loopback address")),
            ("127.255.0.9", Some("a loopback address")),
            ("10.1.2.3", Some("a private address")),
            ("172.16.0.1", Some("a private address")),
            ("172.31.255.255", Some("a private address")),
            ("172.32.0.1", None),
            ("192.168.1.1", Some("a private address")),
            ("169.254.169.254", Some("a link-local address")),
            ("0.0.0.0", Some("an unspecified address")),
            ("0.1.2.3", Some("an unspecified address")),
            ("255.255.255.255", Some("a broadcast address")),
            ("100.64.0.1", Some("a shared (CGNAT) address")),
            ("100.127.255.255", Some("a shared (CGNAT) address")),
            ("100.128.0.1", None),
            ("224.0.0.1", Some("a multicast address")),
            ("8.8.8.8", None),
            ("93.184.216.34", None),
            ("::1", Some("a loopback address")),
            ("::", Some("an unspecified address")),
            ("fc00::1", Some("a private address")),
            ("fd12:3456::1", Some("a private address")),
            ("fe80::1", Some("a link-local address")),
            ("ff02::1", Some("a multicast address")),
            ("::ffff:127.0.0.1", Some("a loopback address")),
            ("::ffff:10.0.0.1", Some("a private address")),
            ("::ffff:169.254.1.1", Some("a link-local address")),
            ("::ffff:8.8.8.8", None),
            ("2001:4860:4860::8888", None),
        ];
        for (ip, want) in cases {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(internal_reason(ip), *want, "{ip}");
        }
    }

    #[test]
    fn allow_nets_open_exactly_their_ranges() {
        let policy = AddressPolicy::new(&["127.0.0.0/8".into(), " 10.0.0.5 ".into()]).unwrap();
        let ok = |s: &str| policy.check(s.parse().unwrap()).is_ok();
        assert!(ok("127.0.0.1"));
        assert!(ok("::ffff:127.0.0.1"));
        assert!(ok("10.0.0.5"));
        assert!(!ok("10.0.0.6"));
        assert!(!ok("::1"));
        assert!(ok("8.8.8.8"));
    }

    #[test]
    fn refusal_message_names_address_and_variable() {
        let err = AddressPolicy::default()
            .check("127.0.0.1".parse().unwrap())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "refused: 127.0.0.1 is a loopback address (allow it with TIDINGS_WEBHOOK_ALLOW_NETS)"
        );
    }

    #[test]
    fn bad_cidr_names_the_variable() {
        let err = AddressPolicy::new(&["10.0.0.0/33".into()]).unwrap_err();
        assert!(format!("{err:#}").contains(ALLOW_NETS_VAR), "{err:#}");
        assert!(AddressPolicy::new(&[String::new()]).is_ok());
    }
}
