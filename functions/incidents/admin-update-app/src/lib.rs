//! `PUT /admin/apps {"name", …fields to change, "rotate_code"?: true}` (admin) → the app, with a
//! new `code` when rotated (the old code stops working). An empty string clears a link. 404 for
//! an unknown app.

use lambda_http::{http::StatusCode, run, service_fn, Body, Error, Request, Response};
use lookout_http::{ok, parse_json, respond, secret_response, AdminCheck};
use lookout_incidents::{update_app, AppIn, AppWithCode};

pub use lookout_incidents::AdminDeps as Deps;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        deps.admin.check(&req)?;
        let input: AppIn = parse_json(&req, 8192)?;
        let (app, code) = update_app(&deps.store.apps, input).await?;
        Ok(match code {
            Some(code) => secret_response(StatusCode::OK, &AppWithCode { app, code }),
            None => ok(&app),
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
