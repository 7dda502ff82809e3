//! Sessions: one `META` item in each session's partition. The port ([`Sessions`]) and its
//! DynamoDB adapter ([`SessionStore`]); the in-memory one is `store::memory::MemorySessions`.

use std::fmt::Debug;

use aws_sdk_dynamodb::{
    types::{AttributeValue, TransactWriteItem, Update},
    Client,
};
use lookout_core::{auth::Tenant, ddb, time::Timestamp, BoxFuture, StoreError};

use crate::error::TrackerError;
use crate::records::{session_pk, SessionRecord, META};

/// The sessions a use case reads and writes (the port). Its records are the crate's own, so
/// other crates use the adapters, and implement none.
pub trait Sessions: Send + Sync + Debug {
    /// When an item written now expires (`None`: kept for good). A session's events share it,
    /// and each add pushes the session's forward, so events never outlive their session.
    fn expires_at(&self) -> Option<i64>;

    /// Stores a new session (its id is fresh: an existing one is a broken invariant,
    /// [`StoreError::Invariant`]).
    fn insert<'a>(&'a self, record: &'a SessionRecord) -> BoxFuture<'a, Result<(), TrackerError>>;

    /// The session `id` of `tenant`; [`TrackerError::SessionNotFound`] when there is none
    /// (another tenant's session is not found either).
    fn load<'a>(
        &'a self,
        tenant: &'a Tenant,
        id: &'a str,
    ) -> BoxFuture<'a, Result<SessionRecord, TrackerError>>;

    /// The session `id`, whoever's.
    fn find<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, TrackerError>>;

    /// Ends `tenant`'s session `id` at `end_at`: `false` when it was refused (no such session
    /// of the tenant, ended already, or `end_at` before its start).
    fn end<'a>(
        &'a self,
        tenant: &'a Tenant,
        id: &'a str,
        end_at: Timestamp,
    ) -> BoxFuture<'a, Result<bool, TrackerError>>;
}

/// Sessions in DynamoDB.
#[derive(Debug, Clone)]
pub struct SessionStore {
    client: Client,
    table: String,
    retention_days: Option<i64>,
}

impl SessionStore {
    pub(crate) fn new(
        client: Client,
        table: impl Into<String>,
        retention_days: Option<i64>,
    ) -> Self {
        Self {
            client,
            table: table.into(),
            retention_days,
        }
    }
}

impl Sessions for SessionStore {
    fn expires_at(&self) -> Option<i64> {
        expires_at(self.retention_days)
    }

    fn insert<'a>(&'a self, record: &'a SessionRecord) -> BoxFuture<'a, Result<(), TrackerError>> {
        Box::pin(async move {
            if !ddb::put_new(&self.client, &self.table, record).await? {
                return Err(StoreError::invariant("a fresh session id collided").into());
            }
            Ok(())
        })
    }

    fn load<'a>(
        &'a self,
        tenant: &'a Tenant,
        id: &'a str,
    ) -> BoxFuture<'a, Result<SessionRecord, TrackerError>> {
        Box::pin(async move {
            let out = self
                .client
                .get_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(session_pk(id)))
                .key("sk", AttributeValue::S(META.into()))
                .consistent_read(true)
                .send()
                .await?;
            match out.item {
                Some(item) => {
                    let rec: SessionRecord = serde_dynamo::from_item(item)?;
                    if rec.tenant == tenant.as_str() {
                        Ok(rec)
                    } else {
                        Err(TrackerError::SessionNotFound)
                    }
                }
                None => Err(TrackerError::SessionNotFound),
            }
        })
    }

    /// By a Query of its one key (`get_session` may only Query).
    fn find<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, TrackerError>> {
        Box::pin(async move {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk = :meta")
                .expression_attribute_values(":pk", AttributeValue::S(session_pk(id)))
                .expression_attribute_values(":meta", AttributeValue::S(META.into()))
                .consistent_read(true)
                .send()
                .await?;
            match out.items.unwrap_or_default().into_iter().next() {
                Some(item) => Ok(Some(serde_dynamo::from_item(item)?)),
                None => Ok(None),
            }
        })
    }

    fn end<'a>(
        &'a self,
        tenant: &'a Tenant,
        id: &'a str,
        end_at: Timestamp,
    ) -> BoxFuture<'a, Result<bool, TrackerError>> {
        Box::pin(async move {
            let res = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(session_pk(id)))
                .key("sk", AttributeValue::S(META.into()))
                .update_expression("SET endAt = :e")
                .condition_expression(
                    "attribute_exists(pk) AND tenant = :t AND attribute_not_exists(endAt) AND startAt <= :e",
                )
                .expression_attribute_values(":e", AttributeValue::S(end_at.to_rfc3339()))
                .expression_attribute_values(":t", AttributeValue::S(tenant.as_str().to_owned()))
                .send()
                .await;
            match res {
                Ok(_) => Ok(true),
                Err(err) if ddb::is_conditional_check_failed(&err) => Ok(false),
                Err(err) => Err(err.into()),
            }
        })
    }
}

/// When an item written now expires, kept `retention_days` (for good when `None`).
pub(crate) fn expires_at(retention_days: Option<i64>) -> Option<i64> {
    retention_days.map(|d| Timestamp::now().unix_seconds() + d * 86_400)
}

/// The session-side item of an append transaction (in `table`): checks that session `id` is
/// open and `tenant`'s, and pushes its expiry forward to `expires_at`.
pub(crate) fn open_check(
    table: &str,
    tenant: &Tenant,
    id: &str,
    expires_at: Option<i64>,
) -> Result<TransactWriteItem, TrackerError> {
    let mut update = Update::builder()
        .table_name(table)
        .key("pk", AttributeValue::S(session_pk(id)))
        .key("sk", AttributeValue::S(META.into()))
        .condition_expression(
            "attribute_exists(pk) AND tenant = :t AND attribute_not_exists(endAt)",
        )
        .expression_attribute_values(":t", AttributeValue::S(tenant.as_str().to_owned()))
        .expression_attribute_values(":now", AttributeValue::S(Timestamp::now().to_rfc3339()));
    update = match expires_at {
        Some(exp) => update
            .update_expression("SET updatedAt = :now, expiresAt = :exp")
            .expression_attribute_values(":exp", AttributeValue::N(exp.to_string())),
        None => update.update_expression("SET updatedAt = :now"),
    };
    Ok(TransactWriteItem::builder()
        .update(update.build().map_err(StoreError::from)?)
        .build())
}
