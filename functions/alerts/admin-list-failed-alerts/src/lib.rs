//! `GET /admin/alert_failures?tenant=acme` (admin bearer token) → `{"tenant","failures":[{
//! "alert_id","title","channel_id","channel","error","fell_back_to","at"}]}`, newest first (at
//! most 100, kept 30 days): each delivery that failed for good on a channel, why, and the
//! channel that took the alert instead (`null`: none was left); and `held`, the alerts waiting
//! for a down parent (`{"app","parent","alert_id","title","at"}`, see the routes'
//! `dependencies`).

use lambda_http::{Body, Error, Request, Response};
use lookout_alerts::{failures, held};
use lookout_http::{ok, respond_no_store, AdminCheck};

pub use lookout_alerts::AlertAdminDeps as Deps;

/// Lines listed.
const LIMIT: usize = 100;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond_no_store(async {
        deps.admin.check(&req)?;
        let tenant = lookout_http::tenant_query(&req)?;
        let failures = failures(&deps.store, &tenant, LIMIT).await?;
        let held = held(&deps.store, &tenant).await?;
        Ok(ok(&serde_json::json!({
            "tenant": tenant.as_str(),
            "failures": failures,
            "held": held,
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
