//! The in-memory adapters of the tracker's ports, for unit tests of the use cases (here and in
//! other crates). Like `TRACKER_TABLE`, the three share one table ([`MemoryTracker`]), so an
//! append checks its session, counts the day's quota and stores its events all or nothing.
//! Same conditions, page tokens and errors as the DynamoDB adapters; nothing expires.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use aws_sdk_dynamodb::types::AttributeValue;
use lookout_core::{auth::Tenant, ddb, page::ByteBudget, time::Timestamp, BoxFuture, StoreError};

use crate::error::TrackerError;
use crate::quota::{TrackerQuota, Usage};
use crate::records::{machine_pk, session_pk, EventRecord, SessionRecord};
use crate::store::events::{Append, Appended, EventPage, Events, Listing};
use crate::store::quota_counters::{counter_key, QuotaCounters};
use crate::store::sessions::{expires_at, Sessions};

/// The items of the in-memory tracker table.
#[derive(Debug, Default)]
struct Table {
    /// Sessions by id.
    sessions: BTreeMap<String, SessionRecord>,
    /// Events by `(pk, sk)`: a session's events in its partition's order.
    events: BTreeMap<(String, String), EventRecord>,
    /// The daily counters by `(pk, sk)` (`QUOTA#<tenant>`, `DAY#<day>`).
    counters: BTreeMap<(String, String), Usage>,
}

type Shared = Arc<Mutex<Table>>;

/// The table, even if a test panicked while holding it.
fn lock(table: &Shared) -> MutexGuard<'_, Table> {
    table.lock().unwrap_or_else(|e| e.into_inner())
}

/// Every in-memory store of the tracker over one table: the in-memory
/// [`TrackerStore`](crate::TrackerStore). Clones share the table.
#[derive(Debug, Clone, Default)]
pub struct MemoryTracker {
    pub sessions: MemorySessions,
    pub events: MemoryEvents,
    pub counters: MemoryQuotaCounters,
}

impl MemoryTracker {
    /// Sessions written are stamped to expire `retention_days` later (kept for good when
    /// `None`); nothing is ever removed.
    pub fn new(retention_days: Option<i64>) -> Self {
        let table = Shared::default();
        Self {
            sessions: MemorySessions {
                table: table.clone(),
                retention_days,
            },
            events: MemoryEvents {
                table: table.clone(),
            },
            counters: MemoryQuotaCounters {
                table,
                quota: TrackerQuota::default(),
            },
        }
    }

    /// The same stores with another daily quota.
    pub fn with_quota(mut self, quota: TrackerQuota) -> Self {
        self.counters.quota = quota;
        self
    }
}

/// In-memory [`Sessions`].
#[derive(Debug, Clone, Default)]
pub struct MemorySessions {
    table: Shared,
    retention_days: Option<i64>,
}

impl MemorySessions {
    /// How many sessions are stored.
    pub fn count(&self) -> usize {
        lock(&self.table).sessions.len()
    }

    /// The stored session `id`.
    pub(crate) fn get(&self, id: &str) -> Option<SessionRecord> {
        lock(&self.table).sessions.get(id).cloned()
    }

    /// Overwrites a stored session (tests arrange states with it).
    #[cfg(test)]
    pub(crate) fn replace(&self, record: SessionRecord) {
        let mut table = lock(&self.table);
        table.sessions.insert(record.session_id.clone(), record);
    }
}

impl Sessions for MemorySessions {
    fn expires_at(&self) -> Option<i64> {
        expires_at(self.retention_days)
    }

    fn insert<'a>(&'a self, record: &'a SessionRecord) -> BoxFuture<'a, Result<(), TrackerError>> {
        Box::pin(async move {
            let mut table = lock(&self.table);
            if table.sessions.contains_key(&record.session_id) {
                return Err(StoreError::invariant("a fresh session id collided").into());
            }
            table
                .sessions
                .insert(record.session_id.clone(), record.clone());
            Ok(())
        })
    }

