//! `PATCH /admin/incident {"id","status"?,"assignee"?,"notes"?,"by"?,"version"?}` (admin) → the
//! incident with its history; each changed field is one history entry. 404 unknown, 409 on a
//! concurrent change or when `version` (from `GET /admin/incident`) is no longer current.

use lambda_http::{Body, Error, Request, Response};
use lookout_core::{
    http::{ok, parse_json, respond},
    time::Timestamp,
    AppError,
};
use lookout_incidents::IncidentUpdate;

pub use lookout_incidents::AdminDeps as Deps;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        deps.admin.check(&req)?;
        let mut input: IncidentUpdate = parse_json(&req, 16 * 1024)?;
        if input.id.is_empty() || input.id.len() > 64 {
            return Err(AppError::validation(
                "id is required (at most 64 characters)",
            ));
        }
        input.validate()?;
        Ok(ok(&deps.store.update(input, Timestamp::now()).await?))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`incidents-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
