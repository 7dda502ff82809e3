//! A delivery's life, as conditional writes: `pending → sending → sent | failed`, and
//! `sending → pending` for a transient failure that is retried (see [`DeliveryStore::claim`]).
//! A failed delivery joins the sparse `failed` and `failed-all` indexes, which
//! [`FailedStore`](crate::store::failed::FailedStore) reads.

use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;

use lookout_core::ddb;
use lookout_core::time::Timestamp;
use lookout_core::BoxFuture;

use crate::error::BroadcastError;
use crate::ids::DeliveryId;
use crate::records::{DeliveryRecord, Status};
use crate::store::keys::{conditional, failed_pk, n, s, FAILED_ALL};
use crate::store::sends::SendStore;

/// What [`Deliveries::claim`] found.
#[derive(Debug, Clone)]
pub enum Claim {
    /// This consumer owns the attempt (`attempts` counts it).
    Claimed(Box<DeliveryRecord>),
    /// Already `sent` or `failed`: a redelivered job, nothing to do.
    Done(Status),
    /// Another consumer is sending it right now (its lease runs until the given time).
    Busy(Timestamp),
    /// A previous attempt was cut off between claim and outcome; recorded as failed instead of
    /// sent again (at most once).
    Interrupted(Box<DeliveryRecord>),
    /// No such delivery.
    Missing,
}

/// Why an attempt found `sending` past its lease is recorded as failed (and not sent again).
pub(crate) const INTERRUPTED: &str = "the previous attempt was interrupted before its outcome \
                                      was recorded; not sent again to avoid a duplicate";

/// Each delivery's state machine (a port): `pending → sending → sent | failed`, and
/// `sending → pending` for a transient failure or an attempt given back. Every transition is
/// conditional: it happens only from the state (and, for an attempt's outcome, the attempt)
/// it names, and returns `false` otherwise. [`DeliveryStore`] is the DynamoDB adapter,
/// `MemoryDeliveries` the in-memory one.
pub trait Deliveries: Send + Sync + std::fmt::Debug {
    /// `pending → sending` (attempts + 1, leased until `now + lease`); else what the delivery
    /// is ([`Claim`]): done, busy under a live lease, or interrupted (its expired lease: now
    /// `failed`, `interrupted`, with the send's message).
    fn claim<'a>(
        &'a self,
        id: &'a DeliveryId,
        now: Timestamp,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, BroadcastError>>;
    /// `sending → sent` for the attempt `claimed` owns (or `failed` by interruption meanwhile:
    /// corrected to `sent`, out of the failed list).
    fn mark_sent<'a>(
        &'a self,
        claimed: &'a DeliveryRecord,
        now: Timestamp,
        provider_id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<bool, BroadcastError>>;
    /// `sending → pending` with the attempt given back (`attempts` - 1): it never reached the
    /// messenger.
    fn release<'a>(
        &'a self,
        claimed: &'a DeliveryRecord,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<bool, BroadcastError>>;
    /// `sending → pending` after a transient failure of the attempt `claimed` owns.
    fn mark_retry<'a>(
        &'a self,
        claimed: &'a DeliveryRecord,
        now: Timestamp,
        error: &'a str,
    ) -> BoxFuture<'a, Result<bool, BroadcastError>>;
    /// `sending → failed` for the attempt `claimed` owns: into the failed list, with `message`
    /// and the endpoint tried.
    fn mark_failed<'a>(
        &'a self,
        claimed: &'a DeliveryRecord,
        now: Timestamp,
        error: &'a str,
        url: Option<&'a str>,
        message: &'a str,
    ) -> BoxFuture<'a, Result<bool, BroadcastError>>;
}

impl Deliveries for DeliveryStore {
    fn claim<'a>(
        &'a self,
        id: &'a DeliveryId,
        now: Timestamp,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, BroadcastError>> {
        Box::pin(DeliveryStore::claim(self, id, now, lease))
    }
    fn mark_sent<'a>(
        &'a self,
        claimed: &'a DeliveryRecord,
        now: Timestamp,
        provider_id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<bool, BroadcastError>> {
        Box::pin(DeliveryStore::mark_sent(self, claimed, now, provider_id))
    }
    fn release<'a>(
        &'a self,
        claimed: &'a DeliveryRecord,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<bool, BroadcastError>> {
        Box::pin(DeliveryStore::release(self, claimed, now))
    }
    fn mark_retry<'a>(
        &'a self,
        claimed: &'a DeliveryRecord,
        now: Timestamp,
        error: &'a str,
    ) -> BoxFuture<'a, Result<bool, BroadcastError>> {
        Box::pin(DeliveryStore::mark_retry(self, claimed, now, error))
    }
    fn mark_failed<'a>(
        &'a self,
        claimed: &'a DeliveryRecord,
        now: Timestamp,
        error: &'a str,
        url: Option<&'a str>,
        message: &'a str,
    ) -> BoxFuture<'a, Result<bool, BroadcastError>> {
        Box::pin(DeliveryStore::mark_failed(
            self, claimed, now, error, url, message,
        ))
    }
}

