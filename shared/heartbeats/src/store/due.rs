//! The scanner's reads of the sparse `due-keys` index (partition `dueShard` = `DUE#k`, sort
//! `dueAt` in epoch ms, projecting only `tenant` and `state` beside the keys): an app is in it
//! while there is something to do at that time, an alert budget once something was folded
//! into its digest. A beat moves its app in the index, so the index keeps what a beat rewrites
//! small; the scan reads the due items themselves by key (consistent). [`DueItems`] is the port
//! the scan reads, [`DueIndex`] its DynamoDB adapter.
//!
//! A stack upgraded from the full-item `due` index keeps that one for one deploy
//! (`KeepLegacyDueIndex`: CloudFormation adds or removes one index per update) and reads it
//! meanwhile (`HEARTBEAT_DUE_INDEX`); the reads are the same on both.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::{
    types::{AttributeValue, ReturnConsumedCapacity, Select},
    Client,
};
use lookout_core::{
    config,
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

/// The scanner's index.
pub const DUE_INDEX: &str = "due-keys";
/// The full-item index a stack upgraded from an earlier release keeps for one deploy.
pub const LEGACY_DUE_INDEX: &str = "due";

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
    index: &'static str,
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
            index: DUE_INDEX,
        }
    }

    /// The same reads on [`LEGACY_DUE_INDEX`] (a stack that keeps it for one deploy).
    pub fn legacy(mut self) -> Self {
        self.index = LEGACY_DUE_INDEX;
        self
    }

    /// `HEARTBEAT_DUE_INDEX`: [`DUE_INDEX`] (unset) or [`LEGACY_DUE_INDEX`].
    pub(crate) fn index_from_env(mut self) -> Result<Self, config::ConfigError> {
        self.index = match config::optional(config::names::HEARTBEAT_DUE_INDEX).as_deref() {
            None | Some(DUE_INDEX) => DUE_INDEX,
            Some(LEGACY_DUE_INDEX) => LEGACY_DUE_INDEX,
            Some(other) => {
                return Err(config::ConfigError(format!(
                    "{}: {other:?} is neither {DUE_INDEX} nor {LEGACY_DUE_INDEX}",
                    config::names::HEARTBEAT_DUE_INDEX
                )))
            }
        };
        Ok(self)
    }

    /// The due items by key, in the index's order: each as it is now (a consistent read; one
    /// deleted since is skipped). Budgets apart from apps.
    async fn read_items(
        &self,
        keys: Vec<String>,
        due: &mut DueNow,
        report: &mut ScanReport,
    ) -> Result<(), StoreError> {
        let requests = keys
            .iter()
            .map(|pk| HashMap::from([("pk".to_owned(), AttributeValue::S(pk.clone()))]))
            .collect();
        let mut found: HashMap<String, HashMap<String, AttributeValue>> =
            ddb::batch_get_all(&self.client, &self.table, requests)
                .await?
                .into_iter()
                .filter_map(|item| match item.get("pk") {
                    Some(AttributeValue::S(pk)) => Some((pk.clone(), item)),
                    _ => None,
                })
                .collect();
        for pk in keys {
            let Some(item) = found.remove(&pk) else {
                continue;
            };
            if is_budget_pk(&pk) {
                push_item(item, &mut due.budgets, "alert budget", report);
            } else {
                push_item(item, &mut due.apps, "heartbeat", report);
            }
        }
        Ok(())
    }
}

/// Adds `item` read as a `T` to `into`; one it cannot read is counted and logged.
fn push_item<T: serde::de::DeserializeOwned>(
    item: HashMap<String, AttributeValue>,
    into: &mut Vec<T>,
    what: &str,
    report: &mut ScanReport,
) {
    match serde_dynamo::from_item(item) {
        Ok(rec) => into.push(rec),
        Err(err) => {
            report.errors += 1;
            tracing::error!(error = %err, "unreadable {what} item");
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
            let mut keys = Vec::new();
            for shard in 0..index_shards() {
                let shard = shard_name(shard);
                let query = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(self.index)
                    .key_condition_expression("dueShard = :s AND dueAt <= :now")
                    .projection_expression("pk")
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
                        let Some(AttributeValue::S(pk)) = item.get("pk") else {
                            report.errors += 1;
                            tracing::error!("a due index entry without its key");
                            continue;
                        };
                        if !is_budget_pk(pk) {
                            if usize::try_from(report.due).unwrap_or(usize::MAX) >= max_apps {
                                report.truncated = true;
                                return Ok(Next::Stop);
                            }
                            report.due += 1;
                        }
                        keys.push(pk.clone());
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
            if let Err(err) = self.read_items(keys, &mut due, report).await {
                // Nothing is acted on this run; what is due stays due for the next.
                report.errors += 1;
                tracing::error!(error = %error_chain(&err), "reading the due items failed");
                due = DueNow::default();
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
                    .index_name(self.index)
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
