//! SSRF guard: a webhook may not reach loopback, private, link-local or other
//! internal addresses unless the operator allows the network
//! (TIDINGS_WEBHOOK_ALLOW_NETS).
//!
//! The check runs on resolved addresses inside the HTTP client's resolver, so
//! the address that is vetted is the address that is connected to: a DNS name
//! that answers differently on a second lookup (rebinding) cannot slip past.
//! IP literals never reach a resolver; the driver checks them with
//! [`AddressPolicy::check`] before sending. Which addresses are internal is
//! decided in `domain::address_policy`, which the subscribe use case asks too.
use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

pub use crate::domain::address_policy::{internal_reason, AddressPolicy, Refused, ALLOW_NETS_VAR};

/// reqwest resolver that resolves with tokio and refuses the whole name if
/// any of its addresses is refused (a name mixing public and internal
/// addresses is a rebinding attempt or a misconfiguration either way).
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    pub policy: Arc<AddressPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0: the connector substitutes the URL's port.
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for addr in &addrs {
                policy.check(addr.ip())?;
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn resolver_refuses_names_resolving_to_loopback() {
        let resolver = GuardedResolver {
            policy: Arc::new(AddressPolicy::default()),
        };
        let name: Name = "localhost".parse().unwrap();
        let err = match resolver.resolve(name).await {
            Ok(_) => panic!("localhost must be refused"),
            Err(e) => e,
        };
        assert!(err.downcast_ref::<Refused>().is_some(), "{err}");
    }
}
