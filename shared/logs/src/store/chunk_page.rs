//! A query's page over a user's chunks, pure (no I/O): the key range a query reads, the filter
//! its chunks pass, and the page their lines fill. Both line adapters (DynamoDB, in-memory)
//! read the chunks and hand them here, so they page alike.

use chrono::Duration;
use lookout_core::{page::ByteBudget, time::Timestamp, StoreError};

use crate::error::LogError;
use crate::limits::{CHUNK_MAX_SPAN_SECS, MAX_PAGE};
use crate::output::{LogOut, LogPage, LogQuery};
use crate::page_token::{decode_token, encode_token, AFTER_CHUNK};
use crate::records::{user_pk, ChunkRecord, PackedLine};
use crate::user_name::UserName;

/// A query, resolved: its partition, the range of chunk keys it reads, and its page size.
#[derive(Debug)]
pub(crate) struct ChunkQuery {
    pub(crate) pk: String,
    /// From the chunks that may hold lines at `from` (a chunk spans at most
    /// [`CHUNK_MAX_SPAN_SECS`]), or the token's chunk.
    pub(crate) lower: String,
    /// Up to the chunks that start at `to`.
    pub(crate) upper: String,
    pub(crate) limit: usize,
    /// The token's line inside chunk `lower`.
    skip: Option<usize>,
    pub(crate) q: LogQuery,
}

impl ChunkQuery {
    /// The query `q` of `user`'s lines: [`LogError::Invalid`] for a limit out of range or a
    /// token of another user; `None` when nothing is left to read (a token past `to`).
    pub(crate) fn new(user: &UserName, q: LogQuery) -> Result<Option<Self>, LogError> {
        let limit = if q.limit == 0 { 100 } else { q.limit };
        if limit > MAX_PAGE {
            return Err(LogError::Invalid(format!("limit must be 1..={MAX_PAGE}")));
        }
        let pk = user_pk(user);
        let (lower, skip) = match &q.next_token {
            Some(t) => {
                let (sk, skip) = decode_token(t, &pk)?;
                (sk, Some(skip))
            }
            None => {
                let lower = q
                    .from
                    .and_then(|f| {
                        Timestamp::from_datetime(
                            f.datetime() - Duration::seconds(CHUNK_MAX_SPAN_SECS),
                        )
                    })
                    .map_or_else(|| "0".to_owned(), |t| t.to_rfc3339());
                (lower, None)
            }
        };
        // '~' sorts after every character used in a key.
        let upper = q.to.map_or_else(|| "~".to_owned(), |t| format!("{t}~"));
        if lower > upper {
            // A token past `to` (another query's, or forged): nothing is left to return, and
            // DynamoDB refuses a BETWEEN whose bounds are reversed.
            return Ok(None);
        }
        Ok(Some(Self {
            pk,
            lower,
            upper,
            limit,
            skip,
            q,
        }))
    }

    /// Whether chunk key `sk` is in the range the query reads (`BETWEEN lower AND upper`).
    pub(crate) fn in_range(&self, sk: &str) -> bool {
        self.lower.as_str() <= sk && sk <= self.upper.as_str()
    }

    /// Whether `chunk` passes the query's chunk filter: what the DynamoDB adapter's filter
    /// expression keeps (`maxAt >= from`, the process, one of the levels).
    pub(crate) fn keeps(&self, chunk: &ChunkRecord) -> bool {
        let q = &self.q;
        q.from.is_none_or(|f| chunk.max_at >= f)
            && q.p_name.as_ref().is_none_or(|p| chunk.p_name == *p)
            && q.pid.is_none_or(|pid| chunk.pid == pid)
            && (q.levels.is_empty() || q.levels.iter().any(|l| chunk.levels.contains(l.as_str())))
    }
}

/// A page being filled, chunk by chunk in key order.
#[derive(Debug)]
pub(crate) struct PageFill<'q> {
    query: &'q ChunkQuery,
    skip: Option<usize>,
    logs: Vec<LogOut>,
    budget: ByteBudget,
    next_token: Option<String>,
}

impl<'q> PageFill<'q> {
    pub(crate) fn new(query: &'q ChunkQuery) -> Self {
        Self {
            query,
            skip: query.skip,
            logs: Vec::new(),
            budget: ByteBudget::default(),
            next_token: None,
        }
    }

    /// Takes the lines of `chunk` the query keeps (after the token's line, in the token's
    /// chunk): false once the page is full, at `limit` lines or at its byte budget, whichever
    /// is first; its token then points at the first line left.
    pub(crate) fn take(&mut self, chunk: &ChunkRecord) -> Result<bool, LogError> {
        let first = if self.skip.is_some() && chunk.sk == self.query.lower {
            self.skip.take().unwrap_or(0)
        } else {
            0
        };
        let q = &self.query.q;
        for (i, line) in unpack(chunk)?.into_iter().enumerate().skip(first) {
            let (at, level) = (line.0, line.1);
            if q.from.as_ref().is_some_and(|f| at < *f)
                || q.to.as_ref().is_some_and(|t| at > *t)
                || (!q.levels.is_empty() && !q.levels.contains(&level))
            {
                continue;
            }
            let line = line_out(chunk, line);
            if self.logs.len() == self.query.limit || !self.budget.take_json(&line) {
                self.next_token = Some(encode_token(&self.query.pk, &chunk.sk, i));
                return Ok(false);
            }
            self.logs.push(line);
        }
        Ok(true)
    }

    /// Ends the page after chunk `sk`, every line of which was taken or filtered out (the
    /// request has read enough): the next page goes on after it.
    pub(crate) fn stop_after(&mut self, sk: &str) {
        self.next_token = Some(encode_token(&self.query.pk, sk, AFTER_CHUNK));
    }

    /// The page of `user`'s lines, in time order (lines from overlapping batches interleave).
    pub(crate) fn finish(mut self, user: &UserName) -> LogPage {
        self.logs.sort_by_key(|l| l.event_at);
        LogPage {
            user: user.as_str().to_owned(),
            logs: self.logs,
            next_token: self.next_token,
            usage: None,
        }
    }
}

/// The page of a query with nothing left to read.
pub(crate) fn empty_page(user: &UserName) -> LogPage {
    LogPage {
        user: user.as_str().to_owned(),
        logs: Vec::new(),
        next_token: None,
        usage: None,
    }
}

/// The lines packed in a chunk.
pub(crate) fn unpack(chunk: &ChunkRecord) -> Result<Vec<PackedLine>, StoreError> {
    serde_json::from_str(&chunk.lines)
        .map_err(|e| StoreError::invariant(format!("stored lines: {e}")))
}

/// A line of `chunk` as the queries return it.
pub(crate) fn line_out(chunk: &ChunkRecord, (at, level, msg, desc): PackedLine) -> LogOut {
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
