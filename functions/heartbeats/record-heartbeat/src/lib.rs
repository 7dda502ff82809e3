//! `POST /api/apps {"app_id": 23, "message": "OK:200"}` (API key) →
//! `{"status":"ok","app_id":23,"state":"up","received_at":…,"due_by":…}`.
//!
//! The seed-002 client's `POST /api/apps/` reaches the API's `$default` route instead (HTTP
//! API routes cannot end in `/`), whose function (`functions/edge/serve-fallback`) runs the
//! same use case.
//!
//! Unknown apps are registered with the default period and grace (the seed accepted any id).
//! A beat from a `down` app makes it `up` and mails the admin that it is back.

use lambda_http::{Body, Error, Request, Response};
use lookout_heartbeats::{BeatCommand, HeartbeatIn};
use lookout_http::{ok, parse_json, respond, Authenticate};

/// The heartbeat body limit, the same on both routes a heartbeat takes.
pub const BODY_LIMIT: usize = lookout_heartbeats::BEAT_BODY_LIMIT;

pub use lookout_heartbeats::ApiDeps as Deps;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let caller = deps
            .keys
            .authenticate(&req, lookout_keys::Scope::Heartbeats)
            .await?;
        let input: HeartbeatIn = parse_json(&req, BODY_LIMIT)?;
        let cmd = BeatCommand {
            tenant: caller.tenant,
            input,
        };
        let reply = lookout_heartbeats::beat(&deps.ports(), cmd).await?;
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
