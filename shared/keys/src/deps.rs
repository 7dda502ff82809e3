//! What the admin key functions are built with.

use lookout_core::{
    auth::AdminAuth,
    aws, config,
    time::{system_clock, SharedClock},
};

use crate::store::dynamo::ApiKeys;

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
