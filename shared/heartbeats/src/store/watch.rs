//! The console overview's read of the sparse, sharded `watch` index: an `up` app enters it keyed
//! by the time it becomes late (its expected time, before the grace), a `down` app by when it
//! went down; paused and retired apps are not in it. A Query of `watchAt <= now` per shard
//! therefore reads late and down apps only, never the healthy ones (whose time lies ahead).
//! [`Watchlist`] is the port, [`WatchIndex`] its DynamoDB adapter.

use aws_sdk_dynamodb::{types::AttributeValue, Client};
use lookout_core::{
    ddb::{self, Next},
    time::Timestamp,
    BoxFuture,
};
use serde::Deserialize;

use crate::error::HeartbeatError;
use crate::input::{AppId, AppState};
use crate::limits::index_shards;
use crate::overview::{Attention, AttentionApp, MAX_ATTENTION};
use crate::record::shard_name;
use crate::store::QUERY_PAGE;
use crate::time::{from_millis, millis};

const WATCH_INDEX: &str = "watch";

/// The apps that need attention, as the overview reads them.
pub trait Watchlist: Send + Sync + std::fmt::Debug {
    /// Apps late or down at `now`, each list oldest first; at most [`MAX_ATTENTION`] read.
    fn attention(&self, now: Timestamp) -> BoxFuture<'_, Result<Attention, HeartbeatError>>;
}

/// The `watch` index of the heartbeat table.
#[derive(Debug, Clone)]
pub struct WatchIndex {
    client: Client,
    table: String,
}

/// The projected attributes the overview reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WatchItem {
    pub(crate) tenant: String,
    pub(crate) app_id: String,
    pub(crate) state: AppState,
    pub(crate) watch_at: i64,
    #[serde(default)]
    pub(crate) down_since: Option<Timestamp>,
    #[serde(default)]
    pub(crate) down_reason: Option<String>,
    #[serde(default)]
    pub(crate) last_beat_at: Option<Timestamp>,
    #[serde(default)]
    pub(crate) last_message: Option<String>,
}

impl WatchItem {
    /// Files the app under `out.down` or `out.late`.
    pub(crate) fn file(self, out: &mut Attention) {
        let down = self.state == AppState::Down;
        let app = AttentionApp {
            tenant: self.tenant,
            app_id: AppId(self.app_id).to_json(),
            state: if down { "down" } else { "late" }.to_owned(),
            since: if down {
                self.down_since
                    .unwrap_or_else(|| from_millis(self.watch_at))
            } else {
                from_millis(self.watch_at)
            },
            reason: self.down_reason,
            last_heartbeat: self.last_beat_at,
            last_message: self.last_message,
        };
        if down {
            out.down.push(app);
        } else {
            out.late.push(app);
        }
    }
}

/// Orders each list oldest first.
pub(crate) fn oldest_first(mut out: Attention) -> Attention {
    out.down.sort_by_key(|a| a.since);
    out.late.sort_by_key(|a| a.since);
    out
}

impl WatchIndex {
    pub(crate) fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

impl Watchlist for WatchIndex {
    fn attention(&self, now: Timestamp) -> BoxFuture<'_, Result<Attention, HeartbeatError>> {
        Box::pin(async move {
            let mut out = Attention::default();
            let mut read = 0_usize;
            for shard in 0..index_shards() {
                let query = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(WATCH_INDEX)
                    .key_condition_expression("watchShard = :s AND watchAt <= :now")
                    .expression_attribute_values(":s", AttributeValue::S(shard_name(shard)))
                    .expression_attribute_values(":now", AttributeValue::N(millis(now).to_string()))
                    .limit(QUERY_PAGE);
                let paged = ddb::query_pages(query, None, |page| {
                    for item in page.items.unwrap_or_default() {
                        read += 1;
                        if read > MAX_ATTENTION {
                            out.truncated = true;
                            return Ok(Next::Stop);
                        }
                        serde_dynamo::from_item::<_, WatchItem>(item)?.file(&mut out);
                    }
                    Ok::<_, HeartbeatError>(Next::Page)
                })
                .await?;
                // Truncated: no other shard is read.
                if paged.stopped() {
                    break;
                }
            }
            Ok(oldest_first(out))
        })
    }
}
