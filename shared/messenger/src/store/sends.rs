//! A send and its deliveries (`SEND#<sendId>`: the send, `D#<nnnn>` its deliveries), written
//! together or not at all; a delivery's later life is the delivery store's.

use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
use aws_sdk_dynamodb::Client;

use lookout_core::auth::Tenant;
use lookout_core::error::error_chain;
use lookout_core::time::Timestamp;
use lookout_core::{ddb, BoxFuture, StoreError};

use crate::address::Addresses;
use crate::error::BroadcastError;
use crate::ids::{DeliveryId, SendId, MAX_DELIVERIES};
use crate::input::{ContactName, UserName};
use crate::records::{DeliveryRecord, SendRecord, Status};
use crate::store::keys::s;

/// What [`Sends::create_once`] did.
#[derive(Debug)]
pub enum KeyedSend {
    /// Stored now: dispatch it.
    Created(SendId, SendRecord, Vec<DeliveryRecord>),
    /// Stored by an earlier request with the same key and body.
    Replay(SendId, SendRecord),
}

/// A new send's id, record and deliveries.
pub(crate) type NewSend = (SendId, SendRecord, Vec<DeliveryRecord>);

/// Sends and the deliveries they are created with (a port). [`SendStore`] is the DynamoDB
/// adapter, `MemorySends` the in-memory one.
pub trait Sends: Send + Sync + std::fmt::Debug {
    /// Stores a new send and one pending delivery per (contact, messenger), all or nothing.
    fn create_new<'a>(
        &'a self,
        tenant: &'a Tenant,
        user: &'a UserName,
        contacts: &'a [(ContactName, Addresses)],
        message: &'a str,
        at: Timestamp,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<NewSend, BroadcastError>>;
    /// The same under a client's key (`send_id` derived from it): the first request stores
    /// it ([`KeyedSend::Created`]); a repeat of it finds it ([`KeyedSend::Replay`]), adding
    /// any delivery a failed first attempt did not store; another request under the same key
    /// (another fingerprint or tenant) is [`BroadcastError::KeyReused`].
    #[allow(clippy::too_many_arguments)]
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
    ) -> BoxFuture<'a, Result<KeyedSend, BroadcastError>>;
    /// Removes a send and its deliveries again (a send that could not be queued).
    fn discard<'a>(
        &'a self,
        send: &'a SendRecord,
        deliveries: &'a [DeliveryRecord],
    ) -> BoxFuture<'a, Result<(), BroadcastError>>;
    /// A send (strongly consistent); `None` if unknown.
    fn get<'a>(
        &'a self,
        id: &'a SendId,
    ) -> BoxFuture<'a, Result<Option<SendRecord>, BroadcastError>>;
    /// Every delivery of a send, in order.
    fn deliveries<'a>(
        &'a self,
        id: &'a SendId,
    ) -> BoxFuture<'a, Result<Vec<DeliveryRecord>, BroadcastError>>;
}

impl Sends for SendStore {
    fn create_new<'a>(
        &'a self,
        tenant: &'a Tenant,
        user: &'a UserName,
        contacts: &'a [(ContactName, Addresses)],
        message: &'a str,
        at: Timestamp,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<NewSend, BroadcastError>> {
        Box::pin(SendStore::create_new(
            self, tenant, user, contacts, message, at, now,
        ))
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
        Box::pin(SendStore::create_once(
            self,
            send_id,
            fingerprint,
            tenant,
            user,
            contacts,
            message,
            at,
            now,
        ))
    }
    fn discard<'a>(
        &'a self,
        send: &'a SendRecord,
        deliveries: &'a [DeliveryRecord],
    ) -> BoxFuture<'a, Result<(), BroadcastError>> {
        Box::pin(SendStore::discard(self, send, deliveries))
    }
    fn get<'a>(
        &'a self,
        id: &'a SendId,
    ) -> BoxFuture<'a, Result<Option<SendRecord>, BroadcastError>> {
        Box::pin(SendStore::get(self, id))
    }
    fn deliveries<'a>(
        &'a self,
        id: &'a SendId,
    ) -> BoxFuture<'a, Result<Vec<DeliveryRecord>, BroadcastError>> {
        Box::pin(SendStore::deliveries(self, id))
    }
}

