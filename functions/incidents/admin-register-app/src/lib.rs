//! `POST /admin/apps {"name","description"?,"log_user"?,"log_process"?,"heartbeat_tenant"?,"heartbeat_app_id"?}`
//! (admin) → 201 with the app and its generated `code`, shown this once. 409 if the name is taken.

use lambda_http::{http::StatusCode, run, service_fn, Body, Error, Request, Response};
use lookout_http::{parse_json, public_origin, respond, secret_response, AdminCheck};
use lookout_incidents::{register_app, AppIn};

pub use lookout_incidents::AdminDeps as Deps;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        deps.admin.check(&req)?;
        let input: AppIn = parse_json(&req, 8192)?;
        let created = register_app(&deps.store.apps, input).await?;
        let origin = public_origin(&req, deps.public_url.as_deref());
        Ok(secret_response(StatusCode::CREATED, &created.at(&origin)))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`incidents-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
