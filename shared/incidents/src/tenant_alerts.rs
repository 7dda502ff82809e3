//! What a tenant's team hears about (#28): a heartbeat app of the tenant went down or came
//! back, or an incident app linked to the tenant (`heartbeat_tenant`) reported a new incident.
//! Each becomes one `TenantAlert` on the alerts queue, where the alerts domain routes it to the
//! tenant's channels. The alert id is a function of the incident (and the transition's `seq`),
//! so an event handled twice raises the same alert, which is delivered once.

use std::fmt::Debug;

use lookout_core::events::{
    AppTransition, TenantAlert, TenantAlertKind, TenantAlertLevel, TransitionKind,
};
use lookout_core::{config, BoxFuture};

use crate::input::IncidentLevel;
use crate::ports::PortError;
use crate::records::Incident;

/// Where tenant alerts go (a port: the alerts queue on SQS).
pub trait TenantAlerts: Send + Sync + Debug {
    fn raise<'a>(&'a self, alert: &'a TenantAlert) -> BoxFuture<'a, Result<(), PortError>>;
}

/// The alerts queue (`ALERTS_QUEUE_URL`).
#[derive(Debug, Clone)]
pub struct SqsTenantAlerts {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl SqsTenantAlerts {
    /// `None` when `ALERTS_QUEUE_URL` is not set (tenant alerts off).
    pub fn from_env(sdk: &lookout_core::aws::SdkConfig) -> Option<Self> {
        config::optional(config::names::ALERTS_QUEUE_URL).map(|url| Self {
            client: aws_sdk_sqs::Client::new(sdk),
            url,
        })
    }
}

impl TenantAlerts for SqsTenantAlerts {
    fn raise<'a>(&'a self, alert: &'a TenantAlert) -> BoxFuture<'a, Result<(), PortError>> {
        Box::pin(async move {
            let body = serde_json::to_string(alert)?;
            self.client
                .send_message()
                .queue_url(&self.url)
                .message_body(body)
                .send()
                .await?;
            Ok(())
        })
    }
}

fn level(l: IncidentLevel) -> TenantAlertLevel {
    match l {
        IncidentLevel::Debug | IncidentLevel::Info => TenantAlertLevel::Info,
        IncidentLevel::Warning => TenantAlertLevel::Warning,
        IncidentLevel::Error => TenantAlertLevel::Error,
        IncidentLevel::Crit => TenantAlertLevel::Critical,
    }
}

fn console_link(console_url: Option<&str>, incident_id: &str) -> Option<String> {
    console_url.map(|u| format!("{u}#incident/{incident_id}"))
}

/// The alert of a heartbeat transition that opened, joined or resolved `incident_id`.
pub(crate) fn transition_alert(
    ev: &AppTransition,
    incident_id: &str,
    console_url: Option<&str>,
) -> TenantAlert {
    let (kind, title, level) = match ev.kind {
        TransitionKind::Down => (
            "down",
            format!("{} is DOWN", ev.app_id),
            TenantAlertLevel::Critical,
        ),
        TransitionKind::Up => (
            "up",
            format!("{} is back UP", ev.app_id),
            TenantAlertLevel::Info,
        ),
    };
    TenantAlert {
        tenant: ev.tenant.clone(),
        alert_id: format!("{incident_id}-{kind}-{}", ev.seq),
        kind: TenantAlertKind::Heartbeat,
        level,
        title,
        text: ev
            .reason
            .clone()
            .unwrap_or_else(|| "It checks in again.".to_owned()),
        app: Some(ev.app_id.clone()),
        tags: Vec::new(),
        url: console_link(console_url, incident_id),
        at: ev.at,
        // An outage needs someone; its recovery does not.
        ack_incident: (ev.kind == TransitionKind::Down).then(|| incident_id.to_owned()),
        round: None,
        release: None,
    }
}

/// The alert of a new incident of an app linked to `tenant`.
pub(crate) fn incident_alert(
    tenant: &str,
    incident: &Incident,
    console_url: Option<&str>,
) -> TenantAlert {
    TenantAlert {
        tenant: tenant.to_owned(),
        alert_id: format!("{}-opened", incident.id),
        kind: TenantAlertKind::Incident,
        level: level(incident.level),
        title: format!("[{}] {}", incident.app_name, incident.title),
        text: incident.message.clone(),
        app: Some(incident.app_name.clone()),
        tags: Vec::new(),
        url: console_link(console_url, &incident.id),
        at: incident.first_seen,
        ack_incident: Some(incident.id.clone()),
        round: None,
        release: None,
    }
}
