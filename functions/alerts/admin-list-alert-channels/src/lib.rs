//! `GET /admin/alert_channels?tenant=acme` (admin bearer token) → `{"tenant","channels":[{"id",
//! "kind","name","url","signed","created_at"}]}`, oldest first: the URLs masked (host and the
//! start of the path), never a signing secret.

use lambda_http::{Body, Error, Request, Response};
use lookout_alerts::{list_channels, ChannelView};
use lookout_http::{ok, respond_no_store, AdminCheck};
use serde::Serialize;

pub use lookout_alerts::AlertAdminDeps as Deps;

#[derive(Debug, Serialize)]
struct Listing {
    tenant: String,
    channels: Vec<ChannelView>,
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond_no_store(async {
        deps.admin.check(&req)?;
        let tenant = lookout_http::tenant_query(&req)?;
        let channels = list_channels(&deps.store, &tenant).await?;
        Ok(ok(&Listing {
            tenant: tenant.as_str().to_owned(),
            channels,
        }))
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
