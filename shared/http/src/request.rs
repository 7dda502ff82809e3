//! What a function reads from a request: the body (bounded, JSON objects only), headers, the
//! query string, the path's canonical form, and who is calling (the admin's bearer token, an
//! API key).

use std::borrow::Cow;

use lambda_http::{
    aws_lambda_events::query_map::QueryMap, http::header::IF_NONE_MATCH, Body, Request,
};
use lookout_core::{auth::AdminAuth, json::starts_object, time::Timestamp};
use lookout_keys::{ApiKeys, Principal, Scope};
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// Largest body any JSON endpoint reads (API Gateway's payload limit for Lambda is 6 MB;
/// we stop well below it). Endpoints with bigger or smaller needs pass their own limit.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The largest body any endpoint reads, whatever limit it asks for: 3.5 MiB. Lambda's invoke
/// payload is 6 MB, and API Gateway puts the body into the event JSON-escaped or base64-encoded
/// (4/3 of it): a 5 MiB body could exceed the invoke limit and never reach the function's 413.
pub const MAX_BODY_LIMIT: usize = 3 * 1024 * 1024 + 512 * 1024;

/// The request body as bytes (API Gateway delivers text or base64-decoded binary).
pub fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// Parses the body as JSON into `T`; any failure is a 400 with serde's explanation.
pub fn parse_json<T: DeserializeOwned>(req: &Request, limit: usize) -> Result<T, AppError> {
    let limit = limit.min(MAX_BODY_LIMIT);
    let bytes = body_bytes(req);
    if bytes.len() > limit {
        return Err(AppError::PayloadTooLarge(format!(
            "request body is {} bytes, the limit is {limit}",
            bytes.len()
        )));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::validation("request body must be a JSON object"));
    }
    if !starts_object(bytes) {
        return Err(AppError::validation(
            "invalid JSON body: expected a JSON object",
        ));
    }
    serde_json::from_slice(bytes)
        .map_err(|err| AppError::Validation(format!("invalid JSON body: {err}")))
}

/// A header's value as text, if present and valid UTF-8.
pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Where clients reach this API, as `<scheme>://<host>`: the configured public URL's scheme
/// and host when there is one (`CONSOLE_URL`, a custom domain), else the request's `Host` with
/// `X-Forwarded-Proto` (API Gateway sets both; a local server sends no proto: `http`). What a
/// Sentry DSN names.
pub fn public_origin(req: &Request, configured: Option<&str>) -> String {
    if let Some(url) = configured.filter(|u| !u.trim().is_empty()) {
        let url = url.trim();
        let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
        let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
        return format!("{scheme}://{host}");
    }
    let https = header(req, "x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https"));
    let scheme = if https { "https" } else { "http" };
    let host = header(req, "host")
        .map(str::to_owned)
        .or_else(|| req.uri().host().map(str::to_owned))
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{scheme}://{host}")
}

/// The canonical form of a request path: repeated slashes collapsed and trailing slashes
/// dropped (`//send_logs` → `/send_logs`, `/api/apps/` → `/api/apps`, `/` stays `/`). API
/// Gateway HTTP API routes are canonical, so a request in another form reaches no route.
pub fn canonical_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        out.push_str(segment);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Whether the request's `If-None-Match` names `etag` (weak or strong) or is `*`: the client's
/// copy is current, a `304`.
pub fn etag_matches(req: &Request, etag: &str) -> bool {
    req.headers()
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|tag| {
                let tag = tag.trim().trim_start_matches("W/");
                tag == etag || tag == "*"
            })
        })
}

/// Query-string parameters of a GET route, rejecting unknown names (400).
pub fn query_params<'a>(
    params: &'a QueryMap,
    known: &[&str],
) -> Result<impl Fn(&str) -> Option<&'a str> + 'a, AppError> {
    for (name, _) in params.iter() {
        if !known.contains(&name) {
            return Err(AppError::validation(format!(
                "unknown query parameter {name:?}; known: {}",
                known.join(", ")
            )));
        }
    }
    Ok(move |k: &str| params.first(k).map(str::trim).filter(|v| !v.is_empty()))
}

/// The `?tenant=` of an admin GET route that takes nothing else (400 when missing, invalid,
/// or beside another parameter).
pub fn tenant_query(req: &Request) -> Result<lookout_core::auth::Tenant, AppError> {
    use lambda_http::RequestExt;
    let params = req.query_string_parameters();
    let get = query_params(&params, &["tenant"])?;
    let tenant = get("tenant").ok_or_else(|| AppError::validation("tenant is required"))?;
    lookout_core::auth::Tenant::parse(tenant).map_err(AppError::Validation)
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
pub fn api_key(req: &Request) -> Option<Cow<'_, str>> {
    bearer(req)
        .or_else(|| {
            header(req, "x-api-key")
                .map(str::trim)
                .filter(|k| !k.is_empty())
        })
        .map(Cow::Borrowed)
        .or_else(|| basic_password(req).map(Cow::Owned))
}

/// The admin's bearer token checked on a request.
pub trait AdminCheck {
    /// 401 without a bearer token or with a wrong one.
    fn check(&self, req: &Request) -> Result<(), AppError>;
}

impl AdminCheck for AdminAuth {
    fn check(&self, req: &Request) -> Result<(), AppError> {
        let token = bearer(req)
            .ok_or_else(|| AppError::Unauthorized("admin bearer token required".into()))?;
        if self.accepts(token) {
            Ok(())
        } else {
            Err(AppError::Unauthorized("invalid admin token".into()))
        }
    }
}

/// An API key read from a request and verified for a route's scope.
pub trait Authenticate {
    /// The caller, if its key may be used for `scope`: 401 without a key or with an unknown,
    /// revoked or expired one; 403 for a route outside the key's scopes.
    fn authenticate(
        &self,
        req: &Request,
        scope: Scope,
    ) -> impl std::future::Future<Output = Result<Principal, AppError>> + Send;
}

impl Authenticate for ApiKeys {
    async fn authenticate(&self, req: &Request, scope: Scope) -> Result<Principal, AppError> {
        let key = api_key(req).ok_or(lookout_keys::KeyError::Missing)?;
        Ok(self.verify(&key, scope, Timestamp::now()).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lookout_core::auth::sha256_hex;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Thing {
        name: String,
    }

    fn req(body: &str) -> Request {
        Request::new(Body::Text(body.to_owned()))
    }

    #[test]
    fn canonical_paths() {
        assert_eq!(canonical_path("//send_logs"), "/send_logs");
        assert_eq!(canonical_path("/api/apps/"), "/api/apps");
        assert_eq!(canonical_path("/api//apps//"), "/api/apps");
        assert_eq!(canonical_path("/api/apps"), "/api/apps");
        assert_eq!(canonical_path("/"), "/");
        assert_eq!(canonical_path("//"), "/");
        assert_eq!(canonical_path(""), "/");
    }

    #[test]
    fn parse_json_explains_what_is_wrong() {
        let err = parse_json::<Thing>(&req("{}"), 100).unwrap_err();
        assert_eq!(err.status(), 400);
        assert!(err.to_string().contains("missing field `name`"), "{err}");
        let err = parse_json::<Thing>(&req(""), 100).unwrap_err();
        assert_eq!(err.status(), 400);
        // A struct is never read from a positional array.
        let err = parse_json::<Thing>(&req(r#" ["x"]"#), 100).unwrap_err();
        assert_eq!(err.to_string(), "invalid JSON body: expected a JSON object");
        let err = parse_json::<Thing>(&req(r#"{"name":"x"}"#), 5).unwrap_err();
        assert_eq!(err.status(), 413);
    }

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
}
