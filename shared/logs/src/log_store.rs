//! [`LogStore`]: the logs' stores, one per aggregate (`store/`), in the bundle that a log
//! function's `Deps` holds.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use lookout_core::{config, time::Timestamp, trust};

use crate::error::LogError;
use crate::input::Batch;
use crate::issue_token::issue_token;
use crate::output::{IssuedToken, LogOut, LogPage, LogQuery};
use crate::store::lines::{LogLineStore, LogLines};
use crate::store::usage::LogUsageStore;
use crate::store::users::{LogUserStore, TrustedUsers};
use crate::user_name::UserName;

/// Every store of the logs domain: log users (`LOG_USERS_TABLE`), their daily usage counts
/// (attributes of the same items) and log lines (`LOGS_TABLE`).
#[derive(Debug, Clone)]
pub struct LogStore {
    pub users: LogUserStore,
    pub usage: LogUsageStore,
    pub lines: LogLineStore,
}

impl LogStore {
    pub fn new(
        client: Client,
        users_table: impl Into<String>,
        logs_table: impl Into<String>,
        retention_days: i64,
    ) -> Self {
        let users_table = users_table.into();
        Self {
            users: LogUserStore::new(client.clone(), users_table.clone()),
            usage: LogUsageStore::new(client.clone(), users_table),
            lines: LogLineStore::new(client, logs_table, retention_days),
        }
    }

    /// `LOG_USERS_TABLE`, `LOGS_TABLE`, `LOG_RETENTION_DAYS` (default 30); the users
    /// trusted for `CREDENTIAL_CACHE_SECONDS`.
    pub fn from_env(client: Client) -> Result<Self, config::ConfigError> {
        let days = config::retention_days(config::names::LOG_RETENTION_DAYS, 30)?;
        Ok(Self::new(
            client,
            config::required(config::names::LOG_USERS_TABLE)?,
            config::required(config::names::LOGS_TABLE)?,
            days,
        )
        .with_cache(trust::credential_cache_ttl()?))
    }

    /// Trusts the users it read for `ttl` (not at all for 0; see [`lookout_core::trust`]): a
    /// batch is then its write and its count, a token rotated elsewhere is refused within
    /// `ttl`, and the daily quota sees other processes' counts within `ttl` (its own at once).
    pub fn with_cache(mut self, ttl: Duration) -> Self {
        let trusted = TrustedUsers::new(ttl);
        self.users = self.users.with_trusted(trusted.clone());
        self.usage = self.usage.with_trusted(trusted);
        self
    }

    /// The same stores, the lines' queries reading at most `pages` pages of `chunks` chunks
    /// (tests use small bounds to see them at work on little data).
    pub fn with_read_bounds(mut self, pages: usize, chunks: i32) -> Self {
        self.lines = self.lines.with_read_bounds(pages, chunks);
        self
    }

    // Shortcuts for callers outside the log functions (the incidents' enrichment, the bench,
    // tests), each one call to the use case or store it names.

    /// [`issue_token`] on [`Self::users`].
    pub async fn issue_token(
        &self,
        user: &UserName,
        rotate: bool,
    ) -> Result<IssuedToken, LogError> {
        issue_token(&self.users, user, rotate).await
    }

    /// [`LogLineStore::store`].
    pub async fn store(&self, batch: Batch, now: Timestamp) -> Result<usize, LogError> {
        self.lines.store(batch, now).await
    }

    /// [`LogLines::query`] on [`Self::lines`].
    pub async fn query(&self, user: &UserName, q: LogQuery) -> Result<LogPage, LogError> {
        self.lines.query(user, q).await
    }

    /// [`LogLineStore::recent`].
    pub async fn recent(
        &self,
        user: &UserName,
        p_name: Option<&str>,
        n: usize,
    ) -> Result<Vec<LogOut>, LogError> {
        self.lines.recent(user, p_name, n).await
    }
}
