//! `POST /admin/heartbeat_apps` (admin bearer token):
//! `{"tenant","app_id","period_seconds"?,"grace_seconds"?,"action"?: "pause"|"resume"|"retire"}`.
//!
//! Without `action` it registers the app (201) or changes its settings (200); with one it
//! pauses, resumes or retires a registered app (404 otherwise). The reply is the app's status.

use lambda_http::{http::StatusCode, Body, Error, Request, Response};
use lookout_core::{
    auth::AdminAuth,
    aws, config,
    time::{system_clock, SharedClock},
};
use lookout_heartbeats::{AdminAppIn, HeartbeatStore};
use lookout_http::{json_response, parse_json, respond, AdminCheck};

#[derive(Debug, Clone)]
pub struct Deps {
    pub admin: AdminAuth,
    pub store: HeartbeatStore,
    pub clock: SharedClock,
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        Ok(Self {
            admin: AdminAuth::from_env()?,
            store: HeartbeatStore::from_env(aws::dynamodb(&sdk))?,
            clock: system_clock(),
        })
    }
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        deps.admin.check(&req)?;
        let input: AdminAppIn = parse_json(&req, 4096)?;
        let now = deps.clock.now();
        let (app, created) = lookout_heartbeats::update_app(&deps.store.apps, &input, now).await?;
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok(json_response(status, &app))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`heartbeats-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
