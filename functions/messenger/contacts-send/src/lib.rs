//! `PUT /api/contacts` (API key) with the seed's body
//! `{"user_name", "contact"|"contacts": [names], "message", "time": [Y,M,D,h,m,s]}` →
//! `{"success": true, "wrong_contacts": [], "sendId", "scheduled", "scheduledAt", "timeZone",
//! "deliveries"}`.
//!
//! Stores the send and one pending delivery per (contact, messenger), then puts one `fanout`
//! job on the messenger queue: at once when `time` is now, past or absent, otherwise through a
//! one-time EventBridge Scheduler schedule (`at(…)`, UTC, deleted after it fires). The
//! consumer (`messenger-deliver`) expands the fanout into one job per delivery.
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

use lambda_http::{Body, Error, Request, Response};
use lookout_core::{
    auth::ApiKeys,
    aws, config,
    error::error_chain,
    http::{body_bytes, ok, respond},
    quota::{QuotaExceeded, Quotas},
    time::{system_clock, SharedClock, Timestamp},
    AppError,
};
use lookout_messenger::broadcast::{
    env, queue_fanout, BroadcastStore, ContactName, DeliveryRecord, Dispatcher, IdempotencyKey,
    JobQueue, JobScheduler, KeyedSend, Reserved, ScheduleTarget, SendAccepted, SendId, SendMessage,
    SendRecord, WrongContact,
};
use std::sync::Arc;

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
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let caller = deps
            .keys
            .authenticate(&req, lookout_core::auth::Scope::Messenger)
            .await?;
        let key = IdempotencyKey::from_headers(req.headers())?;
        let input = SendMessage::from_json(body_bytes(&req))?;
        let now = deps.clock.now();
        let (contacts_read, sends_today) = tokio::join!(
            deps.store
                .get_contacts(&caller.tenant, &input.user_name, &input.names),
            deps.store.sends_today(&caller.tenant, now),
        );
        let (mut found, settings) = contacts_read?;
        let due = input.due(settings.time_zone)?;
        let missing: Vec<&str> = input
            .names
            .iter()
            .filter(|n| !found.contains_key(n.as_str()))
            .map(ContactName::as_str)
            .collect();
        if missing.len() == input.names.len() {
            return Err(AppError::NotFound(format!(
                "no such contact of user {:?}: {}; nothing was sent",
                input.user_name.as_str(),
                missing.join(", ")
            )));
        }
        let wrong_contacts: Vec<_> = missing
            .iter()
            .map(|name| WrongContact::unknown(name))
            .collect();
        let contacts: Vec<_> = input
            .names
            .iter()
            .filter_map(|n| found.remove(n.as_str()).map(|a| (n.clone(), a)))
            .collect();
        for (name, addresses) in &contacts {
            deps.reserved.check_addresses(name.as_str(), addresses)?;
        }
        let at = due.map_or(now, |(at, _)| at);
        if let Err(over) = check_quotas(&deps.quotas, sends_today?, at, now) {
            // A keyed request repeating an accepted send still gets its reply.
            let replay = match &key {
                Some(k) => deps
                    .store
                    .get_send(&SendId::for_key(&caller.tenant, k))
                    .await?
                    .is_some(),
                None => false,
            };
            if !replay {
                return Err(over);
            }
        }
        let (send_id, send, deliveries) = match &key {
            None => {
                let (id, send, deliveries) = deps
                    .store
                    .create_send(
                        &caller.tenant,
                        &input.user_name,
                        &contacts,
                        &input.message,
                        at,
                        now,
                    )
                    .await?;
                let n = deliveries.len();
                dispatch_or_undo(deps, &id, &send, &deliveries, at, now).await?;
                deps.store.count_send(&caller.tenant, now).await;
                (id, send, n)
            }
            Some(key) => {
                let id = SendId::for_key(&caller.tenant, key);
                match deps
                    .store
                    .create_send_once(
                        id,
                        &input.fingerprint(),
                        &caller.tenant,
                        &input.user_name,
                        &contacts,
                        &input.message,
                        at,
                        now,
                    )
                    .await?
                {
                    KeyedSend::Created(id, send, deliveries) => {
                        let n = deliveries.len();
                        dispatch_or_undo(deps, &id, &send, &deliveries, at, now).await?;
                        deps.store.count_send(&caller.tenant, now).await;
                        (id, send, n)
                    }
                    KeyedSend::Replay(id, send) => {
                        // Queue it again: the first request may have stored it and failed to
                        // queue it. A second fanout or schedule is harmless (deliveries are
                        // claimed once; a schedule's name is its client token).
                        queue_fanout(&*deps.queue, &*deps.scheduler, &id, send.scheduled_at, now)
                            .await?;
                        tracing::info!(send_id = id.as_str(), "idempotent replay");
                        // Counted again: the first attempt may have stored the send and failed
                        // before counting it, and a count may be high, never short.
                        deps.store.count_send(&caller.tenant, now).await;
                        let n = send.deliveries;
                        (id, send, n)
                    }
                }
            }
        };
        tracing::info!(
            tenant = caller.tenant.as_str(),
            send_id = send_id.as_str(),
            deliveries,
            scheduled = send.scheduled,
            "send accepted"
        );
        Ok(ok(&SendAccepted {
            success: wrong_contacts.is_empty(),
            wrong_contacts,
            send_id,
            scheduled: send.scheduled,
            scheduled_at: send.scheduled_at,
            time_zone: due.map(|(_, zone)| zone),
            deliveries,
        }))
    })
    .await
}

/// The tenant's quotas for a send due `at`: how far ahead it may be scheduled (429 until it
/// is near enough), and its sends of the UTC day (429 until midnight UTC).
fn check_quotas(
    quotas: &Quotas,
    sends_today: u64,
    at: Timestamp,
    now: Timestamp,
) -> Result<(), AppError> {
    let ahead_ms = i64::from(quotas.schedule_ahead_days) * 86_400_000;
    if let Some(limit) = now.plus_millis(ahead_ms) {
        if at > limit {
            let wait = (at.unix_seconds() - limit.unix_seconds()).max(1);
            return Err(AppError::TooManyRequests(QuotaExceeded::new(
                format!(
                    "a send may be scheduled at most {} days ahead; this one can be made in {wait} s",
                    quotas.schedule_ahead_days
                ),
                u64::try_from(wait).unwrap_or(u64::MAX),
            )));
        }
    }
    if sends_today >= u64::from(quotas.sends_per_day) {
        return Err(AppError::TooManyRequests(QuotaExceeded::daily(
            format!(
                "this tenant has made its {} sends for today (UTC)",
                quotas.sends_per_day
            ),
            now,
        )));
    }
    Ok(())
}

/// Queues a stored send (now, or by a one-time schedule at `at`). If that fails, the send is
/// not accepted: it is removed again before the 5xx, so a failed request leaves nothing.
async fn dispatch_or_undo(
    deps: &Deps,
    send_id: &SendId,
    send: &SendRecord,
    deliveries: &[DeliveryRecord],
    at: Timestamp,
    now: Timestamp,
) -> Result<(), AppError> {
    let dispatched = queue_fanout(&*deps.queue, &*deps.scheduler, send_id, at, now).await;
    if let Err(err) = dispatched {
        if let Err(undo) = deps.store.discard_send(send, deliveries).await {
            tracing::error!(send_id = send_id.as_str(), error = %error_chain(&undo),
                "could not remove an unqueued send; it is never delivered and expires with its TTL");
        }
        return Err(err.into());
    }
    Ok(())
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`messenger-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
