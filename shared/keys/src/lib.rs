//! API keys and their lifecycle: issued by the admin with a label, optional scopes and an
//! optional expiry; listed per tenant (never the secret); revoked. Only the SHA-256 of a key is
//! stored (`API_KEYS_TABLE`, key `pk`); the `by-tenant` index (`tenant`, `keyId`) lists a
//! tenant's keys and finds one to revoke.
//!
//! A key is refused with 401 when unknown, revoked or expired, and with 403 on a route outside
//! its scopes. Expired and revoked keys are removed by the table's TTL (`expiresAt`) later; until
//! then the listing shows them as such.

use aws_sdk_dynamodb::types::AttributeValue;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use lookout_core::{
    auth::{sha256_hex, AdminAuth, Tenant},
    aws, config, ddb,
    error::error_chain,
    time::{system_clock, SharedClock, Timestamp},
    StoreError,
};

/// Why a key was refused or a key action failed, in the keys' own words. The edge
/// (`lookout-http`) turns it into 401/403/400/404 or the generic 5xx.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// No key was presented.
    #[error("API key required (Authorization: Bearer, X-Api-Key, or the password of a base URL https://lookout:<key>@host)")]
    Missing,
    /// Unknown, or longer than any key Lookout issues.
    #[error("invalid API key")]
    Unknown,
    #[error("API key revoked")]
    Revoked,
    #[error("API key expired")]
    Expired,
    /// A valid key used outside its scopes.
    #[error("this API key is for {granted}, not {wanted}")]
    OutOfScope {
        granted: String,
        wanted: &'static str,
    },
    /// An expiry in the past or too far ahead.
    #[error("expires_at must be in the future and at most {MAX_EXPIRY_DAYS} days ahead")]
    BadExpiry,
    /// Revoking a key the tenant does not have (or one already removed by its TTL).
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

lookout_core::domain_store_conversions!(KeyError);

/// The index listing a tenant's keys.
const TENANT_INDEX: &str = "by-tenant";
/// `lastUsedAt` is written at most this often per key (one write per key and hour, not per
/// request).
const LAST_USED_EVERY_MS: i64 = 3_600_000;
/// A revoked key's record is kept this long (listed as revoked), then removed by TTL.
const REVOKED_KEPT_SECS: i64 = 30 * 86_400;
/// The furthest expiry a key may be given.
const MAX_EXPIRY_DAYS: i64 = 3_650;

/// What a key may be used for. A key without scopes (every key issued before scopes existed,
/// and any issued without) may be used for all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// `POST /api/apps`, `POST /api/apps/{signal}`: safe to paste into a cron job.
    Heartbeats,
    /// `/api/contacts`, `/api/get_failed_mess`.
    Messenger,
    /// The session routes (`/start_session` …).
    Tracker,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Heartbeats, Scope::Messenger, Scope::Tracker];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Heartbeats => "heartbeats",
            Self::Messenger => "messenger",
            Self::Tracker => "tracker",
        }
    }
}

/// Who an API key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub tenant: Tenant,
    pub key_id: String,
}

/// Stored form of an API key: only its hash is kept.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiKeyRecord {
    pk: String,
    key_id: String,
    tenant: String,
    label: String,
    created_at: Timestamp,
    #[serde(default)]
    revoked: bool,
    /// Empty: every scope.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    scopes: Vec<Scope>,
    /// When the key stops working (epoch seconds; also the TTL that removes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_used_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revoked_at: Option<Timestamp>,
}

/// A freshly issued key: the plain key is shown once and never stored.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedKey {
    pub api_key: String,
    pub key_id: String,
    pub tenant: String,
    pub label: String,
    pub created_at: Timestamp,
    /// The key's scopes (all when it was issued without).
    pub scopes: Vec<Scope>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

/// A key as the admin's listing shows it: everything but the secret and its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyView {
    pub key_id: String,
    pub label: String,
    pub created_at: Timestamp,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<Timestamp>,
    /// Within the hour (written at most once an hour).
    pub last_used_at: Option<Timestamp>,
    pub revoked: bool,
    pub revoked_at: Option<Timestamp>,
    /// Revoked or past its expiry: refused.
    pub active: bool,
}

/// What a new key may do and until when.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyTerms {
    /// Empty: every scope.
    pub scopes: Vec<Scope>,
    pub expires_at: Option<Timestamp>,
}

fn from_secs(secs: i64) -> Option<Timestamp> {
    chrono::DateTime::from_timestamp(secs, 0).and_then(Timestamp::from_datetime)
}

