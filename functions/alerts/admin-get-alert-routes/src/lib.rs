//! `GET /admin/alert_routes?tenant=acme` (admin bearer token) → `{"tenant","default":[channel
//! ids],"rules":[{"kind"?,"min_level"?,"app"?,"tag"?,"channels":[…]}],"dependencies",
//! "windows","quiet_hours"?,"upcoming":[{"window","start","end","app"?,"tag"?,"active"}]}`
//! (empty when none were set: the tenant's alerts then reach no channel of its own);
//! `upcoming` lists the windows' occurrences in the next 14 days (at most 50).

use lambda_http::{Body, Error, Request, Response};
use lookout_alerts::{routes, routes_view};
use lookout_http::{ok, respond_no_store, AdminCheck};

pub use lookout_alerts::AlertAdminDeps as Deps;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond_no_store(async {
        deps.admin.check(&req)?;
        let tenant = lookout_http::tenant_query(&req)?;
        let routes = routes(&deps.store, &tenant).await?;
        Ok(ok(&routes_view(&tenant, &routes, deps.clock.now())))
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
