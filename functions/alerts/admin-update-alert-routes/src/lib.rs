//! `PUT /admin/alert_routes {"tenant","default":[channel ids],"rules":[{"kind"?,"min_level"?,
//! "app"?,"tag"?,"channels":[…]}]}` (admin bearer token) → 200 with the routes stored. Rules
//! are tried in order, the first that matches names the chain (its first channel gets the
//! alert, the next ones are fallbacks), else `default` does. Every channel named must be one
//! of the tenant's (404 otherwise); at most 20 rules, 1 to 5 channels per chain. Also the
//! tenant's `dependencies`, maintenance `windows` and `quiet_hours` (`{"start":"22:00",
//! "end":"07:00","tz":"Europe/Berlin"}`: alerts below critical wait for a digest at `end`).
//! The answer is `GET /admin/alert_routes`'s.

use lambda_http::{Body, Error, Request, Response};
use lookout_alerts::{put_routes, routes_view, Routes, Rule};
use lookout_core::auth::Tenant;
use lookout_http::{ok, parse_json, respond, AdminCheck};
use serde::Deserialize;

pub use lookout_alerts::AlertAdminDeps as Deps;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Put {
    tenant: Tenant,
    #[serde(default)]
    default: Vec<lookout_alerts::ChannelId>,
    #[serde(default)]
    rules: Vec<Rule>,
    #[serde(default)]
    dependencies: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(default)]
    windows: Vec<lookout_alerts::Window>,
    #[serde(default)]
    quiet_hours: Option<lookout_alerts::QuietHours>,
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        deps.admin.check(&req)?;
        let input: Put = parse_json(&req, 65_536)?;
        let routes = Routes {
            default: input.default,
            rules: input.rules,
            dependencies: input.dependencies,
            windows: input.windows,
            quiet_hours: input.quiet_hours,
        };
        put_routes(&deps.store, &input.tenant, &routes, deps.clock.now()).await?;
        tracing::info!(
            tenant = input.tenant.as_str(),
            rules = routes.rules.len(),
            "alert routes replaced"
        );
        Ok(ok(&routes_view(&input.tenant, &routes, deps.clock.now())))
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
