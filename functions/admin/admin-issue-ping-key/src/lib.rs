//! `POST /admin/ping_keys {"tenant","label"?,"expires_at"?}` (admin bearer token) → 201
//! `{"pingKey","keyId","tenant","label","createdAt","scopes":["ping"],"pingUrl"}`: a tenant's
//! key for Healthchecks' slug ping URLs, `<api>/ping/<ping key>/<slug>` (`pingUrl` shows it with
//! `{slug}` to fill in), shown this once; only its SHA-256 is stored.
//!
//! A ping key is an API key with the `ping` scope alone: it pings (any of the tenant's apps by
//! its id as the slug, registering new ones with `?create=1`) and does nothing else, so it is
//! safe in a crontab. `GET /admin/api_keys?tenant=` lists it with the tenant's other keys,
//! `DELETE /admin/api_keys` revokes it.

use lambda_http::{http::StatusCode, Body, Error, Request, Response};
use lookout_core::{
    auth::{AdminAuth, Tenant},
    aws, config,
    time::{system_clock, SharedClock, Timestamp},
};
use lookout_http::{parse_json, public_origin, respond, secret_response, AdminCheck, AppError};
use lookout_keys::{ApiKeys, KeyTerms, Scope};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone)]
pub struct Deps {
    pub admin: AdminAuth,
    pub keys: ApiKeys,
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
            keys: ApiKeys::from_env(aws::dynamodb(&sdk))?,
            clock: system_clock(),
            public_url: config::optional(config::names::CONSOLE_URL),
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuePingKey {
    tenant: Tenant,
    #[serde(default = "default_label")]
    label: String,
    #[serde(default)]
    expires_at: Option<Timestamp>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct IssuedPingKey {
    ping_key: String,
    key_id: String,
    tenant: String,
    label: String,
    created_at: Timestamp,
    scopes: Vec<Scope>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<Timestamp>,
    ping_url: String,
}

const MAX_LABEL: usize = 128;

fn default_label() -> String {
    "ping key".to_owned()
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        deps.admin.check(&req)?;
        let input: IssuePingKey = parse_json(&req, 4096)?;
        let label = input.label;
        if label.chars().count() > MAX_LABEL || label.chars().any(char::is_control) {
            return Err(AppError::validation(format!(
                "label must be at most {MAX_LABEL} printable characters"
            )));
        }
        let terms = KeyTerms {
            scopes: vec![Scope::Ping],
            expires_at: input.expires_at,
        };
        let issued = deps
            .keys
            .issue_with(&input.tenant, &label, &terms, deps.clock.now())
            .await?;
        let origin = public_origin(&req, deps.public_url.as_deref());
        let ping_url = format!("{origin}/ping/{}/{{slug}}", issued.api_key);
        let reply = IssuedPingKey {
            ping_key: issued.api_key,
            key_id: issued.key_id,
            tenant: issued.tenant,
            label: issued.label,
            created_at: issued.created_at,
            scopes: issued.scopes,
            expires_at: issued.expires_at,
            ping_url,
        };
        Ok(secret_response(StatusCode::CREATED, &reply))
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
