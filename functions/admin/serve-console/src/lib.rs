//! `GET /console` and `GET /console/{asset}`: the web console.
//!
//! A static page (`assets/index.html`, `assets/app.js`, `assets/style.css`) compiled into the
//! binary with `include_str!`; the browser then calls the admin API itself with the admin token
//! the user pastes. The page holds no secret and no configuration.
//!
//! * `index.html` is `Cache-Control: no-cache` (revalidated with its `ETag`, so a deploy is seen
//!   at once); it links the assets with relative URLs carrying `?v=<version>`, where the version
//!   is a hash of all assets computed at compile time. An asset asked for with the current
//!   version is `immutable` for a year; without it (or with an old one) it is `no-cache`.
//! * `If-None-Match` with the current `ETag` answers `304`.
//! * Every response carries a strict `Content-Security-Policy` (scripts and styles only from
//!   this origin, no inline script, API calls only to this origin, no framing), `nosniff` and
//!   `no-referrer`.
//! * Unknown assets are `404`, other methods `405`.
//!
//! # Under a custom domain with a base path
//!
//! Ops may serve the API as `https://ops.example.com/lookout` (a custom domain whose API mapping
//! has the key `lookout`, to the `$default` stage). The console then works at any prefix:
//!
//! * Paths are matched by their suffix: `…/console`, `…/console/`, `…/console/index.html`,
//!   `…/console/app.js`, `…/console/style.css`; anything else stays `404`.
//! * Every link is relative. The page answered for `…/console` links `console/app.js?v=…`; the
//!   one answered for `…/console/` or `…/console/index.html` links `app.js?v=…` (two renderings,
//!   each with its own `ETag`). `app.js` takes the API root from `location.pathname` (all before
//!   the final `/console` segment) and calls `origin + root + path`.
//! * The CSP needs no change: `'self'` is an origin, and relative URLs stay on it whatever the
//!   path (`base-uri 'none'` is why the page is rendered per form rather than given a `<base>`).
//!
//! What does the function get in `rawPath` (payload format 2.0) for
//! `https://ops.example.com/lookout/console`: `/lookout/console` or `/console`? AWS's guide
//! does not say. "Map API stages to a custom domain name for HTTP APIs"
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-mappings.html>) only
//! says the longest matching mapping selects the API and the routes match what follows it; the
//! REST API page says the base path is stripped, the HTTP API page has no such sentence. Reports
//! from users and library maintainers say that for HTTP APIs the mapping key stays in
//! `rawPath` (`/lookout/console`): aws-powertools/powertools-lambda-typescript#4513 ("all the
//! requests will contain `/v1/<resource>` in the path"), issues #576 and #579 of
//! aws-powertools/powertools-lambda-python (`strip_prefixes`), logandk/serverless-wsgi#224
//! (base path stripping for v2 events); CodeGenieApp/serverless-express#465 reports the key
//! absent instead. Hence the suffix match, which serves both. (A named stage, not used here, is
//! also just a prefix: lambda_http puts `/<stage>` in front of the path.)

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

/// What `index.html` says where the assets' directory goes, relative to the page: `console/`
/// for the page as `…/console`, nothing for `…/console/` and `…/console/index.html`.
const ASSETS_PLACEHOLDER: &str = "__ASSETS__";

