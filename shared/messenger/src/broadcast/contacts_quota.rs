//! The contacts quota (`QuotaContactsPerTenant`): an exact count of each tenant's contacts,
//! kept in one item (`Q#<tenant>` / `CONTACTS`, attribute `contacts`).
//!
//! A new contact is put in the same transaction that adds it to the count, under the condition
//! that the count leaves room for every new contact of the request; a deleted one is taken off
//! in the transaction that deletes it. Replacing an existing contact does not count. So the
//! count is exact under concurrency: two requests cannot both take the last place, and a
//! refused request stores nothing.
//!
//! Contacts stored before the count existed are not in it: on such a stack the quota counts
//! from the first contact created or deleted after the update (a delete of an uncounted
//! contact can take the count below the real number, never below what was created since).

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};

use super::*;

pub(crate) const CONTACTS_SK: &str = "CONTACTS";

fn quota_pk(tenant: &Tenant) -> String {
    format!("Q#{}", tenant.as_str())
}

impl BroadcastStore {
    /// The names stored under a contact partition (contacts only, not the user's settings).
    pub(crate) async fn stored_names(&self, pk: &str) -> Result<BTreeSet<String>, BroadcastError> {
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

    /// The transaction item that adds `delta` to the tenant's count; with `room`, only while
    /// the count is at most `room` (so `delta` new contacts fit under the quota).
    pub(crate) fn count_contacts(
        &self,
        tenant: &Tenant,
        delta: i64,
        room: Option<i64>,
    ) -> Result<TransactWriteItem, BroadcastError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(quota_pk(tenant)))
            .key("sk", s(CONTACTS_SK))
            .update_expression("ADD contacts :d")
            .expression_attribute_values(":d", n(delta));
        if let Some(room) = room {
            update = update
                .condition_expression("attribute_not_exists(contacts) OR contacts <= :room")
                .expression_attribute_values(":room", n(room));
        }
        Ok(TransactWriteItem::builder()
            .update(update.build().map_err(BroadcastError::fault)?)
            .build())
    }

    /// Puts contacts that did not exist, counted, in one transaction: `Ok(false)` when one of
    /// them was created meanwhile (read again and retry), the quota error when they do not
    /// fit. Nothing is written in either case.
    pub(crate) async fn put_new_contacts(
        &self,
        tenant: &Tenant,
        records: Vec<ContactRecord>,
    ) -> Result<bool, BroadcastError> {
        let new = i64::try_from(records.len()).unwrap_or(i64::MAX);
        let room = i64::from(self.max_contacts) - new;
        if room < 0 {
            return Err(self.contacts_quota_error());
        }
        let mut items = vec![self.count_contacts(tenant, new, Some(room))?];
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
        BroadcastError::Quota(lookout_core::quota::QuotaExceeded::standing(format!(
            "this tenant has reached its quota of {} contacts; delete some first",
            self.max_contacts
        )))
    }
}
