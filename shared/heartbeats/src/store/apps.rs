//! The apps: one item per app (`pk` = `APP#<tenant>#<appId>`), written whole and conditioned on
//! the version it was derived from, or — for a beat of an `up` app — by one UpdateItem; and the
//! `tenant-apps` index (every app of a tenant, by app id). [`Apps`] is the port the use cases
//! call, [`AppStore`] its DynamoDB adapter ([`MemoryApps`](crate::store::memory::MemoryApps) the
//! in-memory one).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::{
    operation::update_item::UpdateItemError,
    types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure, Select},
    Client,
};
use lookout_core::{
    ddb::{self, Next},
    quota,
    time::Timestamp,
    trust::Trusted,
    BoxFuture, StoreError,
};

use crate::error::HeartbeatError;
use crate::input::{AppId, HeartbeatIn};
use crate::output::AppView;
use crate::record::{app_pk, AppRecord};
use crate::store::{put_conditionally, Put, QUERY_PAGE};
use crate::time::millis;

const TENANT_INDEX: &str = "tenant-apps";
/// The key attributes of a `tenant-apps` page token.
pub(crate) const TOKEN_KEYS: [&str; 3] = ["pk", "tenant", "appId"];

/// One page of a tenant's apps and the token of the next page (`None`: the last).
pub type AppPage = (Vec<AppRecord>, Option<String>);

/// The condition of an app's whole-item put, and its value: the item is still at the
/// `expected` version (absent, for `None`). Also the app's put in a ping's transaction.
pub(crate) fn version_condition(
    expected: Option<u64>,
) -> (&'static str, Option<HashMap<String, AttributeValue>>) {
    match expected {
        None => ("attribute_not_exists(pk)", None),
        Some(v) => (
            "version = :v",
            Some(HashMap::from([(
                ":v".to_owned(),
                AttributeValue::N(v.to_string()),
            )])),
        ),
    }
}

/// The app items, as the use cases reach them.
pub trait Apps: Send + Sync + std::fmt::Debug {
    /// Apps one tenant may have: a beat or signal of a new app id beyond it is refused
    /// (`u32::MAX`: unlimited, not counted).
    fn max_apps(&self) -> u32;

    /// The app `pk` as stored (a consistent read); `None` if it does not exist.
    fn get<'a>(&'a self, pk: &'a str) -> BoxFuture<'a, Result<Option<AppRecord>, HeartbeatError>>;

    /// The app `pk` to derive a versioned write from: as this process last wrote or read it,
    /// when it keeps it ([`AppStore::with_memo`]), else as stored. A write derived from a stale
    /// copy fails its version condition and answers the item as it is now, at no extra round
    /// trip; so a ping of an app the process saw is one write alone.
    fn get_for_write<'a>(
        &'a self,
        pk: &'a str,
    ) -> BoxFuture<'a, Result<Option<AppRecord>, HeartbeatError>> {
        self.get(pk)
    }

    /// Keeps what a write of `rec` elsewhere than [`Apps::put_if`] (a ping's transaction) left
    /// stored: `rec` if written, else the item as it is now; for [`Apps::get_for_write`].
    fn remember(&self, _rec: &AppRecord, _put: &Put<AppRecord>) {}

    /// Whole-item put, conditioned on the version `rec` was derived from (`None`: the item
    /// must not exist yet); a failed condition is [`Put::Conflict`] with the item as it is now.
    fn put_if<'a>(
        &'a self,
        rec: &'a AppRecord,
        expected: Option<u64>,
    ) -> BoxFuture<'a, Result<Put<AppRecord>, HeartbeatError>>;

    /// The one-write path of a beat at `now`, for an `up` app without an unsent mail, a
    /// schedule, open runs, a snooze or held alerts ([`FastBeat::NotApplicable`] otherwise).
    fn fast_beat<'a>(
        &'a self,
        pk: &'a str,
        beat: &'a HeartbeatIn,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<FastBeat, HeartbeatError>>;

    /// How many apps `tenant` has, counted until the count reaches `at_most` (it may pass
    /// it). Eventually consistent.
    fn count_apps<'a>(
        &'a self,
        tenant: &'a str,
        at_most: u64,
    ) -> BoxFuture<'a, Result<u64, HeartbeatError>>;

    /// One page of at most `limit` of `tenant`'s apps in app-id order, from the page token
    /// `next_token` (bound to the tenant: another tenant's is [`HeartbeatError::Invalid`]),
    /// and the token of the next page.
    fn tenant_page<'a>(
        &'a self,
        tenant: &'a str,
        limit: usize,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<AppPage, HeartbeatError>>;
}

