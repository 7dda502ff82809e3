//! `/ping/…` (GET, HEAD, POST or PUT alike): Healthchecks' ping URLs, so a cron line that pings
//! Healthchecks pings Lookout once its host is changed.
//!
//! ```text
//! /ping/<uuid>                      success          /ping/<ping key>/<slug>[?create=1]
//! /ping/<uuid>/start                a run starts     /ping/<ping key>/<slug>/start
//! /ping/<uuid>/fail                 failure          /ping/<ping key>/<slug>/fail
//! /ping/<uuid>/log                  no state change  /ping/<ping key>/<slug>/log
//! /ping/<uuid>/<0-255>              exit status      /ping/<ping key>/<slug>/<0-255>
//! ```
//! `?rid=<uuid>` pairs a run's end with its start. The request body (its first 100,000 bytes) is
//! kept as the run's output. Answers are Healthchecks': `200 OK` (`text/plain`), `201 Created`
//! for a slug registered by `?create=1`, `404 not found` for an unknown check or ping key,
//! `400 invalid url format` for an exit status above 255, `400 invalid uuid format` for a bad
//! `rid`; every answer has `Access-Control-Allow-Origin: *` and `Ping-Body-Limit`. Past
//! [`PINGS_PER_MINUTE`] pings of one check in a minute, a slug ping is answered `429 rate
//! limited` and a UUID ping `200 OK` (as Healthchecks.io does), and neither is recorded.
//! Healthchecks' `409 ambiguous slug` cannot happen: an app id is unique in its tenant.
//!
//! A ping key is an API key with the `ping` scope alone (`POST /admin/ping_keys`): an unknown,
//! revoked or expired one is `404 not found` as in Healthchecks, an API key of other scopes
//! `403 forbidden`. See docs/heartbeats.md.

use lambda_http::{
    http::{HeaderValue, Method, StatusCode},
    Body, Error, Request, RequestExt, Response,
};
use lookout_core::{auth::Tenant, error::error_chain, StoreError};
use lookout_heartbeats::{
    AppId, HeartbeatError, PingCommand, PingKind, PingOutcome, Pings as _, PINGS_PER_MINUTE,
    PING_BODY_LIMIT,
};
use lookout_http::body_bytes;
use lookout_keys::{KeyError, Scope};

pub use lookout_heartbeats::ApiDeps as Deps;

/// Which check a ping URL names, and what the ping says.
#[derive(Debug, PartialEq, Eq)]
enum Target<'a> {
    Uuid(&'a str),
    Slug { key: &'a str, slug: &'a str },
}

/// A plain-text answer, as Healthchecks gives them.
fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        "content-type",
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    h.insert("ping-body-limit", HeaderValue::from(PING_BODY_LIMIT));
    h.insert("cache-control", HeaderValue::from_static("no-store"));
    resp
}

const NOT_FOUND: (StatusCode, &str) = (StatusCode::NOT_FOUND, "not found");

