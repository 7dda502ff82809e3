//! `GET /admin/incident?id=…` (admin) → the incident with its change history; 404 if unknown.

use lambda_http::{run, service_fn, Body, Error, Request, RequestExt, Response};
use lookout_http::{ok, respond_no_store, AppError};
use lookout_http::{query_params, AdminCheck};

pub use lookout_incidents::AdminDeps as Deps;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond_no_store(async {
        deps.admin.check(&req)?;
        let params = req.query_string_parameters();
        let get = query_params(&params, &["id"])?;
        let id = get("id")
            .filter(|id| id.len() <= 64)
            .ok_or_else(|| AppError::validation("id is required (at most 64 characters)"))?;
        Ok(ok(&deps.store.incidents.get(id).await?))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`incidents-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
