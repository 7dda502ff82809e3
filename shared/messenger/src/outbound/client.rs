//! The HTTP client of the three messenger APIs: one request per message, its answer read by
//! `outcome`.

use std::time::Duration;

use serde_json::{json, Value};

use lookout_core::config::ConfigError;
use lookout_core::BoxFuture;

use crate::outbound::error::{Delivered, MessengerError};
use crate::outbound::kind::MessengerKind;
use crate::outbound::outcome::{telegram_outcome, viber_outcome, whatsapp_outcome};
use crate::outbound::port::MessengerApi;
use crate::outbound::settings::MessengerConfig;

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
    pub async fn load(sdk: &lookout_core::aws::SdkConfig) -> Result<Self, ConfigError> {
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
    ) -> Result<Delivered, MessengerError> {
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
    ) -> Result<Delivered, MessengerError> {
        match kind {
            MessengerKind::Telegram => {
                let c = self
                    .config
                    .telegram
                    .as_ref()
                    .ok_or(MessengerError::NotConfigured(kind))?;
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
                    .ok_or(MessengerError::NotConfigured(kind))?;
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
                    .ok_or(MessengerError::NotConfigured(kind))?;
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

impl MessengerApi for Messenger {
    fn endpoint(&self, kind: MessengerKind) -> BoxFuture<'_, Option<String>> {
        let url = Messenger::endpoint(self, kind);
        Box::pin(async move { url })
    }
    fn send_one<'a>(
        &'a self,
        kind: MessengerKind,
        address: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<Delivered, MessengerError>> {
        Box::pin(Messenger::send_one(self, kind, address, text))
    }
}

/// Numeric chat ids go out as numbers, usernames as text (what the Bot API documents).
pub(crate) fn telegram_chat_id(address: &str) -> Value {
    address
        .parse::<i64>()
        .map_or_else(|_| Value::String(address.to_owned()), Value::from)
}

/// Sends the request; transport failures are transient. Returns status and JSON body
/// (`Null` when the body is not JSON).
async fn call(
    kind: MessengerKind,
    req: reqwest::RequestBuilder,
) -> Result<(u16, Value), MessengerError> {
    let unavailable = |err: reqwest::Error| MessengerError::Unavailable {
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