/// The app items of the heartbeat table.
#[derive(Debug, Clone)]
pub struct AppStore {
    client: Client,
    table: String,
    /// Apps one tenant may have: a beat or signal of a new app id beyond it is refused (429).
    max_apps: u32,
    /// The items this process last wrote or read on a write path, for
    /// [`Apps::get_for_write`] (`None`: none kept).
    memo: Option<Arc<Trusted<AppRecord>>>,
}

/// Outcome of the heartbeat's one-write path.
#[derive(Debug)]
pub enum FastBeat {
    /// Recorded: the app is `up`, its next beat due by `deadline` (epoch ms).
    Done { deadline: i64 },
    /// The app is not `up` or has an unsent mail: the item as it is (`None`: unknown app).
    NotApplicable(Option<Box<AppRecord>>),
}

/// What the heartbeat's one-write path ([`AppStore::fast_beat`]'s UpdateItem) sets on an `up`
/// app `rec` beaten at `now` with `message`.
pub(crate) fn beaten(rec: &mut AppRecord, now: Timestamp, message: Option<&str>) {
    let now_ms = millis(now);
    rec.last_beat_at = Some(now);
    rec.beats += 1;
    rec.version += 1;
    rec.deadline = now_ms + rec.window_ms;
    rec.due_at = Some(now_ms + rec.window_ms);
    rec.watch_at = Some(now_ms + rec.late_ms);
    rec.last_message = message.map(str::to_owned);
}

impl AppStore {
    pub(crate) fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            max_apps: quota::DEFAULT_APPS_PER_TENANT,
            memo: None,
        }
    }

    /// Keeps the items this process writes (and the current ones its failed conditions answer)
    /// for `ttl` (not at all for 0), for [`Apps::get_for_write`]. Correctness does not rest
    /// on the bound (every write is conditioned on the version it was derived from); it only
    /// limits how stale a copy may be before it is read again.
    pub fn with_memo(mut self, ttl: Duration) -> Self {
        self.memo = Trusted::shared(ttl);
        self
    }

    /// Keeps the app `pk` as it is stored now (`None`: it does not exist).
    fn keep(&self, pk: &str, now_stored: Option<&AppRecord>) {
        let Some(memo) = &self.memo else {
            return;
        };
        match now_stored {
            Some(rec) => memo.put(pk, rec.clone(), Instant::now()),
            None => memo.forget(pk),
        }
    }

    /// After a fast beat that made the app `version` (at `now`, with `message`): the kept copy,
    /// when it is the version before, beaten the same way, kept and returned; else dropped
    /// (another writer came between: the next write reads the item again).
    fn keep_beaten(
        &self,
        pk: &str,
        version: Option<u64>,
        now: Timestamp,
        message: Option<&str>,
    ) -> Option<AppRecord> {
        let memo = self.memo.as_ref()?;
        let beaten = memo
            .get(pk, Instant::now())
            .filter(|kept| version.is_some_and(|v| kept.version + 1 == v))
            .map(|mut kept| {
                beaten(&mut kept, now, message);
                kept
            });
        self.keep(pk, beaten.as_ref());
        beaten
    }

    /// The same store with another per-tenant app quota (`u32::MAX`: unlimited, not counted).
    pub(crate) fn with_max_apps(mut self, max_apps: u32) -> Self {
        self.max_apps = max_apps;
        self
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// One app's current state as the admin sees it; `None` if it never beat nor was registered.
    pub(crate) async fn app_view(
        &self,
        tenant: &str,
        app_id: &AppId,
    ) -> Result<Option<AppView>, HeartbeatError> {
        Ok(self
            .get(&app_pk(tenant, app_id.as_str()))
            .await?
            .map(|r| r.view()))
    }

    async fn batch_get(
        &self,
        pks: &[String],
    ) -> Result<HashMap<String, AppRecord>, HeartbeatError> {
        let mut out = HashMap::new();
        if pks.is_empty() {
            return Ok(out);
        }
        let keys = pks
            .iter()
            .map(|pk| HashMap::from([("pk".to_owned(), AttributeValue::S(pk.clone()))]))
            .collect::<Vec<_>>();
        for item in ddb::batch_get_all(&self.client, &self.table, keys).await? {
            let rec: AppRecord = serde_dynamo::from_item(item)?;
            out.insert(rec.pk.clone(), rec);
        }
        Ok(out)
    }
}

