//! Who is calling: the admin (bearer token from a stack parameter, stored as its SHA-256)
//! and API-key holders (keys issued by the admin, stored only as their SHA-256).

use lambda_http::Request;
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{config, http::header, AppError};

/// SHA-256 of `data`, lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Constant-time equality of two byte strings (length is not secret).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The token from `Authorization: Bearer <token>`.
pub fn bearer(req: &Request) -> Option<&str> {
    let value = header(req, "authorization")?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The password of `Authorization: Basic base64(user:password)`; the user part is ignored.
///
/// This is what HTTP clients send for a base URL with credentials in it
/// (`https://lookout:<api-key>@host`): requests, aiohttp and curl all turn the URL's user info
/// into this header, so the seeds' clients, which have no setting for a header, can carry an API
/// key with only their base URL changed.
pub fn basic_password(req: &Request) -> Option<String> {
    use base64::Engine as _;
    let value = header(req, "authorization")?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (_, password) = text.split_once(':')?;
    let password = password.trim();
    (!password.is_empty()).then(|| password.to_owned())
}

/// The API key from `Authorization: Bearer`, `X-Api-Key`, or the password of
/// `Authorization: Basic` (a base URL `https://lookout:<key>@host`).
pub fn api_key(req: &Request) -> Option<std::borrow::Cow<'_, str>> {
    bearer(req)
        .or_else(|| {
            header(req, "x-api-key")
                .map(str::trim)
                .filter(|k| !k.is_empty())
        })
        .map(std::borrow::Cow::Borrowed)
        .or_else(|| basic_password(req).map(std::borrow::Cow::Owned))
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

    /// 401 without a bearer token or with a wrong one.
    pub fn check(&self, req: &Request) -> Result<(), AppError> {
        let token = bearer(req)
            .ok_or_else(|| AppError::Unauthorized("admin bearer token required".into()))?;
        let digest = Sha256::digest(token.as_bytes());
        if ct_eq(digest.as_slice(), &self.token_sha256) {
            Ok(())
        } else {
            Err(AppError::Unauthorized("invalid admin token".into()))
        }
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

// API keys (issue, authenticate, list, revoke) live in `keys`; their paths stay `auth::…`.
pub use crate::keys::{ApiKeys, IssuedKey, KeyAdminDeps, KeyTerms, KeyView, Principal, Scope};

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Body;

    fn req_with(name: &str, value: &str) -> Request {
        let mut req = Request::new(Body::Empty);
        req.headers_mut().insert(
            lambda_http::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
        req
    }

    #[test]
    fn admin_token_is_checked_against_its_hash() {
        let auth = AdminAuth::from_sha256_hex(&sha256_hex(b"s3cret")).unwrap();
        assert!(auth
            .check(&req_with("authorization", "Bearer s3cret"))
            .is_ok());
        assert!(auth
            .check(&req_with("authorization", "bearer s3cret"))
            .is_ok());
        let wrong = auth
            .check(&req_with("authorization", "Bearer s3cret2"))
            .unwrap_err();
        assert_eq!(wrong.status(), 401);
        let missing = auth.check(&Request::new(Body::Empty)).unwrap_err();
        assert_eq!(missing.status(), 401);
        assert!(AdminAuth::from_sha256_hex("abc").is_err());
    }

    #[test]
    fn api_key_from_either_header() {
        let key = |name: &str, value: &str| api_key(&req_with(name, value)).map(|k| k.into_owned());
        assert_eq!(key("x-api-key", " k1 ").as_deref(), Some("k1"));
        assert_eq!(key("authorization", "Bearer k2").as_deref(), Some("k2"));
        // base64("lookout:k3"), as requests/aiohttp/curl send for http://lookout:k3@host.
        assert_eq!(
            key("authorization", "Basic bG9va291dDprMw==").as_deref(),
            Some("k3")
        );
        // base64(":k4"): no user name.
        assert_eq!(key("authorization", "basic Oms0").as_deref(), Some("k4"));
        // base64("lookout:"), base64("nocolon") and undecodable text carry no key.
        assert_eq!(key("authorization", "Basic bG9va291dDo="), None);
        assert_eq!(key("authorization", "Basic bm9jb2xvbg=="), None);
        assert_eq!(key("authorization", "Basic k2"), None);
    }

    #[test]
    fn tenant_names_are_restricted() {
        assert!(Tenant::parse("acme-1.prod_x").is_ok());
        assert!(Tenant::parse("").is_err());
        assert!(Tenant::parse("a b").is_err());
        assert!(Tenant::parse(&"x".repeat(65)).is_err());
    }
}
