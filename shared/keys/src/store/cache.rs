//! [`KeyCache`]: the records of known keys a warm process has verified, kept for a bounded time
//! so a heartbeat or a ping is one DynamoDB round trip (its own write) rather than two.
//!
//! - Only keys that exist are kept: a key issued a moment ago works at once (a miss reads the
//!   table), and an unknown key is read every time (it is refused anyway).
//! - An entry lives `ttl` (`API_KEY_CACHE_SECONDS`, template parameter `ApiKeyCacheSeconds`,
//!   60 s by default; 0 turns the cache off). A revocation made elsewhere (the admin's
//!   function) therefore takes effect within `ttl` in every warm process; an expiry is checked
//!   on each request against the cached `expiresAt`, so it takes effect on time.
//! - At most [`MAX_ENTRIES`] keys per process: a full cache first drops what has expired, then
//!   the entry read longest ago.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lookout_core::time::Timestamp;

use crate::record::ApiKeyRecord;

/// The most keys one process keeps.
pub const MAX_ENTRIES: usize = 1024;

/// Verified key records by hash, each for at most `ttl` after it was read.
#[derive(Debug)]
pub struct KeyCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (ApiKeyRecord, Instant)>>,
}

impl KeyCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// How long an entry is trusted.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The record of `pk` read less than `ttl` before `now`, if any.
    pub fn get(&self, pk: &str, now: Instant) -> Option<ApiKeyRecord> {
        let entries = self.lock();
        let (record, read_at) = entries.get(pk)?;
        (now.saturating_duration_since(*read_at) < self.ttl).then(|| record.clone())
    }

    /// Keeps `record`, read from the table at `read_at`.
    pub fn put(&self, record: &ApiKeyRecord, read_at: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&record.pk) {
            let ttl = self.ttl;
            entries.retain(|_, (_, at)| read_at.saturating_duration_since(*at) < ttl);
            if entries.len() >= MAX_ENTRIES {
                let oldest = entries
                    .iter()
                    .min_by_key(|(_, (_, at))| *at)
                    .map(|(pk, _)| pk.clone());
                if let Some(pk) = oldest {
                    entries.remove(&pk);
                }
            }
        }
        entries.insert(record.pk.clone(), (record.clone(), read_at));
    }

    /// Notes a recorded use of `pk` at `at` in its entry (so the next request does not record it
    /// again), keeping the entry's age.
    pub fn touched(&self, pk: &str, at: Timestamp) {
        if let Some((record, _)) = self.lock().get_mut(pk) {
            record.last_used_at = Some(at);
        }
    }

    /// Forgets `pk` (revoked by this process).
    pub fn forget(&self, pk: &str) {
        self.lock().remove(pk);
    }

    /// How many keys are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (ApiKeyRecord, Instant)>> {
        // A panic while holding the lock cannot leave a map half-written (each change is one
        // call): the map is still sound.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
