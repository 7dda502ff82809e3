//! Events: items in their session's partition, indexed by machine (GSI `machine-events`).
//! The port ([`Events`]) and its DynamoDB adapter ([`EventStore`]); the in-memory one is
//! `store::memory::MemoryEvents`.

use std::collections::HashMap;
use std::fmt::Debug;

use aws_sdk_dynamodb::{
    operation::query::builders::QueryFluentBuilder, types::AttributeValue, Client,
};
use lookout_core::{
    auth::Tenant,
    ddb::{self, Next},
    page::ByteBudget,
    time::Timestamp,
    BoxFuture, StoreError,
};

use crate::error::TrackerError;
use crate::output::EventOut;
use crate::quota::{TrackerQuota, Usage};
use crate::records::{
    machine_pk, session_pk, EventRecord, SessionRecord, META, SESSION_TOKEN_KEYS, TOKEN_KEYS,
};
use crate::store::quota_counters;
use crate::store::sessions;

const GSI: &str = "machine-events";

/// The events a use case writes and pages through (the port). Its records are the crate's
/// own, so other crates use the adapters, and implement none.
pub trait Events: Send + Sync + Debug {
    /// Writes `append`'s events in one transaction with its session's check and the day's
    /// quota count, all or nothing.
    fn append<'a>(&'a self, append: Append<'a>) -> BoxFuture<'a, Result<Appended, TrackerError>>;

    /// A page of the session `id`'s events sorted by `eventAt`, after `next_token`: at most
    /// `limit` events and [`lookout_core::page::MAX_PAGE_BYTES`] of them, and the session's
    /// own item when the page reached it. A token of another listing is
    /// [`TrackerError::Invalid`].
    fn of_session<'a>(
        &'a self,
        id: &'a str,
        limit: usize,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<EventPage, TrackerError>>;

    /// A page of the events of every session of `tenant`'s machine `machine_id`, oldest first,
    /// after `next_token`: at most `limit` events and
    /// [`lookout_core::page::MAX_PAGE_BYTES`] of them.
    fn of_machine<'a>(
        &'a self,
        tenant: &'a Tenant,
        machine_id: &'a str,
        limit: usize,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<EventPage, TrackerError>>;
}

/// One append transaction: `events` of session `session_id`, stored only if the session is
/// still open and `tenant`'s (its expiry then pushed to `expires_at`) and the tenant's day
/// (of `now`) has room for them under `quota` (they are then counted).
#[derive(Debug, Clone, Copy)]
pub struct Append<'a> {
    pub(crate) tenant: &'a Tenant,
    pub(crate) session_id: &'a str,
    pub(crate) expires_at: Option<i64>,
    pub(crate) quota: TrackerQuota,
    pub(crate) now: Timestamp,
    pub(crate) events: &'a [EventRecord],
}

/// What an append transaction did.
#[derive(Debug)]
pub enum Appended {
    Stored,
    /// The quota counter refused it: the day has no room for these events.
    OverQuota,
    /// Another condition failed (the session's: ended or gone since it was read).
    Refused(StoreError),
}

/// A page of events, and the session's own item when the listing reached it.
#[derive(Debug, Default)]
pub struct EventPage {
    pub(crate) events: Vec<EventOut>,
    pub(crate) next_token: Option<String>,
    /// The session's `META` item: it sorts after the events of its partition (`EVENT#…` <
    /// `META`), so a page that ends early has not read it.
    pub(crate) session: Option<SessionRecord>,
}

/// Which listing a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listing {
    /// A session's partition: its events, then its own item.
    Session,
    /// A machine's events across sessions (each event names its session).
    Machine,
}

impl Listing {
    /// The key attributes a page token of the listing carries.
    pub(crate) fn token_keys(self) -> &'static [&'static str] {
        match self {
            Self::Session => &SESSION_TOKEN_KEYS,
            Self::Machine => &TOKEN_KEYS,
        }
    }

    /// The attribute that names the listing's partition (a token is bound to it).
    pub(crate) fn partition_key(self) -> &'static str {
        match self {
            Self::Session => "pk",
            Self::Machine => "gsi1pk",
        }
    }
}

