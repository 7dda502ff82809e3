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

/// Names of the tables and other resources a function uses, as template.yaml passes them.
pub mod names {
    /// Sessions and their events (seed 004).
    pub const TRACKER_TABLE: &str = "TRACKER_TABLE";
    /// API keys, stored as SHA-256 of the key.
    pub const API_KEYS_TABLE: &str = "API_KEYS_TABLE";
    /// SHA-256 (hex) of the admin bearer token.
    pub const ADMIN_TOKEN_SHA256: &str = "ADMIN_TOKEN_SHA256";
    /// Apps and their heartbeats (seed 002).
    pub const HEARTBEAT_TABLE: &str = "HEARTBEAT_TABLE";
    /// Verified SES sender of admin mail.
    pub const MAIL_SENDER: &str = "MAIL_SENDER";
    /// Where admin mail goes.
    pub const ADMIN_EMAIL: &str = "ADMIN_EMAIL";
}
