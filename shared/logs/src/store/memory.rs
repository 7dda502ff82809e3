//! The in-memory adapters of the logs' ports, for unit tests of the use cases (here and in
//! other crates). Like `LOG_USERS_TABLE`, users and their usage counts share one table of
//! items ([`MemoryLogs`]), so a count lands on the item authentication reads; lines are chunk
//! items as in `LOGS_TABLE`, paged by the same code as the DynamoDB adapter's. Same conditions,
//! page tokens and errors as the DynamoDB adapters; nothing expires.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use aws_sdk_dynamodb::types::AttributeValue;
use lookout_core::{
    page::{ReadBudget, MAX_READ_PAGES, MAX_READ_TIME},
    quota,
    time::Timestamp,
    BoxFuture, StoreError,
};

use crate::error::LogError;
use crate::input::Batch;
use crate::output::{LogPage, LogQuery};
use crate::planned_write::PlannedWrite;
use crate::records::{ChunkRecord, UserRecord};
use crate::store::chunk_page::{empty_page, ChunkQuery, PageFill};
use crate::store::lines::{LogLines, QUERY_PAGE_CHUNKS};
use crate::store::usage::LogUsageCounts;
use crate::store::users::{new_user, user_of_item, LogUsers};
use crate::usage::Usage;
use crate::user_name::UserName;

/// A stored item, as DynamoDB holds it.
type Item = HashMap<String, AttributeValue>;

/// The log users' items by name.
type UserItems = Arc<Mutex<BTreeMap<String, Item>>>;

/// Chunk items by `(pk, sk)`: a user's chunks in key order.
type ChunkItems = Arc<Mutex<BTreeMap<(String, String), ChunkRecord>>>;

/// What `m` holds, even if a test panicked while holding it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Every in-memory store of the logs domain: the in-memory [`LogStore`](crate::LogStore).
/// Clones share the tables.
#[derive(Debug, Clone, Default)]
pub struct MemoryLogs {
    pub users: MemoryLogUsers,
    pub usage: MemoryLogUsageCounts,
    pub lines: MemoryLogLines,
}

impl MemoryLogs {
    /// Chunks planned are stamped to expire `retention_days` later (nothing is removed).
    pub fn new(retention_days: i64) -> Self {
        let users = UserItems::default();
        Self {
            users: MemoryLogUsers {
                items: users.clone(),
            },
            usage: MemoryLogUsageCounts { items: users },
            lines: MemoryLogLines::new(retention_days),
        }
    }

    /// The same stores, the lines' queries reading at most `pages` pages of `chunks` chunks.
    pub fn with_read_bounds(mut self, pages: usize, chunks: usize) -> Self {
        self.lines.read_pages = pages;
        self.lines.page_chunks = chunks.max(1);
        self
    }
}

/// In-memory [`LogUsers`]: one item per user, holding its token's hash (and the usage
/// [`MemoryLogUsageCounts`] counts on it).
#[derive(Debug, Clone, Default)]
pub struct MemoryLogUsers {
    items: UserItems,
}

impl MemoryLogUsers {
    /// How many users there are.
    pub fn count(&self) -> usize {
        lock(&self.items).len()
    }

    /// `user`'s item.
    #[cfg(test)]
    pub(crate) fn item(&self, user: &str) -> Option<Item> {
        lock(&self.items).get(user).cloned()
    }
}

impl LogUsers for MemoryLogUsers {
    fn insert<'a>(
        &'a self,
        user: &'a UserName,
        token_sha256: String,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<(), LogError>> {
        Box::pin(async move {
            let item: Item = serde_dynamo::to_item(new_user(user, token_sha256, now))?;
            let mut items = lock(&self.items);
            if items.contains_key(user.as_str()) {
                return Err(LogError::UserExists(user.as_str().to_owned()));
            }
            items.insert(user.as_str().to_owned(), item);
            Ok(())
        })
    }

    fn replace_token<'a>(
        &'a self,
        user: &'a UserName,
        token_sha256: String,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<(), LogError>> {
        Box::pin(async move {
            let mut items = lock(&self.items);
            let Some(item) = items.get_mut(user.as_str()) else {
                return Err(LogError::UnknownUser(user.as_str().to_owned()));
            };
            item.insert("tokenSha256".into(), AttributeValue::S(token_sha256));
            item.insert("rotatedAt".into(), AttributeValue::S(now.to_rfc3339()));
            Ok(())
        })
    }

    fn find<'a>(
        &'a self,
        user: &'a UserName,
    ) -> BoxFuture<'a, Result<Option<(UserRecord, Usage)>, LogError>> {
        Box::pin(async move {
            let item = lock(&self.items).get(user.as_str()).cloned();
            item.map(user_of_item).transpose()
        })
    }

    fn find_by_token<'a>(
        &'a self,
        token_sha256: &'a str,
    ) -> BoxFuture<'a, Result<Option<UserName>, LogError>> {
        Box::pin(async move {
            let items = lock(&self.items);
            let found: Vec<&String> = items
                .iter()
                .filter(|(_, item)| {
                    item.get("tokenSha256").and_then(|v| v.as_s().ok())
                        == Some(&token_sha256.to_owned())
                })
                .map(|(name, _)| name)
                .collect();
            Ok(match found.as_slice() {
                [one] => UserName::parse(one).ok(),
                _ => None,
            })
        })
    }
}

