//! `GET /admin/heartbeat_apps?tenant=acme[&state=down][&limit=100][&next_token=…]` (admin bearer
//! token) → `{"tenant","apps":[{app_id,state,last_heartbeat,last_message,due_by,ping_url,…}],"next_token"?}`.

use lambda_http::{Body, Error, Request, RequestExt, Response};
use lookout_core::{auth::AdminAuth, aws, config};
use lookout_heartbeats::{HeartbeatStore, LazyBadgeKey, ListQuery};
use lookout_http::{ok, public_origin, respond_no_store, AdminCheck, AppError};

const PARAMS: [&str; 4] = ["tenant", "state", "limit", "next_token"];

#[derive(Debug, Clone)]
pub struct Deps {
    pub admin: AdminAuth,
    pub store: HeartbeatStore,
    /// Signs each app's public badge path.
    pub badge: LazyBadgeKey,
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
            badge: LazyBadgeKey::from_env(&sdk)?,
            public_url: config::optional(config::names::CONSOLE_URL),
        })
    }
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
        for name in PARAMS {
            if params.all(name).is_some_and(|v| v.len() > 1) {
                return Err(AppError::validation(format!(
                    "query parameter {name} given more than once"
                )));
            }
        }
        let query = ListQuery::parse(
            params.first("tenant"),
            params.first("state"),
            params.first("limit"),
            params.first("next_token"),
        )?;
        let badge = deps.badge.get().await.map_err(AppError::internal)?;
        let mut list = lookout_heartbeats::list_apps(&deps.store.apps, badge, &query).await?;
        let origin = public_origin(&req, deps.public_url.as_deref());
        list.apps = list.apps.into_iter().map(|a| a.at(&origin)).collect();
        Ok(ok(&list))
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
