//! Messenger adapters: one small API over the real wire formats of
//!
//! - Telegram Bot API `sendMessage`: `POST {base}/bot{token}/sendMessage {"chat_id","text"}`,
//! - WhatsApp Cloud API `messages`: `POST {base}/{phone_number_id}/messages` with a bearer
//!   token and `{"messaging_product":"whatsapp","to","type":"text","text":{"body"}}`,
//! - Viber REST `send_message`: `POST {base}/pa/send_message` with `X-Viber-Auth-Token` and
//!   `{"receiver","type":"text","text","sender":{"name"}}` (Viber answers HTTP 200 with a
//!   non-zero `status` on failure).
//!
//! Base URLs come from the environment (template.yaml sets them from stack parameters; local
//! runs point them at the messenger emulator, `lookout_dev::emulator`). The tokens are secrets:
//! they live in a Secrets Manager secret (`MESSENGER_SECRET_ARN`, JSON [`MessengerTokens`]),
//! read once per cold start ([`MessengerConfig::load`]), never in environment variables.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use lookout_messenger::messenger::{Messenger, MessengerKind};
//! let sdk = lookout_core::aws::sdk_config().await;
//! let messenger = Messenger::load(&sdk).await?;
//! messenger.send(MessengerKind::Telegram, "-1001234567890", "disk full on db-1").await?;
//! # Ok(()) }
//! ```
//!
//! Failures say whether a retry may help ([`SendError::is_transient`]): network errors,
//! timeouts, HTTP 429 and 5xx, and Viber's `tooManyRequests` are transient; every other
//! rejection is permanent. Error texts never contain a token (Telegram's is part of its URL).
//!
//! Every text fits the messenger it goes to: [`MessengerApi::send`] sends a text longer than
//! one message holds ([`MessengerKind::max_text_units`]: Telegram and WhatsApp 4096, Viber 7000)
//! as numbered parts, in order ([`message_parts`], module `limits`).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use lookout_core::config::{self, ConfigError};

/// Longest broadcast text the API accepts, in characters (the seed's limit, Telegram's and
/// WhatsApp's per message). Messengers count differently (Telegram in UTF-16 units, so 4096
/// emoji are 8192): what one message holds is [`MessengerKind::max_text_units`], and a longer
/// text goes out in parts ([`message_parts`]).
pub const MAX_TEXT_CHARS: usize = 4096;
/// How long one call to a messenger may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a provider's error body is kept in an error text.
const DETAIL_CHARS: usize = 300;

/// The messengers Lookout can deliver to. Serialised with the seed's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MessengerKind {
    #[serde(rename = "telegram")]
    Telegram,
    #[serde(rename = "whatsApp")]
    WhatsApp,
    #[serde(rename = "viber")]
    Viber,
}

impl MessengerKind {
    pub const ALL: [Self; 3] = [Self::Telegram, Self::WhatsApp, Self::Viber];

    /// The seed's key: `telegram`, `whatsApp`, `viber`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Telegram => "telegram",
            Self::WhatsApp => "whatsApp",
            Self::Viber => "viber",
        }
    }

    /// Any case of the seed's keys.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown messenger {s:?}: use telegram, whatsApp or viber"))
    }
}

impl std::fmt::Display for MessengerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// By concern: settings (where and how), the client, outcomes (pure), limits and parts
// (pure), the port.
mod limits;
mod outcome;
mod port;
mod settings;
pub use limits::{
    cut_mark, message_parts, text_units, MAX_PARTS, MIN_TEXT_LIMIT, TELEGRAM_MAX_TEXT,
    VIBER_MAX_TEXT, WHATSAPP_MAX_TEXT,
};
use outcome::*;
pub use port::*;
pub use settings::*;

/// A message the messenger accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The provider's id of the message, when it returns one.
    pub provider_id: Option<String>,
}

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("{0} is not configured")]
    NotConfigured(MessengerKind),
    /// The messenger refused the message; sending it again will not help.
    #[error("{kind} rejected the message ({status}): {detail}")]
    Rejected {
        kind: MessengerKind,
        status: u16,
        detail: String,
    },
    /// The messenger could not be reached or asked to come back later.
    #[error("{kind} unavailable{}: {detail}", status.map(|s| format!(" ({s})")).unwrap_or_default())]
    Unavailable {
        kind: MessengerKind,
        status: Option<u16>,
        detail: String,
    },
    /// A text sent in parts failed after the messenger had accepted some of them. Permanent
    /// whatever `cause` was: sending the text again would repeat the accepted parts.
    #[error("{kind} accepted {accepted} of {total} parts, then part {failed} failed: {cause}; not sent again, so no part arrives twice", failed = .accepted + 1)]
    PartlySent {
        kind: MessengerKind,
        accepted: usize,
        total: usize,
        cause: Box<SendError>,
    },
}

impl SendError {
    /// True when a later retry may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}

/// Sends text messages through the configured messengers. Cheap to clone (one HTTP client).
#[derive(Debug, Clone)]
pub struct Messenger {
    http: reqwest::Client,
    config: MessengerConfig,
}

impl Messenger {
    pub fn new(config: MessengerConfig) -> Result<Self, ConfigError> {
        // reqwest's rustls uses the process-wide crypto provider: ring, as the AWS clients do
        // (installing it twice is harmless, the second call just reports the first).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .user_agent("lookout-messenger/1")
            .build()
            .map_err(|e| ConfigError(format!("HTTP client: {e}")))?;
        Ok(Self { http, config })
    }

