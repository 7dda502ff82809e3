//! Events: items in their session's partition, indexed by machine (GSI `machine-events`).

use std::collections::HashMap;

use aws_sdk_dynamodb::{
    operation::query::builders::QueryFluentBuilder,
    types::{AttributeValue, TransactWriteItem},
    Client,
};
use lookout_core::{auth::Tenant, ddb, page::ByteBudget, StoreError};

use crate::error::TrackerError;
use crate::output::EventOut;
use crate::records::{
    machine_pk, session_pk, EventRecord, SessionRecord, META, SESSION_TOKEN_KEYS, TOKEN_KEYS,
};

const GSI: &str = "machine-events";

/// What an append transaction did.
#[derive(Debug)]
pub(crate) enum Appended {
    Stored,
    /// The quota counter refused it: the day has no room for these events.
    OverQuota,
    /// Another condition failed (the session's: ended or gone since it was read).
    Refused(StoreError),
}

/// A page of events, and the session's own item when the Query reached it.
#[derive(Debug, Default)]
pub(crate) struct EventPage {
    pub(crate) events: Vec<EventOut>,
    pub(crate) next_token: Option<String>,
    /// The session's `META` item: it sorts after the events of its partition (`EVENT#…` <
    /// `META`), so a page that ends early has not read it.
    pub(crate) session: Option<SessionRecord>,
}

/// Which listing a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listing {
    /// A session's partition: its events, then its own item.
    Session,
    /// A machine's events across sessions (each event names its session).
    Machine,
}

impl Listing {
    /// The key attributes a page token of the listing carries.
    fn token_keys(self) -> &'static [&'static str] {
        match self {
            Self::Session => &SESSION_TOKEN_KEYS,
            Self::Machine => &TOKEN_KEYS,
        }
    }

    /// The attribute that names the listing's partition (a token is bound to it).
    fn partition_key(self) -> &'static str {
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

    /// Writes `events` in one transaction with the session's check and the day's quota counter
    /// (in that order: the counter is item 1), all or nothing.
    pub(crate) async fn append(
        &self,
        session_check: TransactWriteItem,
        counter: TransactWriteItem,
        events: &[EventRecord],
    ) -> Result<Appended, TrackerError> {
        let mut items = Vec::with_capacity(events.len() + 2);
        items.push(session_check);
        items.push(counter);
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
    }

    /// A page of the session `id`'s events sorted by `eventAt`, after `next_token`: at most
    /// `limit` events and [`lookout_core::page::MAX_PAGE_BYTES`] of them.
    pub(crate) async fn of_session(
        &self,
        id: &str,
        limit: usize,
        next_token: Option<&str>,
    ) -> Result<EventPage, TrackerError> {
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
    }

    /// A page of the events of every session of `tenant`'s machine `machine_id`, oldest first,
    /// after `next_token`: at most `limit` events and
    /// [`lookout_core::page::MAX_PAGE_BYTES`] of them.
    pub(crate) async fn of_machine(
        &self,
        tenant: &Tenant,
        machine_id: &str,
        limit: usize,
        next_token: Option<&str>,
    ) -> Result<EventPage, TrackerError> {
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
    }

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
        let mut start_key = match next_token {
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
        'pages: loop {
            let mut call = query.clone().set_exclusive_start_key(start_key);
            if listing == Listing::Machine {
                // One more than the page needs: a full page then knows whether more follow.
                let want = limit - page.events.len() + 1;
                call = call.limit(i32::try_from(want).unwrap_or(i32::MAX));
            }
            let out = call.send().await?;
            for item in out.items.unwrap_or_default() {
                let is_meta = matches!(item.get("sk"), Some(AttributeValue::S(sk)) if sk == META);
                if is_meta {
                    page.session = Some(serde_dynamo::from_item(item)?);
                    continue;
                }
                let key = key_of(&item, names);
                let rec: EventRecord = serde_dynamo::from_item(item)?;
                let event = rec.into_out(listing == Listing::Machine);
                if page.events.len() == limit || !budget.take_json(&event) {
                    page.next_token = last.as_ref().map(|k| ddb::encode_page_token(k, names));
                    break 'pages;
                }
                page.events.push(event);
                last = Some(key);
            }
            start_key = out.last_evaluated_key;
            if start_key.is_none() {
                break;
            }
        }
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
