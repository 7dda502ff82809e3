//! The neutral alert every channel renders: what happened, how bad, and where to look.

use serde::{Deserialize, Serialize};

/// How bad it is; sets the Discord embed's colour and the level shown in Slack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warning,
    Error,
    Critical,
}

impl Level {
    /// `info`, `warning`, `error`, `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
            Self::Critical => "critical",
        }
    }

    /// The colour of a Discord embed (0xRRGGBB): blue, amber, red, dark red.
    pub fn colour(self) -> u32 {
        match self {
            Self::Info => 0x34_98_DB,
            Self::Warning => 0xF1_C4_0F,
            Self::Error => 0xE7_4C_3C,
            Self::Critical => 0x99_2D_22,
        }
    }
}

/// What the alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertKind {
    /// A heartbeat app missed its schedule or reported a failure.
    Heartbeat,
    /// An incident was opened or changed.
    Incident,
    /// A periodic summary.
    Digest,
    /// A test message sent when a channel is set up.
    Test,
}

impl AlertKind {
    /// `heartbeat`, `incident`, `digest`, `test`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Heartbeat => "heartbeat",
            Self::Incident => "incident",
            Self::Digest => "digest",
            Self::Test => "test",
        }
    }
}

/// One alert, before any channel's formatting. Texts are plain (no markup); each builder
/// escapes and cuts them for its service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Unique per alert: the generic webhook's `Lookout-Event-Id`, so receivers can drop
    /// repeats of a retried delivery.
    pub id: String,
    pub title: String,
    pub text: String,
    pub level: Level,
    pub kind: AlertKind,
    /// A link to the alert's page in the console.
    pub url: Option<String>,
    /// A signed link that acknowledges the alert.
    pub ack_url: Option<String>,
    /// What a Telegram "Acknowledge" button sends back (its `callback_data`, at most 64
    /// bytes): a signed reference to the alert's incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_callback: Option<String>,
    /// Extra facts shown as name/value pairs, in order.
    pub fields: Vec<(String, String)>,
    /// When it happened (RFC 3339).
    pub at: String,
}
