//! [`Trusted`]: what a warm process verified (a credential's record), kept for a bounded time
//! so the hot paths (a heartbeat, a ping, a batch of log lines) are their own write alone rather
//! than a read and a write. One bound for every credential: [`credential_cache_ttl`]
//! (`CREDENTIAL_CACHE_SECONDS`, template parameter `CredentialCacheSeconds`, 60 s by default;
//! 0 turns it off). A revocation or rotation made elsewhere takes effect within it.
//!
//! - Only what was found is kept: a credential issued a moment ago works at once (a miss
//!   reads the table), an unknown one is read every time (it is refused anyway).
//! - At most [`MAX_ENTRIES`] per process: a full cache first drops what has expired, then the
//!   entry read longest ago.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::config;

/// The most entries one process keeps.
pub const MAX_ENTRIES: usize = 1024;

/// How long a warm process trusts a credential it verified unless configured.
pub const DEFAULT_SECONDS: u64 = 60;

/// `CREDENTIAL_CACHE_SECONDS` (0..=3600, default [`DEFAULT_SECONDS`]).
pub fn credential_cache_ttl() -> Result<Duration, config::ConfigError> {
    let secs = config::int_in(
        config::names::CREDENTIAL_CACHE_SECONDS,
        0..=3_600,
        DEFAULT_SECONDS,
    )?;
    Ok(Duration::from_secs(secs))
}

/// Values by key, each trusted for `ttl` after it was read.
#[derive(Debug)]
pub struct Trusted<V> {
    ttl: Duration,
    entries: Mutex<HashMap<String, (V, Instant)>>,
}

impl<V: Clone> Trusted<V> {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// What an adapter holds (its clones share it): `None` for a bound of 0, which trusts
    /// nothing.
    pub fn shared(ttl: Duration) -> Option<Arc<Self>> {
        (!ttl.is_zero()).then(|| Arc::new(Self::new(ttl)))
    }

    /// The value of `key` read less than `ttl` before `now`, if any.
    pub fn get(&self, key: &str, now: Instant) -> Option<V> {
        let entries = self.lock();
        let (value, read_at) = entries.get(key)?;
        (now.saturating_duration_since(*read_at) < self.ttl).then(|| value.clone())
    }

    /// Keeps `value`, read from the table at `read_at`.
    pub fn put(&self, key: &str, value: V, read_at: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(key) {
            let ttl = self.ttl;
            entries.retain(|_, (_, at)| read_at.saturating_duration_since(*at) < ttl);
            if entries.len() >= MAX_ENTRIES {
                let oldest = entries
                    .iter()
                    .min_by_key(|(_, (_, at))| *at)
                    .map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    entries.remove(&k);
                }
            }
        }
        entries.insert(key.to_owned(), (value, read_at));
    }

    /// Changes the kept value of `key` by this process's own write (the entry keeps its age:
    /// what others wrote is still read again when it expires).
    pub fn update(&self, key: &str, change: impl FnOnce(&mut V)) {
        if let Some((value, _)) = self.lock().get_mut(key) {
            change(value);
        }
    }

    /// Forgets `key` (changed by this process).
    pub fn forget(&self, key: &str) {
        self.lock().remove(key);
    }

    /// How many entries are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, (V, Instant)>> {
        // Each change is one call on the map: a panic elsewhere cannot leave it half-written.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{Trusted, MAX_ENTRIES};

    #[test]
    fn an_entry_is_trusted_for_its_bound_only() {
        let t0 = Instant::now();
        let cache = Trusted::new(Duration::from_secs(60));
        cache.put("k", 1, t0);
        assert_eq!(cache.get("k", t0 + Duration::from_secs(59)), Some(1));
        assert_eq!(cache.get("k", t0 + Duration::from_secs(60)), None);
        cache.update("k", |v| *v = 2);
        assert_eq!(cache.get("k", t0), Some(2), "updated, same age");
        cache.forget("k");
        assert_eq!(cache.get("k", t0), None);
        let off = Trusted::new(Duration::ZERO);
        off.put("k", 1, t0);
        assert!(off.is_empty(), "a bound of 0 keeps nothing");
    }

    #[test]
    fn a_full_cache_drops_the_expired_then_the_oldest() {
        let t0 = Instant::now();
        let cache = Trusted::new(Duration::from_secs(60));
        for i in 0..MAX_ENTRIES {
            cache.put(&format!("k{i}"), i, t0 + Duration::from_millis(i as u64));
        }
        cache.put("new", 0, t0 + Duration::from_secs(1));
        assert_eq!(cache.len(), MAX_ENTRIES);
        assert_eq!(cache.get("k0", t0), None, "the oldest went");
        assert!(cache.get("k1", t0 + Duration::from_secs(1)).is_some());
        // Past the bound every old entry goes at once.
        cache.put("later", 0, t0 + Duration::from_secs(120));
        assert_eq!(cache.len(), 1);
    }
}