impl ApiKeyRecord {
    fn scopes(&self) -> Vec<Scope> {
        if self.scopes.is_empty() {
            Scope::ALL.to_vec()
        } else {
            self.scopes.clone()
        }
    }

    fn expired(&self, now: Timestamp) -> bool {
        !self.revoked && self.expires_at.is_some_and(|e| now.unix_seconds() >= e)
    }

    fn view(&self, now: Timestamp) -> KeyView {
        KeyView {
            key_id: self.key_id.clone(),
            label: self.label.clone(),
            created_at: self.created_at,
            scopes: self.scopes(),
            // A revoked key's `expiresAt` is when its record goes, not a term of the key.
            expires_at: if self.revoked {
                None
            } else {
                self.expires_at.and_then(from_secs)
            },
            last_used_at: self.last_used_at,
            revoked: self.revoked,
            revoked_at: self.revoked_at,
            active: !self.revoked && !self.expired(now),
        }
    }
}

/// What the three admin key routes (issue, list, revoke) need: the admin token's check, the
/// keys and the clock. Each of those functions' `Deps` is this type.
#[derive(Debug, Clone)]
pub struct KeyAdminDeps {
    pub admin: AdminAuth,
    pub keys: ApiKeys,
    pub clock: SharedClock,
}

impl KeyAdminDeps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        Ok(Self {
            admin: AdminAuth::from_env()?,
            keys: ApiKeys::from_env(aws::dynamodb(&sdk))?,
            clock: system_clock(),
        })
    }
}

/// API keys in DynamoDB (`API_KEYS_TABLE`), keyed by the SHA-256 of the key.
#[derive(Debug, Clone)]
pub struct ApiKeys {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl ApiKeys {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn from_env(client: aws_sdk_dynamodb::Client) -> Result<Self, config::ConfigError> {
        Ok(Self::new(
            client,
            config::required(config::names::API_KEYS_TABLE)?,
        ))
    }

    /// Issues a new random key for `tenant`, for every scope and without expiry.
    pub async fn issue(&self, tenant: &Tenant, label: &str) -> Result<IssuedKey, KeyError> {
        self.issue_with(tenant, label, &KeyTerms::default(), Timestamp::now())
            .await
    }

    /// Issues a new random key for `tenant` under `terms` (expiry checked against `now`).
    pub async fn issue_with(
        &self,
        tenant: &Tenant,
        label: &str,
        terms: &KeyTerms,
        now: Timestamp,
    ) -> Result<IssuedKey, KeyError> {
        if let Some(e) = terms.expires_at {
            let days = (e.unix_seconds() - now.unix_seconds()) / 86_400;
            if e <= now || days > MAX_EXPIRY_DAYS {
                return Err(KeyError::BadExpiry);
            }
        }
        let mut scopes = terms.scopes.clone();
        scopes.sort();
        scopes.dedup();
        let mut secret = [0_u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let api_key = format!("lk_{}", hex::encode(secret));
        let key_id = uuid::Uuid::new_v4().simple().to_string();
        let record = ApiKeyRecord {
            pk: sha256_hex(api_key.as_bytes()),
            key_id: key_id.clone(),
            tenant: tenant.as_str().to_owned(),
            label: label.to_owned(),
            created_at: now,
            revoked: false,
            scopes,
            expires_at: terms.expires_at.map(|e| e.unix_seconds()),
            last_used_at: None,
            revoked_at: None,
        };
        if !ddb::put_new(&self.client, &self.table, &record).await? {
            return Err(StoreError::invariant("a fresh API key id collided").into());
        }
        Ok(IssuedKey {
            api_key,
            scopes: record.scopes(),
            key_id,
            tenant: record.tenant,
            label: record.label,
            created_at: record.created_at,
            expires_at: terms.expires_at,
        })
    }

    /// The holder of `key`, if it may be used for `scope` at `now`: [`KeyError::Unknown`],
    /// `Revoked` or `Expired` (401 at the edge), `OutOfScope` (403). Records when the key was
    /// last used (at most once an hour, best effort).
    pub async fn verify(
        &self,
        key: &str,
        scope: Scope,
        now: Timestamp,
    ) -> Result<Principal, KeyError> {
        if key.len() > 256 {
            return Err(KeyError::Unknown);
        }
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(sha256_hex(key.as_bytes())))
            .send()
            .await?;
        let record: ApiKeyRecord = match out.item {
            Some(item) => serde_dynamo::from_item(item)?,
            None => return Err(KeyError::Unknown),
        };
        if record.revoked {
            return Err(KeyError::Revoked);
        }
        if record.expired(now) {
            return Err(KeyError::Expired);
        }
        let scopes = record.scopes();
        if !scopes.contains(&scope) {
            let names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
            return Err(KeyError::OutOfScope {
                granted: names.join(", "),
                wanted: scope.as_str(),
            });
        }
        let tenant = Tenant::parse(&record.tenant).map_err(StoreError::invariant)?;
        if record
            .last_used_at
            .is_none_or(|t| now.unix_millis() - t.unix_millis() >= LAST_USED_EVERY_MS)
        {
            self.touch(&record.pk, now).await;
        }
        Ok(Principal {
            tenant,
            key_id: record.key_id,
        })
    }

