//! Where each messenger is and how it is reached: base URLs, credentials (from Secrets
//! Manager), timeouts.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use lookout_core::config::{self, names as env, ConfigError};

/// How long one call to a messenger may take.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

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
/// sending to it fails permanently with `MessengerError::NotConfigured`.
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
    pub async fn load(sdk: &lookout_core::aws::SdkConfig) -> Result<Self, ConfigError> {
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

pub(crate) fn token(t: &Option<String>) -> Option<String> {
    t.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

pub(crate) const DEFAULT_TELEGRAM_API_BASE: &str = "https://api.telegram.org";
pub(crate) const DEFAULT_WHATSAPP_API_BASE: &str = "https://graph.facebook.com/v21.0";
pub(crate) const DEFAULT_VIBER_API_BASE: &str = "https://chatapi.viber.com";

impl MessengerConfig {
    /// Nothing configured (every send fails with `MessengerError::NotConfigured`).
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
    pub async fn load(sdk: &lookout_core::aws::SdkConfig) -> Result<Self, ConfigError> {
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

pub(crate) fn check_base_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("{url:?} must start with https:// or http://"))?;
    if rest.is_empty() || rest.starts_with('/') || url.chars().any(char::is_whitespace) {
        return Err(format!("{url:?} is not a base URL"));
    }
    Ok(())
}
