//! Log lines, packed in chunk items (`LOGS_TABLE`): writes, the recent lines of a process, and
//! queries a page at a time. The port ([`LogLines`]) and its DynamoDB adapter
//! ([`LogLineStore`]); the in-memory one is `store::memory::MemoryLogLines`.

use std::collections::HashMap;
use std::fmt::Debug;

use aws_sdk_dynamodb::{types::AttributeValue, Client};
use lookout_core::{
    ddb::{self, Next},
    page::{ReadBudget, MAX_READ_PAGES, MAX_READ_TIME},
    time::Timestamp,
    BoxFuture, StoreError,
};

use crate::error::LogError;
use crate::input::Batch;
use crate::limits::RECENT_MAX_PAGES;
use crate::output::{LogOut, LogPage, LogQuery};
use crate::planned_write::PlannedWrite;
use crate::records::{user_pk, ChunkRecord};
use crate::store::chunk_page::{empty_page, line_out, unpack, ChunkQuery, PageFill};
use crate::user_name::UserName;

/// The log lines a use case writes and reads (the port). Its records are the crate's own, so
/// other crates use the adapters, and implement none.
pub trait LogLines: Send + Sync + Debug {
    /// The chunk items a batch becomes, expiring after the retention, and what writing them is
    /// billed ([`PlannedWrite::new`]).
    fn plan(&self, batch: Batch, now: Timestamp) -> Result<PlannedWrite, LogError>;

    /// Writes a planned batch; the number of lines stored. A retried batch rewrites the same
    /// items.
    fn write<'a>(&'a self, planned: &'a PlannedWrite) -> BoxFuture<'a, Result<usize, LogError>>;

    /// A page of `user`'s lines matching `q`, oldest chunk first, in time order:
    /// [`LogError::Invalid`] for a limit out of range or a token of another user.
    fn query<'a>(
        &'a self,
        user: &'a UserName,
        q: LogQuery,
    ) -> BoxFuture<'a, Result<LogPage, LogError>>;
}

/// Chunks one Query page evaluates at most (filtered or not): with
/// `lookout_core::page::MAX_READ_PAGES`, what one request reads is bounded whatever its
/// filters.
pub(crate) const QUERY_PAGE_CHUNKS: i32 = 64;

/// Log chunks in DynamoDB.
#[derive(Debug, Clone)]
pub struct LogLineStore {
    client: Client,
    table: String,
    retention_days: i64,
    /// How many pages of chunks, of how many chunks each, one query reads at most.
    read_pages: usize,
    page_chunks: i32,
}

impl LogLineStore {
    pub(crate) fn new(client: Client, table: impl Into<String>, retention_days: i64) -> Self {
        Self {
            client,
            table: table.into(),
            retention_days,
            read_pages: MAX_READ_PAGES,
            page_chunks: QUERY_PAGE_CHUNKS,
        }
    }

    /// The same store reading at most `pages` pages of `chunks` chunks per query (tests use
    /// small bounds to see them at work on little data).
    pub(crate) fn with_read_bounds(mut self, pages: usize, chunks: i32) -> Self {
        self.read_pages = pages;
        self.page_chunks = chunks;
        self
    }

    /// Stores every line of a batch, or fails so the client retries (retries are idempotent):
    /// [`plan`](LogLines::plan), then [`write`](LogLines::write).
    pub async fn store(&self, batch: Batch, now: Timestamp) -> Result<usize, LogError> {
        let planned = self.plan(batch, now)?;
        self.write(&planned).await
    }

    /// The newest `n` lines of `user` (optionally of one process), oldest first: a Query on the
    /// user's partition backwards, stopping as soon as enough lines are in hand, and after
    /// [`RECENT_MAX_PAGES`] pages in any case (a process filter that matches nothing would
    /// otherwise read the user's whole partition).
    pub async fn recent(
        &self,
        user: &UserName,
        p_name: Option<&str>,
        n: usize,
    ) -> Result<Vec<LogOut>, LogError> {
        let mut out: Vec<LogOut> = Vec::new();
        let mut req = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(user_pk(user)))
            .scan_index_forward(false)
            .limit(8);
        if let Some(p) = p_name {
            req = req
                .filter_expression("pName = :p")
                .expression_attribute_values(":p", AttributeValue::S(p.to_owned()));
        }
        if n > 0 {
            ddb::query_pages(req, Some(RECENT_MAX_PAGES), |page| {
                for item in page.items.unwrap_or_default() {
                    let chunk: ChunkRecord = serde_dynamo::from_item(item)?;
                    let lines = unpack(&chunk)?;
                    out.extend(lines.into_iter().rev().map(|line| line_out(&chunk, line)));
                }
                Ok::<_, LogError>(if out.len() < n {
                    Next::Page
                } else {
                    Next::Stop
                })
            })
            .await?;
        }
        // Chunks of different batches may overlap in time: order what we have, keep the newest.
        out.sort_by_key(|l| std::cmp::Reverse(l.event_at));
        out.truncate(n);
        out.reverse();
        Ok(out)
    }
}