/// Sends and their deliveries in the messenger table.
#[derive(Debug, Clone)]
pub struct SendStore {
    client: Client,
    table: String,
    /// Days a send and its deliveries are kept after they were due.
    retention_days: i64,
}

impl SendStore {
    pub(crate) fn new(client: Client, table: String, retention_days: i64) -> Self {
        Self {
            client,
            table,
            retention_days,
        }
    }

    pub(crate) fn table(&self) -> &str {
        &self.table
    }

    /// Stores a send and one pending delivery per (contact, messenger). Returns the send's
    /// record and its deliveries. `contacts` are in the order the client named them.
    pub async fn create_new(
        &self,
        tenant: &Tenant,
        user: &UserName,
        contacts: &[(ContactName, Addresses)],
        message: &str,
        at: Timestamp,
        now: Timestamp,
    ) -> Result<(SendId, SendRecord, Vec<DeliveryRecord>), BroadcastError> {
        let send_id = SendId::new();
        let (send, deliveries) =
            self.send_records(&send_id, tenant, user, contacts, message, at, now)?;
        let mut requests = vec![ddb::put_request(&send)?];
        for d in &deliveries {
            requests.push(ddb::put_request(d)?);
        }
        self.write_or_undo(requests, &send, &deliveries).await?;
        Ok((send_id, send, deliveries))
    }

    /// [`create_new`](Self::create_new) under a client's idempotency key: the send's id is
    /// derived from (tenant, key), and its record is written first, on the condition that it
    /// does not exist. A request repeating the key finds it and gets
    /// [`KeyedSend::Replay`] (same request) or a 409 (a different request under the same key).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn create_once(
        &self,
        send_id: SendId,
        fingerprint: &str,
        tenant: &Tenant,
        user: &UserName,
        contacts: &[(ContactName, Addresses)],
        message: &str,
        at: Timestamp,
        now: Timestamp,
    ) -> Result<KeyedSend, BroadcastError> {
        let (mut send, deliveries) =
            self.send_records(&send_id, tenant, user, contacts, message, at, now)?;
        send.request_hash = Some(fingerprint.to_owned());
        // Strict: a second request under the key is a replay however alike the two are (and
        // an own retried attempt takes the replay path too, which completes what it stored).
        if !ddb::put_absent(&self.client, &self.table, &send).await? {
            let existing = self
                .get(&send_id)
                .await?
                .ok_or_else(|| BroadcastError::fault("a keyed send vanished between two reads"))?;
            if existing.tenant != send.tenant
                || existing.request_hash.as_deref() != Some(fingerprint)
            {
                return Err(BroadcastError::KeyReused);
            }
            // An earlier attempt may have stored the send but not all its deliveries (it then
            // failed, so it never queued them and no consumer has seen them): add the missing
            // ones, each only if still absent.
            let stored = self.deliveries(&send_id).await?;
            for d in deliveries
                .iter()
                .filter(|d| !stored.iter().any(|s| s.sk == d.sk))
            {
                ddb::put_new(&self.client, &self.table, d).await?;
            }
            return Ok(KeyedSend::Replay(send_id, existing));
        }
        let requests = deliveries
            .iter()
            .map(ddb::put_request)
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.write_or_undo(requests, &send, &deliveries).await?;
        Ok(KeyedSend::Created(send_id, send, deliveries))
    }

    /// Writes a send's items; if that fails part-way, removes them again before failing.
    async fn write_or_undo(
        &self,
        requests: Vec<WriteRequest>,
        send: &SendRecord,
        deliveries: &[DeliveryRecord],
    ) -> Result<(), BroadcastError> {
        if requests.is_empty() {
            return Ok(());
        }
        if let Err(err) = ddb::batch_write_all(&self.client, &self.table, requests).await {
            // More than one call's worth may have landed: take it back before failing.
            if let Err(undo) = self.discard(send, deliveries).await {
                tracing::error!(send = send.pk.as_str(), error = %error_chain(&undo),
                    "could not remove a partly stored send; it is never queued and expires with its TTL");
            }
            return Err(err.into());
        }
        Ok(())
    }

    /// The items of a new send (not yet stored).
    #[allow(clippy::too_many_arguments)]
    fn send_records(
        &self,
        send_id: &SendId,
        tenant: &Tenant,
        user: &UserName,
        contacts: &[(ContactName, Addresses)],
        message: &str,
        at: Timestamp,
        now: Timestamp,
    ) -> Result<(SendRecord, Vec<DeliveryRecord>), BroadcastError> {
        send_records(
            self.retention_days,
            send_id,
            tenant,
            user,
            contacts,
            message,
            at,
            now,
        )
    }

    /// Removes a send and its deliveries again: the send route's undo when it cannot queue
    /// the send after storing it, so a failed request leaves nothing behind.
    pub(crate) async fn discard(
        &self,
        send: &SendRecord,
        deliveries: &[DeliveryRecord],
    ) -> Result<(), BroadcastError> {
        let key = |pk: &str, sk: &str| {
            DeleteRequest::builder()
                .key("pk", s(pk))
                .key("sk", s(sk))
                .build()
                .map(|d| WriteRequest::builder().delete_request(d).build())
                .map_err(BroadcastError::fault)
        };
        let mut requests = vec![key(&send.pk, &send.sk)?];
        for d in deliveries {
            requests.push(key(&d.pk, &d.sk)?);
        }
        ddb::batch_write_all(&self.client, &self.table, requests).await?;
        Ok(())
    }

    /// A send (strongly consistent); `None` if unknown.
    pub(crate) async fn get(&self, id: &SendId) -> Result<Option<SendRecord>, BroadcastError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(id.pk()))
            .key("sk", s("SEND"))
            .consistent_read(true)
            .send()
            .await?;
        out.item
            .map(|i| serde_dynamo::from_item(i).map_err(BroadcastError::from))
            .transpose()
    }

    /// Every delivery of a send, in order.
    pub(crate) async fn deliveries(
        &self,
        id: &SendId,
    ) -> Result<Vec<DeliveryRecord>, BroadcastError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :d)")
            .expression_attribute_values(":pk", s(id.pk()))
            .expression_attribute_values(":d", s("D#"))
            .consistent_read(true);
        ddb::query_all(query)
            .await?
            .into_iter()
            .map(|item| serde_dynamo::from_item(item).map_err(BroadcastError::from))
            .collect()
    }
}

