//! Log ingestion (seed 000): users and their tokens, batch packing, storage and queries.
//!
//! ## Cost-driven layout
//! DynamoDB bills a write per started KB of item. One item per ~120-byte line costs a whole
//! write unit per line. Instead, a batch's lines are sorted by time and packed into chunk
//! items of up to [`CHUNK_TARGET_BYTES`] spanning at most [`CHUNK_MAX_SPAN_SECS`], so a write
//! unit carries ~7 lines (see `bench --bin log_write_units` for the measured ratio).
//!
//! | item  | pk          | sk                                  | attributes |
//! |-------|-------------|-------------------------------------|------------|
//! | chunk | `U#<user>`  | `<minAt>#<batchId>#<chunkNo:04>`    | pid, pName, postTime, minAt, maxAt, levels (set), n, lines (JSON), expiresAt |
//!
//! Users live in `LOG_USERS_TABLE` keyed by name, holding only the SHA-256 of the md5 token.
//!
//! Queries are one Query on `U#<user>` with `sk` between `from - span` and `to`, a filter on
//! `maxAt`/process/level, and exact filtering of lines in the function. Page tokens point at a
//! chunk and a line inside it.
//!
//! Idempotency: `batchId` is a hash of the whole batch (user, pid, process, post_time, every
//! line), and chunking is a pure function of the batch, so a retried batch rewrites the same
//! items while two different batches never share one.

use lookout_core::deserialize_via_parse;
use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::{types::AttributeValue, Client};
use md5::{Digest as _, Md5};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

use lookout_core::{
    auth::{ct_eq, sha256_hex},
    config, ddb,
    time::Timestamp,
    AppError,
};

/// Most lines one `/send_logs` call may carry.
pub const MAX_LINES: usize = 10_000;
/// Largest `/send_logs` body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Packed lines per chunk item stop growing past this many bytes.
pub const CHUNK_TARGET_BYTES: usize = 16 * 1024;
/// A chunk never spans more than this, which bounds the range a time query must look back.
pub const CHUNK_MAX_SPAN_SECS: i64 = 3600;
/// Most lines one query page returns.
pub const MAX_PAGE: usize = 1000;
/// Chunks one BatchWriteItem call takes.
pub const ONE_CALL_CHUNKS: usize = 25;
/// Chunks one TransactWriteItems call takes.
pub const TRANSACTION_CHUNKS: usize = 100;

// ---------------------------------------------------------------- wire types (seed 000)

/// `{"data": {...}}`. Unknown fields are ignored here and inside, as the seed's server did.
#[derive(Debug, Deserialize)]
pub struct SendLogs {
    pub data: Batch,
}

#[derive(Debug, Deserialize)]
pub struct Batch {
    pub user: UserName,
    pub pid: u64,
    pub p_name: String,
    pub post_time: Timestamp,
    pub logs: Vec<LogLine>,
}

#[derive(Debug, Deserialize)]
pub struct LogLine {
    pub level: Level,
    /// Text; the seed-000 client sends Python's raw `record.msg`, which may be any JSON value
    /// (a number, an object): that is kept as its JSON text.
    #[serde(deserialize_with = "message_text")]
    pub msg: String,
    pub event_at: Timestamp,
    #[serde(default)]
    pub p_description: String,
}

impl Batch {
    /// Limits beyond the types: line count and string sizes.
    pub fn validate(&self) -> Result<(), String> {
        if self.logs.len() > MAX_LINES {
            return Err(format!(
                "{} lines; the limit is {MAX_LINES}",
                self.logs.len()
            ));
        }
        if self.p_name.chars().count() > 256 {
            return Err("p_name is longer than 256 characters".into());
        }
        if self
            .logs
            .iter()
            .any(|l| l.p_description.chars().count() > 1024)
        {
            return Err("p_description is longer than 1024 characters".into());
        }
        if self.logs.iter().any(|l| l.msg.len() > 64 * 1024) {
            return Err("msg is longer than 64 KB".into());
        }
        Ok(())
    }
}

/// A log user: 1–128 characters, no control characters, no `#`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct UserName(String);

