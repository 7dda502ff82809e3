//! `PUT /api/contacts` (API key) with the seed's body
//! `{"user_name", "contact"|"contacts": [names], "message", "time": [Y,M,D,h,m,s]}` →
//! `{"success": true, "sendId", "scheduled", "scheduledAt", "deliveries"}`.
//!
//! Stores the send and one pending delivery per (contact, messenger), then puts one `fanout`
//! job on the messenger queue: at once when `time` is now, past or absent, otherwise through a
//! one-time EventBridge Scheduler schedule (`at(…)`, UTC, deleted after it fires). The
//! consumer (`messenger-deliver`) expands the fanout into one job per delivery.
//!
//! Every named contact must exist (404 names the unknown ones; nothing is stored or queued).

use lambda_http::{Body, Error, Request, Response};
use lookout_shared::{
    auth::ApiKeys,
    aws,
    broadcast::{
        env, schedule_name, BroadcastStore, ContactName, Dispatcher, Job, ScheduleTarget,
        SendMessage,
    },
    config,
    heartbeat::Clock,
    http::{body_bytes, ok, respond},
    AppError,
};
use serde_json::json;

#[derive(Debug, Clone)]
pub struct Deps {
    pub keys: ApiKeys,
    pub store: BroadcastStore,
    pub dispatcher: Dispatcher,
    pub clock: Clock,
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        let ddb = aws::dynamodb(&sdk);
        Ok(Self {
            keys: ApiKeys::from_env(ddb.clone())?,
            store: BroadcastStore::from_env(ddb)?,
            dispatcher: Dispatcher::new(
                aws_sdk_sqs::Client::new(&sdk),
                config::required(env::MESSENGER_QUEUE_URL)?,
                Some((
                    aws_sdk_scheduler::Client::new(&sdk),
                    ScheduleTarget::from_env()?,
                )),
            ),
            clock: Clock::system(),
        })
    }
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let caller = deps.keys.authenticate(&req).await?;
        let input = SendMessage::from_json(body_bytes(&req))?;
        let mut found = deps
            .store
            .get_contacts(&caller.tenant, &input.user_name, &input.names)
            .await?;
        let missing: Vec<&str> = input
            .names
            .iter()
            .filter(|n| !found.contains_key(n.as_str()))
            .map(ContactName::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(AppError::NotFound(format!(
                "no such contact of user {:?}: {}; nothing was sent",
                input.user_name.as_str(),
                missing.join(", ")
            )));
        }
        let contacts: Vec<_> = input
            .names
            .iter()
            .filter_map(|n| found.remove(n.as_str()).map(|a| (n.clone(), a)))
            .collect();
        let now = deps.clock.now();
        let at = input.time.unwrap_or(now);
        let (send_id, send, deliveries) = deps
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
        let job = Job::Fanout {
            send_id: send_id.clone(),
        };
        if send.scheduled {
            deps.dispatcher
                .schedule(&schedule_name(&send_id), &job, at)
                .await?;
        } else {
            deps.dispatcher.enqueue(&job).await?;
        }
        tracing::info!(
            tenant = caller.tenant.as_str(),
            send_id = send_id.as_str(),
            deliveries = deliveries.len(),
            scheduled = send.scheduled,
            "send accepted"
        );
        Ok(ok(&json!({
            "success": true,
            "sendId": send_id,
            "scheduled": send.scheduled,
            "scheduledAt": send.scheduled_at,
            "deliveries": deliveries.len(),
        })))
    })
    .await
}
