//! `PUT /api/contacts` (API key) with the seed's body
//! `{"user_name", "contact"|"contacts": [names], "message", "time": [Y,M,D,h,m,s]}` →
//! `{"success": true, "wrong_contacts": [], "sendId", "scheduled", "scheduledAt", "timeZone",
//! "deliveries"}`.
//!
//! Stores the send and one pending delivery per (contact, messenger), then puts one `fanout`
//! job on the messenger queue: at once when `time` is now, past or absent, otherwise through a
//! one-time EventBridge Scheduler schedule (`at(…)`, UTC, deleted after it fires). The
//! consumer (`deliver-messages`) expands the fanout into one job per delivery.
//!
//! A send that cannot be queued is removed again before the 5xx, so a failed request leaves
//! nothing behind (if DynamoDB is unreachable by then too, the stored send is inert: nothing
//! ever queues it, and it expires with its TTL).
//!
//! With an `Idempotency-Key` header (1–255 visible ASCII characters), a retried request is
//! safe: the send's id is derived from (tenant, key), a repeat of the same request gets the same
//! reply (and the send is queued again, harmlessly, in case the first attempt could not queue
//! it), and the same key with a different request gets 409. Without the header every PUT is a
//! new send, as in the seed.
//!
//! As in the seed, names that are not contacts of the user do not stop the others: the known
//! ones are sent to and the reply is `"success": false` with `"wrong_contacts": [{"name",
//! "error": "no contact in base"}]` (an empty list when all were known). When none is known,
//! 404 names them and nothing is stored or queued.
//!
//! A wall-clock `time` (`[Y,M,D,h,m,s]` or a string without offset) is read in the request's
//! `time_zone`, else in the user's default zone (set with `POST /api/contacts`), else in UTC;
//! the reply's `timeZone` says which was used.
//!
//! A contact whose address is one of the admin's chats (`Reserved`, compared in canonical form)
//! is refused with 403 and nothing is stored or queued, as on create.
//!
//! Quotas (429 with `Retry-After`, nothing stored): a send due more than
//! `QUOTA_SCHEDULE_AHEAD_DAYS` ahead, or a tenant's send beyond `QUOTA_SENDS_PER_DAY` in one
//! UTC day. A keyed repeat of an accepted send is answered as before (and counted again, so
//! a send the first attempt stored but could not count is counted).
//!
//! This function parses the request and answers; what a send checks, stores and queues is the
//! domain's use case, `lookout_messenger::send` (`shared/messenger/src/send.rs`).

use std::sync::Arc;

use lambda_http::{Body, Error, Request, Response};
use lookout_core::{
    aws,
    config::{self, names as env},
    quota::Quotas,
    time::{system_clock, SharedClock},
};
use lookout_http::Authenticate;
use lookout_http::{body_bytes, ok, respond};
use lookout_keys::{ApiKeys, Scope};
use lookout_messenger::{
    send, BroadcastStore, Dispatcher, IdempotencyKey, JobQueue, JobScheduler, Reserved,
    ScheduleTarget, SendCommand, SendMessage, SendPorts,
};

#[derive(Debug, Clone)]
pub struct Deps {
    pub keys: ApiKeys,
    pub store: BroadcastStore,
    pub queue: Arc<dyn JobQueue>,
    pub scheduler: Arc<dyn JobScheduler>,
    pub clock: SharedClock,
    /// `sends_per_day` and `schedule_ahead_days` apply here.
    pub quotas: Quotas,
    /// The admin's chats: a contact stored with one of them (in any spelling, before the
    /// check on create existed or before the admin's chats changed) is never sent to.
    pub reserved: Reserved,
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        let ddb = aws::dynamodb(&sdk);
        let dispatcher = Arc::new(Dispatcher::new(
            aws_sdk_sqs::Client::new(&sdk),
            config::required(env::MESSENGER_QUEUE_URL)?,
            Some((
                aws_sdk_scheduler::Client::new(&sdk),
                ScheduleTarget::from_env()?,
            )),
        ));
        Ok(Self {
            keys: ApiKeys::from_env(ddb.clone())?,
            store: BroadcastStore::from_env(ddb)?,
            queue: dispatcher.clone(),
            scheduler: dispatcher,
            clock: system_clock(),
            quotas: Quotas::from_env()?,
            reserved: Reserved::from_env()?,
        })
    }

    /// What the send use case runs with.
    pub fn ports(&self) -> SendPorts<'_> {
        SendPorts {
            contacts: &self.store.contacts,
            sends: &self.store.sends,
            usage: &self.store.usage,
            queue: &*self.queue,
            scheduler: &*self.scheduler,
            quotas: &self.quotas,
            reserved: &self.reserved,
        }
    }
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let caller = deps.keys.authenticate(&req, Scope::Messenger).await?;
        let key = IdempotencyKey::from_header(
            req.headers()
                .get(IdempotencyKey::HEADER)
                .map(|v| v.as_bytes()),
        )?;
        let message = SendMessage::from_json(body_bytes(&req))?;
        let cmd = SendCommand {
            tenant: caller.tenant,
            key,
            message,
            now: deps.clock.now(),
        };
        Ok(ok(&send(&deps.ports(), cmd).await?))
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
