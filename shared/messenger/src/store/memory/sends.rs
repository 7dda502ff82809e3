//! The in-memory [`Sends`]: a send and its deliveries stored together, a keyed send stored
//! once (its key's first request wins, as the DynamoDB adapter's conditional put).

use lookout_core::auth::Tenant;
use lookout_core::time::Timestamp;
use lookout_core::BoxFuture;

use crate::address::Addresses;
use crate::error::BroadcastError;
use crate::ids::{DeliveryId, SendId};
use crate::input::{ContactName, UserName};
use crate::records::{DeliveryRecord, SendRecord};
use crate::store::memory::{MemoryFault, SharedTable, Table};
use crate::store::sends::{send_records, KeyedSend, NewSend, Sends};

/// Sends (and the deliveries they are created with) in memory. Clones share them.
#[derive(Debug, Clone)]
pub struct MemorySends {
    table: SharedTable,
    /// Days a send and its deliveries are kept after they were due (their `expiresAt`).
    retention_days: i64,
}

impl Default for MemorySends {
    fn default() -> Self {
        Self::over(SharedTable::default(), 30)
    }
}

impl MemorySends {
    pub(crate) fn over(table: SharedTable, retention_days: i64) -> Self {
        Self {
            table,
            retention_days,
        }
    }

    /// Every send stored, by id.
    pub fn all(&self) -> Vec<SendRecord> {
        self.table.lock().sends.values().cloned().collect()
    }

    /// Removes the send's own item and leaves its deliveries, as its TTL may before theirs.
    pub fn forget(&self, id: &SendId) {
        self.table.lock().sends.remove(id);
    }
}

/// The stored deliveries of a send, in order.
pub(crate) fn deliveries_of(t: &Table, id: &SendId) -> Vec<DeliveryRecord> {
    let first = DeliveryId {
        send: id.clone(),
        n: 0,
    };
    let last = DeliveryId {
        send: id.clone(),
        n: u16::MAX,
    };
    t.deliveries
        .range(first..=last)
        .map(|(_, d)| d.clone())
        .collect()
}

/// Stores a delivery unless one with its id is stored.
fn put_new_delivery(t: &mut Table, d: &DeliveryRecord) -> Result<(), BroadcastError> {
    t.deliveries.entry(d.id()?).or_insert_with(|| d.clone());
    Ok(())
}

impl Sends for MemorySends {
    fn create_new<'a>(
        &'a self,
        tenant: &'a Tenant,
        user: &'a UserName,
        contacts: &'a [(ContactName, Addresses)],
        message: &'a str,
        at: Timestamp,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<NewSend, BroadcastError>> {
        Box::pin(async move {
            let send_id = SendId::new();
            let (send, deliveries) = send_records(
                self.retention_days,
                &send_id,
                tenant,
                user,
                contacts,
                message,
                at,
                now,
            )?;
            let mut t = self.table.lock();
            t.take_fault(MemoryFault::WriteSend)?;
            t.sends.insert(send_id.clone(), send.clone());
            for d in &deliveries {
                put_new_delivery(&mut t, d)?;
            }
            Ok((send_id, send, deliveries))
        })
    }

    fn create_once<'a>(
        &'a self,
        send_id: SendId,
        fingerprint: &'a str,
        tenant: &'a Tenant,
        user: &'a UserName,
        contacts: &'a [(ContactName, Addresses)],
        message: &'a str,
        at: Timestamp,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<KeyedSend, BroadcastError>> {
        Box::pin(async move {
            let (mut send, deliveries) = send_records(
                self.retention_days,
                &send_id,
                tenant,
                user,
                contacts,
                message,
                at,
                now,
            )?;
            send.request_hash = Some(fingerprint.to_owned());
            let mut t = self.table.lock();
            t.take_fault(MemoryFault::WriteSend)?;
            if let Some(existing) = t.sends.get(&send_id).cloned() {
                if existing.tenant != send.tenant
                    || existing.request_hash.as_deref() != Some(fingerprint)
                {
                    return Err(BroadcastError::KeyReused);
                }
                // The deliveries an earlier attempt did not store, each only if still absent.
                for d in &deliveries {
                    put_new_delivery(&mut t, d)?;
                }
                return Ok(KeyedSend::Replay(send_id, existing));
            }
            t.sends.insert(send_id.clone(), send.clone());
            for d in &deliveries {
                put_new_delivery(&mut t, d)?;
            }
            Ok(KeyedSend::Created(send_id, send, deliveries))
        })
    }

    fn discard<'a>(
        &'a self,
        send: &'a SendRecord,
        deliveries: &'a [DeliveryRecord],
    ) -> BoxFuture<'a, Result<(), BroadcastError>> {
        Box::pin(async move {
            let mut t = self.table.lock();
            t.sends.retain(|id, _| id.pk() != send.pk);
            for d in deliveries {
                t.deliveries.remove(&d.id()?);
            }
            Ok(())
        })
    }

    fn get<'a>(
        &'a self,
        id: &'a SendId,
    ) -> BoxFuture<'a, Result<Option<SendRecord>, BroadcastError>> {
        Box::pin(async move {
            let mut t = self.table.lock();
            t.take_fault(MemoryFault::ReadSend)?;
            Ok(t.sends.get(id).cloned())
        })
    }

    fn deliveries<'a>(
        &'a self,
        id: &'a SendId,
    ) -> BoxFuture<'a, Result<Vec<DeliveryRecord>, BroadcastError>> {
        Box::pin(async move { Ok(deliveries_of(&self.table.lock(), id)) })
    }
}
