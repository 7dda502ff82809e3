//! Admin scenarios: API keys, the overview, and the console and OpenAPI pages.

use anyhow::{Context, Result};
use serde_json::json;

use super::call::Call;
use super::fixture::{Fixture, Http};
use super::TENANT;

/// The call for an admin or console function, `None` for any other.
pub(super) async fn call(fx: &Fixture, http: &Http<'_>, binary: &str) -> Result<Option<Call>> {
    let call = match binary {
        "admin-issue-api-key" => http.call(
            fx.admin(),
            vec![],
            Some(json!({"tenant": TENANT, "label": "bench"})),
            201,
        ),
        "serve-console" => http.call(vec![], vec![], None, 200),
        "serve-openapi" => http.call(vec![], vec![], None, 200),
        "admin-get-overview" => http.call(fx.admin(), vec![], None, 200),
        "admin-list-api-keys" => http.call(fx.admin(), vec![("tenant", TENANT)], None, 200),
        "admin-revoke-api-key" => {
            let issued = fx
                .keys
                .issue(&fx.tenant, "to revoke")
                .await
                .context("issuing a key to revoke")?;
            http.call(
                fx.admin(),
                vec![],
                Some(json!({"tenant": TENANT, "key_id": issued.key_id})),
                200,
            )
        }
        _ => return Ok(None),
    };
    call.map(Some)
}
