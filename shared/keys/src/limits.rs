//! The keys' rules in numbers.

/// `lastUsedAt` is written at most this often per key (one write per key and hour, not per
/// request).
pub(crate) const LAST_USED_EVERY_MS: i64 = 3_600_000;
/// A revoked key's record is kept this long (listed as revoked), then removed by TTL.
pub(crate) const REVOKED_KEPT_SECS: i64 = 30 * 86_400;
/// The furthest expiry a key may be given.
pub(crate) const MAX_EXPIRY_DAYS: i64 = 3_650;
/// No key Lookout issues is longer (a longer one is refused before it is hashed and looked up).
pub(crate) const MAX_KEY_LEN: usize = 256;