impl UserName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let n = s.chars().count();
        if n == 0 || n > 128 || s.trim().is_empty() {
            return Err("user must be 1-128 characters".into());
        }
        if s.chars().any(|c| c.is_control() || c == '#') {
            return Err("user must not contain control characters or '#'".into());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

deserialize_via_parse!(UserName);

fn message_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Null => Err(serde::de::Error::custom("msg must not be null")),
        other => Ok(other.to_string()),
    }
}

/// Python logging's levels, lowercase; `warn`, `crit`, `fatal` are accepted as aliases, and so
/// are Python's level numbers (the seed-000 client sends `record.levelno`: 30, 40, 50): a
/// number names the highest standard level at or below it (35 → warning, 60 → critical).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Warning,
    Error,
    Critical,
}

impl Level {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "debug" => Ok(Self::Debug),
            "info" => Ok(Self::Info),
            "warning" | "warn" => Ok(Self::Warning),
            "error" => Ok(Self::Error),
            "critical" | "crit" | "fatal" => Ok(Self::Critical),
            other => Err(format!(
                "level {other:?} is not one of debug, info, warning, error, critical"
            )),
        }
    }

    /// A Python logging level number.
    pub fn from_number(n: i64) -> Result<Self, String> {
        match n {
            i64::MIN..=-1 => Err(format!("level {n} is negative")),
            0..=19 => Ok(Self::Debug),
            20..=29 => Ok(Self::Info),
            30..=39 => Ok(Self::Warning),
            40..=49 => Ok(Self::Error),
            _ => Ok(Self::Critical),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
            Self::Critical => "critical",
        }
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Self::parse(&s),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(n) => Self::from_number(n),
                None => Err(format!("level {n} is not a whole number")),
            },
            other => Err(format!("level must be a name or a number, not {other}")),
        }
        .map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------- tokens

/// The value clients send as `X-User-Token`: md5 hex of the issued token.
pub fn x_user_token(token: &str) -> String {
    hex::encode(Md5::digest(token.as_bytes()))
}

/// What is stored for a user: SHA-256 of the md5 hex (never the token, never the md5).
pub fn stored_hash(x_user_token: &str) -> String {
    sha256_hex(x_user_token.trim().to_ascii_lowercase().as_bytes())
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserRecord {
    pk: String,
    token_sha256: String,
    created_at: String,
    rotated_at: String,
}

/// A token just issued; shown once.
#[derive(Debug, Serialize)]
pub struct IssuedToken {
    pub user: String,
    /// The secret itself.
    pub token: String,
    /// What the client sends as `X-User-Token` (md5 hex of `token`).
    pub x_user_token: String,
    pub rotated: bool,
}

// ---------------------------------------------------------------- storage records

/// One packed line: `[eventAt, level, msg, p_description]`.
type PackedLine = (String, Level, String, String);

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChunkRecord {
    pk: String,
    sk: String,
    pid: u64,
    p_name: String,
    post_time: String,
    min_at: String,
    max_at: String,
    levels: BTreeSet<String>,
    n: usize,
    lines: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
}

/// A stored line as the query returns it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogOut {
    pub event_at: String,
    pub level: String,
    pub msg: String,
    pub p_description: String,
    pub p_name: String,
    pub pid: u64,
    pub post_time: String,
}

/// A page of query results.
#[derive(Debug, Serialize, Deserialize)]
pub struct LogPage {
    pub user: String,
    pub logs: Vec<LogOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// Query filters.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub p_name: Option<String>,
    pub pid: Option<u64>,
    pub levels: Vec<Level>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub limit: usize,
    pub next_token: Option<String>,
}

fn user_pk(user: &UserName) -> String {
    format!("U#{}", user.as_str())
}

/// The batch's identity: a hash of everything in it. A retried batch gets the same id (and so
/// rewrites the same items); any other batch, even from the same process with the same
/// `post_time`, gets its own.
fn batch_id(batch: &Batch) -> String {
    let mut h = Sha256::new();
    let mut part = |p: &str| {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    };
    part(batch.user.as_str());
    part(&batch.pid.to_string());
    part(&batch.p_name);
    part(&batch.post_time.to_rfc3339());
    for l in &batch.logs {
        part(&l.event_at.to_rfc3339());
        part(l.level.as_str());
        part(&l.msg);
        part(&l.p_description);
    }
    hex::encode(&h.finalize()[..8])
}

