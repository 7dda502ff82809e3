//! Log lines, packed in chunk items (`LOGS_TABLE`): writes, the recent lines of a process, and
//! queries a page at a time.

use std::collections::HashMap;

use aws_sdk_dynamodb::{types::AttributeValue, Client};
use lookout_core::{
    ddb,
    page::{ByteBudget, ReadBudget, MAX_READ_PAGES, MAX_READ_TIME},
    time::Timestamp,
    StoreError,
};

use crate::error::LogError;
use crate::input::Batch;
use crate::limits::{CHUNK_MAX_SPAN_SECS, MAX_PAGE, RECENT_MAX_PAGES};
use crate::output::{LogOut, LogPage, LogQuery};
use crate::page_token::{decode_token, encode_token, AFTER_CHUNK};
use crate::planned_write::PlannedWrite;
use crate::records::{user_pk, ChunkRecord, PackedLine};
use crate::user_name::UserName;

/// Chunks one Query page evaluates at most (filtered or not): with
/// `lookout_core::page::MAX_READ_PAGES`, what one request reads is bounded whatever its
/// filters.
const QUERY_PAGE_CHUNKS: i32 = 64;

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
    /// [`plan`](Self::plan), then [`write`](Self::write).
    pub async fn store(&self, batch: Batch, now: Timestamp) -> Result<usize, LogError> {
        let planned = self.plan(batch, now)?;
        self.write(&planned).await
    }

    /// The chunk items a batch becomes, expiring after the retention, and what writing them is
    /// billed ([`PlannedWrite::new`]).
    pub(crate) fn plan(&self, batch: Batch, now: Timestamp) -> Result<PlannedWrite, LogError> {
        PlannedWrite::new(batch, now.unix_seconds() + self.retention_days * 86_400)
    }

    /// Writes a planned batch; the number of lines stored.
    ///
    /// All or nothing as far as one request can make it: up to [`crate::limits::ONE_CALL_CHUNKS`]
    /// chunks go in a single BatchWriteItem (applied as a whole, or not at all when DynamoDB
    /// cannot be reached; unprocessed items are retried), up to [`crate::limits::TRANSACTION_CHUNKS`]
    /// in one TransactWriteItems (atomic, at twice the write units). Only a larger batch (lines
    /// spread over more than ~100 hours) is written in several calls: a failure part-way leaves
    /// some of its chunks stored, and the client's retry rewrites the same items, so it ends
    /// with every line exactly once.
    pub(crate) async fn write(&self, planned: &PlannedWrite) -> Result<usize, LogError> {
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
        let mut start = None;
        let mut pages = 0;
        while out.len() < n && pages < RECENT_MAX_PAGES {
            pages += 1;
            let mut req = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(user_pk(user)))
                .scan_index_forward(false)
                .limit(8)
                .set_exclusive_start_key(start.take());
            if let Some(p) = p_name {
                req = req
                    .filter_expression("pName = :p")
                    .expression_attribute_values(":p", AttributeValue::S(p.to_owned()));
            }
            let page = req.send().await?;
            for item in page.items.unwrap_or_default() {
                let chunk: ChunkRecord = serde_dynamo::from_item(item)?;
                let lines = unpack(&chunk)?;
                out.extend(lines.into_iter().rev().map(|line| line_out(&chunk, line)));
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        // Chunks of different batches may overlap in time: order what we have, keep the newest.
        out.sort_by_key(|l| std::cmp::Reverse(l.event_at));
        out.truncate(n);
        out.reverse();
        Ok(out)
    }

    /// A page of `user`'s lines matching `q`, oldest chunk first.
    pub async fn query(&self, user: &UserName, q: LogQuery) -> Result<LogPage, LogError> {
        let limit = if q.limit == 0 { 100 } else { q.limit };
        if limit > MAX_PAGE {
            return Err(LogError::Invalid(format!("limit must be 1..={MAX_PAGE}")));
        }
        let pk = user_pk(user);
        let (from, to) = (q.from, q.to);
        let (mut lower, mut skip) = match &q.next_token {
            Some(t) => {
                let (sk, skip) = decode_token(t, &pk)?;
                (sk, Some(skip))
            }
            None => {
                let lower = q
                    .from
                    .and_then(|f| {
                        Timestamp::from_datetime(
                            f.datetime() - chrono::Duration::seconds(CHUNK_MAX_SPAN_SECS),
                        )
                    })
                    .map_or_else(|| "0".to_owned(), |t| t.to_rfc3339());
                (lower, None)
            }
        };
        // '~' sorts after every character used in a key.
        let upper = to.map_or_else(|| "~".to_owned(), |t| format!("{t}~"));
        if lower > upper {
            // A token past `to` (another query's, or forged): nothing is left to return, and
            // DynamoDB refuses a BETWEEN whose bounds are reversed.
            return Ok(LogPage {
                user: user.as_str().to_owned(),
                logs: Vec::new(),
                next_token: None,
                usage: None,
            });
        }
        let mut filters = Vec::new();
        let mut values: HashMap<String, AttributeValue> = HashMap::from([
            (":pk".to_owned(), AttributeValue::S(pk.clone())),
            (":lo".to_owned(), AttributeValue::S(lower.clone())),
            (":hi".to_owned(), AttributeValue::S(upper)),
        ]);
        if let Some(f) = &from {
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

        let mut logs = Vec::new();
        let mut budget = ByteBudget::default();
        let mut reads = ReadBudget::new(self.read_pages, MAX_READ_TIME);
        let mut next_token = None;
        let mut start_key = None;
        'pages: loop {
            values.insert(":lo".into(), AttributeValue::S(lower.clone()));
            let mut req = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :lo AND :hi")
                .set_expression_attribute_values(Some(values.clone()))
                .limit(self.page_chunks)
                .set_exclusive_start_key(start_key.take());
            if !filters.is_empty() {
                req = req.filter_expression(filters.join(" AND "));
            }
            let out = req.send().await?;
            for item in out.items.unwrap_or_default() {
                let chunk: ChunkRecord = serde_dynamo::from_item(item)?;
                let first = if skip.is_some() && chunk.sk == lower {
                    skip.take().unwrap_or(0)
                } else {
                    0
                };
                for (i, line) in unpack(&chunk)?.into_iter().enumerate().skip(first) {
                    let (at, level) = (line.0, line.1);
                    if from.as_ref().is_some_and(|f| at < *f)
                        || to.as_ref().is_some_and(|t| at > *t)
                        || (!q.levels.is_empty() && !q.levels.contains(&level))
                    {
                        continue;
                    }
                    let line = line_out(&chunk, line);
                    // A page stops at `limit` lines or at its byte budget, whichever is first.
                    if logs.len() == limit || !budget.take_json(&line) {
                        next_token = Some(encode_token(&pk, &chunk.sk, i));
                        break 'pages;
                    }
                    logs.push(line);
                }
            }
            match out.last_evaluated_key {
                Some(k) if reads.spent() => {
                    // Read enough for one request (a filter that matches little, a long
                    // partition): answer with what there is, and go on after the last chunk
                    // read, every line of which was taken or filtered out.
                    if let Some(AttributeValue::S(sk)) = k.get("sk") {
                        next_token = Some(encode_token(&pk, sk, AFTER_CHUNK));
                    }
                    break;
                }
                Some(k) => start_key = Some(k),
                None => break,
            }
        }
        // Lines from overlapping batches interleave: return each page in time order.
        logs.sort_by_key(|l| l.event_at);
        lower.clear();
        Ok(LogPage {
            user: user.as_str().to_owned(),
            logs,
            next_token,
            usage: None,
        })
    }
}

/// The lines packed in a chunk.
fn unpack(chunk: &ChunkRecord) -> Result<Vec<PackedLine>, StoreError> {
    serde_json::from_str(&chunk.lines)
        .map_err(|e| StoreError::invariant(format!("stored lines: {e}")))
}

/// A line of `chunk` as the queries return it.
fn line_out(chunk: &ChunkRecord, (at, level, msg, desc): PackedLine) -> LogOut {
    LogOut {
        event_at: at,
        level: level.as_str().to_owned(),
        msg,
        p_description: desc,
        p_name: chunk.p_name.clone(),
        pid: chunk.pid,
        post_time: chunk.post_time,
    }
}
