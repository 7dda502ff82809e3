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
            "send-logs" | "query-logs" | "admin-log-users" => Self::Logs,
            "report-incident" | "register-app" | "update-app" | "delete-app" | "list-apps"
            | "list-incidents" | "get-incident" | "update-incident" | "app-incidents" => {
                Self::Incidents
            }
            "heartbeat"
            | "heartbeat-signal"
            | "heartbeat-badge"
            | "admin-heartbeat-apps"
            | "admin-list-heartbeat-apps"
            | "silent-app-scanner" => Self::Heartbeats,
            "contacts-create" | "contacts-delete" | "contacts-list" | "contacts-send"
            | "get-failed-mess" | "messenger-deliver" => Self::Messenger,
            "admin-api-keys"
            | "admin-list-api-keys"
            | "admin-revoke-api-key"
            | "admin-overview" => Self::Admin,
            "console" | "openapi" => Self::Console,
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
            Self::Heartbeats => "heartbeat",
            Self::Messenger => "contacts-create",
            Self::Admin => "admin-api-keys",
            Self::Console => "console",
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
