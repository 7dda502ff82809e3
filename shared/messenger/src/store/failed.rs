//! The failed deliveries, read from the sparse indexes a failed delivery joins (written by
//! [`DeliveryStore`](crate::store::deliveries::DeliveryStore)): a user's, a page at a time
//! (`failed`, `/api/get_failed_mess`), and every tenant's since a time (`failed-all`, the
//! console overview).
//!
//! Both reads are bounded, so they go through `ddb::query_pages` rather than `ddb::query_all`
//! (which reads to the end): a page stops at its limit, its bytes or its read budget with a
//! token after the last delivery taken; the overview stops at [`MAX_FAILED_READ`].

use aws_sdk_dynamodb::Client;

use lookout_core::auth::Tenant;
use lookout_core::ddb::{self, Next};
use lookout_core::page::{ByteBudget, ReadBudget};
use lookout_core::time::Timestamp;
use lookout_core::BoxFuture;

use crate::error::BroadcastError;
use crate::input::{UserName, MAX_FAILED_PAGE};
use crate::records::DeliveryRecord;
use crate::replies::{FailedOut, FailedPage, FailedSince};
use crate::store::keys::{failed_pk, s, FAILED_ALL, FAILED_ALL_INDEX, FAILED_INDEX};

/// Page tokens: the failed-list GSI's last key, bound to the user's partition.
pub(crate) const TOKEN_KEYS: [&str; 4] = ["pk", "sk", "failedPk", "failedSk"];

/// Failed deliveries read for one overview at most.
pub(crate) const MAX_FAILED_READ: usize = 1000;

/// The failed deliveries, a user's a page at a time (a port). [`FailedStore`] is the DynamoDB
/// adapter, `MemoryFailedDeliveries` the in-memory one.
pub trait FailedDeliveries: Send + Sync + std::fmt::Debug {
    /// `user`'s failed deliveries, newest first: at most `limit` (1..=[`MAX_FAILED_PAGE`],
    /// else [`BroadcastError::Invalid`]) and a page's bytes of them, from `next_token` (a
    /// token of another user's list is [`BroadcastError::Invalid`]); the next token is there
    /// only when more may follow.
    fn page<'a>(
        &'a self,
        tenant: &'a Tenant,
        user: &'a UserName,
        limit: usize,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<FailedPage, BroadcastError>>;
}

impl FailedDeliveries for FailedStore {
    fn page<'a>(
        &'a self,
        tenant: &'a Tenant,
        user: &'a UserName,
        limit: usize,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<FailedPage, BroadcastError>> {
        Box::pin(FailedStore::page(self, tenant, user, limit, next_token))
    }
}

/// A page's `limit`, if it is in 1..=[`MAX_FAILED_PAGE`].
pub(crate) fn check_limit(limit: usize) -> Result<(), BroadcastError> {
    if (1..=MAX_FAILED_PAGE).contains(&limit) {
        Ok(())
    } else {
        Err(BroadcastError::Invalid(format!(
            "limit must be 1..={MAX_FAILED_PAGE}"
        )))
    }
}

/// The failed deliveries of the messenger table.
#[derive(Debug, Clone)]
pub struct FailedStore {
    client: Client,
    table: String,
}

impl FailedStore {
    pub(crate) fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// `user`'s failed deliveries, newest first, a page at a time: at most `limit` of them and
    /// [`lookout_core::page::MAX_PAGE_BYTES`] of their JSON as the reply serializes it (a
    /// control character is six bytes there, `\u0001`), read in at most [`ReadBudget`]'s
    /// pages and time. The next token points after the last delivery returned and is there
    /// only when more may follow: a page may hold fewer than `limit` and still have one.
    pub async fn page(
        &self,
        tenant: &Tenant,
        user: &UserName,
        limit: usize,
        next_token: Option<&str>,
    ) -> Result<FailedPage, BroadcastError> {
        check_limit(limit)?;
        let fpk = failed_pk(tenant.as_str(), user.as_str());
        let start = next_token
            .map(|t| ddb::decode_page_token(t, &TOKEN_KEYS, ("failedPk", &fpk), "next_token"))
            .transpose()?;
        let mut data = Vec::new();
        let mut bytes = ByteBudget::default();
        let mut reads = ReadBudget::default();
        // The token after the last delivery taken.
        let mut last: Option<String> = None;
        let mut next_token = None;
        // One more than the page needs: a full page then knows whether more follow.
        let want = |taken: usize| i32::try_from(limit - taken + 1).unwrap_or(i32::MAX);
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(FAILED_INDEX)
            .key_condition_expression("failedPk = :p")
            .expression_attribute_values(":p", s(&fpk))
            .scan_index_forward(false)
            .limit(want(0))
            .set_exclusive_start_key(start);
        ddb::query_pages(query, None, |out| {
            for item in out.items.unwrap_or_default() {
                let after = ddb::encode_page_token(&item, &TOKEN_KEYS);
                let entry = FailedOut::from(serde_dynamo::from_item::<_, DeliveryRecord>(item)?);
                // A page stops at `limit` deliveries or at its byte budget, whichever is first.
                if data.len() == limit || !bytes.take_json(&entry) {
                    next_token = last.take();
                    return Ok(Next::Stop);
                }
                data.push(entry);
                last = Some(after);
            }
            match out.last_evaluated_key {
                // Read enough for one request: answer with what there is, and go on after the
                // last delivery read (every one read was taken).
                Some(k) if reads.spent() => {
                    next_token = Some(ddb::encode_page_token(&k, &TOKEN_KEYS));
                    Ok(Next::Stop)
                }
                Some(_) => Ok(Next::Limit(want(data.len()))),
                None => Ok::<_, BroadcastError>(Next::Page),
            }
        })
        .await?;
        Ok(FailedPage { data, next_token })
    }

    /// Deliveries failed at or after `since`, across tenants, newest first: how many, and the
    /// `recent` newest (the sparse `failed-all` index).
    pub async fn since(
        &self,
        since: Timestamp,
        recent: usize,
    ) -> Result<FailedSince, BroadcastError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(FAILED_ALL_INDEX)
            .key_condition_expression("failedAll = :f AND failedAt >= :since")
            .expression_attribute_values(":f", s(FAILED_ALL))
            .expression_attribute_values(":since", s(since.to_rfc3339()))
            .scan_index_forward(false)
            .limit(200);
        let mut out = FailedSince::default();
        ddb::query_pages(query, None, |page| {
            for item in page.items.unwrap_or_default() {
                out.count += 1;
                if out.recent.len() < recent {
                    out.recent.push(serde_dynamo::from_item(item)?);
                }
            }
            let more = page.last_evaluated_key.is_some();
            if more && usize::try_from(out.count).unwrap_or(usize::MAX) >= MAX_FAILED_READ {
                out.truncated = true;
                return Ok(Next::Stop);
            }
            Ok::<_, BroadcastError>(Next::Page)
        })
        .await?;
        Ok(out)
    }
}
