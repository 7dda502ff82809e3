//! `DELETE /admin/api_keys {"tenant","key_id"}` (admin bearer token) → 200 with the key as the
//! listing shows it (`"revoked": true`, `"revokedAt"`). The key is refused on every route at
//! once. Revoking it again answers the same; a key the tenant does not have is 404.

use lambda_http::{Body, Error, Request, Response};
use lookout_core::auth::Tenant;
use lookout_http::{ok, parse_json, respond, AdminCheck, AppError};
use serde::Deserialize;

/// The admin token's check, the API keys and the clock (shared by the three key routes).
pub use lookout_keys::KeyAdminDeps as Deps;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Revoke {
    tenant: Tenant,
    key_id: String,
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        deps.admin.check(&req)?;
        let input: Revoke = parse_json(&req, 4096)?;
        let id = input.key_id.trim();
        if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(AppError::validation(
                "key_id must be the keyId the key was issued with",
            ));
        }
        let view = deps
            .keys
            .revoke(&input.tenant, id, deps.clock.now())
            .await?;
        tracing::info!(
            tenant = input.tenant.as_str(),
            key_id = id,
            "API key revoked"
        );
        Ok(ok(&view))
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