/// A check UUID as Healthchecks writes it: 36 characters, lowercase hex and hyphens.
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// The check and ping kind of a `/ping/…` path; `Err` is the answer to give instead.
fn parse_path(path: &str) -> Result<(Target<'_>, PingKind), (StatusCode, &'static str)> {
    let rest = path.strip_prefix("/ping/").ok_or(NOT_FOUND)?;
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let kind = |s: &str| match PingKind::parse(s) {
        Ok(Some(kind)) => Ok(kind),
        Ok(None) => Err(NOT_FOUND),
        Err(_) => Err((StatusCode::BAD_REQUEST, "invalid url format")),
    };
    match segments.as_slice() {
        [id] if is_uuid(id) => Ok((Target::Uuid(id), PingKind::Success)),
        [id, what] if is_uuid(id) => Ok((Target::Uuid(id), kind(what)?)),
        [key, slug] => Ok((Target::Slug { key, slug }, PingKind::Success)),
        [key, slug, what] if !is_uuid(key) => Ok((Target::Slug { key, slug }, kind(what)?)),
        _ => Err(NOT_FOUND),
    }
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    if req.method() == Method::OPTIONS {
        let mut resp = text(StatusCode::NO_CONTENT, "");
        resp.headers_mut().insert(
            "access-control-allow-methods",
            HeaderValue::from_static("GET, HEAD, POST, PUT"),
        );
        return Ok(resp);
    }
    if ![Method::GET, Method::HEAD, Method::POST, Method::PUT].contains(req.method()) {
        return Ok(text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"));
    }
    Ok(match answer(deps, &req).await {
        Ok((status, body)) | Err((status, body)) => text(status, body),
    })
}

type Answer = (StatusCode, &'static str);

async fn answer(deps: &Deps, req: &Request) -> Result<Answer, Answer> {
    let (target, kind) = parse_path(req.uri().path())?;
    let params = req.query_string_parameters();
    let run_id = match params.first("rid") {
        Some(rid) if uuid::Uuid::parse_str(rid).is_err() || rid.len() > 64 => {
            return Err((StatusCode::BAD_REQUEST, "invalid uuid format"))
        }
        Some(rid) => Some(rid.to_ascii_lowercase()),
        None => None,
    };
    let create = params.first("create") == Some("1");
    // `ping_id`: the check UUID a UUID URL named (`None`: a slug URL).
    let (tenant, app_id, ping_id) = match target {
        Target::Uuid(id) => {
            let found = deps.store.pings.find(id).await.map_err(fault)?;
            let found = found.ok_or(NOT_FOUND)?;
            let tenant = Tenant::parse(&found.tenant).map_err(|e| fault(invariant(e)))?;
            let app_id = AppId::parse_str(&found.app_id).map_err(|e| fault(invariant(e)))?;
            (tenant, app_id, Some(id.to_owned()))
        }
        Target::Slug { key, slug } => {
            let now = deps.clock.now();
            let principal = match deps.keys.verify(key, Scope::Ping, now).await {
                Ok(p) => p,
                Err(KeyError::OutOfScope { .. }) => {
                    return Err((StatusCode::FORBIDDEN, "forbidden: not a ping key"))
                }
                Err(KeyError::Store(err)) => return Err(fault(err.into())),
                Err(_) => return Err(NOT_FOUND),
            };
            let app_id = AppId::parse_str(slug).map_err(|_| NOT_FOUND)?;
            (principal.tenant, app_id, None)
        }
    };
    let by_slug = ping_id.is_none();
    let bytes = body_bytes(req);
    let kept = bytes.len().min(PING_BODY_LIMIT);
    let cmd = PingCommand {
        tenant,
        app_id,
        ping_id,
        kind,
        run_id,
        create: create && by_slug,
        body: bytes[..kept].to_vec(),
        truncated: bytes.len() > kept,
    };
    let ports = deps.ports();
    match lookout_heartbeats::ping(&ports, &deps.store.pings, cmd).await {
        Ok(PingOutcome::Recorded) => Ok((StatusCode::OK, "OK")),
        Ok(PingOutcome::Created) => Ok((StatusCode::CREATED, "Created")),
        Ok(PingOutcome::NotFound) => Err(NOT_FOUND),
        Ok(PingOutcome::Throttled) if by_slug => {
            tracing::warn!(limit = PINGS_PER_MINUTE, "slug ping throttled");
            Err((StatusCode::TOO_MANY_REQUESTS, "rate limited"))
        }
        Ok(PingOutcome::Throttled) => {
            tracing::warn!(
                limit = PINGS_PER_MINUTE,
                "UUID ping throttled (answered OK)"
            );
            Ok((StatusCode::OK, "OK"))
        }
        Err(HeartbeatError::Quota(q)) => {
            tracing::warn!(error = %q, "ping refused: app quota");
            Err((StatusCode::TOO_MANY_REQUESTS, "too many checks"))
        }
        Err(HeartbeatError::Invalid(msg)) => {
            tracing::warn!(error = %msg, "ping refused");
            Err((StatusCode::BAD_REQUEST, "invalid request"))
        }
        Err(err) => Err(fault(err)),
    }
}

fn invariant(detail: String) -> HeartbeatError {
    StoreError::invariant(detail).into()
}

/// A fault of Lookout's or of a service: a generic answer, the details in the log (503 for an
/// outage, which a `curl --retry` retries).
fn fault(err: HeartbeatError) -> Answer {
    tracing::error!(error = %error_chain(&err), "ping failed");
    match err {
        HeartbeatError::Store(StoreError::Unavailable(_) | StoreError::Throttled(_))
        | HeartbeatError::Contention => (StatusCode::SERVICE_UNAVAILABLE, "service unavailable"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    }
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`heartbeats-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
