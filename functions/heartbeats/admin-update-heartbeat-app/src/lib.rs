//! `POST /admin/heartbeat_apps` (admin bearer token):
//! `{"tenant","app_id","period_seconds"?,"grace_seconds"?,"action"?: "pause"|"resume"|"retire"}`.
//!
//! Without `action` it registers the app (201) or changes its settings (200); with one it
//! pauses, resumes or retires a registered app (404 otherwise). The reply is the app's status,
//! with its Healthchecks ping URL (`ping_url`: `<api>/ping/<uuid>`).

use lambda_http::{http::StatusCode, Body, Error, Request, Response};
use lookout_core::{
    auth::AdminAuth,
    aws, config,
    time::{system_clock, SharedClock},
};
use lookout_heartbeats::{AdminAppIn, HeartbeatStore};
use lookout_http::{json_response, parse_json, public_origin, respond, AdminCheck};

#[derive(Debug, Clone)]
pub struct Deps {
    pub admin: AdminAuth,
    pub store: HeartbeatStore,
    pub clock: SharedClock,
    /// The public URL (`CONSOLE_URL`) whose host the ping URLs name; the request's host when
    /// unset.
    pub public_url: Option<String>,
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        Ok(Self {
            admin: AdminAuth::from_env()?,
            store: HeartbeatStore::from_env(aws::dynamodb(&sdk))?,
            clock: system_clock(),
            public_url: config::optional(config::names::CONSOLE_URL),
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
        let origin = public_origin(&req, deps.public_url.as_deref());
        Ok(json_response(status, &app.at(&origin)))
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
