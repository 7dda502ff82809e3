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

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use lookout_core::config::{self, ConfigError};

/// Longest text any of the three accepts in one message (Telegram's and WhatsApp's limit).
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

/// Telegram Bot API settings.
#[derive(Clone)]
pub struct TelegramConfig {
    /// `https://api.telegram.org`
    pub base_url: String,
    pub bot_token: String,
}

/// WhatsApp Cloud API settings.
#[derive(Clone)]
pub struct WhatsAppConfig {
    /// `https://graph.facebook.com/v21.0`
    pub base_url: String,
    pub phone_number_id: String,
    pub access_token: String,
}

/// Viber REST API settings.
#[derive(Clone)]
pub struct ViberConfig {
    /// `https://chatapi.viber.com`
    pub base_url: String,
    pub auth_token: String,
    /// Shown to the receiver as the sender (max 28 characters at Viber).
    pub sender_name: String,
}

// Tokens stay out of logs: Debug shows base URLs and ids only.
impl std::fmt::Debug for TelegramConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramConfig")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for WhatsAppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppConfig")
            .field("base_url", &self.base_url)
            .field("phone_number_id", &self.phone_number_id)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ViberConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViberConfig")
            .field("base_url", &self.base_url)
            .field("sender_name", &self.sender_name)
            .finish_non_exhaustive()
    }
}

/// Which messengers are configured, and how. A messenger without credentials is `None`:
/// sending to it fails permanently with [`SendError::NotConfigured`].
#[derive(Clone)]
pub struct MessengerConfig {
    pub telegram: Option<TelegramConfig>,
    pub whatsapp: Option<WhatsAppConfig>,
    pub viber: Option<ViberConfig>,
    pub timeout: Duration,
}

impl std::fmt::Debug for MessengerConfig {
    // Tokens stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessengerConfig")
            .field("telegram", &self.telegram.as_ref().map(|c| &c.base_url))
            .field("whatsapp", &self.whatsapp.as_ref().map(|c| &c.base_url))
            .field("viber", &self.viber.as_ref().map(|c| &c.base_url))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Environment variable names (template.yaml sets them from stack parameters).
pub mod env {
    pub const TELEGRAM_API_BASE: &str = "TELEGRAM_API_BASE";
    pub const WHATSAPP_API_BASE: &str = "WHATSAPP_API_BASE";
    pub const WHATSAPP_PHONE_NUMBER_ID: &str = "WHATSAPP_PHONE_NUMBER_ID";
    pub const VIBER_API_BASE: &str = "VIBER_API_BASE";
    pub const VIBER_SENDER_NAME: &str = "VIBER_SENDER_NAME";
    /// ARN of the Secrets Manager secret holding [`super::MessengerTokens`].
    pub const MESSENGER_SECRET_ARN: &str = "MESSENGER_SECRET_ARN";
}

/// The messengers' tokens, as stored (JSON) in the messenger secret. A token that is absent or
/// empty leaves its messenger unconfigured.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessengerTokens {
    #[serde(default)]
    pub telegram_bot_token: Option<String>,
    #[serde(default)]
    pub whatsapp_access_token: Option<String>,
    #[serde(default)]
    pub viber_auth_token: Option<String>,
}

impl std::fmt::Debug for MessengerTokens {
    // Which tokens are there, never their values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessengerTokens")
            .field("telegram_bot_token", &self.telegram_bot_token.is_some())
            .field(
                "whatsapp_access_token",
                &self.whatsapp_access_token.is_some(),
            )
            .field("viber_auth_token", &self.viber_auth_token.is_some())
            .finish()
    }
}

