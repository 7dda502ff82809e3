//! What the ingestion functions (`POST /send_logs`, `POST /v1/logs`) hold from their cold
//! start: the log store, the quotas (the daily bytes per user) and the clock.

use lookout_core::{
    aws, config,
    quota::Quotas,
    time::{system_clock, SharedClock},
};

use crate::log_store::LogStore;

/// The dependencies of the log ingestion functions.
#[derive(Debug, Clone)]
pub struct IngestDeps {
    pub store: LogStore,
    /// `log_bytes_per_day` applies here.
    pub quotas: Quotas,
    pub clock: SharedClock,
}

impl IngestDeps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        Ok(Self {
            store: LogStore::from_env(aws::dynamodb(&sdk))?,
            quotas: Quotas::from_env()?,
            clock: system_clock(),
        })
    }
}
