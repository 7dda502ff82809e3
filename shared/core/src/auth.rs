//! Who is calling: the admin (bearer token from a stack parameter, stored as its SHA-256) and
//! the tenant a caller acts for. Reading the token from a request is the edge's
//! (`lookout-http`); API keys are `lookout-keys`.

use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config;

/// SHA-256 of `data`, lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Constant-time equality of two byte strings (length is not secret).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Checks the admin bearer token against the configured SHA-256.
#[derive(Clone)]
pub struct AdminAuth {
    token_sha256: [u8; 32],
}

impl std::fmt::Debug for AdminAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminAuth(..)")
    }
}

impl AdminAuth {
    pub fn from_sha256_hex(hex_digest: &str) -> Result<Self, config::ConfigError> {
        let bytes = hex::decode(hex_digest.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| {
                config::ConfigError(format!(
                    "{} must be 64 hex characters (sha256 of the admin token)",
                    config::names::ADMIN_TOKEN_SHA256
                ))
            })?;
        Ok(Self {
            token_sha256: bytes,
        })
    }

    pub fn from_env() -> Result<Self, config::ConfigError> {
        Self::from_sha256_hex(&config::required(config::names::ADMIN_TOKEN_SHA256)?)
    }

    /// Whether `token` is the admin token (compared as SHA-256, in constant time).
    pub fn accepts(&self, token: &str) -> bool {
        ct_eq(
            Sha256::digest(token.as_bytes()).as_slice(),
            &self.token_sha256,
        )
    }
}

/// A tenant name: 1–64 of `A-Z a-z 0-9 _ . -`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tenant(String);

impl Tenant {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "tenant {s:?} must be 1-64 characters of letters, digits, '_', '.', '-'"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

deserialize_via_parse!(Tenant);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_token_is_checked_against_its_hash() {
        let auth = AdminAuth::from_sha256_hex(&sha256_hex(b"s3cret")).unwrap();
        assert!(auth.accepts("s3cret"));
        assert!(!auth.accepts("s3cret2"));
        assert!(!auth.accepts(""));
        assert!(AdminAuth::from_sha256_hex("abc").is_err());
    }

    #[test]
    fn tenant_names_are_restricted() {
        assert!(Tenant::parse("acme-1.prod_x").is_ok());
        assert!(Tenant::parse("").is_err());
        assert!(Tenant::parse("a b").is_err());
        assert!(Tenant::parse(&"x".repeat(65)).is_err());
    }
}
