//! The in-memory [`Deliveries`]: each delivery's state machine, with the conditions of the
//! DynamoDB adapter's conditional writes (`store/deliveries.rs`):
//!
//! | transition | from | condition |
//! |---|---|---|
//! | claim | `pending` → `sending` | attempts + 1, leased |
//! | claim of an expired lease | `sending` → `failed` | `interrupted`, the same lease |
//! | mark_sent | `sending` (or `failed` by interruption) → `sent` | the claim's attempt |
//! | release | `sending` → `pending` | the claim's attempt; attempts − 1 |
//! | mark_retry | `sending` → `pending` | the claim's attempt |
//! | mark_failed | `sending` → `failed` | the claim's attempt |

use std::time::Duration;

use lookout_core::time::Timestamp;
use lookout_core::BoxFuture;

use crate::error::BroadcastError;
use crate::ids::DeliveryId;
use crate::records::{DeliveryRecord, Status};
use crate::store::deliveries::{lease_end, Claim, Deliveries, INTERRUPTED};
use crate::store::keys::{failed_pk, FAILED_ALL};
use crate::store::memory::{SharedTable, Table};

/// Deliveries in memory. Clones share them.
#[derive(Debug, Clone, Default)]
pub struct MemoryDeliveries {
    table: SharedTable,
}

impl MemoryDeliveries {
    pub(crate) fn over(table: SharedTable) -> Self {
        Self { table }
    }

    /// One delivery as stored.
    pub fn get(&self, id: &DeliveryId) -> Option<DeliveryRecord> {
        self.table.lock().deliveries.get(id).cloned()
    }

    /// Every delivery stored, by id.
    pub fn all(&self) -> Vec<DeliveryRecord> {
        self.table.lock().deliveries.values().cloned().collect()
    }

    /// Applies `change` to the delivery `claimed` names if `condition` holds for it; whether
    /// it did (a missing delivery holds no condition).
    fn transition(
        &self,
        claimed: &DeliveryRecord,
        condition: impl FnOnce(&DeliveryRecord) -> bool,
        change: impl FnOnce(&mut DeliveryRecord),
    ) -> Result<bool, BroadcastError> {
        let id = claimed.id()?;
        let mut t = self.table.lock();
        match t.deliveries.get_mut(&id) {
            Some(d) if condition(d) => {
                change(d);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// `sending → failed`: into the failed list (`failedPk`/`failedSk`, `failedAll`) with the
/// message and the endpoint tried (the one recorded before when `url` is `None`).
fn record_failed(
    d: &mut DeliveryRecord,
    now: Timestamp,
    error: &str,
    url: Option<&str>,
    message: String,
    interrupted: bool,
) {
    d.status = Status::Failed;
    d.last_error = Some(error.to_owned());
    d.failed_at = Some(now);
    d.updated_at = now;
    d.message = Some(message);
    d.url = Some(url.map_or_else(|| d.url.clone().unwrap_or_default(), str::to_owned));
    d.failed_pk = Some(failed_pk(&d.tenant, &d.user_name));
    d.failed_sk = Some(format!("{}#{}", now.to_rfc3339(), d.delivery_id));
    d.failed_all = Some(FAILED_ALL.to_owned());
    d.interrupted = interrupted;
    d.lease_until = None;
}

/// A claim of the delivery `id` in `t` (see [`Deliveries::claim`]).
fn claim_in(t: &mut Table, id: &DeliveryId, now: Timestamp, lease: Duration) -> Claim {
    let message = t.sends.get(&id.send).map(|s| s.message.clone());
    let Some(d) = t.deliveries.get_mut(id) else {
        return Claim::Missing;
    };
    match d.status {
        Status::Pending => {
            d.status = Status::Sending;
            d.attempts += 1;
            d.lease_until = Some(lease_end(now, lease));
            d.updated_at = now;
            Claim::Claimed(Box::new(d.clone()))
        }
        Status::Sent | Status::Failed => Claim::Done(d.status),
        Status::Sending if !d.lease_expired(now) => Claim::Busy(d.lease_until.unwrap_or(now)),
        Status::Sending => {
            record_failed(d, now, INTERRUPTED, None, message.unwrap_or_default(), true);
            Claim::Interrupted(Box::new(d.clone()))
        }
    }
}

impl Deliveries for MemoryDeliveries {
    fn claim<'a>(
        &'a self,
        id: &'a DeliveryId,
        now: Timestamp,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, BroadcastError>> {
        Box::pin(async move { Ok(claim_in(&mut self.table.lock(), id, now, lease)) })
    }

    fn mark_sent<'a>(
        &'a self,
        claimed: &'a DeliveryRecord,
        now: Timestamp,
        provider_id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<bool, BroadcastError>> {
        Box::pin(async move {
            self.transition(
                claimed,
                |d| {
                    d.attempts == claimed.attempts
                        && (d.status == Status::Sending
                            || (d.status == Status::Failed && d.interrupted))
                },
                |d| {
                    d.status = Status::Sent;
                    d.sent_at = Some(now);
                    d.updated_at = now;
                    if let Some(pid) = provider_id {
                        d.provider_id = Some(pid.to_owned());
                    }
                    d.lease_until = None;
                    d.failed_pk = None;
                    d.failed_sk = None;
                    d.failed_all = None;
                    d.interrupted = false;
                    d.failed_at = None;
                },
            )
        })
    }

    fn release<'a>(
        &'a self,
        claimed: &'a DeliveryRecord,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<bool, BroadcastError>> {
        Box::pin(async move {
            self.transition(
                claimed,
                |d| d.attempts == claimed.attempts && d.status == Status::Sending,
                |d| {
                    d.status = Status::Pending;
                    d.attempts = d.attempts.saturating_sub(1);
                    d.updated_at = now;
                    d.lease_until = None;
                },
            )
        })
    }

    fn mark_retry<'a>(
        &'a self,
        claimed: &'a DeliveryRecord,
        now: Timestamp,
        error: &'a str,
    ) -> BoxFuture<'a, Result<bool, BroadcastError>> {
        Box::pin(async move {
            self.transition(
                claimed,
                |d| d.attempts == claimed.attempts && d.status == Status::Sending,
                |d| {
                    d.status = Status::Pending;
                    d.last_error = Some(error.to_owned());
                    d.updated_at = now;
                    d.lease_until = None;
                },
            )
        })
    }

    fn mark_failed<'a>(
        &'a self,
        claimed: &'a DeliveryRecord,
        now: Timestamp,
        error: &'a str,
        url: Option<&'a str>,
        message: &'a str,
    ) -> BoxFuture<'a, Result<bool, BroadcastError>> {
        Box::pin(async move {
            self.transition(
                claimed,
                |d| d.attempts == claimed.attempts && d.status == Status::Sending,
                |d| record_failed(d, now, error, url, message.to_owned(), false),
            )
        })
    }
}
