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
use lookout_core::{config::ConfigError, quota::Quotas, time::Timestamp};
use lookout_http::Authenticate;
use lookout_http::{body_bytes, ok, respond};
use lookout_keys::{ApiKeys, Scope};
use lookout_messenger::{save_contacts, BroadcastStore, CreateContacts, Reserved};

#[derive(Debug, Clone)]
pub struct Deps {
    pub keys: ApiKeys,
    pub store: BroadcastStore,
    /// The admin's chats, which no contact may have.
    pub reserved: Reserved,
}

impl Deps {
    /// The routes' [`lookout_messenger::Deps`], with the tenant's contact quota and the
    /// admin's chats.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let routes = lookout_messenger::Deps::from_env().await?;
        Ok(Self {
            keys: routes.keys,
            store: routes
                .store
                .with_max_contacts(Quotas::from_env()?.contacts_per_tenant),
            reserved: Reserved::from_env()?,
        })
    }
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let caller = deps.keys.authenticate(&req, Scope::Messenger).await?;
        let input = CreateContacts::from_json(body_bytes(&req))?;
        let saved = save_contacts(
            &deps.store.contacts,
            &deps.reserved,
            &caller.tenant,
            &input,
            Timestamp::now(),
        )
        .await?;
        Ok(ok(&saved))
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
