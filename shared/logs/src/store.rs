//! The logs' DynamoDB store: users, writes and queries.

use super::*;

/// Log users and log chunks in DynamoDB.
#[derive(Debug, Clone)]
pub struct LogStore {
    pub(crate) client: Client,
    pub(crate) users_table: String,
    pub(crate) logs_table: String,
    pub(crate) retention_days: i64,
    /// How many pages of chunks, of how many chunks each, one query reads at most.
    pub(crate) read_pages: usize,
    pub(crate) page_chunks: i32,
}

impl LogStore {
    pub fn new(
        client: Client,
        users_table: impl Into<String>,
        logs_table: impl Into<String>,
        retention_days: i64,
    ) -> Self {
        Self {
            client,
            users_table: users_table.into(),
            logs_table: logs_table.into(),
            retention_days,
            read_pages: lookout_core::page::MAX_READ_PAGES,
            page_chunks: QUERY_PAGE_CHUNKS,
        }
    }

    /// The same store reading at most `pages` pages of `chunks` chunks per query (tests use
    /// small bounds to see them at work on little data).
    pub fn with_read_bounds(mut self, pages: usize, chunks: i32) -> Self {
        self.read_pages = pages;
        self.page_chunks = chunks;
        self
    }

    /// `LOG_USERS_TABLE`, `LOGS_TABLE`, `LOG_RETENTION_DAYS` (default 30).
    pub fn from_env(client: Client) -> Result<Self, config::ConfigError> {
        let days = config::retention_days(config::names::LOG_RETENTION_DAYS, 30)?;
        Ok(Self::new(
            client,
            config::required(config::names::LOG_USERS_TABLE)?,
            config::required(config::names::LOGS_TABLE)?,
            days,
        ))
    }

