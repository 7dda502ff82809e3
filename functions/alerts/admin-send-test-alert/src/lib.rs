//! `POST /admin/alert_channels/test {"tenant","id"}` (admin bearer token) → 200
//! `{"delivered","outcome","detail"?}`: a test alert sent to the channel now, and what its
//! service answered (`delivered`; `retry` when rate limited or unavailable for now; `failed`
//! with the service's status, e.g. a deleted webhook's 404). The console's "send test alert".

use lambda_http::{Body, Error, Request, Response};
use lookout_alerts::{test_channel, ChannelId};
use lookout_core::auth::Tenant;
use lookout_http::{ok, parse_json, respond, AdminCheck};
use serde::Deserialize;

pub use lookout_alerts::ChannelDeps as Deps;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Test {
    tenant: Tenant,
    id: String,
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        deps.base.admin.check(&req)?;
        let input: Test = parse_json(&req, 4096)?;
        let id = ChannelId::parse(input.id.trim())?;
        let outcome = test_channel(
            &deps.base.store,
            &deps.sender,
            &deps.sealer,
            &input.tenant,
            &id,
            deps.base.clock.now(),
        )
        .await?;
        tracing::info!(tenant = input.tenant.as_str(), channel = %id, outcome = outcome.outcome, "test alert sent");
        Ok(ok(&outcome))
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
