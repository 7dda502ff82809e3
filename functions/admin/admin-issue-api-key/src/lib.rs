//! `POST /admin/api_keys {"tenant","label","scopes"?,"expires_at"?}` (admin bearer token) →
//! 201 with the new key, shown this once; only its SHA-256 is stored.
//!
//! `scopes` (any of `heartbeats`, `messenger`, `tracker`; all when absent) limits the routes
//! the key may call, so a heartbeat-only key is safe to paste into a cron job. `expires_at`
//! (any accepted timestamp, at most ten years ahead) ends it. `GET /admin/api_keys?tenant=`
//! lists a tenant's keys, `DELETE /admin/api_keys` revokes one.

use lambda_http::{http::StatusCode, Body, Error, Request, Response};
use lookout_core::{auth::Tenant, time::Timestamp};
use lookout_http::{parse_json, respond, secret_response, AdminCheck, AppError};
use lookout_keys::{KeyTerms, Scope};
use serde::Deserialize;

/// The admin token's check, the API keys and the clock (shared by the three key routes).
pub use lookout_keys::KeyAdminDeps as Deps;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueKey {
    tenant: Tenant,
    #[serde(default)]
    label: String,
    #[serde(default)]
    scopes: Vec<Scope>,
    #[serde(default)]
    expires_at: Option<Timestamp>,
}

const MAX_LABEL: usize = 128;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        deps.admin.check(&req)?;
        let input: IssueKey = parse_json(&req, 4096)?;
        if input.label.chars().count() > MAX_LABEL || input.label.chars().any(char::is_control) {
            return Err(AppError::validation(format!(
                "label must be at most {MAX_LABEL} printable characters"
            )));
        }
        let terms = KeyTerms {
            scopes: input.scopes,
            expires_at: input.expires_at,
        };
        let issued = deps
            .keys
            .issue_with(&input.tenant, &input.label, &terms, deps.clock.now())
            .await?;
        Ok(secret_response(StatusCode::CREATED, &issued))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`admin-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
