//! `PATCH /admin/incident {"id","status"?,"assignee"?,"notes"?,"by"?,"version"?}` (admin) → the
//! incident with its history; each changed field is one history entry. 404 unknown, 409 on a
//! concurrent change or when `version` (from `GET /admin/incident`) is no longer current.

use lambda_http::{run, service_fn, Body, Error, Request, Response};
use lookout_core::time::Timestamp;
use lookout_http::{ok, parse_json, respond, AdminCheck};
use lookout_incidents::{update_incident, IncidentUpdate};

pub use lookout_incidents::AdminDeps as Deps;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        deps.admin.check(&req)?;
        let input: IncidentUpdate = parse_json(&req, 16 * 1024)?;
        let detail = update_incident(&deps.store.incidents, input, Timestamp::now()).await?;
        Ok(ok(&detail))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`incidents-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
