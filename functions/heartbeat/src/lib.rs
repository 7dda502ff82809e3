//! `POST /api/apps/ {"app_id": 23, "message": "OK:200"}` (API key) →
//! `{"status":"ok","app_id":23,"state":"up","received_at":…,"due_by":…}`.
//!
//! Unknown apps are registered with the default period and grace (the seed accepted any id).
//! A beat from a `down` app makes it `up` and mails the admin that it is back.

use lambda_http::{Body, Error, Request, Response};
use lookout_shared::{
    auth::ApiKeys,
    aws, config,
    heartbeat::{Clock, HeartbeatIn, HeartbeatStore},
    http::{ok, parse_json, respond},
    mail::AdminMail,
};

/// A heartbeat is tiny; anything bigger is not one.
pub const BODY_LIMIT: usize = 8 * 1024;

#[derive(Debug, Clone)]
pub struct Deps {
    pub keys: ApiKeys,
    pub store: HeartbeatStore,
    pub mail: AdminMail,
    pub clock: Clock,
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        let ddb = aws::dynamodb(&sdk);
        Ok(Self {
            keys: ApiKeys::from_env(ddb.clone())?,
            store: HeartbeatStore::from_env(ddb)?,
            mail: AdminMail::from_env(&sdk)?,
            clock: Clock::system(),
        })
    }
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let caller = deps.keys.authenticate(&req).await?;
        let input: HeartbeatIn = parse_json(&req, BODY_LIMIT)?;
        let beaten = deps
            .store
            .heartbeat(&caller.tenant, &input, deps.clock.now())
            .await?;
        if let Some(mail) = &beaten.mail {
            // The beat is recorded either way; an unsent mail is resent by the scanner.
            if let Err(err) = deps.store.deliver(&deps.mail, mail).await {
                tracing::error!(error = %lookout_shared::error::error_chain(&err), "recovery mail not sent yet");
            }
        }
        Ok(ok(&beaten.reply))
    })
    .await
}
