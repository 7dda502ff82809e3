//! The HTTP API's `$default` route: every request no route of template.yaml matches.
//!
//! - A path that is a route's once its repeated and trailing slashes are dropped, with a
//!   method the route has: the seed-002 client's `POST /api/apps/` is answered here as the
//!   heartbeat it is (HTTP API routes cannot end in `/`); any other (the seed-000 client's
//!   `//send_logs`) gets a 308 to the canonical path, as the original servers did.
//! - A route's path with a method it does not have (`PUT /add_event`, `GET /api/apps/`): 405
//!   with `Allow` ([`ROUTES`]).
//! - Sentry's ingestion routes, `POST /api/<project id>/envelope/` and `…/store/` (the SDKs
//!   send the trailing slash): an incident app's events, check-ins and logs ([`sentry`]).
//! - Anything else: a JSON 404.

pub mod sentry;

use lambda_http::{
    http::{header::ALLOW, HeaderValue, Method, StatusCode},
    Body, Error, Request, Response,
};
use lookout_core::{config, quota::Quotas};
use lookout_heartbeats::{ApiDeps, BeatCommand, HeartbeatIn};
use lookout_http::{
    canonical_path, json_response, ok, parse_json, permanent_redirect, respond, AppError,
    Authenticate,
};
use lookout_keys::Scope;

/// What this route needs: the heartbeat route's dependencies (the seed's heartbeat, Sentry
/// check-ins), and the incident reporter's with the log store (Sentry events and logs).
#[derive(Debug, Clone)]
pub struct Deps {
    pub beats: ApiDeps,
    /// `None` without `INCIDENTS_TABLE`: the Sentry routes answer 404.
    pub sentry: Option<SentryDeps>,
}

/// What Sentry's events and logs reach: the incident reporter's dependencies (its stores, the
/// admin's mail and chat, the log and heartbeat stores for context) and the quotas.
#[derive(Debug, Clone)]
pub struct SentryDeps {
    pub report: report_incident::Deps,
    pub quotas: Quotas,
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        // One SDK configuration (its HTTPS client) and one DynamoDB client for both.
        let sdk = lookout_core::aws::sdk_config().await;
        let ddb = lookout_core::aws::dynamodb(&sdk);
        let sentry = match config::optional(config::names::INCIDENTS_TABLE) {
            Some(_) => Some(SentryDeps {
                report: report_incident::Deps::from_sdk(&sdk, ddb.clone())?,
                quotas: Quotas::from_env()?,
            }),
            None => None,
        };
        Ok(Self {
            beats: ApiDeps::from_sdk(&sdk, ddb)?,
            sentry,
        })
    }

    /// Only the seed's heartbeat and the 308/405/404 answers (the Sentry routes answer 404).
    pub fn without_sentry(beats: ApiDeps) -> Self {
        Self {
            beats,
            sentry: None,
        }
    }
}

/// The heartbeat route, reached here as `/api/apps/`.
pub const HEARTBEAT_ROUTE: &str = "/api/apps";

/// The heartbeat body limit, the same on both routes a heartbeat takes.
pub const BODY_LIMIT: usize = lookout_heartbeats::BEAT_BODY_LIMIT;

/// Every route of the HTTP API as (method, path) (a test checks these are template.yaml's):
/// API Gateway sends a known path with another method to `$default`, answered 405 here.
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/start_session"),
    ("POST", "/add_event"),
    ("POST", "/end_session"),
    ("POST", "/get_session"),
    ("POST", "/get_machine_events"),
    ("POST", "/send_logs"),
    ("GET", "/logs"),
    ("POST", "/admin/log_users"),
    ("POST", "/admin/api_keys"),
    ("GET", "/admin/api_keys"),
    ("DELETE", "/admin/api_keys"),
    ("POST", "/admin/apps"),
    ("GET", "/admin/apps"),
    ("PUT", "/admin/apps"),
    ("DELETE", "/admin/apps"),
    ("POST", "/admin/heartbeat_apps"),
    ("GET", "/admin/heartbeat_apps"),
    ("GET", "/admin/incident"),
    ("PATCH", "/admin/incident"),
    ("GET", "/admin/incidents"),
    ("GET", "/admin/overview"),
    ("POST", "/api/apps"),
    ("POST", "/api/apps/{signal}"),
    ("POST", "/api/contacts"),
    ("DELETE", "/api/contacts"),
    ("GET", "/api/contacts"),
    ("PUT", "/api/contacts"),
    ("GET", "/api/get_failed_mess"),
    ("GET", "/badge/{token}"),
    ("GET", "/console"),
    ("GET", "/console/{asset}"),
    ("POST", "/incidents"),
    ("GET", "/openapi.json"),
    ("POST", "/v1/incidents/new"),
    ("GET", "/ping/{proxy+}"),
    ("HEAD", "/ping/{proxy+}"),
    ("POST", "/ping/{proxy+}"),
    ("PUT", "/ping/{proxy+}"),
    ("POST", "/admin/ping_keys"),
    ("GET", "/admin/heartbeat_apps/output"),
    ("POST", "/v1/logs"),
    ("GET", "/admin/alert_channels"),
    ("POST", "/admin/alert_channels"),
    ("DELETE", "/admin/alert_channels"),
    ("POST", "/admin/alert_channels/test"),
    ("GET", "/admin/alert_routes"),
    ("PUT", "/admin/alert_routes"),
    ("GET", "/admin/alert_failures"),
    ("GET", "/ack/{token}"),
    ("POST", "/ack/{token}"),
    ("POST", "/ack/telegram/{tenant}"),
];