    fn load<'a>(
        &'a self,
        tenant: &'a Tenant,
        id: &'a str,
    ) -> BoxFuture<'a, Result<SessionRecord, TrackerError>> {
        Box::pin(async move {
            lock(&self.table)
                .sessions
                .get(id)
                .filter(|s| s.tenant == tenant.as_str())
                .cloned()
                .ok_or(TrackerError::SessionNotFound)
        })
    }

    fn find<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, TrackerError>> {
        Box::pin(async move { Ok(self.get(id)) })
    }

    fn end<'a>(
        &'a self,
        tenant: &'a Tenant,
        id: &'a str,
        end_at: Timestamp,
    ) -> BoxFuture<'a, Result<bool, TrackerError>> {
        Box::pin(async move {
            let mut table = lock(&self.table);
            match table.sessions.get_mut(id) {
                Some(s)
                    if s.tenant == tenant.as_str()
                        && s.end_at.is_none()
                        && s.start_at <= end_at =>
                {
                    s.end_at = Some(end_at);
                    Ok(true)
                }
                _ => Ok(false),
            }
        })
    }
}

/// In-memory [`Events`], over the table of the sessions and counters they check and count.
#[derive(Debug, Clone, Default)]
pub struct MemoryEvents {
    table: Shared,
}

impl MemoryEvents {
    /// How many events are stored.
    pub fn count(&self) -> usize {
        lock(&self.table).events.len()
    }

    /// Every stored event, in key order.
    #[cfg(test)]
    pub(crate) fn records(&self) -> Vec<EventRecord> {
        lock(&self.table).events.values().cloned().collect()
    }
}

impl Events for MemoryEvents {
    /// The counter's condition first: DynamoDB reports it whatever the session's says.
    fn append<'a>(&'a self, append: Append<'a>) -> BoxFuture<'a, Result<Appended, TrackerError>> {
        Box::pin(async move {
            let mut table = lock(&self.table);
            let usage = Usage::of(append.events);
            let day = counter_key(append.tenant, append.now);
            if let Some(used) = table.counters.get(&day) {
                if !append.quota.has_room(*used, usage) {
                    return Ok(Appended::OverQuota);
                }
            }
            let tenant = append.tenant.as_str();
            match table.sessions.get_mut(append.session_id) {
                Some(s) if s.tenant == tenant && s.end_at.is_none() => {
                    if append.expires_at.is_some() {
                        s.expires_at = append.expires_at;
                    }
                }
                _ => {
                    let refused =
                        "ConditionalCheckFailed: the session is not open or not the tenant's";
                    return Ok(Appended::Refused(StoreError::Call(refused.into())));
                }
            }
            let counted = table.counters.entry(day).or_default();
            counted.events = counted.events.saturating_add(usage.events);
            counted.bytes = counted.bytes.saturating_add(usage.bytes);
            for rec in append.events {
                let key = (rec.pk.clone(), rec.sk.clone());
                table.events.insert(key, rec.clone());
            }
            Ok(Appended::Stored)
        })
    }

    fn of_session<'a>(
        &'a self,
        id: &'a str,
        limit: usize,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<EventPage, TrackerError>> {
        Box::pin(async move {
            let pk = session_pk(id);
            let after = after_key(Listing::Session, &pk, next_token)?;
            let table = lock(&self.table);
            let events = table
                .events
                .values()
                .filter(|e| e.pk == pk)
                .filter(|e| after.as_ref().is_none_or(|a| e.sk.as_str() > a[1].as_str()));
            let (mut page, cut) = fill(events, Listing::Session, limit);
            // The session's item sorts after its events: a page that read them all reaches it.
            if !cut {
                page.session = table.sessions.get(id).cloned();
            }
            Ok(page)
        })
    }

