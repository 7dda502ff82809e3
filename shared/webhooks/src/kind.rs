//! The alert channels this crate sends to.

use std::fmt;

/// An alert channel reached by a webhook URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// A Slack incoming webhook (`https://hooks.slack.com/services/…`).
    Slack,
    /// A Discord webhook (`https://discord.com/api/webhooks/{id}/{token}`).
    Discord,
    /// Any HTTPS endpoint taking Lookout's JSON, signed with the channel's secret.
    Webhook,
    /// A Telegram chat through the tenant's bot
    /// (`https://api.telegram.org/bot{token}/sendMessage?chat_id={chat}`).
    Telegram,
}

/// A channel name that is none of `slack`, `discord`, `webhook`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown channel {0:?} (expected slack, discord, webhook or telegram)")]
pub struct UnknownChannel(pub String);

impl ChannelKind {
    /// Every kind, in a stable order.
    pub const ALL: [Self; 4] = [Self::Slack, Self::Discord, Self::Webhook, Self::Telegram];

    /// The name stored in records and used in the API: `slack`, `discord`, `webhook`,
    /// `telegram`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slack => "slack",
            Self::Discord => "discord",
            Self::Webhook => "webhook",
            Self::Telegram => "telegram",
        }
    }

    /// The kind [`as_str`](Self::as_str) names (exactly, lower case).
    pub fn parse(name: &str) -> Result<Self, UnknownChannel> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| UnknownChannel(name.chars().take(32).collect()))
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_others_are_refused() {
        for kind in ChannelKind::ALL {
            assert_eq!(ChannelKind::parse(kind.as_str()), Ok(kind));
            assert_eq!(kind.to_string(), kind.as_str());
        }
        assert_eq!(
            ChannelKind::ALL.map(ChannelKind::as_str),
            ["slack", "discord", "webhook", "telegram"]
        );
        assert_eq!(
            ChannelKind::parse("Slack"),
            Err(UnknownChannel("Slack".into()))
        );
        assert!(ChannelKind::parse("viber").is_err());
        assert!(ChannelKind::parse("").is_err());
    }
}