/// Deliveries in the messenger table.
#[derive(Debug, Clone)]
pub struct DeliveryStore {
    client: Client,
    table: String,
    /// Where a delivery's send (and its message text) is.
    sends: SendStore,
}

impl DeliveryStore {
    pub(crate) fn new(client: Client, table: String, sends: SendStore) -> Self {
        Self {
            client,
            table,
            sends,
        }
    }

    /// One delivery (strongly consistent).
    pub(crate) async fn get(
        &self,
        id: &DeliveryId,
    ) -> Result<Option<DeliveryRecord>, BroadcastError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(id.key().into_iter().collect()))
            .consistent_read(true)
            .send()
            .await?;
        out.item
            .map(|i| serde_dynamo::from_item(i).map_err(BroadcastError::from))
            .transpose()
    }

    /// Takes ownership of one attempt: `pending → sending` (attempts + 1, a lease until
    /// `now + lease`), a conditional write. When the condition fails the delivery is read:
    ///
    /// - `sent`/`failed`: [`Claim::Done`]: the job is a duplicate (SQS redelivery),
    /// - `sending` with a live lease: [`Claim::Busy`] (another consumer holds it),
    /// - `sending` with an expired lease: a consumer died between claiming and recording the
    ///   outcome, so whether the messenger got the message is unknown. It is marked `failed`
    ///   (`interrupted`) and shows in the failed list rather than being sent again:
    ///   delivery is at most once ([`Claim::Interrupted`]).
    pub(crate) async fn claim(
        &self,
        id: &DeliveryId,
        now: Timestamp,
        lease: Duration,
    ) -> Result<Claim, BroadcastError> {
        let lease_until = lease_end(now, lease);
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(id.key().into_iter().collect()))
            .update_expression(
                "SET #s = :sending, attempts = attempts + :one, leaseUntil = :lease, updatedAt = :now",
            )
            .condition_expression("#s = :pending")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":sending", s(Status::Sending.as_str()))
            .expression_attribute_values(":pending", s(Status::Pending.as_str()))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":lease", s(lease_until.to_rfc3339()))
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match res {
            Ok(out) => {
                let item = out
                    .attributes
                    .ok_or_else(|| BroadcastError::fault("UpdateItem returned no attributes"))?;
                Ok(Claim::Claimed(Box::new(serde_dynamo::from_item(item)?)))
            }
            Err(err) if ddb::is_conditional_check_failed(&err) => {
                let Some(current) = self.get(id).await? else {
                    return Ok(Claim::Missing);
                };
                match current.status {
                    Status::Sent | Status::Failed => Ok(Claim::Done(current.status)),
                    // Changed between our write and our read: look again on the next receive.
                    Status::Pending => Ok(Claim::Busy(now)),
                    Status::Sending if !current.lease_expired(now) => {
                        Ok(Claim::Busy(current.lease_until.unwrap_or(now)))
                    }
                    Status::Sending => {
                        let won = self
                            .transition_failed(&current, now, INTERRUPTED, None, None, true)
                            .await?;
                        if won {
                            let failed = self.get(id).await?.unwrap_or(current);
                            Ok(Claim::Interrupted(Box::new(failed)))
                        } else {
                            Ok(Claim::Busy(now))
                        }
                    }
                }
            }
            Err(err) => Err(err.into()),
        }
    }

    /// `sending → sent` for the attempt `claimed` owns. Also corrects a delivery that another
    /// consumer marked `interrupted` while this (slow) attempt was still running. Returns
    /// false if the delivery had moved on (logged by the caller).
    pub(crate) async fn mark_sent(
        &self,
        claimed: &DeliveryRecord,
        now: Timestamp,
        provider_id: Option<&str>,
    ) -> Result<bool, BroadcastError> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(claimed.id()?.key().into_iter().collect()))
            .update_expression(if provider_id.is_some() {
                "SET #s = :sent, sentAt = :now, updatedAt = :now, providerId = :pid \
                 REMOVE leaseUntil, failedPk, failedSk, failedAll, interrupted, failedAt"
            } else {
                "SET #s = :sent, sentAt = :now, updatedAt = :now \
                 REMOVE leaseUntil, failedPk, failedSk, failedAll, interrupted, failedAt"
            })
            .condition_expression(
                "attempts = :a AND (#s = :sending OR (#s = :failed AND interrupted = :true))",
            )
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":sent", s(Status::Sent.as_str()))
            .expression_attribute_values(":sending", s(Status::Sending.as_str()))
            .expression_attribute_values(":failed", s(Status::Failed.as_str()))
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":a", n(claimed.attempts))
            .expression_attribute_values(":now", s(now.to_rfc3339()));
        if let Some(pid) = provider_id {
            req = req.expression_attribute_values(":pid", s(pid));
        }
        conditional(req.send().await)
    }

    /// `sending → pending` for an attempt that never reached the messenger (a failure between
    /// the claim and the messenger call): the attempt is given back (`attempts` as before the
    /// claim), so the next receive sends it. False if the delivery had moved on.
    pub(crate) async fn release(
        &self,
        claimed: &DeliveryRecord,
        now: Timestamp,
    ) -> Result<bool, BroadcastError> {
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(claimed.id()?.key().into_iter().collect()))
            .update_expression(
                "SET #s = :pending, attempts = attempts - :one, updatedAt = :now REMOVE leaseUntil",
            )
            .condition_expression("attempts = :a AND #s = :sending")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":pending", s(Status::Pending.as_str()))
            .expression_attribute_values(":sending", s(Status::Sending.as_str()))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":a", n(claimed.attempts))
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .send()
            .await;
        conditional(res)
    }

    /// `sending → pending` after a transient failure of the attempt `claimed` owns.
    pub(crate) async fn mark_retry(
        &self,
        claimed: &DeliveryRecord,
        now: Timestamp,
        error: &str,
    ) -> Result<bool, BroadcastError> {
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(claimed.id()?.key().into_iter().collect()))
            .update_expression(
                "SET #s = :pending, lastError = :e, updatedAt = :now REMOVE leaseUntil",
            )
            .condition_expression("attempts = :a AND #s = :sending")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":pending", s(Status::Pending.as_str()))
            .expression_attribute_values(":sending", s(Status::Sending.as_str()))
            .expression_attribute_values(":a", n(claimed.attempts))
            .expression_attribute_values(":e", s(error))
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .send()
            .await;
        conditional(res)
    }

    /// `sending → failed` for the attempt `claimed` owns: the delivery joins the failed list
    /// with the message text and the endpoint tried.
    pub(crate) async fn mark_failed(
        &self,
        claimed: &DeliveryRecord,
        now: Timestamp,
        error: &str,
        url: Option<&str>,
        message: &str,
    ) -> Result<bool, BroadcastError> {
        self.transition_failed(claimed, now, error, url, Some(message), false)
            .await
    }

    async fn transition_failed(
        &self,
        current: &DeliveryRecord,
        now: Timestamp,
        error: &str,
        url: Option<&str>,
        message: Option<&str>,
        interrupted: bool,
    ) -> Result<bool, BroadcastError> {
        let message = match message {
            Some(m) => m.to_owned(),
            None => self
                .sends
                .get(&current.id()?.send)
                .await?
                .map(|s| s.message)
                .unwrap_or_default(),
        };
        let now_text = now.to_rfc3339();
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(current.id()?.key().into_iter().collect()))
            .update_expression(
                "SET #s = :failed, lastError = :e, failedAt = :now, updatedAt = :now, \
                 message = :m, #u = :url, failedPk = :fpk, failedSk = :fsk, interrupted = :int, \
                 failedAll = :fall \
                 REMOVE leaseUntil",
            )
            .expression_attribute_names("#s", "status")
            .expression_attribute_names("#u", "url")
            .expression_attribute_values(":failed", s(Status::Failed.as_str()))
            .expression_attribute_values(":sending", s(Status::Sending.as_str()))
            .expression_attribute_values(":e", s(error))
            .expression_attribute_values(":now", s(&now_text))
            .expression_attribute_values(":m", s(message))
            .expression_attribute_values(
                ":url",
                s(url.map_or_else(|| current.url.clone().unwrap_or_default(), str::to_owned)),
            )
            .expression_attribute_values(":fpk", s(failed_pk(&current.tenant, &current.user_name)))
            .expression_attribute_values(":fsk", s(format!("{now_text}#{}", current.delivery_id)))
            .expression_attribute_values(":int", AttributeValue::Bool(interrupted))
            .expression_attribute_values(":fall", s(FAILED_ALL));
        req = if interrupted {
            // Only if nobody touched the stuck attempt since we read it.
            req.condition_expression("#s = :sending AND leaseUntil = :lease")
                .expression_attribute_values(
                    ":lease",
                    s(current
                        .lease_until
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default()),
                )
        } else {
            req.condition_expression("#s = :sending AND attempts = :a")
                .expression_attribute_values(":a", n(current.attempts))
        };
        conditional(req.send().await)
    }
}

/// When a lease of `lease` taken at `now` ends.
pub(crate) fn lease_end(now: Timestamp, lease: Duration) -> Timestamp {
    let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::zero());
    Timestamp::from_datetime(now.datetime() + lease).unwrap_or(now)
}
