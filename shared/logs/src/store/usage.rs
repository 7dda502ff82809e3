//! Log users' daily usage counts: `lines#<day>` and `bytes#<day>` attributes of each user's
//! item in `LOG_USERS_TABLE` (see [`crate::Usage`]). The port ([`LogUsageCounts`]) and its
//! DynamoDB adapter ([`LogUsageStore`]); the in-memory one is
//! `store::memory::MemoryLogUsageCounts`.

use std::fmt::Debug;

use aws_sdk_dynamodb::{
    types::{AttributeValue, ReturnValue},
    Client,
};
use lookout_core::{ddb, error::error_chain, quota, time::Timestamp, BoxFuture};

use crate::error::LogError;
use crate::store::users::{user_item, user_of_item, TrustedUsers};
use crate::usage::Usage;
use crate::user_name::UserName;

/// The users' daily usage counts, as a use case reads and counts them (the port).
pub trait LogUsageCounts: Send + Sync + Debug {
    /// Counts a stored batch on its user's item: `lines` and `bytes` on `now`'s UTC day, days
    /// out of the window dropped (`usage` is what the item held). Nothing for an unknown user.
    /// Best effort once the lines are stored: a failure is logged and the batch still accepted
    /// (its lines are safe; the day's count is short by it).
    fn count<'a>(
        &'a self,
        user: &'a UserName,
        usage: &'a Usage,
        now: Timestamp,
        lines: usize,
        bytes: u64,
    ) -> BoxFuture<'a, ()>;

    /// A user's usage (the admin's view of the volume chart); `None` for an unknown user.
    fn read<'a>(&'a self, user: &'a UserName) -> BoxFuture<'a, Result<Option<Usage>, LogError>>;
}

/// The usage counters on the log users' items.
#[derive(Debug, Clone)]
pub struct LogUsageStore {
    client: Client,
    /// The log users' table: the counts live on the user's item.
    table: String,
    /// The users this process trusts: each count brings its user's usage up to date there.
    trusted: Option<TrustedUsers>,
}

impl LogUsageStore {
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
}

impl LogUsageCounts for LogUsageStore {
    fn count<'a>(
        &'a self,
        user: &'a UserName,
        usage: &'a Usage,
        now: Timestamp,
        lines: usize,
        bytes: u64,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let day = quota::utc_day(now);
            let mut expr = "ADD #l :l, #b :b".to_owned();
            let mut req = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(user.as_str().to_owned()))
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_names("#l", format!("lines#{day}"))
                .expression_attribute_names("#b", format!("bytes#{day}"))
                .expression_attribute_values(":l", AttributeValue::N(lines.to_string()))
                .expression_attribute_values(":b", AttributeValue::N(bytes.to_string()));
            let stale = usage.stale(now);
            if !stale.is_empty() {
                let mut names = Vec::new();
                for (i, d) in stale.iter().enumerate() {
                    req = req
                        .expression_attribute_names(format!("#sl{i}"), format!("lines#{d}"))
                        .expression_attribute_names(format!("#sb{i}"), format!("bytes#{d}"));
                    names.push(format!("#sl{i}, #sb{i}"));
                }
                expr.push_str(" REMOVE ");
                expr.push_str(&names.join(", "));
            }
            let req = req.update_expression(expr);
            let req = match self.trusted {
                Some(_) => req.return_values(ReturnValue::AllNew),
                None => req,
            };
            match req.send().await {
                Ok(out) => {
                    // The item as counted: the usage this process trusts is current again.
                    if let (Some(t), Some(item)) = (&self.trusted, out.attributes) {
                        if let Ok(fresh) = user_of_item(item) {
                            t.items.update(user.as_str(), |v| *v = fresh);
                        }
                    }
                }
                Err(err) if ddb::is_conditional_check_failed(&err) => {}
                Err(err) => tracing::warn!(
                    error = %error_chain(&err),
                    user = user.as_str(),
                    "log usage not counted"
                ),
            }
        })
    }

    fn read<'a>(&'a self, user: &'a UserName) -> BoxFuture<'a, Result<Option<Usage>, LogError>> {
        Box::pin(async move {
            let item = user_item(&self.client, &self.table, user).await?;
            Ok(item.as_ref().map(Usage::from_item))
        })
    }
}
