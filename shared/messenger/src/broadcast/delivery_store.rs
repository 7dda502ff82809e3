//! The store: the delivery state machine (claim, sent, retry, failed) and the failed list.

use super::*;

use lookout_core::page::{ByteBudget, ReadBudget};

impl BroadcastStore {
    // ------------------------------------------------------------ the state machine

    /// Takes ownership of one attempt: `pending → sending` (attempts + 1, a lease until
    /// `now + lease`), a conditional write. When the condition fails the delivery is read:
    ///
    /// - `sent`/`failed`: [`Claim::Done`]: the job is a duplicate (SQS redelivery),
    /// - `sending` with a live lease: [`Claim::Busy`] (another consumer holds it),
    /// - `sending` with an expired lease: a consumer died between claiming and recording the
    ///   outcome, so whether the messenger got the message is unknown. It is marked `failed`
    ///   (`interrupted`) and shows in the failed list rather than being sent again:
    ///   delivery is at most once ([`Claim::Interrupted`]).
    pub async fn claim(
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
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
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
                let Some(current) = self.get_delivery(id).await? else {
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
                        let reason = "the previous attempt was interrupted before its outcome was \
                                      recorded; not sent again to avoid a duplicate";
                        let won = self
                            .transition_failed(&current, now, reason, None, None, true)
                            .await?;
                        if won {
                            let failed = self.get_delivery(id).await?.unwrap_or(current);
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
    pub async fn mark_sent(
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
    pub async fn release(
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
    pub async fn mark_retry(
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
    pub async fn mark_failed(
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

    pub(crate) async fn transition_failed(
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
                .get_send(&current.id()?.send)
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

    // ------------------------------------------------------------ the failed list

    /// `user`'s failed deliveries, newest first, a page at a time: at most `limit` of them and
    /// [`lookout_core::page::MAX_PAGE_BYTES`] of their JSON as the reply serializes it (a
    /// control character is six bytes there, `\u0001`), read in at most [`ReadBudget`]'s
    /// pages and time. The next token points after the last delivery returned and is there
    /// only when more may follow: a page may hold fewer than `limit` and still have one.
    pub async fn failed(
        &self,
        tenant: &Tenant,
        user: &UserName,
        limit: usize,
        next_token: Option<&str>,
    ) -> Result<FailedPage, BroadcastError> {
        if !(1..=MAX_FAILED_PAGE).contains(&limit) {
            return Err(BroadcastError::Invalid(format!(
                "limit must be 1..={MAX_FAILED_PAGE}"
            )));
        }
        let fpk = failed_pk(tenant.as_str(), user.as_str());
        let mut start = next_token
            .map(|t| ddb::decode_page_token(t, &TOKEN_KEYS, ("failedPk", &fpk), "next_token"))
            .transpose()?;
        let mut data = Vec::new();
        let mut bytes = ByteBudget::default();
        let mut reads = ReadBudget::default();
        // The token after the last delivery taken.
        let mut last: Option<String> = None;
        let mut next_token = None;
        'pages: loop {
            // One more than the page needs: a full page then knows whether more follow.
            let want = limit - data.len() + 1;
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(FAILED_INDEX)
                .key_condition_expression("failedPk = :p")
                .expression_attribute_values(":p", s(&fpk))
                .scan_index_forward(false)
                .limit(i32::try_from(want).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await?;
            for item in out.items.unwrap_or_default() {
                let after = ddb::encode_page_token(&item, &TOKEN_KEYS);
                let entry = failed_out(serde_dynamo::from_item(item)?);
                // A page stops at `limit` deliveries or at its byte budget, whichever is first.
                if data.len() == limit || !bytes.take_json(&entry) {
                    next_token = last;
                    break 'pages;
                }
                data.push(entry);
                last = Some(after);
            }
            match out.last_evaluated_key {
                // Read enough for one request: answer with what there is, and go on after the
                // last delivery read (every one read was taken).
                Some(k) if reads.spent() => {
                    next_token = Some(ddb::encode_page_token(&k, &TOKEN_KEYS));
                    break;
                }
                Some(k) => start = Some(k),
                None => break,
            }
        }
        Ok(FailedPage { data, next_token })
    }
}

/// A failed delivery as `/api/get_failed_mess` lists it.
fn failed_out(d: DeliveryRecord) -> FailedOut {
    FailedOut {
        sender: d.user_name,
        message: d.message.unwrap_or_default(),
        contact: d.contact,
        url: d.url.unwrap_or_default(),
        time: time_parts(d.scheduled_at),
        messenger: d.messenger,
        address: d.address,
        error: d.last_error.unwrap_or_default(),
        failed_at: d.failed_at.unwrap_or(d.updated_at),
        attempts: d.attempts,
        delivery_id: d.delivery_id,
    }
}

pub(crate) fn lease_end(now: Timestamp, lease: Duration) -> Timestamp {
    let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::zero());
    Timestamp::from_datetime(now.datetime() + lease).unwrap_or(now)
}

/// `Ok(true)` when the write happened, `Ok(false)` when its condition did not hold.
pub(crate) fn conditional<T, E, R>(
    res: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
) -> Result<bool, BroadcastError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match res {
        Ok(_) => Ok(true),
        Err(err) if ddb::is_conditional_check_failed(&err) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// Page tokens: the failed-list GSI's last key, bound to the user's partition.
pub(crate) const TOKEN_KEYS: [&str; 4] = ["pk", "sk", "failedPk", "failedSk"];

/// The partition of the cross-tenant `failed-all` index.
pub(crate) const FAILED_ALL: &str = "FAILED";

/// A failed delivery, as the console overview lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedDelivery {
    #[serde(rename = "deliveryId")]
    pub delivery_id: String,
    pub tenant: String,
    #[serde(rename = "userName")]
    pub user_name: String,
    pub contact: String,
    pub messenger: MessengerKind,
    #[serde(rename = "failedAt")]
    pub failed_at: Timestamp,
    #[serde(rename = "lastError", default)]
    pub last_error: Option<String>,
}

/// Failed deliveries since a time, across tenants.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FailedSince {
    pub count: u64,
    pub recent: Vec<FailedDelivery>,
    /// More than [`MAX_FAILED_READ`] failed: `count` stops there.
    pub truncated: bool,
}

/// Failed deliveries read for one overview at most.
pub const MAX_FAILED_READ: usize = 1000;

impl BroadcastStore {
    /// Deliveries failed at or after `since`, across tenants, newest first: how many, and the
    /// `recent` newest (the sparse `failed-all` index).
    pub async fn failed_since(
        &self,
        since: Timestamp,
        recent: usize,
    ) -> Result<FailedSince, BroadcastError> {
        let mut out = FailedSince::default();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("failed-all")
                .key_condition_expression("failedAll = :f AND failedAt >= :since")
                .expression_attribute_values(":f", AttributeValue::S(FAILED_ALL.into()))
                .expression_attribute_values(":since", AttributeValue::S(since.to_rfc3339()))
                .scan_index_forward(false)
                .limit(200)
                .set_exclusive_start_key(start)
                .send()
                .await?;
            for item in page.items.unwrap_or_default() {
                out.count += 1;
                if out.recent.len() < recent {
                    out.recent.push(serde_dynamo::from_item(item)?);
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(out);
            }
            if usize::try_from(out.count).unwrap_or(usize::MAX) >= MAX_FAILED_READ {
                out.truncated = true;
                return Ok(out);
            }
        }
    }
}
