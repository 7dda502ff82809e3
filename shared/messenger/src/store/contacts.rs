//! A user's contacts and settings (`CT#<tenant>#<user_name>`), and the tenant's contact count.
//!
//! The contacts quota (`QuotaContactsPerTenant`) is an exact count of each tenant's contacts,
//! kept in one item (`Q#<tenant>` / `CONTACTS`, attribute `contacts`; [`UsageStore`]).
//! A new contact is put in the same transaction that adds it to the count, under the condition
//! that the count leaves room for every new contact of the request; a deleted one is taken off
//! in the transaction that deletes it. Replacing an existing contact does not count. So the
//! count is exact under concurrency: two requests cannot both take the last place, and a
//! refused request stores nothing.
//!
//! Contacts stored before the count existed are not in it: on such a stack the quota counts
//! from the first contact created or deleted after the update (a delete of an uncounted
//! contact can take the count below the real number, never below what was created since).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;

use lookout_core::auth::Tenant;
use lookout_core::ddb;
use lookout_core::quota::{QuotaExceeded, DEFAULT_CONTACTS_PER_TENANT};
use lookout_core::time::{Timestamp, Zone};
use lookout_core::BoxFuture;

use crate::address::Addresses;
use crate::error::BroadcastError;
use crate::input::{Contact, ContactName, UserName};
use crate::records::{
    is_settings, ContactRecord, UserSettings, UserSettingsRecord, USER_SETTINGS_SK,
};
use crate::store::keys::{contact_pk, s};
use crate::store::usage::UsageStore;

/// Every contact of a user by name, and the user's settings.
pub(crate) type StoredContacts = (BTreeMap<String, Addresses>, UserSettings);

/// The named contacts of a user that exist, by name, and the user's settings.
pub(crate) type FoundContacts = (HashMap<String, Addresses>, UserSettings);

/// A user's contacts and settings, counted against the tenant's contact quota (a port).
/// [`ContactStore`] is the DynamoDB adapter, `MemoryContacts` the in-memory one.
pub trait Contacts: Send + Sync + std::fmt::Debug {
    /// Creates or replaces `contacts` (and sets the user's zone when given). New contacts are
    /// counted against the tenant's quota: over it, [`BroadcastError::Quota`] and nothing
    /// stored. Replacing a contact does not count.
    fn put<'a>(
        &'a self,
        tenant: &'a Tenant,
        user: &'a UserName,
        contacts: &'a [Contact],
        time_zone: Option<Zone>,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<(), BroadcastError>>;
    /// Deletes the named contacts that exist (taken off the tenant's count); returns the
    /// names that did not exist, in the order given.
    fn delete<'a>(
        &'a self,
        tenant: &'a Tenant,
        user: &'a UserName,
        names: &'a [ContactName],
    ) -> BoxFuture<'a, Result<Vec<ContactName>, BroadcastError>>;
    /// Every contact of `user` by name, and the user's settings.
    fn list<'a>(
        &'a self,
        tenant: &'a Tenant,
        user: &'a UserName,
    ) -> BoxFuture<'a, Result<StoredContacts, BroadcastError>>;
    /// The named contacts of `user` that exist, and the user's settings.
    fn get<'a>(
        &'a self,
        tenant: &'a Tenant,
        user: &'a UserName,
        names: &'a [ContactName],
    ) -> BoxFuture<'a, Result<FoundContacts, BroadcastError>>;
}

impl Contacts for ContactStore {
    fn put<'a>(
        &'a self,
        tenant: &'a Tenant,
        user: &'a UserName,
        contacts: &'a [Contact],
        time_zone: Option<Zone>,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<(), BroadcastError>> {
        Box::pin(ContactStore::put(
            self, tenant, user, contacts, time_zone, now,
        ))
    }
    fn delete<'a>(
        &'a self,
        tenant: &'a Tenant,
        user: &'a UserName,
        names: &'a [ContactName],
    ) -> BoxFuture<'a, Result<Vec<ContactName>, BroadcastError>> {
        Box::pin(ContactStore::delete(self, tenant, user, names))
    }
    fn list<'a>(
        &'a self,
        tenant: &'a Tenant,
        user: &'a UserName,
    ) -> BoxFuture<'a, Result<StoredContacts, BroadcastError>> {
        Box::pin(ContactStore::list(self, tenant, user))
    }
    fn get<'a>(
        &'a self,
        tenant: &'a Tenant,
        user: &'a UserName,
        names: &'a [ContactName],
    ) -> BoxFuture<'a, Result<FoundContacts, BroadcastError>> {
        Box::pin(ContactStore::get(self, tenant, user, names))
    }
}

