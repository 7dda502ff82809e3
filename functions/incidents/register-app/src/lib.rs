//! `POST /admin/apps {"name","description"?,"log_user"?,"log_process"?,"heartbeat_tenant"?,"heartbeat_app_id"?}`
//! (admin) → 201 with the app and its generated `code`, shown this once. 409 if the name is taken.

use lambda_http::{http::StatusCode, Body, Error, Request, Response};
use lookout_core::{
    http::{json_response, parse_json, respond},
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
        Ok(json_response(StatusCode::CREATED, &created))
    })
    .await
}
