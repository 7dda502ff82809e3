//! `PUT /admin/apps {"name", …fields to change, "rotate_code"?: true}` (admin) → the app, with a
//! new `code` when rotated (the old code stops working). An empty string clears a link. 404 for
//! an unknown app.

use lambda_http::{Body, Error, Request, Response};
use lookout_core::http::{ok, parse_json, respond};
use lookout_incidents::{AppIn, AppWithCode};

pub use lookout_incidents::AdminDeps as Deps;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        deps.admin.check(&req)?;
        let mut input: AppIn = parse_json(&req, 8192)?;
        input.validate()?;
        let (app, code) = deps.store.update_app(input).await?;
        Ok(match code {
            Some(code) => ok(&AppWithCode { app, code }),
            None => ok(&app),
        })
    })
    .await
}
