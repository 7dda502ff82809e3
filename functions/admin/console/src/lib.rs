//! `GET /console` and `GET /console/{asset}`: the web console.
//!
//! A static page (`assets/index.html`, `assets/app.js`, `assets/style.css`) compiled into the
//! binary with `include_str!`; the browser then calls the admin API itself with the admin token
//! the user pastes. The page holds no secret and no configuration.
//!
//! * `index.html` is `Cache-Control: no-cache` (revalidated with its `ETag`, so a deploy is seen
//!   at once); it links the assets as `/console/app.js?v=<version>`, where the version is a hash
//!   of all assets computed at compile time. An asset asked for with the current version is
//!   `immutable` for a year; without it (or with an old one) it is `no-cache`.
//! * `If-None-Match` with the current `ETag` answers `304`.
//! * Every response carries a strict `Content-Security-Policy` (scripts and styles only from
//!   this origin, no inline script, API calls only to this origin, no framing), `nosniff` and
//!   `no-referrer`.
//! * Unknown assets are `404`, other methods `405`.

use lambda_http::{
    http::{
        header::{
            ALLOW, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, REFERRER_POLICY,
            X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
        },
        HeaderValue, Method, StatusCode,
    },
    Body, Error, Request, Response,
};

const INDEX_HTML: &str = include_str!("../assets/index.html");
const APP_JS: &str = include_str!("../assets/app.js");
const STYLE_CSS: &str = include_str!("../assets/style.css");

/// The policy every console response carries.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// What `index.html` says where the asset version goes.
const VERSION_PLACEHOLDER: &str = "__VERSION__";

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const NO_CACHE: &str = "no-cache";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// FNV-1a over several strings, at compile time.
const fn fnv1a(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut p = 0;
    while p < parts.len() {
        let bytes = parts[p].as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            hash ^= bytes[i] as u64;
            hash = hash.wrapping_mul(0x0100_0000_01b3);
            i += 1;
        }
        p += 1;
    }
    hash
}

/// Changes whenever any asset changes: the `?v=` of the asset links and the page's ETag.
pub const VERSION: u64 = fnv1a(&[INDEX_HTML, APP_JS, STYLE_CSS]);

/// One servable file.
#[derive(Debug, Clone)]
struct Asset {
    body: String,
    content_type: &'static str,
    etag: String,
    /// Linked with `?v=`: cacheable for good when asked for with the current version.
    versioned: bool,
}

/// The page and its assets, rendered once per cold start.
#[derive(Debug, Clone)]
pub struct Deps {
    index: Asset,
    app_js: Asset,
    style_css: Asset,
    version: String,
}

impl Default for Deps {
    fn default() -> Self {
        Self::new()
    }
}

impl Deps {
    pub fn new() -> Self {
        let version = format!("{VERSION:016x}");
        let asset = |body: String, content_type, versioned| {
            let etag = format!("\"{:016x}\"", fnv1a(&[&version, &body]));
            Asset {
                body,
                content_type,
                etag,
                versioned,
            }
        };
        Self {
            index: asset(
                INDEX_HTML.replace(VERSION_PLACEHOLDER, &version),
                HTML,
                false,
            ),
            app_js: asset(APP_JS.to_owned(), JS, true),
            style_css: asset(STYLE_CSS.to_owned(), CSS, true),
            version,
        }
    }

    /// The asset version the page links (`?v=`).
    pub fn version(&self) -> &str {
        &self.version
    }

    fn asset(&self, path: &str) -> Option<&Asset> {
        match path.trim_end_matches('/') {
            "/console" | "/console/index.html" => Some(&self.index),
            "/console/app.js" => Some(&self.app_js),
            "/console/style.css" => Some(&self.style_css),
            _ => None,
        }
    }
}

/// The `v` query parameter of the request, if any.
fn version_param(req: &Request) -> Option<&str> {
    req.uri()
        .query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("v="))
}

