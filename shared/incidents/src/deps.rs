//! What the admin incident and app functions need, built once per cold start.

use lookout_core::{auth::AdminAuth, aws, config};

use crate::store::table::IncidentStore;

#[derive(Debug, Clone)]
pub struct AdminDeps {
    pub admin: AdminAuth,
    pub store: IncidentStore,
}

impl AdminDeps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        Ok(Self {
            admin: AdminAuth::from_env()?,
            store: IncidentStore::from_env(aws::dynamodb(&sdk))?,
        })
    }
}
