//! The send use case (`PUT /api/contacts`): a message to some of a user's contacts, now or at a
//! time.
//!
//! Top to bottom: the named contacts and the tenant's sends of the day are read; names that are
//! not contacts are reported (all of them unknown: [`BroadcastError::NoSuchContacts`], nothing
//! stored); a contact with one of the admin's addresses refuses the whole send; the quotas
//! (how far ahead, how many a day) are checked; then the send and one pending delivery per
//! (contact, messenger) are stored, and one `fanout` job is queued: at once, with a message
//! timer, or by a one-time schedule ([`queue_fanout`]). A send that cannot be queued is removed
//! again before the error, so a failed request leaves nothing behind. The accepted send is
//! counted for the daily quota.
//!
//! Under an `Idempotency-Key` the send's id comes from (tenant, key): a repeat of the same
//! request gets the same answer (and queues the send again, harmlessly, in case the first
//! attempt could not), the same key with another request is [`BroadcastError::KeyReused`], and
//! a repeat is answered even over the quotas.

use lookout_core::auth::Tenant;
use lookout_core::error::error_chain;
use lookout_core::quota::{QuotaExceeded, Quotas};
use lookout_core::time::Timestamp;

use crate::address::Addresses;
use crate::dispatch::{queue_fanout, JobQueue, JobScheduler};
use crate::error::BroadcastError;
use crate::ids::{IdempotencyKey, SendId};
use crate::input::{ContactName, SendMessage};
use crate::records::{DeliveryRecord, SendRecord};
use crate::replies::{SendAccepted, WrongContact};
use crate::reserved::Reserved;
use crate::store::contacts::Contacts;
use crate::store::sends::{KeyedSend, Sends};
use crate::store::usage::UsageCounts;

/// What a send reads, writes and emits through.
#[derive(Debug, Clone, Copy)]
pub struct SendPorts<'a> {
    /// The named contacts and the user's default zone (read).
    pub contacts: &'a dyn Contacts,
    /// The send and its deliveries (written; removed again if it cannot be queued).
    pub sends: &'a dyn Sends,
    /// The tenant's daily send count (read, then counted).
    pub usage: &'a dyn UsageCounts,
    pub queue: &'a dyn JobQueue,
    pub scheduler: &'a dyn JobScheduler,
    /// `sends_per_day` and `schedule_ahead_days` apply here.
    pub quotas: &'a Quotas,
    /// The admin's chats: a contact stored with one of them (in any spelling, before the check
    /// on create existed or before the admin's chats changed) is never sent to.
    pub reserved: &'a Reserved,
}

/// A tenant's send, as asked.
#[derive(Debug, Clone)]
pub struct SendCommand {
    pub tenant: Tenant,
    /// The request's `Idempotency-Key`, if it sent one.
    pub key: Option<IdempotencyKey>,
    pub message: SendMessage,
    pub now: Timestamp,
}

/// Sends `cmd.message` to the named contacts now or at its time; see the module's opening.
pub async fn send(ports: &SendPorts<'_>, cmd: SendCommand) -> Result<SendAccepted, BroadcastError> {
    let (tenant, input, now) = (&cmd.tenant, &cmd.message, cmd.now);
    let (contacts_read, sends_today) = tokio::join!(
        ports.contacts.get(tenant, &input.user_name, &input.names),
        ports.usage.sends_today(tenant, now),
    );
    let (mut found, settings) = contacts_read?;
    let due = input.due(settings.time_zone)?;

    // The names that are contacts, in the order given; the others are reported.
    let missing: Vec<&str> = input
        .names
        .iter()
        .filter(|n| !found.contains_key(n.as_str()))
        .map(ContactName::as_str)
        .collect();
    if missing.len() == input.names.len() {
        return Err(BroadcastError::NoSuchContacts {
            user: input.user_name.as_str().to_owned(),
            names: missing.iter().map(|n| (*n).to_owned()).collect(),
        });
    }
    let wrong_contacts: Vec<_> = missing
        .iter()
        .map(|name| WrongContact::unknown(name))
        .collect();
    let contacts: Vec<(ContactName, Addresses)> = input
        .names
        .iter()
        .filter_map(|n| found.remove(n.as_str()).map(|a| (n.clone(), a)))
        .collect();
    for (name, addresses) in &contacts {
        ports.reserved.check_addresses(name.as_str(), addresses)?;
    }

    let at = due.map_or(now, |(at, _)| at);
    if let Err(over) = check_quotas(ports.quotas, sends_today?, at, now) {
        // A keyed request repeating an accepted send still gets its reply.
        let replay = match &cmd.key {
            Some(k) => ports
                .sends
                .get(&SendId::for_key(tenant, k))
                .await?
                .is_some(),
            None => false,
        };
        if !replay {
            return Err(over);
        }
    }

    let (send_id, send, deliveries) = match &cmd.key {
        None => {
            let (id, send, deliveries) = ports
                .sends
                .create_new(tenant, &input.user_name, &contacts, &input.message, at, now)
                .await?;
            dispatch_or_undo(ports, &id, &send, &deliveries, at, now).await?;
            ports.usage.count_send(tenant, now).await;
            (id, send, deliveries.len())
        }
        Some(key) => {
            let id = SendId::for_key(tenant, key);
            let created = ports
                .sends
                .create_once(
                    id,
                    &input.fingerprint(),
                    tenant,
                    &input.user_name,
                    &contacts,
                    &input.message,
                    at,
                    now,
                )
                .await?;
            match created {
                KeyedSend::Created(id, send, deliveries) => {
                    dispatch_or_undo(ports, &id, &send, &deliveries, at, now).await?;
                    ports.usage.count_send(tenant, now).await;
                    (id, send, deliveries.len())
                }
                KeyedSend::Replay(id, send) => {
                    // Queue it again: the first request may have stored it and failed to
                    // queue it. A second fanout or schedule is harmless (deliveries are
                    // claimed once; a schedule's name is its client token).
                    queue_fanout(ports.queue, ports.scheduler, &id, send.scheduled_at, now).await?;
                    tracing::info!(send_id = id.as_str(), "idempotent replay");
                    // Counted again: the first attempt may have stored the send and failed
                    // before counting it, and a count may be high, never short.
                    ports.usage.count_send(tenant, now).await;
                    let n = send.deliveries;
                    (id, send, n)
                }
            }
        }
    };
    tracing::info!(
        tenant = tenant.as_str(),
        send_id = send_id.as_str(),
        deliveries,
        scheduled = send.scheduled,
        "send accepted"
    );
    Ok(SendAccepted {
        success: wrong_contacts.is_empty(),
        wrong_contacts,
        send_id,
        scheduled: send.scheduled,
        scheduled_at: send.scheduled_at,
        time_zone: due.map(|(_, zone)| zone),
        deliveries,
    })
}

