//! The queue's jobs ([`Job`]), run by the messenger queue's consumer (`messenger-deliver`):
//!
//! - `fanout {sendId}`: one `deliver` job per pending delivery of the send ([`fanout`]).
//! - `alert {alertId, text}`: an admin alert becomes a send to the admin's addresses, keyed by
//!   the alert id so a repeated alert is one send, and is fanned out ([`alert`]).
//! - `deliver {deliveryId}`: one (contact, messenger) message, at most once ([`deliver`]): the
//!   delivery is claimed (`pending → sending`, a conditional write), sent through the messenger
//!   port, and its outcome recorded as the [`RetryPolicy`] says:
//!   - accepted → `sent`;
//!   - transient failure (network, 429, 5xx, Viber `tooManyRequests`) with attempts left →
//!     back to `pending`, and the job comes back after an exponential backoff;
//!   - permanent failure, or the last attempt failed → `failed`, in the failed list.
//!
//! A delivery of a tenant's send to one of the admin's chats (any spelling, see [`Reserved`])
//! is recorded as failed and never sent. A job of a delivery already `sent` or `failed` is done
//! without sending: a messenger never gets the same delivery twice.

use std::time::Duration;

use lookout_core::auth::{sha256_hex, Tenant};
use lookout_core::error::error_chain;
use lookout_core::time::{Clock, Timestamp};

use crate::address::Addresses;
use crate::dispatch::JobQueue;
use crate::error::BroadcastError;
use crate::ids::{DeliveryId, IdempotencyKey, Job, SendId, ALERTS_TENANT};
use crate::input::{ContactName, UserName};
use crate::outbound::port::MessengerApi;
use crate::records::{DeliveryRecord, SendRecord, Status};
use crate::reserved::Reserved;
use crate::retry::{RetryPolicy, Step};
use crate::store::deliveries::{Claim, Deliveries};
use crate::store::sends::{KeyedSend, Sends};

/// What the consumer's jobs read, write and emit through.
#[derive(Debug, Clone, Copy)]
pub struct JobPorts<'a> {
    /// Sends (read; an alert's written) and their deliveries (listed by fanout).
    pub sends: &'a dyn Sends,
    /// Each delivery's state machine.
    pub deliveries: &'a dyn Deliveries,
    /// Where fanout puts the `deliver` jobs.
    pub queue: &'a dyn JobQueue,
    pub messenger: &'a dyn MessengerApi,
    pub policy: &'a RetryPolicy,
    /// The admin's messenger addresses for alerts; `None`: alerts are done unsent.
    pub alert_to: Option<&'a Addresses>,
    /// The admin's chats (every spelling): only the alerts' own sends reach them.
    pub reserved: &'a Reserved,
    pub clock: &'a dyn Clock,
}

/// What becomes of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    /// Done (or nothing left to do): acknowledge.
    Ack,
    /// Run it again: after the given delay, or after the queue's visibility timeout when
    /// `None` (a delay of zero: at once, toward the dead-letter queue).
    Retry(Option<Duration>),
}

/// Runs `job`, received for the `receives`-th time.
pub async fn run_job(
    ports: &JobPorts<'_>,
    job: &Job,
    receives: u32,
) -> Result<JobOutcome, BroadcastError> {
    match job {
        Job::Fanout { send_id } => fanout(ports, send_id).await,
        Job::Deliver { delivery_id } => deliver(ports, delivery_id, receives).await,
        Job::Alert { alert_id, text } => alert(ports, alert_id, text).await,
    }
}

