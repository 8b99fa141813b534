//! A heads-up when a new webhook names an address the SSRF guard will refuse.
//!
//! The API still answers 201, as Zaqar does (the guard runs at delivery, on
//! the resolved address, and the operator may allow the network later), but
//! a newcomer subscribing `http://127.0.0.1:9000/hook` should not have to
//! find out from a failed delivery why nothing arrives.
use std::net::{IpAddr, Ipv4Addr};

use crate::domain::address_policy::AddressPolicy;
use crate::domain::Subscriber;

/// The literal address a webhook URL names (`localhost` included), if any.
fn literal_address(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(d) if d.eq_ignore_ascii_case("localhost") => {
            Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
        }
        url::Host::Domain(_) => None,
    }
}

/// Why deliveries to this subscriber will be refused, when that is already
/// certain from the URL.
pub fn refusal(subscriber: &Subscriber, allow_nets: &[String]) -> Option<String> {
    let Subscriber::Webhook { url } = subscriber else {
        return None;
    };
    let ip = literal_address(url)?;
    let policy = AddressPolicy::new(allow_nets).ok()?;
    policy.check(ip).err().map(|refused| refused.to_string())
}

pub fn warn_if_refused(subscription_id: &str, subscriber: &Subscriber, allow_nets: &[String]) {
    if let Some(why) = refusal(subscriber, allow_nets) {
        tracing::warn!(
            subscription_id,
            "webhook deliveries will be {why}; until then they fail and are kept in the delivery log"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(url: &str) -> Subscriber {
        Subscriber::parse(url).unwrap()
    }

    #[test]
    fn literal_internal_addresses_are_flagged() {
        let none: Vec<String> = vec![];
        for url in [
            "http://127.0.0.1:9000/hook",
            "http://localhost:9000/",
            "http://[::1]/x",
            "http://10.1.2.3/x",
        ] {
            let why = refusal(&hook(url), &none).unwrap_or_default();
            assert!(why.contains("TIDINGS_WEBHOOK_ALLOW_NETS"), "{url}: {why}");
        }
        let allowed = vec!["127.0.0.0/8".to_string()];
        assert_eq!(refusal(&hook("http://127.0.0.1:9000/hook"), &allowed), None);
        // Names are resolved at delivery; nothing is certain now.
        assert_eq!(refusal(&hook("https://hooks.example.com/x"), &none), None);
        assert_eq!(refusal(&hook("mailto:a@example.com"), &none), None);
    }
}
