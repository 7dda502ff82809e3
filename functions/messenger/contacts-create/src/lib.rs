//! `POST /api/contacts` (API key) with the seed's body
//! `{"user_name", "contact": {"name", "messangers": {"telegram", "whatsApp", "viber"}}}`
//! (or `"contacts": [...]` for several) → `{"success": true}`.
//!
//! `"time_zone": "Europe/Moscow"` (an IANA name; with or without contacts) sets the user's
//! default zone: later sends read a wall-clock `time` in it. The reply then echoes
//! `"time_zone"`.
//!
//! Creates the contacts of `user_name` within the caller's tenant, or replaces contacts of the
//! same name (a retried request writes the same items). Each contact needs at least one
//! address; `""` or `null` leave a messenger unset. An address of the admin's own chats
//! (`ADMIN_ALERT_CONTACTS`, `TELEGRAM_ADMIN_CHAT_ID`) is refused with 403 and nothing is stored.
//! New contacts past the tenant's quota (`QUOTA_CONTACTS_PER_TENANT`) get 429 with
//! `Retry-After` and nothing is stored.

use lambda_http::{Body, Error, Request, Response};
use lookout_core::{
    auth::ApiKeys,
    aws,
    config::ConfigError,
    http::{body_bytes, ok, respond},
    time::Timestamp,
};
use lookout_messenger::broadcast::{BroadcastStore, ContactsSaved, CreateContacts, Reserved};

#[derive(Debug, Clone)]
pub struct Deps {
    pub keys: ApiKeys,
    pub store: BroadcastStore,
    /// The admin's chats, which no contact may have.
    pub reserved: Reserved,
}

impl Deps {
    pub async fn from_env() -> Result<Self, ConfigError> {
        let sdk = aws::sdk_config().await;
        let ddb = aws::dynamodb(&sdk);
        Ok(Self {
            keys: ApiKeys::from_env(ddb.clone())?,
            store: BroadcastStore::from_env(ddb)?
                .with_max_contacts(lookout_core::quota::Quotas::from_env()?.contacts_per_tenant),
            reserved: Reserved::from_env()?,
        })
    }
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let caller = deps
            .keys
            .authenticate(&req, lookout_core::auth::Scope::Messenger)
            .await?;
        let input = CreateContacts::from_json(body_bytes(&req))?;
        deps.reserved.check(&input.contacts)?;
        deps.store
            .put_contacts(
                &caller.tenant,
                &input.user_name,
                &input.contacts,
                input.time_zone,
                Timestamp::now(),
            )
            .await?;
        tracing::info!(
            tenant = caller.tenant.as_str(),
            contacts = input.contacts.len(),
            time_zone = input.time_zone.map(|z| z.name()),
            "contacts saved"
        );
        Ok(ok(&ContactsSaved {
            success: true,
            time_zone: input.time_zone,
        }))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`messenger-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