/// Enqueues one `deliver` job per pending delivery of the send. Run again (a redelivered
/// fanout), it enqueues the still pending ones again: harmless, deliveries are idempotent.
pub(crate) async fn fanout(
    ports: &JobPorts<'_>,
    send_id: &SendId,
) -> Result<JobOutcome, BroadcastError> {
    let deliveries = ports.sends.deliveries(send_id).await?;
    if deliveries.is_empty() && ports.sends.get(send_id).await?.is_none() {
        tracing::error!(
            send_id = send_id.as_str(),
            "fanout of an unknown send: left for the dead-letter queue"
        );
        return Ok(JobOutcome::Retry(Some(Duration::ZERO)));
    }
    let jobs = deliveries
        .iter()
        .filter(|d| d.status == Status::Pending)
        .map(|d| d.id().map(|delivery_id| Job::Deliver { delivery_id }))
        .collect::<Result<Vec<_>, _>>()?;
    ports.queue.enqueue_all(&jobs).await?;
    tracing::info!(
        send_id = send_id.as_str(),
        deliveries = deliveries.len(),
        enqueued = jobs.len(),
        "send fanned out"
    );
    Ok(JobOutcome::Ack)
}

/// Turns an admin alert into a send to the admin's addresses (keyed by the alert id, so a
/// repeated alert is one send) and fans it out: the deliveries then go like any broadcast's,
/// with retries and the failed list.
pub(crate) async fn alert(
    ports: &JobPorts<'_>,
    alert_id: &str,
    text: &str,
) -> Result<JobOutcome, BroadcastError> {
    let Some(to) = ports.alert_to else {
        tracing::info!(alert_id, "alert not sent: no ADMIN_ALERT_CONTACTS");
        return Ok(JobOutcome::Ack);
    };
    let tenant = Tenant::parse(ALERTS_TENANT).map_err(BroadcastError::fault)?;
    let key = match IdempotencyKey::parse(alert_id) {
        Ok(k) => k,
        Err(err) => {
            tracing::error!(alert_id, error = %err, "bad alert id: left for the dead-letter queue");
            return Ok(JobOutcome::Retry(Some(Duration::ZERO)));
        }
    };
    let send_id = SendId::for_key(&tenant, &key);
    let user = UserName::parse("lookout").map_err(BroadcastError::fault)?;
    let contact = ContactName::parse("admin").map_err(BroadcastError::fault)?;
    let now = ports.clock.now();
    let created = ports
        .sends
        .create_once(
            send_id.clone(),
            &sha256_hex(text.as_bytes()),
            &tenant,
            &user,
            &[(contact, to.clone())],
            text,
            now,
            now,
        )
        .await?;
    if let KeyedSend::Created(..) = created {
        tracing::info!(alert_id, send_id = send_id.as_str(), "alert send created");
    }
    fanout(ports, &send_id).await
}