impl LogLines for LogLineStore {
    fn plan(&self, batch: Batch, now: Timestamp) -> Result<PlannedWrite, LogError> {
        PlannedWrite::new(batch, now.unix_seconds() + self.retention_days * 86_400)
    }

    /// All or nothing as far as one request can make it: up to [`crate::limits::ONE_CALL_CHUNKS`]
    /// chunks go in a single BatchWriteItem (applied as a whole, or not at all when DynamoDB
    /// cannot be reached; unprocessed items are retried), up to [`crate::limits::TRANSACTION_CHUNKS`]
    /// in one TransactWriteItems (atomic, at twice the write units). Only a larger batch (lines
    /// spread over more than ~100 hours) is written in several calls: a failure part-way leaves
    /// some of its chunks stored, and the client's retry rewrites the same items, so it ends
    /// with every line exactly once.
    fn write<'a>(&'a self, planned: &'a PlannedWrite) -> BoxFuture<'a, Result<usize, LogError>> {
        Box::pin(async move {
            let chunks = &planned.chunks;
            if chunks.is_empty() {
                return Ok(0);
            }
            if planned.in_one_transaction() {
                let puts = chunks
                    .iter()
                    .map(|chunk| ddb::transact_put(&self.table, chunk))
                    .collect::<Result<Vec<_>, StoreError>>()?;
                self.client
                    .transact_write_items()
                    .set_transact_items(Some(puts))
                    .send()
                    .await?;
                return Ok(planned.lines);
            }
            let requests = chunks
                .iter()
                .map(ddb::put_request)
                .collect::<Result<Vec<_>, StoreError>>()?;
            ddb::batch_write_all(&self.client, &self.table, requests).await?;
            Ok(planned.lines)
        })
    }

    /// One Query on the user's partition between the query's chunk keys, filtered by
    /// [`ChunkQuery::keeps`]' expression, a page of chunks at a time until the page is full or
    /// the read budget is spent.
    fn query<'a>(
        &'a self,
        user: &'a UserName,
        q: LogQuery,
    ) -> BoxFuture<'a, Result<LogPage, LogError>> {
        Box::pin(async move {
            let Some(query) = ChunkQuery::new(user, q)? else {
                return Ok(empty_page(user));
            };
            let (filter, values) = filter_expression(&query);
            let mut page = PageFill::new(&query);
            let mut reads = ReadBudget::new(self.read_pages, MAX_READ_TIME);
            let mut req = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :lo AND :hi")
                .set_expression_attribute_values(Some(values))
                .limit(self.page_chunks);
            if let Some(f) = &filter {
                req = req.filter_expression(f);
            }
            ddb::query_pages(req, None, |out| {
                for item in out.items.unwrap_or_default() {
                    let chunk: ChunkRecord = serde_dynamo::from_item(item)?;
                    if !page.take(&chunk)? {
                        return Ok(Next::Stop);
                    }
                }
                match out.last_evaluated_key {
                    Some(k) if reads.spent() => {
                        // Read enough for one request (a filter that matches little, a long
                        // partition): answer with what there is, and go on after the last
                        // chunk read.
                        if let Some(AttributeValue::S(sk)) = k.get("sk") {
                            page.stop_after(sk);
                        }
                        Ok(Next::Stop)
                    }
                    _ => Ok::<_, LogError>(Next::Page),
                }
            })
            .await?;
            Ok(page.finish(user))
        })
    }
}

/// The Query's filter expression (what [`ChunkQuery::keeps`] says in memory) and the values
/// of it and of the key condition.
fn filter_expression(query: &ChunkQuery) -> (Option<String>, HashMap<String, AttributeValue>) {
    let q = &query.q;
    let mut filters = Vec::new();
    let mut values: HashMap<String, AttributeValue> = HashMap::from([
        (":pk".to_owned(), AttributeValue::S(query.pk.clone())),
        (":lo".to_owned(), AttributeValue::S(query.lower.clone())),
        (":hi".to_owned(), AttributeValue::S(query.upper.clone())),
    ]);
    if let Some(f) = &q.from {
        filters.push("maxAt >= :from".to_owned());
        values.insert(":from".into(), AttributeValue::S(f.to_rfc3339()));
    }
    if let Some(p) = &q.p_name {
        filters.push("pName = :pname".to_owned());
        values.insert(":pname".into(), AttributeValue::S(p.clone()));
    }
    if let Some(pid) = q.pid {
        filters.push("pid = :pid".to_owned());
        values.insert(":pid".into(), AttributeValue::N(pid.to_string()));
    }
    if !q.levels.is_empty() {
        let ors: Vec<String> = q
            .levels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                values.insert(format!(":l{i}"), AttributeValue::S(l.as_str().to_owned()));
                format!("contains(levels, :l{i})")
            })
            .collect();
        filters.push(format!("({})", ors.join(" OR ")));
    }
    let filter = (!filters.is_empty()).then(|| filters.join(" AND "));
    (filter, values)
}
