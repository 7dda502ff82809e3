//! `GET /admin/heartbeat_apps/output?tenant=acme&app_id=backup&output=<id>` (admin bearer token)
//! → `{"tenant","app_id","output","at","kind","run_id"?,"body"}`: the body a Healthchecks ping
//! carried (the run's output, its first 100,000 bytes as text), by the id the app's `outputs`
//! list gives. 404 for an unknown, expired (30 days) or other app's output.

use lambda_http::{Body, Error, Request, RequestExt, Response};
use lookout_core::{
    auth::{AdminAuth, Tenant},
    aws, config,
};
use lookout_heartbeats::{AppId, HeartbeatStore};
use lookout_http::{ok, respond_no_store, AdminCheck, AppError};
use serde::Serialize;

const PARAMS: [&str; 3] = ["tenant", "app_id", "output"];

#[derive(Debug, Clone)]
pub struct Deps {
    pub admin: AdminAuth,
    pub store: HeartbeatStore,
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        Ok(Self {
            admin: AdminAuth::from_env()?,
            store: HeartbeatStore::from_env(aws::dynamodb(&sdk))?,
        })
    }
}

#[derive(Debug, Serialize)]
struct OutputView {
    tenant: String,
    app_id: serde_json::Value,
    output: String,
    at: lookout_core::time::Timestamp,
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    run_id: Option<String>,
    body: String,
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond_no_store(async {
        deps.admin.check(&req)?;
        let params = req.query_string_parameters();
        for (name, _) in params.iter() {
            if !PARAMS.contains(&name) {
                return Err(AppError::validation(format!(
                    "unknown query parameter {name:?}; use {}",
                    PARAMS.join(", ")
                )));
            }
        }
        let required = |name: &str| {
            params
                .first(name)
                .ok_or_else(|| AppError::validation(format!("query parameter {name} is required")))
        };
        let tenant = Tenant::parse(required("tenant")?).map_err(AppError::validation)?;
        let app_id = AppId::parse_str(required("app_id")?).map_err(AppError::validation)?;
        let id = required("output")?;
        let found = lookout_heartbeats::ping_output(&deps.store.pings, &tenant, &app_id, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no output {id:?} of this app")))?;
        Ok(ok(&OutputView {
            tenant: found.tenant,
            app_id: app_id.to_json(),
            output: id.to_owned(),
            at: found.at,
            kind: found.kind,
            run_id: found.run_id,
            body: found.body,
        }))
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
