//! What the alert functions are built with.

use lookout_core::{
    auth::AdminAuth,
    aws, config,
    time::{system_clock, SharedClock},
};

use crate::seal::Sealer;
use crate::sender::WebhookSender;
use crate::store::DynamoAlerts;

/// What the admin's alert routes that never open a channel need (list, delete, routes, the
/// failed list): the admin token's check, the alerts table and the clock.
#[derive(Debug, Clone)]
pub struct AlertAdminDeps {
    pub admin: AdminAuth,
    pub store: DynamoAlerts,
    pub clock: SharedClock,
}

impl AlertAdminDeps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        Ok(Self {
            admin: AdminAuth::from_env()?,
            store: DynamoAlerts::from_env(aws::dynamodb(&sdk))?,
            clock: system_clock(),
        })
    }
}

/// What the routes that seal or open a channel need besides: the sealing key (read from
/// `ALERTS_SECRET_ARN` at cold start) and the sender.
#[derive(Debug, Clone)]
pub struct ChannelDeps {
    pub base: AlertAdminDeps,
    pub sealer: Sealer,
    pub sender: WebhookSender,
    /// `CONSOLE_URL`: its origin is the stack's public base URL when set.
    pub console_url: Option<String>,
}

impl ChannelDeps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        Ok(Self {
            base: AlertAdminDeps::from_env().await?,
            sealer: Sealer::from_env(&sdk).await?,
            sender: WebhookSender::from_env(),
            console_url: config::optional(config::names::CONSOLE_URL),
        })
    }
}
