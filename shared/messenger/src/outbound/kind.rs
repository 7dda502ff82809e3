//! The messengers Lookout can deliver to, by the seed's keys.

use serde::{Deserialize, Serialize};

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
