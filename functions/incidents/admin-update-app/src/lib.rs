//! `PUT /admin/apps {"name", …fields to change, "rotate_code"?: true}` (admin) → the app, with a
//! new `code` when rotated (the old code stops working). An empty string clears a link. 404 for
//! an unknown app.

use lambda_http::{http::StatusCode, run, service_fn, Body, Error, Request, Response};
use lookout_http::{ok, parse_json, public_origin, respond, secret_response, AdminCheck};
use lookout_incidents::{update_app, AppIn};

pub use lookout_incidents::AdminDeps as Deps;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        deps.admin.check(&req)?;
        let input: AppIn = parse_json(&req, 8192)?;
        let rotated = input.rotate_code || input.rotate_dsn;
        let updated = update_app(&deps.store.apps, input).await?;
        let origin = public_origin(&req, deps.public_url.as_deref());
        let updated = updated.at(&origin);
        Ok(if rotated {
            secret_response(StatusCode::OK, &updated)
        } else {
            ok(&updated.app)
        })
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`incidents-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
