//! Log users and their tokens (`LOG_USERS_TABLE`, keyed by the user's name).

use std::collections::HashMap;

use aws_sdk_dynamodb::{types::AttributeValue, Client};
use lookout_core::{ddb, time::Timestamp};

use crate::error::LogError;
use crate::records::UserRecord;
use crate::usage::Usage;
use crate::user_name::UserName;

/// Log users in DynamoDB: one item each, holding the SHA-256 of its `X-User-Token`.
#[derive(Debug, Clone)]
pub struct LogUserStore {
    client: Client,
    table: String,
}

impl LogUserStore {
    pub(crate) fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Creates `user` with its token's hash; [`LogError::UserExists`] if it exists.
    pub(crate) async fn insert(
        &self,
        user: &UserName,
        token_sha256: String,
        now: Timestamp,
    ) -> Result<(), LogError> {
        let record = UserRecord {
            pk: user.as_str().to_owned(),
            token_sha256,
            created_at: now,
            rotated_at: now,
        };
        if !ddb::put_new(&self.client, &self.table, &record).await? {
            return Err(LogError::UserExists(user.as_str().to_owned()));
        }
        Ok(())
    }

    /// Replaces `user`'s token hash; [`LogError::UnknownUser`] if it does not exist.
    pub(crate) async fn replace_token(
        &self,
        user: &UserName,
        token_sha256: String,
        now: Timestamp,
    ) -> Result<(), LogError> {
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
        match res {
            Ok(_) => Ok(()),
            Err(err) if ddb::is_conditional_check_failed(&err) => {
                Err(LogError::UnknownUser(user.as_str().to_owned()))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// `user`'s item and the usage counted on it; `None` for an unknown user.
    pub(crate) async fn find(
        &self,
        user: &UserName,
    ) -> Result<Option<(UserRecord, Usage)>, LogError> {
        let item = user_item(&self.client, &self.table, user).await?;
        match item {
            Some(item) => {
                let usage = Usage::from_item(&item);
                let record: UserRecord = serde_dynamo::from_item(item)?;
                Ok(Some((record, usage)))
            }
            None => Ok(None),
        }
    }
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