/// The error of new contacts that do not fit under the tenant's quota of `max_contacts`.
pub(crate) fn contacts_quota_error(max_contacts: u32) -> BroadcastError {
    BroadcastError::Quota(QuotaExceeded::standing(format!(
        "this tenant has reached its quota of {max_contacts} contacts; delete some first"
    )))
}

/// Contacts and user settings in the messenger table.
#[derive(Debug, Clone)]
pub struct ContactStore {
    client: Client,
    table: String,
    /// Contacts per tenant (`QuotaContactsPerTenant`).
    max_contacts: u32,
    /// Where the tenant's contact count is (its items join this store's transactions).
    usage: UsageStore,
}

impl ContactStore {
    pub(crate) fn new(client: Client, table: String, usage: UsageStore) -> Self {
        Self {
            client,
            table,
            max_contacts: DEFAULT_CONTACTS_PER_TENANT,
            usage,
        }
    }

    /// The same store with another per-tenant contact quota.
    pub(crate) fn with_max_contacts(mut self, max_contacts: u32) -> Self {
        self.max_contacts = max_contacts;
        self
    }

    /// Creates or replaces contacts (a retried request writes the same items). New contacts
    /// are counted against the tenant's quota in the transaction that creates them (see the
    /// module's opening): over it, the quota error and nothing stored.
    pub(crate) async fn put(
        &self,
        tenant: &Tenant,
        user: &UserName,
        contacts: &[Contact],
        time_zone: Option<Zone>,
        now: Timestamp,
    ) -> Result<(), BroadcastError> {
        let pk = contact_pk(tenant, user);
        let record = |c: &Contact| ContactRecord {
            pk: pk.clone(),
            sk: c.name.as_str().to_owned(),
            name: c.name.as_str().to_owned(),
            telegram: c.addresses.telegram.clone(),
            whatsapp: c.addresses.whatsapp.clone(),
            viber: c.addresses.viber.clone(),
            updated_at: now,
        };
        // New contacts first, counted; then the existing ones, replaced only while they still
        // exist. A name created meanwhile is read again; a name deleted meanwhile (its delete
        // lowered the count) is created again, and counted, instead of being restored
        // uncounted. A bounded number of rounds: each finds at least one name changed.
        let mut stored = self.stored_names(&pk).await?;
        // Created by this request: written once, by their creating transaction.
        let mut created_here: Vec<String> = Vec::new();
        for _ in 0..4 {
            let new: Vec<ContactRecord> = contacts
                .iter()
                .filter(|c| !stored.contains(c.name.as_str()))
                .map(record)
                .collect();
            let created: Vec<String> = new.iter().map(|r| r.sk.clone()).collect();
            if !new.is_empty() && !self.put_new_contacts(tenant, new).await? {
                stored = self.stored_names(&pk).await?;
                continue;
            }
            stored.extend(created.iter().cloned());
            created_here.extend(created);
            let existing: Vec<ContactRecord> = contacts
                .iter()
                .filter(|c| stored.contains(c.name.as_str()))
                .filter(|c| !created_here.iter().any(|n| n == c.name.as_str()))
                .map(record)
                .collect();
            let settings = time_zone.map(|zone| UserSettingsRecord {
                pk: pk.clone(),
                sk: USER_SETTINGS_SK.to_owned(),
                time_zone: zone.name().to_owned(),
                updated_at: now,
            });
            let gone = self.replace_existing(&existing, settings.as_ref()).await?;
            if gone.is_empty() {
                return Ok(());
            }
            for name in gone {
                stored.remove(&name);
            }
        }
        Err(BroadcastError::fault(
            "contact create kept racing with other writes",
        ))
    }

