//! `POST /admin/apps {"name","description"?,"log_user"?,"log_process"?,"heartbeat_tenant"?,"heartbeat_app_id"?}`
//! (admin) → 201 with the app and its generated `code`, shown this once. 409 if the name is taken.

use lambda_http::{http::StatusCode, Body, Error, Request, Response};
use lookout_core::{
    http::{parse_json, respond, secret_response},
    AppError,
};
use lookout_incidents::AppIn;

pub use lookout_incidents::AdminDeps as Deps;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        deps.admin.check(&req)?;
        let mut input: AppIn = parse_json(&req, 8192)?;
        if input.rotate_code {
            return Err(AppError::validation(
                "rotate_code belongs to PUT /admin/apps",
            ));
        }
        input.validate()?;
        let created = deps.store.register_app(input).await?;
        Ok(secret_response(StatusCode::CREATED, &created))
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
