//! `GET /admin/alert_routes?tenant=acme` (admin bearer token) → `{"tenant","default":[channel
//! ids],"rules":[{"kind"?,"min_level"?,"app"?,"tag"?,"channels":[…]}]}` (empty when none were
//! set: the tenant's alerts then reach no channel of its own).

use lambda_http::{Body, Error, Request, Response};
use lookout_alerts::routes;
use lookout_http::{ok, respond_no_store, AdminCheck};

pub use lookout_alerts::AlertAdminDeps as Deps;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond_no_store(async {
        deps.admin.check(&req)?;
        let tenant = lookout_http::tenant_query(&req)?;
        let routes = routes(&deps.store, &tenant).await?;
        Ok(ok(&serde_json::json!({
            "tenant": tenant.as_str(),
            "default": routes.default,
            "rules": routes.rules,
            "dependencies": routes.dependencies,
            "windows": routes.windows,
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
