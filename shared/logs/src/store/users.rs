//! Log users and their tokens (`LOG_USERS_TABLE`, keyed by the user's name). The port
//! ([`LogUsers`]) and its DynamoDB adapter ([`LogUserStore`]); the in-memory one is
//! `store::memory::MemoryLogUsers`.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::{types::AttributeValue, Client};
use lookout_core::{ddb, time::Timestamp, trust::Trusted, BoxFuture};

use crate::error::LogError;
use crate::records::UserRecord;
use crate::usage::Usage;
use crate::user_name::UserName;

/// The log users a use case reads and writes (the port). Its records are the crate's own, so
/// other crates use the adapters, and implement none.
pub trait LogUsers: Send + Sync + Debug {
    /// Creates `user` with its token's hash; [`LogError::UserExists`] if it exists.
    fn insert<'a>(
        &'a self,
        user: &'a UserName,
        token_sha256: String,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<(), LogError>>;

    /// Replaces `user`'s token hash (its usage counts stay); [`LogError::UnknownUser`] if it
    /// does not exist.
    fn replace_token<'a>(
        &'a self,
        user: &'a UserName,
        token_sha256: String,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<(), LogError>>;

    /// `user`'s item and the usage counted on it, read now; `None` for an unknown user.
    fn find<'a>(
        &'a self,
        user: &'a UserName,
    ) -> BoxFuture<'a, Result<Option<(UserRecord, Usage)>, LogError>>;

    /// What [`Self::find`] read of `user` a bounded time ago, if the adapter still trusts it
    /// (see [`LogStore::with_cache`](crate::LogStore::with_cache)); none by default.
    fn trusted(&self, _user: &UserName) -> Option<(UserRecord, Usage)> {
        None
    }

    /// The user whose token's hash is `token_sha256` (the `token` index, eventually
    /// consistent: the caller compares the user's current hash); `None` when no user, or more
    /// than one, has it.
    fn find_by_token<'a>(
        &'a self,
        token_sha256: &'a str,
    ) -> BoxFuture<'a, Result<Option<UserName>, LogError>>;
}

/// The index of the users by their token's hash (`tokenSha256`, keys only).
const TOKEN_INDEX: &str = "token";

/// Log users in DynamoDB: one item each, holding the SHA-256 of its `X-User-Token`. Built
/// with a bound ([`LogUserStore::with_cache`]), it trusts what it read for that long: the
/// users' items (the token's hash and the usage, which this process's own counts keep
/// current) and which user a token's hash names.
#[derive(Debug, Clone)]
pub struct LogUserStore {
    client: Client,
    table: String,
    trusted: Option<TrustedUsers>,
}

/// What a warm process trusts of the log users (shared by the users' and the usage's stores).
#[derive(Debug, Clone)]
pub(crate) struct TrustedUsers {
    pub(crate) items: Arc<Trusted<(UserRecord, Usage)>>,
    tokens: Arc<Trusted<UserName>>,
}

impl TrustedUsers {
    pub(crate) fn new(ttl: Duration) -> Option<Self> {
        Some(Self {
            items: Trusted::shared(ttl)?,
            tokens: Trusted::shared(ttl)?,
        })
    }
}

impl LogUserStore {
    pub(crate) fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            trusted: None,
        }
    }

    pub(crate) fn with_trusted(mut self, trusted: Option<TrustedUsers>) -> Self {
        self.trusted = trusted;
        self
    }

    /// How many users this process trusts (0 without a bound).
    pub fn trusted_users(&self) -> usize {
        self.trusted.as_ref().map_or(0, |t| t.items.len())
    }
}

impl LogUsers for LogUserStore {
    fn insert<'a>(
        &'a self,
        user: &'a UserName,
        token_sha256: String,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<(), LogError>> {
        Box::pin(async move {
            let record = new_user(user, token_sha256, now);
            if !ddb::put_new(&self.client, &self.table, &record).await? {
                return Err(LogError::UserExists(user.as_str().to_owned()));
            }
            Ok(())
        })
    }

    fn replace_token<'a>(
        &'a self,
        user: &'a UserName,
        token_sha256: String,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<(), LogError>> {
        Box::pin(async move {
            let res = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(user.as_str().to_owned()))
                .update_expression("SET tokenSha256 = :h, rotatedAt = :now")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":h", AttributeValue::S(token_sha256))
                .expression_attribute_values(":now", AttributeValue::S(now.to_rfc3339()))
                .send()
                .await;
            if let Some(t) = &self.trusted {
                t.items.forget(user.as_str());
            }
            match res {
                Ok(_) => Ok(()),
                Err(err) if ddb::is_conditional_check_failed(&err) => {
                    Err(LogError::UnknownUser(user.as_str().to_owned()))
                }
                Err(err) => Err(err.into()),
            }
        })
    }

    fn find<'a>(
        &'a self,
        user: &'a UserName,
    ) -> BoxFuture<'a, Result<Option<(UserRecord, Usage)>, LogError>> {
        Box::pin(async move {
            let read_at = Instant::now();
            let item = user_item(&self.client, &self.table, user).await?;
            let found = item.map(user_of_item).transpose()?;
            if let (Some(t), Some(found)) = (&self.trusted, &found) {
                t.items.put(user.as_str(), found.clone(), read_at);
            }
            Ok(found)
        })
    }

    fn trusted(&self, user: &UserName) -> Option<(UserRecord, Usage)> {
        self.trusted
            .as_ref()?
            .items
            .get(user.as_str(), Instant::now())
    }

    fn find_by_token<'a>(
        &'a self,
        token_sha256: &'a str,
    ) -> BoxFuture<'a, Result<Option<UserName>, LogError>> {
        Box::pin(async move {
            let read_at = Instant::now();
            if let Some(hit) = self
                .trusted
                .as_ref()
                .and_then(|t| t.tokens.get(token_sha256, read_at))
            {
                return Ok(Some(hit));
            }
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(TOKEN_INDEX)
                .key_condition_expression("tokenSha256 = :h")
                .expression_attribute_values(":h", AttributeValue::S(token_sha256.to_owned()))
                .limit(2)
                .send()
                .await?;
            let items = out.items.unwrap_or_default();
            if items.len() != 1 {
                return Ok(None);
            }
            let name = items[0].get("pk").and_then(|v| v.as_s().ok());
            let name = name.and_then(|n| UserName::parse(n).ok());
            if let (Some(t), Some(name)) = (&self.trusted, &name) {
                t.tokens.put(token_sha256, name.clone(), read_at);
            }
            Ok(name)
        })
    }
}

/// The item of a new `user`, created (and its token set) `now`.
pub(crate) fn new_user(user: &UserName, token_sha256: String, now: Timestamp) -> UserRecord {
    UserRecord {
        pk: user.as_str().to_owned(),
        token_sha256,
        created_at: now,
        rotated_at: now,
    }
}

/// A user's item as its record and the usage counted on it.
pub(crate) fn user_of_item(
    item: HashMap<String, AttributeValue>,
) -> Result<(UserRecord, Usage), LogError> {
    let usage = Usage::from_item(&item);
    let record: UserRecord = serde_dynamo::from_item(item)?;
    Ok((record, usage))
}

/// The item of `user` in the users' `table`: its token's hash, and its usage counts
/// ([`crate::LogUsageStore`] reads the same item).
pub(crate) async fn user_item(
    client: &Client,
    table: &str,
    user: &UserName,
) -> Result<Option<HashMap<String, AttributeValue>>, LogError> {
    let out = client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(user.as_str().to_owned()))
        .send()
        .await?;
    Ok(out.item)
}
