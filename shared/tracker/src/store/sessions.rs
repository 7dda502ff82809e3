//! Sessions: one `META` item in each session's partition.

use aws_sdk_dynamodb::{
    types::{AttributeValue, TransactWriteItem, Update},
    Client,
};
use lookout_core::{auth::Tenant, ddb, time::Timestamp, StoreError};

use crate::error::TrackerError;
use crate::records::{session_pk, SessionRecord, META};

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

    /// When an item written now expires (`None`: kept for good). A session's events share it,
    /// and each add pushes the session's forward, so events never outlive their session.
    pub(crate) fn expires_at(&self) -> Option<i64> {
        self.retention_days
            .map(|d| Timestamp::now().unix_seconds() + d * 86_400)
    }

    /// Stores a new session (its id is fresh: an existing item is a broken invariant).
    pub(crate) async fn insert(&self, record: &SessionRecord) -> Result<(), TrackerError> {
        if !ddb::put_new(&self.client, &self.table, record).await? {
            return Err(StoreError::invariant("a fresh session id collided").into());
        }
        Ok(())
    }

    /// The session `id` of `tenant`; [`TrackerError::SessionNotFound`] when there is none
    /// (another tenant's session is not found either).
    pub(crate) async fn load(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> Result<SessionRecord, TrackerError> {
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
    }

    /// The session `id`'s item, whoever's, by a Query of its one key (`get_session` may only
    /// Query).
    pub(crate) async fn find(&self, id: &str) -> Result<Option<SessionRecord>, TrackerError> {
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
    }

    /// The session-side half of an add_event transaction: checks it is open and `tenant`'s,
    /// and pushes its expiry forward to `expires_at`.
    pub(crate) fn touch_open(
        &self,
        tenant: &Tenant,
        id: &str,
        expires_at: Option<i64>,
    ) -> Result<TransactWriteItem, TrackerError> {
        let mut update = Update::builder()
            .table_name(&self.table)
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

    /// Ends `tenant`'s session `id` at `end_at`: `false` when it was refused (no such session
    /// of the tenant, ended already, or `end_at` before its start).
    pub(crate) async fn end(
        &self,
        tenant: &Tenant,
        id: &str,
        end_at: Timestamp,
    ) -> Result<bool, TrackerError> {
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
    }
}
