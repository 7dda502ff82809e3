//! `GET /openapi.json`: the OpenAPI 3.1 document of every route of the HTTP API.
//!
//! The document is kept beside this crate (`openapi.json`) and compiled in with
//! `include_str!`. A test (`tests/tests/api/wiring.rs`) checks it lists exactly the routes of
//! template.yaml, and CI runs Schemathesis against the local stack with it (docs/openapi.md).
//! The API's `$default` route is the operation marked `"x-lookout-route": "$default"`.
//!
//! Public (it describes the API, it holds no secret): no auth, `Cache-Control` of five minutes,
//! an `ETag` of the document, `304` for a matching `If-None-Match`.

use lambda_http::{
    http::{
        header::{
            ACCESS_CONTROL_ALLOW_ORIGIN, ALLOW, CACHE_CONTROL, CONTENT_TYPE, ETAG,
            X_CONTENT_TYPE_OPTIONS,
        },
        HeaderValue, Method, StatusCode,
    },
    Body, Error, Request, Response,
};

/// The document as served.
pub const DOCUMENT: &str = include_str!("../openapi.json");

const JSON: &str = "application/json";
const CACHE: &str = "public, max-age=300";

/// FNV-1a of the document, at compile time: its `ETag`.
const fn fnv1a(text: &str) -> u64 {
    let bytes = text.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

const VERSION: u64 = fnv1a(DOCUMENT);

/// The document's `ETag`, rendered once per cold start.
#[derive(Debug, Clone)]
pub struct Deps {
    etag: String,
}

impl Default for Deps {
    fn default() -> Self {
        Self::new()
    }
}

impl Deps {
    /// No AWS clients, no environment: the document is static.
    pub async fn from_env() -> Result<Self, lookout_core::config::ConfigError> {
        Ok(Self::new())
    }

    pub fn new() -> Self {
        Self {
            etag: format!("\"{VERSION:016x}\""),
        }
    }
}

fn response(status: StatusCode, body: Body, content_type: &'static str) -> Response<Body> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    resp
}

/// Serves the document. Never fails: other methods are 405.
pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(deps, &req))
}

fn respond(deps: &Deps, req: &Request) -> Response<Body> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut resp = response(
            StatusCode::METHOD_NOT_ALLOWED,
            Body::Text(r#"{"error":"method not allowed"}"#.to_owned()),
            JSON,
        );
        resp.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    let fresh = lookout_http::etag_matches(req, &deps.etag);
    let (status, body) = if fresh {
        (StatusCode::NOT_MODIFIED, Body::Empty)
    } else if req.method() == Method::HEAD {
        (StatusCode::OK, Body::Empty)
    } else {
        (StatusCode::OK, Body::Text(DOCUMENT.to_owned()))
    };
    let mut resp = response(status, body, JSON);
    let h = resp.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static(CACHE));
    if let Ok(etag) = HeaderValue::from_str(&deps.etag) {
        h.insert(ETAG, etag);
    }
    resp
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`admin-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(headers: &[(&str, &str)]) -> Request {
        let mut builder = lambda_http::http::Request::builder()
            .method(Method::GET)
            .uri("/openapi.json");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder
            .body(Body::Empty)
            .unwrap_or_else(|e| panic!("request: {e}"))
    }

    #[test]
    fn the_document_is_openapi_3_1_json() {
        let doc: serde_json::Value =
            serde_json::from_str(DOCUMENT).unwrap_or_else(|e| panic!("openapi.json: {e}"));
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["paths"]["/openapi.json"]["get"].is_object());
    }

    #[test]
    fn get_serves_the_document_and_a_matching_etag_is_304() {
        let deps = Deps::new();
        let resp = respond(&deps, &get(&[]));
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()[CONTENT_TYPE], JSON);
        assert_eq!(resp.headers()[CACHE_CONTROL], CACHE);
        match resp.body() {
            Body::Text(text) => assert_eq!(text, DOCUMENT),
            other => panic!("body {other:?}"),
        }
        let etag = resp.headers()[ETAG].to_str().unwrap_or_default().to_owned();
        let again = respond(&deps, &get(&[("if-none-match", &etag)]));
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert!(matches!(again.body(), Body::Empty));
        let stale = respond(&deps, &get(&[("if-none-match", "\"0\"")]));
        assert_eq!(stale.status(), StatusCode::OK);
    }

    #[test]
    fn other_methods_are_405() {
        let req = lambda_http::http::Request::builder()
            .method(Method::POST)
            .uri("/openapi.json")
            .body(Body::Empty)
            .unwrap_or_else(|e| panic!("request: {e}"));
        let resp = respond(&Deps::new(), &req);
        assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(resp.headers()[ALLOW], "GET, HEAD");
    }
}
