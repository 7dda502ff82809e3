//! The in-memory [`FailedDeliveries`]: the failed list read from the deliveries that carry a
//! `failedPk` (the DynamoDB adapter's sparse `failed` index), newest first, with the same
//! limits, byte budget and page tokens.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use lookout_core::auth::Tenant;
use lookout_core::ddb;
use lookout_core::page::ByteBudget;
use lookout_core::BoxFuture;

use crate::error::BroadcastError;
use crate::input::UserName;
use crate::records::DeliveryRecord;
use crate::replies::{FailedOut, FailedPage};
use crate::store::failed::{check_limit, FailedDeliveries, TOKEN_KEYS};
use crate::store::keys::failed_pk;
use crate::store::memory::SharedTable;

/// The failed deliveries in memory. Clones share them.
#[derive(Debug, Clone, Default)]
pub struct MemoryFailedDeliveries {
    table: SharedTable,
}

impl MemoryFailedDeliveries {
    pub(crate) fn over(table: SharedTable) -> Self {
        Self { table }
    }
}

/// A delivery's key in the `failed` index, as a page token carries it.
fn index_key(d: &DeliveryRecord) -> HashMap<String, AttributeValue> {
    let s = |v: &str| AttributeValue::S(v.to_owned());
    HashMap::from([
        ("pk".to_owned(), s(&d.pk)),
        ("sk".to_owned(), s(&d.sk)),
        (
            "failedPk".to_owned(),
            s(d.failed_pk.as_deref().unwrap_or_default()),
        ),
        (
            "failedSk".to_owned(),
            s(d.failed_sk.as_deref().unwrap_or_default()),
        ),
    ])
}

/// A string attribute of a decoded token.
fn text(key: &HashMap<String, AttributeValue>, name: &str) -> String {
    match key.get(name) {
        Some(AttributeValue::S(v)) => v.clone(),
        _ => String::new(),
    }
}

impl FailedDeliveries for MemoryFailedDeliveries {
    fn page<'a>(
        &'a self,
        tenant: &'a Tenant,
        user: &'a UserName,
        limit: usize,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<FailedPage, BroadcastError>> {
        Box::pin(async move {
            check_limit(limit)?;
            let fpk = failed_pk(tenant.as_str(), user.as_str());
            let start = next_token
                .map(|t| ddb::decode_page_token(t, &TOKEN_KEYS, ("failedPk", &fpk), "next_token"))
                .transpose()?;
            // The index's order, newest first: (failedSk, pk, sk) descending.
            let after = start.map(|k| (text(&k, "failedSk"), text(&k, "pk"), text(&k, "sk")));
            let mut failed: Vec<DeliveryRecord> = self
                .table
                .lock()
                .deliveries
                .values()
                .filter(|d| d.failed_pk.as_deref() == Some(fpk.as_str()))
                .cloned()
                .collect();
            let order = |d: &DeliveryRecord| {
                (
                    d.failed_sk.clone().unwrap_or_default(),
                    d.pk.clone(),
                    d.sk.clone(),
                )
            };
            failed.sort_by_key(|d| std::cmp::Reverse(order(d)));
            let mut data = Vec::new();
            let mut bytes = ByteBudget::default();
            let mut last: Option<String> = None;
            let mut next_token = None;
            for d in failed
                .into_iter()
                .filter(|d| after.as_ref().is_none_or(|a| order(d) < *a))
            {
                let token = ddb::encode_page_token(&index_key(&d), &TOKEN_KEYS);
                let entry = FailedOut::from(d);
                if data.len() == limit || !bytes.take_json(&entry) {
                    next_token = last;
                    break;
                }
                data.push(entry);
                last = Some(token);
            }
            Ok(FailedPage { data, next_token })
        })
    }
}
