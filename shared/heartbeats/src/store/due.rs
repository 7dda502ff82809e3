//! The scanner's reads of the sparse `due` index (partition `dueShard` = `DUE#0-7`, sort `dueAt`
//! in epoch ms, projection ALL): an app is in it while there is something to do at that time,
//! an alert budget once something was folded into its digest. [`DueItems`] is the port the scan
//! reads, [`DueIndex`] its DynamoDB adapter.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::{
    types::{AttributeValue, ReturnConsumedCapacity, Select},
    Client,
};
use lookout_core::{
    ddb::{self, Next, QueryCallError},
    error::error_chain,
    time::Timestamp,
    BoxFuture, StoreError,
};

use crate::error::HeartbeatError;
use crate::limits::index_shards;
use crate::output::ScanReport;
use crate::record::{shard_name, AppRecord};
use crate::store::budgets::{is_budget_pk, BudgetRecord};
use crate::store::QUERY_PAGE;
use crate::time::millis;

const DUE_INDEX: &str = "due";

/// What is due, as the scan reads it.
pub trait DueItems: Send + Sync + std::fmt::Debug {
    /// Every item due at `now` (`dueAt <= now`), shard by shard, up to `max_apps` apps (the rest
    /// stay due; `report.truncated` says so). The reads, their cost and what failed are counted
    /// in `report`: a failed query skips the rest of its shard, an unreadable item is logged.
    fn read_due<'a>(
        &'a self,
        now: Timestamp,
        max_apps: usize,
        report: &'a mut ScanReport,
    ) -> BoxFuture<'a, DueNow>;

    /// Watched (`up`) apps per tenant (every `up` app is in the index), reading at most
    /// `max_pages` pages; `None` past them.
    fn watched_by_tenant(
        &self,
        max_pages: usize,
    ) -> BoxFuture<'_, Result<Option<BTreeMap<String, u64>>, HeartbeatError>>;
}

/// The `due` index of the heartbeat table.
#[derive(Debug, Clone)]
pub struct DueIndex {
    client: Client,
    table: String,
}

/// What is due at a scan's `now`.
#[derive(Debug, Default)]
pub struct DueNow {
    pub(crate) apps: Vec<AppRecord>,
    /// Alert budgets whose digest is due.
    pub(crate) budgets: Vec<BudgetRecord>,
}

impl DueIndex {
    pub(crate) fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

impl DueItems for DueIndex {
    fn read_due<'a>(
        &'a self,
        now: Timestamp,
        max_apps: usize,
        report: &'a mut ScanReport,
    ) -> BoxFuture<'a, DueNow> {
        Box::pin(async move {
            let mut due = DueNow::default();
            for shard in 0..index_shards() {
                let shard = shard_name(shard);
                let query = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(DUE_INDEX)
                    .key_condition_expression("dueShard = :s AND dueAt <= :now")
                    .expression_attribute_values(":s", AttributeValue::S(shard.clone()))
                    .expression_attribute_values(":now", AttributeValue::N(millis(now).to_string()))
                    .limit(QUERY_PAGE)
                    .return_consumed_capacity(ReturnConsumedCapacity::Total);
                let read = ddb::query_pages(query, None, |page| {
                    report.queries += 1;
                    report.items_read += u64::try_from(page.scanned_count).unwrap_or(0);
                    report.read_capacity += page
                        .consumed_capacity
                        .as_ref()
                        .and_then(|c| c.capacity_units)
                        .unwrap_or(0.0);
                    for item in page.items.unwrap_or_default() {
                        if matches!(item.get("pk"), Some(AttributeValue::S(pk)) if is_budget_pk(pk))
                        {
                            match serde_dynamo::from_item(item) {
                                Ok(rec) => due.budgets.push(rec),
                                Err(err) => {
                                    report.errors += 1;
                                    tracing::error!(error = %err, "unreadable alert budget item");
                                }
                            }
                            continue;
                        }
                        if usize::try_from(report.due).unwrap_or(usize::MAX) >= max_apps {
                            report.truncated = true;
                            return Ok(Next::Stop);
                        }
                        report.due += 1;
                        match serde_dynamo::from_item(item) {
                            Ok(rec) => due.apps.push(rec),
                            Err(err) => {
                                report.errors += 1;
                                tracing::error!(error = %err, "unreadable heartbeat item");
                            }
                        }
                    }
                    Ok::<_, Box<QueryCallError>>(Next::Page)
                })
                .await;
                match read {
                    // Enough apps for one run: no other shard is read.
                    Ok(read) if read.stopped() => break,
                    Ok(_) => {}
                    // The other shards are still read.
                    Err(err) => {
                        report.errors += 1;
                        tracing::error!(shard, error = %error_chain(&*err), "due query failed");
                    }
                }
            }
            due
        })
    }

    fn watched_by_tenant(
        &self,
        max_pages: usize,
    ) -> BoxFuture<'_, Result<Option<BTreeMap<String, u64>>, HeartbeatError>> {
        Box::pin(async move {
            let mut out = BTreeMap::new();
            let mut pages = 0;
            for shard in 0..index_shards() {
                let query = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(DUE_INDEX)
                    .key_condition_expression("dueShard = :s")
                    .expression_attribute_values(":s", AttributeValue::S(shard_name(shard)))
                    .select(Select::SpecificAttributes)
                    .projection_expression("tenant, #st")
                    .expression_attribute_names("#st", "state");
                // The pages left of `max_pages`, over all shards.
                let left = Some(max_pages.saturating_sub(pages));
                let read = ddb::query_pages(query, left, |page| {
                    for item in page.items.unwrap_or_default() {
                        let up =
                            matches!(item.get("state"), Some(AttributeValue::S(s)) if s == "up");
                        if let (true, Some(AttributeValue::S(t))) = (up, item.get("tenant")) {
                            *out.entry(t.clone()).or_insert(0) += 1;
                        }
                    }
                    Ok::<_, StoreError>(Next::Page)
                })
                .await?;
                pages += read.pages;
                if read.out_of_pages() {
                    return Ok(None);
                }
            }
            Ok(Some(out))
        })
    }
}
