//! What the admin incident and app functions need, built once per cold start.

use lookout_core::{auth::AdminAuth, aws, config};

use crate::store::table::IncidentStore;

#[derive(Debug, Clone)]
pub struct AdminDeps {
    pub admin: AdminAuth,
    pub store: IncidentStore,
    /// The public URL (`CONSOLE_URL`) whose host Sentry DSNs name; the request's host when
    /// unset.
    pub public_url: Option<String>,
}

impl AdminDeps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        Ok(Self {
            admin: AdminAuth::from_env()?,
            store: IncidentStore::from_env(aws::dynamodb(&sdk))?,
            public_url: config::optional(config::names::CONSOLE_URL),
        })
    }
}
