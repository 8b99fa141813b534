//! Validations remembered for a short time, keyed by the SHA-256 of the
//! token (the tokens themselves are not kept).
use std::collections::HashMap;
use std::sync::Mutex;

use super::Outcome;

/// More entries than this and the expired ones are dropped; if that is
/// not enough, everything is (the next requests ask Keystone again).
const MAX_ENTRIES: usize = 10_000;

pub struct TokenCache {
    ttl_ms: i64,
    entries: Mutex<HashMap<String, (i64, Outcome)>>,
}

impl TokenCache {
    pub fn new(ttl_ms: i64) -> TokenCache {
        TokenCache {
            ttl_ms,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &str, now_ms: i64) -> Option<Outcome> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some((until, outcome)) if *until > now_ms => Some(outcome.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Remembers `outcome` until `ttl` from now or the token's expiry,
    /// whichever comes first.
    pub fn put(&self, key: String, outcome: Outcome, now_ms: i64, expires_ms: Option<i64>) {
        let mut until = now_ms.saturating_add(self.ttl_ms);
        if let Some(expires) = expires_ms {
            until = until.min(expires);
        }
        if until <= now_ms {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (at, _)| *at > now_ms);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (until, outcome));
    }
}

#[cfg(test)]
mod tests {
    use super::super::Refusal;
    use super::*;

    #[test]
    fn entries_last_the_ttl_or_until_the_token_expires() {
        let cache = TokenCache::new(60_000);
        cache.put("a".into(), Err(Refusal::Invalid), 1_000, None);
        assert_eq!(cache.get("a", 60_999), Some(Err(Refusal::Invalid)));
        assert_eq!(cache.get("a", 61_000), None);
        cache.put("b".into(), Err(Refusal::NoProject), 1_000, Some(5_000));
        assert!(cache.get("b", 4_999).is_some());
        assert!(cache.get("b", 5_000).is_none());
        let off = TokenCache::new(0);
        off.put("c".into(), Err(Refusal::Invalid), 1_000, None);
        assert!(off.get("c", 1_000).is_none());
    }
}
