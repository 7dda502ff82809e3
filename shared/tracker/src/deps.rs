//! What a tracker function's handler holds.

use lookout_core::{aws, config, quota::Quotas};
use lookout_keys::ApiKeys;

use crate::quota::TrackerQuota;
use crate::tracker_store::TrackerStore;

/// Clients and settings of the tracker functions, built once per cold start.
#[derive(Debug, Clone)]
pub struct Deps {
    pub store: TrackerStore,
    pub keys: ApiKeys,
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        let client = aws::dynamodb(&sdk);
        let quotas = Quotas::from_env()?;
        Ok(Self {
            store: TrackerStore::from_env(client.clone())?.with_quota(TrackerQuota::from(&quotas)),
            keys: ApiKeys::from_env(client)?,
        })
    }
}
