//! `GET /admin/apps` (admin) → `{"apps":[…]}` by name; codes are never shown.

use lambda_http::{run, service_fn, Body, Error, Request, RequestExt, Response};
use lookout_http::{ok, respond_no_store};
use lookout_http::{public_origin, query_params, AdminCheck};
use lookout_incidents::list_apps;

pub use lookout_incidents::AdminDeps as Deps;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond_no_store(async {
        deps.admin.check(&req)?;
        let params = req.query_string_parameters();
        let _no_params = query_params(&params, &[])?;
        let apps = list_apps(&deps.store.apps).await?;
        Ok(ok(
            &apps.at(&public_origin(&req, deps.public_url.as_deref()))
        ))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`incidents-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