impl MessengerTokens {
    /// Parses the secret's JSON text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        serde_json::from_str(text).map_err(|e| {
            // serde's message names the field, not the value.
            ConfigError(format!(
                "the messenger secret must be a JSON object of tokens: {e}"
            ))
        })
    }

    /// Reads the secret named by `MESSENGER_SECRET_ARN` (once per cold start). Without that
    /// variable no messenger has a token.
    pub async fn load(sdk: &aws_config::SdkConfig) -> Result<Self, ConfigError> {
        let Some(arn) = config::optional(env::MESSENGER_SECRET_ARN) else {
            return Ok(Self::default());
        };
        let client = aws_sdk_secretsmanager::Client::new(sdk);
        let out = client
            .get_secret_value()
            .secret_id(&arn)
            .send()
            .await
            .map_err(|e| {
                ConfigError(format!(
                    "reading the messenger secret: {}",
                    lookout_core::error::error_chain(&e)
                ))
            })?;
        match out.secret_string() {
            Some(text) => Self::parse(text),
            None => Ok(Self::default()),
        }
    }
}

fn token(t: &Option<String>) -> Option<String> {
    t.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

pub const DEFAULT_TELEGRAM_API_BASE: &str = "https://api.telegram.org";
pub const DEFAULT_WHATSAPP_API_BASE: &str = "https://graph.facebook.com/v21.0";
pub const DEFAULT_VIBER_API_BASE: &str = "https://chatapi.viber.com";

impl MessengerConfig {
    /// Nothing configured (every send fails with [`SendError::NotConfigured`]).
    pub fn none() -> Self {
        Self {
            telegram: None,
            whatsapp: None,
            viber: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Every messenger at one base URL, as the emulator serves them
    /// (`{base}/telegram`, `{base}/whatsapp`, `{base}/viber`), with dummy credentials.
    pub fn emulated(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        Self {
            telegram: Some(TelegramConfig {
                base_url: format!("{base}/telegram"),
                bot_token: "emulator-bot-token".to_owned(),
            }),
            whatsapp: Some(WhatsAppConfig {
                base_url: format!("{base}/whatsapp"),
                phone_number_id: "100000000000001".to_owned(),
                access_token: "emulator-access-token".to_owned(),
            }),
            viber: Some(ViberConfig {
                base_url: format!("{base}/viber"),
                auth_token: "emulator-auth-token".to_owned(),
                sender_name: "Lookout".to_owned(),
            }),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// [`MessengerTokens::load`] and [`from_env`](Self::from_env).
    pub async fn load(sdk: &aws_config::SdkConfig) -> Result<Self, ConfigError> {
        Self::from_env(&MessengerTokens::load(sdk).await?)
    }

    /// Reads the `TELEGRAM_*`, `WHATSAPP_*` and `VIBER_*` variables; `tokens` come from the
    /// messenger secret. A messenger is configured when its token is there; base URLs default
    /// to the public APIs.
    pub fn from_env(tokens: &MessengerTokens) -> Result<Self, ConfigError> {
        let base = |name: &str, default: &str| -> Result<String, ConfigError> {
            let url = config::optional(name).unwrap_or_else(|| default.to_owned());
            check_base_url(&url).map_err(|e| ConfigError(format!("{name}: {e}")))?;
            Ok(url.trim_end_matches('/').to_owned())
        };
        let telegram = match token(&tokens.telegram_bot_token) {
            Some(bot_token) => Some(TelegramConfig {
                base_url: base(env::TELEGRAM_API_BASE, DEFAULT_TELEGRAM_API_BASE)?,
                bot_token,
            }),
            None => None,
        };
        let whatsapp = match (
            config::optional(env::WHATSAPP_PHONE_NUMBER_ID),
            token(&tokens.whatsapp_access_token),
        ) {
            (Some(phone_number_id), Some(access_token)) => Some(WhatsAppConfig {
                base_url: base(env::WHATSAPP_API_BASE, DEFAULT_WHATSAPP_API_BASE)?,
                phone_number_id,
                access_token,
            }),
            (None, None) => None,
            _ => {
                return Err(ConfigError(format!(
                    "set both {} and the secret's whatsapp_access_token (or neither)",
                    env::WHATSAPP_PHONE_NUMBER_ID
                )))
            }
        };
        let viber = match token(&tokens.viber_auth_token) {
            Some(auth_token) => Some(ViberConfig {
                base_url: base(env::VIBER_API_BASE, DEFAULT_VIBER_API_BASE)?,
                auth_token,
                sender_name: config::optional(env::VIBER_SENDER_NAME)
                    .unwrap_or_else(|| "Lookout".to_owned()),
            }),
            None => None,
        };
        Ok(Self {
            telegram,
            whatsapp,
            viber,
            timeout: DEFAULT_TIMEOUT,
        })
    }
}

fn check_base_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("{url:?} must start with https:// or http://"))?;
    if rest.is_empty() || rest.starts_with('/') || url.chars().any(char::is_whitespace) {
        return Err(format!("{url:?} is not a base URL"));
    }
    Ok(())
}

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
        // reqwest's rustls uses the process-wide crypto provider: the AWS SDK's aws-lc-rs one
        // (installing it twice is harmless, the second call just reports the first).
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
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
    /// a Viber user id) through `kind`.
    pub async fn send(
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

fn detail(body: &Value, pointer: &str) -> String {
    let text = body
        .pointer(pointer)
        .and_then(Value::as_str)
        .map_or_else(|| body.to_string(), str::to_owned);
    text.chars().take(DETAIL_CHARS).collect()
}

/// HTTP 429 and 5xx are worth retrying; other failures are not.
fn by_status(kind: MessengerKind, status: u16, detail: String) -> SendError {
    if status == 429 || status == 408 || status >= 500 {
        SendError::Unavailable {
            kind,
            status: Some(status),
            detail,
        }
    } else {
        SendError::Rejected {
            kind,
            status,
            detail,
        }
    }
}

fn telegram_outcome(status: u16, body: &Value) -> Result<Delivered, SendError> {
    let kind = MessengerKind::Telegram;
    if (200..300).contains(&status) && body["ok"] == Value::Bool(true) {
        return Ok(Delivered {
            provider_id: body
                .pointer("/result/message_id")
                .filter(|v| !v.is_null())
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
        });
    }
    let code = body["error_code"]
        .as_u64()
        .and_then(|c| u16::try_from(c).ok())
        .filter(|_| !(200..300).contains(&status))
        .unwrap_or(status);
    Err(by_status(kind, code, detail(body, "/description")))
}

fn whatsapp_outcome(status: u16, body: &Value) -> Result<Delivered, SendError> {
    let kind = MessengerKind::WhatsApp;
    if (200..300).contains(&status) {
        return match body.pointer("/messages/0/id").and_then(Value::as_str) {
            Some(id) => Ok(Delivered {
                provider_id: Some(id.to_owned()),
            }),
            None => Err(SendError::Rejected {
                kind,
                status,
                detail: format!("unexpected reply {}", detail(body, "")),
            }),
        };
    }
    Err(by_status(kind, status, detail(body, "/error/message")))
}

/// Viber's `status` codes that may pass: 12 tooManyRequests.
const VIBER_TRANSIENT: [u64; 1] = [12];

fn viber_outcome(status: u16, body: &Value) -> Result<Delivered, SendError> {
    let kind = MessengerKind::Viber;
    if !(200..300).contains(&status) {
        return Err(by_status(kind, status, detail(body, "/status_message")));
    }
    match body["status"].as_u64() {
        Some(0) => Ok(Delivered {
            provider_id: body
                .get("message_token")
                .filter(|v| !v.is_null())
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
        }),
        Some(code) => {
            let detail = format!("status {code} {}", detail(body, "/status_message"));
            if VIBER_TRANSIENT.contains(&code) {
                Err(SendError::Unavailable {
                    kind,
                    status: Some(status),
                    detail,
                })
            } else {
                Err(SendError::Rejected {
                    kind,
                    status,
                    detail,
                })
            }
        }
        None => Err(SendError::Rejected {
            kind,
            status,
            detail: format!("unexpected reply {}", detail(body, "")),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_use_the_seed_keys() {
        assert_eq!(
            MessengerKind::parse("WhatsApp").unwrap(),
            MessengerKind::WhatsApp
        );
        assert_eq!(
            MessengerKind::parse("telegram").unwrap(),
            MessengerKind::Telegram
        );
        assert!(MessengerKind::parse("icq").is_err());
        assert_eq!(
            serde_json::to_string(&MessengerKind::WhatsApp).unwrap(),
            r#""whatsApp""#
        );
    }

    #[test]
    fn outcomes_follow_each_api() {
        assert_eq!(
            telegram_outcome(200, &json!({"ok": true, "result": {"message_id": 7}})).unwrap(),
            Delivered {
                provider_id: Some("7".into())
            }
        );
        let blocked = telegram_outcome(
            403,
            &json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
        )
        .unwrap_err();
        assert!(!blocked.is_transient());
        assert!(blocked.to_string().contains("blocked"), "{blocked}");
        assert!(
            telegram_outcome(429, &json!({"ok": false, "error_code": 429}))
                .unwrap_err()
                .is_transient()
        );
        assert!(telegram_outcome(502, &Value::String("Bad Gateway".into()))
            .unwrap_err()
            .is_transient());

        assert!(whatsapp_outcome(200, &json!({"messages": [{"id": "wamid.1"}]})).is_ok());
        assert!(
            !whatsapp_outcome(401, &json!({"error": {"message": "bad token"}}))
                .unwrap_err()
                .is_transient()
        );
        assert!(whatsapp_outcome(503, &Value::Null)
            .unwrap_err()
            .is_transient());

        assert!(viber_outcome(200, &json!({"status": 0, "message_token": 5})).is_ok());
        // Viber reports failures in a 200 body.
        let busy = viber_outcome(
            200,
            &json!({"status": 12, "status_message": "tooManyRequests"}),
        )
        .unwrap_err();
        assert!(busy.is_transient(), "{busy}");
        let gone = viber_outcome(
            200,
            &json!({"status": 6, "status_message": "receiverNotSubscribed"}),
        )
        .unwrap_err();
        assert!(!gone.is_transient());
        assert!(gone.to_string().contains("receiverNotSubscribed"));
    }

    #[test]
    fn endpoints_hide_the_bot_token() {
        let m = Messenger::new(MessengerConfig::emulated("http://127.0.0.1:1/")).unwrap();
        let url = m.endpoint(MessengerKind::Telegram).unwrap();
        assert_eq!(url, "http://127.0.0.1:1/telegram/bot***/sendMessage");
        assert_eq!(
            m.endpoint(MessengerKind::Viber).unwrap(),
            "http://127.0.0.1:1/viber/pa/send_message"
        );
        let none = Messenger::new(MessengerConfig::none()).unwrap();
        assert_eq!(none.endpoint(MessengerKind::Viber), None);
        assert!(!format!("{:?}", m.config()).contains("emulator-bot-token"));
    }

    #[test]
    fn base_urls_are_checked() {
        assert!(check_base_url("https://api.telegram.org").is_ok());
        assert!(check_base_url("http://127.0.0.1:8081/telegram").is_ok());
        assert!(check_base_url("ftp://x").is_err());
        assert!(check_base_url("https://").is_err());
    }

    #[test]
    fn numeric_chat_ids_are_numbers() {
        assert_eq!(telegram_chat_id("-100123"), json!(-100_123));
        assert_eq!(telegram_chat_id("@channel"), json!("@channel"));
    }

    #[tokio::test]
    async fn transport_errors_are_transient_and_hide_the_token() {
        // Nothing listens on port 9 of localhost (discard); the call fails to connect.
        let mut config = MessengerConfig::emulated("http://127.0.0.1:9");
        config.timeout = Duration::from_secs(2);
        let m = Messenger::new(config).unwrap();
        let err = m
            .send(MessengerKind::Telegram, "1", "hi")
            .await
            .unwrap_err();
        assert!(err.is_transient(), "{err}");
        assert!(!err.to_string().contains("emulator-bot-token"), "{err}");
        let none = Messenger::new(MessengerConfig::none()).unwrap();
        assert_eq!(
            none.send(MessengerKind::Viber, "x", "hi")
                .await
                .unwrap_err(),
            SendError::NotConfigured(MessengerKind::Viber)
        );
    }
}