/// Events in DynamoDB.
#[derive(Debug, Clone)]
pub struct EventStore {
    client: Client,
    table: String,
}

impl EventStore {
    pub(crate) fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

impl Events for EventStore {
    /// The session's check is item 0 and the counter item 1 of the transaction.
    fn append<'a>(&'a self, append: Append<'a>) -> BoxFuture<'a, Result<Appended, TrackerError>> {
        Box::pin(async move {
            let Append {
                tenant,
                session_id,
                expires_at,
                quota,
                now,
                events,
            } = append;
            let mut items = Vec::with_capacity(events.len() + 2);
            items.push(sessions::open_check(
                &self.table,
                tenant,
                session_id,
                expires_at,
            )?);
            let usage = Usage::of(events);
            items.push(quota_counters::count(
                &self.table,
                quota,
                tenant,
                usage,
                now,
            )?);
            for rec in events {
                items.push(ddb::transact_put(&self.table, rec)?);
            }
            let res = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await;
            match res {
                Ok(_) => Ok(Appended::Stored),
                Err(err) => {
                    let reasons = ddb::cancellation_reasons(&err);
                    if reasons.get(1).is_some_and(ddb::condition_failed) {
                        Ok(Appended::OverQuota)
                    } else if ddb::is_conditional_check_failed(&err) {
                        Ok(Appended::Refused(err.into()))
                    } else {
                        Err(err.into())
                    }
                }
            }
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
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .consistent_read(true);
            self.read(query, Listing::Session, &pk, limit, next_token)
                .await
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
            let pk = machine_pk(tenant, machine_id);
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI)
                .key_condition_expression("gsi1pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()));
            self.read(query, Listing::Machine, &pk, limit, next_token)
                .await
        })
    }
}

impl EventStore {
    /// Reads `query` (of the listing's partition `pk`) from after `next_token` until a page is
    /// full (`limit` events, or the byte budget), or the listing ends. The page's token points
    /// after the last event it returns; a token of another partition is refused.
    async fn read(
        &self,
        query: QueryFluentBuilder,
        listing: Listing,
        pk: &str,
        limit: usize,
        next_token: Option<&str>,
    ) -> Result<EventPage, TrackerError> {
        let names = listing.token_keys();
        let start_key = match next_token {
            Some(token) => Some(ddb::decode_page_token(
                token,
                names,
                (listing.partition_key(), pk),
                "nextToken",
            )?),
            None => None,
        };
        let mut page = EventPage::default();
        let mut budget = ByteBudget::default();
        let mut last: Option<HashMap<String, AttributeValue>> = None;
        // A machine's listing asks one more than the page needs: a full page then knows
        // whether more follow.
        let machine = listing == Listing::Machine;
        let want = |taken: usize| i32::try_from(limit - taken + 1).unwrap_or(i32::MAX);
        let mut query = query.set_exclusive_start_key(start_key);
        if machine {
            query = query.limit(want(0));
        }
        ddb::query_pages(query, None, |out| {
            for item in out.items.unwrap_or_default() {
                let is_meta = matches!(item.get("sk"), Some(AttributeValue::S(sk)) if sk == META);
                if is_meta {
                    page.session = Some(serde_dynamo::from_item(item)?);
                    continue;
                }
                let key = key_of(&item, names);
                let rec: EventRecord = serde_dynamo::from_item(item)?;
                let event = rec.into_out(machine);
                if page.events.len() == limit || !budget.take_json(&event) {
                    page.next_token = last.as_ref().map(|k| ddb::encode_page_token(k, names));
                    return Ok(Next::Stop);
                }
                page.events.push(event);
                last = Some(key);
            }
            Ok::<_, TrackerError>(if machine {
                Next::Limit(want(page.events.len()))
            } else {
                Next::Page
            })
        })
        .await?;
        Ok(page)
    }
}

/// The key attributes `names` of a stored item (for a page token after it).
fn key_of(
    item: &HashMap<String, AttributeValue>,
    names: &[&str],
) -> HashMap<String, AttributeValue> {
    names
        .iter()
        .filter_map(|n| item.get(*n).map(|v| ((*n).to_owned(), v.clone())))
        .collect()
}