    fn of_machine<'a>(
        &'a self,
        tenant: &'a Tenant,
        machine_id: &'a str,
        limit: usize,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<EventPage, TrackerError>> {
        Box::pin(async move {
            let gsi1pk = machine_pk(tenant, machine_id);
            let after = after_key(Listing::Machine, &gsi1pk, next_token)?;
            let table = lock(&self.table);
            let mut events: Vec<&EventRecord> = table
                .events
                .values()
                .filter(|e| e.gsi1pk == gsi1pk)
                .filter(|e| {
                    after
                        .as_ref()
                        .is_none_or(|a| index_order(e) > [&a[3], &a[0], &a[1]])
                })
                .collect();
            events.sort_by(|a, b| index_order(a).cmp(&index_order(b)));
            Ok(fill(events.into_iter(), Listing::Machine, limit).0)
        })
    }
}

/// An event's place in the machine index: by `gsi1sk`, then its table key.
fn index_order(e: &EventRecord) -> [&String; 3] {
    [&e.gsi1sk, &e.pk, &e.sk]
}

/// The key a listing's page token points after, as `[pk, sk, gsi1pk, gsi1sk]` (the last two
/// empty for a session's listing); the same tokens, and refusals, as DynamoDB's pages.
fn after_key(
    listing: Listing,
    partition: &str,
    next_token: Option<&str>,
) -> Result<Option<[String; 4]>, TrackerError> {
    let Some(token) = next_token else {
        return Ok(None);
    };
    let bound = (listing.partition_key(), partition);
    let key = ddb::decode_page_token(token, listing.token_keys(), bound, "nextToken")?;
    let attr = |name: &str| match key.get(name) {
        Some(AttributeValue::S(s)) => s.clone(),
        _ => String::new(),
    };
    Ok(Some([
        attr("pk"),
        attr("sk"),
        attr("gsi1pk"),
        attr("gsi1sk"),
    ]))
}

/// A page of `events` (in the listing's order, after its token): at most `limit` of them and
/// the byte budget's worth; its token points after the last one when more follow. True when
/// the page was cut before the listing's end.
fn fill<'e>(
    events: impl Iterator<Item = &'e EventRecord>,
    listing: Listing,
    limit: usize,
) -> (EventPage, bool) {
    let mut page = EventPage::default();
    let mut budget = ByteBudget::default();
    let mut last: Option<&EventRecord> = None;
    for rec in events {
        let event = rec.clone().into_out(listing == Listing::Machine);
        if page.events.len() == limit || !budget.take_json(&event) {
            page.next_token =
                last.map(|l| ddb::encode_page_token(&token_key(l), listing.token_keys()));
            return (page, true);
        }
        page.events.push(event);
        last = Some(rec);
    }
    (page, false)
}

/// Every key attribute of an event (a page token takes its listing's).
fn token_key(rec: &EventRecord) -> HashMap<String, AttributeValue> {
    [
        ("pk", &rec.pk),
        ("sk", &rec.sk),
        ("gsi1pk", &rec.gsi1pk),
        ("gsi1sk", &rec.gsi1sk),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), AttributeValue::S(v.clone())))
    .collect()
}

/// In-memory [`QuotaCounters`], over the table the events' appends count in.
#[derive(Debug, Clone, Default)]
pub struct MemoryQuotaCounters {
    table: Shared,
    quota: TrackerQuota,
}

impl MemoryQuotaCounters {
    /// What `tenant`'s day (the UTC day of `at`) has counted: `(events, bytes)`.
    pub fn counted(&self, tenant: &Tenant, at: Timestamp) -> (u64, u64) {
        let used = self.used(tenant, at);
        (used.events, used.bytes)
    }

    fn used(&self, tenant: &Tenant, at: Timestamp) -> Usage {
        let day = counter_key(tenant, at);
        lock(&self.table)
            .counters
            .get(&day)
            .copied()
            .unwrap_or_default()
    }
}

impl QuotaCounters for MemoryQuotaCounters {
    fn quota(&self) -> TrackerQuota {
        self.quota
    }

    fn check_room<'a>(
        &'a self,
        tenant: &'a Tenant,
        usage: Usage,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<(), TrackerError>> {
        Box::pin(async move {
            if self.quota.has_room(self.used(tenant, now), usage) {
                Ok(())
            } else {
                Err(TrackerError::Quota(self.quota.exceeded(tenant, now)))
            }
        })
    }
}
