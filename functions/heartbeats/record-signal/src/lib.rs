//! `POST /api/apps/{signal}` (API key): a job's signals, beside the heartbeat route.
//!
//! ```text
//! POST /api/apps/start    {"app_id": "backup", "run_id": "r-42"}
//! POST /api/apps/success  {"app_id": "backup", "run_id": "r-42", "message": "3.1 GB"}
//! POST /api/apps/fail     {"app_id": "backup", "run_id": "r-42", "exit_code": 2}
//! POST /api/apps/exit     {"app_id": "backup", "exit_code": 0}
//! POST /api/apps/snooze   {"app_id": "backup", "until": "2030-01-02T08:00:00Z"}
//! ```
//! → `{"status":"ok","signal":…,"run_id":…,"run":{…duration_ms, outcome…},"state":…}`.
//!
//! `run_id` pairs an end with its start when runs overlap. A signal that takes the app down
//! (a failure beyond its tolerance) or back up mails the admin, as a heartbeat's recovery
//! does. Unknown apps are registered with the defaults. See docs/heartbeats.md.

use lambda_http::{Body, Error, Request, Response};
use lookout_heartbeats::{SignalCommand, SignalIn, SignalKind};
use lookout_http::Authenticate;
use lookout_http::{ok, parse_json, respond, AppError};

pub use lookout_heartbeats::ApiDeps as Deps;

/// A signal is tiny; anything bigger is not one.
pub const BODY_LIMIT: usize = 8 * 1024;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let caller = deps
            .keys
            .authenticate(&req, lookout_keys::Scope::Heartbeats)
            .await?;
        // `/api/apps/{signal}`: the last segment (API Gateway and watch route only this shape).
        let segment = req
            .uri()
            .path()
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default();
        let kind = SignalKind::parse(segment).map_err(AppError::NotFound)?;
        let input: SignalIn = parse_json(&req, BODY_LIMIT)?;
        let cmd = SignalCommand {
            tenant: caller.tenant,
            kind,
            input,
        };
        let reply = lookout_heartbeats::signal(&deps.ports(), cmd).await?;
        Ok(ok(&reply))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`heartbeats-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
