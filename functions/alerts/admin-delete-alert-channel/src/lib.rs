//! `DELETE /admin/alert_channels {"tenant","id"}` (admin bearer token) → 200 `{"tenant","id",
//! "deleted":true}`. A channel the tenant's routes still name is 409 (change the routes
//! first); an unknown one 404.

use lambda_http::{Body, Error, Request, Response};
use lookout_alerts::{delete_channel, ChannelId};
use lookout_core::auth::Tenant;
use lookout_http::{ok, parse_json, respond, AdminCheck};
use serde::Deserialize;

pub use lookout_alerts::AlertAdminDeps as Deps;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Delete {
    tenant: Tenant,
    id: String,
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        deps.admin.check(&req)?;
        let input: Delete = parse_json(&req, 4096)?;
        let id = ChannelId::parse(input.id.trim())?;
        delete_channel(&deps.store, &input.tenant, &id).await?;
        tracing::info!(tenant = input.tenant.as_str(), channel = %id, "alert channel deleted");
        Ok(ok(&serde_json::json!({
            "tenant": input.tenant.as_str(),
            "id": id.as_str(),
            "deleted": true
        })))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`alerts-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
