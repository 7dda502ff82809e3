//! What the contact and failed-list routes (`contacts-delete`, `contacts-list`,
//! `get-failed-mess`) run with: the API keys and the messenger table's stores.

use lookout_core::aws;
use lookout_core::config::ConfigError;
use lookout_keys::ApiKeys;

use crate::store::BroadcastStore;

/// The HTTP routes' dependencies.
#[derive(Debug, Clone)]
pub struct Deps {
    pub keys: ApiKeys,
    pub store: BroadcastStore,
}

impl Deps {
    pub async fn from_env() -> Result<Self, ConfigError> {
        let sdk = aws::sdk_config().await;
        let ddb = aws::dynamodb(&sdk);
        Ok(Self {
            keys: ApiKeys::from_env(ddb.clone())?,
            store: BroadcastStore::from_env(ddb)?,
        })
    }
}
