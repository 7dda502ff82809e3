//! A tenant's channels: what the admin sends ([`NewChannel`]), what is stored
//! ([`ChannelRecord`], the URL sealed) and what is shown ([`ChannelView`], the URL masked).

use lookout_core::auth::Tenant;
use lookout_core::time::Timestamp;
use lookout_webhooks::{check_url_with, mask, ChannelKind, Policy};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::error::AlertError;

/// Channels per tenant.
pub const MAX_CHANNELS: usize = 20;
/// Longest channel name.
const MAX_NAME: usize = 64;

/// A channel's id: `ch_` and 16 hex characters, random.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChannelId(String);

impl ChannelId {
    pub fn random() -> Self {
        let mut bytes = [0_u8; 8];
        rand::rng().fill_bytes(&mut bytes);
        Self(format!("ch_{}", hex::encode(bytes)))
    }

    pub fn parse(s: &str) -> Result<Self, AlertError> {
        let ok = s.len() == 19
            && s.starts_with("ch_")
            && s[3..]
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(AlertError::Invalid(format!(
                "{:?} is not a channel id (ch_ and 16 hex digits)",
                s.chars().take(40).collect::<String>()
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ChannelId {
    type Error = AlertError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ChannelId> for String {
    fn from(id: ChannelId) -> Self {
        id.0
    }
}

impl std::fmt::Display for ChannelId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A channel as the admin asks for it, checked: a name, a kind and its webhook URL (https on
/// a public address, or the emulator's loopback address on a local stack).
#[derive(Debug, Clone)]
pub struct NewChannel {
    pub kind: ChannelKind,
    pub name: String,
    pub url: String,
}

impl NewChannel {
    pub fn parse(kind: &str, name: &str, url: &str, policy: Policy) -> Result<Self, AlertError> {
        let kind = ChannelKind::parse(kind).map_err(|e| AlertError::Invalid(e.to_string()))?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control)
        {
            return Err(AlertError::Invalid(format!(
                "name must be 1 to {MAX_NAME} printable characters"
            )));
        }
        let target = check_url_with(url.trim(), policy)
            .map_err(|e| AlertError::Invalid(format!("url refused: {e}")))?;
        let host = target.domain().unwrap_or_default();
        let expected = match kind {
            ChannelKind::Slack => Some(("hooks.slack.com", "/services/")),
            ChannelKind::Discord => Some(("discord.com", "/api/webhooks/")),
            ChannelKind::Webhook => None,
            ChannelKind::Telegram => Some(("api.telegram.org", "/bot")),
        };
        if let Some((service, path)) = expected {
            // A Slack or Discord channel names its service's webhook (the emulator's own
            // path on a local stack).
            let on_service = (host == service || host.ends_with(&format!(".{service}")))
                || (kind == ChannelKind::Discord && host == "discordapp.com");
            let emulated = target.is_loopback_exception();
            let on_path = on_service && target.url().path().starts_with(path);
            if !on_path && !emulated {
                return Err(AlertError::Invalid(format!(
                    "a {kind} channel's url is https://{service}{path}…"
                )));
            }
        }
        let url = target.url().to_string();
        if kind == ChannelKind::Telegram {
            let method = target.url().path().rsplit('/').next().unwrap_or_default();
            if method != "sendMessage" || lookout_webhooks::telegram_chat(&url).is_none() {
                return Err(AlertError::Invalid(
                    "a telegram channel's url is https://api.telegram.org/bot<token>/sendMessage?chat_id=<chat>"
                        .into(),
                ));
            }
        }
        Ok(Self {
            kind,
            name: name.to_owned(),
            url,
        })
    }
}

/// Another Bot API method of the bot a Telegram channel's `sendMessage` URL names
/// (`…/bot<token>/setWebhook`, without the query).
pub fn telegram_method_url(send_message_url: &str, method: &str) -> Option<String> {
    let path = send_message_url.split(['?', '#']).next()?;
    let base = path.strip_suffix("/sendMessage")?;
    Some(format!("{base}/{method}"))
}

/// A channel as stored: `pk` = `TENANT#<tenant>`, `sk` = `CHANNEL#<id>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelRecord {
    pub pk: String,
    pub sk: String,
    pub tenant: String,
    pub channel_id: ChannelId,
    pub kind: String,
    pub name: String,
    /// The URL, sealed ([`crate::Sealer`]) with [`ChannelRecord::context`].
    pub url_sealed: String,
    /// The URL as shown: host and the first characters of its path.
    pub url_masked: String,
    /// A generic webhook's signing secret, sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_sealed: Option<String>,
    pub created_at: Timestamp,
    /// The API's public origin the admin created it through (`https://host`): where its
    /// alerts' acknowledgement links go when the stack has no `ConsoleUrl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

impl ChannelRecord {
    pub fn pk(tenant: &str) -> String {
        format!("TENANT#{tenant}")
    }

    pub fn sk(id: &ChannelId) -> String {
        format!("CHANNEL#{id}")
    }

    /// What a sealed value of this channel is bound to.
    pub fn context(tenant: &str, id: &ChannelId) -> String {
        format!("{tenant}\n{id}")
    }

    pub fn new(tenant: &Tenant, id: ChannelId, ch: &NewChannel, url_sealed: String) -> Self {
        Self {
            pk: Self::pk(tenant.as_str()),
            sk: Self::sk(&id),
            tenant: tenant.as_str().to_owned(),
            channel_id: id,
            kind: ch.kind.as_str().to_owned(),
            name: ch.name.clone(),
            url_sealed,
            url_masked: mask(&ch.url),
            secret_sealed: None,
            created_at: Timestamp::now(),
            origin: None,
        }
    }

    pub fn kind(&self) -> Result<ChannelKind, AlertError> {
        ChannelKind::parse(&self.kind).map_err(|e| AlertError::Invalid(e.to_string()))
    }

    pub fn view(&self) -> ChannelView {
        ChannelView {
            id: self.channel_id.to_string(),
            kind: self.kind.clone(),
            name: self.name.clone(),
            url: self.url_masked.clone(),
            signed: self.secret_sealed.is_some(),
            created_at: self.created_at,
        }
    }
}

/// A channel as listed: the URL masked, never the secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelView {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub url: String,
    /// Whether its requests carry a signature (generic webhooks).
    pub signed: bool,
    pub created_at: Timestamp,
}