/// The items of a new send (not yet stored), kept `retention_days` after it is due: the send
/// and one pending delivery per (contact, messenger), numbered in the order given.
#[allow(clippy::too_many_arguments)]
pub(crate) fn send_records(
    retention_days: i64,
    send_id: &SendId,
    tenant: &Tenant,
    user: &UserName,
    contacts: &[(ContactName, Addresses)],
    message: &str,
    at: Timestamp,
    now: Timestamp,
) -> Result<(SendRecord, Vec<DeliveryRecord>), BroadcastError> {
    let expires_at = at.max(now).unix_seconds() + retention_days * 86_400;
    let scheduled = at > now;
    let mut deliveries = Vec::new();
    for (contact, addresses) in contacts {
        for (kind, address) in addresses.iter() {
            let n = u16::try_from(deliveries.len())
                .ok()
                .filter(|n| usize::from(*n) < MAX_DELIVERIES)
                .ok_or_else(|| BroadcastError::invalid("too many deliveries in one send"))?;
            let id = DeliveryId {
                send: send_id.clone(),
                n,
            };
            deliveries.push(DeliveryRecord {
                pk: send_id.pk(),
                sk: id.sk(),
                delivery_id: id.to_string(),
                tenant: tenant.as_str().to_owned(),
                user_name: user.as_str().to_owned(),
                contact: contact.as_str().to_owned(),
                messenger: kind,
                address: address.to_owned(),
                scheduled_at: at,
                status: Status::Pending,
                attempts: 0,
                created_at: now,
                updated_at: now,
                lease_until: None,
                last_error: None,
                sent_at: None,
                provider_id: None,
                failed_at: None,
                interrupted: false,
                url: None,
                message: None,
                failed_pk: None,
                failed_sk: None,
                failed_all: None,
                expires_at,
            });
        }
    }
    let send = SendRecord {
        request_hash: None,
        pk: send_id.pk(),
        sk: "SEND".to_owned(),
        tenant: tenant.as_str().to_owned(),
        user_name: user.as_str().to_owned(),
        message: message.to_owned(),
        scheduled_at: at,
        created_at: now,
        scheduled,
        deliveries: deliveries.len(),
        expires_at,
    };
    Ok((send, deliveries))
}