/// Packed size of one line inside the `lines` JSON (close enough for chunking).
fn packed_len(l: &PackedLine) -> usize {
    l.0.len() + l.1.as_str().len() + l.2.len() + l.3.len() + 16
}

/// Chunk items for a batch: lines sorted by time, cut at the size target or the span limit.
/// A pure function of the batch, so retries produce the same keys.
fn pack(batch: Batch, expires_at: Option<i64>) -> Result<Vec<ChunkRecord>, AppError> {
    let pk = user_pk(&batch.user);
    let id = batch_id(&batch);
    let mut lines: Vec<(Timestamp, PackedLine)> = batch
        .logs
        .into_iter()
        .map(|l| {
            (
                l.event_at,
                (l.event_at.to_rfc3339(), l.level, l.msg, l.p_description),
            )
        })
        .collect();
    // Stable: lines with equal times keep their order.
    lines.sort_by_key(|(at, _)| *at);

    let mut groups: Vec<Vec<(Timestamp, PackedLine)>> = Vec::new();
    let mut size = 0;
    for line in lines {
        let len = packed_len(&line.1);
        let start_new = match groups.last().and_then(|g| g.first()) {
            None => true,
            Some((first, _)) => {
                size + len > CHUNK_TARGET_BYTES
                    || line.0.unix_seconds() - first.unix_seconds() > CHUNK_MAX_SPAN_SECS
            }
        };
        if start_new {
            groups.push(Vec::new());
            size = 0;
        }
        size += len;
        if let Some(g) = groups.last_mut() {
            g.push(line);
        }
    }

    groups
        .into_iter()
        .enumerate()
        .map(|(no, group)| {
            let min_at = group.first().map(|(_, l)| l.0.clone()).unwrap_or_default();
            let max_at = group.last().map(|(_, l)| l.0.clone()).unwrap_or_default();
            let levels = group.iter().map(|(_, l)| l.1.as_str().to_owned()).collect();
            let packed: Vec<PackedLine> = group.into_iter().map(|(_, l)| l).collect();
            Ok(ChunkRecord {
                pk: pk.clone(),
                sk: format!("{min_at}#{id}#{no:04}"),
                pid: batch.pid,
                p_name: batch.p_name.clone(),
                post_time: batch.post_time.to_rfc3339(),
                min_at,
                max_at,
                levels,
                n: packed.len(),
                lines: serde_json::to_string(&packed).map_err(AppError::internal)?,
                expires_at,
            })
        })
        .collect()
}

pub use lookout_core::ddb::{item_size, write_units};

/// Items of a batch as stored (for the cost benchmark; the store uses the same function).
pub fn batch_items(batch: Batch) -> Result<Vec<HashMap<String, AttributeValue>>, AppError> {
    pack(batch, Some(0))?
        .iter()
        .map(|c| serde_dynamo::to_item(c).map_err(AppError::from))
        .collect()
}

/// The one-item-per-line layout the packed one is measured against.
pub fn baseline_items(batch: &Batch) -> Vec<HashMap<String, AttributeValue>> {
    let id = batch_id(batch);
    batch
        .logs
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let at = l.event_at.to_rfc3339();
            HashMap::from([
                ("pk".to_owned(), AttributeValue::S(user_pk(&batch.user))),
                (
                    "sk".to_owned(),
                    AttributeValue::S(format!("{at}#{id}#{i:05}")),
                ),
                ("pid".to_owned(), AttributeValue::N(batch.pid.to_string())),
                ("pName".to_owned(), AttributeValue::S(batch.p_name.clone())),
                (
                    "postTime".to_owned(),
                    AttributeValue::S(batch.post_time.to_rfc3339()),
                ),
                ("eventAt".to_owned(), AttributeValue::S(at)),
                (
                    "level".to_owned(),
                    AttributeValue::S(l.level.as_str().to_owned()),
                ),
                ("msg".to_owned(), AttributeValue::S(l.msg.clone())),
                (
                    "pDescription".to_owned(),
                    AttributeValue::S(l.p_description.clone()),
                ),
                ("expiresAt".to_owned(), AttributeValue::N("0".into())),
            ])
        })
        .collect()
}

