//! A tenant alert as every channel renders it (`lookout_webhooks::Alert`).

use lookout_core::events::{TenantAlert, TenantAlertKind, TenantAlertLevel};
use lookout_webhooks::{Alert, AlertKind, Level};

/// `alert` for the channels' payload builders.
pub fn render(alert: &TenantAlert) -> Alert {
    let mut fields = vec![("Tenant".to_owned(), alert.tenant.clone())];
    if let Some(app) = &alert.app {
        fields.push(("App".to_owned(), app.clone()));
    }
    if !alert.tags.is_empty() {
        fields.push(("Tags".to_owned(), alert.tags.join(", ")));
    }
    Alert {
        id: alert.alert_id.clone(),
        title: alert.title.clone(),
        text: alert.text.clone(),
        level: match alert.level {
            TenantAlertLevel::Info => Level::Info,
            TenantAlertLevel::Warning => Level::Warning,
            TenantAlertLevel::Error => Level::Error,
            TenantAlertLevel::Critical => Level::Critical,
        },
        kind: match alert.kind {
            TenantAlertKind::Heartbeat => AlertKind::Heartbeat,
            TenantAlertKind::Incident => AlertKind::Incident,
            TenantAlertKind::Digest => AlertKind::Digest,
        },
        url: alert.url.clone(),
        ack_url: None,
        ack_callback: None,
        fields,
        at: alert.at.to_rfc3339(),
    }
}