    /// Replaces contacts that exist (each write conditioned on it) and writes the user's
    /// settings, in one transaction; returns the names deleted meanwhile (nothing written then).
    /// One contact and no settings is one conditional PutItem: as atomic, at half a
    /// transaction's write units.
    async fn replace_existing(
        &self,
        records: &[ContactRecord],
        settings: Option<&UserSettingsRecord>,
    ) -> Result<Vec<String>, BroadcastError> {
        if let ([record], None) = (records, settings) {
            let res = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(
                    serde_dynamo::to_item(record).map_err(BroadcastError::fault)?,
                ))
                .condition_expression("attribute_exists(pk)")
                .send()
                .await;
            return match res {
                Ok(_) => Ok(Vec::new()),
                Err(err) if ddb::is_conditional_check_failed(&err) => Ok(vec![record.sk.clone()]),
                Err(err) => Err(err.into()),
            };
        }
        let put = |item, condition: Option<&str>| -> Result<TransactWriteItem, BroadcastError> {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .set_condition_expression(condition.map(str::to_owned))
                .build()
                .map_err(BroadcastError::fault)?;
            Ok(TransactWriteItem::builder().put(put).build())
        };
        let mut items = records
            .iter()
            .map(|r| {
                let item = serde_dynamo::to_item(r).map_err(BroadcastError::fault)?;
                put(item, Some("attribute_exists(pk)"))
            })
            .collect::<Result<Vec<_>, BroadcastError>>()?;
        if let Some(settings) = settings {
            let item = serde_dynamo::to_item(settings).map_err(BroadcastError::fault)?;
            items.push(put(item, None)?);
        }
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let res = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        let err = match res {
            Ok(_) => return Ok(Vec::new()),
            Err(err) => err,
        };
        let reasons = ddb::cancellation_reasons(&err);
        let gone: Vec<String> = records
            .iter()
            .zip(reasons.iter())
            .filter(|(_, r)| ddb::condition_failed(r))
            .map(|(rec, _)| rec.sk.clone())
            .collect();
        if gone.is_empty() {
            return Err(err.into());
        }
        Ok(gone)
    }

    /// Deletes the named contacts that exist, in one transaction, and returns the names that
    /// did not exist (the seed answered success for those too). A name deleted concurrently
    /// by another request counts as not existing.
    pub(crate) async fn delete(
        &self,
        tenant: &Tenant,
        user: &UserName,
        names: &[ContactName],
    ) -> Result<Vec<ContactName>, BroadcastError> {
        let pk = contact_pk(tenant, user);
        let mut pending: Vec<ContactName> = names.to_vec();
        let mut missing: Vec<ContactName> = Vec::new();
        // Each retry drops at least one name, so this ends; a bound keeps it cheap anyway.
        for _ in 0..4 {
            if pending.is_empty() {
                return Ok(missing);
            }
            let items = pending
                .iter()
                .map(|name| {
                    let delete = Delete::builder()
                        .table_name(&self.table)
                        .key("pk", s(&pk))
                        .key("sk", s(name.as_str()))
                        .condition_expression("attribute_exists(pk)")
                        .build()
                        .map_err(BroadcastError::fault)?;
                    Ok(TransactWriteItem::builder().delete(delete).build())
                })
                .collect::<Result<Vec<_>, BroadcastError>>()?;
            // The deleted contacts leave the tenant's count in the same transaction (last, so
            // the reasons of the deletes keep their places).
            let mut items = items;
            let deleted = i64::try_from(pending.len()).unwrap_or(i64::MAX);
            items.push(self.usage.count_contacts(tenant, -deleted, None)?);
            let res = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await;
            let err = match res {
                Ok(_) => return Ok(missing),
                Err(err) => err,
            };
            // Which items failed their condition (a cancellation reason per item, in order)?
            // Any other reason (a conflicting transaction) retries the same names.
            let reasons = ddb::cancellation_reasons(&err);
            if reasons.len() != pending.len() + 1 {
                return Err(err.into());
            }
            let (gone, still): (Vec<_>, Vec<_>) = pending
                .into_iter()
                .zip(reasons.iter())
                .partition(|(_, r)| ddb::condition_failed(r));
            missing.extend(gone.into_iter().map(|(n, _)| n));
            pending = still.into_iter().map(|(n, _)| n).collect();
        }
        Err(BroadcastError::fault(
            "contact delete kept conflicting with other writes",
        ))
    }

    pub(crate) async fn list(
        &self,
        tenant: &Tenant,
        user: &UserName,
    ) -> Result<(BTreeMap<String, Addresses>, UserSettings), BroadcastError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(contact_pk(tenant, user)))
            .consistent_read(true);
        let mut out = BTreeMap::new();
        let mut settings = UserSettings::default();
        for item in ddb::query_all(query).await? {
            if is_settings(&item) {
                settings = UserSettings::from_item(item)?;
                continue;
            }
            let rec: ContactRecord = serde_dynamo::from_item(item)?;
            out.insert(rec.name.clone(), rec.addresses());
        }
        Ok((out, settings))
    }

    /// The named contacts of `user` that exist, and the user's settings (read in the same
    /// batch).
    pub(crate) async fn get(
        &self,
        tenant: &Tenant,
        user: &UserName,
        names: &[ContactName],
    ) -> Result<(HashMap<String, Addresses>, UserSettings), BroadcastError> {
        let pk = contact_pk(tenant, user);
        let mut out = HashMap::new();
        let mut settings = UserSettings::default();
        // One batch read (ddb::batch_get_all splits it into DynamoDB's 100-key requests).
        let keys = std::iter::once(USER_SETTINGS_SK)
            .chain(names.iter().map(ContactName::as_str))
            .map(|sk| HashMap::from([("pk".to_owned(), s(&pk)), ("sk".to_owned(), s(sk))]))
            .collect::<Vec<_>>();
        for item in ddb::batch_get_all(&self.client, &self.table, keys).await? {
            if is_settings(&item) {
                settings = UserSettings::from_item(item)?;
                continue;
            }
            let rec: ContactRecord = serde_dynamo::from_item(item)?;
            out.insert(rec.name.clone(), rec.addresses());
        }
        Ok((out, settings))
    }

    /// The names stored under a contact partition (contacts only, not the user's settings).
    async fn stored_names(&self, pk: &str) -> Result<BTreeSet<String>, BroadcastError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(pk))
            .projection_expression("sk")
            .consistent_read(true);
        Ok(ddb::query_all(query)
            .await?
            .into_iter()
            .filter_map(|item| match item.get("sk") {
                Some(AttributeValue::S(sk)) if sk != USER_SETTINGS_SK => Some(sk.clone()),
                _ => None,
            })
            .collect())
    }

    /// Puts contacts that did not exist, counted, in one transaction: `Ok(false)` when one of
    /// them was created meanwhile (read again and retry), the quota error when they do not
    /// fit. Nothing is written in either case.
    async fn put_new_contacts(
        &self,
        tenant: &Tenant,
        records: Vec<ContactRecord>,
    ) -> Result<bool, BroadcastError> {
        let new = i64::try_from(records.len()).unwrap_or(i64::MAX);
        let room = i64::from(self.max_contacts) - new;
        if room < 0 {
            return Err(self.contacts_quota_error());
        }
        let mut items = vec![self.usage.count_contacts(tenant, new, Some(room))?];
        for record in &records {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(
                    serde_dynamo::to_item(record).map_err(BroadcastError::fault)?,
                ))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(BroadcastError::fault)?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        let res = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        let err = match res {
            Ok(_) => return Ok(true),
            Err(err) => err,
        };
        let reasons = ddb::cancellation_reasons(&err);
        let failed = |i: usize| reasons.get(i).is_some_and(ddb::condition_failed);
        if failed(0) {
            return Err(self.contacts_quota_error());
        }
        if (1..reasons.len()).any(failed) {
            return Ok(false);
        }
        Err(err.into())
    }

    fn contacts_quota_error(&self) -> BroadcastError {
        contacts_quota_error(self.max_contacts)
    }
}
