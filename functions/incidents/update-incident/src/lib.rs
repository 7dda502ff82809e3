//! `PATCH /admin/incident {"id","status"?,"assignee"?,"notes"?,"by"?}` (admin) → the incident with
//! its history; each changed field is one history entry. 404 unknown, 409 on a concurrent change.

use lambda_http::{Body, Error, Request, Response};
use lookout_core::{
    http::{ok, parse_json, respond},
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
        Ok(ok(&deps.store.update(input).await?))
    })
    .await
}
