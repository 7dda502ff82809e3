//! What a key may be used for.

use serde::{Deserialize, Serialize};

/// What a key may be used for. A key without scopes (every key issued before scopes existed,
/// and any issued without) may be used for all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// `POST /api/apps`, `POST /api/apps/{signal}`: safe to paste into a cron job.
    Heartbeats,
    /// `/api/contacts`, `/api/get_failed_mess`.
    Messenger,
    /// The session routes (`/start_session` …).
    Tracker,
    /// Healthchecks' slug ping URLs (`/ping/<ping key>/<slug>`): a ping key, issued by
    /// `POST /admin/ping_keys`, has this scope alone. It travels in URLs (cron lines, proxy
    /// logs), so no other key is one: a key without scopes is not a ping key.
    Ping,
}

impl Scope {
    /// What a key without scopes may be used for (every scope but [`Scope::Ping`]).
    pub const ALL: [Scope; 3] = [Scope::Heartbeats, Scope::Messenger, Scope::Tracker];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Heartbeats => "heartbeats",
            Self::Messenger => "messenger",
            Self::Tracker => "tracker",
            Self::Ping => "ping",
        }
    }
}
