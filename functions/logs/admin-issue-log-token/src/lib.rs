//! `POST /admin/log_users` (admin bearer token):
//! - `{"user":"name"}` creates a log user → 201 `{"user","token","x_user_token","rotated":false}`
//!   (409 if it exists),
//! - `{"user":"name","rotate":true}` replaces its token → 200 (404 if it does not exist).
//!
//! The token is shown once. Clients send `x_user_token` (md5 hex of the token) as
//! `X-User-Token`; the server keeps only the SHA-256 of that.

use lambda_http::{http::StatusCode, Body, Error, Request, Response};
use lookout_core::{auth::AdminAuth, aws, config};
use lookout_http::{parse_json, respond, secret_response, AdminCheck};
use lookout_logs::{LogStore, UserName};
use serde::Deserialize;

#[derive(Debug, Clone)]
pub struct Deps {
    pub admin: AdminAuth,
    pub store: LogStore,
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        Ok(Self {
            admin: AdminAuth::from_env()?,
            store: LogStore::from_env(aws::dynamodb(&sdk))?,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    user: UserName,
    #[serde(default)]
    rotate: bool,
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        deps.admin.check(&req)?;
        let input: Input = parse_json(&req, 4096)?;
        let issued =
            lookout_logs::issue_token(&deps.store.users, &input.user, input.rotate).await?;
        let status = if input.rotate {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
        Ok(secret_response(status, &issued))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`logs-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