/// The last segment every console path has; what precedes it (a base path, or nothing) is kept
/// by the page's relative links.
const CONSOLE_SEGMENT: &str = "/console";

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
    /// The page as `…/console`: links `console/app.js?v=…`.
    index: Asset,
    /// The page as `…/console/` or `…/console/index.html`: links `app.js?v=…`.
    index_in_dir: Asset,
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
    /// No AWS clients, no environment: the page is static (the browser calls the API itself).
    pub async fn from_env() -> Result<Self, lookout_core::config::ConfigError> {
        Ok(Self::new())
    }

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
        let page = |assets: &str| {
            INDEX_HTML
                .replace(VERSION_PLACEHOLDER, &version)
                .replace(ASSETS_PLACEHOLDER, assets)
        };
        Self {
            index: asset(page("console/"), HTML, false),
            index_in_dir: asset(page(""), HTML, false),
            app_js: asset(APP_JS.to_owned(), JS, true),
            style_css: asset(STYLE_CSS.to_owned(), CSS, true),
            version,
        }
    }

    /// The asset version the page links (`?v=`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// What `path` asks for, by what follows its last `/console` (whatever precedes it: the
    /// API may be under a base path, see the module docs).
    fn asset(&self, path: &str) -> Option<&Asset> {
        let (_base, rest) = path.rsplit_once(CONSOLE_SEGMENT)?;
        match rest {
            "" => Some(&self.index),
            "/" | "/index.html" => Some(&self.index_in_dir),
            "/app.js" => Some(&self.app_js),
            "/style.css" => Some(&self.style_css),
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
    let fresh = lookout_http::etag_matches(req, &asset.etag);
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
    let deps = Deps::from_env().await?;
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

    /// The value of `attr` in the first tag of `html` that starts with `tag`.
    fn attr<'a>(html: &'a str, tag: &str, attr: &str) -> &'a str {
        let i = html
            .find(tag)
            .unwrap_or_else(|| panic!("no {tag} in {html}"));
        let tag = &html[i..i + html[i..].find('>').unwrap()];
        let start = tag.find(&format!(" {attr}=\"")).unwrap() + attr.len() + 3;
        &tag[start..start + tag[start..].find('"').unwrap()]
    }

    /// Resolves a reference found in the page against the page's path as a browser does:
    /// `(path, query)`. The page uses relative paths only (no scheme, host, leading `/` or dot
    /// segments), so that is all this handles; anything else fails the test.
    fn resolve(page: &str, reference: &str) -> (String, String) {
        assert!(
            !reference.starts_with('/') && !reference.contains(':'),
            "not a relative reference: {reference}"
        );
        let (path, query) = reference.split_once('?').unwrap_or((reference, ""));
        assert!(
            path.split('/').all(|s| s != "." && s != ".."),
            "dot segments: {reference}"
        );
        let dir = &page[..=page.rfind('/').unwrap()];
        (format!("{dir}{path}"), query.to_owned())
    }

    #[test]
    fn resolve_works_like_a_browser_for_what_the_page_uses() {
        let r = |page, reference| resolve(page, reference);
        assert_eq!(
            r("/lookout/console", "console/app.js?v=1"),
            ("/lookout/console/app.js".to_owned(), "v=1".to_owned())
        );
        assert_eq!(
            r("/lookout/console/", "app.js?v=1"),
            ("/lookout/console/app.js".to_owned(), "v=1".to_owned())
        );
        assert_eq!(
            r("/console/index.html", "style.css"),
            ("/console/style.css".to_owned(), String::new())
        );
    }

    /// Where the API may be: at the domain's root, or under a custom domain's base path (one
    /// or more segments) whether or not API Gateway leaves it in `rawPath`.
    const PREFIXES: [&str; 3] = ["", "/lookout", "/ops/lookout"];

    #[tokio::test]
    async fn routes_serve_the_page_and_assets_with_their_content_types_at_any_prefix() {
        for prefix in PREFIXES {
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
                let path = format!("{prefix}{path}");
                let resp = call(get(&path, "", &[])).await;
                assert_eq!(resp.status(), 200, "{path}");
                assert_eq!(header(&resp, "content-type"), content_type, "{path}");
                assert!(text(&resp).contains(needle), "{path}");
                assert_eq!(header(&resp, "x-content-type-options"), "nosniff");
                assert_eq!(header(&resp, "referrer-policy"), "no-referrer");
                assert_eq!(header(&resp, "content-security-policy"), CSP, "{path}");
                assert!(header(&resp, "etag").starts_with('"'), "{path}");
            }
        }
    }

    #[tokio::test]
    async fn each_page_form_links_its_assets_relative_to_itself_at_any_prefix() {
        let v = Deps::new().version().to_owned();
        for prefix in PREFIXES {
            for (form, stylesheet, script) in [
                ("/console", "console/style.css", "console/app.js"),
                ("/console/", "style.css", "app.js"),
                ("/console/index.html", "style.css", "app.js"),
            ] {
                let page = format!("{prefix}{form}");
                let resp = call(get(&page, "", &[])).await;
                let html = text(&resp);
                let css_ref = attr(html, "<link rel=\"stylesheet\"", "href");
                let js_ref = attr(html, "<script", "src");
                assert_eq!(css_ref, format!("{stylesheet}?v={v}"), "{page}");
                assert_eq!(js_ref, format!("{script}?v={v}"), "{page}");
                for (reference, asset, content_type) in [
                    (css_ref, "/console/style.css", CSS),
                    (js_ref, "/console/app.js", JS),
                ] {
                    // Resolved as the browser does, it is the asset's path under the same
                    // prefix, and the function serves it there, for good.
                    let (path, query) = resolve(&page, reference);
                    assert_eq!(path, format!("{prefix}{asset}"), "{page}: {reference}");
                    let served = call(get(&path, &query, &[])).await;
                    assert_eq!(served.status(), 200, "{path}");
                    assert_eq!(header(&served, "content-type"), content_type, "{path}");
                    assert_eq!(header(&served, "cache-control"), IMMUTABLE, "{path}");
                }
            }
        }
    }

    #[tokio::test]
    async fn every_response_has_a_strict_csp_and_the_page_has_no_inline_script() {
        for path in [
            "/console",
            "/console/app.js",
            "/console/style.css",
            "/console/nope.js",
            "/lookout/console/",
            "/lookout/console/nope.js",
        ] {
            let resp = call(get(path, "", &[])).await;
            let csp = header(&resp, "content-security-policy");
            assert_eq!(csp, CSP, "{path}");
        }
        assert!(CSP.contains("script-src 'self';") && !CSP.contains("unsafe-inline"));
        assert!(CSP.contains("frame-ancestors 'none'") && CSP.contains("connect-src 'self'"));
        // 'self' is the page's origin, whatever its path: relative links and `origin + root +
        // path` API calls stay within it. `base-uri 'none'` stays (no <base> is used).
        assert!(CSP.contains("base-uri 'none'"));
        for form in ["/console", "/console/index.html"] {
            let page = call(get(form, "", &[])).await;
            let html = text(&page);
            // Every <script> has a relative src; no inline handlers, styles or <base>.
            for (i, _) in html.match_indices("<script") {
                let tag = &html[i..i + html[i..].find('>').unwrap()];
                assert!(
                    tag.contains(" src=\"") && !tag.contains(" src=\"/"),
                    "{tag}"
                );
            }
            for inline in [
                " onclick=",
                " onload=",
                " onsubmit=",
                " style=",
                "<style",
                "<base",
                "javascript:",
            ] {
                assert!(!html.contains(inline), "{inline}");
            }
            assert!(
                !html.contains("http://") && !html.contains("https://"),
                "no external resources"
            );
        }
    }

    #[test]
    fn the_page_and_script_use_no_absolute_path() {
        // Attributes of the page: relative, a hash link or data:, never `/…`.
        for quote in ['"', '\''] {
            for name in ["href", "src", "action", "formaction"] {
                let absolute = format!(" {name}={quote}/");
                assert!(!INDEX_HTML.contains(&absolute), "{absolute}");
            }
        }
        // The script: the API root comes from the page's path, and every API URL is built on
        // it in one place; links it makes are hash links.
        assert_eq!(APP_JS.matches("location.origin").count(), 1);
        assert!(APP_JS.contains("new URL(location.origin + API_ROOT + path)"));
        assert!(APP_JS.contains("const API_ROOT = "));
        for absolute in [
            "href: '/",
            "href: `/",
            "href: \"/",
            "location.href =",
            "window.open",
        ] {
            assert!(!APP_JS.contains(absolute), "{absolute}");
        }
    }

    #[tokio::test]
    async fn the_page_links_versioned_assets_that_are_immutable_and_itself_revalidates() {
        let deps = Deps::new();
        let v = deps.version();
        assert_eq!(v.len(), 16);
        for form in ["/console", "/lookout/console/"] {
            let page = call(get(form, "", &[])).await;
            assert_eq!(header(&page, "cache-control"), "no-cache");
            let html = text(&page);
            assert!(!html.contains(VERSION_PLACEHOLDER), "{form}");
            assert!(!html.contains(ASSETS_PLACEHOLDER), "{form}");
            assert!(html.contains(&format!("app.js?v={v}\"")), "{html}");
            assert!(html.contains(&format!("style.css?v={v}\"")), "{html}");
        }
        for prefix in ["", "/lookout"] {
            let js = call(get(
                &format!("{prefix}/console/app.js"),
                &format!("v={v}"),
                &[],
            ))
            .await;
            assert_eq!(header(&js, "cache-control"), IMMUTABLE);
            let stale = call(get(
                &format!("{prefix}/console/app.js"),
                "v=0000000000000000",
                &[],
            ))
            .await;
            assert_eq!(header(&stale, "cache-control"), "no-cache");
            let bare = call(get(&format!("{prefix}/console/style.css"), "", &[])).await;
            assert_eq!(header(&bare, "cache-control"), "no-cache");
        }
    }

    #[tokio::test]
    async fn a_matching_etag_answers_304_without_a_body() {
        for prefix in ["", "/lookout"] {
            let path = format!("{prefix}/console/app.js");
            let first = call(get(&path, "", &[])).await;
            let etag = header(&first, "etag").to_owned();
            let again = call(get(&path, "", &[("if-none-match", &etag)])).await;
            assert_eq!(again.status(), 304);
            assert!(again.body().is_empty());
            assert_eq!(header(&again, "etag"), etag);
            let other = call(get(&path, "", &[("if-none-match", "\"other\"")])).await;
            assert_eq!(other.status(), 200);
            let page_etag = header(&call(get("/console", "", &[])).await, "etag").to_owned();
            assert_ne!(page_etag, etag, "each asset has its own tag");
        }
        // The two renderings of the page have their own tags; each revalidates under a prefix.
        let bare = header(&call(get("/lookout/console", "", &[])).await, "etag").to_owned();
        let in_dir = header(&call(get("/lookout/console/", "", &[])).await, "etag").to_owned();
        assert_ne!(bare, in_dir);
        assert_eq!(
            in_dir,
            header(&call(get("/console/index.html", "", &[])).await, "etag")
        );
        for (path, etag) in [
            ("/lookout/console", &bare),
            ("/lookout/console/index.html", &in_dir),
        ] {
            let again = call(get(path, "", &[("if-none-match", etag)])).await;
            assert_eq!(again.status(), 304, "{path}");
        }
        let crossed = call(get("/lookout/console", "", &[("if-none-match", &in_dir)])).await;
        assert_eq!(
            crossed.status(),
            200,
            "the other form's tag is not this page's"
        );
    }

    #[tokio::test]
    async fn unknown_assets_are_404_and_other_methods_405() {
        for path in [
            "/console/nope.js",
            "/console/../template.yaml",
            "/console/app.js.map",
            "/console/app.js/",
            "/console//",
            "/console/index.htm",
            "/",
            "/consoles",
            "/lookout",
            "/lookout/",
            "/lookout/console/nope.js",
            "/lookout/console/app.js.map",
            "/lookout/consolex",
            "/lookout/myconsole/app.js",
            "/lookout/console/sub/app.js",
            "/console/app.js/console/x",
        ] {
            let resp = call(get(path, "", &[])).await;
            assert_eq!(resp.status(), 404, "{path}");
            assert_eq!(header(&resp, "content-type"), "text/plain; charset=utf-8");
        }
        let resp = call(request("POST", "/console", "", &[])).await;
        assert_eq!(resp.status(), 405);
        assert_eq!(header(&resp, "allow"), "GET, HEAD");
        let resp = call(request("POST", "/lookout/console/app.js", "", &[])).await;
        assert_eq!(resp.status(), 405);
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
        assert!(all.len() < 96 * 1024, "the console is {} bytes", all.len());
    }
}