impl Apps for AppStore {
    fn max_apps(&self) -> u32 {
        self.max_apps
    }

    fn get<'a>(&'a self, pk: &'a str) -> BoxFuture<'a, Result<Option<AppRecord>, HeartbeatError>> {
        Box::pin(async move {
            let out = self
                .client
                .get_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(pk.to_owned()))
                .consistent_read(true)
                .send()
                .await?;
            Ok(out.item.map(serde_dynamo::from_item).transpose()?)
        })
    }

    fn get_for_write<'a>(
        &'a self,
        pk: &'a str,
    ) -> BoxFuture<'a, Result<Option<AppRecord>, HeartbeatError>> {
        Box::pin(async move {
            if let Some(kept) = self.memo.as_ref().and_then(|m| m.get(pk, Instant::now())) {
                return Ok(Some(kept));
            }
            let rec = self.get(pk).await?;
            self.keep(pk, rec.as_ref());
            Ok(rec)
        })
    }

    fn remember(&self, rec: &AppRecord, put: &Put<AppRecord>) {
        match put {
            Put::Written => self.keep(&rec.pk, Some(rec)),
            Put::Conflict(now_stored) => self.keep(&rec.pk, now_stored.as_deref()),
        }
    }

    fn put_if<'a>(
        &'a self,
        rec: &'a AppRecord,
        expected: Option<u64>,
    ) -> BoxFuture<'a, Result<Put<AppRecord>, HeartbeatError>> {
        Box::pin(async move {
            let req = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(serde_dynamo::to_item(rec)?));
            let (condition, version) = version_condition(expected);
            let req = req
                .condition_expression(condition)
                .set_expression_attribute_values(version);
            let put = put_conditionally(req).await?;
            self.remember(rec, &put);
            Ok(put)
        })
    }

    fn fast_beat<'a>(
        &'a self,
        pk: &'a str,
        beat: &'a HeartbeatIn,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<FastBeat, HeartbeatError>> {
        Box::pin(async move {
            let mut expr =
                "SET lastBeatAt = :now, beats = beats + :one, version = version + :one, \
                            deadline = :nowms + windowMs, dueAt = :nowms + windowMs, \
                            watchAt = :nowms + lateMs"
                    .to_owned();
            let mut req = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(pk.to_owned()))
                // Schedules, open runs, snoozes and held alerts move the deadline or the due time in
                // ways this expression does not know, and items from before `lateMs` lack it: those
                // take the versioned path (which writes the whole item).
                .condition_expression(
                    "#st = :up AND attribute_not_exists(outbox) AND attribute_not_exists(cron) \
                     AND attribute_not_exists(openRuns) AND attribute_not_exists(snoozedUntil) \
                     AND attribute_exists(lateMs) AND attribute_not_exists(holdUntil)",
                )
                .expression_attribute_names("#st", "state")
                .expression_attribute_values(":up", AttributeValue::S("up".into()))
                .expression_attribute_values(":now", AttributeValue::S(now.to_rfc3339()))
                .expression_attribute_values(":nowms", AttributeValue::N(millis(now).to_string()))
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                // Only what the beat set (not the whole item, 30 days of booking with its runs):
                // the reply needs the deadline, and a kept copy the rest.
                .return_values(ReturnValue::UpdatedNew)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
            match &beat.message {
                Some(m) => {
                    expr.push_str(", lastMessage = :msg");
                    req = req.expression_attribute_values(":msg", AttributeValue::S(m.0.clone()));
                }
                None => expr.push_str(" REMOVE lastMessage"),
            }
            match req.update_expression(expr).send().await {
                Ok(out) => {
                    let set = out.attributes.unwrap_or_default();
                    let number = |name: &str| {
                        set.get(name)
                            .and_then(|v| v.as_n().ok())
                            .and_then(|n| n.parse::<u64>().ok())
                    };
                    let message = beat.message.as_ref().map(|m| m.0.as_str());
                    if let Some(rec) = self.keep_beaten(pk, number("version"), now, message) {
                        return Ok(FastBeat::Done {
                            deadline: rec.deadline,
                        });
                    }
                    // No copy one version behind: the deadline the beat set, as answered, or,
                    // when it set the one the app had (two beats within a millisecond; an
                    // unchanged attribute may go unanswered), as stored.
                    let deadline = match number("deadline").and_then(|d| i64::try_from(d).ok()) {
                        Some(deadline) => deadline,
                        None => {
                            let rec = self.get(pk).await?.ok_or_else(|| {
                                StoreError::invariant(format!("app {pk} gone after its beat"))
                            })?;
                            self.keep(pk, Some(&rec));
                            rec.deadline
                        }
                    };
                    Ok(FastBeat::Done { deadline })
                }
                Err(err) => match err.as_service_error() {
                    Some(UpdateItemError::ConditionalCheckFailedException(e)) => {
                        Ok(FastBeat::NotApplicable(
                            e.item
                                .clone()
                                .map(serde_dynamo::from_item)
                                .transpose()?
                                .map(Box::new),
                        ))
                    }
                    _ => Err(StoreError::from(err).into()),
                },
            }
        })
    }

    fn count_apps<'a>(
        &'a self,
        tenant: &'a str,
        at_most: u64,
    ) -> BoxFuture<'a, Result<u64, HeartbeatError>> {
        Box::pin(async move {
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(TENANT_INDEX)
                .key_condition_expression("tenant = :t")
                .expression_attribute_values(":t", AttributeValue::S(tenant.to_owned()))
                .select(Select::Count);
            let mut count = 0_u64;
            ddb::query_pages(query, None, |page| {
                count += u64::try_from(page.count).unwrap_or(0);
                Ok::<_, HeartbeatError>(if count >= at_most {
                    Next::Stop
                } else {
                    Next::Page
                })
            })
            .await?;
            Ok(count)
        })
    }

    fn tenant_page<'a>(
        &'a self,
        tenant: &'a str,
        limit: usize,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<AppPage, HeartbeatError>> {
        Box::pin(async move {
            let start = next_token
                .map(|t| ddb::decode_page_token(t, &TOKEN_KEYS, ("tenant", tenant), "next_token"))
                .transpose()?;
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(TENANT_INDEX)
                .key_condition_expression("tenant = :t")
                .expression_attribute_values(":t", AttributeValue::S(tenant.to_owned()))
                .limit(i32::try_from(limit).unwrap_or(QUERY_PAGE))
                .set_exclusive_start_key(start)
                .send()
                .await?;
            let pks: Vec<String> = page
                .items
                .unwrap_or_default()
                .into_iter()
                .filter_map(|mut item| match item.remove("pk") {
                    Some(AttributeValue::S(pk)) => Some(pk),
                    _ => None,
                })
                .collect();
            let mut records = self.batch_get(&pks).await?;
            let apps = pks.iter().filter_map(|pk| records.remove(pk)).collect();
            let next = page
                .last_evaluated_key
                .map(|k| ddb::encode_page_token(&k, &TOKEN_KEYS));
            Ok((apps, next))
        })
    }
}
