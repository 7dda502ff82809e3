//! What the keys fail with, in their own words.

use lookout_core::StoreError;

use crate::limits::MAX_EXPIRY_DAYS;

/// Why a key was refused or a key action failed, in the keys' own words. The edge
/// (`lookout-http`) turns it into 401/403/400/404 or the generic 5xx.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// No key was presented.
    #[error("API key required (Authorization: Bearer, X-Api-Key, or the password of a base URL https://lookout:<key>@host)")]
    Missing,
    /// Unknown, or longer than any key Lookout issues.
    #[error("invalid API key")]
    Unknown,
    #[error("API key revoked")]
    Revoked,
    #[error("API key expired")]
    Expired,
    /// A valid key used outside its scopes.
    #[error("this API key is for {granted}, not {wanted}")]
    OutOfScope {
        granted: String,
        wanted: &'static str,
    },
    /// An expiry in the past or too far ahead.
    #[error("expires_at must be in the future and at most {MAX_EXPIRY_DAYS} days ahead")]
    BadExpiry,
    /// Revoking a key the tenant does not have (or one already removed by its TTL).
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

lookout_core::domain_store_conversions!(KeyError);