/// The methods [`ROUTES`] has for `path` (`{param}` matches one segment, a last `{param+}`
/// one or more).
pub fn allowed_methods(path: &str) -> Vec<&'static str> {
    let segments: Vec<&str> = path.split('/').collect();
    let mut methods: Vec<&'static str> = ROUTES
        .iter()
        .filter(|(_, route)| {
            let pattern: Vec<&str> = route.split('/').collect();
            let greedy = pattern.last().is_some_and(|p| p.ends_with("+}"));
            let fits = if greedy {
                segments.len() >= pattern.len()
            } else {
                segments.len() == pattern.len()
            };
            fits && pattern
                .iter()
                .zip(&segments)
                .all(|(p, s)| p == s || (p.starts_with('{') && p.ends_with('}') && !s.is_empty()))
        })
        .map(|(method, _)| *method)
        .collect();
    methods.sort_unstable();
    methods
}

fn method_not_allowed(method: &str, path: &str, allowed: &[&str]) -> Response<Body> {
    let allow = allowed.join(", ");
    let mut resp = json_response(
        StatusCode::METHOD_NOT_ALLOWED,
        &serde_json::json!({
            "error": "method_not_allowed",
            "message": format!("{method} is not allowed on {path}; allowed: {allow}"),
        }),
    );
    if let Ok(value) = HeaderValue::from_str(&allow) {
        resp.headers_mut().insert(ALLOW, value);
    }
    resp
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        if let Some(found) = sentry::route(&req) {
            if req.method() != Method::POST {
                return Ok(method_not_allowed(
                    req.method().as_str(),
                    req.uri().path(),
                    &["POST"],
                ));
            }
            let (project, endpoint) = found?;
            return sentry::ingest(deps, &req, project, endpoint).await;
        }
        let path = req.uri().path();
        let canonical = canonical_path(path);
        let method = req.method().as_str();
        let allowed = allowed_methods(&canonical);
        if !allowed.is_empty() && !allowed.contains(&method) {
            // Redirected, it would only be refused there.
            return Ok(method_not_allowed(method, &canonical, &allowed));
        }
        if canonical == HEARTBEAT_ROUTE && req.method() == Method::POST {
            return beat(deps, &req).await;
        }
        if canonical != path {
            let location = match req.uri().query() {
                Some(q) => format!("{canonical}?{q}"),
                None => canonical,
            };
            return Ok(permanent_redirect(&location));
        }
        Err(AppError::NotFound(format!("no route for {method} {path}")))
    })
    .await
}

/// The seed-002 client's `POST /api/apps/`: the heartbeat use case, as its route runs it.
async fn beat(deps: &Deps, req: &Request) -> Result<Response<Body>, AppError> {
    let deps = &deps.beats;
    let caller = deps.keys.authenticate(req, Scope::Heartbeats).await?;
    let input: HeartbeatIn = parse_json(req, BODY_LIMIT)?;
    let cmd = BeatCommand {
        tenant: caller.tenant,
        input,
    };
    let reply = lookout_heartbeats::beat(&deps.ports(), cmd).await?;
    Ok(ok(&reply))
}

/// Serves this function on the Lambda runtime API: what its own binary and the edge's deploy
/// binary (`edge-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
