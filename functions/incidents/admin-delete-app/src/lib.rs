//! `DELETE /admin/apps {"name"}` or `DELETE /admin/apps?name=…` (admin) → `{"deleted": name}`.
//! Its incidents stay; its code stops working. 404 for an unknown app.

use lambda_http::{run, service_fn, Body, Error, Request, RequestExt, Response};
use lookout_http::{body_bytes, ok, parse_json, respond, AppError};
use lookout_http::{query_params, AdminCheck};
use lookout_incidents::AppName;
use serde::{Deserialize, Serialize};

pub use lookout_incidents::AdminDeps as Deps;

/// The reply: which app was deleted.
#[derive(Debug, Serialize)]
pub struct Deleted {
    pub deleted: AppName,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    name: AppName,
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        deps.admin.check(&req)?;
        let params = req.query_string_parameters();
        let get = query_params(&params, &["name"])?;
        let name = match get("name") {
            Some(n) => AppName::parse(n).map_err(AppError::Validation)?,
            None if !body_bytes(&req).is_empty() => parse_json::<Input>(&req, 4096)?.name,
            None => return Err(AppError::validation("name is required")),
        };
        deps.store.apps.delete(&name).await?;
        Ok(ok(&Deleted { deleted: name }))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`incidents-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
