//! What the keys' callers give and get back: a new key's terms, the key issued (shown once),
//! the admin's listing of a key, and who a verified key belongs to.

use serde::{Deserialize, Serialize};

use lookout_core::{auth::Tenant, time::Timestamp};

use crate::scope::Scope;

/// Who an API key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub tenant: Tenant,
    pub key_id: String,
}

/// What a new key may do and until when.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyTerms {
    /// Empty: every scope.
    pub scopes: Vec<Scope>,
    pub expires_at: Option<Timestamp>,
}

/// A freshly issued key: the plain key is shown once and never stored.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedKey {
    pub api_key: String,
    pub key_id: String,
    pub tenant: String,
    pub label: String,
    pub created_at: Timestamp,
    /// The key's scopes (all when it was issued without).
    pub scopes: Vec<Scope>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

/// A key as the admin's listing shows it: everything but the secret and its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyView {
    pub key_id: String,
    pub label: String,
    pub created_at: Timestamp,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<Timestamp>,
    /// Within the hour (written at most once an hour).
    pub last_used_at: Option<Timestamp>,
    pub revoked: bool,
    pub revoked_at: Option<Timestamp>,
    /// Revoked or past its expiry: refused.
    pub active: bool,
}
