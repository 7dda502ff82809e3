//! `POST /add_event`: events for an open session of the tenant's, counted against its daily
//! quota.

use std::collections::HashMap;

use lookout_core::{auth::Tenant, time::Timestamp};

use crate::error::TrackerError;
use crate::input::{AddEvents, NewEvent};
use crate::quota::Usage;
use crate::records::{event_id, machine_pk, session_pk, EventRecord};
use crate::store::events::{Append, Appended, Events};
use crate::store::quota_counters::QuotaCounters;
use crate::store::sessions::Sessions;

/// DynamoDB allows 100 actions per transaction; one is the session update, one the tenant's
/// daily quota counter.
const EVENTS_PER_TRANSACTION: usize = 98;

/// Adds events atomically per chunk of [`EVENTS_PER_TRANSACTION`]: each chunk's transaction
/// also checks that the session exists, belongs to `tenant` and has not ended
/// ([`TrackerError::SessionNotFound`] / [`TrackerError::SessionEnded`] otherwise), and counts
/// the chunk against the tenant's day ([`TrackerError::Quota`] when it has no room). The
/// number of events stored.
pub async fn add_events(
    sessions: &dyn Sessions,
    events: &dyn Events,
    counters: &dyn QuotaCounters,
    tenant: &Tenant,
    input: AddEvents,
) -> Result<usize, TrackerError> {
    input.validate()?;
    let session_id = input.session_id.0;
    // The machine id is needed for the GSI key; reading it also answers 404/409 early.
    let session = sessions.load(tenant, &session_id).await?;
    if session.end_at.is_some() {
        return Err(TrackerError::SessionEnded);
    }
    let expires_at = sessions.expires_at();
    let gsi1pk = machine_pk(tenant, &session.machine_id);
    let records = event_records(&session_id, &gsi1pk, input.events, expires_at);
    // The day's quota: what is stored, counted in each chunk's transaction.
    let now = Timestamp::now();
    let quota = counters.quota();
    quota.check_size(tenant, Usage::of(&records), now)?;
    if records.len() > EVENTS_PER_TRANSACTION {
        counters
            .check_room(tenant, Usage::of(&records), now)
            .await?;
    }
    for chunk in records.chunks(EVENTS_PER_TRANSACTION) {
        let append = Append {
            tenant,
            session_id: &session_id,
            expires_at,
            quota,
            now,
            events: chunk,
        };
        match events.append(append).await? {
            Appended::Stored => {}
            Appended::OverQuota => return Err(TrackerError::Quota(quota.exceeded(tenant, now))),
            Appended::Refused(err) => {
                // Ended (or vanished) between our read and this write.
                let current = sessions.load(tenant, &session_id).await?;
                if current.end_at.is_some() {
                    return Err(TrackerError::SessionEnded);
                }
                return Err(err.into());
            }
        }
    }
    Ok(records.len())
}

/// The items of session `session_id`'s new events, in the machine's index at `gsi1pk`. Ids are
/// derived from the content, the n-th repeat of an event in one request counted in, so a
/// retried request overwrites its own events.
fn event_records(
    session_id: &str,
    gsi1pk: &str,
    events: Vec<NewEvent>,
    expires_at: Option<i64>,
) -> Vec<EventRecord> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut records = Vec::with_capacity(events.len());
    for ev in events {
        let at = ev.event_at.to_rfc3339();
        let payload = ev.payload.to_json();
        let base = event_id(session_id, &at, ev.event_type.as_str(), &payload, 0);
        let occurrence = seen.entry(base).and_modify(|n| *n += 1).or_insert(0);
        let id = event_id(
            session_id,
            &at,
            ev.event_type.as_str(),
            &payload,
            *occurrence,
        );
        records.push(EventRecord {
            pk: session_pk(session_id),
            sk: format!("EVENT#{at}#{id}"),
            gsi1pk: gsi1pk.to_owned(),
            gsi1sk: format!("{at}#{session_id}#{id}"),
            session_id: session_id.to_owned(),
            event_at: ev.event_at,
            event_type: ev.event_type.0,
            payload,
            expires_at,
        });
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(body: serde_json::Value) -> Vec<NewEvent> {
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn repeats_in_one_request_get_their_own_ids_and_a_retry_the_same() {
        let body = serde_json::json!([
            {"eventAt": "2026-01-01T00:00:00Z", "eventType": "click", "payload": {"a": 1}},
            {"eventAt": "2026-01-01T00:00:00Z", "eventType": "click", "payload": {"a": 1}},
            {"eventAt": "2026-01-01T00:00:01Z", "eventType": "click"}
        ]);
        let first = event_records("s1", "MACHINE#t#m", events(body.clone()), Some(9));
        let retry = event_records("s1", "MACHINE#t#m", events(body), Some(9));
        let keys = |recs: &[EventRecord]| recs.iter().map(|r| r.sk.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&first), keys(&retry));
        assert_ne!(first[0].sk, first[1].sk, "a repeat is another event");
        assert!(first[0].sk.starts_with("EVENT#2026-01-01T00:00:00.000Z#"));
        assert_eq!(first[2].payload, "{}");
        assert_eq!(first[0].gsi1pk, "MACHINE#t#m");
        assert!(first[0].gsi1sk.starts_with("2026-01-01T00:00:00.000Z#s1#"));
        assert_eq!(first[0].expires_at, Some(9));
        let usage = Usage::of(&first);
        assert_eq!(usage.events, 3);
        assert!(usage.bytes > 3 * 100, "{usage:?}");
    }
}