/// The tenant's quotas for a send due `at`: how far ahead it may be scheduled (over it until
/// it is near enough), and its sends of the UTC day (over them until midnight UTC).
fn check_quotas(
    quotas: &Quotas,
    sends_today: u64,
    at: Timestamp,
    now: Timestamp,
) -> Result<(), BroadcastError> {
    let ahead_ms = i64::from(quotas.schedule_ahead_days) * 86_400_000;
    if let Some(limit) = now.plus_millis(ahead_ms) {
        if at > limit {
            let wait = (at.unix_seconds() - limit.unix_seconds()).max(1);
            return Err(BroadcastError::Quota(QuotaExceeded::new(
                format!(
                    "a send may be scheduled at most {} days ahead; this one can be made in {wait} s",
                    quotas.schedule_ahead_days
                ),
                u64::try_from(wait).unwrap_or(u64::MAX),
            )));
        }
    }
    if sends_today >= u64::from(quotas.sends_per_day) {
        return Err(BroadcastError::Quota(QuotaExceeded::daily(
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
/// not accepted: it is removed again before the error, so a failed request leaves nothing.
async fn dispatch_or_undo(
    ports: &SendPorts<'_>,
    send_id: &SendId,
    send: &SendRecord,
    deliveries: &[DeliveryRecord],
    at: Timestamp,
    now: Timestamp,
) -> Result<(), BroadcastError> {
    let dispatched = queue_fanout(ports.queue, ports.scheduler, send_id, at, now).await;
    if let Err(err) = dispatched {
        if let Err(undo) = ports.sends.discard(send, deliveries).await {
            tracing::error!(send_id = send_id.as_str(), error = %error_chain(&undo),
                "could not remove an unqueued send; it is never delivered and expires with its TTL");
        }
        return Err(err);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_str(s).unwrap()
    }

    fn quotas(sends_per_day: u32, schedule_ahead_days: u32) -> Quotas {
        Quotas {
            sends_per_day,
            schedule_ahead_days,
            ..Quotas::default()
        }
    }

    #[test]
    fn a_send_too_far_ahead_waits_until_it_is_near_enough() {
        let now = ts("2030-01-01T00:00:00Z");
        let at = ts("2030-01-03T00:00:10Z");
        let Err(BroadcastError::Quota(over)) = check_quotas(&quotas(10, 2), 0, at, now) else {
            panic!("over the horizon");
        };
        assert_eq!(over.retry_after, 10);
        assert!(
            over.message.contains("at most 2 days ahead"),
            "{}",
            over.message
        );
        assert!(check_quotas(&quotas(10, 2), 0, ts("2030-01-03T00:00:00Z"), now).is_ok());
    }

    #[test]
    fn the_days_last_send_passes_and_the_next_waits_for_midnight_utc() {
        let now = ts("2030-01-01T23:00:00Z");
        assert!(check_quotas(&quotas(3, 2), 2, now, now).is_ok());
        let Err(BroadcastError::Quota(over)) = check_quotas(&quotas(3, 2), 3, now, now) else {
            panic!("over the day's sends");
        };
        assert_eq!(over.retry_after, 3600);
        assert!(
            over.message.contains("its 3 sends for today"),
            "{}",
            over.message
        );
    }
}
