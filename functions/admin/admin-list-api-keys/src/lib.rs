//! `GET /admin/api_keys?tenant=acme` (admin bearer token) → `{"tenant","keys":[{"keyId","label",
//! "createdAt","scopes","expiresAt","lastUsedAt","revoked","revokedAt","active"}]}`, newest
//! first: every key of the tenant, never its secret or hash. `lastUsedAt` is exact to the hour.

use lambda_http::{Body, Error, Request, RequestExt, Response};
use lookout_core::auth::Tenant;
use lookout_http::{ok, respond_no_store, AdminCheck, AppError};
use lookout_keys::KeyView;
use serde::Serialize;

/// The admin token's check, the API keys and the clock (shared by the three key routes).
pub use lookout_keys::KeyAdminDeps as Deps;

/// The reply.
#[derive(Debug, Serialize)]
pub struct KeyList {
    pub tenant: String,
    pub keys: Vec<KeyView>,
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond_no_store(async {
        deps.admin.check(&req)?;
        let params = req.query_string_parameters();
        if let Some((name, _)) = params.iter().find(|(n, _)| *n != "tenant") {
            return Err(AppError::validation(format!(
                "unknown query parameter {name:?}; known: tenant"
            )));
        }
        let tenant = params
            .first("tenant")
            .ok_or_else(|| AppError::validation("tenant is required"))
            .and_then(|t| Tenant::parse(t.trim()).map_err(AppError::Validation))?;
        let keys = deps.keys.list(&tenant, deps.clock.now()).await?;
        Ok(ok(&KeyList {
            tenant: tenant.as_str().to_owned(),
            keys,
        }))
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
