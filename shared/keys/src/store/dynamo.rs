//! [`ApiKeys`]: the key records in DynamoDB (`API_KEYS_TABLE`, key `pk` = the SHA-256 of the
//! key; the `by-tenant` index on `tenant`, `keyId`), the [`KeyRecords`] port's adapter. Its
//! `issue`, `verify`, `list` and `revoke` are the use cases of the same names over it. Built
//! from the environment it trusts the keys it verified for a bounded time
//! ([`lookout_core::trust`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use lookout_core::{
    auth::Tenant,
    config,
    ddb::{self, Next},
    time::Timestamp,
    trust::{self, Trusted},
    BoxFuture,
};

use crate::error::KeyError;
use crate::record::ApiKeyRecord;
use crate::scope::Scope;
use crate::store::key_records::KeyRecords;
use crate::views::{IssuedKey, KeyTerms, KeyView, Principal};

/// The index listing a tenant's keys.
const TENANT_INDEX: &str = "by-tenant";

/// API keys in DynamoDB (`API_KEYS_TABLE`), keyed by the SHA-256 of the key; trusting the
/// records it read for a bounded time when built from the environment (clones share them).
#[derive(Debug, Clone)]
pub struct ApiKeys {
    client: aws_sdk_dynamodb::Client,
    table: String,
    cache: Option<Arc<Trusted<ApiKeyRecord>>>,
}

impl ApiKeys {
    /// Every verification reads the table (no cache).
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            cache: None,
        }
    }

    /// Trusts the key records it read for `ttl` (not at all for 0): see [`lookout_core::trust`].
    pub fn with_cache(mut self, ttl: Duration) -> Self {
        self.cache = Trusted::shared(ttl);
        self
    }

    /// `API_KEYS_TABLE`, trusted for `CREDENTIAL_CACHE_SECONDS`.
    pub fn from_env(client: aws_sdk_dynamodb::Client) -> Result<Self, config::ConfigError> {
        Ok(
            Self::new(client, config::required(config::names::API_KEYS_TABLE)?)
                .with_cache(trust::credential_cache_ttl()?),
        )
    }

    /// The key records this adapter trusts, if it keeps them.
    pub fn cache(&self) -> Option<&Trusted<ApiKeyRecord>> {
        self.cache.as_deref()
    }

    /// Issues a new random key for `tenant`, for every scope and without expiry.
    pub async fn issue(&self, tenant: &Tenant, label: &str) -> Result<IssuedKey, KeyError> {
        self.issue_with(tenant, label, &KeyTerms::default(), Timestamp::now())
            .await
    }

    /// Issues a new random key for `tenant` under `terms` (expiry checked against `now`): see
    /// [`issue`](crate::issue::issue).
    pub async fn issue_with(
        &self,
        tenant: &Tenant,
        label: &str,
        terms: &KeyTerms,
        now: Timestamp,
    ) -> Result<IssuedKey, KeyError> {
        crate::issue::issue(self, tenant, label, terms, now).await
    }

    /// The holder of `key`, if it may be used for `scope` at `now`: see
    /// [`verify`](crate::verify::verify).
    pub async fn verify(
        &self,
        key: &str,
        scope: Scope,
        now: Timestamp,
    ) -> Result<Principal, KeyError> {
        crate::verify::verify(self, key, scope, now).await
    }

    /// Every key of `tenant`, newest first (never the secret): see [`list`](crate::list::list).
    pub async fn list(&self, tenant: &Tenant, now: Timestamp) -> Result<Vec<KeyView>, KeyError> {
        crate::list::list(self, tenant, now).await
    }

    /// Revokes `tenant`'s key `key_id` at `now`: see [`revoke`](crate::revoke::revoke).
    pub async fn revoke(
        &self,
        tenant: &Tenant,
        key_id: &str,
        now: Timestamp,
    ) -> Result<KeyView, KeyError> {
        crate::revoke::revoke(self, tenant, key_id, now).await
    }
}

