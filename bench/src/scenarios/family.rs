//! Endpoint families: which family each function belongs to and the family's
//! representative operation (what its Python baseline mirrors and the cost model prices).

/// Endpoint families (README's parts), for baselines and the cost model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    Tracker,
    Logs,
    Incidents,
    Heartbeats,
    Messenger,
    Admin,
    Console,
}

impl Family {
    pub const ALL: [Self; 7] = [
        Self::Tracker,
        Self::Logs,
        Self::Incidents,
        Self::Heartbeats,
        Self::Messenger,
        Self::Admin,
        Self::Console,
    ];

    pub fn of(binary: &str) -> Option<Self> {
        Some(match binary {
            "start-session" | "add-event" | "end-session" | "get-session"
            | "get-machine-events" => Self::Tracker,
            "send-logs" | "record-otlp-logs" | "query-logs" | "admin-issue-log-token" => {
                Self::Logs
            }
            "report-incident"
            | "admin-register-app"
            | "admin-update-app"
            | "admin-delete-app"
            | "admin-list-apps"
            | "admin-list-incidents"
            | "admin-get-incident"
            | "admin-update-incident"
            | "apply-app-transitions"
            // Sentry's ingestion routes (an error event in the benchmark).
            | "serve-fallback" => Self::Incidents,
            "record-heartbeat"
            | "record-signal"
            | "record-ping"
            | "get-badge"
            | "admin-update-heartbeat-app"
            | "admin-list-heartbeat-apps"
            | "admin-issue-ping-key"
            | "scan-silent-apps" => Self::Heartbeats,
            "create-contacts"
            | "delete-contacts"
            | "list-contacts"
            | "send-messages"
            | "list-failed-messages"
            | "deliver-messages" => Self::Messenger,
            "admin-issue-api-key"
            | "admin-list-api-keys"
            | "admin-revoke-api-key"
            | "admin-get-overview" => Self::Admin,
            "serve-console" | "serve-openapi" => Self::Console,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Tracker => "tracker",
            Self::Logs => "logs",
            Self::Incidents => "incidents",
            Self::Heartbeats => "heartbeats",
            Self::Messenger => "messenger",
            Self::Admin => "admin",
            Self::Console => "console",
        }
    }

    /// The family's representative operation: the function its Python baseline mirrors and
    /// the cost model prices.
    pub fn representative(self) -> &'static str {
        match self {
            Self::Tracker => "start-session",
            Self::Logs => "send-logs",
            Self::Incidents => "report-incident",
            Self::Heartbeats => "record-heartbeat",
            Self::Messenger => "create-contacts",
            Self::Admin => "admin-issue-api-key",
            Self::Console => "serve-console",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_has_a_representative_of_its_own() {
        for f in Family::ALL {
            assert_eq!(Family::of(f.representative()), Some(f));
        }
    }
}