// ---------------------------------------------------------------- the store

/// Log users and log chunks in DynamoDB.
#[derive(Debug, Clone)]
pub struct LogStore {
    client: Client,
    users_table: String,
    logs_table: String,
    retention_days: i64,
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
        }
    }

    /// `LOG_USERS_TABLE`, `LOGS_TABLE`, `LOG_RETENTION_DAYS` (default 30).
    pub fn from_env(client: Client) -> Result<Self, config::ConfigError> {
        let days = match config::optional("LOG_RETENTION_DAYS") {
            None => 30,
            Some(v) => v.parse::<i64>().ok().filter(|d| *d > 0).ok_or_else(|| {
                config::ConfigError("LOG_RETENTION_DAYS must be a positive integer".into())
            })?,
        };
        Ok(Self::new(
            client,
            config::required("LOG_USERS_TABLE")?,
            config::required("LOGS_TABLE")?,
            days,
        ))
    }

    /// Creates a user (`rotate == false`, 409 if it exists) or replaces its token
    /// (`rotate == true`, 404 if it does not exist). The token is returned once.
    pub async fn issue_token(
        &self,
        user: &UserName,
        rotate: bool,
    ) -> Result<IssuedToken, AppError> {
        let mut secret = [0_u8; 24];
        rand::rng().fill_bytes(&mut secret);
        let token = hex::encode(secret);
        let x = x_user_token(&token);
        let now = Timestamp::now().to_rfc3339();
        if rotate {
            let res = self
                .client
                .update_item()
                .table_name(&self.users_table)
                .key("pk", AttributeValue::S(user.as_str().to_owned()))
                .update_expression("SET tokenSha256 = :h, rotatedAt = :now")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":h", AttributeValue::S(stored_hash(&x)))
                .expression_attribute_values(":now", AttributeValue::S(now))
                .send()
                .await;
            match res {
                Ok(_) => {}
                Err(err) if ddb::is_conditional_check_failed(&err) => {
                    return Err(AppError::NotFound(format!(
                        "log user {:?} does not exist",
                        user.as_str()
                    )))
                }
                Err(err) => return Err(err.into()),
            }
        } else {
            let record = UserRecord {
                pk: user.as_str().to_owned(),
                token_sha256: stored_hash(&x),
                created_at: now.clone(),
                rotated_at: now,
            };
            if !ddb::put_new(&self.client, &self.users_table, &record).await? {
                return Err(AppError::Conflict(format!(
                    "log user {:?} already exists; send \"rotate\": true to replace its token",
                    user.as_str()
                )));
            }
        }
        Ok(IssuedToken {
            user: user.as_str().to_owned(),
            token,
            x_user_token: x,
            rotated: rotate,
        })
    }

    /// True when `x_user_token` is `user`'s current token (constant-time compare).
    pub async fn verify(&self, user: &UserName, x_user_token: &str) -> Result<bool, AppError> {
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
                let rec: UserRecord = serde_dynamo::from_item(item)?;
                ct_eq(presented.as_bytes(), rec.token_sha256.as_bytes())
            }
            None => {
                // Same work either way: no timing hint about which users exist.
                let _ = ct_eq(presented.as_bytes(), presented.as_bytes());
                false
            }
        })
    }

    /// Stores every line of a batch, or fails so the client retries (retries are idempotent).
    ///
    /// All or nothing as far as one request can make it: up to [`ONE_CALL_CHUNKS`] chunks go
    /// in a single BatchWriteItem (applied as a whole, or not at all when DynamoDB cannot be
    /// reached; unprocessed items are retried), up to [`TRANSACTION_CHUNKS`] in one
    /// TransactWriteItems (atomic, at twice the write units). Only a larger batch (lines spread
    /// over more than ~100 hours) is written in several calls: a failure part-way leaves some
    /// of its chunks stored, and the client's retry rewrites the same items, so it ends with
    /// every line exactly once.
    pub async fn store(&self, batch: Batch, now: Timestamp) -> Result<usize, AppError> {
        let lines = batch.logs.len();
        if lines == 0 {
            return Ok(0);
        }
        let expires = now.unix_seconds() + self.retention_days * 86_400;
        let chunks = pack(batch, Some(expires))?;
        if chunks.len() > ONE_CALL_CHUNKS && chunks.len() <= TRANSACTION_CHUNKS {
            let puts = chunks
                .iter()
                .map(|chunk| ddb::transact_put(&self.logs_table, chunk))
                .collect::<Result<Vec<_>, AppError>>()?;
            self.client
                .transact_write_items()
                .set_transact_items(Some(puts))
                .send()
                .await?;
            return Ok(lines);
        }
        let requests = chunks
            .iter()
            .map(ddb::put_request)
            .collect::<Result<Vec<_>, AppError>>()?;
        ddb::batch_write_all(&self.client, &self.logs_table, requests).await?;
        Ok(lines)
    }

    /// The newest `n` lines of `user` (optionally of one process), oldest first: a Query on the
    /// user's partition backwards, stopping as soon as enough lines are in hand.
    pub async fn recent(
        &self,
        user: &UserName,
        p_name: Option<&str>,
        n: usize,
    ) -> Result<Vec<LogOut>, AppError> {
        let mut out: Vec<LogOut> = Vec::new();
        let mut start = None;
        while out.len() < n {
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
                let packed: Vec<PackedLine> =
                    serde_json::from_str(&chunk.lines).map_err(AppError::internal)?;
                for (at, level, msg, desc) in packed.into_iter().rev() {
                    out.push(LogOut {
                        event_at: at,
                        level: level.as_str().to_owned(),
                        msg,
                        p_description: desc,
                        p_name: chunk.p_name.clone(),
                        pid: chunk.pid,
                        post_time: chunk.post_time.clone(),
                    });
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        // Chunks of different batches may overlap in time: order what we have, keep the newest.
        out.sort_by(|a, b| b.event_at.cmp(&a.event_at));
        out.truncate(n);
        out.reverse();
        Ok(out)
    }

    /// A page of `user`'s lines matching `q`, oldest chunk first.
    pub async fn query(&self, user: &UserName, q: LogQuery) -> Result<LogPage, AppError> {
        let limit = if q.limit == 0 { 100 } else { q.limit };
        if limit > MAX_PAGE {
            return Err(AppError::validation(format!(
                "limit must be 1..={MAX_PAGE}"
            )));
        }
        let pk = user_pk(user);
        let from = q.from.map(|t| t.to_rfc3339());
        let to = q.to.map(|t| t.to_rfc3339());
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
        let upper = to
            .clone()
            .map_or_else(|| "~".to_owned(), |t| format!("{t}~"));
        if lower > upper {
            // A token past `to` (another query's, or forged): nothing is left to return, and
            // DynamoDB refuses a BETWEEN whose bounds are reversed.
            return Ok(LogPage {
                user: user.as_str().to_owned(),
                logs: Vec::new(),
                next_token: None,
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
            values.insert(":from".into(), AttributeValue::S(f.clone()));
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
                let packed: Vec<PackedLine> =
                    serde_json::from_str(&chunk.lines).map_err(AppError::internal)?;
                for (i, (at, level, msg, desc)) in packed.into_iter().enumerate().skip(first) {
                    if from.as_ref().is_some_and(|f| at < *f)
                        || to.as_ref().is_some_and(|t| at > *t)
                        || (!q.levels.is_empty() && !q.levels.contains(&level))
                    {
                        continue;
                    }
                    if logs.len() == limit {
                        next_token = Some(encode_token(&pk, &chunk.sk, i));
                        break 'pages;
                    }
                    logs.push(LogOut {
                        event_at: at,
                        level: level.as_str().to_owned(),
                        msg,
                        p_description: desc,
                        p_name: chunk.p_name.clone(),
                        pid: chunk.pid,
                        post_time: chunk.post_time.clone(),
                    });
                }
            }
            match out.last_evaluated_key {
                Some(k) => start_key = Some(k),
                None => break,
            }
        }
        // Lines from overlapping batches interleave: return each page in time order.
        logs.sort_by(|a, b| a.event_at.cmp(&b.event_at));
        lower.clear();
        Ok(LogPage {
            user: user.as_str().to_owned(),
            logs,
            next_token,
        })
    }
}

fn encode_token(pk: &str, sk: &str, line: usize) -> String {
    hex::encode(serde_json::json!({"pk": pk, "sk": sk, "i": line}).to_string())
}

fn decode_token(token: &str, pk: &str) -> Result<(String, usize), AppError> {
    let invalid = || AppError::validation("next_token is invalid");
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn batch(lines: usize, msg_len: usize) -> Batch {
        let logs: Vec<Value> = (0..lines)
            .map(|i| json!({"level": "info", "msg": "m".repeat(msg_len), "event_at": 1_700_000_000 + (i as u64), "p_description": "d"}))
            .collect();
        serde_json::from_value(json!({"user": "u", "pid": 1, "p_name": "p", "post_time": "2024-01-01T00:00:00Z", "logs": logs})).unwrap()
    }

    #[test]
    fn md5_token_matches_the_client() {
        // md5("hello")
        assert_eq!(x_user_token("hello"), "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(
            stored_hash("5D41402ABC4B2A76B9719D911017C592"),
            stored_hash("5d41402abc4b2a76b9719d911017c592")
        );
    }

    #[test]
    fn packing_is_deterministic_bounded_and_keeps_every_line() {
        let a = pack(batch(2000, 100), None).unwrap();
        let b = pack(batch(2000, 100), None).unwrap();
        assert_eq!(
            a.iter().map(|c| &c.sk).collect::<Vec<_>>(),
            b.iter().map(|c| &c.sk).collect::<Vec<_>>()
        );
        assert_eq!(a.iter().map(|c| c.n).sum::<usize>(), 2000);
        for c in &a {
            assert!(
                c.lines.len() <= CHUNK_TARGET_BYTES + 200,
                "{}",
                c.lines.len()
            );
            let span = Timestamp::parse_str(&c.max_at).unwrap().unix_seconds()
                - Timestamp::parse_str(&c.min_at).unwrap().unix_seconds();
            assert!(span <= CHUNK_MAX_SPAN_SECS);
        }
    }

    #[test]
    fn levels_take_python_numbers() {
        let level = |v: serde_json::Value| serde_json::from_value::<Level>(v);
        assert_eq!(level(json!(30)).unwrap(), Level::Warning);
        assert_eq!(level(json!(40)).unwrap(), Level::Error);
        assert_eq!(level(json!(50)).unwrap(), Level::Critical);
        assert_eq!(level(json!(35)).unwrap(), Level::Warning);
        assert_eq!(level(json!(10)).unwrap(), Level::Debug);
        assert_eq!(level(json!(20)).unwrap(), Level::Info);
        assert_eq!(level(json!(60)).unwrap(), Level::Critical);
        assert!(level(json!(-1)).is_err());
        assert!(level(json!(40.5)).is_err());
        assert!(level(json!(null)).is_err());
        assert_eq!(level(json!("error")).unwrap(), Level::Error);
    }

    #[test]
    fn levels_accept_aliases_and_reject_others() {
        assert_eq!(Level::parse("WARN").unwrap(), Level::Warning);
        assert_eq!(Level::parse("crit").unwrap(), Level::Critical);
        assert!(Level::parse("loud").is_err());
    }

    #[test]
    fn packed_items_cost_a_fraction_of_one_item_per_line() {
        let b = batch(1000, 100);
        let baseline: usize = baseline_items(&b).iter().map(write_units).sum();
        let packed: usize = batch_items(b).unwrap().iter().map(write_units).sum();
        assert_eq!(baseline, 1000);
        assert!(
            packed * 4 <= baseline,
            "packed {packed} vs baseline {baseline}"
        );
    }
}
