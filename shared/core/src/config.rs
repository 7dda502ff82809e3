//! Settings read once from the environment at cold start.

/// A required setting was missing or malformed: the function refuses to start.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

/// A required environment variable.
pub fn required(name: &str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ConfigError(format!(
            "environment variable {name} is not set"
        ))),
    }
}

/// An optional environment variable (empty counts as unset).
pub fn optional(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// An optional integer setting within `range`, `default` when unset: the one parser of every
/// numeric setting (retention days, attempts, delays), so each is checked the same way.
pub fn int_in<T>(
    name: &str,
    range: std::ops::RangeInclusive<T>,
    default: T,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    match optional(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<T>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                ConfigError(format!(
                    "{name} must be an integer in {}..={}",
                    range.start(),
                    range.end()
                ))
            }),
    }
}

/// Days items are kept (DynamoDB TTL): a positive number of days, `default` when unset.
pub fn retention_days(name: &str, default: i64) -> Result<i64, ConfigError> {
    int_in(name, 1..=36_500, default)
}

/// Every environment variable a function reads, as template.yaml passes them: one registry, so
/// a name is written once.
pub mod names {
    /// Sessions and their events (seed 004).
    pub const TRACKER_TABLE: &str = "TRACKER_TABLE";
    /// API keys, stored as SHA-256 of the key.
    pub const API_KEYS_TABLE: &str = "API_KEYS_TABLE";
    /// How long a warm process trusts a credential it verified (API or ping key, log user
    /// token; seconds, 0: not at all).
    pub const CREDENTIAL_CACHE_SECONDS: &str = "CREDENTIAL_CACHE_SECONDS";
    /// Shards of the heartbeat table's `due-keys` and `watch` indexes (raise only).
    pub const HEARTBEAT_INDEX_SHARDS: &str = "HEARTBEAT_INDEX_SHARDS";
    /// The index the scanner reads: `due-keys` (unset), or `due` while an upgraded stack keeps
    /// its full-item index for one deploy (`KeepLegacyDueIndex`).
    pub const HEARTBEAT_DUE_INDEX: &str = "HEARTBEAT_DUE_INDEX";
    /// SHA-256 (hex) of the admin bearer token.
    pub const ADMIN_TOKEN_SHA256: &str = "ADMIN_TOKEN_SHA256";
    /// Apps and their heartbeats (seed 002).
    pub const HEARTBEAT_TABLE: &str = "HEARTBEAT_TABLE";
    /// Heartbeat apps' down/up transitions, for the incidents domain (optional).
    pub const APP_EVENTS_QUEUE_URL: &str = "APP_EVENTS_QUEUE_URL";
    /// Verified SES sender of admin mail.
    pub const MAIL_SENDER: &str = "MAIL_SENDER";
    /// Where admin mail goes.
    pub const ADMIN_EMAIL: &str = "ADMIN_EMAIL";
    /// Days sessions and events are kept (optional: kept for good when unset).
    pub const TRACKER_RETENTION_DAYS: &str = "TRACKER_RETENTION_DAYS";
    /// Log users and their tokens (seed 000).
    pub const LOG_USERS_TABLE: &str = "LOG_USERS_TABLE";
    /// Log lines, packed in chunks.
    pub const LOGS_TABLE: &str = "LOGS_TABLE";
    /// Days log lines are kept (default 30).
    pub const LOG_RETENTION_DAYS: &str = "LOG_RETENTION_DAYS";
    /// Apps and incidents (seed 001).
    pub const INCIDENTS_TABLE: &str = "INCIDENTS_TABLE";
    /// The console's public URL, for links in incident mail (optional).
    pub const CONSOLE_URL: &str = "CONSOLE_URL";
    /// A Telegram chat that also gets new incidents (optional).
    pub const TELEGRAM_ADMIN_CHAT_ID: &str = "TELEGRAM_ADMIN_CHAT_ID";
    /// Contacts, sends and deliveries (seed 003).
    pub const MESSENGER_TABLE: &str = "MESSENGER_TABLE";
    pub const MESSENGER_QUEUE_URL: &str = "MESSENGER_QUEUE_URL";
    pub const MESSENGER_QUEUE_ARN: &str = "MESSENGER_QUEUE_ARN";
    pub const MESSENGER_DLQ_ARN: &str = "MESSENGER_DLQ_ARN";
    pub const MESSENGER_SCHEDULE_GROUP: &str = "MESSENGER_SCHEDULE_GROUP";
    pub const MESSENGER_SCHEDULER_ROLE_ARN: &str = "MESSENGER_SCHEDULER_ROLE_ARN";
    /// Days sends and deliveries are kept after they were due (default 30).
    pub const MESSENGER_RETENTION_DAYS: &str = "MESSENGER_RETENTION_DAYS";
    /// Delivery attempts before a message is failed (1..=20, default 5).
    pub const MESSENGER_MAX_ATTEMPTS: &str = "MESSENGER_MAX_ATTEMPTS";
    pub const MESSENGER_MAX_RECEIVES: &str = "MESSENGER_MAX_RECEIVES";
    pub const BADGE_SECRET_ARN: &str = "BADGE_SECRET_ARN";
    /// First retry delay, doubled per attempt (0..=900 s, default 30).
    pub const MESSENGER_RETRY_BASE_SECONDS: &str = "MESSENGER_RETRY_BASE_SECONDS";
    /// Per-tenant quotas (`lookout_core::quota`).
    pub const QUOTA_LOG_BYTES_PER_DAY: &str = "QUOTA_LOG_BYTES_PER_DAY";
    pub const QUOTA_SENDS_PER_DAY: &str = "QUOTA_SENDS_PER_DAY";
    pub const QUOTA_APPS_PER_TENANT: &str = "QUOTA_APPS_PER_TENANT";
    pub const QUOTA_CONTACTS_PER_TENANT: &str = "QUOTA_CONTACTS_PER_TENANT";
    pub const QUOTA_SCHEDULE_AHEAD_DAYS: &str = "QUOTA_SCHEDULE_AHEAD_DAYS";
    pub const QUOTA_TRACKER_EVENTS_PER_DAY: &str = "QUOTA_TRACKER_EVENTS_PER_DAY";
    pub const QUOTA_TRACKER_BYTES_PER_DAY: &str = "QUOTA_TRACKER_BYTES_PER_DAY";
    pub const QUOTA_ALERTS_PER_HOUR: &str = "QUOTA_ALERTS_PER_HOUR";
    pub const QUOTA_SENTRY_EVENTS_PER_DAY: &str = "QUOTA_SENTRY_EVENTS_PER_DAY";
    /// The admin's messenger addresses for heartbeat alerts, as JSON (optional).
    pub const ADMIN_ALERT_CONTACTS: &str = "ADMIN_ALERT_CONTACTS";
    /// ARN of the Secrets Manager secret with the messengers' tokens.
    pub const MESSENGER_SECRET_ARN: &str = "MESSENGER_SECRET_ARN";
    /// Base URLs of the messengers' APIs (parameters, so local runs use the emulator).
    pub const TELEGRAM_API_BASE: &str = "TELEGRAM_API_BASE";
    pub const WHATSAPP_API_BASE: &str = "WHATSAPP_API_BASE";
    pub const VIBER_API_BASE: &str = "VIBER_API_BASE";
    /// WhatsApp's sender phone number id (optional: WhatsApp unconfigured without it).
    pub const WHATSAPP_PHONE_NUMBER_ID: &str = "WHATSAPP_PHONE_NUMBER_ID";
    /// The sender name Viber shows.
    pub const VIBER_SENDER_NAME: &str = "VIBER_SENDER_NAME";
    /// Tenants' alert channels, routes and channel deliveries (#28).
    pub const ALERTS_TABLE: &str = "ALERTS_TABLE";
    /// Tenant alerts, for the channel deliveries' consumer (optional for producers).
    pub const ALERTS_QUEUE_URL: &str = "ALERTS_QUEUE_URL";
    /// ARN of the secret whose key seals the channels' webhook URLs.
    pub const ALERTS_SECRET_ARN: &str = "ALERTS_SECRET_ARN";
    /// `true` on a local stack only: webhook channels may also be `http://127.0.0.1:<port>`
    /// (the messenger emulator). Never set on AWS (the template's default is `false`).
    pub const ALERT_WEBHOOKS_ALLOW_LOOPBACK: &str = "ALERT_WEBHOOKS_ALLOW_LOOPBACK";
    /// Where repeats of unacknowledged alerts are scheduled (EventBridge Scheduler).
    pub const ALERTS_SCHEDULE_GROUP: &str = "ALERTS_SCHEDULE_GROUP";
    pub const ALERTS_SCHEDULER_ROLE_ARN: &str = "ALERTS_SCHEDULER_ROLE_ARN";
    pub const ALERTS_QUEUE_ARN: &str = "ALERTS_QUEUE_ARN";
    pub const ALERTS_DLQ_ARN: &str = "ALERTS_DLQ_ARN";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_settings_are_checked_against_their_range() {
        // Names no other test or process sets.
        std::env::remove_var("LOOKOUT_TEST_INT_UNSET");
        assert_eq!(int_in("LOOKOUT_TEST_INT_UNSET", 1..=20, 5).ok(), Some(5));
        std::env::set_var("LOOKOUT_TEST_INT_OK", " 7 ");
        assert_eq!(int_in("LOOKOUT_TEST_INT_OK", 1..=20, 5).ok(), Some(7));
        for bad in ["0", "21", "-3", "x", "1.5"] {
            std::env::set_var("LOOKOUT_TEST_INT_BAD", bad);
            let err = int_in("LOOKOUT_TEST_INT_BAD", 1_u32..=20, 5);
            assert_eq!(
                err.err().map(|e| e.0),
                Some("LOOKOUT_TEST_INT_BAD must be an integer in 1..=20".to_owned()),
                "{bad}"
            );
        }
        std::env::set_var("LOOKOUT_TEST_DAYS", "0");
        assert!(retention_days("LOOKOUT_TEST_DAYS", 30).is_err());
    }
}
