//! What the API-key routes (`POST /api/apps`, `POST /api/apps/{signal}`) hold from their cold
//! start: the API keys, the heartbeat table, the admin mailer and the app-events queue for
//! transitions, and the clock.

use std::sync::Arc;

use lookout_core::{
    aws, config,
    quota::Quotas,
    time::{system_clock, SharedClock},
};
use lookout_keys::ApiKeys;
use lookout_mail::AdminMail;

use crate::events::{Notify, SqsTransitions, TransitionSink};
use crate::ports::ApiPorts;
use crate::table::HeartbeatStore;

/// The dependencies of the heartbeat and signal functions.
#[derive(Debug, Clone)]
pub struct ApiDeps {
    pub keys: ApiKeys,
    pub store: HeartbeatStore,
    pub mail: AdminMail,
    /// The app-events queue, when configured (`APP_EVENTS_QUEUE_URL`).
    pub events: Option<Arc<dyn TransitionSink>>,
    pub clock: SharedClock,
}

impl ApiDeps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        let ddb = aws::dynamodb(&sdk);
        Self::from_sdk(&sdk, ddb)
    }

    /// [`from_env`](Self::from_env) with an SDK configuration and DynamoDB client the
    /// function already made (one of each per process: `serve-fallback` also holds
    /// report-incident's dependencies).
    pub fn from_sdk(
        sdk: &aws::SdkConfig,
        ddb: aws_sdk_dynamodb::Client,
    ) -> Result<Self, config::ConfigError> {
        Ok(Self {
            keys: ApiKeys::from_env(ddb.clone())?,
            store: {
                let quotas = Quotas::from_env()?;
                HeartbeatStore::from_env(ddb)?
                    .with_max_apps(quotas.apps_per_tenant)
                    .with_alert_budget(quotas.alerts_per_hour)
            },
            mail: AdminMail::from_env(sdk)?,
            events: SqsTransitions::from_env(sdk),
            clock: system_clock(),
        })
    }

    /// What one call of [`beat`](crate::beat::beat) or [`signal`](crate::signal::signal)
    /// reaches.
    pub fn ports(&self) -> ApiPorts<'_> {
        ApiPorts {
            apps: &self.store.apps,
            budgets: &self.store.budgets,
            notify: Notify {
                mail: &self.mail,
                events: self.events.as_deref(),
            },
            clock: self.clock.as_ref(),
        }
    }
}
