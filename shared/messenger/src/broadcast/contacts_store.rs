//! The store (one DynamoDB table): contacts and user settings.

use super::*;

/// Contacts, sends and deliveries in DynamoDB.
#[derive(Debug, Clone)]
pub struct BroadcastStore {
    pub(crate) client: Client,
    pub(crate) table: String,
    pub(crate) retention_days: i64,
    /// Contacts per tenant (`QuotaContactsPerTenant`; see `contacts_quota`).
    pub(crate) max_contacts: u32,
}

pub(crate) fn contact_pk(tenant: &Tenant, user: &UserName) -> String {
    format!("CT#{}#{}", tenant.as_str(), user.as_str())
}

pub(crate) fn failed_pk(tenant: &str, user: &str) -> String {
    format!("F#{tenant}#{user}")
}

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

impl BroadcastStore {
    pub fn new(client: Client, table: impl Into<String>, retention_days: i64) -> Self {
        Self {
            client,
            table: table.into(),
            retention_days,
            max_contacts: lookout_core::quota::DEFAULT_CONTACTS_PER_TENANT,
        }
    }

    /// The same store with another per-tenant contact quota.
    pub fn with_max_contacts(mut self, max_contacts: u32) -> Self {
        self.max_contacts = max_contacts;
        self
    }

    /// `MESSENGER_TABLE`, `MESSENGER_RETENTION_DAYS` (default 30).
    pub fn from_env(client: Client) -> Result<Self, ConfigError> {
        let days = config::retention_days(env::MESSENGER_RETENTION_DAYS, 30)?;
        Ok(Self::new(
            client,
            config::required(env::MESSENGER_TABLE)?,
            days,
        ))
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    // ------------------------------------------------------------ contacts

    /// Creates or replaces contacts (a retried request writes the same items). New contacts
    /// are counted against the tenant's quota in the transaction that creates them (see
    /// `contacts_quota`): over it, the quota error and nothing stored.
    pub async fn put_contacts(
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
    async fn replace_existing(
        &self,
        records: &[ContactRecord],
        settings: Option<&UserSettingsRecord>,
    ) -> Result<Vec<String>, BroadcastError> {
        use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
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
    pub async fn delete_contacts(
        &self,
        tenant: &Tenant,
        user: &UserName,
        names: &[ContactName],
    ) -> Result<Vec<ContactName>, BroadcastError> {
        use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
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
            items.push(self.count_contacts(tenant, -deleted, None)?);
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

    pub async fn list_contacts(
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
    pub async fn get_contacts(
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
}