    /// Creates a user (`rotate == false`, 409 if it exists) or replaces its token
    /// (`rotate == true`, 404 if it does not exist). The token is returned once.
    pub async fn issue_token(
        &self,
        user: &UserName,
        rotate: bool,
    ) -> Result<IssuedToken, LogsError> {
        let mut secret = [0_u8; 24];
        rand::rng().fill_bytes(&mut secret);
        let token = hex::encode(secret);
        let x = x_user_token(&token);
        let now = Timestamp::now();
        if rotate {
            let res = self
                .client
                .update_item()
                .table_name(&self.users_table)
                .key("pk", AttributeValue::S(user.as_str().to_owned()))
                .update_expression("SET tokenSha256 = :h, rotatedAt = :now")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":h", AttributeValue::S(stored_hash(&x)))
                .expression_attribute_values(":now", AttributeValue::S(now.to_rfc3339()))
                .send()
                .await;
            match res {
                Ok(_) => {}
                Err(err) if ddb::is_conditional_check_failed(&err) => {
                    return Err(LogsError::UnknownUser(user.as_str().to_owned()))
                }
                Err(err) => return Err(err.into()),
            }
        } else {
            let record = UserRecord {
                pk: user.as_str().to_owned(),
                token_sha256: stored_hash(&x),
                created_at: now,
                rotated_at: now,
            };
            if !ddb::put_new(&self.client, &self.users_table, &record).await? {
                return Err(LogsError::UserExists(user.as_str().to_owned()));
            }
        }
        Ok(IssuedToken {
            user: user.as_str().to_owned(),
            token,
            x_user_token: x,
            rotated: rotate,
        })
    }

    /// `user`'s usage when `x_user_token` is its current token (constant-time compare);
    /// `None` for an unknown user or another token.
    pub async fn verify(
        &self,
        user: &UserName,
        x_user_token: &str,
    ) -> Result<Option<Usage>, LogsError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.users_table)
            .key("pk", AttributeValue::S(user.as_str().to_owned()))
            .send()
            .await?;
        let presented = stored_hash(x_user_token);
        Ok(match out.item {
            Some(item) => {
                let usage = Usage::from_item(&item);
                let rec: UserRecord = serde_dynamo::from_item(item)?;
                ct_eq(presented.as_bytes(), rec.token_sha256.as_bytes()).then_some(usage)
            }
            None => {
                // Same work either way: no timing hint about which users exist.
                let _ = ct_eq(presented.as_bytes(), presented.as_bytes());
                None
            }
        })
    }

    /// Stores every line of a batch, or fails so the client retries (retries are idempotent):
    /// [`plan`](Self::plan), then [`write`](Self::write).
    pub async fn store(&self, batch: Batch, now: Timestamp) -> Result<usize, LogsError> {
        let planned = self.plan(batch, now)?;
        self.write(&planned).await
    }

    /// The chunk items a batch becomes (packing is a pure function of the batch), and what
    /// writing them is billed: what the daily quota counts, before anything is written.
    pub fn plan(&self, batch: Batch, now: Timestamp) -> Result<PlannedWrite, LogsError> {
        let lines = batch.logs.len();
        if lines == 0 {
            return Ok(PlannedWrite {
                chunks: Vec::new(),
                lines: 0,
                billed_bytes: 0,
            });
        }
        let expires = now.unix_seconds() + self.retention_days * 86_400;
        let chunks = pack(batch, Some(expires))?;
        // A write unit per started KB of each item; a transaction's writes cost twice.
        let kb: u64 = chunks
            .iter()
            .map(|c| {
                u64::try_from(lookout_core::page::json_len(c).div_ceil(1024)).unwrap_or(u64::MAX)
            })
            .sum();
        let factor = if chunks.len() > ONE_CALL_CHUNKS && chunks.len() <= TRANSACTION_CHUNKS {
            2
        } else {
            1
        };
        Ok(PlannedWrite {
            chunks,
            lines,
            billed_bytes: kb.saturating_mul(1024 * factor),
        })
    }

    /// Writes a planned batch; the number of lines stored.
    ///
    /// All or nothing as far as one request can make it: up to [`ONE_CALL_CHUNKS`] chunks go
    /// in a single BatchWriteItem (applied as a whole, or not at all when DynamoDB cannot be
    /// reached; unprocessed items are retried), up to [`TRANSACTION_CHUNKS`] in one
    /// TransactWriteItems (atomic, at twice the write units). Only a larger batch (lines spread
    /// over more than ~100 hours) is written in several calls: a failure part-way leaves some
    /// of its chunks stored, and the client's retry rewrites the same items, so it ends with
    /// every line exactly once.
    pub async fn write(&self, planned: &PlannedWrite) -> Result<usize, LogsError> {
        let chunks = &planned.chunks;
        if chunks.is_empty() {
            return Ok(0);
        }
        if chunks.len() > ONE_CALL_CHUNKS && chunks.len() <= TRANSACTION_CHUNKS {
            let puts = chunks
                .iter()
                .map(|chunk| ddb::transact_put(&self.logs_table, chunk))
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
        ddb::batch_write_all(&self.client, &self.logs_table, requests).await?;
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
    ) -> Result<Vec<LogOut>, LogsError> {
        let mut out: Vec<LogOut> = Vec::new();
        let mut start = None;
        let mut pages = 0;
        while out.len() < n && pages < RECENT_MAX_PAGES {
            pages += 1;
            let mut req = self
                .client
                .query()
                .table_name(&self.logs_table)
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
                let packed: Vec<PackedLine> = serde_json::from_str(&chunk.lines)
                    .map_err(|e| StoreError::invariant(format!("stored lines: {e}")))?;
                for (at, level, msg, desc) in packed.into_iter().rev() {
                    out.push(LogOut {
                        event_at: at,
                        level: level.as_str().to_owned(),
                        msg,
                        p_description: desc,
                        p_name: chunk.p_name.clone(),
                        pid: chunk.pid,
                        post_time: chunk.post_time,
                    });
                }
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
    pub async fn query(&self, user: &UserName, q: LogQuery) -> Result<LogPage, LogsError> {
        let limit = if q.limit == 0 { 100 } else { q.limit };
        if limit > MAX_PAGE {
            return Err(LogsError::Invalid(format!("limit must be 1..={MAX_PAGE}")));
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
        let mut budget = lookout_core::page::ByteBudget::default();
        let mut reads =
            lookout_core::page::ReadBudget::new(self.read_pages, lookout_core::page::MAX_READ_TIME);
        let mut next_token = None;
        let mut start_key = None;
        'pages: loop {
            values.insert(":lo".into(), AttributeValue::S(lower.clone()));
            let mut req = self
                .client
                .query()
                .table_name(&self.logs_table)
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
                let packed: Vec<PackedLine> = serde_json::from_str(&chunk.lines)
                    .map_err(|e| StoreError::invariant(format!("stored lines: {e}")))?;
                for (i, (at, level, msg, desc)) in packed.into_iter().enumerate().skip(first) {
                    if from.as_ref().is_some_and(|f| at < *f)
                        || to.as_ref().is_some_and(|t| at > *t)
                        || (!q.levels.is_empty() && !q.levels.contains(&level))
                    {
                        continue;
                    }
                    let line = LogOut {
                        event_at: at,
                        level: level.as_str().to_owned(),
                        msg,
                        p_description: desc,
                        p_name: chunk.p_name.clone(),
                        pid: chunk.pid,
                        post_time: chunk.post_time,
                    };
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

/// Chunks one Query page evaluates at most (filtered or not): with
/// `lookout_core::page::MAX_READ_PAGES`, what one request reads is bounded whatever its
/// filters.
pub const QUERY_PAGE_CHUNKS: i32 = 64;

/// A token's line index that skips the whole chunk: the query goes on after it.
const AFTER_CHUNK: usize = u32::MAX as usize;

pub(crate) fn encode_token(pk: &str, sk: &str, line: usize) -> String {
    hex::encode(serde_json::json!({"pk": pk, "sk": sk, "i": line}).to_string())
}

pub(crate) fn decode_token(token: &str, pk: &str) -> Result<(String, usize), LogsError> {
    let invalid = || LogsError::Invalid("next_token is invalid".into());
    let bytes = hex::decode(token).map_err(|_| invalid())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    match (v["pk"].as_str(), v["sk"].as_str(), v["i"].as_u64()) {
        // A sort key is 1..=1024 bytes: anything else was never issued, and DynamoDB would
        // refuse it as a key condition value (a 500 instead of a 400).
        (Some(p), Some(sk), Some(i)) if p == pk && (1..=1024).contains(&sk.len()) => {
            Ok((sk.to_owned(), usize::try_from(i).map_err(|_| invalid())?))
        }
        _ => Err(invalid()),
    }
}