/// In-memory [`LogUsageCounts`], on the items of the [`MemoryLogUsers`] of the same
/// [`MemoryLogs`].
#[derive(Debug, Clone, Default)]
pub struct MemoryLogUsageCounts {
    items: UserItems,
}

/// Adds `n` to the number attribute `name` of `item` (absent: 0).
fn add(item: &mut Item, name: String, n: u64) {
    let was = item
        .get(&name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    item.insert(name, AttributeValue::N(was.saturating_add(n).to_string()));
}

impl LogUsageCounts for MemoryLogUsageCounts {
    fn count<'a>(
        &'a self,
        user: &'a UserName,
        usage: &'a Usage,
        now: Timestamp,
        lines: usize,
        bytes: u64,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let mut items = lock(&self.items);
            // Only an existing user's item is counted on (`attribute_exists(pk)`).
            let Some(item) = items.get_mut(user.as_str()) else {
                return;
            };
            let day = quota::utc_day(now);
            add(
                item,
                format!("lines#{day}"),
                u64::try_from(lines).unwrap_or(u64::MAX),
            );
            add(item, format!("bytes#{day}"), bytes);
            for d in usage.stale(now) {
                item.remove(&format!("lines#{d}"));
                item.remove(&format!("bytes#{d}"));
            }
        })
    }

    fn read<'a>(&'a self, user: &'a UserName) -> BoxFuture<'a, Result<Option<Usage>, LogError>> {
        Box::pin(async move { Ok(lock(&self.items).get(user.as_str()).map(Usage::from_item)) })
    }
}

/// In-memory [`LogLines`]: chunk items in key order, paged like DynamoDB's Query pages (a page
/// of chunks evaluated at a time, filtered after). While [`set_failing`](Self::set_failing) is
/// on, every write fails and stores nothing, as DynamoDB out of reach.
#[derive(Debug, Clone)]
pub struct MemoryLogLines {
    chunks: ChunkItems,
    retention_days: i64,
    read_pages: usize,
    page_chunks: usize,
    failing: Arc<AtomicBool>,
}

impl Default for MemoryLogLines {
    fn default() -> Self {
        Self::new(30)
    }
}

impl MemoryLogLines {
    /// Chunks planned are stamped to expire `retention_days` later (nothing is removed).
    pub fn new(retention_days: i64) -> Self {
        Self {
            chunks: ChunkItems::default(),
            retention_days,
            read_pages: MAX_READ_PAGES,
            page_chunks: usize::try_from(QUERY_PAGE_CHUNKS).unwrap_or(1),
            failing: Arc::default(),
        }
    }

    /// While on, every write fails (as DynamoDB in an outage).
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// How many chunk items are stored.
    pub fn count(&self) -> usize {
        lock(&self.chunks).len()
    }

    /// Every stored chunk, in key order.
    #[cfg(test)]
    pub(crate) fn chunks(&self) -> Vec<ChunkRecord> {
        lock(&self.chunks).values().cloned().collect()
    }
}

impl LogLines for MemoryLogLines {
    fn plan(&self, batch: Batch, now: Timestamp) -> Result<PlannedWrite, LogError> {
        PlannedWrite::new(batch, now.unix_seconds() + self.retention_days * 86_400)
    }

    fn write<'a>(&'a self, planned: &'a PlannedWrite) -> BoxFuture<'a, Result<usize, LogError>> {
        Box::pin(async move {
            if planned.chunks.is_empty() {
                return Ok(0);
            }
            if self.failing.load(Ordering::SeqCst) {
                let outage = "the in-memory log table is failing";
                return Err(StoreError::Unavailable(outage.into()).into());
            }
            let mut chunks = lock(&self.chunks);
            for chunk in &planned.chunks {
                let key = (chunk.pk.clone(), chunk.sk.clone());
                chunks.insert(key, chunk.clone());
            }
            Ok(planned.lines)
        })
    }

    fn query<'a>(
        &'a self,
        user: &'a UserName,
        q: LogQuery,
    ) -> BoxFuture<'a, Result<LogPage, LogError>> {
        Box::pin(async move {
            let Some(query) = ChunkQuery::new(user, q)? else {
                return Ok(empty_page(user));
            };
            let in_range: Vec<ChunkRecord> = lock(&self.chunks)
                .values()
                .filter(|c| c.pk == query.pk && query.in_range(&c.sk))
                .cloned()
                .collect();
            let mut page = PageFill::new(&query);
            let mut reads = ReadBudget::new(self.read_pages, MAX_READ_TIME);
            let mut evaluated = in_range.chunks(self.page_chunks).peekable();
            while let Some(read) = evaluated.next() {
                for chunk in read.iter().filter(|c| query.keeps(c)) {
                    if !page.take(chunk)? {
                        return Ok(page.finish(user));
                    }
                }
                if evaluated.peek().is_some() && reads.spent() {
                    if let Some(last) = read.last() {
                        page.stop_after(&last.sk);
                    }
                    break;
                }
            }
            Ok(page.finish(user))
        })
    }
}