    /// Sets `lastUsedAt` (best effort: a failure is logged, the request goes on).
    async fn touch(&self, pk: &str, now: Timestamp) {
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
        if let Err(err) = res {
            if !ddb::is_conditional_check_failed(&err) {
                tracing::warn!(error = %error_chain(&err), "API key last use not recorded");
            }
        }
    }

    /// Every key of `tenant`, newest first (never the secret).
    pub async fn list(&self, tenant: &Tenant, now: Timestamp) -> Result<Vec<KeyView>, KeyError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(TENANT_INDEX)
                .key_condition_expression("tenant = :t")
                .expression_attribute_values(":t", AttributeValue::S(tenant.as_str().to_owned()))
                .set_exclusive_start_key(start)
                .send()
                .await?;
            for item in page.items.unwrap_or_default() {
                let record: ApiKeyRecord = serde_dynamo::from_item(item)?;
                out.push(record.view(now));
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        out.sort_by_key(|k| std::cmp::Reverse(k.created_at));
        Ok(out)
    }

    /// Revokes `tenant`'s key `key_id` at `now` (at once, on every route); revoking it again
    /// changes nothing. 404 if the tenant has no such key.
    pub async fn revoke(
        &self,
        tenant: &Tenant,
        key_id: &str,
        now: Timestamp,
    ) -> Result<KeyView, KeyError> {
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
        let Some(item) = found.into_iter().next() else {
            return Err(KeyError::NotFound(format!(
                "tenant {} has no API key {key_id:?}",
                tenant.as_str()
            )));
        };
        let record: ApiKeyRecord = serde_dynamo::from_item(item)?;
        if record.revoked {
            return Ok(record.view(now));
        }
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(record.pk.clone()))
            .update_expression("SET revoked = :t, revokedAt = :now, expiresAt = :gone")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .expression_attribute_values(":now", AttributeValue::S(now.to_rfc3339()))
            .expression_attribute_values(
                ":gone",
                AttributeValue::N((now.unix_seconds() + REVOKED_KEPT_SECS).to_string()),
            )
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match out {
            Ok(out) => {
                let record: ApiKeyRecord =
                    serde_dynamo::from_item(out.attributes.unwrap_or_default())?;
                Ok(record.view(now))
            }
            Err(err) if ddb::is_conditional_check_failed(&err) => Err(KeyError::NotFound(format!(
                "API key {key_id:?} is gone (expired)"
            ))),
            Err(err) => Err(err.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_str(s).unwrap()
    }

    fn record(scopes: Vec<Scope>, expires_at: Option<&str>, revoked: bool) -> ApiKeyRecord {
        ApiKeyRecord {
            pk: "h".into(),
            key_id: "k".into(),
            tenant: "acme".into(),
            label: "cron".into(),
            created_at: ts("2026-01-01T00:00:00Z"),
            revoked,
            scopes,
            expires_at: expires_at.map(|e| ts(e).unix_seconds()),
            last_used_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn a_key_without_scopes_has_all_and_expiry_is_exact_to_the_second() {
        let now = ts("2026-06-01T12:00:00Z");
        let all = record(vec![], None, false);
        assert_eq!(all.scopes(), Scope::ALL.to_vec());
        assert!(all.view(now).active);
        let hb = record(vec![Scope::Heartbeats], Some("2026-06-01T12:00:01Z"), false);
        assert_eq!(hb.scopes(), vec![Scope::Heartbeats]);
        assert!(!hb.expired(now));
        assert!(hb.expired(ts("2026-06-01T12:00:01Z")));
        assert!(!hb.view(ts("2026-06-02T00:00:00Z")).active);
        let revoked = record(vec![], Some("2026-07-01T00:00:00Z"), true);
        let v = revoked.view(now);
        assert!(!v.active && v.revoked && v.expires_at.is_none());
        assert_eq!(
            serde_json::to_value(Scope::Heartbeats).unwrap(),
            serde_json::json!("heartbeats")
        );
    }
}