/// Delivers one (contact, messenger) message at most once, on the job's `receives`-th receive.
pub async fn deliver(
    ports: &JobPorts<'_>,
    id: &DeliveryId,
    receives: u32,
) -> Result<JobOutcome, BroadcastError> {
    let delivery_id = id.to_string();
    let now = ports.clock.now();
    let claimed = match ports.deliveries.claim(id, now, ports.policy.lease).await? {
        Claim::Claimed(d) => d,
        Claim::Done(status) => {
            tracing::info!(
                delivery_id,
                receives,
                status = status.as_str(),
                "duplicate job: already done"
            );
            return Ok(JobOutcome::Ack);
        }
        Claim::Busy(until) => {
            // Another consumer holds the attempt: look again when its lease ends.
            tracing::info!(delivery_id, receives, %until, "delivery busy elsewhere; retried later");
            return Ok(JobOutcome::Retry(Some(wait_until(until, now))));
        }
        Claim::Interrupted(d) => {
            tracing::warn!(delivery_id, messenger = %d.messenger, "an earlier attempt was interrupted; recorded as failed, not resent");
            return Ok(JobOutcome::Ack);
        }
        Claim::Missing => {
            tracing::error!(
                delivery_id,
                "job for an unknown delivery: left for the dead-letter queue"
            );
            return Ok(JobOutcome::Retry(Some(Duration::ZERO)));
        }
    };
    let kind = claimed.messenger;
    let url = ports.messenger.endpoint(kind).await;
    let Some(send) = read_send_or_give_back(ports, id, &claimed, &delivery_id).await? else {
        ports
            .deliveries
            .mark_failed(
                &claimed,
                ports.clock.now(),
                "the send record is missing",
                url.as_deref(),
                "",
            )
            .await?;
        return Ok(JobOutcome::Ack);
    };
    if send.tenant != ALERTS_TENANT && ports.reserved.holds(kind, &claimed.address) {
        // The last check before a tenant's message leaves: the admin's chats get alerts only.
        ports
            .deliveries
            .mark_failed(
                &claimed,
                ports.clock.now(),
                "refused: this address is the admin's; a tenant's message is never sent to it",
                url.as_deref(),
                &send.message,
            )
            .await?;
        tracing::warn!(delivery_id, messenger = %kind, tenant = send.tenant.as_str(), "a tenant's message to an admin address: refused");
        return Ok(JobOutcome::Ack);
    }

    let result = ports
        .messenger
        .send(kind, &claimed.address, &send.message)
        .await;
    let now = ports.clock.now();
    match ports
        .policy
        .step_on_receive(claimed.attempts, receives, result)
    {
        Step::Sent { provider_id } => {
            let recorded = ports
                .deliveries
                .mark_sent(&claimed, now, provider_id.as_deref())
                .await?;
            if !recorded {
                tracing::warn!(delivery_id, "sent, but the delivery had moved on meanwhile");
            }
            tracing::info!(delivery_id, messenger = %kind, attempt = claimed.attempts, "delivered");
            Ok(JobOutcome::Ack)
        }
        Step::Retry { after, error } => {
            record_retry(ports, &claimed, now, &delivery_id, &error).await?;
            tracing::warn!(delivery_id, messenger = %kind, attempt = claimed.attempts, %error, retry_in = ?after, "delivery failed; will retry");
            Ok(JobOutcome::Retry(Some(after)))
        }
        Step::Failed { reason } => {
            ports
                .deliveries
                .mark_failed(&claimed, now, &reason, url.as_deref(), &send.message)
                .await?;
            tracing::warn!(delivery_id, messenger = %kind, attempt = claimed.attempts, error = %reason, "delivery failed for good");
            Ok(JobOutcome::Ack)
        }
    }
}

/// From `now` to a second past `until` (a busy delivery's lease end).
fn wait_until(until: Timestamp, now: Timestamp) -> Duration {
    (until.datetime() - now.datetime())
        .to_std()
        .unwrap_or_default()
        + Duration::from_secs(1)
}

/// The claimed delivery's send (`None` if it is gone). Nothing is sent yet: a failure to read
/// it gives the attempt back (`sending → pending`), so the next receive sends it, instead of
/// finding an expired lease and recording it as interrupted.
async fn read_send_or_give_back(
    ports: &JobPorts<'_>,
    id: &DeliveryId,
    claimed: &DeliveryRecord,
    delivery_id: &str,
) -> Result<Option<SendRecord>, BroadcastError> {
    let err = match ports.sends.get(&id.send).await {
        Ok(send) => return Ok(send),
        Err(err) => err,
    };
    match ports.deliveries.release(claimed, ports.clock.now()).await {
        Ok(_) => {
            tracing::warn!(delivery_id, error = %error_chain(&err), "could not read the send; attempt given back")
        }
        Err(undo) => {
            tracing::error!(delivery_id, error = %error_chain(&err), release = %error_chain(&undo),
            "could not read the send nor give the attempt back; it is recorded as interrupted when its lease ends")
        }
    }
    Err(err)
}

/// Records a transient failure (`sending → pending`). Recorded, or the next receive would find
/// the attempt `sending` past its lease and record it as interrupted (failed) although it is
/// known not to have arrived: a failed write is tried again at once, a few times.
async fn record_retry(
    ports: &JobPorts<'_>,
    claimed: &DeliveryRecord,
    now: Timestamp,
    delivery_id: &str,
    error: &str,
) -> Result<(), BroadcastError> {
    let mut tries = 0;
    loop {
        tries += 1;
        match ports.deliveries.mark_retry(claimed, now, error).await {
            Ok(_) => return Ok(()),
            Err(err) if tries < 3 => {
                tracing::warn!(delivery_id, error = %error_chain(&err), "retry not recorded; trying again");
                tokio::time::sleep(Duration::from_millis(100 << tries)).await;
            }
            Err(err) => return Err(err),
        }
    }
}