impl KeyRecords for ApiKeys {
    fn get<'a>(&'a self, pk: &'a str) -> BoxFuture<'a, Result<Option<ApiKeyRecord>, KeyError>> {
        Box::pin(async move {
            let read_at = Instant::now();
            if let Some(hit) = self.cache().and_then(|c| c.get(pk, read_at)) {
                return Ok(Some(hit));
            }
            let out = self
                .client
                .get_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(pk.to_owned()))
                .send()
                .await?;
            match out.item {
                Some(item) => {
                    let record: ApiKeyRecord = serde_dynamo::from_item(item)?;
                    if let Some(cache) = self.cache() {
                        cache.put(pk, record.clone(), read_at);
                    }
                    Ok(Some(record))
                }
                None => Ok(None),
            }
        })
    }

    fn put_new<'a>(&'a self, record: &'a ApiKeyRecord) -> BoxFuture<'a, Result<bool, KeyError>> {
        Box::pin(async move { Ok(ddb::put_new(&self.client, &self.table, record).await?) })
    }

    fn touch<'a>(&'a self, pk: &'a str, now: Timestamp) -> BoxFuture<'a, Result<(), KeyError>> {
        Box::pin(async move {
            let res = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(pk.to_owned()))
                .update_expression("SET lastUsedAt = :now")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":now", AttributeValue::S(now.to_rfc3339()))
                .send()
                .await;
            match res {
                Ok(_) => {
                    if let Some(cache) = self.cache() {
                        cache.update(pk, |r| r.last_used_at = Some(now));
                    }
                    Ok(())
                }
                // Removed by its TTL meanwhile: nothing to record.
                Err(err) if ddb::is_conditional_check_failed(&err) => Ok(()),
                Err(err) => Err(err.into()),
            }
        })
    }

    fn list_by_tenant<'a>(
        &'a self,
        tenant: &'a Tenant,
    ) -> BoxFuture<'a, Result<Vec<ApiKeyRecord>, KeyError>> {
        Box::pin(async move {
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(TENANT_INDEX)
                .key_condition_expression("tenant = :t")
                .expression_attribute_values(":t", AttributeValue::S(tenant.as_str().to_owned()));
            // Page by page rather than `ddb::query_all`: an item that does not decode ends the
            // read at its page.
            let mut out = Vec::new();
            ddb::query_pages(query, None, |page| {
                for item in page.items.unwrap_or_default() {
                    out.push(serde_dynamo::from_item(item)?);
                }
                Ok::<_, KeyError>(Next::Page)
            })
            .await?;
            Ok(out)
        })
    }

    fn find<'a>(
        &'a self,
        tenant: &'a Tenant,
        key_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<ApiKeyRecord>, KeyError>> {
        Box::pin(async move {
            let found = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(TENANT_INDEX)
                .key_condition_expression("tenant = :t AND keyId = :k")
                .expression_attribute_values(":t", AttributeValue::S(tenant.as_str().to_owned()))
                .expression_attribute_values(":k", AttributeValue::S(key_id.to_owned()))
                .send()
                .await?
                .items
                .unwrap_or_default();
            match found.into_iter().next() {
                Some(item) => Ok(Some(serde_dynamo::from_item(item)?)),
                None => Ok(None),
            }
        })
    }

    fn mark_revoked<'a>(
        &'a self,
        pk: &'a str,
        now: Timestamp,
        remove_at: i64,
    ) -> BoxFuture<'a, Result<Option<ApiKeyRecord>, KeyError>> {
        Box::pin(async move {
            let out = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(pk.to_owned()))
                .update_expression("SET revoked = :t, revokedAt = :now, expiresAt = :gone")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":t", AttributeValue::Bool(true))
                .expression_attribute_values(":now", AttributeValue::S(now.to_rfc3339()))
                .expression_attribute_values(":gone", AttributeValue::N(remove_at.to_string()))
                .return_values(ReturnValue::AllNew)
                .send()
                .await;
            if let Some(cache) = self.cache() {
                cache.forget(pk);
            }
            match out {
                Ok(out) => Ok(Some(serde_dynamo::from_item(
                    out.attributes.unwrap_or_default(),
                )?)),
                Err(err) if ddb::is_conditional_check_failed(&err) => Ok(None),
                Err(err) => Err(err.into()),
            }
        })
    }
}