    /// [`MessengerConfig::load`]: base URLs from the environment, tokens from the secret.
    pub async fn load(sdk: &aws_config::SdkConfig) -> Result<Self, ConfigError> {
        Self::new(MessengerConfig::load(sdk).await?)
    }

    pub fn config(&self) -> &MessengerConfig {
        &self.config
    }

    pub fn is_configured(&self, kind: MessengerKind) -> bool {
        match kind {
            MessengerKind::Telegram => self.config.telegram.is_some(),
            MessengerKind::WhatsApp => self.config.whatsapp.is_some(),
            MessengerKind::Viber => self.config.viber.is_some(),
        }
    }

    /// The endpoint a message of `kind` goes to, fit for records and logs (the Telegram bot
    /// token in the path is masked). `None` when `kind` is not configured.
    pub fn endpoint(&self, kind: MessengerKind) -> Option<String> {
        match kind {
            MessengerKind::Telegram => self
                .config
                .telegram
                .as_ref()
                .map(|c| format!("{}/bot***/sendMessage", c.base_url)),
            MessengerKind::WhatsApp => self
                .config
                .whatsapp
                .as_ref()
                .map(|c| format!("{}/{}/messages", c.base_url, c.phone_number_id)),
            MessengerKind::Viber => self
                .config
                .viber
                .as_ref()
                .map(|c| format!("{}/pa/send_message", c.base_url)),
        }
    }

    /// Sends `text` to `address` (a Telegram chat id or @username, a WhatsApp phone number,
    /// a Viber user id) through `kind`, in parts when it is longer than one message holds:
    /// [`MessengerApi::send`].
    pub async fn send(
        &self,
        kind: MessengerKind,
        address: &str,
        text: &str,
    ) -> Result<Delivered, SendError> {
        MessengerApi::send(self, kind, address, text).await
    }

    /// Sends `text` as one message, as it is: a text longer than `kind` takes
    /// ([`MessengerKind::max_text_units`]) is refused by the messenger. [`send`](Self::send)
    /// splits it first.
    pub async fn send_one(
        &self,
        kind: MessengerKind,
        address: &str,
        text: &str,
    ) -> Result<Delivered, SendError> {
        match kind {
            MessengerKind::Telegram => {
                let c = self
                    .config
                    .telegram
                    .as_ref()
                    .ok_or(SendError::NotConfigured(kind))?;
                let url = format!("{}/bot{}/sendMessage", c.base_url, c.bot_token);
                let req = self
                    .http
                    .post(url)
                    .json(&json!({"chat_id": telegram_chat_id(address), "text": text}));
                let (status, body) = call(kind, req).await?;
                telegram_outcome(status, &body)
            }
            MessengerKind::WhatsApp => {
                let c = self
                    .config
                    .whatsapp
                    .as_ref()
                    .ok_or(SendError::NotConfigured(kind))?;
                let url = format!("{}/{}/messages", c.base_url, c.phone_number_id);
                let req = self
                    .http
                    .post(url)
                    .bearer_auth(&c.access_token)
                    .json(&json!({
                        "messaging_product": "whatsapp",
                        "recipient_type": "individual",
                        "to": address,
                        "type": "text",
                        "text": {"preview_url": false, "body": text},
                    }));
                let (status, body) = call(kind, req).await?;
                whatsapp_outcome(status, &body)
            }
            MessengerKind::Viber => {
                let c = self
                    .config
                    .viber
                    .as_ref()
                    .ok_or(SendError::NotConfigured(kind))?;
                let url = format!("{}/pa/send_message", c.base_url);
                let req = self
                    .http
                    .post(url)
                    .header("X-Viber-Auth-Token", &c.auth_token)
                    .json(&json!({
                        "receiver": address,
                        "min_api_version": 1,
                        "sender": {"name": c.sender_name},
                        "type": "text",
                        "text": text,
                    }));
                let (status, body) = call(kind, req).await?;
                viber_outcome(status, &body)
            }
        }
    }
}

/// Numeric chat ids go out as numbers, usernames as text (what the Bot API documents).
fn telegram_chat_id(address: &str) -> Value {
    address
        .parse::<i64>()
        .map_or_else(|_| Value::String(address.to_owned()), Value::from)
}

/// Sends the request; transport failures are transient. Returns status and JSON body
/// (`Null` when the body is not JSON).
async fn call(
    kind: MessengerKind,
    req: reqwest::RequestBuilder,
) -> Result<(u16, Value), SendError> {
    let unavailable = |err: reqwest::Error| SendError::Unavailable {
        kind,
        status: None,
        // Without the URL: Telegram's holds the bot token.
        detail: lookout_core::error::error_chain(&err.without_url()),
    };
    let resp = req.send().await.map_err(unavailable)?;
    let status = resp.status().as_u16();
    let text = resp.text().await.map_err(unavailable)?;
    let body = serde_json::from_str(&text).unwrap_or_else(|_| {
        if text.trim().is_empty() {
            Value::Null
        } else {
            Value::String(text)
        }
    });
    Ok((status, body))
}

#[cfg(test)]
mod tests;