fn with_headers(mut resp: Response<Body>, content_type: &'static str) -> Response<Body> {
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut resp = Response::new(Body::Text(text.to_owned()));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(NO_CACHE));
    with_headers(resp, "text/plain; charset=utf-8")
}

/// Serves the console. Never fails: unknown paths are 404, other methods 405.
pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(deps, &req))
}

fn respond(deps: &Deps, req: &Request) -> Response<Body> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut resp = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        resp.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    let path = req.uri().path();
    let Some(asset) = deps.asset(path) else {
        tracing::warn!(path, "unknown console asset");
        return plain(StatusCode::NOT_FOUND, "not found\n");
    };
    let cache = if asset.versioned && version_param(req) == Some(deps.version()) {
        IMMUTABLE
    } else {
        NO_CACHE
    };
    let fresh = lookout_core::http::etag_matches(req, &asset.etag);
    let (status, body) = if fresh {
        (StatusCode::NOT_MODIFIED, Body::Empty)
    } else if req.method() == Method::HEAD {
        (StatusCode::OK, Body::Empty)
    } else {
        (StatusCode::OK, Body::Text(asset.body.clone()))
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(etag) = HeaderValue::from_str(&asset.etag) {
        h.insert(ETAG, etag);
    }
    with_headers(resp, asset.content_type)
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`admin-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    // No AWS clients: the console is static; it calls the API from the browser.
    let deps = Deps::new();
    run(service_fn(|req| handle(&deps, req))).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An API Gateway HTTP API (payload v2) event, parsed by lambda_http as in Lambda.
    fn get(path: &str, query: &str, headers: &[(&str, &str)]) -> Request {
        request("GET", path, query, headers)
    }

    fn request(method: &str, path: &str, query: &str, headers: &[(&str, &str)]) -> Request {
        let headers: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        let event = json!({
            "version": "2.0",
            "routeKey": format!("{method} {path}"),
            "rawPath": path,
            "rawQueryString": query,
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012", "apiId": "local", "domainName": "local",
                "domainPrefix": "local", "requestId": "r1", "routeKey": format!("{method} {path}"),
                "stage": "$default", "time": "25/Nov/2026:12:00:00 +0000", "timeEpoch": 1_795_000_000_000_u64,
                "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "tests"}
            },
            "isBase64Encoded": false
        });
        lambda_http::request::from_str(&event.to_string()).unwrap()
    }

    async fn call(req: Request) -> Response<Body> {
        handle(&Deps::new(), req).await.unwrap()
    }

    fn header<'a>(resp: &'a Response<Body>, name: &str) -> &'a str {
        resp.headers().get(name).map_or("", |v| v.to_str().unwrap())
    }

    fn text(resp: &Response<Body>) -> &str {
        std::str::from_utf8(resp.body().as_ref()).unwrap()
    }

    #[tokio::test]
    async fn routes_serve_the_page_and_assets_with_their_content_types() {
        for (path, content_type, needle) in [
            ("/console", HTML, "<title>Lookout console</title>"),
            ("/console/", HTML, "<title>Lookout console</title>"),
            (
                "/console/index.html",
                HTML,
                "<title>Lookout console</title>",
            ),
            ("/console/app.js", JS, "sessionStorage"),
            ("/console/style.css", CSS, "font-family"),
        ] {
            let resp = call(get(path, "", &[])).await;
            assert_eq!(resp.status(), 200, "{path}");
            assert_eq!(header(&resp, "content-type"), content_type, "{path}");
            assert!(text(&resp).contains(needle), "{path}");
            assert_eq!(header(&resp, "x-content-type-options"), "nosniff");
            assert_eq!(header(&resp, "referrer-policy"), "no-referrer");
            assert!(header(&resp, "etag").starts_with('"'), "{path}");
        }
    }

    #[tokio::test]
    async fn every_response_has_a_strict_csp_and_the_page_has_no_inline_script() {
        for path in [
            "/console",
            "/console/app.js",
            "/console/style.css",
            "/console/nope.js",
        ] {
            let resp = call(get(path, "", &[])).await;
            let csp = header(&resp, "content-security-policy");
            assert_eq!(csp, CSP, "{path}");
        }
        assert!(CSP.contains("script-src 'self';") && !CSP.contains("unsafe-inline"));
        assert!(CSP.contains("frame-ancestors 'none'") && CSP.contains("connect-src 'self'"));
        let page = call(get("/console", "", &[])).await;
        let html = text(&page);
        // Every <script> has a src; no inline handlers or styles.
        for (i, _) in html.match_indices("<script") {
            let tag = &html[i..i + html[i..].find('>').unwrap()];
            assert!(tag.contains(" src=\"/console/"), "inline script: {tag}");
        }
        for inline in [
            " onclick=",
            " onload=",
            " onsubmit=",
            " style=",
            "<style",
            "javascript:",
        ] {
            assert!(!html.contains(inline), "{inline}");
        }
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "no external resources"
        );
    }

    #[tokio::test]
    async fn the_page_links_versioned_assets_that_are_immutable_and_itself_revalidates() {
        let deps = Deps::new();
        let page = call(get("/console", "", &[])).await;
        assert_eq!(header(&page, "cache-control"), "no-cache");
        let html = text(&page);
        let v = deps.version();
        assert_eq!(v.len(), 16);
        assert!(!html.contains(VERSION_PLACEHOLDER));
        assert!(html.contains(&format!("/console/app.js?v={v}")), "{html}");
        assert!(
            html.contains(&format!("/console/style.css?v={v}")),
            "{html}"
        );
        let js = call(get("/console/app.js", &format!("v={v}"), &[])).await;
        assert_eq!(header(&js, "cache-control"), IMMUTABLE);
        let stale = call(get("/console/app.js", "v=0000000000000000", &[])).await;
        assert_eq!(header(&stale, "cache-control"), "no-cache");
        let bare = call(get("/console/style.css", "", &[])).await;
        assert_eq!(header(&bare, "cache-control"), "no-cache");
    }

    #[tokio::test]
    async fn a_matching_etag_answers_304_without_a_body() {
        let first = call(get("/console/app.js", "", &[])).await;
        let etag = header(&first, "etag").to_owned();
        let again = call(get("/console/app.js", "", &[("if-none-match", &etag)])).await;
        assert_eq!(again.status(), 304);
        assert!(again.body().is_empty());
        assert_eq!(header(&again, "etag"), etag);
        let other = call(get(
            "/console/app.js",
            "",
            &[("if-none-match", "\"other\"")],
        ))
        .await;
        assert_eq!(other.status(), 200);
        let page_etag = header(&call(get("/console", "", &[])).await, "etag").to_owned();
        assert_ne!(page_etag, etag, "each asset has its own tag");
    }

    #[tokio::test]
    async fn unknown_assets_are_404_and_other_methods_405() {
        for path in [
            "/console/nope.js",
            "/console/../template.yaml",
            "/console/app.js.map",
            "/",
        ] {
            let resp = call(get(path, "", &[])).await;
            assert_eq!(resp.status(), 404, "{path}");
            assert_eq!(header(&resp, "content-type"), "text/plain; charset=utf-8");
        }
        let resp = call(request("POST", "/console", "", &[])).await;
        assert_eq!(resp.status(), 405);
        assert_eq!(header(&resp, "allow"), "GET, HEAD");
        let head = call(request("HEAD", "/console/style.css", "", &[])).await;
        assert_eq!(
            (head.status().as_u16(), head.body().is_empty()),
            (200, true)
        );
    }

    #[test]
    fn the_page_holds_no_secret_and_stays_small() {
        let all = format!("{INDEX_HTML}{APP_JS}{STYLE_CSS}");
        for secret in [
            "ADMIN_TOKEN",
            "test-admin-token",
            "AdminTokenSha256",
            "apiKey\":\"",
        ] {
            assert!(!all.contains(secret), "{secret}");
        }
        assert!(all.len() < 64 * 1024, "the console is {} bytes", all.len());
    }
}
