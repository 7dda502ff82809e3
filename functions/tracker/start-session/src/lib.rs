//! `POST /start_session {"userId","machineId","startAt","orgId"}` → `{"sessionId","message":"request received"}`.

use lambda_http::{Body, Error, Request, Response};
use lookout_http::Authenticate;
use lookout_http::{ok, parse_json, respond, DEFAULT_BODY_LIMIT};
use lookout_tracker::{StartSession, Started};

pub use lookout_tracker::Deps;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let caller = deps
            .keys
            .authenticate(&req, lookout_keys::Scope::Tracker)
            .await?;
        let input: StartSession = parse_json(&req, DEFAULT_BODY_LIMIT)?;
        let session_id =
            lookout_tracker::start_session(&deps.store.sessions, &caller.tenant, input).await?;
        Ok(ok(&Started {
            session_id,
            message: "request received".into(),
        }))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`tracker-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
